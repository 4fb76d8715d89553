"""Spark equals pandas: summaries on CDNOW (sample and master logs) and on a few
Hypothesis logs, fits on Spark summaries, and scoring with mapInPandas.

One local[2] session serves the whole run (tests/engines/conftest.py). Spark results are
Spark DataFrames; they are brought back here only to compare them.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvkit as ck
from tests.engines._compare import assert_same
from tests.engines.conftest import spark_frame, to_pandas
from tests.engines.test_duckdb_properties import DAY0, logs

pytestmark = [
    pytest.mark.slow,
    # pyspark 4 on pandas 3: "not yet fully supported" and a deprecated copy= keyword
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support:FutureWarning"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]
CAL = {"calibration_end": "1997-09-30", "observation_end": "1998-06-30", "time_unit": "W"}


def _attrs(df: Any) -> dict[str, object]:
    """What the Spark result carries in its columns' metadata."""
    first = df.schema[df.columns[0]].metadata["clvkit"]
    assert all(df.schema[c].metadata["clvkit"] == first for c in df.columns)
    return dict(first)


def _summary(df: Any, index: str = "customer_id") -> pd.DataFrame:
    out = to_pandas(df, index)
    out.attrs.update(_attrs(df))
    return out


def _quiet(fn: Any, *args: Any, **kwargs: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ck.errors.DataWarning)
        return fn(*args, **kwargs)


