"""Bad input through the engines: the pandas path's errors (class, column, rule, how many
rows, example ids), raised before any result exists; a missing engine is one line."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.errors import InputError, MissingDependencyError


def _log(**overrides: object) -> pd.DataFrame:
    columns: dict[str, object] = {
        "customer_id": [1, 1, 2, 3],
        "date": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-02", "2024-01-09"]),
        "amount": [10.0, 5.0, 7.0, 1.0],
    }
    columns.update(overrides)
    return pd.DataFrame(columns)


def _parquet(tmp_path: Path, frame: pd.DataFrame, name: str = "log.parquet") -> Path:
    path = tmp_path / name
    frame.to_parquet(path, index=False)
    return path


def _same_error(frame: pd.DataFrame, source: object, **kwargs: Any) -> str:
    """The engine raises the pandas path's InputError, word for word."""
    with pytest.raises(InputError) as theirs:
        ck.rfm_summary(frame, **kwargs)
    with pytest.raises(InputError) as ours:
        ck.rfm_summary(source, **kwargs)
    assert str(ours.value) == str(theirs.value)
    return str(ours.value)


def test_a_path_that_matches_no_file(duckdb: Any, tmp_path: Path) -> None:
    for path in (tmp_path / "nothing.parquet", str(tmp_path / "*.parquet"), tmp_path):
        with pytest.raises(InputError, match=r"'transactions' path .* matches no file"):
            ck.rfm_summary(path)


def test_files_of_another_format(duckdb: Any, tmp_path: Path) -> None:
    (tmp_path / "log.json").write_text("{}")
    with pytest.raises(InputError, match=r"reads Parquet .* or CSV"):
        ck.rfm_summary(tmp_path / "log.json")


def test_missing_column(duckdb: Any, tmp_path: Path) -> None:
    path = _parquet(tmp_path, _log().drop(columns="amount"))
    with pytest.raises(InputError, match=r"missing the column\(s\) \['amount'\]"):
        ck.rfm_summary(path, monetary="amount")


def test_amounts_of_the_wrong_type(duckdb: Any, tmp_path: Path) -> None:
    path = _parquet(tmp_path, _log(amount=["10", "5", "7", "1"]))
    with pytest.raises(InputError, match=r"Column 'amount' must hold numbers.*VARCHAR"):
        ck.rfm_summary(path, monetary="amount")
    path = _parquet(tmp_path, _log(amount=[True, False, True, True]), "bool.parquet")
    with pytest.raises(InputError, match=r"Column 'amount' must hold numbers.*BOOLEAN"):
        ck.rfm_summary(path, monetary="amount")


def test_dates_of_the_wrong_type(duckdb: Any, tmp_path: Path) -> None:
    path = _parquet(tmp_path, _log(date=[20240101, 20240105, 20240102, 20240109]))
    with pytest.raises(InputError, match=r"Column 'date' must hold datetimes.*BIGINT"):
        ck.rfm_summary(path)


def test_dates_that_do_not_parse(duckdb: Any, tmp_path: Path) -> None:
    frame = _log(date=["2024-01-01", "not a date", "2024-02-30", "2024-01-09"])
    path = tmp_path / "log.csv"
    frame.to_csv(path, index=False)
    message = _same_error(frame, path)
    assert "2 of 4 rows" in message and "'not a date'" in message
    assert "customer ids: 1, 2" in message
    fmt = _log(date=["20240101", "20240105", "2024-01-02", "20240109"])
    fmt.to_csv(path, index=False)
    _same_error(fmt, path, datetime_format="%Y%m%d")


def test_missing_values(duckdb: Any, tmp_path: Path) -> None:
    dates = _log(date=pd.to_datetime(["2024-01-01", None, "2024-01-02", None]))
    _same_error(dates, _parquet(tmp_path, dates, "dates.parquet"))
    amounts = _log(amount=[1.0, np.nan, 2.0, None])
    _same_error(amounts, _parquet(tmp_path, amounts, "amounts.parquet"), monetary="amount")
    ids = _log(customer_id=[1.0, np.nan, 2.0, np.nan])
    with pytest.raises(InputError, match=r"Column 'customer_id' must not be missing.*2 of 4 rows"):
        ck.rfm_summary(_parquet(tmp_path, ids, "ids.parquet"))


def test_infinite_and_negative_amounts(duckdb: Any, tmp_path: Path) -> None:
    inf = _log(amount=[np.inf, 1.0, -np.inf, 3.0])
    _same_error(inf, _parquet(tmp_path, inf, "inf.parquet"), monetary="amount")
    negative = _log(amount=[10.0, -4.0, 2.0, 3.0])
    path = _parquet(tmp_path, negative, "neg.parquet")
    message = _same_error(negative, path, monetary="amount")
    assert "must be >= 0" in message and "1 of 4 rows" in message
    assert "customer ids: 1)" in message
    with pytest.raises(InputError, match=r"must be >= 0"):
        ck.calibration_holdout(path, calibration_end="2024-01-03", monetary="amount")
    with pytest.raises(InputError, match=r"must be >= 0"):
        ck.retention_table(path, "W", monetary="amount")


def test_offsets_in_date_strings_are_refused(duckdb: Any, tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    _log(date=["2024-01-01 10:00+01:00", "2024-01-05", "2024-01-02", "2024-01-09"]).to_csv(
        path, index=False
    )
    with pytest.raises(InputError, match=r"Column 'date' holds time-zone offsets.*1 of 4 rows"):
        ck.rfm_summary(path)


def test_argument_errors_match_pandas(duckdb: Any, tmp_path: Path) -> None:
    frame = _log()
    path = _parquet(tmp_path, frame)
    _same_error(frame, path, observation_end="2023-12-31")
    _same_error(frame, path, observation_end="yesterday")
    _same_error(frame, path, monetary="date")
    # a zoned end against a naive log: the zone of the log's clock is unknown
    _same_error(frame, path, observation_end=pd.Timestamp("2024-01-09", tz="UTC"))
    with pytest.raises(ck.errors.UnitError, match=r"'grain' argument"):
        ck.rfm_summary(path, grain="day")
    with pytest.raises(InputError, match=r"earlier 'D' period"):
        ck.calibration_holdout(path, calibration_end="2024-01-09", observation_end="2024-01-09")
    with pytest.raises(InputError, match=r"must be a pandas DataFrame, a path"):
        from clvkit.engines.sources import open_source

        open_source(42)


def test_import_clvkit_imports_no_engine() -> None:
    code = textwrap.dedent(
        """
        import sys
        import pandas as pd
        import clvkit as ck
        dates = pd.to_datetime(["2024-01-01", "2024-01-03"])
        tx = pd.DataFrame({"customer_id": [1, 1], "date": dates})
        ck.CLVModel  # the whole public API is loaded
        ck.rfm_summary(tx)
        # (pyarrow is left out: pandas 3 imports it itself)
        loaded = [m for m in ("duckdb", "pyspark", "clvkit.engines") if m in sys.modules]
        print(loaded)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_missing_engine_is_one_line(tmp_path: Path) -> None:
    _log().to_csv(tmp_path / "log.csv", index=False)
    code = textwrap.dedent(
        f"""
        import sys
        sys.modules["duckdb"] = None  # as if not installed
        import clvkit as ck
        try:
            ck.rfm_summary({str(tmp_path / "log.csv")!r})
        except ImportError as exc:
            print(type(exc).__name__, "|", exc)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == (
        "MissingDependencyError | Parquet/CSV files and DuckDB relations need the optional "
        "package 'duckdb': pip install \"clvkit[duckdb]\""
    )
    assert issubclass(MissingDependencyError, ImportError)
