"""Retention plots: what is drawn equals what was computed, NaN cells are masked and shown
apart from 0, axes carry units, ``ax`` is honoured, and matplotlib loads lazily."""

from __future__ import annotations

import subprocess
import sys
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.image import AxesImage

import clvkit as ck
import clvkit.plotting as ckp
from clvkit.data.retention import cohort_table
from clvkit.errors import InputError
from clvkit.plotting.retention import UNOBSERVED_COLOR
from clvkit.value.cohorts import modelled_cohort_retention, retention_comparison


@pytest.fixture(scope="module")
def cdnow_cohorts(cdnow_transactions: pd.DataFrame) -> pd.DataFrame:
    return cohort_table(cdnow_transactions, "M")


def test_importing_plotting_does_not_import_matplotlib() -> None:
    code = "import sys, clvkit, clvkit.plotting; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_heatmap_masks_unobserved_cells(cdnow_cohorts: pd.DataFrame) -> None:
    ax = ckp.plot_cohort_heatmap(cdnow_cohorts)
    (image,) = [a for a in ax.get_children() if isinstance(a, AxesImage)]
    drawn = image.get_array()
    assert drawn.shape == (3, 18)
    np.testing.assert_array_equal(drawn.mask, cdnow_cohorts.isna().to_numpy())
    np.testing.assert_array_equal(drawn.filled(np.nan), cdnow_cohorts.to_numpy())
    # unobserved cells are grey, a colour the colormap gives no value, 0 included
    cmap = image.get_cmap()
    assert cmap.get_bad() == pytest.approx(to_rgba(UNOBSERVED_COLOR))
    assert cmap(image.norm(0.0)) != pytest.approx(to_rgba(UNOBSERVED_COLOR))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["not yet observed"]
    # every observed cell is annotated with its value, unobserved ones are not
    texts = [t.get_text() for t in ax.texts]
    assert len(texts) == cdnow_cohorts.notna().sum().sum() and texts[0] == "100%"
    assert ax.get_xlabel() == "Periods since acquisition (months)"
    assert ax.get_ylabel() == "Acquisition cohort (month)"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["1997-01", "1997-02", "1997-03"]
    colorbar = ax.figure.axes[-1]
    assert colorbar.get_ylabel() == "Share of cohort buying (%)"


def test_heatmap_hatches_an_incomplete_period(cdnow_transactions: pd.DataFrame) -> None:
    log = cdnow_transactions[cdnow_transactions["date"] <= "1998-06-15"]
    with pytest.warns(UserWarning, match="observed only up to"):
        table = cohort_table(
            log, "M", "clv", monetary="amount", observation_end="1998-06-15", duplicates="keep"
        )
    fig, ax = plt.subplots()
    out = ckp.plot_cohort_heatmap(table, ax=ax, annotate=False, colorbar=False, cmap="magma")
    assert out is ax and len(fig.axes) == 1 and not ax.texts
    hatched = [p for p in ax.patches if p.get_hatch() == "//"]
    # one cell per cohort: Jan at age 17, Feb at 16, March at 15
    assert sorted(p.get_x() + 0.5 for p in hatched) == [15.0, 16.0, 17.0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "not yet observed",
        "incomplete period",
    ]
    assert ax.images[0].get_cmap().name.startswith("magma")


