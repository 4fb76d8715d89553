"""The CDNOW loaders, and the summaries built from the raw CDNOW log against references.

References used here:

- Fader, Hardie & Lee (2005), "Counting your customers the easy way" (and Hardie's CDNOW
  data notes): the 1/10 sample has 2,357 customers, who made 2,457 repeat purchases in
  the 39-week calibration period ending 1997-09-30 (946 of them at least one) and 1,882
  in the 39-week holdout period ending 1998-06-30.
- ``lifetimes`` 0.11.3: its ``cdnow_customers_summary.csv`` (the published summary, in
  weeks, two decimals) and its ``summary_data_from_transaction_data`` /
  ``calibration_and_holdout_data`` run on the same log in the same test session.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from clvkit.data import (
    calibration_holdout,
    load_cdnow_master_transactions,
    load_cdnow_transactions,
    rfm_summary,
)

CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"

# lifetimes was written for pandas 1.x; on pandas 3 it emits deprecation noise, and our
# own calls warn that the holdout transactions are excluded. Neither is under test here.
pytestmark = pytest.mark.filterwarnings(
    "ignore::UserWarning", "ignore::FutureWarning", "ignore::DeprecationWarning"
)


def _lifetimes_file(name: str) -> Path:
    spec = importlib.util.find_spec("lifetimes")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / name


@pytest.fixture(scope="module")
def tx() -> pd.DataFrame:
    return load_cdnow_transactions()


@pytest.fixture(scope="module")
def rfm_weeks(tx: pd.DataFrame) -> pd.DataFrame:
    return rfm_summary(
        tx,
        customer_id="customer_id",
        datetime="date",
        monetary="amount",
        time_unit="W",
        observation_end=CALIBRATION_END,
    )


# ---- loaders ------------------------------------------------------------------------------


def test_sample_log_shape_and_dtypes(tx: pd.DataFrame) -> None:
    # 6,919 rows: the line count of lifetimes' CDNOW_sample.txt (no header).
    assert tx.shape == (6919, 4)
    assert list(tx.columns) == ["customer_id", "date", "amount", "quantity"]
    assert tx["customer_id"].dtype == np.int64
    assert tx["date"].dtype.kind == "M"
    assert tx["amount"].dtype == np.float64
    assert tx["quantity"].dtype == np.int64
    assert tx["customer_id"].nunique() == 2357
    assert (tx["customer_id"].min(), tx["customer_id"].max()) == (1, 2357)
    assert tx["date"].min() == pd.Timestamp("1997-01-01")
    assert tx["date"].max() == pd.Timestamp("1998-06-30")
    assert (tx["amount"] >= 0).all()


def test_sample_log_first_rows_match_the_file(tx: pd.DataFrame) -> None:
    # The file starts " 00004 0001 19970101  2   29.33" and " 00004 0001 19970118  2   29.73".
    first = tx.iloc[:2]
    assert first["customer_id"].tolist() == [1, 1]
    assert first["date"].tolist() == [pd.Timestamp("1997-01-01"), pd.Timestamp("1997-01-18")]
    assert first["quantity"].tolist() == [2, 2]
    assert first["amount"].tolist() == [29.33, 29.73]


def test_master_log_shape_and_customer_count() -> None:
    # CDNOW_master.txt: 69,659 transactions of 23,570 customers (its 69,660 lines - header).
    master = load_cdnow_master_transactions()
    assert master.shape == (69659, 4)
    assert list(master.columns) == ["customer_id", "date", "amount", "quantity"]
    assert master["customer_id"].nunique() == 23570
    assert (master["customer_id"].min(), master["customer_id"].max()) == (1, 23570)
    assert master["date"].min() == pd.Timestamp("1997-01-01")
    assert master["date"].max() == pd.Timestamp("1998-06-30")
    assert master["quantity"].dtype == np.int64


def test_loaders_do_not_import_lifetimes() -> None:
    code = (
        "import sys; from clvkit.data import load_cdnow_transactions as f; f(); "
        "print('lifetimes' in sys.modules, 'autograd' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


# ---- published CDNOW numbers ------------------------------------------------------------------


def test_calibration_summary_matches_published_counts(rfm_weeks: pd.DataFrame) -> None:
    assert len(rfm_weeks) == 2357
    assert rfm_weeks["frequency"].sum() == 2457
    assert (rfm_weeks["frequency"] > 0).sum() == 946
    assert rfm_weeks.index.name == "customer_id"
    assert rfm_weeks.index.is_monotonic_increasing
    assert rfm_weeks.attrs["time_unit"] == "W"
    assert rfm_weeks.attrs["observation_end"] == CALIBRATION_END


def test_customer_one_matches_published_row(rfm_weeks: pd.DataFrame) -> None:
    # cdnow_customers_summary.csv: "1,2,30.43,38.86".
    row = rfm_weeks.loc[1]
    assert row["frequency"] == 2
    assert round(row["recency"], 2) == 30.43
    assert round(row["T"], 2) == 38.86


def test_every_row_matches_lifetimes_published_summary(rfm_weeks: pd.DataFrame) -> None:
    published = pd.read_csv(_lifetimes_file("cdnow_customers_summary.csv"), index_col="ID")
    assert published.index.tolist() == rfm_weeks.index.tolist()
    np.testing.assert_array_equal(rfm_weeks["frequency"], published["frequency"])
    # The file rounds to two decimals.
    np.testing.assert_allclose(rfm_weeks["recency"], published["recency"], atol=0.005 + 1e-12)
    np.testing.assert_allclose(rfm_weeks["T"], published["T"], atol=0.005 + 1e-12)


def test_holdout_repeat_purchases_match_published_total(tx: pd.DataFrame) -> None:
    cal = calibration_holdout(
        tx, calibration_end=CALIBRATION_END, observation_end=OBSERVATION_END, time_unit="W"
    )
    assert len(cal) == 2357
    assert cal["frequency_holdout"].sum() == 1882
    assert (cal["duration_holdout"] == 39.0).all()  # 1997-10-01 .. 1998-06-30 is 273 days


# ---- parity with lifetimes 0.11.3 -------------------------------------------------------------


@pytest.mark.parametrize(("time_unit", "multiplier"), [("W", 7), ("D", 1)])
def test_rfm_summary_equals_lifetimes(tx: pd.DataFrame, time_unit: str, multiplier: int) -> None:
    from lifetimes.utils import summary_data_from_transaction_data

    ours = rfm_summary(
        tx,
        customer_id="customer_id",
        datetime="date",
        monetary="amount",
        time_unit=time_unit,
        observation_end=CALIBRATION_END,
    )
    theirs = summary_data_from_transaction_data(
        tx,
        "customer_id",
        "date",
        monetary_value_col="amount",
        observation_period_end=CALIBRATION_END,
        freq="D",
        freq_multiplier=multiplier,
    ).sort_index()
    assert ours.index.tolist() == theirs.index.tolist()
    for column in ["frequency", "recency", "T", "monetary_value"]:
        np.testing.assert_allclose(ours[column], theirs[column], rtol=0, atol=1e-9)

    # historical_value (no lifetimes counterpart): a direct pandas sum of the kept rows.
    kept = tx[tx["date"] <= pd.Timestamp(CALIBRATION_END)]
    direct = kept.groupby("customer_id")["amount"].sum()
    np.testing.assert_allclose(ours["historical_value"], direct.loc[ours.index], atol=1e-9)


def _lifetimes_calibration(log: pd.DataFrame) -> pd.DataFrame:
    from lifetimes.utils import calibration_and_holdout_data

    theirs = calibration_and_holdout_data(
        log,
        "customer_id",
        "date",
        calibration_period_end=CALIBRATION_END,
        observation_period_end=OBSERVATION_END,
        freq="D",
        freq_multiplier=7,
        monetary_value_col="amount",
    )
    return theirs.rename(columns=lambda c: c.removesuffix("_cal")).sort_index()


@pytest.fixture(scope="module")
def cal_weeks(tx: pd.DataFrame) -> pd.DataFrame:
    return calibration_holdout(
        tx,
        calibration_end=CALIBRATION_END,
        observation_end=OBSERVATION_END,
        customer_id="customer_id",
        datetime="date",
        monetary="amount",
        time_unit="W",
    )


def test_calibration_holdout_equals_lifetimes(tx: pd.DataFrame, cal_weeks: pd.DataFrame) -> None:
    theirs = _lifetimes_calibration(tx)
    assert cal_weeks.index.tolist() == theirs.index.tolist()
    columns = [
        "frequency",
        "recency",
        "T",
        "monetary_value",
        "frequency_holdout",
        "duration_holdout",
    ]
    for column in columns:
        np.testing.assert_allclose(cal_weeks[column], theirs[column], rtol=0, atol=1e-9)
    assert cal_weeks.attrs["calibration_end"] == CALIBRATION_END
    assert cal_weeks.attrs["observation_end"] == OBSERVATION_END


def test_holdout_spend_is_a_mean_per_purchase(tx: pd.DataFrame, cal_weeks: pd.DataFrame) -> None:
    # lifetimes averages raw holdout *transactions*; clvkit averages *purchases* (same-day
    # transactions merged). On a log already merged per customer and day the two agree.
    merged = tx.groupby(["customer_id", "date"], as_index=False)["amount"].sum()
    theirs = _lifetimes_calibration(merged)
    np.testing.assert_allclose(
        cal_weeks["monetary_value_holdout"], theirs["monetary_value_holdout"], rtol=0, atol=1e-9
    )
    # On the raw log they differ exactly for customers with two holdout transactions on
    # one day.
    raw = _lifetimes_calibration(tx)
    differs = ~np.isclose(
        cal_weeks["monetary_value_holdout"], raw["monetary_value_holdout"], rtol=0, atol=1e-9
    )
    holdout = tx[tx["date"] > pd.Timestamp(CALIBRATION_END)]
    doubled = holdout[holdout.duplicated(["customer_id", "date"], keep=False)]
    differing_ids = set(cal_weeks.index[differs])
    assert differing_ids
    assert differing_ids <= set(doubled["customer_id"])
