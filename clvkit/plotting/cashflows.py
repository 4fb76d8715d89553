"""Cash flows over the horizon: a fan chart of value per step, stacked by segment.

matplotlib is imported when the function runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clvkit._validation import check_columns, check_frame, check_not_empty
from clvkit.errors import InputError
from clvkit.plotting._common import unit_label
from clvkit.plotting._mpl import axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_cashflows"]

_MAX_SEGMENTS = 30
_LABELS = {
    "discounted_value": "Discounted value per step (currency)",
    "expected_value": "Expected value per step (currency)",
    "cumulative_value": "Cumulative discounted value (currency)",
    "expected_purchases": "Expected purchases per step",
}


def plot_cashflows(
    cashflows: pd.DataFrame,
    *,
    column: str = "discounted_value",
    band: bool = True,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Value per step of the horizon, stacked by segment, its interval as a band.

    The segments of :func:`clvkit.clv_cashflows` (``by=...``) are stacked areas over the
    steps' ends. The band is the interval of the *total* over all segments: the
    ``"total"`` segment of ``clv_cashflows(..., total=True, interval=...)`` (an interval of
    the sum, evaluated per parameter draw, not a sum of the segments' bounds), drawn with
    its line; with one segment and no total, that segment's interval. With
    ``column="cumulative_value"`` the band widens over the horizon: a fan chart.

    Parameters
    ----------
    cashflows : pandas.DataFrame
        Output of :func:`clvkit.clv_cashflows` with ``by`` (at most 30 segments).
    column : str, default "discounted_value"
        The value drawn: ``"discounted_value"``, ``"expected_value"``,
        ``"cumulative_value"`` or ``"expected_purchases"``.
    band : bool, default True
        Draw the interval (when the frame has ``<column>_lower`` and ``_upper``).
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.stackplot` (e.g. ``colors``, ``alpha``).

    Returns
    -------
    matplotlib.axes.Axes
        The stacked areas (one per segment, in order) and, with a band, the band and the
        total's line.

    Examples
    --------
    >>> import clvkit as ck, clvkit.plotting as ckp
    >>> rfm = ck.datasets.simulate_rfm(800, seed=6)
    >>> model = ck.CLVModel().fit(rfm)
    >>> flows = ck.clv_cashflows(model, rfm, horizon=26, discount_rate=0.1, by="lifecycle",
    ...                          total=True, interval=0.9)
    >>> ax = ckp.plot_cashflows(flows, column="cumulative_value")
    """
    frame = check_frame(cashflows, "cashflows")
    if frame.index.nlevels != 2 or "period_end" not in frame.columns:
        raise InputError(
            "plot_cashflows needs the long frame of clv_cashflows (indexed by segment and step)."
        )
    if column not in _LABELS:
        raise InputError(
            f"The 'column' argument of plot_cashflows must be one of {list(_LABELS)}. "
            f"Got {column!r}."
        )
    check_columns(frame, [column], "cashflows")
    check_not_empty(len(frame), "cashflows")
    groups = list(dict.fromkeys(frame.index.get_level_values(0)))
    segments = [g for g in groups if not (isinstance(g, str) and g == "total")]
    if len(segments) > _MAX_SEGMENTS:
        raise InputError(
            f"plot_cashflows stacks at most {_MAX_SEGMENTS} segments; got {len(segments)}. "
            "Summarise per customer cash flows with clv_cashflows(..., by=...) first."
        )
    first = frame.xs(groups[0], level=0)
    ends = first["period_end"].to_numpy(dtype=np.float64)
    values = [frame.xs(g, level=0)[column].to_numpy(dtype=np.float64) for g in segments]
    ax = axes(ax)
    if values:
        ax.stackplot(ends, *values, labels=[str(s) for s in segments], **kwargs)
    lower, upper = f"{column}_lower", f"{column}_upper"
    has_bounds = lower in frame.columns and upper in frame.columns
    banded = "total" in groups or len(segments) == 1
    if band and has_bounds and banded:
        which = "total" if "total" in groups else segments[0]
        part = frame.xs(which, level=0)
        ax.fill_between(
            ends,
            part[lower].to_numpy(dtype=np.float64),
            part[upper].to_numpy(dtype=np.float64),
            color="0.2",
            alpha=0.25,
            linewidth=0,
            label=f"{which}: interval",
        )
        ax.plot(ends, part[column].to_numpy(dtype=np.float64), color="0.1", linewidth=1.2)
    unit = frame.attrs.get("time_unit")
    ax.set_xlabel(f"End of step ({unit_label(unit if isinstance(unit, str) else None)} from now)")
    ax.set_ylabel(_LABELS[column])
    ax.set_xlim(float(ends.min()) if ends.size else 0.0, float(ends.max()) if ends.size else 1.0)
    ax.set_ylim(bottom=0.0)
    ax.legend(loc="upper left", fontsize="small")
    return ax
