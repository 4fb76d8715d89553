"""Model-check plots on CDNOW: what is drawn equals what the models compute (checked
against independent computations), axes carry units, ``ax`` is honoured."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import LineCollection
from matplotlib.container import BarContainer
from matplotlib.image import AxesImage

import clvkit as ck
import clvkit.plotting as ckp
from clvkit.errors import DataWarning, InputError
from clvkit.models._kernels.bgnbd import probability_n_purchases_new as probability_n_purchases
from clvkit.plotting.matrices import MASKED_COLOR

CAL_END, OBS_END = "1997-09-30", "1998-06-30"


def _bars(ax) -> list[BarContainer]:
    return [c for c in ax.containers if isinstance(c, BarContainer)]


def _heights(container: BarContainer) -> np.ndarray:
    return np.array([patch.get_height() for patch in container.patches])


def test_period_transactions(cdnow_bg: ck.BetaGeo, cdnow_rfm: pd.DataFrame) -> None:
    _, given = plt.subplots()
    ax = ckp.plot_period_transactions(cdnow_bg, cdnow_rfm, ax=given, color="black")
    assert ax is given
    observed, model = _bars(ax)
    assert len(observed) == len(model) == 8
    x = cdnow_rfm["frequency"].to_numpy()
    counts = [np.sum(x == k) for k in range(7)] + [np.sum(x >= 7)]
    np.testing.assert_array_equal(_heights(observed), counts)
    assert _heights(observed)[0] == 1411  # CDNOW: 1,411 of 2,357 never bought again
    # expected: sum over customers of P(X(T_i) = n), computed customer by customer
    probs = probability_n_purchases(
        cdnow_bg.params_.to_numpy(), np.arange(7)[None, :], cdnow_rfm["T"].to_numpy()[:, None]
    )
    expected = np.append(probs.sum(axis=0), len(x) - probs.sum())
    np.testing.assert_allclose(_heights(model), expected, rtol=1e-10)
    assert abs(_heights(model)[0] - 1411) < 30
    assert observed.patches[0].get_facecolor()[:3] == (0.0, 0.0, 0.0)
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "7+"
    assert ax.get_xlabel() == "Repeat purchases in the calibration period (count)"
    assert ax.get_ylabel() == "Customers (count)"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["observed", "model (BG/NBD)"]


def test_calibration_vs_holdout(cdnow_cal: pd.DataFrame) -> None:
    model = ck.CLVModel().fit(cdnow_cal)
    bg = model.purchase_model_
    ax = ckp.plot_calibration_vs_holdout(model, cdnow_cal, max_frequency=5)
    actual, predicted = ax.get_lines()
    group = np.minimum(cdnow_cal["frequency"].to_numpy(), 5)
    expected_purchases = bg.expected_purchases(cdnow_cal, 39.0).to_numpy()
    for k in range(6):
        rows = group == k
        assert actual.get_ydata()[k] == pytest.approx(
            cdnow_cal["frequency_holdout"].to_numpy()[rows].mean()
        )
        assert predicted.get_ydata()[k] == pytest.approx(expected_purchases[rows].mean())
    np.testing.assert_array_equal(actual.get_xdata(), np.arange(6))
    assert ax.get_ylabel() == "Mean purchases in the holdout (39 weeks) (per customer)"
    assert "calibration" in ax.get_xlabel()


@pytest.mark.parametrize("kind", ["cumulative", "incremental"])
def test_transactions_over_time(
    kind: str, cdnow_bg: ck.BetaGeo, cdnow_transactions: pd.DataFrame, cdnow_rfm: pd.DataFrame
) -> None:
    plot = getattr(ckp, f"plot_{kind}_transactions")
    ax = plot(cdnow_bg, cdnow_transactions, calibration_end=CAL_END, observation_end=OBS_END)
    actual, model, marker = ax.get_lines()
    assert len(actual.get_xdata()) == len(model.get_ydata()) == 78
    counts = np.asarray(actual.get_ydata(), dtype=float)
    if kind == "cumulative":
        assert counts[-1] == cdnow_rfm["frequency"].sum() + 1882
        # at the end of calibration the model expects sum_i E[X(T_i)]
        expected = sum(cdnow_bg.expected_purchases_new_customer(float(T)) for T in cdnow_rfm["T"])
        assert model.get_ydata()[38] == pytest.approx(expected, rel=1e-10)
        assert ax.get_ylabel() == "Cumulative repeat purchases (count)"
    else:
        assert counts.sum() == cdnow_rfm["frequency"].sum() + 1882
        assert ax.get_ylabel() == "Repeat purchases per week (count)"
    # the end of calibration is marked at 1997-09-30
    assert pd.Timestamp(np.asarray(marker.get_xdata())[0]) == pd.Timestamp(CAL_END)
    assert "end of calibration" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert ax.get_xlabel() == "Date (end of each week)"


@pytest.mark.parametrize("which", ["expected_purchases", "probability_alive"])
def test_frequency_recency_matrices(
    which: str, cdnow_bg: ck.BetaGeo, cdnow_rfm: pd.DataFrame
) -> None:
    plot = getattr(ckp, f"plot_{which}_matrix")
    kwargs = {"horizon": "4W"} if which == "expected_purchases" else {}
    ax = plot(cdnow_bg, cdnow_rfm, **kwargs)
    (image,) = [a for a in ax.get_children() if isinstance(a, AxesImage)]
    drawn = image.get_array()
    T = cdnow_rfm["T"].max()
    assert drawn.shape == (int(cdnow_rfm["frequency"].max()) + 1, 40)
    # only the (0 repeat purchases, recency > 0) cells are impossible and masked grey
    assert drawn.mask[0, 1:].all() and not drawn.mask[0, 0] and not drawn.mask[1:].any()
    assert image.get_cmap().get_bad() == pytest.approx(plt.matplotlib.colors.to_rgba(MASKED_COLOR))
    recency = np.linspace(0, T, 40)
    for x, col in [(1, 5), (3, 39), (10, 20), (0, 0)]:
        one = pd.DataFrame({"frequency": [float(x)], "recency": [recency[col]], "T": [T]})
        if which == "expected_purchases":
            value = cdnow_bg.expected_purchases(one, 4.0, time_unit="W").iloc[0]
        else:
            value = cdnow_bg.probability_alive(one, time_unit="W").iloc[0]
        assert drawn[x, col] == pytest.approx(value, rel=1e-12)
    assert ax.get_xlabel() == "Recency: first to last purchase (weeks)"
    assert ax.get_ylabel() == "Frequency: repeat purchases (count)"
    label = ax.figure.axes[-1].get_ylabel()
    assert label == (
        "Expected purchases in the next 4 weeks (count)"
        if which == "expected_purchases"
        else "P(alive) (probability)"
    )


def test_probability_alive_matrix_without_customers(cdnow_bg: ck.BetaGeo) -> None:
    """The design's call: only the model; T defaults to a year, rows to the 99th percentile."""
    _, given = plt.subplots()
    ax = ckp.plot_probability_alive_matrix(cdnow_bg, ax=given, colorbar=False)
    assert ax is given and len(ax.figure.axes) == 1
    (image,) = ax.images
    T = 365.2425 / 7
    cdf = np.cumsum(probability_n_purchases(cdnow_bg.params_.to_numpy(), np.arange(100), T))
    assert image.get_array().shape == (int(np.searchsorted(cdf, 0.99)) + 1, 54)
    with pytest.raises(InputError, match="max_frequency"):
        ckp.plot_probability_alive_matrix(cdnow_bg, max_frequency=0)


