"""The cash-flow fan chart: stacked areas equal the segments' values, the band equals the
interval of the total, labels with units, ``ax`` honoured, bad input refused."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.collections import PolyCollection

import clvkit as ck
import clvkit.plotting as ckp
from clvkit.errors import InputError


@pytest.fixture(scope="module")
def flows(cdnow_rfm: pd.DataFrame) -> pd.DataFrame:
    model = ck.CLVModel().fit(cdnow_rfm)
    return ck.clv_cashflows(
        model,
        cdnow_rfm,
        horizon="26W",
        discount_rate=0.1,
        margin=0.3,
        by="lifecycle",
        total=True,
        interval=0.9,
    )


def _top(poly: PolyCollection, xs: np.ndarray) -> np.ndarray:
    """Upper edge of a filled area at ``xs``."""
    vertices = poly.get_paths()[0].vertices
    return np.array([vertices[np.isclose(vertices[:, 0], x), 1].max() for x in xs])


def test_areas_stack_the_segments_and_the_band_is_the_total(flows: pd.DataFrame) -> None:
    _, given = plt.subplots()
    ax = ckp.plot_cashflows(flows, ax=given, alpha=0.8)
    assert ax is given
    polys = [c for c in ax.collections if isinstance(c, PolyCollection)]
    stages = [s for s in flows.index.get_level_values(0).unique() if s != "total"]
    assert len(polys) == len(stages) + 1  # one area per stage, then the band
    running = np.zeros(26)
    ends = flows.xs("total", level=0)["period_end"].to_numpy()
    for poly, stage in zip(polys, stages, strict=False):
        running = running + flows.xs(stage, level=0)["discounted_value"].to_numpy()
        np.testing.assert_allclose(_top(poly, ends), running, rtol=1e-12)
    total = flows.xs("total", level=0)
    band = polys[-1].get_paths()[0].vertices[:, 1]
    assert band.max() == pytest.approx(total["discounted_value_upper"].max())
    assert band.min() == pytest.approx(total["discounted_value_lower"].min())
    np.testing.assert_allclose(ax.lines[-1].get_ydata(), total["discounted_value"])
    assert "weeks" in ax.get_xlabel() and "currency" in ax.get_ylabel()


def test_cumulative_value_fans_out(flows: pd.DataFrame) -> None:
    ax = ckp.plot_cashflows(flows, column="cumulative_value")
    total = flows.xs("total", level=0)
    width = (total["cumulative_value_upper"] - total["cumulative_value_lower"]).to_numpy()
    assert np.all(np.diff(width) > 0)
    assert "Cumulative" in ax.get_ylabel()


def test_no_band_without_bounds_or_total(flows: pd.DataFrame, cdnow_rfm: pd.DataFrame) -> None:
    plain = flows[[c for c in flows.columns if not c.endswith(("_lower", "_upper"))]]
    ax = ckp.plot_cashflows(plain)
    assert not ax.lines
    ax = ckp.plot_cashflows(flows, band=False)
    assert not ax.lines


def test_bad_input_is_refused(flows: pd.DataFrame) -> None:
    with pytest.raises(InputError, match="'column'"):
        ckp.plot_cashflows(flows, column="revenue")
    with pytest.raises(InputError, match="long frame"):
        ckp.plot_cashflows(flows.reset_index())
    per_customer = pd.concat([flows] * 7).iloc[: 31 * 26].copy()
    per_customer.index = pd.MultiIndex.from_arrays(
        [np.repeat(np.arange(31), 26), np.tile(np.arange(1, 27), 31)],
        names=["customer_id", "step"],
    )
    with pytest.raises(InputError, match="at most 30 segments"):
        ckp.plot_cashflows(per_customer)
