"""What the model says about a customer with a given history.

- :func:`plot_expected_purchases_matrix`: expected purchases over a coming horizon for
  every (frequency, recency) pair, at one length of observation ``T``.
- :func:`plot_probability_alive_matrix`: P(alive) on the same grid.
- :func:`plot_probability_alive_path`: one customer's P(alive) day by day, from their own
  transactions.

Cells that no customer can occupy (no repeat purchase but a recency above 0) are masked
and drawn in grey. matplotlib is imported when a function runs.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clvkit._time import parse_horizon
from clvkit.plotting._common import purchase_model, unit_label
from clvkit.plotting._mpl import axes
from clvkit.value.views import (
    expected_purchases_matrix,
    probability_alive_matrix,
    probability_alive_path,
)

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "plot_expected_purchases_matrix",
    "plot_probability_alive_matrix",
    "plot_probability_alive_path",
]

#: Colour of impossible cells (no repeat purchase yet a recency above 0).
MASKED_COLOR = "#d9d9d9"


def _draw_matrix(
    ax: Any,
    table: pd.DataFrame,
    unit: str | None,
    colorbar_label: str,
    colorbar: bool,
    kwargs: dict[str, Any],
) -> None:
    import matplotlib as mpl

    cmap = kwargs.pop("cmap", "viridis")
    if isinstance(cmap, str):
        cmap = mpl.colormaps[cmap]
    cmap = cmap.with_extremes(bad=MASKED_COLOR)
    recency = table.columns.to_numpy(dtype=np.float64)
    frequency = table.index.to_numpy(dtype=np.float64)
    step = recency[1] - recency[0] if recency.size > 1 else 1.0
    extent = (-step / 2, recency[-1] + step / 2, -0.5, frequency[-1] + 0.5)
    options = {"aspect": "auto", "interpolation": "nearest", "origin": "lower", **kwargs}
    values = np.ma.masked_invalid(table.to_numpy(dtype=np.float64))
    image = ax.imshow(values, cmap=cmap, extent=extent, **options)
    units = unit_label(unit)
    ax.set_xlabel(f"Recency: first to last purchase ({units})")
    ax.set_ylabel("Frequency: repeat purchases (count)")
    if colorbar:
        bar = ax.figure.colorbar(image, ax=ax)
        bar.set_label(colorbar_label)


def plot_expected_purchases_matrix(
    model: object,
    customers: pd.DataFrame | None = None,
    *,
    horizon: float | str = 1.0,
    T: float | str | None = None,
    max_frequency: int | None = None,
    resolution: int | None = None,
    colorbar: bool = True,
    time_unit: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Expected purchases over ``horizon`` for each frequency and recency, at one ``T``.

    Each cell is the model's ``expected_purchases`` of a customer observed for ``T`` with
    that history (the numbers of :func:`clvkit.expected_purchases_matrix`). Frequent and
    recent buyers (top right) are expected to buy most; frequent buyers who stopped long
    ago (top left) little: the model thinks they have left.

    Parameters
    ----------
    model : purchase model or CLVModel
    customers : pandas.DataFrame, optional
        A calibration summary; when given, ``T`` defaults to its largest ``T`` and
        ``max_frequency`` to its largest frequency.
    horizon : float or str, default 1
        The coming period: model time units or a calendar span such as ``"52W"``.
    T : float or str, optional
        Length of observation of the customers drawn; by default the largest ``T`` of
        ``customers``, else one year.
    max_frequency : int, optional
        Highest frequency drawn; by default the largest in ``customers``, else the 99th
        percentile of the model's repeat purchases over ``T``.
    resolution : int, optional
        Number of recency columns from 0 to ``T``; one per time unit by default (at most
        101).
    colorbar : bool, default True
    time_unit : str, optional
        The unit of ``customers`` when it does not record it in ``attrs["time_unit"]``
        (a CSV round trip, ``merge`` or ``concat`` loses it); checked against the model's.
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.imshow` (e.g. ``cmap``).

    Returns
    -------
    matplotlib.axes.Axes
        The image's array is ``(max_frequency + 1, resolution)``, frequency up the rows.

    Examples
    --------
    >>> import clvkit as ck
    >>> import clvkit.plotting as ckp
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> ax = ckp.plot_expected_purchases_matrix(bg, horizon="13W", T=39, max_frequency=6)
    >>> ax.get_title(), ax.images[0].get_array().shape
    ('BG/NBD: expected purchases, customers observed 39 weeks', (7, 40))
    """
    purchase = purchase_model(model, "plot_expected_purchases_matrix")
    h = parse_horizon(horizon, purchase.time_unit_)
    table = expected_purchases_matrix(
        model,
        customers,
        horizon=h,
        T=T,
        max_frequency=max_frequency,
        resolution=resolution,
        time_unit=time_unit,
    )
    ax = axes(ax)
    units = unit_label(purchase.time_unit_)
    _draw_matrix(
        ax,
        table,
        purchase.time_unit_,
        f"Expected purchases in the next {h:g} {units} (count)",
        colorbar,
        kwargs,
    )
    ax.set_title(
        f"{purchase.display_name}: expected purchases, customers observed "
        f"{table.attrs['T']:g} {units}"
    )
    return ax