def test_probability_alive_path(cdnow_bg: ck.BetaGeo, cdnow_transactions: pd.DataFrame) -> None:
    with pytest.warns(DataWarning, match="15 of 46 transactions"):
        ax = ckp.plot_probability_alive_path(
            cdnow_bg, cdnow_transactions, 1516, end=CAL_END, linewidth=3
        )
    (line,) = ax.get_lines()
    assert line.get_linewidth() == 3
    days = pd.DatetimeIndex(
        cdnow_transactions.loc[cdnow_transactions["customer_id"] == 1516, "date"]
        .loc[lambda d: d <= CAL_END]
        .unique()
    ).sort_values()
    (ticks,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    assert len(ticks.get_segments()) == len(days)
    dates = pd.DatetimeIndex(line.get_xdata())
    values = np.asarray(line.get_ydata())
    assert dates[0] == days[0] and dates[-1] == pd.Timestamp(CAL_END)
    assert len(dates) == (pd.Timestamp(CAL_END) - days[0]).days + 1
    # on the day of the x-th repeat purchase P(alive) = (b+x-1)/(a+b+x-1) (eq. 13 at t_x = T)
    _, _, a, b = cdnow_bg.params_.to_numpy()
    x = np.arange(len(days))
    on_purchase = np.where(x > 0, (b + x - 1) / (a + b + x - 1), 1.0)
    np.testing.assert_allclose(values[dates.isin(days)], on_purchase, rtol=1e-12)
    assert np.all(np.diff(values)[~dates[1:].isin(days)] <= 0)  # no rise between purchases
    rfm = ck.rfm_summary(
        cdnow_transactions[
            (cdnow_transactions["customer_id"] == 1516) & (cdnow_transactions["date"] <= CAL_END)
        ],
        time_unit="W",
        observation_end=CAL_END,
    )
    assert values[-1] == pytest.approx(cdnow_bg.probability_alive(rfm).iloc[0], rel=1e-12)
    assert ax.get_ylabel() == "P(alive) (probability)"
    with pytest.raises(InputError, match="no transaction"):
        ckp.plot_probability_alive_path(cdnow_bg, cdnow_transactions, -5)


def test_heterogeneity(cdnow_bg: ck.BetaGeo) -> None:
    from scipy import stats

    r, alpha, a, b = cdnow_bg.params_.to_numpy()
    ax = ckp.plot_purchase_rate_heterogeneity(cdnow_bg)
    density, mean = ax.get_lines()
    lam = density.get_xdata()
    np.testing.assert_allclose(density.get_ydata(), stats.gamma(r, scale=1 / alpha).pdf(lam))
    assert mean.get_xdata()[0] == pytest.approx(r / alpha)
    assert ax.get_xlabel() == "Purchase rate while alive, lambda (purchases per week)"
    assert ax.get_ylim()[1] < density.get_ydata().max()  # the spike at 0 is cut
    _, given = plt.subplots()
    ax = ckp.plot_dropout_heterogeneity(cdnow_bg, ax=given)
    assert ax is given
    density, mean = ax.get_lines()
    p = density.get_xdata()
    assert p.min() > 0 and p.max() < 1
    np.testing.assert_allclose(density.get_ydata(), stats.beta(a, b).pdf(p))
    assert mean.get_xdata()[0] == pytest.approx(a / (a + b))
    assert ax.get_xlabel().endswith("(probability)")


def test_plots_refuse_what_is_not_a_purchase_model(cdnow_gg, cdnow_rfm) -> None:
    with pytest.raises(InputError, match=r"purchase model .* or a CLVModel"):
        ckp.plot_period_transactions(cdnow_gg, cdnow_rfm)
    with pytest.raises(InputError, match="max_frequency"):
        ckp.plot_period_transactions(
            ck.BetaGeo.from_params(r=1, alpha=1, a=1, b=1), cdnow_rfm, max_frequency=True
        )
    with pytest.raises(InputError, match="'ax'"):
        ckp.plot_dropout_heterogeneity(ck.BetaGeo.from_params(r=1, alpha=1, a=1, b=1), ax=3)


def test_decile_calibration_draws_each_models_deciles(cdnow_cal) -> None:
    fits = {
        "BG/NBD": ck.BetaGeo().fit(cdnow_cal),
        "shrunk": ck.BetaGeo(penalizer=0.05).fit(cdnow_cal),
    }
    ax = ckp.plot_decile_calibration(fits, cdnow_cal, linewidth=2)
    lines = ax.get_lines()
    assert [line.get_label() for line in lines[:2]] == ["BG/NBD", "shrunk"]
    for line, model in zip(lines[:2], fits.values(), strict=True):
        table = ck.holdout_deciles(model, cdnow_cal)
        np.testing.assert_allclose(line.get_xdata(), table["predicted"])
        np.testing.assert_allclose(line.get_ydata(), table["actual"])
        assert line.get_linewidth() == 2
    one = ckp.plot_decile_calibration(fits["BG/NBD"], cdnow_cal)
    assert one.get_lines()[0].get_label() == "BG/NBD"


def test_expected_purchases_new_customer_curve(cdnow_bg) -> None:
    ax = ckp.plot_expected_purchases_new_customer({"bg": cdnow_bg}, horizon="52W", points=11)
    (line,) = ax.get_lines()
    t = np.asarray(line.get_xdata())
    np.testing.assert_allclose(t, np.linspace(0, 52, 11))
    np.testing.assert_allclose(line.get_ydata(), cdnow_bg.expected_purchases_new_customer(t))
    assert ax.get_xlabel() == "Time since acquisition (weeks)"


def test_customer_exposure_draws_a_sample(cdnow_rfm) -> None:
    ax = ckp.plot_customer_exposure(cdnow_rfm, n_customers=50)
    (lines,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    segments = lines.get_segments()
    assert len(segments) == 50
    ends = {round(float(s[1][0]), 9) for s in segments}
    assert len(ends) == 1  # every window ends at the end of observation
    lengths = [s[1][0] - s[0][0] for s in segments]
    assert lengths == sorted(lengths, reverse=True)
    with pytest.raises(InputError, match="n_customers"):
        ckp.plot_customer_exposure(cdnow_rfm, n_customers=0)


def test_calibration_vs_holdout_by_time_since_purchase(cdnow_cal) -> None:
    bg = ck.BetaGeo().fit(cdnow_cal)
    ax = ckp.plot_calibration_vs_holdout(bg, cdnow_cal, by="time_since_purchase", n_bins=6)
    actual, predicted = ax.get_lines()[:2]
    gap = (cdnow_cal["T"] - cdnow_cal["recency"]).to_numpy()
    group = np.minimum((gap / (gap.max() / 6)).astype(int), 5)
    table = ck.holdout_predictions(bg, cdnow_cal)
    for k in range(6):
        rows = group == k
        assert actual.get_ydata()[k] == pytest.approx(table["actual_purchases"][rows].mean())
        assert predicted.get_ydata()[k] == pytest.approx(table["predicted_purchases"][rows].mean())
    assert "Time since the last calibration purchase" in ax.get_xlabel()
    with pytest.raises(InputError, match="'by'"):
        ckp.plot_calibration_vs_holdout(bg, cdnow_cal, by="region")
