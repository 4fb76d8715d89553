"""Pictures of retention: the cohort heatmap, retention curves by cohort, observed versus
modelled retention.

Each function takes the frame the matching table function returns
(:func:`clvkit.data.retention.cohort_table`,
:func:`clvkit.value.cohorts.modelled_cohort_retention`,
:func:`clvkit.value.cohorts.retention_comparison`), draws with the Axes API only into
``ax`` (a new figure when None) and returns that Axes. matplotlib is imported when a
function runs, not when this module is imported.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clvkit.errors import InputError
from clvkit.plotting._mpl import axes, integer_axis, percent_axis

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_cohort_heatmap", "plot_cohort_retention_curves", "plot_retention_comparison"]

_PERIOD_NAMES = {"W": ("weeks", "week"), "M": ("months", "month"), "Q": ("quarters", "quarter")}
_PERIOD_NAMES["Y"] = ("years", "year")
_VALUE_LABELS = {
    "retention": "Share of cohort buying (%)",
    "customers": "Cohort customers buying (customers)",
    "revenue": "Cohort revenue (currency)",
    "clv": "Realised value per acquired customer (currency)",
}
#: Colour of cells a cohort has not lived through yet: a light grey that no sequential
#: colormap uses for 0.
UNOBSERVED_COLOR = "#d9d9d9"


def _period(frame: pd.DataFrame, argument: str, caller: str) -> str:
    period = frame.attrs.get("period") if isinstance(frame, pd.DataFrame) else None
    if period not in _PERIOD_NAMES:
        raise InputError(
            f"The {argument!r} argument of {caller} must be a frame returned by clvkit's "
            f"retention functions (its attrs carry the period). Got "
            f"{type(frame).__name__} without attrs['period']."
        )
    return str(period)


def _age_label(period: str) -> str:
    return f"Periods since acquisition ({_PERIOD_NAMES[period][0]})"


def plot_cohort_heatmap(
    table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    annotate: bool | None = None,
    colorbar: bool = True,
    **kwargs: Any,
) -> Axes:
    """Heatmap of a cohort table: cohorts down, ages across.

    Cells a cohort has not lived through (NaN) are masked and drawn in light grey
    (:data:`UNOBSERVED_COLOR`), listed in the legend as "not yet observed", so they never
    read as 0. Cells in an incomplete last period (``attrs["incomplete_period"]``) are
    hatched and listed as "incomplete period".

    Parameters
    ----------
    table : pandas.DataFrame, shape (n_cohorts, n_ages)
        From :func:`clvkit.data.retention.cohort_table` (any metric).
    ax : matplotlib Axes, optional
        Axes to draw into; a new figure when None.
    annotate : bool, optional
        Write each observed value in its cell; by default only when there are at most
        300 cells.
    colorbar : bool, default True
        Add a colorbar (to the Axes' figure) labelled with the metric and its unit.
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.imshow` (e.g. ``cmap``, ``vmin``, ``vmax``).
        For the retention metric the colours span 0 to the largest share after age 0
        (age 0 is 100 % for every cohort and would flatten the rest); pass ``vmax=1``
        for a full 0-100 % scale.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import clvkit as ck
    >>> import clvkit.plotting as ckp
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> ax = ckp.plot_cohort_heatmap(ck.cohort_table(tx, period="Q", metric="retention"))
    >>> ax.get_xlabel()
    'Periods since acquisition (quarters)'
    """
    period = _period(table, "table", "plot_cohort_heatmap")
    metric = str(table.attrs.get("metric", "retention"))
    ax = axes(ax)
    import matplotlib as mpl
    from matplotlib.patches import Patch, Rectangle

    values = np.ma.masked_invalid(table.to_numpy(dtype=np.float64))
    cmap = kwargs.pop("cmap", "viridis")
    if isinstance(cmap, str):
        cmap = mpl.colormaps[cmap]
    cmap = cmap.with_extremes(bad=UNOBSERVED_COLOR)
    clipped = False
    if metric == "retention":
        kwargs.setdefault("vmin", 0.0)
        if "vmax" not in kwargs:
            # age 0 is 100 % by definition: scale the colours on the later ages
            later = values[:, 1:]
            top = float(later.max()) if later.count() else 1.0
            kwargs["vmax"] = top if top > 0 else 1.0
            clipped = kwargs["vmax"] < 1.0
    options = {"aspect": "auto", "interpolation": "nearest", **kwargs}
    image = ax.imshow(values, cmap=cmap, **options)

    n_rows, n_cols = values.shape
    ax.set_xticks(np.arange(n_cols), labels=[str(c) for c in table.columns])
    ax.set_yticks(np.arange(n_rows), labels=[str(c) for c in table.index])
    ax.set_xlabel(_age_label(period))
    ax.set_ylabel(f"Acquisition cohort ({_PERIOD_NAMES[period][1]})")
    handles = []
    if values.mask.any():
        handles.append(Patch(facecolor=UNOBSERVED_COLOR, label="not yet observed"))
    incomplete = table.attrs.get("incomplete_period")
    if incomplete is not None:
        last = pd.Period(incomplete, freq=period)
        for row, cohort in enumerate(table.index):
            age = (last - cohort).n
            if 0 <= age < n_cols:
                ax.add_patch(Rectangle((age - 0.5, row - 0.5), 1, 1, fill=False, hatch="//", lw=0))
        handles.append(Patch(fill=False, hatch="//", label="incomplete period"))
    if handles:
        ax.legend(
            handles=handles,
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            ncols=len(handles),
            fontsize="small",
            frameon=False,
        )
    if annotate is None:
        annotate = values.size <= 300
    if annotate:
        fmt = {"retention": "{:.0%}", "customers": "{:,.0f}", "revenue": "{:,.0f}"}.get(
            metric, "{:,.1f}"
        )
        shade = np.asarray(np.ma.filled(image.norm(values), 0.0), dtype=np.float64)
        for (row, col), value in np.ndenumerate(values.filled(np.nan)):
            if np.isfinite(value):
                dark = bool(shade[row, col] < 0.5)
                ax.text(
                    col,
                    row,
                    fmt.format(value),
                    ha="center",
                    va="center",
                    fontsize="x-small",
                    color="white" if dark else "black",
                )
    if colorbar:
        bar = ax.figure.colorbar(image, ax=ax, extend="max" if clipped else "neither")
        bar.set_label(_VALUE_LABELS.get(metric, metric))
        if metric == "retention":
            percent_axis(bar.ax.yaxis)
    return ax


def plot_cohort_retention_curves(
    table: pd.DataFrame,
    *,
    modelled: pd.DataFrame | None = None,
    cohorts: Sequence[Any] | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """One line per cohort: its value by age, up to the last age it has lived through.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`clvkit.data.retention.cohort_table` (any metric).
    modelled : pandas.DataFrame, optional
        From :func:`clvkit.value.cohorts.modelled_cohort_retention` on the same log and
        period; each cohort's modelled curve is drawn dashed in the cohort's colour. It
        must have the same cohorts and ages as ``table``.
    cohorts : sequence, optional
        Cohorts to draw (labels of ``table.index``, e.g. ``pd.Period("1997-01", "M")`` or
        ``"1997-01"``); all by default.
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot` for the observed lines.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import clvkit as ck
    >>> import clvkit.plotting as ckp
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> observed = ck.cohort_table(tx, period="Q", metric="retention")
    >>> modelled = ck.modelled_cohort_retention(bg, tx, period="Q")
    >>> ax = ckp.plot_cohort_retention_curves(observed, modelled=modelled)
    >>> ax.get_ylabel()
    'Share of cohort buying (%)'
    """
    period = _period(table, "table", "plot_cohort_retention_curves")
    metric = str(table.attrs.get("metric", "retention"))
    if modelled is not None and not (
        modelled.index.equals(table.index) and modelled.columns.equals(table.columns)
    ):
        raise InputError(
            "The 'modelled' argument of plot_cohort_retention_curves must have the same "
            "cohorts and ages as 'table'; build both from the same log, period and "
            "observation_end."
        )
    chosen = table.index if cohorts is None else _select(table.index, cohorts)
    ax = axes(ax)
    kwargs.setdefault("marker", "o")
    kwargs.setdefault("markersize", 3)
    for cohort in chosen:
        row = table.loc[cohort].dropna()
        (line,) = ax.plot(row.index.to_numpy(), row.to_numpy(), label=str(cohort), **kwargs)
        if modelled is not None:
            model_row = modelled.loc[cohort].dropna()
            ax.plot(
                model_row.index.to_numpy(),
                model_row.to_numpy(),
                linestyle="--",
                color=line.get_color(),
                label=f"{cohort} (model)",
            )
    ax.set_xlabel(_age_label(period))
    ax.set_ylabel(_VALUE_LABELS.get(metric, metric))
    integer_axis(ax.xaxis)
    if metric == "retention":
        percent_axis(ax.yaxis)
    ax.legend(title="Acquisition cohort", fontsize="small")
    return ax


def _select(index: pd.Index, cohorts: Sequence[Any]) -> list[Any]:
    lookup = {str(c): c for c in index}
    chosen = []
    for cohort in cohorts:
        key = str(cohort)
        if key not in lookup:
            raise InputError(
                f"The 'cohorts' argument names {cohort!r}, which is not a cohort of the "
                f"table; it has {list(lookup)[:12]}."
            )
        chosen.append(lookup[key])
    return chosen


def plot_retention_comparison(
    comparison: pd.DataFrame,
    *,
    show_alive: bool = False,
    min_age: int = 1,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Observed versus modelled share of customers buying, by age since acquisition.

    Both curves pool the same cohorts at each age (see
    :func:`clvkit.value.cohorts.retention_comparison`).

    Parameters
    ----------
    comparison : pandas.DataFrame
        From :func:`clvkit.value.cohorts.retention_comparison`.
    show_alive : bool, default False
        Also draw the model's share still alive (dotted): an upper bound of the share
        buying, not an observable quantity.
    min_age : int, default 1
        First age drawn; age 0 is 100 % for both curves by definition.
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot` for the observed curve.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import clvkit as ck
    >>> import clvkit.plotting as ckp
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> ax = ckp.plot_retention_comparison(ck.retention_comparison(bg, tx, period="Q"))
    >>> ax.get_ylabel(), len(ax.lines)
    ('Share of acquired customers (%)', 2)
    """
    period = _period(comparison, "comparison", "plot_retention_comparison")
    missing = {"observed", "modelled_active", "modelled_alive"} - set(comparison.columns)
    if missing:
        raise InputError(
            "The 'comparison' argument of plot_retention_comparison must come from "
            f"retention_comparison; it lacks the column(s) {sorted(missing)}."
        )
    shown = comparison.loc[comparison.index >= min_age]
    ax = axes(ax)
    ages = shown.index.to_numpy()
    kwargs.setdefault("marker", "o")
    kwargs.setdefault("label", "observed: share buying")
    ax.plot(ages, shown["observed"].to_numpy(), **kwargs)
    ax.plot(ages, shown["modelled_active"].to_numpy(), "--", label="model: share buying")
    if show_alive:
        ax.plot(ages, shown["modelled_alive"].to_numpy(), ":", label="model: share alive")
    ax.set_xlabel(_age_label(period))
    ax.set_ylabel("Share of acquired customers (%)")
    integer_axis(ax.xaxis)
    percent_axis(ax.yaxis)
    ax.set_ylim(bottom=0.0)
    ax.legend(fontsize="small")
    return ax
