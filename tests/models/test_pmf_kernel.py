"""The BG/NBD count distribution (Fader, Hardie & Lee 2005, eq. 8) against lifetimes
0.11.3's ``probability_of_n_purchases_up_to_time``, its own moments (eq. 9) and a seeded
simulation of the model's story."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.models._kernels import bgnbd
from clvkit.models._kernels.bgnbd import probability_n_purchases_new as probability_n_purchases
from clvkit.value.evaluate import cohort_expected_repeat_purchases

PARAMS = [
    np.array([0.243, 4.414, 0.793, 2.426]),  # CDNOW, weeks
    np.array([1.7, 0.3, 3.5, 0.6]),
    np.array([0.05, 40.0, 0.2, 9.0]),
]


@pytest.mark.parametrize("params", PARAMS)
def test_probability_n_purchases_matches_lifetimes(params: np.ndarray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoFitter

    fitter = BetaGeoFitter()
    fitter.params_ = pd.Series(dict(zip(("r", "alpha", "a", "b"), params, strict=True)))
    for t in (0.5, 1.0, 10.0, 38.86, 78.0, 400.0):
        for n in range(0, 30):
            expected = float(fitter.probability_of_n_purchases_up_to_time(t, n))
            assert float(probability_n_purchases(params, n, t)) == pytest.approx(
                expected, abs=1e-8, rel=1e-8
            )


@pytest.mark.parametrize("params", PARAMS)
def test_probabilities_sum_to_one_and_their_mean_is_eq_9(params: np.ndarray) -> None:
    t = np.array([0.0, 2.0, 39.0, 150.0])
    n = np.arange(6000)[:, None]
    probs = probability_n_purchases(params, n, t[None, :])
    assert probs.min() >= 0.0
    np.testing.assert_allclose(probs.sum(axis=0), 1.0, atol=1e-10)
    np.testing.assert_allclose(
        (n * probs).sum(axis=0), bgnbd.expected_purchases_new(params, t), rtol=1e-8, atol=1e-12
    )
    assert float(probability_n_purchases(params, 0, 0.0)) == 1.0


def test_probability_n_purchases_matches_a_seeded_simulation() -> None:
    """Simulate the BG/NBD story for new customers up to t = 39: Poisson purchases at
    Gamma(r, alpha) rates, a Beta(a, b) coin after each purchase decides drop-out."""
    r, alpha, a, b = PARAMS[0]
    rng = np.random.default_rng(7)
    n_customers, t = 400_000, 39.0
    lam = rng.gamma(r, 1.0 / alpha, n_customers)
    p = rng.beta(a, b, n_customers)
    # number of purchases until the coin says drop out: geometric on {1, 2, ...}
    until_dropout = rng.geometric(p)
    poisson = rng.poisson(lam * t)
    counts = np.minimum(poisson, until_dropout)
    observed = np.bincount(np.minimum(counts, 10), minlength=11)[:10] / n_customers
    model = probability_n_purchases(PARAMS[0], np.arange(10), t)
    se = np.sqrt(model * (1 - model) / n_customers)
    assert np.all(np.abs(observed - model) < 5 * se + 1e-6)


def test_cohort_expected_repeat_purchases_adds_eq_9_over_customers() -> None:
    params = PARAMS[0]
    acquired = np.array([0.0, 1.5, 3.0, 10.0])
    weights = np.array([3.0, 1.0, 2.0, 5.0])
    times = np.array([0.0, 2.0, 5.0, 20.0])
    model = ck.BetaGeo.from_params(**dict(zip(ck.BetaGeo.param_names, params, strict=True)))
    got = cohort_expected_repeat_purchases(model, acquired, times, weights)
    expected = [
        sum(
            w * float(bgnbd.expected_purchases_new(params, max(t - s, 0.0)))
            for s, w in zip(acquired, weights, strict=True)
        )
        for t in times
    ]
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert got[0] == 0.0
