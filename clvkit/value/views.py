"""What a purchase model says about customer histories, as tables.

- :func:`probability_alive_matrix` and :func:`expected_purchases_matrix`: the model's
  P(alive) and expected purchases for every (frequency, recency) history at one length of
  observation ``T`` (the numbers behind the matrix plots);
- :func:`probability_alive_path`: one customer's P(alive) day by day along their own
  transactions (the numbers behind the P(alive) path plot).

Every function takes any fitted purchase model, or a CLVModel (its purchase model).
Cells no customer can occupy (no repeat purchase but a recency above 0) are NaN.
"""

from __future__ import annotations

import math
from collections.abc import Hashable

import numpy as np
import pandas as pd

from clvkit._time import DAYS_PER_UNIT, parse_horizon
from clvkit._validation import check_columns, check_frame
from clvkit.data.transactions import purchases
from clvkit.errors import InputError, UnitError
from clvkit.models import PurchaseModel, purchase_model_of

__all__ = ["expected_purchases_matrix", "probability_alive_matrix", "probability_alive_path"]

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

    def frame(self, values: object, name: str, purchase: PurchaseModel) -> pd.DataFrame:
        out = np.full(self.valid.shape, np.nan)
        out[self.valid] = np.asarray(values, dtype=np.float64)
        frame = pd.DataFrame(
            out,
            index=pd.Index(self.frequency.astype(np.int64), name="frequency"),
            columns=pd.Index(self.recency, name="recency"),
        )
        frame.attrs.update(quantity=name, T=self.T, time_unit=purchase.time_unit_)
        return frame


def _grid(
    purchase: PurchaseModel,
    customers: pd.DataFrame | None,
    T: float | str | None,
    max_frequency: int | None,
    resolution: int | None,
    caller: str,
    time_unit: str | None = None,
) -> _Grid:
    if customers is not None:
        rfm = purchase.read_customers(customers, caller=caller, time_unit=time_unit)
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
    if purchase.discrete:
        T_value = float(math.floor(T_value))
    if max_frequency is None:
        if customers is not None:
            top = max(int(rfm["frequency"].max()), 1)
        else:
            # the 99th percentile of the model's repeat purchases over T
            probs = purchase.probability_n_purchases_new_customer(np.arange(1000), T_value)
            top = max(int(np.searchsorted(np.cumsum(np.asarray(probs)), 0.99)), 1)
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
    if purchase.discrete:  # recency counts occasions too
        resolution = min(resolution, int(T_value) + 1)
        top = min(top, int(T_value))
    return _Grid(T_value, top, resolution)


def probability_alive_matrix(
    model: object,
    customers: pd.DataFrame | None = None,
    *,
    T: float | str | None = None,
    max_frequency: int | None = None,
    resolution: int | None = None,
    time_unit: str | None = None,
) -> pd.DataFrame:
    """P(alive) for every frequency and recency, at one length of observation ``T``.

    Parameters
    ----------
    model : purchase model or CLVModel
    customers : pandas.DataFrame, optional
        A calibration summary; when given, ``T`` defaults to its largest ``T`` and
        ``max_frequency`` to its largest frequency.
    T : float or str, optional
        Length of observation of the histories; by default the largest ``T`` of
        ``customers``, else one year.
    max_frequency : int, optional
        Highest frequency; by default the largest in ``customers``, else the 99th
        percentile of the model's repeat purchases over ``T``.
    resolution : int, optional
        Number of recency columns from 0 to ``T``; one per time unit by default (at most
        101).
    time_unit : str, optional
        The unit of ``customers`` when it does not record it in ``attrs["time_unit"]``
        (a CSV round trip, ``merge`` or ``concat`` loses it); checked against the model's.

    Returns
    -------
    pandas.DataFrame, shape (max_frequency + 1, resolution)
        Index ``frequency``, columns ``recency`` (model time units); NaN where no history
        can be (no repeat purchase but a recency above 0). ``attrs`` holds ``quantity``,
        ``T`` and ``time_unit``.

    Examples
    --------
    >>> import clvkit as ck
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> m = ck.probability_alive_matrix(bg, T=39, max_frequency=5)
    >>> m.shape
    (6, 40)
    >>> float(m.loc[0, 0.0])
    1.0
    """
    caller = "probability_alive_matrix"
    purchase = purchase_model_of(model, caller)
    grid = _grid(purchase, customers, T, max_frequency, resolution, caller, time_unit)
    values = purchase.probability_alive(
        frequency=grid.x, recency=grid.t_x, T=np.full(grid.x.size, grid.T)
    )
    return grid.frame(values, "p_alive", purchase)


