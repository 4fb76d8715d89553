"""DuckDB logs merged in several parts (clvkit.engines.parts) equal the pandas path.

A large log is read in parts of whole customers (ranges of integer ids, else hashes of the
ids) and the parts are merged side by side; here the part size is made tiny so that a log
of a few hundred rows goes through many parts, with repeated rows among them.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.engines import parts
from tests.engines._compare import assert_same


def _log(ids: str) -> pd.DataFrame:
    """300 transactions of 40 customers over a year, 20 of them exact copies of a row;
    integer ids, or the same ids as text."""
    rng = np.random.default_rng(20261201)
    customer = rng.integers(100, 140, 280)
    day = rng.integers(0, 365, 280)
    minute = rng.choice([0, 30, 600], 280)  # several rows of one customer on one day
    log = pd.DataFrame(
        {
            "customer_id": customer if ids == "int" else np.char.add("c", customer.astype(str)),
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(day * 1440 + minute, unit="min"),
            "amount": rng.integers(0, 5000, 280) / 100.0,
        }
    )
    copies = log.iloc[rng.integers(0, 280, 20)]
    return pd.concat([log, copies], ignore_index=True)


def _run(fn: Any, source: Any, **kwargs: Any) -> tuple[pd.DataFrame, list[str]]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        result = fn(source, **kwargs)
    return result, [str(w.message) for w in seen if w.category is ck.errors.DataWarning]


@pytest.mark.parametrize("ids", ["int", "text"])
@pytest.mark.parametrize("duplicates", ["warn", "drop"])
def test_parts_equal_pandas(
    duckdb: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ids: str, duplicates: str
) -> None:
    """Parts of about 30 rows (so ten or more, read while others merge): the numbers and
    the repeated-transaction warning (rows named in the log's order) of pandas."""
    log = _log(ids)
    path = tmp_path / "log.parquet"
    log.to_parquet(path, index=False)
    monkeypatch.setattr(parts, "SPLIT_ROWS", 0)
    monkeypatch.setattr(parts, "ROWS_PER_PART", 30)
    common: dict[str, Any] = {"monetary": "amount", "time_unit": "W", "duplicates": duplicates}
    common["observation_end"] = "2024-12-31"
    expected, expected_warnings = _run(ck.rfm_summary, log, **common)
    got, got_warnings = _run(ck.rfm_summary, str(path), **common)
    assert_same(expected, got)
    assert got_warnings == expected_warnings
    assert any("repeat an earlier row" in w for w in got_warnings)
    expected, expected_warnings = _run(
        ck.calibration_holdout, log, calibration_end="2024-09-30", **common
    )
    got, got_warnings = _run(
        ck.calibration_holdout, str(path), calibration_end="2024-09-30", **common
    )
    assert_same(expected, got)
    assert got_warnings == expected_warnings


def test_parts_split_every_customer_once(duckdb: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The id ranges of the parts cover the ids without overlap, the smallest and the
    largest id included; a relation (no row order) split by hashes gives the same
    summary as one part."""
    log = _log("int")
    relation = duckdb.connect().from_df(log)
    whole = ck.rfm_summary(relation, monetary="amount", duplicates="keep")
    monkeypatch.setattr(parts, "SPLIT_ROWS", 0)
    monkeypatch.setattr(parts, "ROWS_PER_PART", 50)
    split = ck.rfm_summary(relation, monetary="amount", duplicates="keep")
    assert_same(whole, split)
    assert len(split) == log["customer_id"].nunique()
