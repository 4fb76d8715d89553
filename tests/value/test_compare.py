"""compare_models and holdout_deciles: each column against an independent computation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.errors import InputError
from clvkit.value.compare import COMPARISON_COLUMNS, normalized_gini

CAL_END, OBS_END = "1997-09-30", "1998-06-30"


@pytest.fixture(scope="module")
def cal(cdnow_transactions: pd.DataFrame) -> pd.DataFrame:
    return ck.calibration_holdout(
        cdnow_transactions, calibration_end=CAL_END, observation_end=OBS_END, time_unit="W"
    )


@pytest.fixture(scope="module")
def fits(cal: pd.DataFrame) -> dict[str, ck.BetaGeo]:
    return {"plain": ck.BetaGeo().fit(cal), "shrunk": ck.BetaGeo(penalizer=0.01).fit(cal)}


def test_scorecard_columns_match_independent_computations(cal, fits):
    table = ck.compare_models(fits, cal)
    assert list(table.columns) == list(COMPARISON_COLUMNS)
    assert list(table.index) == ["plain", "shrunk"]
    n = len(cal)
    for name, model in fits.items():
        row = table.loc[name]
        ll = float(
            model.kernel.loglik_rows(
                model.params_.to_numpy(),
                cal["frequency"].to_numpy(),
                cal["recency"].to_numpy(),
                cal["T"].to_numpy(),
            ).sum()
        )
        assert row["log_likelihood"] == pytest.approx(ll, rel=1e-10)
        assert row["aic"] == pytest.approx(2 * 4 - 2 * ll)
        assert row["bic"] == pytest.approx(4 * math.log(n) - 2 * ll)
        scores = ck.evaluate(model, cal).iloc[0]
        for col in ("mae", "rmse", "actual_purchases", "predicted_purchases", "brier"):
            assert row[col] == pytest.approx(scores[col], rel=1e-12), col
        assert row["model"] == "BG/NBD" and row["n_params"] == 4
    # the MLE has the best likelihood; the penalised fit is worse in-sample
    assert table.loc["plain", "log_likelihood"] > table.loc["shrunk", "log_likelihood"]
    # CDNOW BG/NBD: the fitted log-likelihood, -9582.4 (Fader, Hardie & Lee 2005)
    assert table.loc["plain", "log_likelihood"] == pytest.approx(-9582.43, abs=0.01)


def test_deciles_partition_the_customers_by_prediction(cal, fits):
    model = fits["plain"]
    table = ck.holdout_deciles(model, cal)
    assert list(table.index) == list(range(1, 11))
    assert table["customers"].sum() == len(cal)
    assert table["customers"].max() - table["customers"].min() <= 1
    predicted = model.expected_purchases(cal, cal["duration_holdout"].iloc[0])
    weighted = float((table["predicted"] * table["customers"]).sum())
    assert weighted == pytest.approx(float(predicted.sum()), rel=1e-10)
    assert np.all(np.diff(table["predicted"].to_numpy()) >= 0)
    actual = float((table["actual"] * table["customers"]).sum())
    assert actual == pytest.approx(float(cal["frequency_holdout"].sum()))
    row = ck.compare_models({"m": model}, cal).iloc[0]
    assert row["decile_calibration_error"] == pytest.approx(
        float(np.mean(np.abs(table["predicted"] - table["actual"])))
    )


def _gini_by_pairs(actual: np.ndarray, score: np.ndarray) -> float:
    """Unnormalised Gini through its pairwise form: the share of actual value in the
    better-scored half, with ties counted half (an independent formula)."""
    n = actual.size
    better = (score[:, None] > score[None, :]) + 0.5 * (score[:, None] == score[None, :])
    # area under the curve: sum_i actual_i (customers scored below i, plus half of
    # those tied with i, i included) / (n total); the diagonal's area is 1/2
    credit = float(actual @ better.sum(axis=1)) / (n * actual.sum())
    return credit - 0.5


def test_normalized_gini_against_the_pairwise_formula():
    rng = np.random.default_rng(3)
    actual = rng.poisson(1.0, size=300).astype(float)
    score = actual + rng.normal(0.0, 1.0, size=300)
    tied = np.round(score)  # with ties
    for s in (score, tied):
        want = _gini_by_pairs(actual, s) / _gini_by_pairs(actual, actual)
        assert normalized_gini(actual, s) == pytest.approx(want, rel=1e-10)
    assert normalized_gini(actual, actual) == pytest.approx(1.0)
    assert normalized_gini(actual, -actual) < 0
    assert math.isnan(normalized_gini(np.ones(5), np.arange(5.0)))


def test_bad_arguments_are_refused(cal, fits, cdnow_gg):
    with pytest.raises(InputError, match="non-empty mapping"):
        ck.compare_models({}, cal)
    with pytest.raises(InputError, match="non-empty mapping"):
        ck.compare_models([fits["plain"]], cal)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="names must be strings"):
        ck.compare_models({1: fits["plain"]}, cal)  # type: ignore[dict-item]
    with pytest.raises(InputError, match="purchase model"):
        ck.compare_models({"gg": cdnow_gg}, cal)
    with pytest.raises(InputError, match="n_groups"):
        ck.holdout_deciles(fits["plain"], cal, n_groups=1)
