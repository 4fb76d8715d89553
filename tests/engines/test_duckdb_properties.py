"""Hypothesis: DuckDB equals pandas on generated logs.

Time zones (the wall clock of each zone, through Parquet's Arrow schema), several
transactions of one customer on one day, grains coarser than the time unit ("W" with "D"),
calendar months and quarters, ends of observation and calibration between transactions
(with a time of day), and the errors the pandas path raises on such arguments; repeated
rows, a row a long way off, ends far after the log, and the warnings about them.
"""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import clvkit as ck
from clvkit.errors import InputError
from tests.engines._compare import assert_same

ZONES = [None, "UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"]
DAY0 = pd.Timestamp("2019-12-20")  # the log spans New Year and month ends


@st.composite
def logs(
    draw: st.DrawFn, typos: tuple[int | None, ...] = (None, -4000, 400, 4000)
) -> tuple[pd.DataFrame, str | None]:
    """A log of up to 30 transactions over 150 days in one of :data:`ZONES`, with a few
    exact copies of its rows and, ``typos`` days away from its first row, a row typed
    with the wrong date; rows in a drawn order (default index)."""
    n = draw(st.integers(1, 30))
    ids = draw(st.lists(st.integers(0, 5), min_size=n, max_size=n))
    days = draw(st.lists(st.integers(0, 150), min_size=n, max_size=n))
    # minutes within the day: many rows share a day, some a few minutes apart
    minutes = draw(st.lists(st.sampled_from([0, 5, 600, 1439]), min_size=n, max_size=n))
    cents = draw(st.lists(st.integers(0, 40_000), min_size=n, max_size=n))
    zone = draw(st.sampled_from(ZONES))
    times = DAY0 + pd.to_timedelta(np.array(days) * 1440 + np.array(minutes), unit="min")
    if zone is not None:
        times = times.tz_localize("UTC").tz_convert(zone)  # wall clocks differ per zone
    log = pd.DataFrame(
        {"customer_id": ids, "date": times, "amount": np.array(cents, dtype=float) / 100}
    )
    # suspicious rows: exact copies of a few rows, and one row a long way off (a typo)
    copies = draw(st.lists(st.integers(0, n - 1), max_size=4))
    typo = draw(st.sampled_from(typos))
    if typo is not None:
        far = log.iloc[[0]].assign(date=log["date"].iloc[0] + pd.Timedelta(days=typo))
        log = pd.concat([log, far], ignore_index=True)
    log = pd.concat([log, log.iloc[copies]], ignore_index=True)
    order = draw(st.permutations(range(len(log))))
    return log.iloc[list(order)].reset_index(drop=True), zone


def _end(draw_day: int, zone: str | None, hour: int) -> pd.Timestamp:
    stamp = DAY0 + pd.Timedelta(days=draw_day, hours=hour)
    return stamp.tz_localize(zone) if zone is not None else stamp


def _both(fn: Any, log: pd.DataFrame, path: Path, **kwargs: Any) -> tuple[Any, Any]:
    """Run ``fn`` on pandas and on the Parquet file; results or the InputError text."""
    out = []
    for source in (log, path):
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            try:
                result: Any = fn(source, **kwargs)
            except InputError as exc:
                result = f"InputError: {exc}"
        out.append(
            (result, sorted(str(w.message) for w in seen if w.category is ck.errors.DataWarning))
        )
    return out[0], out[1]


def _check(expected: tuple[Any, list[str]], got: tuple[Any, list[str]]) -> None:
    assert got[1] == expected[1]  # the same DataWarnings, word for word
    if isinstance(expected[0], str):
        assert got[0] == expected[0]
    else:
        assert_same(expected[0], got[0])


