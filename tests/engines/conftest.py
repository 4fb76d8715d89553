"""Engines under test: embedded DuckDB, and one local Spark session for the whole run.

Without duckdb, pyspark or Java the engine tests are skipped on a developer's machine, but
with ``CLVKIT_REQUIRE_ENGINES=1`` (set by ``.ci/run``) a missing engine is an error: CI
never skips them.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import clvkit as ck

REQUIRED = os.environ.get("CLVKIT_REQUIRE_ENGINES") == "1"
HERE = Path(__file__).resolve().parent


def _need(what: str, problem: str | None) -> None:
    """Skip (developer machine) or fail (CI) when an engine is unavailable."""
    if problem is None:
        return
    message = f"{what} unavailable: {problem}"
    if REQUIRED:
        pytest.fail(f"{message} (CLVKIT_REQUIRE_ENGINES=1: engine tests must run)")
    pytest.skip(message)


def _import_problem(module: str) -> str | None:
    try:
        importlib.import_module(module)
    except ImportError as exc:
        return str(exc)
    return None


@pytest.fixture(scope="session")
def duckdb() -> Any:
    _need("duckdb", _import_problem("duckdb") or _import_problem("pyarrow"))
    return importlib.import_module("duckdb")


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """One local[2] Spark session for the whole test run (it takes ~8 s to start)."""
    _need("pyspark", _import_problem("pyspark") or _import_problem("pyarrow"))
    _need("Java", None if shutil.which("java") else "no 'java' on PATH")
    os.environ["PYSPARK_PYTHON"] = sys.executable  # workers need this venv's pyarrow
    os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    log4j = f"-Dlog4j2.configurationFile=file:{HERE / 'log4j2.properties'}"
    session = (
        SparkSession.builder.master("local[2]")
        .appName("clvkit-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.driver.extraJavaOptions", log4j)
        .config("spark.executor.extraJavaOptions", log4j)
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def spark_frame(spark: Any, frame: pd.DataFrame) -> Any:
    """A Spark DataFrame of a pandas frame (pyspark warns that pandas 3 is new to it)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support")
        return spark.createDataFrame(frame)


def to_pandas(df: Any, index: str | None = None) -> pd.DataFrame:
    """A Spark result as pandas, sorted by ``index`` and indexed by it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support")
        out = df.toPandas()
    if index is not None:
        out = out.set_index(index).sort_index()
    return out


@pytest.fixture(scope="session")
def cdnow_log() -> pd.DataFrame:
    return ck.datasets.load_cdnow_transactions()


@pytest.fixture(scope="session")
def cdnow_master() -> pd.DataFrame:
    return ck.datasets.load_cdnow_master_transactions()


@pytest.fixture(scope="session")
def cdnow_files(tmp_path_factory: pytest.TempPathFactory, cdnow_log: pd.DataFrame) -> Any:
    """The CDNOW sample log as one Parquet file, a CSV file and two Parquet parts."""
    folder = tmp_path_factory.mktemp("cdnow")
    log = cdnow_log[["customer_id", "date", "amount"]]
    log.to_parquet(folder / "log.parquet", index=False)
    log.to_csv(folder / "log.csv", index=False)
    parts = folder / "parts"
    parts.mkdir()
    half = len(log) // 2
    log.iloc[:half].to_parquet(parts / "part-0.parquet", index=False)
    log.iloc[half:].to_parquet(parts / "part-1.parquet", index=False)
    return folder
