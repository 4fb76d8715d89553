"""Value plots on CDNOW: stacked actual vs potential bars equal segment_summary, the
concentration curve equals sorted cumulative shares, P(alive) against silence equals the
model's; labels with units; ``ax`` honoured."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PathCollection
from matplotlib.container import BarContainer

import clvkit as ck
import clvkit.plotting as ckp
from clvkit.errors import InputError
from clvkit.value.lifecycle import STAGES


@pytest.fixture(scope="module")
def cdnow_clv(cdnow_clv_model: ck.CLVModel, cdnow_rfm: pd.DataFrame) -> pd.DataFrame:
    return cdnow_clv_model.predict_clv(cdnow_rfm, horizon="52W", discount_rate=0.1, margin=0.3)


@pytest.fixture(scope="module")
def cdnow_clv_model(cdnow_rfm: pd.DataFrame) -> ck.CLVModel:
    return ck.CLVModel().fit(cdnow_rfm)


def _heights(container: BarContainer) -> np.ndarray:
    return np.array([patch.get_height() for patch in container.patches])


def test_value_by_segment_stacks_actual_and_potential(cdnow_clv: pd.DataFrame) -> None:
    _, given = plt.subplots()
    ax = ckp.plot_value_by_segment(cdnow_clv, ax=given, edgecolor="black")
    assert ax is given
    summary = ck.segment_summary(cdnow_clv, by="lifecycle")
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert len(bars) == 3 and all(len(c) == 5 for c in bars)  # one bar per stage
    historical, expected, at_risk = (_heights(c) for c in bars)
    np.testing.assert_allclose(historical, summary["historical_value"])
    np.testing.assert_allclose(expected, summary["expected_value"])
    np.testing.assert_allclose(at_risk, summary["value_at_risk"])
    # stacked: each layer starts on the one below; the top is the potential CLV
    np.testing.assert_allclose([p.get_y() for p in bars[2].patches], historical + expected)
    np.testing.assert_allclose(historical + expected + at_risk, summary["potential_clv"])
    assert bars[0].patches[0].get_edgecolor()[:3] == (0.0, 0.0, 0.0)
    assert [t.get_text() for t in ax.get_xticklabels()] == list(STAGES)
    assert ax.get_ylabel() == "Value (currency)" and ax.get_xlabel() == "Lifecycle stage"
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("actual: historical") and legend[2].startswith("potential")
    shares = summary["at_risk_share"].dropna()
    assert [t.get_text() for t in ax.texts] == [f"{s:.0%} at risk" for s in shares]


def test_value_by_segment_takes_a_summary_or_a_column(cdnow_clv: pd.DataFrame) -> None:
    region = pd.Series(np.where(cdnow_clv.index % 2 == 0, "east", "west"), index=cdnow_clv.index)
    ax = ckp.plot_value_by_segment(cdnow_clv, by=region.rename("region"))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["east", "west"]
    assert ax.get_xlabel() == "region"
    summary = ck.segment_summary(cdnow_clv, by=region)
    ax = ckp.plot_value_by_segment(summary, annotate=False)
    assert len(ax.containers) == 3 and not ax.texts
    with pytest.raises(InputError, match="missing the column"):
        ckp.plot_value_by_segment(cdnow_clv[["p_alive"]])


def test_value_concentration(cdnow_clv: pd.DataFrame) -> None:
    ax = ckp.plot_value_concentration(cdnow_clv, columns=["actual_clv", "potential_clv"])
    actual, actual_top, potential, potential_top, diagonal = ax.get_lines()
    n = len(cdnow_clv)
    for line, top, column in [
        (actual, actual_top, "actual_clv"),
        (potential, potential_top, "potential_clv"),
    ]:
        values = cdnow_clv[column].sort_values(ascending=False).to_numpy()
        np.testing.assert_allclose(line.get_xdata(), np.arange(n + 1) / n)
        np.testing.assert_allclose(
            line.get_ydata(), np.concatenate([[0], values.cumsum() / values.sum()])
        )
        k = int(np.ceil(0.2 * n))
        assert top.get_ydata()[0] == pytest.approx(values[:k].sum() / values.sum())
    assert list(diagonal.get_xdata()) == [0.0, 1.0]
    # value is concentrated: the top fifth holds more than half of it
    assert actual_top.get_ydata()[0] > 0.5
    assert ax.get_xlabel() == "Share of customers, most valuable first (%)"
    assert ax.get_ylabel() == "Share of total value (%)"
    # a Series of values works too
    ax = ckp.plot_value_concentration(cdnow_clv["actual_clv"])
    assert len(ax.get_lines()) == 3
    with pytest.raises(InputError, match=">= 0"):
        ckp.plot_value_concentration(-cdnow_clv["actual_clv"])


def test_probability_alive_vs_time_since_purchase(
    cdnow_bg: ck.BetaGeo, cdnow_rfm: pd.DataFrame
) -> None:
    ax = ckp.plot_probability_alive_vs_time_since_purchase(
        cdnow_bg, cdnow_rfm, c=cdnow_rfm["frequency"], s=3
    )
    repeat, single = [c for c in ax.collections if isinstance(c, PathCollection)]
    is_repeat = (cdnow_rfm["frequency"] > 0).to_numpy()
    silence = (cdnow_rfm["T"] - cdnow_rfm["recency"]).to_numpy()
    p_alive = cdnow_bg.probability_alive(cdnow_rfm).to_numpy()
    np.testing.assert_allclose(repeat.get_offsets(), np.column_stack([silence, p_alive])[is_repeat])
    np.testing.assert_allclose(single.get_offsets()[:, 1], 1.0)
    assert len(single.get_offsets()) == 1411
    np.testing.assert_array_equal(repeat.get_array(), cdnow_rfm["frequency"].to_numpy()[is_repeat])
    assert ax.get_xlabel() == "Time since last purchase (weeks)"
    assert ax.get_ylabel() == "P(alive) (probability)"
