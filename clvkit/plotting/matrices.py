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

import math
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clvkit._time import DAYS_PER_UNIT, parse_horizon
from clvkit._validation import check_columns, check_frame
from clvkit.data.transactions import purchases
from clvkit.errors import InputError, UnitError
from clvkit.models import BetaGeo
from clvkit.models._inputs import read_rfm
from clvkit.models._kernels.pmf import probability_n_purchases
from clvkit.plotting._common import purchase_model, unit_label
from clvkit.plotting._mpl import axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "plot_expected_purchases_matrix",
    "plot_probability_alive_matrix",
    "plot_probability_alive_path",
]

#: Colour of impossible cells (no repeat purchase yet a recency above 0).
MASKED_COLOR = "#d9d9d9"
_MAX_COLUMNS = 101


class _Grid:
    """A frequency x recency grid at one T, with the valid cells flagged."""

    def __init__(self, T: float, max_frequency: int, resolution: int) -> None:
        self.T = T
        self.frequency = np.arange(max_frequency + 1, dtype=np.float64)
        self.recency = np.linspace(0.0, T, resolution) if T > 0 else np.zeros(1)
        x, t_x = np.meshgrid(self.frequency, self.recency, indexing="ij")
        self.valid = (x > 0) | (t_x == 0)
        self.x, self.t_x = x[self.valid], t_x[self.valid]

    def fill(self, values: object) -> np.ma.MaskedArray:
        out = np.full(self.valid.shape, np.nan)
        out[self.valid] = np.asarray(values, dtype=np.float64)
        return np.ma.masked_invalid(out)


def _grid(
    purchase: BetaGeo,
    params: np.ndarray,
    customers: pd.DataFrame | None,
    T: float | str | None,
    max_frequency: int | None,
    resolution: int | None,
    caller: str,
) -> _Grid:
    if customers is not None:
        rfm = read_rfm(customers, {}, need=("frequency", "recency", "T"), caller=caller)
        purchase._check_unit(rfm)
    if T is None:
        if customers is not None:
            T_value = float(rfm["T"].max())
        elif purchase.time_unit_ is None:
            raise UnitError(
                f"{caller} needs T (a number of model time units) or a customers frame "
                "when the model has no time unit."
            )
        else:
            T_value = parse_horizon("1Y", purchase.time_unit_, argument="T")
    else:
        T_value = parse_horizon(T, purchase.time_unit_, argument="T")
    if max_frequency is None:
        if customers is not None:
            top = max(int(rfm["frequency"].max()), 1)
        else:
            # the 99th percentile of the model's repeat purchases over T
            n = np.arange(1000)
            cdf = np.cumsum(probability_n_purchases(params, n, T_value))
            top = max(int(np.searchsorted(cdf, 0.99)), 1)
    elif isinstance(max_frequency, bool) or not isinstance(max_frequency, int | np.integer):
        raise InputError(
            f"The 'max_frequency' argument of {caller} must be an integer >= 1. "
            f"Got {max_frequency!r} instead."
        )
    else:
        top = int(max_frequency)
        if top < 1:
            raise InputError(f"The 'max_frequency' argument of {caller} must be >= 1. Got {top}.")
    if resolution is None:
        resolution = min(math.ceil(T_value) + 1, _MAX_COLUMNS)
    elif isinstance(resolution, bool) or not isinstance(resolution, int) or resolution < 2:
        raise InputError(
            f"The 'resolution' argument of {caller} must be an integer >= 2. "
            f"Got {resolution!r} instead."
        )
    return _Grid(T_value, top, resolution)


