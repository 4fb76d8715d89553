"""DuckDB equals pandas on the real CDNOW logs: from Parquet, CSV, a folder of Parquet
parts and DuckDB relations, for every summary and several grains, units and ends."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import clvkit as ck
from tests.engines._compare import assert_same

RFM_CASES = [
    {"time_unit": "W", "observation_end": "1997-09-30"},  # the published calibration
    {"time_unit": "D", "grain": "W"},  # week grain, day unit, end = last transaction
    {"time_unit": "M", "grain": "M", "observation_end": "1998-03-15"},  # mid-month end
    {"time_unit": "Y", "grain": "Q", "observation_end": "1997-12-31"},
]


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ck.errors.DataWarning)
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def sources(duckdb: Any, cdnow_files: Path, cdnow_log: pd.DataFrame) -> dict[str, Any]:
    con = duckdb.connect()
    return {
        "parquet": str(cdnow_files / "log.parquet"),
        "csv": cdnow_files / "log.csv",
        "glob": str(cdnow_files / "parts" / "*.parquet"),
        "folder": cdnow_files / "parts",
        "relation": con.from_df(cdnow_log),
    }


@pytest.mark.parametrize("kind", ["parquet", "csv", "glob", "folder", "relation"])
@pytest.mark.parametrize("case", RFM_CASES, ids=lambda c: "-".join(map(str, c.values())))
def test_rfm_summary(
    sources: dict[str, Any], cdnow_log: pd.DataFrame, kind: str, case: dict
) -> None:
    expected = _quiet(ck.rfm_summary, cdnow_log, monetary="amount", **case)
    got = _quiet(ck.rfm_summary, sources[kind], monetary="amount", **case)
    assert_same(expected, got)


@pytest.mark.parametrize("kind", ["parquet", "csv", "relation"])
def test_calibration_holdout(sources: dict[str, Any], cdnow_log: pd.DataFrame, kind: str) -> None:
    args = {"calibration_end": "1997-09-30", "observation_end": "1998-06-30", "time_unit": "W"}
    expected = ck.calibration_holdout(cdnow_log, monetary="amount", **args)
    assert_same(expected, ck.calibration_holdout(sources[kind], monetary="amount", **args))
    no_money = ck.calibration_holdout(cdnow_log, **args)
    assert_same(no_money, ck.calibration_holdout(sources[kind], **args))


def test_warnings_match_and_point_at_the_caller(
    sources: dict[str, Any], cdnow_log: pd.DataFrame
) -> None:
    with pytest.warns(ck.errors.DataWarning) as theirs:
        ck.rfm_summary(cdnow_log, observation_end="1997-09-30")
    with pytest.warns(ck.errors.DataWarning) as ours:
        ck.rfm_summary(sources["parquet"], observation_end="1997-09-30")
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert ours[0].filename == __file__


@pytest.mark.parametrize("period", ["W", "M", "Q"])
@pytest.mark.parametrize("incomplete", ["flag", "drop"])
def test_retention_table(
    sources: dict[str, Any], cdnow_log: pd.DataFrame, period: str, incomplete: str
) -> None:
    args = {"monetary": "amount", "incomplete": incomplete, "observation_end": "1998-06-17"}
    expected = _quiet(ck.retention_table, cdnow_log, period, **args)
    assert_same(expected, _quiet(ck.retention_table, sources["parquet"], period, **args))


@pytest.mark.parametrize("metric", ["retention", "customers", "revenue", "clv"])
@pytest.mark.parametrize("period", ["W", "M"])
def test_cohort_table(
    sources: dict[str, Any], cdnow_log: pd.DataFrame, metric: str, period: str
) -> None:
    args = {"monetary": "amount", "observation_end": "1998-05-20"}
    expected = _quiet(ck.cohort_table, cdnow_log, period, metric, **args)
    assert_same(expected, _quiet(ck.cohort_table, sources["relation"], period, metric, **args))


def test_master_log(duckdb: Any, tmp_path: Path, cdnow_master: pd.DataFrame) -> None:
    """The full CDNOW master log (23,570 customers), through a Parquet file."""
    path = tmp_path / "master.parquet"
    cdnow_master.to_parquet(path, index=False)
    args = {"calibration_end": "1997-09-30", "observation_end": "1998-06-30", "time_unit": "W"}
    expected = ck.calibration_holdout(cdnow_master, monetary="amount", **args)
    assert len(expected) == 23_570
    assert_same(expected, ck.calibration_holdout(path, monetary="amount", **args))
    expected = ck.rfm_summary(cdnow_master, monetary="amount", time_unit="D", grain="W")
    assert_same(expected, ck.rfm_summary(path, monetary="amount", time_unit="D", grain="W"))
    expected = _quiet(ck.cohort_table, cdnow_master, "M", "clv", monetary="amount")
    assert_same(expected, _quiet(ck.cohort_table, path, "M", "clv", monetary="amount"))


def test_string_ids_and_dates_with_a_format(duckdb: Any, tmp_path: Path) -> None:
    log = pd.DataFrame(
        {
            "cid": ["b7", "b7", "a3", "zz", "a3"],
            "day": ["19970101", "19970108", "19970102", "19970105", "19970102"],
            "amount": [1.0, 2.5, 3.0, 0.0, 4.0],
        }
    )
    path = tmp_path / "log.csv"
    log.to_csv(path, index=False)
    args = {"customer_id": "cid", "datetime": "day", "monetary": "amount"}
    args |= {"datetime_format": "%Y%m%d", "observation_end": "1997-01-09"}
    expected = ck.rfm_summary(log, **args)
    assert_same(expected, ck.rfm_summary(path, **args))
    assert_same(expected, ck.rfm_summary(duckdb.connect().from_df(log), **args))
