"""Survival and retention-rate plots: what is drawn equals what was computed, labels carry
units, cohorts are drawn one by one or pooled, ``ax`` is honoured."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

import clvkit as ck
import clvkit.plotting as ckp
from clvkit.errors import InputError

REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]


@pytest.fixture(scope="module")
def regular() -> ck.ShiftedBetaGeo:
    return ck.ShiftedBetaGeo().fit_survival(REGULAR, time_unit="Y")


def _line(ax, label):
    (line,) = [ln for ln in ax.get_lines() if ln.get_label() == label]
    return line.get_xdata(), line.get_ydata()


def test_survival_curve_of_one_cohort(regular):
    _, ax = plt.subplots()
    out = ckp.plot_survival_curves(regular, REGULAR, horizon=12, calibration_end=7, ax=ax)
    assert out is ax
    x, y = _line(ax, "observed")
    np.testing.assert_array_equal(x, np.arange(8))
    np.testing.assert_allclose(y, np.array(REGULAR) / 1000)
    x, y = _line(ax, "sBG model")
    np.testing.assert_array_equal(x, np.arange(13))
    np.testing.assert_allclose(y, regular.survival(np.arange(13)))
    assert _line(ax, "end of calibration")[0][0] == 7
    assert ax.get_xlabel() == "Periods since acquisition (years)"
    assert ax.get_ylabel() == "Share of cohort still active (%)"


def test_retention_rates_of_one_cohort(regular):
    ax = ckp.plot_retention_rates(regular, REGULAR, color="red")
    x, y = _line(ax, "observed")
    np.testing.assert_array_equal(x, np.arange(1, 8))
    np.testing.assert_allclose(y, np.array(REGULAR[1:]) / np.array(REGULAR[:-1]))
    x, y = _line(ax, "sBG model")
    np.testing.assert_array_equal(x, np.arange(1, 15))  # default horizon: twice 7
    np.testing.assert_allclose(y, regular.retention_rate(np.arange(1, 15)))
    (model_line,) = [ln for ln in ax.get_lines() if ln.get_label() == "sBG model"]
    assert model_line.get_color() == "red"
    assert ax.get_ylabel() == "Retention rate: share renewing (%)"


def test_many_cohorts_are_pooled():
    counts = ck.datasets.simulate_survival_counts(20_000, periods=24, seed=1)
    model = ck.ShiftedBetaGeo().fit_survival(counts)
    c = counts.to_numpy()
    seen = ~np.isnan(c[:, 1:])
    pooled = np.where(seen, c[:, 1:], 0).sum(0) / np.where(seen, c[:, :-1], 0).sum(0)
    ax = ckp.plot_retention_rates(model, counts)
    np.testing.assert_allclose(_line(ax, "observed: 24 cohorts pooled")[1], pooled)
    ax = ckp.plot_survival_curves(model, counts)
    _, share = _line(ax, "observed: 24 cohorts pooled")
    np.testing.assert_allclose(share, np.concatenate(([1.0], np.cumprod(pooled))))
    assert ax.get_xlabel() == "Periods since acquisition (months)"
    few = ckp.plot_survival_curves(model, counts.iloc[:3], per_cohort=True)
    assert sorted(ln.get_label() for ln in few.get_lines())[:3] == [
        "observed: 0",
        "observed: 1",
        "observed: 2",
    ]


def test_model_curve_alone_and_bad_arguments(regular):
    ax = ckp.plot_survival_curves(regular)
    assert [ln.get_label() for ln in ax.get_lines()] == ["sBG model"]
    with pytest.raises(InputError, match="contractual model"):
        ckp.plot_survival_curves(ck.BetaGeo.from_params(r=1, alpha=1, a=1, b=1))
    with pytest.raises(InputError, match="must not increase"):
        ckp.plot_retention_rates(regular, [100, 90, 95])
    with pytest.raises(InputError, match="whole number of periods"):
        ckp.plot_retention_rates(regular, horizon=2.5)
