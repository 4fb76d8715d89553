from __future__ import annotations

import pandas as pd
import pytest

import clvkit as ck


@pytest.fixture(scope="session")
def cdnow_clv_model(cdnow_rfm: pd.DataFrame) -> ck.CLVModel:
    return ck.CLVModel().fit(cdnow_rfm)
