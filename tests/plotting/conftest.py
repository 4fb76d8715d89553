"""Headless plotting: the Agg backend, and every figure closed after each test."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    yield
    plt.close("all")


@pytest.fixture(scope="session")
def cdnow_cal(cdnow_transactions):
    """CDNOW calibration (39 weeks to 1997-09-30) and holdout (39 weeks to 1998-06-30)."""
    import clvkit as ck

    return ck.calibration_holdout(
        cdnow_transactions,
        calibration_end="1997-09-30",
        observation_end="1998-06-30",
        time_unit="W",
        monetary="amount",
        duplicates="keep",  # dates without times: the repeated rows are real purchases
    )
