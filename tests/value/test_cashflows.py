"""Cash flows per step: they add up to predict_clv, per customer and per segment, with any
step length; their intervals are those of the totals per step; the wide pivot."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.errors import InputError, UnitError
from clvkit.value.cashflows import CASHFLOW_COLUMNS

KW = {"discount_rate": 0.1, "margin": 0.3}


@pytest.fixture(scope="module")
def model(cdnow_clv_model) -> ck.CLVModel:
    return cdnow_clv_model


@pytest.mark.parametrize(
    ("horizon", "step"), [("52W", None), ("12M", "1M"), (30.5, 4), ("2Y", "13W")]
)
def test_discounted_cash_flows_add_up_to_the_expected_value(model, cdnow_rfm, horizon, step):
    clv = model.predict_clv(cdnow_rfm, horizon=horizon, step=step, **KW)
    flows = ck.clv_cashflows(model, cdnow_rfm, horizon=horizon, step=step, **KW)
    per_customer = flows["discounted_value"].groupby(level=0, sort=False).sum()
    np.testing.assert_allclose(per_customer.loc[clv.index], clv["expected_value"], rtol=1e-9)
    purchases = flows["expected_purchases"].groupby(level=0, sort=False).sum()
    np.testing.assert_allclose(purchases.loc[clv.index], clv["expected_purchases"], rtol=1e-9)
    last = flows.groupby(level=0, sort=False).tail(1)["cumulative_value"].droplevel(1)
    np.testing.assert_allclose(last.loc[clv.index], clv["expected_value"], rtol=1e-9)
    segments = ck.clv_cashflows(model, cdnow_rfm, horizon=horizon, step=step, by="lifecycle", **KW)
    total = segments["discounted_value"].sum()
    assert total == pytest.approx(clv["expected_value"].sum(), rel=1e-9)
    stages = segments["discounted_value"].groupby(level=0, observed=True).sum()
    expected = clv.groupby("lifecycle_stage", observed=True)["expected_value"].sum()
    np.testing.assert_allclose(stages.loc[expected.index], expected, rtol=1e-9)


def test_the_long_frame(model, cdnow_rfm):
    flows = ck.clv_cashflows(model, cdnow_rfm, horizon=10.5, step=2, **KW)
    assert flows.index.names == ["customer_id", "step"]
    first = flows.xs(cdnow_rfm.index[0], level=0)
    assert list(first.index) == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(first["period_end"], [2, 4, 6, 8, 10, 10.5])
    np.testing.assert_allclose(first["period_start"], [0, 2, 4, 6, 8, 10])
    years = first["period_end"].to_numpy() * 7 / 365.2425
    np.testing.assert_allclose(first["discount_factor"], 1.1**-years, rtol=1e-12)
    np.testing.assert_allclose(
        first["discounted_value"], first["expected_value"] * first["discount_factor"]
    )
    assert list(flows.columns) == ["period_start", "period_end", *CASHFLOW_COLUMNS]
    assert flows.attrs["time_unit"] == "W"


def test_segments_by_column_series_and_total(model, cdnow_rfm):
    frame = cdnow_rfm.assign(channel=np.where(cdnow_rfm.index % 3 == 0, "web", "store"))
    by_column = ck.clv_cashflows(model, frame, horizon=8, by="channel", total=True, **KW)
    assert list(by_column.index.get_level_values(0).unique()) == ["store", "web", "total"]
    np.testing.assert_allclose(
        by_column.xs("total", level=0)["expected_value"],
        by_column.xs("store", level=0)["expected_value"]
        + by_column.xs("web", level=0)["expected_value"],
    )
    series = pd.Series(cdnow_rfm.index % 3 == 0, index=cdnow_rfm.index, name="web")
    by_series = ck.clv_cashflows(model, cdnow_rfm, horizon=8, by=series, **KW)
    assert by_series.index.names == ["web", "step"]


def test_segment_intervals_are_those_of_the_totals(model, cdnow_rfm):
    kw = {"horizon": "26W", **KW}
    flows = ck.clv_cashflows(model, cdnow_rfm, by="lifecycle", total=True, interval=0.9, **kw)
    clv = model.predict_clv(cdnow_rfm, **kw)
    seg = ck.segment_summary(clv, interval=0.9, model=model, customers=cdnow_rfm)
    last = flows.groupby(level=0, sort=False, observed=True).tail(1).droplevel(1)
    for stage in seg.index[seg["n_customers"] > 0]:
        row = last.loc[stage]
        for bound in ("", "_lower", "_upper"):
            assert row[f"cumulative_value{bound}"] == pytest.approx(
                seg.loc[stage, f"expected_value{bound}"], rel=1e-8
            )
    total = flows.xs("total", level=0)
    stages = flows.drop(index="total", level=0)
    summed_upper = stages["discounted_value_upper"].groupby(level=1).sum()
    assert np.all(total["discounted_value_upper"] < summed_upper)  # not a sum of bounds
    assert np.all(total["discounted_value_lower"] <= total["discounted_value"])
    draws = ck.clv_cashflows(
        model,
        cdnow_rfm,
        by="lifecycle",
        interval=0.9,
        method="parametric",
        n_draws=300,
        random_state=0,
        **kw,
    )
    ratio = (draws["cumulative_value_upper"] - draws["cumulative_value_lower"]) / (
        flows.drop(index="total", level=0)["cumulative_value_upper"]
        - flows.drop(index="total", level=0)["cumulative_value_lower"]
    )
    assert np.all(np.abs(ratio - 1) < 0.15)


def test_per_customer_intervals(model, cdnow_rfm):
    head = cdnow_rfm.iloc[::100]
    flows = ck.clv_cashflows(model, head, horizon=6, interval=0.8, **KW)
    clv = model.predict_clv(head, horizon=6, interval=0.8, **KW)
    last = flows.groupby(level=0, sort=False).tail(1).droplevel(1)
    for bound in ("_lower", "_upper"):
        np.testing.assert_allclose(
            last[f"cumulative_value{bound}"], clv[f"expected_value{bound}"], rtol=1e-8, atol=1e-12
        )
    assert "discount_factor_lower" not in flows.columns


def test_pivot(model, cdnow_rfm):
    flows = ck.clv_cashflows(model, cdnow_rfm, horizon=6, by="lifecycle", **KW)
    wide = ck.pivot_cashflows(flows)
    assert wide.shape == (flows.index.get_level_values(0).nunique(), 6)
    assert list(wide.columns) == [1, 2, 3, 4, 5, 6]
    np.testing.assert_allclose(
        wide.sum(axis=1),
        flows["discounted_value"].groupby(level=0, observed=True).sum().loc[wide.index],
    )
    by_end = ck.pivot_cashflows(flows, "expected_purchases", by="period_end")
    assert by_end.columns.name == "period_end"
    with pytest.raises(InputError, match="'column'"):
        ck.pivot_cashflows(flows, "revenue")
    with pytest.raises(InputError, match="'by'"):
        ck.pivot_cashflows(flows, by="month")
    with pytest.raises(InputError, match="long frame"):
        ck.pivot_cashflows(wide)


def test_bad_input_is_refused(model, cdnow_rfm):
    with pytest.raises(InputError, match="total=True needs segments"):
        ck.clv_cashflows(model, cdnow_rfm, horizon=4, total=True)
    with pytest.raises(InputError, match="'by' argument"):
        ck.clv_cashflows(model, cdnow_rfm, horizon=4, by="region")
    with pytest.raises(InputError, match="CLVModel"):
        ck.clv_cashflows(model.purchase_model_, cdnow_rfm, horizon=4)
    with pytest.raises(InputError, match="'interval'"):
        ck.clv_cashflows(model, cdnow_rfm, horizon=4, interval=90)
    with pytest.raises(UnitError, match="'horizon'"):
        ck.clv_cashflows(model, cdnow_rfm, horizon=-1)
