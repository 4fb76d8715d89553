"""Shared fixtures: the real CDNOW data, built once per session from the raw log."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

import clvkit as ck

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"


@pytest.fixture(scope="session")
def cdnow_transactions() -> pd.DataFrame:
    return ck.datasets.load_cdnow_transactions()


@pytest.fixture(scope="session")
def cdnow_rfm(cdnow_transactions: pd.DataFrame) -> pd.DataFrame:
    """CDNOW calibration summary in weeks: 2,357 customers, 39 weeks ending 1997-09-30."""
    calibration = cdnow_transactions[cdnow_transactions["date"] <= CALIBRATION_END]
    return ck.rfm_summary(
        calibration,
        customer_id="customer_id",
        datetime="date",
        monetary="amount",
        time_unit="W",
        observation_end=CALIBRATION_END,
        duplicates="keep",  # dates without times: the repeated rows are real purchases
    )


@pytest.fixture(scope="session")
def cdnow_bg(cdnow_rfm: pd.DataFrame) -> ck.BetaGeo:
    return ck.BetaGeo().fit(cdnow_rfm)


@pytest.fixture(scope="session")
def cdnow_gg(cdnow_rfm: pd.DataFrame) -> ck.GammaGamma:
    return ck.GammaGamma().fit(cdnow_rfm)


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(20261123)
