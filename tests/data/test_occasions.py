"""occasion_summary: logs counted in purchase occasions, for BG/BB."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.errors import DataWarning, InputError, UnitError


def _log() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 2, 3],
            "date": pd.to_datetime(
                [
                    "2020-03-01",
                    "2020-06-01",
                    "2022-05-01",
                    "2023-01-09",
                    "2021-02-01",
                    "2023-09-01",
                    "2023-11-30",
                ]
            ),
            "amount": [10.0, 5.0, 20.0, 30.0, 8.0, 12.0, 4.0],
        }
    )


def test_occasions_are_counted_once_and_numbered_from_the_first():
    out = ck.occasion_summary(_log(), occasion="Y", monetary="amount", observation_end="2023-12-31")
    # customer 1: 2020 (two transactions, one occasion: 0), 2022 (2), 2023 (3); T = 3
    assert out.loc[1].tolist() == [2.0, 3.0, 3.0, 25.0, 65.0]
    # customer 2: 2021 (0), 2023 (2); customer 3: 2023 only
    assert out.loc[2, ["frequency", "recency", "T"]].tolist() == [1.0, 2.0, 2.0]
    assert out.loc[3, ["frequency", "recency", "T"]].tolist() == [0.0, 0.0, 0.0]
    assert out.attrs["time_unit"] == "Y" and out.attrs["grain"] == "Y"


def test_calibration_and_holdout_occasions():
    out = ck.occasion_summary(
        _log(), occasion="Y", calibration_end="2021-12-31", observation_end="2023-12-31"
    )
    assert list(out.index) == [1, 2]  # customer 3 arrives after calibration
    assert out.loc[1].tolist() == [0.0, 0.0, 1.0, 2.0, 2.0]
    assert out.loc[2].tolist() == [0.0, 0.0, 0.0, 1.0, 2.0]
    assert out.attrs["calibration_end"] == "2021-01-01"


def test_quarters_and_a_cut_short_occasion():
    with pytest.warns(DataWarning, match="before the last day of its occasion"):
        out = ck.occasion_summary(_log(), occasion="Q", observation_end="2023-11-30")
    # customer 1: 2020Q1 first; 2020Q2 (1), 2022Q2 (9), 2023Q1 (12); end 2023Q4 = 15
    assert out.loc[1, ["frequency", "recency", "T"]].tolist() == [3.0, 12.0, 15.0]


def test_bad_arguments():
    with pytest.raises(UnitError, match="occasion"):
        ck.occasion_summary(_log(), occasion="h")
    with pytest.raises(InputError, match="earlier occasion"):
        ck.occasion_summary(_log(), calibration_end="2023-06-30", observation_end="2023-12-31")


def test_simulated_donors_give_back_their_parameters():
    """A log drawn from BG/BB (one occasion a year), summarised by occasion, fits back."""
    truth = ck.BetaGeoBeta.from_params(
        alpha=1.204, beta=0.750, gamma=0.657, delta=2.783, time_unit="Y"
    )
    tx = ck.datasets.simulate_transactions(
        40_000,
        model=truth,
        start="2000-01-01",
        acquisition_days=1,
        observation_days=2557,  # 2000-01-01 to 2006-12-31: seven whole years
        time_unit="Y",
        seed=4,
    )
    donors = ck.occasion_summary(tx, occasion="Y", observation_end="2006-12-31", duplicates="keep")
    assert set(donors["T"]) == {6.0}
    fitted = ck.BetaGeoBeta().fit(donors)
    z = (fitted.params_ - truth.params_) / fitted.summary()["std_error"]
    assert np.all(np.abs(z) < 4), z