def plot_probability_alive_matrix(
    model: object,
    customers: pd.DataFrame | None = None,
    *,
    T: float | str | None = None,
    max_frequency: int | None = None,
    resolution: int | None = None,
    colorbar: bool = True,
    time_unit: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """P(alive) for each frequency and recency, at one length of observation ``T``.

    Each cell is the model's ``probability_alive`` (the numbers of
    :func:`clvkit.probability_alive_matrix`). Under BG/NBD the row of customers without a
    repeat purchase is 1 at recency 0 (drop-out only follows a purchase); under MBG/NBD
    and Pareto/NBD it is below 1. The other cells of that row cannot occur and are masked
    in grey.

    Parameters
    ----------
    model : purchase model or CLVModel
    customers, T, max_frequency, resolution, colorbar, time_unit, ax
        As in :func:`plot_expected_purchases_matrix`.
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.imshow`; the colours span 0 to 1 unless
        ``vmin``/``vmax`` say otherwise.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import clvkit as ck
    >>> import clvkit.plotting as ckp
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> ax = ckp.plot_probability_alive_matrix(bg, T=39, max_frequency=6)
    >>> ax.get_title()
    'BG/NBD: P(alive), customers observed 39 weeks'
    """
    purchase = purchase_model(model, "plot_probability_alive_matrix")
    table = probability_alive_matrix(
        model,
        customers,
        T=T,
        max_frequency=max_frequency,
        resolution=resolution,
        time_unit=time_unit,
    )
    kwargs.setdefault("vmin", 0.0)
    kwargs.setdefault("vmax", 1.0)
    ax = axes(ax)
    _draw_matrix(ax, table, purchase.time_unit_, "P(alive) (probability)", colorbar, kwargs)
    ax.set_title(
        f"{purchase.display_name}: P(alive), customers observed {table.attrs['T']:g} "
        f"{unit_label(purchase.time_unit_)}"
    )
    return ax


def plot_probability_alive_path(
    model: object,
    transactions: pd.DataFrame,
    customer: Hashable,
    *,
    customer_id: Hashable = "customer_id",
    datetime: Hashable = "date",
    end: object = None,
    datetime_format: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """One customer's P(alive) over time, from their own transactions.

    P(alive) jumps up on each purchase day (under BG/NBD to ``(b+x-1)/(a+b+x-1)`` after
    the ``x``-th repeat purchase: a customer may drop out right after buying, so it is
    below 1 even then) and decays through each silence, faster for a customer whose
    purchases came quickly. Purchases are marked by vertical ticks. Values as in
    :func:`clvkit.probability_alive_path`.

    Parameters
    ----------
    model : purchase model or CLVModel
        Fitted on a daily-grain summary, with a time unit.
    transactions : pandas.DataFrame
        A transaction log holding the customer's transactions (others are ignored).
    customer : hashable
        The customer's id in ``customer_id``.
    customer_id, datetime, datetime_format
        As in :func:`clvkit.rfm_summary`.
    end : str or datetime-like, optional
        Last day drawn (transactions after it are excluded with a warning); the
        customer's last purchase by default.
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot` for the P(alive) line.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import clvkit as ck
    >>> import clvkit.plotting as ckp
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> ax = ckp.plot_probability_alive_path(bg, tx, 1516)
    >>> ax.get_title(), ax.get_ylabel()
    ('Customer 1516', 'P(alive) (probability)')
    """
    path = probability_alive_path(
        model,
        transactions,
        customer,
        customer_id=customer_id,
        datetime=datetime,
        end=end,
        datetime_format=datetime_format,
    )
    ax = axes(ax)
    kwargs.setdefault("label", "P(alive)")
    ax.plot(path.index.to_numpy(), path["p_alive"].to_numpy(), **kwargs)
    bought = path.index[path["purchase"].to_numpy()]
    ax.vlines(
        bought.to_numpy(), 0.0, 1.0, colors="grey", linestyles=":", linewidth=1, label="purchase"
    )
    ax.set_ylim(0.0, 1.05)
    ax.set_xlabel("Date (day)")
    ax.set_ylabel("P(alive) (probability)")
    ax.set_title(f"Customer {customer!r}")
    ax.legend(loc="lower left")
    ax.tick_params(axis="x", labelrotation=30)
    return ax
