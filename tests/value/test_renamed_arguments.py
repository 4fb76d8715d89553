"""``period`` split into names that say what they are (issue 17, item 7).

On the main branch before this change ``period`` meant the discounting step of
``predict_clv``, ``clv_cashflows`` and the service, a fixed-length grid in
``repeat_purchases_over_time`` and its plots, and a calendar period in
``retention_table`` and ``cohort_table``. The step is now ``step``, the grid ``bucket``;
``period`` stays for calendar periods. The old names still work, with a FutureWarning
naming the new one, and give the same numbers.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import clvkit as ck
import clvkit.plotting as ckp
from clvkit.errors import InputError
from clvkit.value.evaluate import repeat_purchases_over_time
from tests.conftest import CALIBRATION_END, OBSERVATION_END


@pytest.fixture(scope="module")
def model(cdnow_rfm: pd.DataFrame) -> ck.CLVModel:
    return ck.CLVModel().fit(cdnow_rfm)


def test_step_is_the_discounting_step(model: ck.CLVModel, cdnow_rfm: pd.DataFrame) -> None:
    new = model.predict_clv(cdnow_rfm, horizon="52W", discount_rate=0.1, step="4W")
    with pytest.warns(FutureWarning, match="'period' argument of CLVModel.predict_clv.*'step'"):
        old = model.predict_clv(cdnow_rfm, horizon="52W", discount_rate=0.1, period="4W")
    pd.testing.assert_frame_equal(new, old)
    assert new.attrs["step"] == "4W"
    weekly = model.predict_clv(cdnow_rfm, horizon="52W", discount_rate=0.1)
    assert not new["expected_value"].equals(weekly["expected_value"])
    with pytest.raises(InputError, match="both step= and its old name period="):
        model.predict_clv(cdnow_rfm, horizon="52W", step="4W", period="4W")


def test_the_service_and_cash_flows_take_step(model: ck.CLVModel, cdnow_rfm: pd.DataFrame) -> None:
    rows = cdnow_rfm.head(3)
    new = ck.predict_clv(model, rows, horizon="12M", discount_rate=0.1, step="1M")
    with pytest.warns(FutureWarning, match="'period' argument of predict_clv.*'step'"):
        old = ck.predict_clv(model, rows, horizon="12M", discount_rate=0.1, period="1M")
    pd.testing.assert_frame_equal(new, old)
    flows = ck.clv_cashflows(model, rows, horizon="12M", step="1M")
    with pytest.warns(FutureWarning, match="'period' argument of clv_cashflows.*'step'"):
        again = ck.clv_cashflows(model, rows, horizon="12M", period="1M")
    pd.testing.assert_frame_equal(flows, again)
    assert flows.index.get_level_values("step").max() == 12


def test_a_segment_interval_reads_the_recorded_step(
    model: ck.CLVModel, cdnow_rfm: pd.DataFrame
) -> None:
    clv = model.predict_clv(cdnow_rfm, horizon="52W", discount_rate=0.1, step="13W")
    seg = ck.segment_summary(clv, interval=0.9, model=model, customers=cdnow_rfm)
    assert (seg["expected_value_lower"] <= seg["expected_value"]).all()
    legacy = clv.copy()
    legacy.attrs = {**clv.attrs, "period": "13W"}
    del legacy.attrs["step"]  # a frame saved by an older clvkit
    pd.testing.assert_frame_equal(
        ck.segment_summary(legacy, interval=0.9, model=model, customers=cdnow_rfm), seg
    )


def test_bucket_is_the_fixed_length_grid(cdnow_transactions: pd.DataFrame) -> None:
    cal = ck.calibration_holdout(
        cdnow_transactions,
        calibration_end=CALIBRATION_END,
        observation_end=OBSERVATION_END,
        time_unit="W",
        duplicates="keep",
    )
    bg = ck.BetaGeo().fit(cal)
    args = {"calibration_end": CALIBRATION_END, "observation_end": OBSERVATION_END}
    new = repeat_purchases_over_time(bg, cdnow_transactions, bucket="M", **args)
    with pytest.warns(FutureWarning, match="'period' argument of repeat_purchases.*'bucket'"):
        old = repeat_purchases_over_time(bg, cdnow_transactions, period="M", **args)
    pd.testing.assert_frame_equal(new, old)
    assert new.attrs["bucket"] == "M"
    ax = ckp.plot_incremental_transactions(bg, cdnow_transactions, bucket="M", **args)
    assert ax.get_ylabel() == "Repeat purchases per month (count)"
    with pytest.warns(FutureWarning, match="plot_cumulative_transactions.*'bucket'"):
        ckp.plot_cumulative_transactions(bg, cdnow_transactions, period="M", **args)


def test_period_keeps_meaning_a_calendar_period(cdnow_transactions: pd.DataFrame) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        table = ck.retention_table(cdnow_transactions, period="Q", duplicates="keep")
        cohorts = ck.cohort_table(cdnow_transactions, period="Q", duplicates="keep")
    assert table.index.name == "period" and len(cohorts) >= 1
