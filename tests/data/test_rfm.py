"""rfm_summary, calibration_holdout and purchases on hand-built logs.

Every expected value is computed by hand in the test from the calendar (day counts are
spelled out) and the definitions: frequency = purchases - 1, recency = first to last
purchase, T = first purchase to the end of observation, both in days between grain-period
starts divided by the unit's length (a month is 365.2425/12 days).
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clvkit.data import Purchases, calibration_holdout, purchases, rfm_summary

MONTH_DAYS = 365.2425 / 12


def _log(rows: list[tuple[object, str, float]]) -> pd.DataFrame:
    ids, dates, amounts = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "customer_id": list(ids),
            "date": pd.to_datetime(list(dates), format="ISO8601"),
            "amount": list(amounts),
        }
    )


# ---- grain merging ------------------------------------------------------------------------


def test_two_transactions_on_one_day_make_one_purchase() -> None:
    tx = _log(
        [
            (1, "2024-01-01 10:00", 10.0),
            (1, "2024-01-01 18:00", 5.0),
            (1, "2024-01-15 09:00", 20.0),
            (2, "2024-01-08 12:00", 7.0),
        ]
    )
    out = rfm_summary(tx, monetary="amount")  # observation ends on the last day, 2024-01-15
    assert out.index.tolist() == [1, 2]
    assert out.loc[1].tolist() == [1.0, 14.0, 14.0, 20.0, 35.0]  # 01-01 and 01-15 purchases
    assert out.loc[2].tolist() == [0.0, 0.0, 7.0, 0.0, 7.0]
    assert out.dtypes.tolist() == [np.float64] * 5


def test_week_grain_merges_monday_to_sunday() -> None:
    # 2024-01-01 is a Monday. Weeks: [01-01, 01-07], [01-08, 01-14], [01-22, 01-28].
    tx = _log(
        [
            (1, "2024-01-01", 10.0),
            (1, "2024-01-07", 5.0),  # Sunday: same week as Monday 01-01
            (1, "2024-01-08", 20.0),  # next Monday
            (1, "2024-01-24", 1.0),  # Wednesday of the week starting 01-22
            (2, "2024-01-10", 3.0),  # week starting 01-08
        ]
    )
    out = rfm_summary(
        tx, monetary="amount", grain="W", time_unit="W", observation_end="2024-01-28"
    )  # floored to Monday 01-22
    # Customer 1: purchases in the weeks of 01-01, 01-08, 01-22.
    assert out.loc[1, "frequency"] == 2
    assert out.loc[1, "recency"] == pytest.approx(21 / 7)
    assert out.loc[1, "T"] == pytest.approx(21 / 7)
    assert out.loc[1, "monetary_value"] == pytest.approx((20.0 + 1.0) / 2)
    assert out.loc[1, "historical_value"] == pytest.approx(36.0)
    # Customer 2: one purchase in the week of 01-08, two weeks before 01-22.
    assert out.loc[2].tolist() == pytest.approx([0.0, 0.0, 2.0, 0.0, 3.0])
    assert out.attrs["observation_end"] == "2024-01-22"
    assert out.attrs["grain"] == "W"


def test_month_grain_and_calendar_true_months() -> None:
    tx = _log(
        [
            (1, "1997-01-05", 10.0),
            (1, "1997-01-30", 5.0),  # same month
            (1, "1997-03-31", 20.0),
            (2, "1997-02-14", 4.0),
        ]
    )
    out = rfm_summary(
        tx, monetary="amount", grain="M", time_unit="M", observation_end="1997-06-15"
    )  # floored to 1997-06-01
    # Jan 1 -> Mar 1 = 31 + 28 = 59 days; Jan 1 -> Jun 1 = 31 + 28 + 31 + 30 + 31 = 151.
    assert out.loc[1, "frequency"] == 1
    assert out.loc[1, "recency"] == pytest.approx(59 / MONTH_DAYS, rel=1e-15)
    assert out.loc[1, "T"] == pytest.approx(151 / MONTH_DAYS, rel=1e-15)
    assert out.loc[1, "monetary_value"] == 20.0
    assert out.loc[1, "historical_value"] == 35.0
    # Feb 1 -> Jun 1 = 28 + 31 + 30 + 31 = 120 days.
    assert out.loc[2, "T"] == pytest.approx(120 / MONTH_DAYS, rel=1e-15)


def test_month_unit_is_never_thirty_days() -> None:
    tx = _log([(1, "1997-01-01", 1.0), (1, "1997-12-31", 1.0)])
    out = rfm_summary(tx, time_unit="M")
    assert out.loc[1, "recency"] == pytest.approx(364 / 30.436875, rel=1e-15)
    assert out.loc[1, "recency"] != pytest.approx(364 / 30)
    years = rfm_summary(tx, time_unit="Y")
    assert years.loc[1, "recency"] == pytest.approx(364 / 365.2425, rel=1e-15)


def test_quarter_year_and_hour_grains() -> None:
    tx = _log(
        [
            (1, "2023-02-10 10:15", 1.0),
            (1, "2023-03-31 10:45", 2.0),  # same quarter, Q1
            (1, "2023-11-02 12:00", 4.0),  # Q4
        ]
    )
    q = rfm_summary(tx, monetary="amount", grain="Q", time_unit="D")
    # Q1 starts 2023-01-01, Q4 2023-10-01: 273 days apart; observation ends in Q4 too.
    assert q.loc[1].tolist() == [1.0, 273.0, 273.0, 4.0, 7.0]
    y = rfm_summary(tx, monetary="amount", grain="Y", time_unit="D")
    assert y.loc[1].tolist() == [0.0, 0.0, 0.0, 0.0, 7.0]

    hours = _log(
        [
            (1, "2023-02-10 10:15", 1.0),
            (1, "2023-02-10 10:45", 2.0),  # same hour
            (1, "2023-02-10 12:59", 4.0),
        ]
    )
    h = rfm_summary(
        hours, monetary="amount", grain="h", time_unit="h", observation_end="2023-02-10 14:30"
    )  # floored to 14:00
    assert h.loc[1].tolist() == pytest.approx([1.0, 2.0, 4.0, 4.0, 7.0])
    assert h.attrs["observation_end"] == "2023-02-10T14:00:00"


def test_observation_end_day_is_included() -> None:
    tx = _log([(1, "1997-09-01", 1.0), (1, "1997-09-30 15:00", 2.0), (2, "1997-09-29", 3.0)])
    out = rfm_summary(tx, monetary="amount", observation_end="1997-09-30")
    assert out.loc[1].tolist() == [1.0, 29.0, 29.0, 2.0, 3.0]
    assert out.loc[2, "T"] == 1.0


def test_tz_aware_times_use_the_local_calendar() -> None:
    local = pd.to_datetime(["2024-01-01 00:30", "2024-01-01 20:00", "2024-01-05 09:00"])
    tx = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a"],
            "date": local.tz_localize("Europe/Paris"),  # the first is 2023-12-31 23:30 UTC
            "amount": [1.0, 2.0, 3.0],
        }
    )
    # 2024-01-10 23:30 UTC is 2024-01-11 00:30 in Paris: observation ends on 01-11.
    out = rfm_summary(tx, monetary="amount", observation_end=pd.Timestamp("2024-01-10 23:30Z"))
    assert out.loc["a"].tolist() == [1.0, 4.0, 10.0, 3.0, 6.0]
    assert out.attrs["timezone"] == "Europe/Paris"
    assert out.attrs["observation_end"] == "2024-01-11"


def test_string_dates_with_a_format() -> None:
    tx = pd.DataFrame({"cid": [7, 7, 3], "day": ["19970101", "19970108", "19970102"]})
    out = rfm_summary(
        tx,
        customer_id="cid",
        datetime="day",
        datetime_format="%Y%m%d",
        observation_end="1997-01-09",
    )
    assert out.index.name == "cid"
    assert out.index.tolist() == [3, 7]
    assert out.loc[7].tolist() == [1.0, 7.0, 8.0]
    assert out.loc[3].tolist() == [0.0, 0.0, 7.0]
    assert list(out.columns) == ["frequency", "recency", "T"]


def test_output_sorted_by_id_whatever_the_row_order() -> None:
    tx = _log([("z", "2024-01-03", 1.0), ("b", "2024-01-02", 1.0), ("m", "2024-01-01", 1.0)])
    out = rfm_summary(tx)
    assert out.index.tolist() == ["b", "m", "z"]
    assert out["T"].tolist() == [1.0, 2.0, 0.0]


# ---- calibration / holdout ----------------------------------------------------------------


def test_calibration_holdout_by_hand() -> None:
    tx = _log(
        [
            (1, "2024-01-01", 10.0),
            (1, "2024-01-05", 6.0),
            (1, "2024-01-12", 4.0),  # holdout
            (1, "2024-01-12", 2.0),  # same holdout day: one purchase of 6
            (1, "2024-01-20", 9.0),  # holdout
            (2, "2024-01-09", 3.0),
            (3, "2024-01-11", 5.0),  # first purchase after calibration_end: not a row
        ]
    )
    out = calibration_holdout(
        tx,
        calibration_end="2024-01-10",
        observation_end="2024-01-31",
        monetary="amount",
        time_unit="D",
    )
    assert out.index.tolist() == [1, 2]
    assert list(out.columns) == [
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "historical_value",
        "frequency_holdout",
        "monetary_value_holdout",
        "duration_holdout",
    ]
    assert out.loc[1].tolist() == [1.0, 4.0, 9.0, 6.0, 16.0, 2.0, 7.5, 21.0]
    assert out.loc[2].tolist() == [0.0, 0.0, 1.0, 0.0, 3.0, 0.0, 0.0, 21.0]
    assert out.attrs["calibration_end"] == "2024-01-10"
    assert out.attrs["observation_end"] == "2024-01-31"
    assert out.attrs["time_unit"] == "D"


def test_calibration_columns_equal_rfm_summary_at_calibration_end() -> None:
    tx = _log(
        [
            (1, "2024-01-01", 1.0),
            (1, "2024-02-01", 2.0),
            (2, "2024-01-20", 3.0),
            (2, "2024-03-01", 1.0),
            (3, "2024-03-02", 1.0),
        ]
    )
    cal = calibration_holdout(tx, calibration_end="2024-02-15", monetary="amount", time_unit="W")
    with pytest.warns(UserWarning, match="2 of 5 transactions"):
        alone = rfm_summary(tx, monetary="amount", time_unit="W", observation_end="2024-02-15")
    pd.testing.assert_frame_equal(cal[alone.columns], alone, check_like=False)
    # observation_end defaults to the last transaction (2024-03-02): 16 days of holdout.
    assert cal["duration_holdout"].tolist() == [16 / 7, 16 / 7]


def test_empty_holdout_warns() -> None:
    tx = _log([(1, "2024-01-01", 1.0), (1, "2024-01-05", 1.0)])
    with pytest.warns(UserWarning, match="No purchase falls in the holdout"):
        out = calibration_holdout(tx, calibration_end="2024-01-05", observation_end="2024-02-01")
    assert out["frequency_holdout"].tolist() == [0.0]


# ---- purchases ----------------------------------------------------------------------------


def test_purchases_table() -> None:
    tx = _log(
        [
            (5, "2024-01-02 08:00", 1.0),
            (2, "2024-01-01", 2.0),
            (5, "2024-01-02 09:00", 4.0),
            (5, "2024-01-03", 8.0),
        ]
    )
    p = purchases(tx, monetary="amount")
    assert isinstance(p, Purchases)
    assert p.customer_ids.tolist() == [2, 5]
    assert p.customer.tolist() == [0, 1, 1]
    assert p.period_start.dtype == np.dtype("datetime64[D]")
    assert p.period_start.astype(str).tolist() == ["2024-01-01", "2024-01-02", "2024-01-03"]
    assert p.amount is not None and p.amount.tolist() == [2.0, 5.0, 8.0]
    assert p.n_transactions.tolist() == [1, 2, 1]
    assert p.customer_start.tolist() == [0, 1]
    assert (p.n_customers, p.n_purchases, p.n_excluded) == (2, 3, 0)
    assert str(p.observation_end) == "2024-01-03"
    frame = p.to_frame()
    assert list(frame.columns) == ["customer_id", "period_start", "n_transactions", "amount"]
    assert frame["customer_id"].tolist() == [2, 5, 5]


# ---- inputs are never modified ------------------------------------------------------------


@pytest.mark.parametrize(
    "dates",
    [
        ["2024-01-01", "2024-01-01", "2024-02-03", "2024-01-07"],  # strings
        pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-03", "2024-01-07"]),
        pd.to_datetime(["2024-01-01", "2024-01-01", "2024-02-03", "2024-01-07"]).tz_localize(
            "America/New_York"
        ),
    ],
    ids=["strings", "naive", "tz-aware"],
)
def test_inputs_are_never_modified(dates: object) -> None:
    tx = pd.DataFrame(
        {"customer_id": [3, 3, 3, 1], "date": dates, "amount": [1.0, 2.0, 3.0, 4.0]},
        index=[10, 11, 12, 13],
    )
    tx.attrs["origin"] = "test"
    before = copy.deepcopy(tx)
    rfm_summary(tx, monetary="amount", grain="W", time_unit="M")
    calibration_holdout(tx, calibration_end=tx["date"].iloc[0], monetary="amount")
    purchases(tx, monetary="amount")
    pd.testing.assert_frame_equal(tx, before)
    assert tx.attrs == {"origin": "test"}


# ---- properties ---------------------------------------------------------------------------

_DAY0 = np.datetime64("2020-01-01")


@st.composite
def _logs(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 40))
    ids = draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))
    days = draw(st.lists(st.integers(0, 120), min_size=n, max_size=n))
    cents = draw(st.lists(st.integers(1, 50_000), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "customer_id": ids,
            "date": _DAY0 + np.array(days, dtype="timedelta64[D]"),
            "amount": np.array(cents, dtype=np.float64) / 100.0,
        }
    )


@settings(max_examples=80, deadline=None, derandomize=True)
@given(log=_logs(), seed=st.integers(0, 2**32 - 1), unit=st.sampled_from(["D", "W", "M"]))
def test_summary_properties(log: pd.DataFrame, seed: int, unit: str) -> None:
    out = rfm_summary(log, monetary="amount", time_unit=unit)
    distinct_days = log.groupby("customer_id")["date"].nunique()
    assert out.index.tolist() == sorted(set(log["customer_id"]))
    assert (out["frequency"] <= distinct_days.loc[out.index] - 1).all()
    assert (out["frequency"] == np.floor(out["frequency"])).all()
    assert ((out["recency"] >= 0) & (out["recency"] <= out["T"])).all()
    # Amounts are >= 0.01, so a repeat purchase always has a positive value.
    assert ((out["monetary_value"] == 0) == (out["frequency"] == 0)).all()
    slack = 1e-9 * (1 + out["historical_value"])
    assert (out["historical_value"] + slack >= out["monetary_value"] * out["frequency"]).all()

    shuffled = log.sample(frac=1.0, random_state=seed)
    pd.testing.assert_frame_equal(
        rfm_summary(shuffled, monetary="amount", time_unit=unit), out, rtol=1e-12
    )


@settings(max_examples=60, deadline=None, derandomize=True)
@given(log=_logs(), cut=st.integers(0, 119))
def test_calibration_holdout_properties(log: pd.DataFrame, cut: int) -> None:
    calibration_end = _DAY0 + np.timedelta64(cut, "D")
    end = log["date"].max()
    if end <= calibration_end or log["date"].min() > calibration_end:
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # an empty holdout is possible here
        out = calibration_holdout(log, calibration_end=calibration_end, monetary="amount")
    kept = log[log["date"] <= calibration_end]
    assert out.index.tolist() == sorted(set(kept["customer_id"]))
    # Every purchase is counted once, in calibration (first or repeat) or holdout.
    purchases_per_customer = (
        log[log["customer_id"].isin(out.index)].groupby("customer_id")["date"].nunique()
    )
    total = out["frequency"] + 1 + out["frequency_holdout"]
    assert total.tolist() == purchases_per_customer.loc[out.index].tolist()
    assert ((out["monetary_value_holdout"] == 0) >= (out["frequency_holdout"] == 0)).all()
    assert (out["duration_holdout"] == (end - calibration_end).days).all()


# ---- a larger random log against lifetimes 0.11.3 ----------------------------------------


@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning")
def test_random_log_equals_lifetimes() -> None:
    # 200,000 timestamped transactions of 20,000 customers over two years (many customers
    # buy twice on one day), shuffled: exercises the sort and the merge at scale.
    from lifetimes.utils import summary_data_from_transaction_data

    rng = np.random.default_rng(20240101)
    n = 200_000
    seconds = rng.integers(0, 730 * 86_400, n).astype("timedelta64[s]")
    tx = pd.DataFrame(
        {
            "customer_id": rng.integers(0, 20_000, n),
            "date": np.datetime64("2022-01-01T00:00:00") + seconds,
            "amount": np.round(rng.gamma(2.0, 20.0, n), 2),
        }
    )
    ours = rfm_summary(tx, monetary="amount", time_unit="W")
    theirs = summary_data_from_transaction_data(
        tx, "customer_id", "date", monetary_value_col="amount", freq="D", freq_multiplier=7
    ).sort_index()
    assert ours.index.tolist() == theirs.index.tolist()
    for column in ["frequency", "recency", "T", "monetary_value"]:
        np.testing.assert_allclose(ours[column], theirs[column], rtol=0, atol=1e-9)
    direct = tx.groupby("customer_id")["amount"].sum()
    np.testing.assert_allclose(ours["historical_value"], direct.loc[ours.index], atol=1e-9)