def expected_purchases_matrix(
    model: object,
    customers: pd.DataFrame | None = None,
    *,
    horizon: float | str = 1.0,
    T: float | str | None = None,
    max_frequency: int | None = None,
    resolution: int | None = None,
    time_unit: str | None = None,
) -> pd.DataFrame:
    """Expected purchases over ``horizon`` for every frequency and recency, at one ``T``.

    Frequent and recent buyers are expected to buy most; frequent buyers who stopped long
    ago little: the model thinks they have left.

    Parameters
    ----------
    model : purchase model or CLVModel
    customers, T, max_frequency, resolution, time_unit
        As in :func:`probability_alive_matrix`.
    horizon : float or str, default 1
        The coming period: model time units or a calendar span such as ``"52W"``.

    Returns
    -------
    pandas.DataFrame, shape (max_frequency + 1, resolution)
        As :func:`probability_alive_matrix`; ``attrs`` also holds ``horizon`` (model time
        units).

    Examples
    --------
    >>> import clvkit as ck
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> m = ck.expected_purchases_matrix(bg, horizon="39W", T=39, max_frequency=5)
    >>> bool(m.loc[5, 39.0] > m.loc[5, 1.0])
    True
    """
    caller = "expected_purchases_matrix"
    purchase = purchase_model_of(model, caller)
    h = parse_horizon(horizon, purchase.time_unit_)
    grid = _grid(purchase, customers, T, max_frequency, resolution, caller, time_unit)
    values = purchase.expected_purchases(
        None, h, frequency=grid.x, recency=grid.t_x, T=np.full(grid.x.size, grid.T)
    )
    out = grid.frame(values, "expected_purchases", purchase)
    out.attrs["horizon"] = h
    return out


def probability_alive_path(
    model: object,
    transactions: pd.DataFrame,
    customer: Hashable,
    *,
    customer_id: Hashable = "customer_id",
    datetime: Hashable = "date",
    end: object = None,
    datetime_format: str | None = None,
) -> pd.DataFrame:
    """One customer's P(alive) on each day from their first purchase to ``end``.

    On day ``d`` (``d`` days after the first purchase) the customer's history is
    ``x`` = repeat purchases on days ``1..d``, ``t_x`` = the day of the last of them and
    ``T = d``, converted to the model's time unit; P(alive) is the model's
    ``probability_alive`` of that history (daily grain, the clock of
    :func:`clvkit.rfm_summary`).

    Parameters
    ----------
    model : continuous-time purchase model or CLVModel
        Fitted on a daily-grain summary, with a time unit.
    transactions : pandas.DataFrame
        A transaction log holding the customer's transactions (others are ignored).
    customer : hashable
        The customer's id in ``customer_id``.
    customer_id, datetime, datetime_format
        As in :func:`clvkit.rfm_summary`.
    end : str or datetime-like, optional
        Last day (transactions after it are excluded with a warning); the customer's last
        purchase by default.

    Returns
    -------
    pandas.DataFrame
        Indexed by day (DatetimeIndex ``date``); columns ``p_alive`` and ``purchase``
        (True on the customer's purchase days, the first included).

    Examples
    --------
    >>> import clvkit as ck
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> path = ck.probability_alive_path(bg, tx, customer=1)
    >>> list(path.columns)
    ['p_alive', 'purchase']
    """
    caller = "probability_alive_path"
    purchase = purchase_model_of(model, caller)
    if purchase.discrete:
        raise InputError(
            f"{caller} follows a continuous clock; a {purchase.display_name} model counts "
            "purchase occasions."
        )
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
    return pd.DataFrame({"p_alive": np.asarray(p), "purchase": np.isin(grid, offsets)}, index=dates)
