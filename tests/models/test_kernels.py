"""Kernel derivatives against finite differences, and the compressed likelihood against
the row-by-row formula (Fader, Hardie & Lee 2005, eq. 6; Fader & Hardie 2013, eq. 3)."""

from __future__ import annotations

import numpy as np
import pytest

import clvkit as ck
from clvkit.models._kernels import bgnbd, gammagamma

BG_POINTS = [
    np.array([0.243, 4.414, 0.793, 2.426]),
    np.array([1.7, 0.3, 3.5, 0.6]),
    np.array([0.05, 40.0, 0.2, 9.0]),
]
GG_POINTS = [np.array([6.25, 3.74, 15.44]), np.array([0.8, 1.3, 200.0])]


def _bg_data(rng: np.random.Generator, n: int = 400) -> tuple[np.ndarray, ...]:
    T = rng.choice([20.0, 39.0, 52.5], size=n)
    x = rng.poisson(1.5, size=n).astype(float)
    t_x = np.where(x > 0, np.round(rng.uniform(0, 1, size=n) * T, 1), 0.0)
    return x, t_x, T


def _central_differences(f, p: np.ndarray, h: float = 1e-6) -> np.ndarray:
    out = []
    for i in range(p.size):
        e = np.zeros_like(p)
        e[i] = h * p[i]
        out.append((f(p + e) - f(p - e)) / (2 * h * p[i]))
    return np.array(out)


@pytest.mark.parametrize("params", BG_POINTS)
def test_bgnbd_derivatives_match_finite_differences(rng, params):
    x, t_x, T = _bg_data(rng)
    data = bgnbd.prepare(x, t_x, T, np.ones_like(x))
    ll, g, H = bgnbd.loglik_derivatives(params, data)
    assert ll == pytest.approx(bgnbd.loglik_rows(params, x, t_x, T).sum(), rel=1e-12)
    g_num = _central_differences(lambda p: bgnbd.loglik_derivatives(p, data, 0)[0], params)
    H_num = _central_differences(lambda p: bgnbd.loglik_derivatives(p, data, 1)[1], params)
    np.testing.assert_allclose(g, g_num, rtol=1e-5, atol=1e-6 * np.abs(ll))
    np.testing.assert_allclose(H, H_num.T, rtol=1e-5, atol=1e-6 * np.abs(H).max())
    np.testing.assert_array_equal(H, H.T)


@pytest.mark.parametrize("params", GG_POINTS)
def test_gammagamma_derivatives_match_finite_differences(rng, params):
    x = rng.integers(1, 12, size=300).astype(float)
    m = rng.gamma(4.0, 10.0, size=300)
    data = gammagamma.prepare(x, m, np.ones_like(x))
    ll, g, H = gammagamma.loglik_derivatives(params, data)
    assert ll == pytest.approx(gammagamma.loglik_rows(params, x, m).sum(), rel=1e-12)
    g_num = _central_differences(lambda p: gammagamma.loglik_derivatives(p, data, 0)[0], params)
    H_num = _central_differences(lambda p: gammagamma.loglik_derivatives(p, data, 1)[1], params)
    np.testing.assert_allclose(g, g_num, rtol=1e-5, atol=1e-6 * np.abs(ll))
    np.testing.assert_allclose(H, H_num.T, rtol=1e-5, atol=1e-6 * np.abs(H).max())


def test_bgnbd_row_likelihood_is_a_probability_mass_for_x0():
    # with x = 0 the likelihood is P(no repeat purchase in (0, T]) = 1 - P(X(T) > 0)
    p = BG_POINTS[0]
    assert np.exp(bgnbd.loglik_rows(p, np.zeros(1), np.zeros(1), np.zeros(1)))[0] == pytest.approx(
        1.0
    )


def test_expected_purchases_alive_distinct_equals_direct(rng):
    # the model evaluates the alive part once per distinct (x, T) pair and maps it back
    x, _, T = _bg_data(rng, 5000)
    p = BG_POINTS[0]
    model = ck.BetaGeo.from_params(**dict(zip(ck.BetaGeo.param_names, p, strict=True)))
    np.testing.assert_allclose(
        model.expected_purchases_if_alive(frequency=x, T=T, horizon=26.0),
        bgnbd.expected_purchases_alive(p, x, T, 26.0),
        rtol=1e-14,
    )
