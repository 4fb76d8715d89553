"""Numerical stability at the extremes, against mpmath at 50 significant digits.

The reference values are computed in the test with mpmath (``mp.dps = 50``) straight from
the paper's formulas — the BG/NBD likelihood (Fader, Hardie & Lee 2005, eq. 6) and the
conditional expectation (eq. 10) with the *untransformed* Gaussian hypergeometric function
— so they share no code or transformation with the kernels under test. The extreme points
follow Hardie's note on numerical stability ("x = 200, t_x = 38, T = 40 at r = 0.25,
alpha = 4, a = 0.8, b = 2.5") and push further: thousands of repeat purchases, T in the
tens of thousands of days, horizons of a century, tiny and huge parameters.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import clvkit as ck
from clvkit.models._kernels import bgnbd

mp = pytest.importorskip("mpmath")
mp.mp.dps = 50


def ll_mp(params, x, t_x, T):
    r, al, a, b = map(mp.mpf, params)
    x, t_x, T = mp.mpf(x), mp.mpf(t_x), mp.mpf(T)
    common = mp.gamma(r + x) * al**r / mp.gamma(r)
    alive = mp.beta(a, b + x) / mp.beta(a, b) * common / (al + T) ** (r + x)
    dead = (
        mp.beta(a + 1, b + x - 1) / mp.beta(a, b) * common / (al + t_x) ** (r + x) if x > 0 else 0
    )
    return mp.log(alive + dead)


def alive_part_mp(params, x, T, t):
    r, al, a, b = map(mp.mpf, params)
    x, T, t = mp.mpf(x), mp.mpf(T), mp.mpf(t)
    z = t / (al + T + t)
    hyp = mp.hyp2f1(r + x, b + x, a + b + x - 1, z)
    return (a + b + x - 1) / (a - 1) * (1 - ((al + T) / (al + T + t)) ** (r + x) * hyp)


def p_alive_mp(params, x, t_x, T):
    r, al, a, b = map(mp.mpf, params)
    if x == 0:
        return mp.mpf(1)
    x, t_x, T = mp.mpf(x), mp.mpf(t_x), mp.mpf(T)
    return 1 / (1 + a / (b + x - 1) * ((al + T) / (al + t_x)) ** (r + x))


HARDIE = (0.25, 4.0, 0.8, 2.5)
HISTORIES = [
    (200, 38.0, 40.0),  # Hardie's example
    (0, 0.0, 40.0),
    (1, 1.0, 40.0),
    (1000, 39.0, 40.0),
    (5000, 30.0, 40.0),
    (300, 100.0, 20000.0),
    (3000, 19000.0, 20000.0),
]


@pytest.mark.parametrize(("x", "t_x", "T"), HISTORIES)
def test_loglik_is_finite_and_matches_mpmath(x, t_x, T):
    ours = bgnbd.loglik_rows(np.array(HARDIE), np.array([x], float), np.array([t_x]), np.array([T]))
    assert np.isfinite(ours[0])
    assert ours[0] == pytest.approx(float(ll_mp(HARDIE, x, t_x, T)), rel=1e-12)


@pytest.mark.parametrize(("x", "t_x", "T"), HISTORIES)
@pytest.mark.parametrize("t", [1.0, 39.0, 520.0, 5200.0])
def test_conditional_expectation_matches_mpmath(x, t_x, T, t):
    bg = ck.BetaGeo.from_params(r=HARDIE[0], alpha=HARDIE[1], a=HARDIE[2], b=HARDIE[3])
    ours = bg.expected_purchases(frequency=[x], recency=[t_x], T=[T], horizon=t)[0]
    ref = p_alive_mp(HARDIE, x, t_x, T) * alive_part_mp(HARDIE, x, T, t)
    assert np.isfinite(ours)
    assert ours == pytest.approx(float(ref), rel=1e-10)


PARAMETER_GRID = list(
    itertools.product(
        [0.01, 0.25, 5.0], [0.1, 4.0, 300.0], [0.05, 0.8, 1.3, 20.0], [0.05, 2.5, 50.0]
    )
)


@pytest.mark.parametrize("params", PARAMETER_GRID)
def test_alive_part_matches_mpmath_over_a_parameter_grid(params):
    # scipy's hyp2f1 on the paper's form returns NaN or loses all digits at many of these
    # points (large x, z near 1); the Euler-transformed form used by the kernel does not
    p = np.array(params)
    for (x, T), t in itertools.product(
        [(0, 40.0), (3, 40.0), (200, 40.0), (2000, 400.0)], [1.0, 52.0, 5200.0]
    ):
        ours = bgnbd.expected_purchases_alive(p, np.array([x], float), np.array([T]), t)[0]
        ref = float(alive_part_mp(params, x, T, t))
        assert ours == pytest.approx(ref, rel=1e-10), (x, T, t)


def test_p_alive_in_range_for_extreme_histories():
    x = np.array([0, 1, 50, 5000, 5000], float)
    t_x = np.array([0, 0.0, 1.0, 1.0, 19999.0])
    T = np.array([20000.0] * 5)
    for params in ([0.01, 300.0, 0.05, 50.0], [5.0, 0.1, 20.0, 0.05], list(HARDIE)):
        p = bgnbd.probability_alive(np.array(params), x, t_x, T)
        assert np.all((p >= 0) & (p <= 1))
        for i in range(x.size):
            assert p[i] == pytest.approx(
                float(p_alive_mp(params, x[i], t_x[i], T[i])), rel=1e-10, abs=1e-300
            )


@pytest.mark.parametrize("a", [1.0, 1.0 + 1e-9, 1.0 - 5e-7])
@pytest.mark.parametrize(("x", "T", "t"), [(0, 40.0, 39.0), (4, 40.0, 52.0), (200, 40.0, 520.0)])
def test_a_equal_to_one_is_a_removable_singularity(a, x, T, t):
    # eq. 10 is 0/0 at a = 1; mpmath evaluates it at the given a at 50 digits, and at
    # a = 1 the limit 1e-25 away (the reference used to be the limit for every a, which
    # at a = 1 - 5e-7 differs from the true value by 5e-8 relative)
    params = (0.25, 4.0, a, 2.5)
    ours = bgnbd.expected_purchases_alive(np.array(params), np.array([x], float), np.array([T]), t)
    a_mp = mp.mpf(1) + mp.mpf("1e-25") if a == 1.0 else mp.mpf(a)
    ref = alive_part_mp((0.25, 4.0, a_mp, 2.5), x, T, t)
    assert np.isfinite(ours[0])
    assert ours[0] == pytest.approx(float(ref), rel=1e-9)