@pytest.mark.slow
@settings(max_examples=40, deadline=None, derandomize=True)
@given(
    data=logs(),
    grain_unit=st.sampled_from(
        [("D", "D"), ("W", "D"), ("D", "W"), ("M", "M"), ("h", "h"), ("h", "D"), ("Q", "Y")]
    ),
    end_day=st.sampled_from([None, 1000]) | st.integers(-5, 160),  # 1000: far after the log
    end_hour=st.sampled_from([0, 13, 23]),
    cut_day=st.integers(-5, 160),
    duplicates=st.sampled_from(["warn", "drop", "keep"]),
    gap_multiple=st.sampled_from([100.0, 3.0, None]),
)
@example(  # holdout rows only from customers acquired in the holdout: pandas warns
    data=(
        pd.DataFrame(
            {
                "customer_id": [0, 0, 1],
                "date": pd.to_datetime(["2019-12-21", "2019-12-21", "2019-12-20"]),
                "amount": [0.0, 0.0, 0.0],
            }
        ),
        None,
    ),
    grain_unit=("D", "D"),
    end_day=None,
    end_hour=0,
    cut_day=0,
    duplicates="warn",
    gap_multiple=100.0,
)
def test_summaries_equal_pandas(
    duckdb: Any,
    data: tuple[pd.DataFrame, str | None],
    grain_unit: tuple[str, str],
    end_day: int | None,
    end_hour: int,
    cut_day: int,
    duplicates: str,
    gap_multiple: float | None,
) -> None:
    """The same numbers, errors and warnings word for word (the Parquet file names the
    rows pandas names), with repeated rows, far-off rows and far ends drawn in."""
    log, zone = data
    grain, unit = grain_unit
    end = None if end_day is None else _end(end_day, zone, end_hour)
    cut = _end(cut_day, zone, end_hour)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.parquet"
        log.to_parquet(path, index=False)
        common = {"monetary": "amount", "grain": grain, "time_unit": unit}
        common |= {"duplicates": duplicates, "gap_multiple": gap_multiple}
        _check(*_both(ck.rfm_summary, log, path, observation_end=end, **common))
        _check(
            *_both(
                ck.calibration_holdout,
                log,
                path,
                calibration_end=cut,
                observation_end=end,
                **common,
            )
        )


@pytest.mark.slow
@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    data=logs(typos=(None, 200)),  # the tables have a column per period: keep them short
    period=st.sampled_from(["W", "M", "Q"]),
    metric=st.sampled_from(["retention", "customers", "clv"]),
    incomplete=st.sampled_from(["flag", "drop"]),
    end_day=st.none() | st.integers(0, 160),
    duplicates=st.sampled_from(["warn", "drop", "keep"]),
)
def test_tables_equal_pandas(
    duckdb: Any,
    data: tuple[pd.DataFrame, str | None],
    period: str,
    metric: str,
    incomplete: str,
    end_day: int | None,
    duplicates: str,
) -> None:
    log, zone = data
    end = None if end_day is None else _end(end_day, zone, 12)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.parquet"
        log.to_parquet(path, index=False)
        common = {"monetary": "amount", "observation_end": end, "incomplete": incomplete}
        common |= {"duplicates": duplicates, "gap_multiple": 3.0}
        _check(*_both(ck.retention_table, log, path, period=period, **common))
        _check(*_both(ck.cohort_table, log, path, period=period, metric=metric, **common))


@pytest.mark.parametrize("grain", ["h", "D", "W", "M", "Q", "Y"])
def test_times_around_1970(duckdb: Any, tmp_path: Path, grain: str) -> None:
    """Floors before the epoch (negative day and hour numbers) are exact, as in numpy."""
    log = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2],
            "date": pd.to_datetime(
                [
                    "1969-12-31 23:30",
                    "1969-12-29 00:10",  # a Monday
                    "1970-01-01 00:00",
                    "1968-02-29 12:00",
                    "1970-03-01 01:59",
                ]
            ),
            "amount": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    path = tmp_path / "log.parquet"
    log.to_parquet(path, index=False)
    for unit in ("h", "D", "M"):
        expected = ck.rfm_summary(log, monetary="amount", grain=grain, time_unit=unit)
        assert_same(expected, ck.rfm_summary(path, monetary="amount", grain=grain, time_unit=unit))
