"""The Pareto/NBD kernel: published CDNOW estimates, lifetimes parity, the analytic Hessian,
the protocol's broadcasting, and the generative story.

Reference values:
- Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer base
  analysis" / "Counting your customers" Pareto/NBD benchmark on the 2,357-customer CDNOW
  sample, 39-week calibration period in weeks: r = 0.5534, alpha = 10.5802, s = 0.6061,
  beta = 11.6562, LL = -9595.0.
- lifetimes 0.11.3 ``ParetoNBDFitter`` at the same parameters (its formulas: Fader &
  Hardie 2005, "A note on deriving the Pareto/NBD model and related expressions", eqs.
  18-22, 27, 36-37, 41, and their note "Deriving the conditional PMF of the Pareto/NBD
  model", eq. 16).
- mpmath at 30 digits, by direct quadrature of the death-time integral, where lifetimes'
  alternating sums lose digits (see ``test_conditional_pmf_matches_lifetimes``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clvkit.models._kernels import pareto_nbd as pn
from clvkit.models._optimize import maximize

lifetimes = pytest.importorskip("lifetimes")
mp = pytest.importorskip("mpmath")

CDNOW = np.array([0.5534, 10.5802, 0.6061, 11.6562])
PARAM_SETS = {
    "cdnow": CDNOW,
    "alpha < beta": np.array([2.0, 5.0, 3.0, 40.0]),
    "alpha > beta": np.array([0.3, 30.0, 1.5, 8.0]),
    "long-lived": np.array([1.2, 0.8, 0.3, 100.0]),
    "s = 1": np.array([0.9, 4.0, 1.0, 6.0]),
}


def _arrays(rfm: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(rfm[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))  # type: ignore[return-value]


def _lifetimes(params: np.ndarray):
    fitter = lifetimes.ParetoNBDFitter()
    fitter.params_ = pd.Series(params, index=["r", "alpha", "s", "beta"])
    return fitter


def _simulated(params: np.ndarray, seed: int, n: int = 300):
    rng = np.random.default_rng(seed)
    T = rng.uniform(1.0, 60.0, n)
    x, t_x, _, _ = pn.simulate(rng, params, T, False)
    return x, t_x, T


def _pmf_mp(r, alpha, s, beta, n, t):
    """P(X(t) = n) for a customer alive at 0, at 30 digits, by the death-time integral
    (tanh-sinh quadrature on geometrically shrinking pieces towards tau = 0)."""
    with mp.workdps(30):
        r, alpha, s, beta, t = (mp.mpf(float(v)) for v in (r, alpha, s, beta, t))

        def nb(tau):
            log = mp.loggamma(r + n) - mp.loggamma(r) - mp.loggamma(n + 1)
            log += r * mp.log(alpha / (alpha + tau))
            if n:
                log += n * mp.log(tau / (alpha + tau))
            return mp.exp(log)

        alive = (beta / (beta + t)) ** s * nb(t)
        points = [mp.mpf(0)] + [t * mp.mpf(8) ** (-k) for k in range(20, -1, -1)]
        dead = mp.quad(lambda tau: s * beta**s * (beta + tau) ** (-s - 1) * nb(tau), points)
        return float(alive + dead)


def _cases(rfm_or_none, params, seed):
    return _arrays(rfm_or_none) if rfm_or_none is not None else _simulated(params, seed)


# -- parity with lifetimes ---------------------------------------------------------------------
@pytest.fixture(params=list(PARAM_SETS), ids=list(PARAM_SETS))
def simulated_case(request):
    params = PARAM_SETS[request.param]
    return params, _simulated(params, seed=len(request.param))


def _check_parity(params, x, t_x, T):
    with np.errstate(all="ignore"):  # lifetimes divides 0 by 0 at s = 1
        _check_parity_quietly(params, x, t_x, T)


def _check_parity_quietly(params, x, t_x, T):
    lt = _lifetimes(params)
    ll = pn.loglik_rows(params, x, t_x, T)
    np.testing.assert_allclose(ll, lt._conditional_log_likelihood(params, x, t_x, T), rtol=1e-8)
    p_alive = pn.probability_alive(params, x, t_x, T)
    np.testing.assert_allclose(p_alive, lt.conditional_probability_alive(x, t_x, T), rtol=1e-8)
    for t in (1.0, 13.0, 39.0, 52.0):
        ours = p_alive * pn.expected_purchases_alive(params, x, T, t)
        theirs = lt.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T)
        if params[2] == 1.0:  # lifetimes divides 0 by 0 at s = 1: the limit, in mpmath
            assert np.all(np.isnan(theirs))
            theirs = _conditional_expectation_at_s1(params, x, t_x, T, t, p_alive)
        np.testing.assert_allclose(ours, theirs, rtol=1e-8)


def _conditional_expectation_at_s1(params, x, t_x, T, t, p_alive):
    """``(r+x)/(alpha+T) (beta+T) log(1 + t/(beta+T))``, the s -> 1 limit of eq. 41, at 30
    digits, times P(alive) (checked against lifetimes separately)."""
    r, alpha, _, beta = params
    with mp.workdps(30):
        alive_part = [
            float((r + xi) / (alpha + Ti) * (beta + Ti) * mp.log1p(mp.mpf(t) / (beta + Ti)))
            for xi, Ti in zip(x, T, strict=True)
        ]
    return p_alive * np.array(alive_part)


def test_cdnow_predictions_match_lifetimes(cdnow_rfm):
    _check_parity(CDNOW, *_arrays(cdnow_rfm))


def test_simulated_predictions_match_lifetimes(simulated_case):
    params, (x, t_x, T) = simulated_case
    _check_parity(params, x, t_x, T)


def test_new_customer_expectation_matches_lifetimes():
    t = np.array([0.0, 0.5, 1.0, 10.0, 39.0, 52.0, 520.0])
    for name, params in PARAM_SETS.items():
        with np.errstate(all="ignore"):
            theirs = _lifetimes(params).expected_number_of_purchases_up_to_time(t)
        if params[2] == 1.0:  # lifetimes: 0/0; the limit r beta/alpha log(1 + t/beta)
            r, alpha, _, beta = params
            theirs = r * beta / alpha * np.log1p(t / beta)
        ours = pn.expected_purchases_new(params, t)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, err_msg=name)


@pytest.mark.parametrize("source", ["cdnow", "simulated"])
def test_conditional_pmf_matches_lifetimes(source, cdnow_rfm):
    """P(n purchases in (T, T+t] | history) against lifetimes' closed form (note 028).

    lifetimes subtracts sums of hypergeometric terms; for probabilities far below their
    size it loses digits (about 1e-7 relative at n = 5, t = 1 on CDNOW, where P ~ 1e-10).
    Entries where the two differ by more than 1e-8 are checked against mpmath instead, and
    there ours is within 1e-10 while lifetimes is the one off.
    """
    params = CDNOW if source == "cdnow" else PARAM_SETS["alpha < beta"]
    x, t_x, T = _arrays(cdnow_rfm) if source == "cdnow" else _simulated(params, 7)
    lt = _lifetimes(params)
    p_alive = pn.probability_alive(params, x, t_x, T)
    checked_by_mpmath = 0
    for n in range(6):
        for t in (1.0, 10.0, 39.0):
            alive_part = pn.probability_n_purchases_alive(params, n, x, T, t)
            ours = (1.0 - p_alive) * (n == 0) + p_alive * alive_part
            theirs = lt.conditional_probability_of_n_purchases_up_to_time(n, t, x, t_x, T)
            off = np.abs(ours - theirs) > 1e-8 * np.abs(theirs)
            worst = np.argsort(-np.abs(ours - theirs) / np.abs(theirs))[: min(3, int(off.sum()))]
            for i in worst:
                r, alpha, s, beta = params
                ref = _pmf_mp(r + x[i], alpha + T[i], s, beta + T[i], n, t)
                assert alive_part[i] == pytest.approx(ref, rel=1e-10)
                assert abs(theirs[i] / p_alive[i] - ref) > 1e-8 * ref  # lifetimes is off
                checked_by_mpmath += 1
            # everything else agrees at 1e-8
            np.testing.assert_allclose(ours[~off], theirs[~off], rtol=1e-8)
            assert off.mean() < 0.2
    if source == "cdnow":
        assert checked_by_mpmath > 0  # the n = 5, t = 1 cells


# -- fitting ------------------------------------------------------------------------------------
def test_cdnow_mle_matches_the_published_estimates(cdnow_rfm):
    x, t_x, T = _arrays(cdnow_rfm)
    data = pn.prepare(x, t_x, T, np.ones_like(x))
    assert pn.identifiability_problem(data) is None
    result = maximize(
        lambda p, order: pn.loglik_derivatives(p, data, order),
        pn.initial_params(data),
        total_weight=data.total_weight,
    )
    assert result.converged
    np.testing.assert_allclose(result.params, CDNOW, rtol=1e-2)
    assert result.log_likelihood == pytest.approx(-9595.0, abs=0.05)
    # the surface's maximum itself: a Newton step from there moves nothing
    ll, grad, _ = pn.loglik_derivatives(result.params, data, 1)
    assert np.max(np.abs(grad * result.params)) < 1e-5
    assert ll == pytest.approx(pn.loglik_rows(result.params, x, t_x, T).sum(), rel=1e-13)


def _fd_hessian_of_values(data, params, h=1e-4):
    """Central second differences of the log-likelihood in log-parameters."""
    k = params.size
    theta = np.log(params)

    def f(th):
        return pn.loglik_derivatives(np.exp(th), data, 0)[0]

    H = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            ei, ej = np.eye(k)[i] * h, np.eye(k)[j] * h
            value = (
                f(theta + ei + ej) - f(theta + ei - ej) - f(theta - ei + ej) + f(theta - ei - ej)
            ) / (4 * h * h)
            H[i, j] = H[j, i] = value
    # back to natural parameters: d2/dp_i dp_j = (H_ij - delta_ij g_i) / (p_i p_j)
    g = pn.loglik_derivatives(params, data, 1)[1] * params
    return (H - np.diag(g)) / np.outer(params, params)


def test_observed_information_matches_finite_differences(cdnow_rfm):
    x, t_x, T = _arrays(cdnow_rfm)
    data = pn.prepare(x, t_x, T, np.ones_like(x))
    hess = pn.loglik_derivatives(CDNOW, data, 2)[2]
    assert hess is not None
    np.testing.assert_allclose(hess, _fd_hessian_of_values(data, CDNOW), rtol=1e-5)
    # and against central differences of the analytic gradient
    for i in range(4):
        step = np.zeros(4)
        step[i] = 1e-6 * CDNOW[i]
        g_up = pn.loglik_derivatives(CDNOW + step, data, 1)[1]
        g_down = pn.loglik_derivatives(CDNOW - step, data, 1)[1]
        np.testing.assert_allclose(hess[:, i], (g_up - g_down) / (2 * step[i]), rtol=1e-7)


@pytest.mark.parametrize("name", list(PARAM_SETS))
def test_fitting_pass_agrees_with_the_row_likelihood(name):
    """The blockwise fitting pass (per-x coefficient tables and re-centred runs, two passes
    when large), the element-wise series and the row log-likelihood are three code paths to
    one number; the parameter sets with alpha far from beta send the first pairs of each
    block beyond z = 4/5, to the quadrature."""
    params = PARAM_SETS[name]
    rng = np.random.default_rng(11)
    T = np.round(rng.uniform(0.0, 80.0, 3000), 1)
    x, t_x, _, _ = pn.simulate(rng, params, T, False)
    t_x = np.minimum(np.round(t_x, 1), T)
    w = rng.integers(1, 4, x.size).astype(float)
    data = pn.prepare(x, t_x, T, w)
    total = float(w @ pn.loglik_rows(params, x, t_x, T))
    ll, grad, hess = pn.loglik_derivatives(params, data, 2)
    assert ll == pytest.approx(total, rel=1e-12)
    # the two-pass path (more pairs than one chunk) gives the same derivatives
    old = pn._CHUNK
    try:
        pn._CHUNK = 64
        two = pn.loglik_derivatives(params, pn.prepare(x, t_x, T, w), 2)
    finally:
        pn._CHUNK = old
    assert two[0] == pytest.approx(ll, rel=1e-13)
    np.testing.assert_allclose(two[1], grad, rtol=1e-11, atol=1e-9 * np.abs(grad).max())
    np.testing.assert_allclose(two[2], hess, rtol=1e-11, atol=1e-9 * np.abs(hess).max())
    # and the element-wise series (every block short) agrees with the per-x tables
    old = pn._BLOCK_MIN
    try:
        pn._BLOCK_MIN = 10**9
        many = pn.loglik_derivatives(params, data, 2)
    finally:
        pn._BLOCK_MIN = old
    assert many[0] == pytest.approx(ll, rel=1e-13)
    np.testing.assert_allclose(many[1], grad, rtol=1e-10, atol=1e-9 * np.abs(grad).max())
    np.testing.assert_allclose(many[2], hess, rtol=1e-10, atol=1e-9 * np.abs(hess).max())


def test_weights_equal_duplicated_rows():
    x, t_x, T = _simulated(CDNOW, 3, n=200)
    w = np.random.default_rng(4).integers(0, 4, x.size).astype(float)
    weighted = pn.loglik_derivatives(CDNOW, pn.prepare(x, t_x, T, w), 2)
    rep = np.repeat(np.arange(x.size), w.astype(int))
    copied = pn.loglik_derivatives(
        CDNOW, pn.prepare(x[rep], t_x[rep], T[rep], np.ones(rep.size)), 2
    )
    assert weighted[0] == pytest.approx(copied[0], rel=1e-13)
    np.testing.assert_allclose(weighted[1], copied[1], rtol=1e-11)
    np.testing.assert_allclose(weighted[2], copied[2], rtol=1e-11)


def test_identifiability_problems_are_named():
    zeros = np.zeros(5)
    T = np.linspace(1.0, 5.0, 5)
    assert "frequency 0" in pn.identifiability_problem(pn.prepare(zeros, zeros, T, np.ones(5)))
    ones = np.ones(5)
    assert "T = 0" in pn.identifiability_problem(pn.prepare(ones, zeros, zeros, ones))
    assert "single distinct history" in pn.identifiability_problem(
        pn.prepare(ones, ones, 2 * ones, ones)
    )
    x, t_x, T = _simulated(CDNOW, 1, n=50)
    data = pn.prepare(x, t_x, T, np.ones(50))
    assert pn.identifiability_problem(data) is None
    start = pn.initial_params(data)
    assert start.shape == (4,) and np.all(start > 0) and np.all(np.isfinite(start))
    assert data.total_weight == 50.0 and data.n_distinct <= 50


@pytest.mark.slow
@pytest.mark.parametrize("truth", [CDNOW, np.array([1.5, 4.0, 2.5, 30.0])], ids=["cdnow", "other"])
def test_parameter_recovery_on_200k_simulated_customers(truth):
    """Fitted on 200,000 customers drawn by ``simulate`` (seeded), each parameter lies within
    three standard errors (inverse observed information) of the truth."""
    rng = np.random.default_rng(2024)
    T = rng.uniform(26.0, 78.0, 200_000)
    x, t_x, _, _ = pn.simulate(rng, truth, T, False)
    data = pn.prepare(x, t_x, T, np.ones(x.size))
    result = maximize(
        lambda p, order: pn.loglik_derivatives(p, data, order),
        pn.initial_params(data),
        total_weight=data.total_weight,
    )
    assert result.converged
    se = np.sqrt(np.diag(np.linalg.inv(-result.hessian)))
    assert np.all(np.abs(result.params - truth) < 3 * se), (result.params, truth, se)


# -- the protocol: broadcasting over parameter draws -----------------------------------------------
def test_parameter_draws_broadcast_like_single_vectors():
    x, t_x, T = _simulated(CDNOW, 5, n=60)
    draws = np.stack([CDNOW, PARAM_SETS["alpha < beta"], PARAM_SETS["alpha > beta"]], axis=1)
    stacked = draws[:, :, None]  # (4, 3, 1)
    n = np.array([[0], [1], [3]])
    checks = {
        "loglik_rows": lambda p: pn.loglik_rows(p, x, t_x, T),
        "probability_alive": lambda p: pn.probability_alive(p, x, t_x, T),
        "expected_purchases_alive": lambda p: pn.expected_purchases_alive(p, x, T, 13.0),
        "probability_n_purchases_alive": lambda p: pn.probability_n_purchases_alive(
            p, 2, x, T, 13.0
        ),
        "expected_purchases_new": lambda p: pn.expected_purchases_new(p, T),
        "probability_n_purchases_new": lambda p: pn.probability_n_purchases_new(p, 1, T),
        "probability_alive_new": lambda p: pn.probability_alive_new(p, T),
        "probability_purchase_new": lambda p: pn.probability_purchase_new(p, T / 2, T),
    }
    for name, fn in checks.items():
        together = fn(stacked)
        assert together.shape == (3, x.size), name
        for d in range(3):
            np.testing.assert_allclose(together[d], fn(draws[:, d]), rtol=1e-14, err_msg=name)
    # customers as a 2-d array take the element-wise path (no pair compression)
    np.testing.assert_allclose(
        pn.probability_alive(CDNOW, x[None, :], t_x[None, :], T[None, :])[0],
        pn.probability_alive(CDNOW, x, t_x, T),
        rtol=1e-14,
    )
    # a column of counts against customers
    grid = pn.probability_n_purchases_alive(CDNOW, n, x, T, 13.0)
    assert grid.shape == (3, x.size)
    for i, k in enumerate(n[:, 0]):
        np.testing.assert_allclose(grid[i], pn.probability_n_purchases_alive(CDNOW, k, x, T, 13.0))


def test_zero_horizons():
    x, _, T = _simulated(CDNOW, 6, n=20)
    assert np.all(pn.expected_purchases_alive(CDNOW, x, T, 0.0) == 0.0)
    assert np.all(pn.probability_n_purchases_alive(CDNOW, 0, x, T, 0.0) == 1.0)
    assert np.all(pn.probability_n_purchases_alive(CDNOW, 2, x, T, 0.0) == 0.0)
    assert pn.expected_purchases_new(CDNOW, 0.0) == 0.0
    assert pn.probability_alive_new(CDNOW, 0.0) == 1.0
    assert pn.probability_n_purchases_new(CDNOW, 0, 0.0) == 1.0
    assert np.all(pn.probability_purchase_new(CDNOW, T, T) == 0.0)


def test_new_customer_closed_forms():
    t = np.array([0.5, 3.0, 39.0, 400.0])
    r, alpha, s, beta = CDNOW
    np.testing.assert_allclose(pn.probability_alive_new(CDNOW, t), (beta / (beta + t)) ** s)
    # P(any purchase in (0, t]) = 1 - P(X(t) = 0)
    np.testing.assert_allclose(
        pn.probability_purchase_new(CDNOW, 0.0, t),
        1.0 - pn.probability_n_purchases_new(CDNOW, 0, t),
        rtol=1e-12,
    )
    for tk in t:
        for n in (0, 4) if tk in (3.0, 400.0) else ():
            ref = _pmf_mp(r, alpha, s, beta, n, tk)
            assert pn.probability_n_purchases_new(CDNOW, n, tk) == pytest.approx(ref, rel=1e-11)
        # the pmf sums to 1 and its mean is the expectation (the NB tail falls like
        # (t/(alpha+t))^n: 400 counts suffice up to t = 39, 2000 at t = 400)
        counts = np.arange(400 if tk < 100 else 2000)
        pmf = pn.probability_n_purchases_new(CDNOW, counts, tk)
        assert pmf.sum() == pytest.approx(1.0, abs=1e-12)
        assert counts @ pmf == pytest.approx(pn.expected_purchases_new(CDNOW, tk), rel=1e-9)


# -- the generative story ----------------------------------------------------------------------
def test_simulate_returns_consistent_histories():
    rng = np.random.default_rng(8)
    T = rng.uniform(5.0, 50.0, 2000)
    x, t_x, alive, times = pn.simulate(rng, PARAM_SETS["alpha < beta"], T, True)
    assert x.dtype == np.float64 and t_x.dtype == np.float64 and alive.dtype == bool
    assert times is not None and times.size == int(x.sum())
    assert np.all((t_x >= 0) & (t_x <= T)) and np.all(t_x[x == 0] == 0)
    owner = np.repeat(np.arange(x.size), x.astype(int))
    assert np.all(np.diff(times)[np.diff(owner) == 0] >= 0)  # ascending per customer
    last = np.cumsum(x.astype(int))[x > 0] - 1
    np.testing.assert_array_equal(times[last], t_x[x > 0])
    assert np.all(times <= T[owner])
    # without times: same distribution of (x, t_x / T), drawn by the order-statistic shortcut
    x2, t2, alive2, none = pn.simulate(
        np.random.default_rng(9), PARAM_SETS["alpha < beta"], T, False
    )
    assert none is None
    assert abs(x.mean() - x2.mean()) < 4 * x.std() / np.sqrt(x.size) * np.sqrt(2)
    assert abs(alive.mean() - alive2.mean()) < 0.05
    u1, u2 = (t_x / T)[x > 0], (t2 / T)[x2 > 0]
    assert abs(u1.mean() - u2.mean()) < 4 * np.sqrt(u1.var() / u1.size + u2.var() / u2.size)


def test_probability_purchase_new_matches_simulation():
    """P(at least one purchase in (t1, t2]) for new customers, against 400,000 seeded draws."""
    params = np.array([0.8, 6.0, 1.3, 20.0])
    rng = np.random.default_rng(12)
    n = 400_000
    t1, t2 = 10.0, 16.0
    x, _, _, times = pn.simulate(rng, params, np.full(n, t2), True)
    assert times is not None
    owner = np.repeat(np.arange(n), x.astype(int))
    bought = np.zeros(n, dtype=bool)
    bought[owner[times > t1]] = True
    p = float(pn.probability_purchase_new(params, t1, t2))
    se = np.sqrt(p * (1 - p) / n)
    assert abs(bought.mean() - p) < 4 * se, (bought.mean(), p)
    # and the number of purchases in (0, t2]
    for k in range(4):
        q = float(pn.probability_n_purchases_new(params, k, t2))
        assert abs(np.mean(x == k) - q) < 4 * np.sqrt(q * (1 - q) / n)


def test_probability_n_purchases_alive_matches_simulation():
    """The generative story drawn here directly (not through ``simulate``): keep the customers
    alive at T with x0 purchases in (0, T] and count their purchases in (T, T + t]. Checks
    the posterior Gamma(r+x, alpha+T) x Gamma(s, beta+T) and memorylessness end to end."""
    r, alpha, s, beta = params = np.array([0.8, 6.0, 1.3, 20.0])
    rng = np.random.default_rng(13)
    n, T, t, x0 = 1_000_000, 12.0, 8.0, 2
    lam = rng.gamma(r, 1.0 / alpha, n)
    life = rng.standard_exponential(n) / rng.gamma(s, 1.0 / beta, n)
    before = rng.poisson(lam * np.minimum(life, T))
    after = rng.poisson(lam * np.clip(life - T, 0.0, t))
    counts = after[(life > T) & (before == x0)]
    assert counts.size > 20_000
    for k in range(6):
        pmf = float(pn.probability_n_purchases_alive(params, k, float(x0), T, t))
        observed = np.mean(counts == k)
        assert abs(observed - pmf) < 4 * np.sqrt(pmf * (1 - pmf) / counts.size), (k, observed, pmf)
    total = pn.probability_n_purchases_alive(params, np.arange(200), float(x0), T, t).sum()
    assert total == pytest.approx(1.0, abs=1e-12)