def _draw_matrix(
    ax: Any,
    grid: _Grid,
    values: np.ma.MaskedArray,
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
    step = grid.recency[1] - grid.recency[0] if grid.recency.size > 1 else 1.0
    extent = (
        -step / 2,
        grid.recency[-1] + step / 2,
        -0.5,
        grid.frequency[-1] + 0.5,
    )
    options = {"aspect": "auto", "interpolation": "nearest", "origin": "lower", **kwargs}
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
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Expected purchases over ``horizon`` for each frequency and recency, at one ``T``.

    Each cell is :meth:`clvkit.BetaGeo.expected_purchases` (Fader, Hardie & Lee 2005,
    eq. 10) of a customer observed for ``T`` with that history. Frequent and recent
    buyers (top right) are expected to buy most; frequent buyers who stopped long ago
    (top left) little: the model thinks they have left.

    Parameters
    ----------
    model : BetaGeo or CLVModel
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
        percentile of the model's repeat purchases over ``T``
        (:func:`clvkit.models._kernels.pmf.probability_n_purchases`).
    resolution : int, optional
        Number of recency columns from 0 to ``T``; one per time unit by default (at most
        101).
    colorbar : bool, default True
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.imshow` (e.g. ``cmap``).

    Returns
    -------
    matplotlib.axes.Axes
        The image's array is ``(max_frequency + 1, resolution)``, frequency up the rows.
    """
    caller = "plot_expected_purchases_matrix"
    purchase, params = purchase_model(model, caller)
    h = parse_horizon(horizon, purchase.time_unit_)
    grid = _grid(purchase, params, customers, T, max_frequency, resolution, caller)
    values = purchase.expected_purchases(
        None, h, frequency=grid.x, recency=grid.t_x, T=np.full(grid.x.size, grid.T)
    )
    ax = axes(ax)
    units = unit_label(purchase.time_unit_)
    _draw_matrix(
        ax,
        grid,
        grid.fill(values),
        purchase.time_unit_,
        f"Expected purchases in the next {h:g} {units} (count)",
        colorbar,
        kwargs,
    )
    ax.set_title(f"Expected purchases, customers observed {grid.T:g} {units}")
    return ax


def plot_probability_alive_matrix(
    model: object,
    customers: pd.DataFrame | None = None,
    *,
    T: float | str | None = None,
    max_frequency: int | None = None,
    resolution: int | None = None,
    colorbar: bool = True,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """P(alive) for each frequency and recency, at one length of observation ``T``.

    Each cell is :meth:`clvkit.BetaGeo.probability_alive` (Fader, Hardie & Lee 2005,
    eq. 13). The row of customers without a repeat purchase is 1 at recency 0 (the model
    lets customers drop out only after a purchase); its other cells cannot occur and
    are masked in grey.

    Parameters
    ----------
    model : BetaGeo or CLVModel
    customers, T, max_frequency, resolution, colorbar, ax
        As in :func:`plot_expected_purchases_matrix`.
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.imshow`; the colours span 0 to 1 unless
        ``vmin``/``vmax`` say otherwise.

    Returns
    -------
    matplotlib.axes.Axes
    """
    caller = "plot_probability_alive_matrix"
    purchase, params = purchase_model(model, caller)
    grid = _grid(purchase, params, customers, T, max_frequency, resolution, caller)
    values = purchase.probability_alive(
        frequency=grid.x, recency=grid.t_x, T=np.full(grid.x.size, grid.T)
    )
    kwargs.setdefault("vmin", 0.0)
    kwargs.setdefault("vmax", 1.0)
    ax = axes(ax)
    _draw_matrix(
        ax, grid, grid.fill(values), purchase.time_unit_, "P(alive) (probability)", colorbar, kwargs
    )
    ax.set_title(f"P(alive), customers observed {grid.T:g} {unit_label(purchase.time_unit_)}")
    return ax


def alive_path(
    model: object,
    transactions: pd.DataFrame,
    customer: Hashable,
    *,
    customer_id: Hashable = "customer_id",
    datetime: Hashable = "date",
    end: object = None,
    datetime_format: str | None = None,
) -> tuple[pd.Series, pd.DatetimeIndex]:
    """One customer's P(alive) on each day from their first purchase to ``end``.

    On day ``d`` (``d`` days after the first purchase) the customer's history is
    ``x`` = repeat purchases on days ``1..d``, ``t_x`` = the day of the last of them and
    ``T = d``, converted to the model's time unit; P(alive) is
    :meth:`clvkit.BetaGeo.probability_alive` of that history (daily grain, the clock of
    :func:`clvkit.rfm_summary`).

    Returns
    -------
    p_alive : pandas.Series
        Indexed by day (DatetimeIndex named ``date``).
    purchase_days : pandas.DatetimeIndex
        The customer's purchase days (the first included).
    """
    caller = "plot_probability_alive_path"
    purchase, _ = purchase_model(model, caller)
    if purchase.time_unit_ is None:
        raise UnitError(f"{caller} needs a model with a time unit to convert days to its clock.")
    grain = getattr(model, "grain_", None)
    if grain not in (None, "D"):
        raise InputError(f"{caller} works on the daily grain; the model was fitted on {grain!r}.")
    frame = check_frame(transactions, "transactions")
    check_columns(frame, [customer_id, datetime], "transactions")  # type: ignore[list-item]
    rows = frame[frame[customer_id] == customer]
    if rows.empty:
        raise InputError(
            f"The 'customer' argument of {caller} is {customer!r}, which has no transaction "
            f"in column {customer_id!r}."
        )
    bought = purchases(
        rows,
        customer_id=customer_id,
        datetime=datetime,
        grain="D",
        observation_end=end,
        datetime_format=datetime_format,
    )
    days = bought.period_start.astype("datetime64[D]")
    origin = days[0]
    offsets = ((days - origin) / np.timedelta64(1, "D")).astype(np.float64)
    last = float((bought.observation_end.astype("datetime64[D]") - origin) / np.timedelta64(1, "D"))
    grid = np.arange(0.0, last + 1.0)
    seen = np.searchsorted(offsets, grid, side="right")  # purchases on or before each day
    x = (seen - 1).astype(np.float64)
    t_x = offsets[seen - 1]
    unit_days = DAYS_PER_UNIT[purchase.time_unit_]
    p = purchase.probability_alive(frequency=x, recency=t_x / unit_days, T=grid / unit_days)
    dates = pd.DatetimeIndex(origin + grid.astype(np.int64).astype("timedelta64[D]"), name="date")
    return pd.Series(np.asarray(p), index=dates, name="p_alive"), pd.DatetimeIndex(days)


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

    P(alive) jumps up on each purchase day, to ``(b+x-1)/(a+b+x-1)`` after the ``x``-th
    repeat purchase (the BG/NBD lets a customer drop out right after buying, so it is
    below 1 even then), and decays through each silence, faster for a customer whose
    purchases came quickly.
    Purchases are marked by vertical ticks. Values as in :func:`alive_path`.

    Parameters
    ----------
    model : BetaGeo or CLVModel
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
    """
    path, bought = alive_path(
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
    ax.plot(path.index.to_numpy(), path.to_numpy(), **kwargs)
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
