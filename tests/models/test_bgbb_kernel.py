"""The BG/BB kernel (Fader, Hardie & Shang 2010) against lifetimes 0.11.3's
``BetaGeoBetaBinomFitter`` at the same parameters on the donations data and a grid,
against mpmath at 50 digits (the paper's sums term by term), against its own derivatives,
and its invariants (Hypothesis)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clvkit.models._kernels import bgbb

mp = pytest.importorskip("mpmath")

NAMES = ("alpha", "beta", "gamma", "delta")
PAPER = np.array([1.204, 0.750, 0.657, 2.783])  # donations, Fader, Hardie & Shang 2010
PARAMS = [PAPER, np.array([0.3, 4.0, 2.5, 0.8]), np.array([20.0, 0.4, 0.05, 30.0])]


def _lifetimes():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes
        import lifetimes.datasets
    return lifetimes


def _fitter(params: np.ndarray):
    fitter = _lifetimes().BetaGeoBetaBinomFitter()
    fitter.params_ = pd.Series(dict(zip(NAMES, params, strict=True)))
    return fitter


@pytest.fixture(scope="module")
def donations() -> pd.DataFrame:
    """The 1995 donor cohort as lifetimes ships it (11,104 donors, 6 occasions)."""
    return _lifetimes().datasets.load_donations()


# -- references at 50 digits: the paper's sums, term by term ---------------------------------
def _mpf(params):
    return [v if isinstance(v, mp.mpf) else mp.mpf(float(v)) for v in params]


def ll_mp(params, x, t_x, n):
    """The paper's likelihood, and the share of its first branch (P(alive)); the summands from the
    first by the exact ratio of consecutive Beta functions, ``B(a, b+1) = B(a, b) b/(a+b)``."""
    al, be, ga, de = _mpf(params)
    norm = mp.beta(al, be) * mp.beta(ga, de)
    alive = mp.beta(al + x, be + n - x) * mp.beta(ga, de + n)
    term = mp.beta(al + x, be + t_x - x) * mp.beta(ga + 1, de + t_x)
    terms = []
    for s in range(t_x, n):
        terms.append(term)
        term *= (be + s - x) / (al + be + s) * (de + s) / (ga + de + s + 1)
    dead = mp.fsum(terms)
    return mp.log((alive + dead) / norm), alive / (alive + dead)


def expected_alive_mp(params, x, n, m):
    """Expected purchase probability times expected occasions alive, summed term by term:
    ``E[(1-theta)^j] = prod_{i<j} (d+i)/(gamma+d+i)`` over ``theta ~ Beta(gamma, d)``."""
    al, be, ga, de = _mpf(params)
    d = de + n
    survive, terms = mp.mpf(1), []
    for i in range(m):
        survive *= (d + i) / (ga + d + i)
        terms.append(survive)
    return (al + x) / (al + be + n) * mp.fsum(terms)


def pmf_new_mp(params, k, m):
    """Paper, eq. 7."""
    al, be, ga, de = _mpf(params)
    norm = mp.beta(al, be) * mp.beta(ga, de)
    total = mp.binomial(m, k) * mp.beta(al + k, be + m - k) * mp.beta(ga, de + m) if k <= m else 0
    total += mp.fsum(
        mp.binomial(i, k) * mp.beta(al + k, be + i - k) * mp.beta(ga + 1, de + i)
        for i in range(k, m)
    )
    return total / norm


def purchase_new_mp(params, t1, t2):
    """1 - P(no purchase at occasions t1+1..t2), from the alive/bought states directly:
    sum over the occasions alive in the window (0..w) of P(alive exactly that long) times
    (1-p)^that."""
    al, be, ga, de = _mpf(params)
    w = t2 - t1
    if w == 0:
        return mp.mpf(0)
    none = mp.beta(ga, de) - mp.beta(ga, de + t1 + 1)  # dead before the window
    none *= mp.beta(al, be)
    for j in range(1, w + 1):
        # alive at occasions t1+1..t1+j, dead at t1+j+1 (or alive through t2 when j = w)
        surv = (
            mp.beta(ga, de + t1 + j)
            if j == w
            else mp.beta(ga, de + t1 + j) - mp.beta(ga, de + t1 + j + 1)
        )
        none += surv * mp.beta(al, be + j)
    return 1 - none / (mp.beta(al, be) * mp.beta(ga, de))


# -- likelihood and derivatives --------------------------------------------------------------
def _cohort(rng: np.random.Generator, size: int = 4000) -> tuple[np.ndarray, ...]:
    n = rng.integers(0, 25, size=size).astype(float)
    x, t_x, _, _ = bgbb.simulate(rng, np.array([0.8, 1.5, 0.4, 3.0]), n, times=False)
    return x, t_x, n


def _central(f, p: np.ndarray, h: float = 1e-6) -> np.ndarray:
    out = []
    for i in range(p.size):
        e = np.zeros_like(p)
        e[i] = h * p[i]
        out.append((f(p + e) - f(p - e)) / (2 * h * p[i]))
    return np.array(out)


@pytest.mark.parametrize("params", PARAMS)
def test_gradient_matches_finite_differences(rng, params):
    x, t_x, n = _cohort(rng)
    data = bgbb.prepare(x, t_x, n, np.ones_like(x))
    ll, g, H = bgbb.loglik_derivatives(params, data, 2)
    assert H is None  # the driver differences the gradient
    assert ll == pytest.approx(bgbb.loglik_rows(params, x, t_x, n).sum(), rel=1e-12)
    g_num = _central(lambda p: bgbb.loglik_derivatives(p, data, 0)[0], params)
    np.testing.assert_allclose(g, g_num, rtol=1e-5, atol=1e-7 * abs(ll))


def test_gradient_matches_mpmath_differentiation():
    rows = [(0, 0, 1), (0, 0, 300), (1, 1, 6), (5, 17, 30), (150, 280, 300), (300, 300, 300)]
    weights = [4, 1, 2, 3, 1, 1]
    x, t_x, n = (np.array(c, float) for c in zip(*rows, strict=True))
    data = bgbb.prepare(x, t_x, n, np.array(weights, float))
    for params in (PAPER, np.array([0.01, 100.0, 1.0, 0.05]), np.array([50.0, 0.02, 80.0, 1.0])):
        _, g, _ = bgbb.loglik_derivatives(params, data, 1)
        with mp.workdps(50):
            for i in range(4):

                def total(v, i=i, params=params):
                    p = _mpf(params)
                    p[i] = v
                    return mp.fsum(
                        w * ll_mp(p, *row)[0] for w, row in zip(weights, rows, strict=True)
                    )

                ref = mp.diff(total, mp.mpf(float(params[i])))
                assert g[i] == pytest.approx(float(ref), rel=1e-8, abs=1e-9)


def test_weights_equal_duplicated_rows_and_compression_is_bounded(rng):
    x, t_x, n = _cohort(rng, 600)
    w = rng.integers(0, 4, size=x.size).astype(float)
    weighted = bgbb.prepare(x, t_x, n, w)
    rep = np.repeat(np.arange(x.size), w.astype(int))
    copied = bgbb.prepare(x[rep], t_x[rep], n[rep], np.ones(rep.size))
    a, b = (
        bgbb.loglik_derivatives(PARAMS[1], weighted, 1),
        bgbb.loglik_derivatives(PARAMS[1], copied, 1),
    )
    assert a[0] == pytest.approx(b[0], rel=1e-12)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-10)
    # a million donors over 10 occasions: at most (n+1)(n+2)/2 = 66 distinct histories
    many = 1_000_000
    xs, txs, _, _ = bgbb.simulate(rng, PAPER, np.full(many, 10.0), times=False)
    data = bgbb.prepare(xs, txs, np.full(many, 10.0), np.ones(many))
    assert data.n_distinct <= 66 and data.total_weight == many


# -- parity with lifetimes -------------------------------------------------------------------
@pytest.mark.parametrize("params", PARAMS)
def test_predictions_match_lifetimes_on_donations(donations, params):
    fitter = _fitter(params)
    x, t_x, n = (donations[c].to_numpy(float) for c in ("frequency", "recency", "periods"))
    np.testing.assert_allclose(
        bgbb.loglik_rows(params, x, t_x, n), fitter._loglikelihood(params, x, t_x, n), rtol=1e-8
    )
    p_alive = bgbb.probability_alive(params, x, t_x, n)
    np.testing.assert_allclose(
        p_alive, fitter.conditional_probability_alive(0, x, t_x, n), rtol=1e-8
    )
    # the paper's P(alive in period n + 1): one more survival step
    ga, de = params[2], params[3]
    np.testing.assert_allclose(
        p_alive * (de + n) / (ga + de + n),
        fitter.conditional_probability_alive(1, x, t_x, n),
        rtol=1e-8,
    )
    for m in (1, 2, 5, 10, 30):
        np.testing.assert_allclose(
            p_alive * bgbb.expected_purchases_alive(params, x, n, m),
            fitter.conditional_expected_number_of_purchases_up_to_time(m, x, t_x, n),
            rtol=1e-8,
        )
    fitter.data = donations.rename(columns={"periods": "n_periods"})
    table = fitter.expected_number_of_transactions_in_first_n_periods(6)
    ks = table.index.to_numpy()
    np.testing.assert_allclose(
        bgbb.probability_n_purchases_new(params, ks, 6) * donations["weights"].sum(),
        table["model"].to_numpy(),
        rtol=1e-8,
    )


def _undistorted(params, ll) -> np.ndarray:
    """Rows where lifetimes' likelihood is exact to 1e-9: it adds 1e-15 to the sum of its
    *unnormalised* Beta products before the log, so the likelihood times
    ``B(alpha, beta) B(gamma, delta)`` must exceed 1e-6."""
    from scipy.special import betaln

    al, be, ga, de = params
    return np.asarray(ll + betaln(al, be) + betaln(ga, de) > np.log(1e-6))


@pytest.mark.parametrize("params", PARAMS)
def test_predictions_match_lifetimes_on_a_grid(params):
    """Every history of 1, 5, 12 and 40 occasions. Where lifetimes' likelihood is distorted
    by the 1e-15 it adds (most long histories: each has a tiny probability), a seeded
    sample of those rows is checked against mpmath instead."""
    fitter = _fitter(params)
    rows = [
        (x, t_x, n)
        for n in (1, 5, 12, 40)
        for x in range(n + 1)
        for t_x in (range(x, n + 1) if x > 0 else (0,))
    ]
    x, t_x, n = (np.array(c, float) for c in zip(*rows, strict=True))
    ours = bgbb.loglik_rows(params, x, t_x, n)
    clean = _undistorted(params, ours)
    assert clean.sum() >= 100 and np.all(clean[n <= 5])
    pa_all = bgbb.probability_alive(params, x, t_x, n)
    rng = np.random.default_rng(8)
    with mp.workdps(50):
        for i in rng.choice(np.flatnonzero(~clean), size=15, replace=False):
            ref, alive = ll_mp(params, int(x[i]), int(t_x[i]), int(n[i]))
            assert ours[i] == pytest.approx(float(ref), rel=1e-10)
            assert pa_all[i] == pytest.approx(float(alive), rel=1e-9)
    np.testing.assert_allclose(
        ours[clean], fitter._loglikelihood(params, x, t_x, n)[clean], rtol=1e-8
    )
    p_alive = bgbb.probability_alive(params, x, t_x, n)
    np.testing.assert_allclose(
        p_alive[clean], fitter.conditional_probability_alive(0, x, t_x, n)[clean], rtol=1e-8
    )
    for m in (1, 7, 50):
        np.testing.assert_allclose(
            (p_alive * bgbb.expected_purchases_alive(params, x, n, m))[clean],
            fitter.conditional_expected_number_of_purchases_up_to_time(m, x, t_x, n)[clean],
            rtol=1e-8,
        )


def test_where_lifetimes_distorts_the_likelihood_the_kernel_matches_mpmath():
    """lifetimes adds 1e-15 to the unnormalised finite sum of the likelihood before its log: for
    long histories that sum is far below 1e-15 and lifetimes' likelihood is off (for
    (20, 40, 40), a customer who bought at the last occasion and so is alive for certain,
    lifetimes gives P(alive) = 0.005); the kernel agrees with mpmath."""
    params = PARAMS[1]
    fitter = _fitter(params)
    assert float(bgbb.probability_alive(params, 20, 40, 40)) == 1.0
    one = (np.array([20]), np.array([40]), np.array([40]))
    assert fitter.conditional_probability_alive(0, *one)[0] < 0.01
    for x, t_x, n in ((40, 40, 200), (90, 100, 300), (20, 40, 40), (30, 200, 300)):
        ours = float(bgbb.loglik_rows(params, x, t_x, n))
        assert not _undistorted(params, ours)
        theirs = float(
            fitter._loglikelihood(params, np.array([x]), np.array([t_x]), np.array([n]))[0]
        )
        with mp.workdps(50):
            ref, alive = ll_mp(params, x, t_x, n)
        assert ours == pytest.approx(float(ref), rel=1e-10)
        assert float(bgbb.probability_alive(params, x, t_x, n)) == pytest.approx(
            float(alive), rel=1e-9
        )
        assert abs(theirs / float(ref) - 1) > 1e-6


# -- mpmath on a grid of extremes ------------------------------------------------------------
SCALES = (0.01, 1.0, 100.0)
GAMMAS = (0.01, 1.0 - 1e-7, 1.0, 1.0 + 1e-4, 100.0)
HISTORIES = [(0, 0, 1), (0, 0, 300), (1, 1, 1), (5, 17, 30), (30, 30, 30), (150, 280, 300)]


def _grid():
    return [
        np.array([a, b, g, d]) for a, b, g, d in itertools.product(SCALES, SCALES, GAMMAS, SCALES)
    ]


@pytest.mark.slow
def test_loglik_p_alive_and_expectations_match_mpmath_on_extremes():
    rng = np.random.default_rng(3)
    grid = _grid()
    x, t_x, n = (np.array(c, float) for c in zip(*HISTORIES, strict=True))
    with mp.workdps(50):
        for gi in rng.choice(len(grid), size=45, replace=False):
            params = grid[gi]
            ll = bgbb.loglik_rows(params, x, t_x, n)
            pa = bgbb.probability_alive(params, x, t_x, n)
            for i, row in enumerate(HISTORIES):
                ref, alive = ll_mp(params, *row)
                assert ll[i] == pytest.approx(float(ref), rel=1e-10), (params, row)
                assert pa[i] == pytest.approx(float(alive), rel=1e-9, abs=1e-300), (params, row)
        for gi in rng.choice(len(grid), size=60, replace=False):
            params = grid[gi]
            for (hx, _, hn), m in itertools.product(((0, 0, 1), (150, 280, 300)), (0, 1, 7, 250)):
                ours = float(bgbb.expected_purchases_alive(params, hx, hn, m))
                ref = float(expected_alive_mp(params, hx, hn, m))
                assert ours == pytest.approx(ref, rel=1e-9, abs=0.0), (params, hx, hn, m)
            ours_new = bgbb.expected_purchases_new(params, np.array([1.0, 30.0, 300.0]))
            for value, m in zip(ours_new, (1, 30, 300), strict=True):
                assert value == pytest.approx(float(expected_alive_mp(params, 0, 0, m)), rel=1e-9)


def test_new_customer_probabilities_match_mpmath():
    sets = [PAPER, np.array([0.01, 100.0, 1.0, 0.05]), np.array([50.0, 0.02, 1.0 + 1e-9, 100.0])]
    with mp.workdps(50):
        for params in sets:
            for k, m in itertools.product((0, 1, 5, 40), (0, 1, 6, 60)):
                ours = float(bgbb.probability_n_purchases_new(params, k, m))
                assert ours == pytest.approx(float(pmf_new_mp(params, k, m)), rel=1e-9, abs=1e-300)
            for t in (0, 1, 6, 300):
                ga, de = _mpf(params)[2:]
                ref = mp.beta(ga, de + t) / mp.beta(ga, de)
                assert float(bgbb.probability_alive_new(params, t)) == pytest.approx(
                    float(ref), rel=1e-10
                )
            for t1, t2 in ((0, 0), (0, 1), (0, 6), (3, 4), (6, 16), (20, 120)):
                ours = float(bgbb.probability_purchase_new(params, t1, t2))
                ref = float(purchase_new_mp(params, t1, t2))
                assert ours == pytest.approx(ref, rel=1e-8, abs=1e-14), (params, t1, t2)


# -- internal consistency --------------------------------------------------------------------
@pytest.mark.parametrize("params", PARAMS)
def test_count_distributions_sum_to_one_and_have_the_expected_mean(params):
    for m in (0, 1, 6, 40):
        k = np.arange(m + 2)  # one beyond the last possible count
        new = bgbb.probability_n_purchases_new(params, k, m)
        assert new[-1] == 0.0
        assert new.sum() == pytest.approx(1.0, abs=1e-12)
        assert (k * new).sum() == pytest.approx(
            float(bgbb.expected_purchases_new(params, m)), rel=1e-10, abs=1e-15
        )
        alive = bgbb.probability_n_purchases_alive(params, k, 3.0, 6.0, m)
        assert alive.sum() == pytest.approx(1.0, abs=1e-12)
        assert (k * alive).sum() == pytest.approx(
            float(bgbb.expected_purchases_alive(params, 3.0, 6.0, m)), rel=1e-10, abs=1e-15
        )


def test_zero_horizons_and_windows():
    params = PAPER
    assert float(bgbb.expected_purchases_alive(params, 2.0, 6.0, 0.0)) == 0.0
    assert float(bgbb.expected_purchases_new(params, 0.0)) == 0.0
    assert float(bgbb.probability_n_purchases_alive(params, 0, 2.0, 6.0, 0.0)) == 1.0
    assert float(bgbb.probability_purchase_new(params, 4.0, 4.0)) == 0.0
    assert float(bgbb.probability_alive_new(params, 0.0)) == 1.0
    # a customer who bought at every occasion up to the last is alive for certain
    assert float(bgbb.probability_alive(params, 6.0, 6.0, 6.0)) == 1.0


# -- invariants (Hypothesis) -----------------------------------------------------------------
positive = st.floats(min_value=0.01, max_value=100.0, allow_nan=False)


@st.composite
def bgbb_params(draw):
    return np.array([draw(positive), draw(positive), draw(positive), draw(positive)])


@st.composite
def histories(draw, max_n: int = 300):
    n = draw(st.integers(min_value=0, max_value=max_n))
    x = draw(st.integers(min_value=0, max_value=n))
    t_x = 0 if x == 0 else draw(st.integers(min_value=x, max_value=n))
    return float(x), float(t_x), float(n)


@given(bgbb_params(), histories())
def test_likelihood_and_p_alive_are_finite_probabilities(params, history):
    ll = float(bgbb.loglik_rows(params, *history))
    p = float(bgbb.probability_alive(params, *history))
    assert np.isfinite(ll) and ll <= 1e-12  # a probability of the observed history
    assert 0.0 <= p <= 1.0


@given(bgbb_params(), histories(), st.integers(0, 400), st.integers(0, 400))
def test_expected_purchases_are_finite_and_grow_with_the_horizon(params, history, m, dm):
    x, _, n = history
    short = float(bgbb.expected_purchases_alive(params, x, n, m))
    long = float(bgbb.expected_purchases_alive(params, x, n, m + dm))
    assert np.isfinite(short) and np.isfinite(long)
    assert 0.0 <= short <= long * (1 + 1e-12) + 1e-300
    assert long <= m + dm + 1e-9  # at most one purchase per occasion
    assert 0.0 <= float(bgbb.expected_purchases_new(params, m)) <= m + 1e-9


@given(bgbb_params(), histories(max_n=60), st.integers(0, 60))
def test_conditional_counts_are_a_distribution(params, history, m):
    x, _, n = history
    k = np.arange(m + 1)
    probs = bgbb.probability_n_purchases_alive(params, k, x, n, m)
    assert np.all(np.isfinite(probs)) and probs.min() >= 0.0
    assert probs.sum() == pytest.approx(1.0, abs=1e-9)


@given(bgbb_params(), st.integers(0, 300), st.integers(0, 300))
def test_new_customer_probabilities_are_ordered(params, t1, dt):
    alive_1 = float(bgbb.probability_alive_new(params, t1))
    alive_2 = float(bgbb.probability_alive_new(params, t1 + dt))
    assert 0.0 <= alive_2 <= alive_1 * (1 + 1e-12) <= 1.0 + 1e-12
    buy = float(bgbb.probability_purchase_new(params, t1, t1 + dt))
    wider = float(bgbb.probability_purchase_new(params, t1, t1 + 2 * dt))
    assert 0.0 <= buy <= wider + 1e-12 <= 1.0 + 1e-12
    # a purchase in the window needs the customer alive at its first occasion
    assert buy <= float(bgbb.probability_alive_new(params, t1 + 1)) * (1 + 1e-9) + 1e-300


def test_parameter_arrays_broadcast_like_a_loop(rng):
    x, t_x, n = _cohort(rng, 300)  # repeated histories: evaluated once per distinct row
    draws = np.stack([PAPER * np.exp(rng.normal(0, 0.3, 4)) for _ in range(5)], axis=1)
    draws[2, 2] = 1.0  # gamma = 1, the removable singularity of the expectations
    stacked = draws[:, :, None]
    m = (np.arange(x.size) % 9).astype(float)
    calls = {
        "loglik_rows": lambda p: bgbb.loglik_rows(p, x, t_x, n),
        "probability_alive": lambda p: bgbb.probability_alive(p, x, t_x, n),
        "expected_purchases_alive": lambda p: bgbb.expected_purchases_alive(p, x, n, m),
        "probability_n_purchases_alive": lambda p: bgbb.probability_n_purchases_alive(
            p, 1, x, n, m
        ),
        "expected_purchases_new": lambda p: bgbb.expected_purchases_new(p, m),
        "probability_n_purchases_new": lambda p: bgbb.probability_n_purchases_new(p, 2, m),
        "probability_alive_new": lambda p: bgbb.probability_alive_new(p, m),
        "probability_purchase_new": lambda p: bgbb.probability_purchase_new(p, m, 2 * m),
    }
    for name, call in calls.items():
        together = call(stacked)
        assert together.shape == (draws.shape[1], x.size), name
        for k in range(draws.shape[1]):
            np.testing.assert_allclose(together[k], call(draws[:, k]), rtol=1e-13, err_msg=name)


def test_log_gamma_differences_match_mpmath():
    """``lnGamma(z + e) - lnGamma(z)`` without cancellation (the survival sums near
    gamma = 1 rest on it), against mpmath at 50 digits."""
    from clvkit.models._kernels.gammaratio import lgamma_diff

    zs = (1e-3, 0.5, 1.0, 3.7, 15.9, 16.0, 100.0, 1e3, 1e5)
    es = (-0.9, -1e-3, -1e-9, 0.0, 1e-12, 1e-6, 1e-3, 0.3, 1.0, 7.0, 99.0, 1e3, 1e5)
    z, e = (np.array(v) for v in zip(*itertools.product(zs, es), strict=True))
    e = np.where(e < 0, e * z, e)  # keep z + e > 0
    ours = lgamma_diff(z, e)
    with mp.workdps(50):
        for zi, ei, value in zip(z, e, ours, strict=True):
            ref = mp.loggamma(mp.mpf(zi) + mp.mpf(ei)) - mp.loggamma(mp.mpf(zi))
            assert value == pytest.approx(float(ref), rel=1e-13, abs=1e-15 * abs(ei)), (zi, ei)
