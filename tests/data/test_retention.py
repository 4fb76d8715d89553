"""Retention and cohort tables: a hand-built log with known answers, CDNOW against direct
pandas computations, incomplete periods, the same input errors as rfm_summary, and
bookkeeping identities on random logs."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clvkit.data import rfm_summary
from clvkit.data.retention import cohort_table, retention_table
from clvkit.errors import DataWarning, InputError, UnitError

# ---- a hand-built month: 1,000 in the base, 780 buy again -----------------------------------


def _hand_built_log() -> pd.DataFrame:
    """Dec 2023: 30 customers (ids 2000-2029) buy, then stay away in January.
    Jan 2024: 1,000 customers (ids 0-999) make their first purchase.
    Feb 2024: 780 of those buy again (ids 0-779), the 30 December customers come back
    (reactivated), and 50 new customers arrive (ids 3000-3049): the first 10 of them buy on
    two different days of February, the next 5 twice on the same day."""
    rng = np.random.default_rng(7)
    rows: list[tuple[int, str]] = []
    rows += [(i, f"2023-12-{rng.integers(1, 32):02d}") for i in range(2000, 2030)]
    rows += [(i, f"2024-01-{rng.integers(1, 32):02d}") for i in range(1000)]
    rows += [(i, f"2024-02-{rng.integers(1, 30):02d}") for i in range(780)]
    rows += [(i, f"2024-02-{rng.integers(1, 30):02d}") for i in range(2000, 2030)]
    rows += [(i, "2024-02-10") for i in range(3000, 3050)]
    rows += [(i, "2024-02-20") for i in range(3000, 3010)]
    rows += [(i, "2024-02-10") for i in range(3010, 3015)]
    rows.append((3049, "2024-02-29"))  # the last day of February: the month is complete
    frame = pd.DataFrame(rows, columns=["customer_id", "date"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["amount"] = 10.0
    return frame.sample(frac=1.0, random_state=3).reset_index(drop=True)  # order-free


def test_hand_built_retention_is_78_percent() -> None:
    table = retention_table(_hand_built_log(), period="M", monetary="amount")
    assert list(table.index.astype(str)) == ["2023-12", "2024-01", "2024-02"]
    feb = table.loc[pd.Period("2024-02", "M")]
    # the numbers the log was built with (see _hand_built_log)
    assert feb["customers_start"] == 1000
    assert feb["retained"] == 780
    assert feb["churned"] == 220
    assert feb["retention_rate"] == pytest.approx(0.78, abs=1e-15)
    assert feb["churn_rate"] == pytest.approx(0.22, abs=1e-15)
    assert feb["new"] == 50
    assert feb["reactivated"] == 30
    assert feb["customers_end"] == 780 + 30 + 50
    # the classic (E - N) / S counts the 30 reactivated as retained: (860 - 50) / 1000
    assert feb["classic_retention_rate"] == pytest.approx(0.81, abs=1e-15)
    # repeat purchases: 780 retained + 30 reactivated + 10 new back on a second day + 3049
    # (back on the 29th); the 5 who bought twice on one day made one purchase
    assert feb["repeat_purchase_rate"] == pytest.approx(821 / 860, abs=1e-15)
    assert feb["revenue"] == 10.0 * (780 + 30 + 50 + 10 + 5 + 1)
    assert bool(feb["complete"])

    jan = table.loc[pd.Period("2024-01", "M")]
    assert (jan["customers_start"], jan["retained"], jan["new"]) == (30, 0, 1000)
    assert (jan["retention_rate"], jan["churn_rate"]) == (0.0, 1.0)
    dec = table.loc[pd.Period("2023-12", "M")]
    assert dec["customers_start"] == 0
    assert np.isnan(dec["retention_rate"]) and np.isnan(dec["churn_rate"])
    assert table.attrs == {
        "period": "M",
        "observation_end": "2024-02-29",
        "incomplete_period": None,
    }


def test_hand_built_cohorts() -> None:
    log = _hand_built_log()
    table = cohort_table(log, period="M", metric="customers")
    expected = pd.DataFrame(
        [[30.0, 0.0, 30.0], [1000.0, 780.0, np.nan], [50.0, np.nan, np.nan]],
        index=pd.PeriodIndex(["2023-12", "2024-01", "2024-02"], freq="M", name="cohort"),
        columns=pd.RangeIndex(3, name="age"),
    )
    pd.testing.assert_frame_equal(table, expected)
    retention = cohort_table(log, period="M")
    np.testing.assert_array_equal(retention.to_numpy(), (expected.T / expected[0]).T.to_numpy())
    clv = cohort_table(log, period="M", metric="clv", monetary="amount")
    # cohort 2024-01: 10 per customer at age 0, then 780 x 10 more over 1,000 customers
    np.testing.assert_allclose(clv.iloc[1, :2], [10.0, 10.0 + 7.8])


# ---- CDNOW against direct pandas computations ----------------------------------------------


@pytest.fixture(scope="module")
def cdnow_monthly(cdnow_transactions: pd.DataFrame) -> pd.DataFrame:
    """Per customer and calendar month: spend, from plain pandas (the reference)."""
    tx = cdnow_transactions
    month = tx["date"].dt.to_period("M")
    cohort = month.groupby(tx["customer_id"]).transform("min")
    frame = pd.DataFrame(
        {"customer_id": tx["customer_id"], "cohort": cohort, "month": month, "amount": tx["amount"]}
    )
    frame["age"] = (frame["month"] - frame["cohort"]).map(lambda offset: offset.n)
    return frame


def test_cdnow_cohort_retention_matches_pandas(
    cdnow_transactions: pd.DataFrame, cdnow_monthly: pd.DataFrame
) -> None:
    table = cohort_table(cdnow_transactions, period="M", metric="retention")
    ref = cdnow_monthly
    size = ref.groupby("cohort")["customer_id"].nunique()
    active = ref.pivot_table(
        index="cohort", columns="age", values="customer_id", aggfunc="nunique", observed=True
    )
    expected = active.reindex(columns=range(table.shape[1])).div(size, axis=0)
    # the CDNOW sample: customers acquired Jan-Mar 1997, observed to June 1998 (18 months)
    assert list(table.index.astype(str)) == ["1997-01", "1997-02", "1997-03"]
    assert table.shape == (3, 18)
    assert (table[0] == 1.0).all()
    last = pd.Period("1998-06", "M")
    for cohort in table.index:
        lived = (last - cohort).n  # oldest age the cohort has reached
        observed = table.loc[cohort, :lived]
        assert observed.notna().all()
        want = expected.loc[cohort, :lived].fillna(0.0)  # observed, nobody bought: 0
        np.testing.assert_allclose(observed.to_numpy(), want.to_numpy(), rtol=0, atol=1e-15)
        assert table.loc[cohort, lived + 1 :].isna().all()
    assert table.isna().sum().sum() == 1 + 2  # Feb misses age 17, March ages 16 and 17


def test_cdnow_cohort_revenue_and_clv_match_pandas(
    cdnow_transactions: pd.DataFrame, cdnow_monthly: pd.DataFrame
) -> None:
    revenue = cohort_table(cdnow_transactions, "M", "revenue", monetary="amount")
    clv = cohort_table(cdnow_transactions, "M", "clv", monetary="amount")
    customers = cohort_table(cdnow_transactions, "M", "customers")
    ref = cdnow_monthly
    spend = ref.pivot_table(
        index="cohort", columns="age", values="amount", aggfunc="sum", observed=True
    )
    spend = spend.reindex(columns=range(18)).fillna(0.0)
    size = ref.groupby("cohort")["customer_id"].nunique()
    mask = revenue.notna().to_numpy()
    np.testing.assert_allclose(revenue.to_numpy()[mask], spend.to_numpy()[mask], rtol=1e-12)
    cum = spend.cumsum(axis=1).div(size, axis=0).to_numpy()
    np.testing.assert_allclose(clv.to_numpy()[mask], cum[mask], rtol=1e-12)
    np.testing.assert_array_equal(customers[0].to_numpy(), size.to_numpy())
    assert (clv.notna() == mask).all().all() and (customers.notna() == mask).all().all()


def test_cdnow_retention_table_matches_sets(cdnow_transactions: pd.DataFrame) -> None:
    """Reference: Python sets of active customers per month, built from the raw log."""
    table = retention_table(cdnow_transactions, period="M", monetary="amount")
    tx = cdnow_transactions
    month = tx["date"].dt.to_period("M")
    active = {m: set(g) for m, g in tx["customer_id"].groupby(month)}
    seen: set[int] = set()
    previous: set[int] = set()
    for period, row in table.iterrows():
        now = active.get(period, set())
        assert row["customers_start"] == len(previous)
        assert row["retained"] == len(now & previous)
        assert row["new"] == len(now - seen)
        assert row["reactivated"] == len((now & seen) - previous)
        assert row["revenue"] == pytest.approx(tx.loc[month == period, "amount"].sum())
        seen |= now
        previous = now
    assert table["complete"].all()  # the log ends on 1998-06-30


def test_weeks_start_on_monday() -> None:
    # 2024-01-07 is a Sunday, 2024-01-08 a Monday
    log = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "date": pd.to_datetime(["2024-01-07", "2024-01-08", "2024-01-14"]),
        }
    )
    table = retention_table(log, period="W")
    assert list(table.index.astype(str)) == ["2024-01-01/2024-01-07", "2024-01-08/2024-01-14"]
    assert table["retained"].tolist() == [0, 1]
    assert table["new"].tolist() == [1, 1]


def test_inputs_are_not_modified(cdnow_transactions: pd.DataFrame) -> None:
    before = cdnow_transactions.copy()
    retention_table(cdnow_transactions, "Q", monetary="amount")
    cohort_table(cdnow_transactions, "Q", "clv", monetary="amount")
    pd.testing.assert_frame_equal(cdnow_transactions, before)


# ---- the incomplete last period -------------------------------------------------------------


def test_incomplete_last_period_is_flagged(cdnow_transactions: pd.DataFrame) -> None:
    log = cdnow_transactions[cdnow_transactions["date"] <= "1998-05-15"]
    with pytest.warns(
        UserWarning, match=r"1998Q2, is observed only up to 1998-05-15 \(45 of 91"
    ) as record:
        table = retention_table(log, "Q", observation_end="1998-05-15")
    assert len(record) == 1 and record[0].category is DataWarning
    assert record[0].filename == __file__  # points at the caller
    assert table["complete"].tolist() == [True] * 5 + [False]
    assert table.attrs["incomplete_period"] == "1998Q2"
    assert table.attrs["observation_end"] == "1998-05-15"


def test_incomplete_last_period_dropped_equals_ending_earlier(
    cdnow_transactions: pd.DataFrame,
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # transactions after observation_end
        dropped = cohort_table(
            cdnow_transactions, "Q", observation_end="1998-05-15", incomplete="drop"
        )
        earlier = cohort_table(cdnow_transactions, "Q", observation_end="1998-03-31")
        table = retention_table(
            cdnow_transactions, "Q", observation_end="1998-05-15", incomplete="drop"
        )
    pd.testing.assert_frame_equal(dropped, earlier, check_like=False)
    assert str(table.index[-1]) == "1998Q1" and table["complete"].all()


def test_drop_forgets_customers_acquired_in_the_dropped_period() -> None:
    log = pd.DataFrame(
        {
            "customer_id": [1, 2, 1],
            "date": pd.to_datetime(["2024-01-05", "2024-02-03", "2024-02-10"]),
        }
    )
    table = cohort_table(log, "M", "customers", incomplete="drop")
    assert table.shape == (1, 1) and table.iloc[0, 0] == 1.0
    with pytest.raises(InputError, match=r"one 'M' period, 2024-01.*incomplete='drop'"):
        retention_table(log.iloc[:1], "M", incomplete="drop")


def test_observation_end_after_the_log_adds_quiet_periods() -> None:
    log = pd.DataFrame({"customer_id": [1, 2], "date": pd.to_datetime(["2024-01-05"] * 2)})
    table = retention_table(log, "M", observation_end="2024-03-31")
    assert table["customers_end"].tolist() == [2, 0, 0]
    assert table["retention_rate"].iloc[1] == 0.0 and np.isnan(table["retention_rate"].iloc[2])
    cohorts = cohort_table(log, "M", observation_end="2024-03-31")
    assert cohorts.iloc[0].tolist() == [1.0, 0.0, 0.0]  # observed zeros, not NaN


# ---- bad input: the same errors as rfm_summary ----------------------------------------------


def _log(**overrides: object) -> pd.DataFrame:
    columns: dict[str, object] = {
        "customer_id": [1, 1, 2, 3],
        "date": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-02", "2024-01-09"]),
        "amount": [10.0, 5.0, 7.0, 1.0],
    }
    columns.update(overrides)
    return pd.DataFrame(columns)


BAD_INPUTS: dict[str, tuple[Any, dict[str, Any]]] = {
    "not a frame": (_log().to_dict(), {}),
    "missing column": (_log().drop(columns="amount"), {"monetary": "amount"}),
    "duplicated columns": (pd.concat([_log(), _log()[["amount"]]], axis=1), {}),
    "empty": (_log().iloc[:0], {}),
    "one column, two roles": (_log(), {"monetary": "date"}),
    "missing id": (_log(customer_id=[1.0, np.nan, 2.0, np.nan]), {}),
    "unparseable date": (_log(date=["2024-01-01", "soon", "2024-01-02", "x"]), {}),
    "missing date": (_log(date=pd.to_datetime(["2024-01-01", None, "2024-01-02", None])), {}),
    "numeric dates": (_log(date=[20240101, 20240102, 20240103, 20240104]), {}),
    "negative amount": (_log(amount=[1.0, -2.0, 3.0, 4.0]), {"monetary": "amount"}),
    "nan amount": (_log(amount=[1.0, np.nan, 3.0, 4.0]), {"monetary": "amount"}),
    "string amount": (_log(amount=["1", "2", "3", "4"]), {"monetary": "amount"}),
    "bad observation_end": (_log(), {"observation_end": "not a date"}),
    "tz-aware observation_end": (_log(), {"observation_end": "2024-01-09T00:00+01:00"}),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
@pytest.mark.parametrize(
    "function",
    [
        lambda tx, **kw: retention_table(tx, "M", **kw),
        lambda tx, **kw: cohort_table(tx, "M", **kw),
    ],
    ids=["retention_table", "cohort_table"],
)
def test_bad_input_gets_the_rfm_summary_error(case: str, function: Callable[..., object]) -> None:
    tx, kwargs = BAD_INPUTS[case]
    with pytest.raises(InputError) as expected:
        rfm_summary(tx, **kwargs)
    with pytest.raises(InputError) as got:
        function(tx, **kwargs)
    assert type(got.value) is type(expected.value)
    assert str(got.value) == str(expected.value)


def test_everything_after_observation_end_names_the_caller() -> None:
    with pytest.raises(InputError, match=r"observation_end' argument of cohort_table is 2023"):
        cohort_table(_log(), observation_end="2023-06-01")


@pytest.mark.parametrize("period", ["D", "h", "month", None, 3])
def test_bad_period(period: object) -> None:
    with pytest.raises(UnitError, match=r"'period' argument must be one of \['W', 'M', 'Q', 'Y'\]"):
        retention_table(_log(), period)  # type: ignore[arg-type]
    with pytest.raises(UnitError, match=r"'period' argument must be one of"):
        cohort_table(_log(), period)  # type: ignore[arg-type]


def test_bad_metric_and_incomplete() -> None:
    with pytest.raises(InputError, match=r"'metric' argument of cohort_table must be one of"):
        cohort_table(_log(), "M", "churn")  # type: ignore[arg-type]
    with pytest.raises(InputError, match=r"'clv', which needs amounts: pass monetary="):
        cohort_table(_log(), "M", "clv")
    with pytest.raises(InputError, match=r"'incomplete' argument of retention_table must be"):
        retention_table(_log(), "M", incomplete="keep")  # type: ignore[arg-type]


# ---- bookkeeping identities on random logs --------------------------------------------------


@st.composite
def logs(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 40))
    ids = draw(st.lists(st.integers(0, 8), min_size=n, max_size=n))
    days = draw(st.lists(st.integers(0, 400), min_size=n, max_size=n))
    amounts = draw(st.lists(st.integers(0, 50), min_size=n, max_size=n))
    return pd.DataFrame(
        {
            "customer_id": ids,
            "date": pd.Timestamp("2023-12-25") + pd.to_timedelta(days, unit="D"),
            "amount": np.asarray(amounts, dtype=float),
        }
    )


@given(logs(), st.sampled_from(["W", "M", "Q", "Y"]))
def test_bookkeeping_identities(log: pd.DataFrame, period: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # an incomplete last period
        table = retention_table(log, period, monetary="amount")
        customers = cohort_table(log, period, "customers")
        clv = cohort_table(log, period, "clv", monetary="amount")
    ends = table["customers_end"]
    assert (ends == table["new"] + table["retained"] + table["reactivated"]).all()
    assert (table["customers_start"].iloc[1:].to_numpy() == ends.iloc[:-1].to_numpy()).all()
    assert (table["retained"] <= table["customers_start"]).all()
    assert table["new"].sum() == log["customer_id"].nunique()
    assert table["revenue"].sum() == pytest.approx(log["amount"].sum())
    # cohort cells sum, period by period, to the customers active in that period
    per_period = np.zeros(len(table))
    for i, (_, row) in enumerate(customers.iterrows()):
        start = table.index.get_loc(customers.index[i])
        values = row.dropna().to_numpy()
        per_period[start : start + values.size] += values
    np.testing.assert_array_equal(per_period, ends.to_numpy())
    # realised value per customer never decreases and ends at the cohort's total spend
    assert (clv.ffill(axis=1).diff(axis=1).iloc[:, 1:] >= -1e-9).all().all()
    last = clv.ffill(axis=1).iloc[:, -1] * customers[0]
    first_period = log["date"].dt.to_period(period).groupby(log["customer_id"]).transform("min")
    totals = log["amount"].groupby(first_period).sum()
    np.testing.assert_allclose(last.to_numpy(), totals.to_numpy())