@pytest.fixture(scope="module")
def cdnow_spark(spark: Any, cdnow_log: pd.DataFrame) -> Any:
    """CDNOW with its naive dates as Spark TIMESTAMP_NTZ (the log's own wall clock)."""
    from pyspark.sql.types import DoubleType, LongType, StructField, StructType, TimestampNTZType

    schema = StructType(
        [
            StructField("customer_id", LongType()),
            StructField("date", TimestampNTZType()),
            StructField("amount", DoubleType()),
        ]
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support")
        return spark.createDataFrame(cdnow_log[["customer_id", "date", "amount"]], schema)


def test_rfm_and_calibration_on_cdnow(cdnow_spark: Any, cdnow_log: pd.DataFrame) -> None:
    for case in ({"time_unit": "W", "observation_end": "1997-09-30"}, {"grain": "W"}):
        expected = _quiet(ck.rfm_summary, cdnow_log, monetary="amount", **case)
        got = _quiet(ck.rfm_summary, cdnow_spark, monetary="amount", **case)
        assert got.columns == ["customer_id", *expected.columns]
        assert_same(expected, _summary(got))
    expected = ck.calibration_holdout(cdnow_log, monetary="amount", **CAL)
    assert_same(expected, _summary(ck.calibration_holdout(cdnow_spark, monetary="amount", **CAL)))


def test_timestamps_are_read_on_the_session_clock(spark: Any, cdnow_log: pd.DataFrame) -> None:
    """A Spark TIMESTAMP is local time: naive ends are read on the session's wall clock."""
    log = cdnow_log[["customer_id", "date", "amount"]]
    aware = log.assign(date=log["date"].dt.tz_localize("UTC"))
    expected = _quiet(ck.rfm_summary, aware, monetary="amount", observation_end="1997-09-30T00:00Z")
    got = _quiet(
        ck.rfm_summary, spark_frame(spark, log), monetary="amount", observation_end="1997-09-30"
    )
    assert_same(expected, _summary(got))


def test_tables_on_cdnow(cdnow_spark: Any, cdnow_log: pd.DataFrame) -> None:
    args = {"monetary": "amount", "observation_end": "1998-05-20"}
    expected = _quiet(ck.retention_table, cdnow_log, "M", **args)
    got = _quiet(ck.retention_table, cdnow_spark, "M", **args)
    table = to_pandas(got)
    assert table["period"].tolist() == [str(p) for p in expected.index]
    table = table.drop(columns="period").set_axis(expected.index)
    table.attrs.update(_attrs(got))
    assert_same(expected, table)
    expected = _quiet(ck.cohort_table, cdnow_log, "M", "clv", **args)
    got = _quiet(ck.cohort_table, cdnow_spark, "M", "clv", **args)
    table = to_pandas(got)
    assert table["cohort"].tolist() == [str(p) for p in expected.index]
    table = table.drop(columns="cohort").set_axis(expected.index).set_axis(expected.columns, axis=1)
    table.attrs.update(_attrs(got))
    assert_same(expected, table)


def test_master_log(spark: Any, cdnow_master: pd.DataFrame) -> None:
    log = cdnow_master[["customer_id", "date", "amount"]]
    expected = ck.calibration_holdout(log, monetary="amount", **CAL)
    aware = spark_frame(spark, log)  # TIMESTAMP, read on the session's clock (UTC)
    got = _summary(ck.calibration_holdout(aware, monetary="amount", **CAL))
    assert got.attrs.pop("timezone") == "UTC"
    expected.attrs.pop("timezone")
    assert_same(expected, got)


@contextmanager
def _session_zone(spark: Any, zone: str | None) -> Iterator[None]:
    old = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", zone or "UTC")
    try:
        yield
    finally:
        spark.conf.set("spark.sql.session.timeZone", old)


def _warned(fn: Any, *args: Any, **kwargs: Any) -> tuple[Any, list[str]]:
    """The result (or an InputError's text) and the DataWarnings as an engine without row
    order words them (rows left out), but for the empty-holdout one, which Spark decides
    on every customer's rows (see docs/scaling.md)."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            out = fn(*args, **kwargs)
        except ck.errors.InputError as exc:
            out = f"InputError: {exc}"
    messages = [
        re.sub(r"; rows: [^)]*\)", ")", str(w.message))
        for w in record
        if issubclass(w.category, ck.errors.DataWarning)
    ]
    return out, [m for m in messages if not m.startswith("No purchase falls in the holdout")]


@settings(max_examples=5, deadline=None, derandomize=True)
@given(
    data=logs(),
    grain_unit=st.sampled_from([("D", "D"), ("W", "D"), ("M", "M"), ("h", "h")]),
    end_day=st.integers(20, 150),
    cut_day=st.integers(0, 19),
    duplicates=st.sampled_from(["warn", "drop"]),
)
def test_generated_logs(
    spark: Any,
    data: tuple[pd.DataFrame, str | None],
    grain_unit: tuple[str, str],
    end_day: int,
    cut_day: int,
    duplicates: str,
) -> None:
    """Time zones through the session's clock, same-day repeats, coarse grains, ends
    between transactions, repeated and far-off rows and their warnings (a few examples:
    each costs a few Spark jobs). Spark names the customers with the smallest ids, as
    pandas does on the log sorted by id."""
    log, zone = data
    log = log.sort_values("customer_id", kind="stable", ignore_index=True)
    grain, unit = grain_unit
    end = DAY0 + pd.Timedelta(days=end_day, hours=13)
    cut = DAY0 + pd.Timedelta(days=cut_day, hours=13)
    if zone is not None:
        end, cut = end.tz_localize(zone), cut.tz_localize(zone)
    args = {"monetary": "amount", "grain": grain, "time_unit": unit, "duplicates": duplicates}
    args |= {"calibration_end": cut, "observation_end": end, "gap_multiple": 3.0}
    with _session_zone(spark, zone):
        expected, theirs = _warned(ck.calibration_holdout, log, **args)
        got, ours = _warned(ck.calibration_holdout, spark_frame(spark, log), **args)
        assert ours == theirs
        if isinstance(expected, str):
            assert got == expected
            return
        got = _summary(got)
    if zone is None:  # naive pandas times became Spark TIMESTAMPs on a UTC session clock
        assert got.attrs.pop("timezone") == "UTC"
        expected.attrs.pop("timezone")
    assert_same(expected, got)


def test_suspicious_logs(spark: Any) -> None:
    """Repeats (warned, dropped), a row typed 2052 and a far end, for a summary and a
    table: the pandas warnings and numbers."""
    log = ck.datasets.simulate_transactions(300, seed=17)[["customer_id", "date", "amount"]]
    copied = log.iloc[[5, 5, 40, 300]]
    log = pd.concat([log, copied], ignore_index=True)
    log.loc[7, "date"] = pd.Timestamp("2052-03-04 12:00")
    log = log.sort_values("customer_id", kind="stable", ignore_index=True)
    df = spark_frame(spark, log)  # TIMESTAMP on the UTC session clock
    for duplicates, end in (("warn", None), ("drop", "2031-01-01")):
        args = {"monetary": "amount", "duplicates": duplicates, "observation_end": end}
        expected, theirs = _warned(ck.rfm_summary, log, **args)
        got, ours = _warned(ck.rfm_summary, df, **args)
        # far-off row, repeats; or the row after the end, a far and future end, repeats
        assert ours == theirs and len(ours) == (2 if end is None else 3)
        assert ours[-1].startswith("4 of ")
        assert f"for {copied['customer_id'].nunique()} customers" in ours[-1]
        got = _summary(got)
        assert got.attrs.pop("timezone") == "UTC"
        expected.attrs.pop("timezone")
        assert_same(expected, got)
    expected, theirs = _warned(ck.retention_table, log, "Q", monetary="amount")
    got, ours = _warned(ck.retention_table, df, "Q", monetary="amount")
    assert ours == theirs and any("2052-03-04" in m for m in ours)


def test_fit_and_score_on_spark_summaries(cdnow_spark: Any, cdnow_log: pd.DataFrame) -> None:
    summaries = _quiet(
        ck.rfm_summary, cdnow_spark, monetary="amount", time_unit="W", observation_end="1997-09-30"
    )
    rfm = _quiet(
        ck.rfm_summary, cdnow_log, monetary="amount", time_unit="W", observation_end="1997-09-30"
    )
    model, ref = ck.CLVModel().fit(summaries), ck.CLVModel().fit(rfm)
    assert (model.time_unit_, model.grain_) == ("W", "D")  # from the columns' metadata
    for ours, theirs in [
        (model.purchase_model_, ref.purchase_model_),
        (model.spend_model_, ref.spend_model_),
    ]:
        assert np.max(np.abs(ours.params_.to_numpy() / theirs.params_.to_numpy() - 1)) <= 1e-10
    horizon = {"horizon": "52W", "discount_rate": 0.1, "margin": 0.3}
    scored = ref.predict_clv(summaries, **horizon)
    assert type(scored).__name__ == "DataFrame" and scored.columns[0] == "customer_id"
    got = to_pandas(scored, "customer_id")
    expected = ref.predict_clv(rfm, **horizon)
    got["lifecycle_stage"] = got["lifecycle_stage"].astype(expected["lifecycle_stage"].dtype)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
