"""Suspicious logs in DuckDB: the pandas path's warnings, word for word (counts, dates,
rows and customers), and its numbers, for repeated transactions (warn, drop, keep),
far-off and future dates and a far or future end of observation (issue 17, item 2); date
arguments of every type read on the log's wall clock (item 6).

The reference is always the pandas path on the same log. A Parquet file knows the
position of each row, so its warnings name the very rows pandas names (the frames here
have default indexes); a DuckDB relation or a CSV file has no row order, and its warnings
leave the rows out and name the customers with the smallest ids (compared with pandas on
the log sorted by customer id).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.errors import DataWarning, InputError
from tests.engines._compare import assert_same

BERLIN = "Europe/Berlin"
COLUMNS = {"customer_id": "client", "datetime": "ts", "monetary": "revenue"}
TODAY = pd.Timestamp(dt.datetime.now(dt.UTC).date())


@functools.cache
def _base() -> pd.DataFrame:
    """400 simulated customers (seeded) over 2024-2025 as a user brings them: string ids,
    Berlin times, rows in no particular order (default index: labels are positions)."""
    sim = ck.datasets.simulate_transactions(400, seed=17)
    log = pd.DataFrame(
        {
            "client": "C-" + sim["customer_id"].astype(str).str.zfill(4),
            "ts": sim["date"].dt.tz_localize("UTC").dt.tz_convert(BERLIN),
            "revenue": sim["amount"],
        }
    )
    return log.sample(frac=1.0, random_state=3).reset_index(drop=True)


def base() -> pd.DataFrame:
    return _base().copy()


def with_repeats(frame: pd.DataFrame, n_rows: int, n_customers: int, seed: int) -> pd.DataFrame:
    """``frame`` with ``n_rows`` exact copies of rows of ``n_customers`` customers, put
    at random places (an export run twice over part of a day)."""
    rng = np.random.default_rng(seed)
    customers = rng.choice(frame["client"].unique(), size=n_customers, replace=False)
    picks = [int(np.flatnonzero(frame["client"] == c)[0]) for c in customers]
    picks += list(rng.choice(picks, size=n_rows - n_customers))
    out = pd.concat([frame, frame.iloc[picks]], ignore_index=True)
    return out.iloc[rng.permutation(len(out))].reset_index(drop=True)


def with_date(frame: pd.DataFrame, row: int, local_time: str) -> pd.DataFrame:
    out = frame.copy()
    out.loc[row, "ts"] = pd.Timestamp(local_time, tz=out["ts"].dt.tz)
    return out


def caught(call: Any, *args: Any, **kwargs: Any) -> tuple[Any, list[str]]:
    """The result (or an InputError's text) and every DataWarning's message, in order."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        try:
            out = call(*args, **kwargs)
        except InputError as exc:
            out = f"InputError: {exc}"
    return out, [str(w.message) for w in record if issubclass(w.category, DataWarning)]


def without_rows(message: str) -> str:
    """A pandas warning as an engine without row order words it."""
    return re.sub(r"; rows: [^)]*\)", ")", message)


def parquet(tmp_path: Path, frame: pd.DataFrame, name: str = "log.parquet") -> Path:
    path = tmp_path / name
    frame.to_parquet(path, index=False)
    return path


def same(call: Any, frame: pd.DataFrame, source: object, **kwargs: Any) -> list[str]:
    """The engine gives the pandas path's result and warnings; returns the warnings."""
    expected, theirs = caught(call, frame, **kwargs)
    got, ours = caught(call, source, **kwargs)
    assert ours == theirs
    if isinstance(expected, str):
        assert got == expected
    else:
        assert_same(expected, got)
    return ours


def rfm(source: object, **kwargs: Any) -> Any:
    return ck.rfm_summary(source, **COLUMNS, time_unit="W", **kwargs)


# ---- repeated transactions -----------------------------------------------------------------


def test_the_base_log_is_quiet(duckdb: Any, tmp_path: Path) -> None:
    assert same(rfm, base(), parquet(tmp_path, base())) == []


@pytest.mark.parametrize("duplicates", ["warn", "drop", "keep"])
def test_repeats_as_pandas_names_them(duckdb: Any, tmp_path: Path, duplicates: str) -> None:
    """30 copies of rows of 21 customers: the same count, customers and rows, and the
    same numbers (summed, dropped, or kept silently)."""
    frame = with_repeats(base(), 30, 21, seed=1)
    messages = same(rfm, frame, parquet(tmp_path, frame), duplicates=duplicates)
    if duplicates == "keep":
        assert messages == []
        return
    (message,) = messages
    assert message.startswith(f"30 of {len(frame)} transactions in rfm_summary repeat")
    assert "for 21 customers (customer ids: 'C-" in message and "; rows: " in message


def test_dropping_gives_the_numbers_of_the_log_without_copies(duckdb: Any, tmp_path: Path) -> None:
    frame = with_repeats(base(), 30, 21, seed=2)
    _, messages = caught(rfm, parquet(tmp_path, frame), duplicates="drop")
    assert len(messages) == 1 and "They were dropped (duplicates='drop')" in messages[0]
    clean, _ = caught(rfm, base())
    dropped, _ = caught(rfm, parquet(tmp_path, frame), duplicates="drop")
    assert_same(clean, dropped)


def test_without_row_order_the_smallest_ids_are_named(duckdb: Any, tmp_path: Path) -> None:
    """A DuckDB relation (on a connection in the log's zone) and a CSV file of naive times:
    counts as in pandas, rows left out, the smallest customer ids named."""
    frame = with_repeats(base(), 12, 7, seed=4)
    by_id = frame.sort_values("client", kind="stable", ignore_index=True)
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{BERLIN}'")
    naive = by_id.assign(ts=by_id["ts"].dt.tz_localize(None))
    csv = tmp_path / "log.csv"
    naive.to_csv(csv, index=False)
    cases = [(by_id, con.from_df(frame), "warn"), (by_id, con.from_df(frame), "drop")]
    cases.append((naive, csv, "warn"))  # (each query on a CSV file sniffs it again)
    for frame_, source, duplicates in cases:
        expected, theirs = caught(rfm, frame_, duplicates=duplicates)
        got, ours = caught(rfm, source, duplicates=duplicates)
        assert ours == [without_rows(m) for m in theirs]
        assert "(customer ids: 'C-" in ours[0] and "rows:" not in ours[0]
        assert_same(expected, got)


def test_rows_are_positions_across_parquet_parts(duckdb: Any, tmp_path: Path) -> None:
    """A folder of parts is the parts one after the other, as pandas concatenates them."""
    frame = with_date(with_repeats(base(), 9, 5, seed=6), 17, "2052-03-04 12:00")
    parts = tmp_path / "parts"
    parts.mkdir()
    cut = len(frame) // 3
    frame.iloc[:cut].to_parquet(parts / "part-0.parquet", index=False)
    frame.iloc[cut:].to_parquet(parts / "part-1.parquet", index=False)
    messages = same(rfm, frame, parts)
    assert len(messages) == 2 and "rows: 17)" in messages[0]


def test_repeats_are_instants_and_amounts(duckdb: Any, tmp_path: Path) -> None:
    """The two 02:30s of the autumn fall-back are different instants (not repeats); -0.0
    and 0.0 are one amount; rows after the end of observation are not counted."""
    times = pd.to_datetime(
        ["2024-10-27 00:30", "2024-10-27 01:30", "2024-10-20 12:00", "2024-10-20 12:00"]
    ).tz_localize("UTC")
    frame = pd.DataFrame(
        {
            "client": ["a", "a", "b", "b"],
            "ts": times.tz_convert(BERLIN),  # 02:30 CEST and 02:30 CET
            "revenue": [5.0, 5.0, -0.0, 0.0],
        }
    )
    frame = pd.concat([frame, frame.iloc[[0]].assign(ts=pd.Timestamp("2024-11-02", tz=BERLIN))])
    frame = pd.concat([frame, frame.iloc[[-1]]], ignore_index=True)
    path = parquet(tmp_path, frame)
    (message,) = same(rfm, frame, path, observation_end="2024-10-31")[1:]
    assert message.startswith("1 of 4 transactions in rfm_summary repeat")
    assert "(customer ids: 'b'; rows: 3)" in message
    assert len(same(rfm, frame, path)) == 1  # the copy of 2 November counts without an end


# ---- far-off and future dates, far and future ends ---------------------------------------------


@pytest.mark.parametrize("multiple", [100, None, 1e5, 2.0])
def test_far_off_dates(duckdb: Any, tmp_path: Path, multiple: float | None) -> None:
    """A typo 2052 and a typo 1924 in a 2024-2025 log: the same warnings for every
    gap_multiple (none about far-off days when the check is off or wide enough; the
    2052 row is then in the future)."""
    frame = with_date(with_date(base(), 10, "2052-03-04 12:00"), 99, "1924-06-01 09:00")
    messages = same(rfm, frame, parquet(tmp_path, frame), gap_multiple=multiple)
    far = [m for m in messages if "dated far from the rest" in m]
    assert bool(far) == (multiple in (100, 2.0))
    assert any("in the future" in m for m in messages) == (not far)
    if multiple == 100:
        assert "are dated far from the rest of the log, on 2 days from 1924-06-01" in messages[0]


def test_the_smaller_side_of_a_closure(duckdb: Any, tmp_path: Path) -> None:
    frame = base()
    local = frame["ts"].dt.tz_localize(None)
    frame = frame.loc[(local < "2025-04-01") | (local >= "2025-12-01")].reset_index(drop=True)
    path = parquet(tmp_path, frame)
    (message,) = same(rfm, frame, path)
    assert "transactions in rfm_summary are dated far from the rest" in message
    assert same(rfm, frame, path, gap_multiple=300) == []


def test_future_dates_and_ends(duckdb: Any, tmp_path: Path) -> None:
    """Rows after tomorrow (UTC) and an observation_end in the future, against the
    machine's clock."""
    days = [TODAY - pd.Timedelta(days=k) for k in range(30, -2, -1)]
    days += [TODAY + pd.Timedelta(days=10), TODAY + pd.Timedelta(days=12)]
    frame = pd.DataFrame(
        {"client": np.arange(len(days)) % 5, "ts": days, "revenue": np.ones(len(days))}
    )
    path = parquet(tmp_path, frame)
    (message,) = same(rfm, frame, path)
    assert message.startswith(f"2 of {len(days)} transactions in rfm_summary are dated in")
    later = (TODAY + pd.Timedelta(days=40)).date()
    messages = same(rfm, frame, path, observation_end=later, gap_multiple=None)
    assert len(messages) == 2 and "in the future of this machine's clock" in messages[1]
    assert len(same(rfm, frame, path, observation_end=TODAY)) == 1  # the rows after it


def test_far_ends_of_observation(duckdb: Any, tmp_path: Path) -> None:
    """An observation_end years after the log; a 313-week holdout."""
    frame = base()
    path = parquet(tmp_path, frame)
    (message,) = same(rfm, frame, path, observation_end="2030-06-30")
    assert message.startswith("The 'observation_end' argument of rfm_summary (2030-06-30) is")
    assert same(rfm, frame, path, observation_end="2026-03-31") == []
    end = pd.Timestamp("2024-12-31") + pd.Timedelta(weeks=313)
    args = {**COLUMNS, "calibration_end": "2024-12-31", "observation_end": end}
    (message,) = same(ck.calibration_holdout, frame, path, **args)
    assert "argument of calibration_holdout (2030-12-31)" in message


READERS = {
    "rfm_summary": lambda source, **kw: ck.rfm_summary(source, **COLUMNS, **kw),
    "calibration_holdout": lambda source, **kw: ck.calibration_holdout(
        source, **COLUMNS, calibration_end="2025-06-30", **kw
    ),
    "retention_table": lambda source, **kw: ck.retention_table(source, **COLUMNS, **kw),
    "cohort_table": lambda source, **kw: ck.cohort_table(source, "M", "revenue", **COLUMNS, **kw),
}


@pytest.mark.parametrize("reader", list(READERS))
def test_every_reader_warns_as_pandas(duckdb: Any, tmp_path: Path, reader: str) -> None:
    """Repeats, a far-off row and a far end, in the pandas order, for every reader; the
    warnings point at the caller's line. (The far-off row is eight months after the
    log, not decades: the tables have a column per month.)"""
    frame = with_date(with_repeats(base(), 3, 2, seed=5), 10, "2026-09-01 12:00")
    path = parquet(tmp_path, frame)
    call = READERS[reader]
    for kwargs in ({}, {"observation_end": "2027-12-31"}, {"duplicates": "drop"}):
        messages = same(call, frame, path, **kwargs)
        assert any(f"in {reader} repeat an earlier row" in m for m in messages)
        assert any(f"in {reader} are dated far from the rest" in m for m in messages)
    assert not any(
        "repeat" in m or "far" in m
        for m in same(call, frame, path, duplicates="keep", gap_multiple=None)
    )
    with pytest.warns(DataWarning) as record:
        call(path)
    assert {w.filename for w in record} == {__file__}


@pytest.mark.parametrize(
    ("argument", "value"),
    [("duplicates", "remove"), ("duplicates", None), ("gap_multiple", 1), ("gap_multiple", "9")],
)
def test_bad_arguments_as_pandas(duckdb: Any, tmp_path: Path, argument: str, value: Any) -> None:
    path = parquet(tmp_path, base())
    for call in READERS.values():
        same(call, base(), path, **{argument: value})


# ---- date arguments of every type ------------------------------------------------------------

END_TYPES = [
    "1997-09-30",
    "1997-09-30 18:00",
    pd.Timestamp("1997-09-30"),
    dt.date(1997, 9, 30),
    dt.datetime(1997, 9, 30, 23, 59),
    np.datetime64("1997-09-30"),
    pd.Period("1997-09", "M"),
    "1997-09",
    "1997Q3",
    "1997",
]


@pytest.mark.parametrize("end", END_TYPES, ids=repr)
def test_date_arguments_of_every_type(
    duckdb: Any, cdnow_files: Path, cdnow_log: pd.DataFrame, end: Any
) -> None:
    """Every date type of the pandas path, read the same way (a Period and a whole month,
    quarter or year stand for their end)."""
    path = cdnow_files / "log.parquet"
    args = {"monetary": "amount", "duplicates": "keep", "time_unit": "W"}
    same(ck.rfm_summary, cdnow_log, path, observation_end=end, **args)
    same(ck.calibration_holdout, cdnow_log, path, calibration_end=end, **args)
    same(ck.retention_table, cdnow_log, path, observation_end=end, monetary="amount")


@pytest.mark.parametrize(
    "end",
    [
        "2025-03-30 02:30",  # a wall time the spring-forward skips, read on Berlin's clock
        "2024-10-27 02:30",  # a wall time the fall-back repeats
        pd.Timestamp("2025-03-30 00:30", tz="UTC"),  # zoned: converted to Berlin
        pd.Period("2025-03", "M"),
    ],
    ids=str,
)
def test_dates_on_a_zoned_logs_wall_clock(duckdb: Any, tmp_path: Path, end: Any) -> None:
    frame = base()
    path = parquet(tmp_path, frame)
    for grain, unit in (("h", "D"), ("D", "W")):
        same(rfm, frame, path, observation_end=end, grain=grain)
        same(ck.calibration_holdout, frame, path, **COLUMNS, calibration_end=end, time_unit=unit)