def test_retention_curves_plot_the_observed_values(
    cdnow_cohorts: pd.DataFrame, cdnow_transactions: pd.DataFrame, cdnow_bg: ck.BetaGeo
) -> None:
    modelled = modelled_cohort_retention(cdnow_bg, cdnow_transactions, "M")
    _fig, ax = plt.subplots()
    out = ckp.plot_cohort_retention_curves(cdnow_cohorts, modelled=modelled, ax=ax, lw=3)
    assert out is ax
    observed_lines, model_lines = ax.lines[0::2], ax.lines[1::2]
    assert len(observed_lines) == len(model_lines) == 3
    for line, (cohort, row) in zip(observed_lines, cdnow_cohorts.iterrows(), strict=True):
        lived = row.dropna()
        np.testing.assert_array_equal(line.get_xdata(), lived.index.to_numpy())
        np.testing.assert_array_equal(line.get_ydata(), lived.to_numpy())
        assert line.get_label() == str(cohort) and line.get_linewidth() == 3
    for line, (cohort, row) in zip(model_lines, modelled.iterrows(), strict=True):
        np.testing.assert_array_equal(line.get_ydata(), row.dropna().to_numpy())
        assert line.get_linestyle() == "--" and line.get_label() == f"{cohort} (model)"
    assert [len(line.get_xdata()) for line in observed_lines] == [18, 17, 16]
    assert ax.get_xlabel() == "Periods since acquisition (months)"
    assert ax.get_ylabel() == "Share of cohort buying (%)"


def test_retention_curves_select_cohorts_and_check_the_model(
    cdnow_cohorts: pd.DataFrame, cdnow_transactions: pd.DataFrame, cdnow_bg: ck.BetaGeo
) -> None:
    ax = ckp.plot_cohort_retention_curves(cdnow_cohorts, cohorts=["1997-02"])
    assert [line.get_label() for line in ax.lines] == ["1997-02"]
    with pytest.raises(InputError, match=r"'cohorts' argument names '1998-01'"):
        ckp.plot_cohort_retention_curves(cdnow_cohorts, cohorts=["1998-01"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        shorter = modelled_cohort_retention(
            cdnow_bg, cdnow_transactions, "M", observation_end="1998-05-31"
        )
    with pytest.raises(InputError, match=r"same cohorts and ages"):
        ckp.plot_cohort_retention_curves(cdnow_cohorts, modelled=shorter)
    with pytest.raises(InputError, match=r"attrs\['period'\]"):
        ckp.plot_cohort_heatmap(pd.DataFrame(cdnow_cohorts.to_numpy()))


def test_observed_vs_modelled_from_the_same_cohorts(
    cdnow_transactions: pd.DataFrame, cdnow_bg: ck.BetaGeo
) -> None:
    comparison = retention_comparison(cdnow_bg, cdnow_transactions, "M")
    _fig, ax = plt.subplots()
    out = ckp.plot_retention_comparison(comparison, show_alive=True, ax=ax, color="k")
    assert out is ax
    observed, active, alive = ax.lines
    shown = comparison.iloc[1:]  # age 0 is 100 % by definition and left out
    for line, column in (
        (observed, "observed"),
        (active, "modelled_active"),
        (alive, "modelled_alive"),
    ):
        np.testing.assert_array_equal(line.get_xdata(), shown.index.to_numpy())
        np.testing.assert_array_equal(line.get_ydata(), shown[column].to_numpy())
    assert observed.get_color() == "k"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "observed: share buying",
        "model: share buying",
        "model: share alive",
    ]
    assert ax.get_ylabel() == "Share of acquired customers (%)"
    assert ax.get_xlabel() == "Periods since acquisition (months)"
    # the drawn observed curve is the pooled observed cohort table, cell for cell
    table = cohort_table(cdnow_transactions, "M")
    size = cohort_table(cdnow_transactions, "M", "customers")[0]
    for age, y in zip(observed.get_xdata(), observed.get_ydata(), strict=True):
        lived = table[age].notna()
        assert y == pytest.approx(np.average(table.loc[lived, age], weights=size[lived]))


def test_a_new_axes_when_none_is_given(
    cdnow_transactions: pd.DataFrame, cdnow_bg: ck.BetaGeo
) -> None:
    comparison = retention_comparison(cdnow_bg, cdnow_transactions, "Q")
    before = plt.get_fignums()
    ax = ckp.plot_retention_comparison(comparison)
    assert len(plt.get_fignums()) == len(before) + 1
    assert len(ax.lines) == 2 and ax.get_xlabel() == "Periods since acquisition (quarters)"
    with pytest.raises(InputError, match=r"'ax' argument must be a matplotlib Axes"):
        ckp.plot_retention_comparison(comparison, ax="left")  # type: ignore[arg-type]
