"""Holdout scoring on CDNOW: the figures equal numpy on independently computed
predictions (lifetimes 0.11.3 for expected purchases, the closed form for the probability
of a purchase), the model beats a constant forecast, and bad input raises clvkit errors."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.errors import InputError, NotFittedError, UnitError
from clvkit.value.evaluate import (
    EVALUATION_COLUMNS,
    evaluate,
    holdout_predictions,
    repeat_purchases_over_time,
)

CALIBRATION_END = "1997-09-30"
OBSERVATION_END = "1998-06-30"


@pytest.fixture(scope="module")
def cdnow_cal(cdnow_transactions: pd.DataFrame) -> pd.DataFrame:
    return ck.calibration_holdout(
        cdnow_transactions,
        calibration_end=CALIBRATION_END,
        observation_end=OBSERVATION_END,
        time_unit="W",
        monetary="amount",
        duplicates="keep",  # dates without times: the repeated rows are real purchases
    )


@pytest.fixture(scope="module")
def cal_bg(cdnow_cal: pd.DataFrame) -> ck.BetaGeo:
    return ck.BetaGeo().fit(cdnow_cal)


def _independent_predictions(bg: ck.BetaGeo, cal: pd.DataFrame) -> tuple[np.ndarray, ...]:
    """Holdout predictions computed without clvkit's prediction code."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoFitter

    fitter = BetaGeoFitter()
    fitter.params_ = pd.Series(bg.params_.to_dict())
    x = cal["frequency"].to_numpy()
    t_x = cal["recency"].to_numpy()
    T = cal["T"].to_numpy()
    w = cal["duration_holdout"].to_numpy()
    predicted = np.asarray(fitter.conditional_expected_number_of_purchases_up_to_time(w, x, t_x, T))
    p_alive = np.asarray(fitter.conditional_probability_alive(x, t_x, T))
    r, alpha = bg.params_["r"], bg.params_["alpha"]
    p_buy = p_alive * (1.0 - ((alpha + T) / (alpha + T + w)) ** (r + x))
    return cal["frequency_holdout"].to_numpy(), predicted, p_buy


def test_evaluate_cdnow_figures_match_numpy(cdnow_cal: pd.DataFrame, cal_bg: ck.BetaGeo) -> None:
    result = evaluate(cal_bg, cdnow_cal)
    assert list(result.columns) == list(EVALUATION_COLUMNS)
    assert result.index.tolist() == ["BetaGeo"]
    row = result.iloc[0]
    y, yhat, p = _independent_predictions(cal_bg, cdnow_cal)
    bought = (y > 0).astype(float)
    assert row["n_customers"] == 2357
    assert row["duration_holdout"] == pytest.approx(39.0)
    assert row["actual_purchases"] == y.sum() == 1882
    assert row["predicted_purchases"] == pytest.approx(yhat.sum(), rel=1e-10)
    assert row["aggregate_error_pct"] == pytest.approx(
        100 * (yhat.sum() - y.sum()) / y.sum(), rel=1e-9
    )
    assert row["mae"] == pytest.approx(np.mean(np.abs(yhat - y)), rel=1e-10)
    assert row["rmse"] == pytest.approx(np.sqrt(np.mean((yhat - y) ** 2)), rel=1e-10)
    assert row["correlation"] == pytest.approx(np.corrcoef(yhat, y)[0, 1], rel=1e-10)
    assert row["actual_share_buying"] == pytest.approx(bought.mean(), rel=1e-12)
    assert row["predicted_share_buying"] == pytest.approx(p.mean(), rel=1e-10)
    assert row["brier"] == pytest.approx(np.mean((p - bought) ** 2), rel=1e-10)
    base = bought.mean()
    assert row["brier_base_rate"] == pytest.approx(base * (1 - base), rel=1e-10)
    # the published-scale figures, to guard against silent changes (4 significant digits)
    assert row["predicted_purchases"] == pytest.approx(1653.4, abs=0.1)
    assert row["aggregate_error_pct"] == pytest.approx(-12.15, abs=0.01)
    assert row["mae"] == pytest.approx(0.7855, abs=1e-4)
    assert row["rmse"] == pytest.approx(1.6080, abs=1e-4)
    assert row["correlation"] == pytest.approx(0.6256, abs=1e-4)
    assert row["brier"] == pytest.approx(0.1612, abs=1e-4)


def test_model_beats_a_constant_forecast(cdnow_cal: pd.DataFrame, cal_bg: ck.BetaGeo) -> None:
    row = evaluate(cal_bg, cdnow_cal).iloc[0]
    assert row["brier"] < row["brier_base_rate"]
    assert 0 < row["brier_skill"] < 1
    assert row["brier_skill"] == pytest.approx(1 - row["brier"] / row["brier_base_rate"])
    # and predicts purchases better than everyone's calibration rate carried forward
    y = cdnow_cal["frequency_holdout"].to_numpy()
    naive = cdnow_cal["frequency"].to_numpy() / cdnow_cal["T"].to_numpy() * 39.0
    assert row["mae"] < np.mean(np.abs(naive - y))


def test_clv_model_scores_like_its_purchase_model(cdnow_cal: pd.DataFrame) -> None:
    model = ck.CLVModel().fit(cdnow_cal)
    both = pd.concat(
        [evaluate(model.purchase_model_, cdnow_cal), evaluate(model, cdnow_cal, name="clv")]
    )
    assert both.index.tolist() == ["BetaGeo", "clv"]
    pd.testing.assert_series_equal(both.iloc[0], both.iloc[1], check_names=False)


