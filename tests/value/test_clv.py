"""Actual versus potential CLV: definitions, lifetimes parity, discounting, horizons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import clvkit as ck
from clvkit.errors import ClvkitError, InputError, UnitError
from clvkit.value import CLV_COLUMNS

lifetimes = pytest.importorskip("lifetimes")


def _rel(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


def _lifetimes_models(model: ck.CLVModel):
    bg = lifetimes.BetaGeoFitter()
    bg.params_ = model.purchase_model_.params_.copy()
    bg.predict = bg.conditional_expected_number_of_purchases_up_to_time  # lifetimes sets it in fit
    gg = lifetimes.GammaGammaFitter()
    gg.params_ = model.spend_model_.params_.copy()
    return bg, gg


def test_columns_index_and_stage(cdnow_rfm, cdnow_clv_model):
    clv = cdnow_clv_model.predict_clv(cdnow_rfm, horizon="52W", discount_rate=0.1, margin=0.3)
    assert list(clv.columns) == [*CLV_COLUMNS, "lifecycle_stage"]
    assert clv.index.equals(cdnow_rfm.index)
    assert clv[list(CLV_COLUMNS)].notna().all().all()
    assert clv["lifecycle_stage"].cat.ordered


def test_undiscounted_value_is_spend_times_purchases_and_matches_lifetimes(
    cdnow_rfm, cdnow_clv_model
):
    # lifetimes' customer_lifetime_value steps in months of 4.345 weeks: 12 of them
    horizon = 12 * 4.345
    clv = cdnow_clv_model.predict_clv(cdnow_rfm, horizon=horizon, discount_rate=0.0, margin=1.0)
    assert _rel(clv["expected_value"], clv["expected_spend"] * clv["expected_purchases"]) < 1e-12
    bg, gg = _lifetimes_models(cdnow_clv_model)
    x, t_x, T, m = (cdnow_rfm[c] for c in ("frequency", "recency", "T", "monetary_value"))
    theirs = gg.customer_lifetime_value(bg, x, t_x, T, m, time=12, discount_rate=0.0, freq="W")
    assert _rel(clv["expected_value"], theirs) < 1e-8
    spend = gg.conditional_expected_average_profit(x, m)
    purchases = bg.conditional_expected_number_of_purchases_up_to_time(horizon, x, t_x, T)
    assert _rel(clv["expected_value"], spend * purchases) < 1e-8


def test_discounting_matches_lifetimes_monthly_scheme(cdnow_rfm, cdnow_clv_model):
    # lifetimes discounts month i by (1 + d_month)^i; the same with a yearly rate over
    # steps of 4.345 weeks: (1 + d_year)^(t_i / year) with d_year from d_month
    step = 4.345
    monthly = 0.01
    yearly = (1 + monthly) ** (365.2425 / (step * 7)) - 1
    clv = cdnow_clv_model.predict_clv(cdnow_rfm, horizon=12 * step, discount_rate=yearly, step=step)
    bg, gg = _lifetimes_models(cdnow_clv_model)
    x, t_x, T, m = (cdnow_rfm[c] for c in ("frequency", "recency", "T", "monetary_value"))
    theirs = gg.customer_lifetime_value(bg, x, t_x, T, m, time=12, discount_rate=monthly, freq="W")
    assert _rel(clv["expected_value"], theirs) < 1e-8


def test_value_equals_independent_step_by_step_discounted_sum(cdnow_rfm, cdnow_clv_model):
    rate, margin, horizon = 0.12, 0.3, 10.5  # last step half a week
    clv = cdnow_clv_model.predict_clv(cdnow_rfm, horizon=horizon, discount_rate=rate, margin=margin)
    bg, gg = cdnow_clv_model.purchase_model_, cdnow_clv_model.spend_model_
    ends = [*range(1, 11), 10.5]
    previous = pd.Series(0.0, index=cdnow_rfm.index)
    expected = pd.Series(0.0, index=cdnow_rfm.index)
    for end in ends:
        current = bg.expected_purchases(cdnow_rfm, float(end))
        expected += (current - previous) / (1 + rate) ** (end * 7 / 365.2425)
        previous = current
    expected *= margin * gg.expected_spend(cdnow_rfm)
    assert _rel(clv["expected_value"], expected) < 1e-10
    p_alive = bg.probability_alive(cdnow_rfm)
    assert (
        _rel(clv["potential_value"][p_alive > 0.01], (expected / p_alive)[p_alive > 0.01]) < 1e-10
    )


def test_potential_value_bounds(cdnow_rfm, cdnow_clv_model):
    clv = cdnow_clv_model.predict_clv(cdnow_rfm, horizon="1Y", discount_rate=0.1, margin=0.25)
    assert (clv["potential_value"] >= clv["expected_value"]).all()
    assert (clv["value_at_risk"] >= 0).all()
    np.testing.assert_array_equal(
        clv["value_at_risk"], clv["potential_value"] - clv["expected_value"]
    )
    alive = clv["p_alive"] == 1.0
    assert alive.sum() == (cdnow_rfm["frequency"] == 0).sum()
    np.testing.assert_array_equal(
        clv.loc[alive, "potential_value"], clv.loc[alive, "expected_value"]
    )
    np.testing.assert_allclose(clv["actual_clv"], clv["historical_value"] + clv["expected_value"])
    np.testing.assert_allclose(
        clv["potential_clv"], clv["historical_value"] + clv["potential_value"]
    )
    np.testing.assert_allclose(clv["historical_value"], 0.25 * cdnow_rfm["historical_value"])


def test_positive_rate_lowers_value_and_longer_horizon_never_lowers(cdnow_rfm, cdnow_clv_model):
    plain = cdnow_clv_model.predict_clv(cdnow_rfm, horizon="52W")
    discounted = cdnow_clv_model.predict_clv(cdnow_rfm, horizon="52W", discount_rate=0.2)
    longer = cdnow_clv_model.predict_clv(cdnow_rfm, horizon="104W", discount_rate=0.2)
    assert (discounted["expected_value"] < plain["expected_value"]).all()
    assert (longer["expected_value"] >= discounted["expected_value"]).all()


def test_equal_spans_in_different_units_give_the_same_answer(cdnow_rfm, cdnow_clv_model):
    weeks = cdnow_clv_model.predict_clv(cdnow_rfm, horizon="52W", discount_rate=0.1)
    days = cdnow_clv_model.predict_clv(cdnow_rfm, horizon="364D", discount_rate=0.1)
    pd.testing.assert_frame_equal(weeks, days, check_exact=False, rtol=1e-12)
    months = cdnow_clv_model.predict_clv(cdnow_rfm, horizon="12M")
    explicit = cdnow_clv_model.predict_clv(cdnow_rfm, horizon=12 * (365.2425 / 12) / 7)
    pd.testing.assert_frame_equal(months, explicit, check_exact=False, rtol=1e-12)
    thirty_day_months = cdnow_clv_model.predict_clv(cdnow_rfm, horizon=360 / 7)
    assert (months["expected_purchases"] > thirty_day_months["expected_purchases"]).all()


@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.floats(0.0, 0.5), st.floats(0.0, 0.5))
def test_clv_is_linear_in_margin_and_non_increasing_in_rate(m1, m2, r1, r2):
    model = ck.CLVModel.from_models(
        ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W"),
        ck.GammaGamma.from_params(p=6.25, q=3.74, v=15.44, time_unit="W"),
    )
    customers = pd.DataFrame(
        {
            "frequency": [0.0, 1.0, 4.0, 12.0],
            "recency": [0.0, 5.0, 30.0, 36.0],
            "T": [38.0, 38.0, 38.0, 37.0],
            "monetary_value": [0.0, 20.0, 35.0, 50.0],
            "historical_value": [10.0, 40.0, 170.0, 650.0],
        }
    )
    customers.attrs["time_unit"] = "W"
    cols = list(CLV_COLUMNS[3:])
    a = model.predict_clv(customers, horizon="26W", discount_rate=r1, margin=m1)[cols]
    b = model.predict_clv(customers, horizon="26W", discount_rate=r1, margin=m2)[cols]
    one = model.predict_clv(customers, horizon="26W", discount_rate=r1, margin=1.0)[cols]
    np.testing.assert_allclose(a.to_numpy(), m1 * one.to_numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(b.to_numpy(), m2 * one.to_numpy(), rtol=1e-12, atol=1e-12)
    lo, hi = sorted((r1, r2))
    v_lo = model.predict_clv(customers, horizon="26W", discount_rate=lo)["expected_value"]
    v_hi = model.predict_clv(customers, horizon="26W", discount_rate=hi)["expected_value"]
    assert (v_hi <= v_lo * (1 + 1e-12)).all()


def test_margin_as_column_and_array(cdnow_rfm, cdnow_clv_model):
    customers = cdnow_rfm.assign(margin=np.where(cdnow_rfm.index % 2 == 0, 0.2, 0.4))
    by_column = cdnow_clv_model.predict_clv(customers, horizon=26, margin="margin")
    by_array = cdnow_clv_model.predict_clv(
        cdnow_rfm, horizon=26, margin=customers["margin"].to_numpy()
    )
    pd.testing.assert_frame_equal(by_column, by_array)
    unit = cdnow_clv_model.predict_clv(cdnow_rfm, horizon=26)
    np.testing.assert_allclose(
        by_column["expected_value"], customers["margin"] * unit["expected_value"]
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"horizon": -3}, UnitError, "horizon"),
        ({"horizon": 0}, UnitError, "> 0"),
        ({"horizon": "52W", "discount_rate": -0.1}, InputError, "discount_rate"),
        ({"horizon": "52W", "discount_rate": "10%"}, InputError, "discount_rate"),
        ({"horizon": "52W", "margin": 30}, InputError, "0.30 for 30 %"),
        ({"horizon": "52W", "margin": "no_such_column"}, InputError, "no_such_column"),
        ({"horizon": "52W", "step": "0D"}, UnitError, "'step' argument"),
    ],
)
def test_bad_arguments_are_refused(cdnow_rfm, cdnow_clv_model, kwargs, error, message):
    with pytest.raises(error, match=message):
        cdnow_clv_model.predict_clv(cdnow_rfm, **kwargs)


def test_missing_historical_value_is_named(cdnow_rfm, cdnow_clv_model):
    with pytest.raises(InputError, match="historical_value"):
        cdnow_clv_model.predict_clv(cdnow_rfm.drop(columns="historical_value"), horizon=10)


def test_predict_before_fit_and_bad_templates():
    with pytest.raises(ClvkitError, match="not fitted"):
        ck.CLVModel().predict_clv(pd.DataFrame(), horizon=1)
    with pytest.raises(InputError, match="purchase_model"):
        ck.CLVModel(purchase_model=ck.GammaGamma()).fit(pd.DataFrame())  # type: ignore[arg-type]


def test_fit_uses_copies_of_the_templates(cdnow_rfm):
    template = ck.BetaGeo(penalizer=0.001)
    model = ck.CLVModel(purchase_model=template).fit(cdnow_rfm)
    assert not hasattr(template, "params_")
    assert model.purchase_model_.penalizer == 0.001
    assert model.time_unit_ == "W"
    assert model.grain_ == "D"
