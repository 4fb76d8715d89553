"""Fitting in days or in weeks is the same model: the same predictions for a calendar span."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import clvkit as ck


@settings(max_examples=5)
@given(st.integers(0, 10_000), st.sampled_from(["26W", "182D", "6M", "1Y"]))
def test_days_and_weeks_give_the_same_predictions(seed, horizon):
    tx = ck.datasets.simulate_transactions(1500, seed=seed)
    end = tx["date"].max().normalize()
    by_unit = {}
    for unit in ("D", "W"):
        rfm = ck.rfm_summary(tx, monetary="amount", time_unit=unit, observation_end=end)
        model = ck.CLVModel().fit(rfm)
        # the same discounting steps in both units (by default a step is one time unit)
        clv = model.predict_clv(rfm, horizon=horizon, discount_rate=0.1, step="7D")
        by_unit[unit] = (model, clv)
    (days, clv_d), (weeks, clv_w) = by_unit["D"], by_unit["W"]
    # alpha is a rate per unit: 7 times larger in days; the other parameters are unit-free
    np.testing.assert_allclose(
        days.purchase_model_.params_["alpha"], 7 * weeks.purchase_model_.params_["alpha"], rtol=1e-6
    )
    np.testing.assert_allclose(
        days.purchase_model_.params_[["r", "a", "b"]],
        weeks.purchase_model_.params_[["r", "a", "b"]],
        rtol=1e-6,
    )
    numeric = list(ck.value.CLV_COLUMNS)
    pd.testing.assert_frame_equal(clv_d[numeric], clv_w[numeric], check_exact=False, rtol=1e-5)
    pd.testing.assert_series_equal(clv_d["lifecycle_stage"], clv_w["lifecycle_stage"])
