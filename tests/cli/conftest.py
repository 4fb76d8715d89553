"""Fixtures of the command-line tests: the CDNOW log as a CSV file, one report run on it
shared by the report tests, and the headless browser."""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

import clvkit as ck
from clvkit.cli import main

ROOT = Path(__file__).resolve().parents[2]
#: kept by CI as an artifact (git-ignored)
ARTIFACTS = ROOT / "artifacts"


@pytest.fixture(scope="session")
def cdnow_log() -> pd.DataFrame:
    return ck.datasets.load_cdnow_transactions()


@pytest.fixture(scope="session")
def cdnow_csv(tmp_path_factory: pytest.TempPathFactory, cdnow_log: pd.DataFrame) -> Path:
    """The CDNOW sample log (6,919 transactions of 2,357 customers) as a CSV file."""
    path = tmp_path_factory.mktemp("log") / "cdnow.csv"
    cdnow_log.to_csv(path, index=False)
    return path


@dataclass(frozen=True)
class ReportRun:
    status: int
    html: Path
    json: Path
    stderr: str


@pytest.fixture(scope="session")
def cdnow_report(tmp_path_factory: pytest.TempPathFactory, cdnow_csv: Path) -> ReportRun:
    """``clvkit report`` on CDNOW, once per test session."""
    out = tmp_path_factory.mktemp("report") / "report.html"
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        status = main(
            ["report", str(cdnow_csv), "--margin", "0.3", "--calibration-end", "1997-09-30",
             "-o", str(out)]
        )  # fmt: skip
    return ReportRun(status, out, out.with_suffix(".json"), err.getvalue())


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium; in CI (CLVKIT_REQUIRE_BROWSER=1, set by .ci/run) its absence
    fails the tests instead of skipping them."""
    from _chromium import find_chromium

    path = find_chromium()
    if path is None:
        if os.environ.get("CLVKIT_REQUIRE_BROWSER") == "1":
            pytest.fail("chromium is not installed; .ci/run installs it (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path
