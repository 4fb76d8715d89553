"""Pareto/NBD numerics at the extremes, against mpmath at 50 significant digits.

The references are computed in the test, with mpmath (``mp.dps = 50``), from the paper's
own formulas and share no code or transformation with the kernel:

- the log-likelihood and P(alive): Fader & Hardie (2005), "A note on deriving the
  Pareto/NBD model and related expressions", eqs. 18-22 and 36-37, with ``A_0`` as the
  difference of the *untransformed* Gauss hypergeometric functions on the branch the note
  prescribes (``alpha >= beta`` or ``alpha < beta``), evaluated by ``mpmath.hyp2f1``;
- expected purchases (alive part, eq. 41 without P(alive), and a new customer's, eq. 27,
  the same formula at ``x = T = 0``) in the paper's ``(s - 1)`` form, whose cancellation
  near ``s = 1`` costs nothing at 50 digits, and its limit at ``s = 1``;
- the gradient by ``mpmath.diff`` of the reference log-likelihood.

The grid spans x up to 1,000, T up to 1,000, alpha and beta from 1e-3 to 1e3 (equal, equal
to 1e-9 and 1e-5 relative, and far apart both ways), r and s from 1e-2 to 1e2, and
``s = 1``. A Hypothesis property covers the valid inputs in between.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from clvkit.models._kernels import pareto_nbd as pn

mp = pytest.importorskip("mpmath")

DPS = 50
RS = [0.01, 1.0, 100.0]
SS = [0.01, 1.0, 100.0]
ALPHA_BETA = [
    (1e-3, 1e-3),
    (1e3, 1e3),
    (1.0, 1.0 + 1e-9),
    (7.0, 7.0 * (1.0 - 1e-5)),
    (1e-3, 1e3),
    (1e3, 1e-3),
    (2.0, 0.5),
]
HISTORIES = [  # (x, t_x, T)
    (0, 0.0, 1e-3),
    (0, 0.0, 1000.0),
    (1, 0.5, 1000.0),
    (10, 30.0, 39.0),
    (200, 38.0, 40.0),
    (1000, 999.0, 1000.0),
    (1000, 1.0, 1000.0),
    (1000, 1000.0, 1000.0),
]
PARAMS = [(r, alpha, s, beta) for r, s, (alpha, beta) in itertools.product(RS, SS, ALPHA_BETA)]


def _mpf(*values):
    # (the references never lower the working precision: mpmath.diff raises it for its steps)
    return [mp.mpf(v) for v in values]  # exact for floats; keeps mpmath.diff's steps


def _a0(r, alpha, s, beta, x, t_x, T):
    """``A_0`` of the note, eqs. 19-20 (the branch with the argument in [0, 1))."""
    m = r + s + x
    if alpha >= beta:
        big, upper = alpha, s + 1
    else:
        big, upper = beta, r + x
    gap = abs(alpha - beta)

    def term(tau):
        return mp.hyp2f1(m, upper, m + 1, gap / (big + tau)) / (big + tau) ** m

    return term(t_x) - term(T)


def loglik_mp(params, x, t_x, T):
    with mp.workdps(max(DPS, mp.mp.dps)):
        r, alpha, s, beta = _mpf(*params)
        x, t_x, T = _mpf(x, t_x, T)
        head = mp.loggamma(r + x) - mp.loggamma(r) + r * mp.log(alpha) + s * mp.log(beta)
        alive = (alpha + T) ** (-(r + x)) * (beta + T) ** (-s)
        return head + mp.log(alive + s / (r + s + x) * _a0(r, alpha, s, beta, x, t_x, T))


def p_alive_mp(params, x, t_x, T):
    with mp.workdps(max(DPS, mp.mp.dps)):
        r, alpha, s, beta = _mpf(*params)
        x, t_x, T = _mpf(x, t_x, T)
        odds = (
            s
            / (r + s + x)
            * (alpha + T) ** (r + x)
            * (beta + T) ** s
            * _a0(r, alpha, s, beta, x, t_x, T)
        )
        return 1 / (1 + odds)


def expected_alive_mp(params, x, T, t):
    """Eq. 41 without P(alive): ``(r+x)/(alpha+T) (beta+T) [1 - ((beta+T)/(beta+T+t))^(s-1)]
    / (s-1)``, at 50 digits (so the cancellation near ``s = 1`` costs nothing), and its
    limit ``(r+x)/(alpha+T) (beta+T) log(1 + t/(beta+T))`` at ``s = 1``."""
    with mp.workdps(max(DPS, mp.mp.dps)):
        r, alpha, s, beta = _mpf(*params)
        x, T, t = _mpf(x, T, t)
        b = beta + T
        limit = s == 1
        window = b * mp.log1p(t / b) if limit else b * (1 - (b / (b + t)) ** (s - 1)) / (s - 1)
        return (r + x) / (alpha + T) * window


def _rel(ours, ref):
    ref = float(ref)
    return abs(float(ours) - ref) / max(abs(ref), 1e-300)


# -- the grid -----------------------------------------------------------------------------------
@pytest.mark.parametrize("params", PARAMS, ids=[f"{p}" for p in PARAMS])
def test_loglik_and_p_alive_match_mpmath(params):
    p = np.array(params)
    x, t_x, T = (np.array(col, dtype=float) for col in zip(*HISTORIES, strict=True))
    ll = pn.loglik_rows(p, x, t_x, T)
    alive = pn.probability_alive(p, x, t_x, T)
    assert np.all(np.isfinite(ll)) and np.all((alive >= 0) & (alive <= 1))
    for i, history in enumerate(HISTORIES):
        ref = loglik_mp(params, *history)
        # the log-likelihood relative to its size (it is a sum of large terms: 1e-8 of it)
        assert abs(ll[i] - float(ref)) <= 1e-8 * max(1.0, abs(float(ref))), history
        ref_alive = p_alive_mp(params, *history)
        assert _rel(alive[i], ref_alive) < 1e-8 or abs(alive[i] - float(ref_alive)) < 1e-300
    # the fitting pass (per-pair terms, analytic derivatives) gives the same total
    data = pn.prepare(x, t_x, T, np.ones(x.size))
    total = pn.loglik_derivatives(p, data, 0)[0]
    assert total == pytest.approx(ll.sum(), rel=1e-12)


@pytest.mark.parametrize("params", PARAMS, ids=[f"{p}" for p in PARAMS])
def test_expected_purchases_match_mpmath(params):
    p = np.array(params)
    horizons = [1e-3, 1.0, 52.0, 1000.0]
    for (x, _, T), t in itertools.product(HISTORIES[::2], horizons):
        ours = pn.expected_purchases_alive(p, np.array([float(x)]), np.array([T]), t)[0]
        assert _rel(ours, expected_alive_mp(params, x, T, t)) < 1e-8, (x, T, t)
    for t in horizons:
        ours = float(pn.expected_purchases_new(p, t))
        assert _rel(ours, expected_alive_mp(params, 0, 0.0, t)) < 1e-8, t


GRADIENT_HISTORIES = [HISTORIES[1], HISTORIES[3], HISTORIES[6], HISTORIES[4]]
# every parameter set with one history, the histories in turn (all four meet every
# alpha/beta pair and both ends of r and s): 63 differentiations instead of 252
GRADIENT_CASES = [
    (params, GRADIENT_HISTORIES[i % len(GRADIENT_HISTORIES)]) for i, params in enumerate(PARAMS)
]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("params", "history"), GRADIENT_CASES, ids=[f"{c}" for c in GRADIENT_CASES]
)
def test_gradient_matches_mpmath_differentiation(params, history):
    """The analytic gradient of the fitting pass against ``mpmath.diff`` of the reference."""
    x, t_x, T = (np.array([float(v)]) for v in history)
    _, grad, hess = pn.loglik_derivatives(np.array(params), pn.prepare(x, t_x, T, np.ones(1)), 2)
    assert hess is not None and np.all(np.isfinite(hess))
    with mp.workdps(max(DPS, mp.mp.dps)):
        point = _mpf(*params)
        for k in range(4):
            ref = mp.diff(
                lambda *q, h=history: loglik_mp(q, *h),
                point,
                tuple(int(j == k) for j in range(4)),
            )
            # relative, with a floor at 1e-9 of the log-likelihood's size per unit of the
            # log-parameter: the log-likelihood is a sum of terms that large, so float64
            # cannot resolve a derivative below ~1e-15 of it (measured: 6e-11 at worst)
            floor = 1e-9 * max(1.0, abs(float(loglik_mp(params, *history)))) / params[k]
            assert abs(grad[k] - float(ref)) <= 1e-8 * abs(float(ref)) + floor, (history, k)


# -- properties over valid inputs ---------------------------------------------------------------
def _log_uniform(lo: float, hi: float):
    return st.floats(lo, hi).map(lambda e: float(10.0**e))


parameters = st.tuples(
    _log_uniform(-2, 2), _log_uniform(-3, 3), _log_uniform(-2, 2), _log_uniform(-3, 3)
)


@st.composite
def histories(draw):
    n = draw(st.integers(1, 4))
    x = np.array(draw(st.lists(st.integers(0, 1000), min_size=n, max_size=n)), dtype=float)
    T = np.array(draw(st.lists(st.floats(0.0, 1000.0), min_size=n, max_size=n)))
    frac = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    t_x = np.where(x > 0, np.minimum(frac * T, T), 0.0)
    return x, t_x, T


@given(params=parameters, other=parameters, history=histories(), t=st.floats(0.0, 1000.0))
def test_valid_inputs_give_valid_outputs(params, other, history, t):
    p = np.array(params)
    x, t_x, T = history
    ll = pn.loglik_rows(p, x, t_x, T)
    alive = pn.probability_alive(p, x, t_x, T)
    assert np.all(np.isfinite(ll))
    assert np.all(np.isfinite(alive)) and np.all((alive >= 0.0) & (alive <= 1.0))
    horizons = np.array([0.0, t / 4, t / 2, t])
    e = pn.expected_purchases_alive(p, x[:, None], T[:, None], horizons)
    assert np.all(np.isfinite(e)) and np.all(e >= 0.0) and np.all(e[:, 0] == 0.0)
    assert np.all(np.diff(e, axis=1) >= -1e-12 * e[:, 1:])
    e_new = pn.expected_purchases_new(p, horizons)
    assert np.all(np.isfinite(e_new)) and np.all(np.diff(e_new) >= -1e-12 * e_new[1:])
    for fn in (pn.probability_alive_new, lambda q, h: pn.probability_purchase_new(q, h / 3, h)):
        v = fn(p, horizons)
        assert np.all(np.isfinite(v)) and np.all((v >= 0.0) & (v <= 1.0))
    pmf = pn.probability_n_purchases_alive(p, np.array([[0], [1], [7]]), x, T, t)
    assert np.all(np.isfinite(pmf)) and np.all((pmf >= 0.0) & (pmf <= 1.0))
    # a vector of parameters and a stack of draws give the same numbers
    draws = np.stack([p, np.array(other)], axis=1)[:, :, None]
    for fn in (
        lambda q: pn.loglik_rows(q, x, t_x, T),
        lambda q: pn.probability_alive(q, x, t_x, T),
        lambda q: pn.expected_purchases_alive(q, x, T, t),
        lambda q: pn.probability_n_purchases_alive(q, 1, x, T, t),
    ):
        np.testing.assert_allclose(fn(draws)[0], fn(p), rtol=1e-13)


@given(
    params=parameters,
    x=st.integers(0, 15),
    T=st.floats(0.0, 1000.0),
    q=st.floats(0.0, 0.6),
)
def test_pmf_sums_to_one(params, x, T, q):
    """Over counts 0..399, with the horizon ``t = q (alpha+T)/(1-q)``: the posterior negative
    binomial of shape ``r + x <= 20`` falls like ``n^(r+x-1) q^n`` past its mode, so with
    ``q <= 0.6`` the counts beyond 400 carry less than 1e-40."""
    p = np.array(params)
    assume(p[0] + x <= 20.0)
    t = q * (p[1] + T) / (1.0 - q)
    pmf = pn.probability_n_purchases_alive(p, np.arange(400), float(x), T, t)
    assert np.all((pmf >= 0.0) & (pmf <= 1.0))
    assert pmf.sum() == pytest.approx(1.0, rel=1e-9)
    mean = pn.expected_purchases_alive(p, float(x), T, t)
    assert np.arange(400) @ pmf == pytest.approx(mean, rel=1e-7, abs=1e-12)
