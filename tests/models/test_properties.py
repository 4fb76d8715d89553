"""Invariants that must hold for any valid history and parameters (Hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import clvkit as ck
from clvkit.models._kernels import bgnbd

positive = st.floats(min_value=0.05, max_value=20.0, allow_nan=False)


@st.composite
def histories(draw, max_x: int = 300):
    T = draw(st.floats(min_value=0.0, max_value=2000.0))
    x = draw(st.integers(min_value=0, max_value=max_x))
    t_x = 0.0 if x == 0 else draw(st.floats(min_value=0.0, max_value=T))
    return float(x), t_x, T


@st.composite
def bg_params(draw):
    a = draw(positive)
    if abs(a - 1.0) < 1e-3:  # a == 1 is a removable singularity of eq. 10
        a += 0.01
    return np.array([draw(positive), draw(positive), a, draw(positive)])


@given(bg_params(), histories())
def test_probability_alive_is_a_probability(params, history):
    x, t_x, T = (np.array([v]) for v in history)
    p = bgnbd.probability_alive(params, x, t_x, T)[0]
    assert 0.0 <= p <= 1.0
    if x[0] == 0:
        assert p == 1.0


@given(bg_params(), histories(max_x=60), st.floats(0.0, 200.0), st.floats(0.0, 200.0))
def test_expected_purchases_grow_with_the_horizon(params, history, t1, dt):
    x, t_x, T = (np.array([v]) for v in history)
    p_alive = bgnbd.probability_alive(params, x, t_x, T)
    short = (p_alive * bgnbd.expected_purchases_alive(params, x, T, t1))[0]
    long = (p_alive * bgnbd.expected_purchases_alive(params, x, T, t1 + dt))[0]
    assert np.isfinite(short) and np.isfinite(long)
    assert short >= -1e-12
    assert long >= short - 1e-9 * max(1.0, abs(short))


@given(
    bg_params(),
    histories(max_x=60),
    st.sampled_from([("D", 7.0), ("W", 1.0), ("M", 7 / (365.2425 / 12))]),
)
def test_rescaling_time_changes_nothing(params, history, unit):
    # the same customer measured in days and weeks: alpha and every duration scale together
    name, weeks_to_unit = unit
    x, t_x, T = history
    in_weeks = ck.BetaGeo.from_params(
        **dict(zip(["r", "alpha", "a", "b"], params, strict=True)), time_unit="W"
    )
    scaled = params.copy()
    scaled[1] *= weeks_to_unit
    other = ck.BetaGeo.from_params(
        **dict(zip(["r", "alpha", "a", "b"], scaled, strict=True)), time_unit=name
    )
    w = in_weeks.expected_purchases(frequency=[x], recency=[t_x], T=[T], horizon="26W")
    o = other.expected_purchases(
        frequency=[x], recency=[t_x * weeks_to_unit], T=[T * weeks_to_unit], horizon="182D"
    )
    np.testing.assert_allclose(o, w, rtol=1e-9, atol=1e-12)
    pw = in_weeks.probability_alive(frequency=[x], recency=[t_x], T=[T])
    po = other.probability_alive(
        frequency=[x], recency=[t_x * weeks_to_unit], T=[T * weeks_to_unit]
    )
    np.testing.assert_allclose(po, pw, rtol=1e-9, atol=1e-14)


@given(st.integers(0, 2**32 - 1))
def test_permuting_customers_changes_nothing(seed):
    cohort = ck.datasets.simulate_rfm(400, T=np.linspace(10, 60, 400), seed=4)
    shuffled = cohort.sample(frac=1.0, random_state=seed % (2**31))
    a = ck.BetaGeo().fit(cohort)
    b = ck.BetaGeo().fit(shuffled)
    np.testing.assert_allclose(a.params_, b.params_, rtol=1e-8)
    pd.testing.assert_series_equal(
        a.probability_alive(cohort), b.probability_alive(shuffled).loc[cohort.index], rtol=1e-8
    )


@given(st.floats(0.2, 30.0), st.floats(0.0, 1.0), st.integers(1, 20), st.floats(1.0, 500.0))
def test_expected_spend_lies_between_population_and_own_mean(p, q_extra, x, m):
    params = np.array([p, 1.05 + 5 * q_extra, 15.0])
    spend = float(
        ck.GammaGamma.from_params(p=params[0], q=params[1], v=params[2]).expected_spend(
            frequency=[x], monetary_value=[m]
        )[0]
    )
    population = params[0] * params[2] / (params[1] - 1.0)
    lo, hi = min(population, m), max(population, m)
    assert lo - 1e-9 * hi <= spend <= hi + 1e-9 * hi


@pytest.mark.parametrize("t", [0.5, 5.0, 52.0, 520.0])
def test_new_customer_survival_matches_simulation(t):
    # P(alive at age t) from the closed form against a seeded draw of the BG/NBD story
    r, alpha, a, b = 0.243, 4.414, 0.793, 2.426
    rng = np.random.default_rng(99)
    n = 400_000
    lam = rng.gamma(r, 1 / alpha, n)
    drop = rng.beta(a, b, n)
    survived = rng.geometric(drop) > rng.poisson(lam * t)
    closed = bgnbd.probability_alive_new(np.array([r, alpha, a, b]), t)
    se = np.sqrt(closed * (1 - closed) / n)
    assert abs(survived.mean() - closed) < 5 * se
