"""Degenerate cohorts: a clear error or a documented, finite result, never NaN parameters."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import clvkit as ck
from clvkit.errors import ConvergenceWarning, InputError

DEGENERATE = {
    "no repeat buyers": (
        {"frequency": [0, 0, 0], "recency": [0, 0, 0], "T": [10, 20, 30]},
        "at least one repeat purchase",
    ),
    "single customer": ({"frequency": [3], "recency": [20], "T": [30]}, "single distinct"),
    "all identical": (
        {"frequency": [2] * 50, "recency": [10] * 50, "T": [30] * 50},
        "single distinct",
    ),
    "no observed time": (
        {"frequency": [0, 0], "recency": [0, 0], "T": [0, 0]},
        "at least one repeat purchase",
    ),
}


@pytest.mark.parametrize("case", list(DEGENERATE))
def test_betageo_refuses_unidentifiable_cohorts(case):
    arrays, message = DEGENERATE[case]
    with pytest.raises(InputError, match=message):
        ck.BetaGeo().fit(**arrays)


@pytest.mark.parametrize("case", list(DEGENERATE))
def test_a_penalizer_gives_a_finite_answer(case):
    arrays, _ = DEGENERATE[case]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = ck.BetaGeo(penalizer=0.01).fit(**arrays)
    assert np.all(np.isfinite(model.params_)) and np.all(model.params_ > 0)
    p = model.probability_alive(**arrays)
    assert np.all((p >= 0) & (p <= 1))


def test_boundary_solutions_warn_and_are_flagged():
    # two customers: the maximum runs off to the boundary; the fit says so
    with pytest.warns(ConvergenceWarning, match="ran off towards the boundary"):
        model = ck.BetaGeo().fit(frequency=[3, 0], recency=[20, 0], T=[30, 30])
    assert not model.diagnostics_.converged
    assert np.all(np.isfinite(model.params_))


def test_gammagamma_refuses_identical_spend():
    with pytest.raises(InputError, match="one and the same"):
        ck.GammaGamma().fit(frequency=[2, 2, 2], monetary_value=[10.0, 10.0, 10.0])
    model = ck.GammaGamma(penalizer=0.01).fit(frequency=[2, 2, 2], monetary_value=[10.0] * 3)
    assert np.all(np.isfinite(model.params_))


def test_heavy_buyers_fit_finitely():
    model = ck.BetaGeo().fit(frequency=[5000, 0, 1, 3], recency=[39, 0, 5, 20], T=[40] * 4)
    assert np.all(np.isfinite(model.params_))
    assert np.all(
        np.isfinite(model.expected_purchases(frequency=[5000], recency=[39], T=[40], horizon=52))
    )