def test_a_worse_model_scores_worse(cdnow_cal: pd.DataFrame, cal_bg: ck.BetaGeo) -> None:
    params = cal_bg.params_.to_dict()
    params["alpha"] /= 3  # three times the purchase rate
    worse = ck.BetaGeo.from_params(time_unit="W", **params)
    good, bad = evaluate(cal_bg, cdnow_cal).iloc[0], evaluate(worse, cdnow_cal).iloc[0]
    assert bad["mae"] > good["mae"] and bad["rmse"] > good["rmse"]
    assert bad["brier"] > good["brier"]


def test_holdout_predictions_group_customers_by_window(
    cdnow_cal: pd.DataFrame, cal_bg: ck.BetaGeo
) -> None:
    cal = cdnow_cal.copy()
    cal.loc[cal.index[::2], "duration_holdout"] = 13.0
    before = cal.copy()
    table = holdout_predictions(cal_bg, cal)
    pd.testing.assert_frame_equal(cal, before)  # input untouched
    assert list(table.columns) == ["actual_purchases", "predicted_purchases", "bought", "p_buy"]
    assert table.index.equals(cal.index)
    short = cal.index[::2]
    np.testing.assert_allclose(
        table.loc[short, "predicted_purchases"], cal_bg.expected_purchases(cal.loc[short], 13.0)
    )
    np.testing.assert_allclose(
        table.loc[short, "p_buy"], cal_bg.probability_purchase(cal.loc[short], 13.0)
    )
    long = cal.index[1::2]
    np.testing.assert_allclose(
        table.loc[long, "predicted_purchases"], cal_bg.expected_purchases(cal.loc[long], 39.0)
    )


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda c: c.drop(columns="frequency_holdout"), "missing the column"),
        (lambda c: c.assign(frequency_holdout=-1.0), "frequency_holdout.*>= 0"),
        (lambda c: c.assign(frequency_holdout=0.5), "whole number"),
        (lambda c: c.assign(duration_holdout=0.0), "duration_holdout.*> 0"),
        (lambda c: c.assign(frequency_holdout=np.nan), "missing"),
        (lambda c: c.assign(recency=c["T"] + 1), "recency"),
        (lambda c: c.iloc[:0], "no rows"),
    ],
)
def test_bad_frames_raise_input_errors(cdnow_cal, cal_bg, change, match) -> None:
    bad = change(cdnow_cal.copy())
    with pytest.raises(InputError, match=match):
        evaluate(cal_bg, bad)


def test_bad_models_raise(cdnow_cal: pd.DataFrame, cal_bg: ck.BetaGeo, cdnow_gg) -> None:
    with pytest.raises(InputError, match=r"purchase model .* or a CLVModel"):
        evaluate(cdnow_gg, cdnow_cal)
    with pytest.raises(NotFittedError):
        evaluate(ck.BetaGeo(), cdnow_cal)
    days = ck.BetaGeo.from_params(time_unit="D", **cal_bg.params_.to_dict())
    with pytest.raises(UnitError, match="time unit"):
        evaluate(days, cdnow_cal)
    with pytest.raises(InputError, match="'name'"):
        evaluate(cal_bg, cdnow_cal, name=3)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="DataFrame"):
        evaluate(cal_bg, cdnow_cal.to_numpy())  # type: ignore[arg-type]


def test_repeat_purchases_over_time_on_cdnow(
    cdnow_transactions: pd.DataFrame, cdnow_cal: pd.DataFrame, cal_bg: ck.BetaGeo
) -> None:
    table = repeat_purchases_over_time(
        cal_bg,
        cdnow_transactions,
        calibration_end=CALIBRATION_END,
        observation_end=OBSERVATION_END,
    )
    assert len(table) == 78 and (table["days"] == 7).all()
    assert table.index[0] == pd.Timestamp("1997-01-07")
    assert table.index[-1] == pd.Timestamp(OBSERVATION_END)
    at_end = table.loc[pd.Timestamp(CALIBRATION_END)]
    # the actual counts are the calibration and holdout frequencies
    assert at_end["actual_cumulative"] == cdnow_cal["frequency"].sum() == 2457
    assert table["actual"].sum() == 2457 + 1882
    assert not at_end["holdout"] and table["holdout"].sum() == 39
    # the expectation at the end of calibration is sum_i E[X(T_i)] on the rfm clock
    expected = sum(cal_bg.expected_purchases_new_customer(float(T)) for T in cdnow_cal["T"])
    assert at_end["expected_cumulative"] == pytest.approx(expected, rel=1e-10)
    np.testing.assert_allclose(table["expected"].cumsum(), table["expected_cumulative"])
    assert table.attrs["calibration_end"] == CALIBRATION_END
    # the model tracks the cumulative curve within 5 % over the holdout (FHL 2005, fig. 4)
    final = table.iloc[-1]
    assert abs(final["expected_cumulative"] / final["actual_cumulative"] - 1) < 0.05


def test_repeat_purchases_over_time_rejects_bad_arguments(cdnow_transactions, cal_bg) -> None:
    with pytest.raises(UnitError, match="'bucket' argument"):
        repeat_purchases_over_time(
            cal_bg, cdnow_transactions, calibration_end=CALIBRATION_END, bucket="fortnight"
        )
    with pytest.raises(InputError, match="before the end"):
        repeat_purchases_over_time(
            cal_bg,
            cdnow_transactions,
            calibration_end="1998-07-01",
            observation_end=OBSERVATION_END,
        )
    no_unit = ck.BetaGeo.from_params(**cal_bg.params_.to_dict())
    with pytest.raises(UnitError, match="time unit"):
        repeat_purchases_over_time(no_unit, cdnow_transactions, calibration_end=CALIBRATION_END)
