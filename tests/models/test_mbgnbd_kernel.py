"""The MBG/NBD kernel (Batislam, Denizel & Filiztekin 2007) against lifetimes 0.11.3's
``ModifiedBetaGeoFitter`` at the same parameters, against mpmath at 50 digits (the
untransformed formulas, or quadrature of the defining expectations), against its own
derivatives, and its invariants (Hypothesis)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clvkit.models._kernels import mbgnbd

mp = pytest.importorskip("mpmath")

NAMES = ("r", "alpha", "a", "b")
#: MBG/NBD on CDNOW (weeks, this kernel's fit), then parameters far from it
PARAMS = [
    np.array([0.525, 6.183, 0.891, 1.614]),
    np.array([2.0, 0.5, 3.0, 0.4]),
    np.array([0.05, 40.0, 0.2, 9.0]),
    np.array([1.7, 0.3, 1.5, 12.0]),
]


def _fitter(params: np.ndarray):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import ModifiedBetaGeoFitter
    fitter = ModifiedBetaGeoFitter()
    fitter.params_ = pd.Series(dict(zip(NAMES, params, strict=True)))
    return fitter


# -- references at 50 digits, from the papers' formulas --------------------------------------
def ll_mp(params, x, t_x, T):
    """Batislam et al. (2007) likelihood, both branches summed."""
    r, al, a, b = map(mp.mpf, params)
    x, t_x, T = mp.mpf(x), mp.mpf(t_x), mp.mpf(T)
    common = mp.exp(mp.loggamma(r + x) - mp.loggamma(r)) * al**r
    alive = mp.beta(a, b + x + 1) / mp.beta(a, b) * common / (al + T) ** (r + x)
    dead = mp.beta(a + 1, b + x) / mp.beta(a, b) * common / (al + t_x) ** (r + x)
    return mp.log(alive + dead)


def p_alive_mp(params, x, t_x, T):
    r, al, a, b = map(mp.mpf, params)
    x, t_x, T = mp.mpf(x), mp.mpf(t_x), mp.mpf(T)
    return 1 / (1 + a / (b + x) * ((al + T) / (al + t_x)) ** (r + x))


def expected_alive_mp(params, x, T, t):
    """Wagner & Hoppe's conditional expectation without P(alive), untransformed 2F1; at
    a = 1 the limit, as the value at a = 1 + 1e-30 evaluated with 90 digits."""
    with mp.workdps(90):
        r, al, a, b = map(mp.mpf, params)
        if a == 1:
            a += mp.mpf("1e-30")
        x, T, t = mp.mpf(x), mp.mpf(T), mp.mpf(t)
        z = t / (al + T + t)
        hyp = mp.hyp2f1(r + x, b + x + 1, a + b + x, z)
        return (a + b + x) / (a - 1) * (1 - ((al + T) / (al + T + t)) ** (r + x) * hyp)


def expected_new_mp(params, t):
    with mp.workdps(90):
        r, al, a, b = map(mp.mpf, params)
        if a == 1:
            a += mp.mpf("1e-30")
        t = mp.mpf(t)
        hyp = mp.hyp2f1(r, b + 1, a + b, t / (al + t))
        return b / (a - 1) * (1 - (al / (al + t)) ** r * hyp)


def pmf_new_mp(params, n, t):
    """Batislam et al. (2007): the negative binomial tail written as the paper's finite sum
    ``1 - sum_{j<n}``, which cancels down to values near 1e-50: summed with 150 digits."""
    with mp.workdps(150):
        r, al, a, b = map(mp.mpf, params)
        t = mp.mpf(t)
        q = t / (al + t)

        def nb(j):
            log_nb = mp.loggamma(r + j) - mp.loggamma(r) - mp.loggamma(j + 1)
            return mp.exp(log_nb) * (1 - q) ** r * q**j

        tail = 1 - mp.fsum(nb(j) for j in range(n))
        return (
            mp.beta(a, b + n + 1) / mp.beta(a, b) * nb(n)
            + mp.beta(a + 1, b + n) / mp.beta(a, b) * tail
        )


def _beta_expectation(params, f):
    """E[f(p)] over p ~ Beta(a, b) by quadrature (split at 1/2 for the endpoint powers)."""
    _, _, a, b = map(mp.mpf, params)
    density = lambda p: p ** (a - 1) * (1 - p) ** (b - 1) / mp.beta(a, b)  # noqa: E731
    return mp.quad(lambda p: density(p) * f(p), [0, mp.mpf(1) / 2, 1])


def alive_new_quad(params, t):
    """E[(1-p) (alpha/(alpha + p t))^r]: survive the first purchase and every later one."""
    r, al = mp.mpf(params[0]), mp.mpf(params[1])
    return _beta_expectation(params, lambda p: (1 - p) * (al / (al + p * t)) ** r)


def purchase_new_quad(params, t1, t2):
    """E[(1-p) e^(-lambda p t1) (1 - e^(-lambda (t2 - t1)))] over lambda, then over p."""
    r, al = mp.mpf(params[0]), mp.mpf(params[1])

    def f(p):
        return (1 - p) * ((al / (al + p * t1)) ** r - (al / (al + p * t1 + (t2 - t1))) ** r)

    return _beta_expectation(params, f)


# -- likelihood and derivatives --------------------------------------------------------------
def _cohort(rng: np.random.Generator, n: int = 600) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    T = rng.choice([20.0, 39.0, 52.5], size=n)
    x = rng.poisson(1.5, size=n).astype(float)
    t_x = np.where(x > 0, np.round(rng.uniform(0.05, 1.0, size=n) * T, 1), 0.0)
    return x, t_x, T


def _central(f, p: np.ndarray, h: float = 1e-6) -> np.ndarray:
    out = []
    for i in range(p.size):
        e = np.zeros_like(p)
        e[i] = h * p[i]
        out.append((f(p + e) - f(p - e)) / (2 * h * p[i]))
    return np.array(out)


@pytest.mark.parametrize("params", PARAMS)
def test_derivatives_match_finite_differences(rng, params):
    x, t_x, T = _cohort(rng)
    data = mbgnbd.prepare(x, t_x, T, np.ones_like(x))
    ll, g, H = mbgnbd.loglik_derivatives(params, data, 2)
    assert ll == pytest.approx(mbgnbd.loglik_rows(params, x, t_x, T).sum(), rel=1e-12)
    g_num = _central(lambda p: mbgnbd.loglik_derivatives(p, data, 0)[0], params)
    H_num = _central(lambda p: mbgnbd.loglik_derivatives(p, data, 1)[1], params)
    np.testing.assert_allclose(g, g_num, rtol=1e-5, atol=1e-6 * abs(ll))
    np.testing.assert_allclose(H, H_num.T, rtol=1e-5, atol=1e-6 * np.abs(H).max())
    np.testing.assert_array_equal(H, H.T)


def test_weights_equal_duplicated_rows(rng):
    x, t_x, T = _cohort(rng, 200)
    w = rng.integers(0, 4, size=x.size).astype(float)
    weighted = mbgnbd.prepare(x, t_x, T, w)
    rep = np.repeat(np.arange(x.size), w.astype(int))
    copied = mbgnbd.prepare(x[rep], t_x[rep], T[rep], np.ones(rep.size))
    assert weighted.n_distinct == copied.n_distinct <= x.size
    for a, b in zip(
        mbgnbd.loglik_derivatives(PARAMS[1], weighted),
        mbgnbd.loglik_derivatives(PARAMS[1], copied),
        strict=True,
    ):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_gradient_matches_mpmath_differentiation():
    """The analytic gradient against mpmath's numerical derivative (50 digits) of the
    summed likelihood, on a small cohort with extreme histories."""
    rows = [(0, 0.0, 0.5), (0, 0.0, 1000.0), (1, 0.2, 0.5), (30, 12.0, 39.0), (1000, 999.0, 1000.0)]
    x, t_x, T = (np.array(c, float) for c in zip(*rows, strict=True))
    data = mbgnbd.prepare(x, t_x, T, np.array([3.0, 1.0, 2.0, 1.0, 1.0]))
    weights = [3, 1, 2, 1, 1]
    for params in (
        PARAMS[0],
        np.array([0.01, 100.0, 1.0, 0.01]),
        np.array([100.0, 0.01, 30.0, 80.0]),
    ):
        _, g, _ = mbgnbd.loglik_derivatives(params, data, 1)
        with mp.workdps(50):
            for i in range(4):

                def total(v, i=i, params=params):
                    p = [mp.mpf(c) for c in params]
                    p[i] = v
                    return mp.fsum(w * ll_mp(p, *row) for w, row in zip(weights, rows, strict=True))

                ref = mp.diff(total, mp.mpf(params[i]))
                assert g[i] == pytest.approx(float(ref), rel=1e-8, abs=1e-10)


def _check_pmf_against_lifetimes(params, fitter, ts, ns) -> int:
    """P(X(t) = n) against lifetimes at 1e-8. Where the two differ, lifetimes' tail
    ``1 - sum_{j<n}`` has cancelled (the tail is below 1e-6): there lifetimes is shown off
    mpmath and the kernel is compared with mpmath instead. Returns how many cells that was."""
    from scipy.special import betainc

    r, alpha = params[0], params[1]
    off = 0
    for t in ts:
        for n in ns:
            ours = float(mbgnbd.probability_n_purchases_new(params, n, t))
            theirs = float(fitter.probability_of_n_purchases_up_to_time(t, n))
            if ours == pytest.approx(theirs, rel=1e-8, abs=1e-300):
                continue
            off += 1
            ref = float(pmf_new_mp(params, n, t))
            assert ours == pytest.approx(ref, rel=1e-8, abs=1e-300)
            assert abs(theirs / ref - 1) > 1e-8
            assert betainc(n, r, t / (alpha + t)) < 1e-6
    return off


# -- parity with lifetimes -------------------------------------------------------------------
@pytest.mark.parametrize("params", PARAMS)
def test_predictions_match_lifetimes_on_cdnow(cdnow_rfm, params):
    fitter = _fitter(params)
    x, t_x, T = (cdnow_rfm[c].to_numpy(float) for c in ("frequency", "recency", "T"))
    p_alive = mbgnbd.probability_alive(params, x, t_x, T)
    np.testing.assert_allclose(
        p_alive, fitter.conditional_probability_alive(x, t_x, T), rtol=1e-8, atol=0
    )
    for t in (1.0, 10.0, 39.0, 52.0, 200.0):
        ours = p_alive * mbgnbd.expected_purchases_alive(params, x, T, t)
        theirs = fitter.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T)
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=0)
    ts = np.array([0.5, 1.0, 10.0, 39.0, 78.0, 400.0])
    np.testing.assert_allclose(
        mbgnbd.expected_purchases_new(params, ts),
        fitter.expected_number_of_purchases_up_to_time(ts),
        rtol=1e-8,
    )
    _check_pmf_against_lifetimes(params, fitter, ts, (0, 1, 2, 3, 5, 8, 13, 24))
    # per-row log-likelihood: lifetimes' objective on one distinct row at a time
    data = mbgnbd.prepare(x, t_x, T, np.ones_like(x))
    rows = np.arange(data.n_distinct)[:: max(1, data.n_distinct // 60)]
    none = np.zeros(data.rows.zero_T.size)  # the rows without a repeat purchase come first
    xr = np.concatenate([none, data.rows.rep_x()])[rows]
    txr = np.concatenate([none, data.rows.rep_tx])[rows]
    Tr = np.concatenate([data.rows.zero_T, data.rows.rep_T])[rows]
    theirs = [
        -fitter._negative_log_likelihood(
            np.log(params), xr[i : i + 1], txr[i : i + 1], Tr[i : i + 1], np.ones(1), 0.0
        )
        for i in range(rows.size)
    ]
    np.testing.assert_allclose(mbgnbd.loglik_rows(params, xr, txr, Tr), theirs, rtol=1e-8)


def _simulated_grid() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cells = {
        (x, 0.0 if x == 0 else frac * T, T)
        for x, T, frac in itertools.product(
            [0, 1, 2, 5, 20, 60], [0.5, 5.0, 39.0, 200.0], [0.05, 0.5, 1.0]
        )
    }
    return tuple(np.array(c, float) for c in zip(*sorted(cells), strict=True))  # type: ignore[return-value]


@pytest.mark.parametrize("params", PARAMS)
def test_predictions_match_lifetimes_on_a_grid(params):
    fitter = _fitter(params)
    x, t_x, T = _simulated_grid()
    p_alive = mbgnbd.probability_alive(params, x, t_x, T)
    np.testing.assert_allclose(p_alive, fitter.conditional_probability_alive(x, t_x, T), rtol=1e-8)
    for t in (1.0, 10.0, 52.0, 500.0):
        with np.errstate(all="ignore"):
            theirs = fitter.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T)
        ours = p_alive * mbgnbd.expected_purchases_alive(params, x, T, t)
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-300)
    for i in range(x.size):
        their_ll = -fitter._negative_log_likelihood(
            np.log(params), x[i : i + 1], t_x[i : i + 1], T[i : i + 1], np.ones(1), 0.0
        )
        assert float(mbgnbd.loglik_rows(params, x[i], t_x[i], T[i])) == pytest.approx(
            their_ll, rel=1e-8
        )


def test_where_lifetimes_breaks_the_kernel_matches_mpmath():
    """Heavy buyers: lifetimes' conditional expectation (scipy's 2F1 with parameters near
    400, untransformed) comes out NaN or -inf; mpmath agrees with the kernel."""
    fitter = _fitter(PARAMS[0])
    cases = [(400.0, 0.25, 0.5, 52.0), (400.0, 1.95, 39.0, 500.0), (100.0, 0.5, 0.5, 10.0)]
    with np.errstate(all="ignore"):
        broken = [
            fitter.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T)
            for x, t_x, T, t in cases
        ]
    assert not np.all(np.isfinite(broken))
    for x, t_x, T, t in cases:
        ours = float(
            mbgnbd.probability_alive(PARAMS[0], x, t_x, T)
            * mbgnbd.expected_purchases_alive(PARAMS[0], x, T, t)
        )
        with mp.workdps(50):
            ref = p_alive_mp(PARAMS[0], x, t_x, T) * expected_alive_mp(PARAMS[0], x, T, t)
        assert ours == pytest.approx(float(ref), rel=1e-8, abs=1e-300)


# -- mpmath on a grid of extremes ------------------------------------------------------------
R_ALPHA_B = (0.01, 1.0, 100.0)
A_VALUES = (0.02, 1.0 - 1e-7, 1.0, 1.0 + 1e-4, 1.5, 100.0)
HISTORIES = [
    (0, 0.0, 0.5),
    (0, 0.0, 1000.0),
    (1, 0.1, 0.5),
    (30, 10.0, 39.0),
    (30, 39.0, 39.0),
    (1000, 300.0, 1000.0),
    (1000, 1000.0, 1000.0),
]


def _param_grid():
    return [np.array(p) for p in itertools.product(R_ALPHA_B, R_ALPHA_B, A_VALUES, R_ALPHA_B)]


def test_loglik_and_p_alive_match_mpmath_on_extremes():
    grid = _param_grid()
    x, t_x, T = (np.array(c, float) for c in zip(*HISTORIES, strict=True))
    with mp.workdps(50):
        for params in grid:
            ll = mbgnbd.loglik_rows(params, x, t_x, T)
            pa = mbgnbd.probability_alive(params, x, t_x, T)
            assert np.all(np.isfinite(ll)) and np.all((pa >= 0) & (pa <= 1))
            for i, row in enumerate(HISTORIES):
                assert ll[i] == pytest.approx(float(ll_mp(params, *row)), rel=1e-10)
                assert pa[i] == pytest.approx(float(p_alive_mp(params, *row)), rel=1e-9, abs=1e-300)


@pytest.mark.slow
def test_expectations_match_mpmath_on_extremes():
    """A seeded sample of 200 cells of parameters x history x horizon (horizons 0.1, 10,
    1000), and of 100 parameter set x horizon cells for the new customer."""
    rng = np.random.default_rng(11)
    grid = _param_grid()
    cells = list(itertools.product(range(len(grid)), range(len(HISTORIES)), (0.1, 10.0, 1000.0)))
    for k in rng.choice(len(cells), size=200, replace=False):
        gi, hi, t = cells[k]
        params, (x, _, T) = grid[gi], HISTORIES[hi]
        ours = float(mbgnbd.expected_purchases_alive(params, x, T, t))
        ref = float(expected_alive_mp(params, x, T, t))
        assert np.isfinite(ours)
        assert ours == pytest.approx(ref, rel=1e-8), (params, x, T, t)
    new_cells = list(itertools.product(range(len(grid)), (0.1, 10.0, 1000.0)))
    for k in rng.choice(len(new_cells), size=100, replace=False):
        gi, t = new_cells[k]
        ours = float(mbgnbd.expected_purchases_new(grid[gi], t))
        assert ours == pytest.approx(float(expected_new_mp(grid[gi], t)), rel=1e-8), (grid[gi], t)


@pytest.mark.slow
def test_new_customer_probabilities_match_mpmath():
    """P(X(t) = n) against the paper's finite sum; P(alive at t) and P(purchase in
    (t1, t2]) against quadrature of their defining expectations (the derivation)."""
    sets = [PARAMS[0], np.array([0.01, 100.0, 1.0, 0.5]), np.array([100.0, 1.0, 20.0, 100.0])]
    with mp.workdps(50):
        for params in sets:
            for n, t in itertools.product((0, 1, 7, 60), (0.5, 39.0, 1000.0)):
                ours = float(mbgnbd.probability_n_purchases_new(params, n, t))
                assert ours == pytest.approx(float(pmf_new_mp(params, n, t)), rel=1e-8, abs=1e-290)
            for t in (0.0, 52.0, 1000.0):
                ours = float(mbgnbd.probability_alive_new(params, t))
                assert ours == pytest.approx(float(alive_new_quad(params, t)), rel=1e-9)
            for t1, t2 in ((0.0, 3.0), (5.0, 6.0), (10.0, 1000.0)):
                ours = float(mbgnbd.probability_purchase_new(params, t1, t2))
                assert ours == pytest.approx(
                    float(purchase_new_quad(params, t1, t2)), rel=1e-8, abs=1e-15
                )


# -- internal consistency --------------------------------------------------------------------
@pytest.mark.parametrize("params", PARAMS)
def test_count_distributions_sum_to_one_and_have_the_expected_mean(params):
    t = np.array([0.0, 2.0, 39.0, 150.0])
    n = np.arange(20000)[:, None]
    new = mbgnbd.probability_n_purchases_new(params, n, t[None, :])
    np.testing.assert_allclose(new.sum(axis=0), 1.0, atol=1e-10)
    np.testing.assert_allclose(
        (n * new).sum(axis=0), mbgnbd.expected_purchases_new(params, t), rtol=1e-8, atol=1e-12
    )
    alive = mbgnbd.probability_n_purchases_alive(params, n, 3.0, 39.0, t[None, :])
    np.testing.assert_allclose(alive.sum(axis=0), 1.0, atol=1e-10)
    np.testing.assert_allclose(
        (n * alive).sum(axis=0),
        mbgnbd.expected_purchases_alive(params, 3.0, 39.0, t),
        rtol=1e-8,
        atol=1e-12,
    )
    # the new customer is the customer alive at 0 with no purchase, once past the first
    # drop-out chance
    np.testing.assert_allclose(
        mbgnbd.expected_purchases_new(params, t),
        params[3] / (params[2] + params[3]) * mbgnbd.expected_purchases_alive(params, 0.0, 0.0, t),
        rtol=1e-12,
    )


def test_zero_horizons_and_windows():
    params = PARAMS[0]
    assert float(mbgnbd.expected_purchases_alive(params, 4.0, 30.0, 0.0)) == 0.0
    assert float(mbgnbd.expected_purchases_new(params, 0.0)) == 0.0
    assert float(mbgnbd.probability_n_purchases_alive(params, 0, 4.0, 30.0, 0.0)) == 1.0
    assert float(mbgnbd.probability_purchase_new(params, 7.0, 7.0)) == 0.0
    a, b = params[2], params[3]
    # at age 0 the customer survived the first purchase with probability b/(a+b)
    assert float(mbgnbd.probability_alive_new(params, 0.0)) == pytest.approx(b / (a + b), rel=1e-14)


# -- invariants (Hypothesis) -----------------------------------------------------------------
positive = st.floats(min_value=0.01, max_value=100.0, allow_nan=False)


@st.composite
def mbg_params(draw):
    return np.array([draw(positive), draw(positive), draw(positive), draw(positive)])


@st.composite
def histories(draw, max_x: int = 1000):
    T = draw(st.floats(min_value=0.0, max_value=1000.0))
    x = draw(st.integers(min_value=0, max_value=max_x)) if T > 0 else 0
    t_x = 0.0 if x == 0 else draw(st.floats(min_value=0.0, max_value=T))
    return float(x), t_x, T


@given(mbg_params(), histories())
def test_likelihood_and_p_alive_are_finite_probabilities(params, history):
    x, t_x, T = (np.array([v]) for v in history)
    ll = mbgnbd.loglik_rows(params, x, t_x, T)[0]
    p = mbgnbd.probability_alive(params, x, t_x, T)[0]
    assert np.isfinite(ll)
    if x[0] == 0:  # a probability (for x > 0 a density in the purchase times)
        assert ll <= 1e-12
    assert 0.0 <= p <= 1.0


@given(mbg_params(), histories(max_x=200), st.floats(0.0, 300.0), st.floats(0.0, 300.0))
def test_expected_purchases_are_finite_and_grow_with_the_horizon(params, history, t, dt):
    x, _, T = history
    short = float(mbgnbd.expected_purchases_alive(params, x, T, t))
    long = float(mbgnbd.expected_purchases_alive(params, x, T, t + dt))
    assert np.isfinite(short) and np.isfinite(long)
    assert short >= 0.0
    assert long >= short * (1 - 1e-9)
    new_short = float(mbgnbd.expected_purchases_new(params, t))
    new_long = float(mbgnbd.expected_purchases_new(params, t + dt))
    assert 0.0 <= new_short <= new_long * (1 + 1e-9) + 1e-300


@given(mbg_params(), st.floats(0.0, 300.0), st.floats(0.0, 300.0))
def test_new_customer_probabilities_are_ordered(params, t1, dt):
    alive_1 = float(mbgnbd.probability_alive_new(params, t1))
    alive_2 = float(mbgnbd.probability_alive_new(params, t1 + dt))
    assert 0.0 <= alive_2 <= alive_1 * (1 + 1e-12) <= 1.0 + 1e-12
    buy = float(mbgnbd.probability_purchase_new(params, t1, t1 + dt))
    wider = float(mbgnbd.probability_purchase_new(params, t1, t1 + 2 * dt))
    assert 0.0 <= buy <= wider + 1e-12 <= 1.0 + 1e-12
    # a purchase in the window needs the customer alive at its start
    assert buy <= alive_1 * (1 + 1e-9) + 1e-15


@given(mbg_params(), histories(max_x=50), st.floats(0.0, 60.0))
def test_conditional_counts_are_a_distribution_with_the_expected_mean(params, history, t):
    x, _, T = history
    expected = float(mbgnbd.expected_purchases_alive(params, x, T, t))
    n = np.arange(3000)
    probs = mbgnbd.probability_n_purchases_alive(params, n, x, T, t)
    assert np.all(np.isfinite(probs)) and probs.min() >= 0.0
    total = probs.sum()
    # Markov: what lies beyond the last count is at most E[X] / 3000
    assert 1.0 - expected / n.size - 1e-9 <= total <= 1.0 + 1e-9


def test_parameter_arrays_broadcast_like_a_loop(rng):
    """``params`` of shape (4, d, 1) against customers (n,) give (d, n), row k equal to
    the call at draw k (the convention of the kernel protocol)."""
    x, t_x, T = _cohort(rng, 40)
    draws = np.stack([PARAMS[0] * np.exp(rng.normal(0, 0.3, 4)) for _ in range(5)], axis=1)
    draws[2, 2] = 1.0  # one draw on the removable singularity
    stacked = draws[:, :, None]
    t = np.linspace(0.0, 80.0, x.size)
    calls = {
        "loglik_rows": lambda p: mbgnbd.loglik_rows(p, x, t_x, T),
        "probability_alive": lambda p: mbgnbd.probability_alive(p, x, t_x, T),
        "expected_purchases_alive": lambda p: mbgnbd.expected_purchases_alive(p, x, T, t),
        "probability_n_purchases_alive": lambda p: mbgnbd.probability_n_purchases_alive(
            p, 2, x, T, t
        ),
        "expected_purchases_new": lambda p: mbgnbd.expected_purchases_new(p, t),
        "probability_n_purchases_new": lambda p: mbgnbd.probability_n_purchases_new(p, x, t),
        "probability_alive_new": lambda p: mbgnbd.probability_alive_new(p, t),
        "probability_purchase_new": lambda p: mbgnbd.probability_purchase_new(p, 0.5 * t, t),
    }
    for name, call in calls.items():
        together = call(stacked)
        assert together.shape == (draws.shape[1], x.size), name
        for k in range(draws.shape[1]):
            np.testing.assert_allclose(together[k], call(draws[:, k]), rtol=1e-13, err_msg=name)
