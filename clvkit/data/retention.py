"""Descriptive retention: per-period retention tables and acquisition-cohort tables.

Both tables start from the same validated purchases as :func:`clvkit.rfm_summary` (the log
goes through :func:`clvkit.data.transactions.purchases`' validation, so bad input gets the
same errors), merged at a daily grain: a *purchase* is one customer's transactions on one
day. Calendar periods (weeks from Monday, months, quarters, years) then group the
purchase days. A customer is *active* in a period when they made at least one purchase in
it.

Definitions used throughout (period ``k`` is one calendar period):

- **in the base at the start of k**: active in period ``k − 1`` ("active last period").
- **retained in k**: in the base at the start of ``k`` and active in ``k``.
- **new in k**: first purchase ever in ``k`` (acquired in ``k``).
- **reactivated in k**: active in ``k``, not in ``k − 1``, but in some earlier period.
- **retention rate**: retained / base at the start; **churn rate**: 1 − retention rate.
- **cohort**: the period of a customer's first purchase; **age**: periods since it
  (the acquisition period is age 0).

The end of observation is a day (``observation_end``, inclusive, or the last transaction's
day). When it is not the last day of its period, that final period is only partially
observed: fewer of its customers had time to buy, which looks like a fall in retention
although it is not. The ``incomplete`` argument decides what happens: ``"flag"`` (default)
keeps the period, marks it (``complete`` is False, ``attrs["incomplete_period"]``) and
warns; ``"drop"`` ends the tables at the last complete period.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from clvkit.data.checks import DEFAULT_GAP_MULTIPLE
from clvkit.data.transactions import _build, _group_starts, format_period
from clvkit.errors import DataWarning, InputError, UnitError

__all__ = ["cohort_table", "retention_table"]

#: Calendar periods a retention or cohort table can use, and their plural names.
PERIODS: dict[str, str] = {"W": "weeks", "M": "months", "Q": "quarters", "Y": "years"}
METRICS = ("retention", "customers", "revenue", "clv")
_INCOMPLETE = ("flag", "drop")


@dataclass(frozen=True)
class Activity:
    """Daily purchases grouped into calendar periods; the common ground of both tables.

    Period ``k`` (0-based) is the ``k``-th calendar period from the one holding the first
    purchase of the log. Rows are customer-periods with at least one purchase, sorted by
    customer then period.

    Attributes
    ----------
    period : str
        ``"W"``, ``"M"``, ``"Q"`` or ``"Y"``.
    periods : pandas.PeriodIndex, shape (n_periods,)
        The calendar periods covered, the last one holding the end of observation.
    bounds : numpy.ndarray of datetime64[D], shape (n_periods + 1,)
        Start of every period and, last, the exclusive end of observation (the day after
        the last observed day; the start of the next period when the last is complete).
    customer_ids : pandas.Index, shape (n_customers,)
    customer, k : numpy.ndarray of int64, shape (n_rows,)
        Customer position and period index of each active customer-period.
    n_days : numpy.ndarray of int64, shape (n_rows,)
        Purchase days of the customer in the period (>= 1).
    amount : numpy.ndarray of float64, shape (n_rows,), or None
        Amount spent in the period (currency units), when a monetary column was given.
    cohort : numpy.ndarray of int64, shape (n_customers,)
        Period index of each customer's first purchase.
    acquired : numpy.ndarray of datetime64[D], shape (n_customers,)
        Day of each customer's first purchase.
    complete : bool
        Whether the last period is observed to its last day.
    """

    period: str
    periods: pd.PeriodIndex
    bounds: np.ndarray
    customer_ids: pd.Index
    customer: np.ndarray
    k: np.ndarray
    n_days: np.ndarray
    amount: np.ndarray | None
    cohort: np.ndarray
    acquired: np.ndarray
    complete: bool

    @property
    def n_periods(self) -> int:
        return len(self.periods)

    @property
    def observation_end(self) -> np.datetime64:
        """Last observed day (inclusive)."""
        return np.datetime64(self.bounds[-1] - np.timedelta64(1, "D"))

    def incomplete_label(self) -> str | None:
        return None if self.complete else str(self.periods[-1])


def check_period(period: object) -> str:
    """Return ``period`` if it is a supported calendar period, else raise UnitError."""
    if not isinstance(period, str) or period not in PERIODS:
        raise UnitError(
            f"The 'period' argument must be one of {list(PERIODS)} (calendar weeks from "
            f"Monday, months, quarters, years). Got {period!r} instead."
        )
    return period


def period_ordinal(day: np.ndarray, period: str) -> np.ndarray:
    """Integer number of the calendar period holding each datetime64[D] day."""
    if period == "D":
        return day.view(np.int64)
    if period == "W":
        # 1970-01-01 (day 0) was a Thursday; Monday-based week number = (day + 3) // 7.
        return (day.view(np.int64) + 3) // 7
    months = day.astype("datetime64[M]").view(np.int64)
    if period == "M":
        return months
    if period == "Q":
        return months // 3
    return day.astype("datetime64[Y]").view(np.int64)


def period_first_day(ordinal: np.ndarray, period: str) -> np.ndarray:
    """First day (datetime64[D]) of each period number; inverse of :func:`period_ordinal`."""
    if period == "D":
        return ordinal.view("datetime64[D]")
    if period == "W":
        return (ordinal * 7 - 3).view("datetime64[D]")
    if period == "M":
        return ordinal.view("datetime64[M]").astype("datetime64[D]")
    if period == "Q":
        return (ordinal * 3).view("datetime64[M]").astype("datetime64[D]")
    return ordinal.view("datetime64[Y]").astype("datetime64[D]")


def activity(
    transactions: object,
    *,
    period: object,
    customer_id: object,
    datetime: object,
    monetary: object,
    observation_end: object,
    datetime_format: object,
    incomplete: object,
    caller: str,
    depth: int = 0,
    duplicates: object = "warn",
    gap_multiple: object = DEFAULT_GAP_MULTIPLE,
) -> Activity:
    """Validate the log (as :func:`purchases` does) and group purchase days into periods.

    ``depth`` counts the clvkit frames between the public function and the user's code,
    so that warnings point at the user's line.
    """
    period = check_period(period)
    if not isinstance(incomplete, str) or incomplete not in _INCOMPLETE:
        raise InputError(
            f"The 'incomplete' argument of {caller} must be 'flag' or 'drop'. "
            f"Got {incomplete!r} instead."
        )
    bought = _build(
        transactions,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        grain="D",
        observation_end=observation_end,
        datetime_format=datetime_format,
        duplicates=duplicates,
        gap_multiple=gap_multiple,
        caller=caller,
        stacklevel=4 + depth,
    )
    day = bought.period_start.astype("datetime64[D]")
    last_day: Any = bought.observation_end.astype("datetime64[D]")
    ordinal = period_ordinal(day, period)
    first_ordinal = int(ordinal.min())
    last_ordinal = int(period_ordinal(np.array([last_day]), period)[0])
    end = last_day + np.timedelta64(1, "D")  # exclusive
    next_start = period_first_day(np.array([last_ordinal + 1]), period)[0]
    complete = bool(end == next_start)

    customer = bought.customer
    amount = bought.amount
    if not complete and incomplete == "drop":
        if last_ordinal == first_ordinal:
            raise InputError(
                f"Every purchase of the log falls in one {period!r} period, "
                f"{_label(last_ordinal, period)}, which is observed only up to "
                f"{format_period(last_day, 'D')}; with incomplete='drop' nothing is left. "
                "Use incomplete='flag' or a finer period."
            )
        keep = ordinal < last_ordinal
        acquired_late = np.zeros(bought.n_customers, dtype=bool)
        acquired_late[customer[~keep]] = True
        acquired_late[customer[keep]] = False
        customer, ordinal, day = customer[keep], ordinal[keep], day[keep]
        amount = amount[keep] if amount is not None else None
        if acquired_late.any():  # customers whose every purchase was dropped
            renumber = np.cumsum(~acquired_late) - 1
            customer = renumber[customer]
        ids = bought.customer_ids[~acquired_late]
        last_ordinal -= 1
        end = next_start = period_first_day(np.array([last_ordinal + 1]), period)[0]
        complete = True
    else:
        ids = bought.customer_ids

    # Merge the purchase days of one customer inside one period (rows already sorted).
    key_change = np.ones(customer.size, dtype=bool)
    key_change[1:] = (customer[1:] != customer[:-1]) | (ordinal[1:] != ordinal[:-1])
    starts = np.flatnonzero(key_change)
    n_days = np.diff(np.append(starts, customer.size)).astype(np.int64)
    row_customer = customer[starts]
    row_k = ordinal[starts] - first_ordinal
    row_amount = np.add.reduceat(amount, starts) if amount is not None else None
    first_rows = _group_starts(row_customer)

    n_periods = last_ordinal - first_ordinal + 1
    ordinals = np.arange(first_ordinal, last_ordinal + 1, dtype=np.int64)
    bounds = np.append(period_first_day(ordinals, period), end)
    periods = pd.period_range(
        pd.Timestamp(bounds[0]).to_period(period), periods=n_periods, freq=period
    )
    if not complete:
        warnings.warn(
            f"The last period of {caller}, {periods[-1]}, is observed only up to "
            f"{format_period(last_day, 'D')} ({_days(bounds[-2], end)} of "
            f"{_days(bounds[-2], next_start)} days): fewer customers had time to buy in "
            "it, so its counts and rates are understated, not a real fall in retention. "
            "It is kept and flagged (attrs['incomplete_period']); pass incomplete='drop' "
            "to leave it out, or an observation_end on the last day of a period.",
            DataWarning,
            stacklevel=3 + depth,
        )
    return Activity(
        period=period,
        periods=periods,
        bounds=bounds,
        customer_ids=ids,
        customer=row_customer,
        k=row_k,
        n_days=n_days,
        amount=row_amount,
        cohort=row_k[first_rows],
        acquired=day[starts[first_rows]],
        complete=complete,
    )


def _label(ordinal: int, period: str) -> str:
    start = period_first_day(np.array([ordinal]), period)[0]
    return str(pd.Timestamp(start).to_period(period))


def _days(start: np.datetime64, stop: np.datetime64) -> int:
    return int((stop - start) / np.timedelta64(1, "D"))


def _rate(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def table_attrs(act: Activity, **extra: object) -> dict[str, object]:
    """The ``attrs`` of every retention or cohort table built from ``act``."""
    return {
        "period": act.period,
        "observation_end": format_period(act.observation_end, "D"),
        "incomplete_period": act.incomplete_label(),
        **extra,
    }


def retention_table(
    transactions: pd.DataFrame,
    period: str = "M",
    *,
    customer_id: Hashable = "customer_id",
    datetime: Hashable = "date",
    monetary: Hashable | None = None,
    observation_end: object = None,
    datetime_format: str | None = None,
    incomplete: Literal["flag", "drop"] = "flag",
    duplicates: Literal["warn", "drop", "keep"] = "warn",
    gap_multiple: float | None = DEFAULT_GAP_MULTIPLE,
) -> pd.DataFrame:
    """Retention, churn and repeat purchases per calendar period.

    A customer is *active* in a period when they bought in it (at least one purchase day).
    For each period ``k``:

    - the **base at the start** of ``k`` is the customers active in ``k − 1``
      ("active last period"); it is 0 in the first period of the log;
    - **retained** customers are in the base and active in ``k``; **churned** ones are in
      the base and not active in ``k``;
    - **new** customers make their first purchase ever in ``k``; **reactivated** ones are
      active in ``k``, not in ``k − 1``, but were active earlier. New and reactivated
      customers are never counted as retained.

    So with 1,000 customers in the base and 780 of them buying again, the retention rate
    is 78 % and the churn rate 22 %, whatever the number of new or reactivated customers.

    Parameters
    ----------
    transactions : pandas.DataFrame, shape (n_transactions, ...)
        One row per transaction; never modified. It is validated exactly as by
        :func:`clvkit.rfm_summary` (same rules, same error messages).
    period : {"W", "M", "Q", "Y"}, default "M"
        Calendar period: weeks (Monday to Sunday), months, quarters or years.
    customer_id, datetime, monetary, datetime_format, duplicates, gap_multiple
        As in :func:`clvkit.rfm_summary`. With ``monetary`` the table gains ``revenue``.
    observation_end : date-like or None, default None
        Last observed day (inclusive); ``None`` means the last transaction's day. Later
        transactions are excluded with a :class:`~clvkit.errors.DataWarning` that counts
        them. Any date type :func:`clvkit.rfm_summary` accepts (a Period stands for its
        end, so ``pd.Period("1997-12", "M")`` observes all of December).
    incomplete : {"flag", "drop"}, default "flag"
        What to do when the last period is not observed to its last day. ``"flag"``
        keeps it with ``complete = False`` and warns (its counts and rates are
        understated); ``"drop"`` leaves it out.

    Returns
    -------
    pandas.DataFrame, shape (n_periods, 12 or 13)
        Indexed by a :class:`pandas.PeriodIndex` named ``period``, from the period of the
        first purchase to the one holding the end of observation. Columns:

        - ``customers_start`` (int): the base at the start, = ``customers_end`` of the
          previous period.
        - ``new``, ``retained``, ``reactivated`` (int): as defined above.
        - ``churned`` (int): ``customers_start − retained``.
        - ``customers_end`` (int): customers active in the period,
          ``new + retained + reactivated``; the base at the start of the next period.
        - ``retention_rate`` (float): ``retained / customers_start``; NaN when the base is
          empty (the first period).
        - ``churn_rate`` (float): ``1 − retention_rate``.
        - ``classic_retention_rate`` (float): the textbook customer retention rate
          ``(customers_end − new) / customers_start``. It counts reactivated customers as
          if they had been retained, so it equals ``retention_rate`` only when nobody is
          reactivated and can exceed 1; prefer ``retention_rate``.
        - ``repeat_purchase_rate`` (float): share of the period's active customers with at
          least one repeat purchase in it, i.e. a purchase day that is not their first
          ever (returning customers, and new customers who came back on a second day of
          the period). NaN when nobody is active.
        - ``revenue`` (float, with ``monetary``): total amount of the period's
          transactions, currency units.
        - ``complete`` (bool): whether the period is observed to its last day (only the
          last period can be False).

        ``attrs`` holds ``period``, ``observation_end`` (ISO date of the last observed day)
        and ``incomplete_period`` (label of a flagged last period, else None).

    Raises
    ------
    clvkit.errors.InputError
        If the log or an argument breaks a rule (see :func:`clvkit.data.purchases`), or
        ``incomplete`` is not ``"flag"`` or ``"drop"``.
    clvkit.errors.UnitError
        If ``period`` is not supported.

    Warns
    -----
    clvkit.errors.DataWarning
        When transactions fall after ``observation_end``, when the last period is
        incomplete and flagged, and for the suspicious data of :func:`clvkit.rfm_summary`
        (repeated rows, far-off or future dates, a far or future ``observation_end``).

    Examples
    --------
    >>> import clvkit as ck
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> table = ck.retention_table(tx, period="Q", monetary="amount",
    ...                            duplicates="keep")  # dates without times: real repeats
    >>> table[["customers_start", "new", "retained", "retention_rate"]].round(3).head(3)
            customers_start   new  retained  retention_rate
    period
    1997Q1                0  2357         0             NaN
    1997Q2             2357     0       524           0.222
    1997Q3              524     0       214           0.408
    """
    if not isinstance(transactions, pd.DataFrame):  # files, DuckDB or Spark: clvkit.engines
        arguments = dict(locals())
        from clvkit.engines import summaries

        if summaries.is_source(transactions):
            return summaries.retention_table(**arguments)
    act = activity(
        transactions,
        period=period,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        observation_end=observation_end,
        datetime_format=datetime_format,
        incomplete=incomplete,
        duplicates=duplicates,
        gap_multiple=gap_multiple,
        caller="retention_table",
    )
    n = act.n_periods
    k = act.k
    first_row = np.ones(k.size, dtype=bool)
    first_row[1:] = act.customer[1:] != act.customer[:-1]
    gap = np.zeros(k.size, dtype=np.int64)
    gap[1:] = k[1:] - k[:-1]
    retained_row = ~first_row & (gap == 1)
    reactivated_row = ~first_row & (gap > 1)
    repeat_row = ~first_row | (act.n_days >= 2)

    active = np.bincount(k, minlength=n)
    start = np.concatenate(([0], active[:-1]))
    new = np.bincount(k[first_row], minlength=n)
    retained = np.bincount(k[retained_row], minlength=n)
    reactivated = np.bincount(k[reactivated_row], minlength=n)
    retention = _rate(retained, start)
    columns: dict[str, np.ndarray] = {
        "customers_start": start,
        "new": new,
        "retained": retained,
        "reactivated": reactivated,
        "churned": start - retained,
        "customers_end": active,
        "retention_rate": retention,
        "churn_rate": 1.0 - retention,
        "classic_retention_rate": _rate(active - new, start),
        "repeat_purchase_rate": _rate(np.bincount(k[repeat_row], minlength=n), active),
    }
    if act.amount is not None:
        columns["revenue"] = np.bincount(k, weights=act.amount, minlength=n)
    complete = np.ones(n, dtype=bool)
    complete[-1] = act.complete
    columns["complete"] = complete
    out = pd.DataFrame(columns, index=act.periods.rename("period"))
    out.attrs.update(table_attrs(act))
    return out


def cohort_table(
    transactions: pd.DataFrame,
    period: str = "M",
    metric: Literal["retention", "customers", "revenue", "clv"] = "retention",
    *,
    customer_id: Hashable = "customer_id",
    datetime: Hashable = "date",
    monetary: Hashable | None = None,
    observation_end: object = None,
    datetime_format: str | None = None,
    incomplete: Literal["flag", "drop"] = "flag",
    duplicates: Literal["warn", "drop", "keep"] = "warn",
    gap_multiple: float | None = DEFAULT_GAP_MULTIPLE,
) -> pd.DataFrame:
    """Acquisition cohort × periods since acquisition.

    A customer's *cohort* is the calendar period of their first purchase; *age* ``j`` is
    the ``j``-th period after it (the acquisition period is age 0). Cell ``(c, j)`` is
    observed when cohort ``c`` has lived through age ``j`` by the end of observation;
    cells not yet lived through are NaN, never 0 (a 0 means "observed, nobody bought").

    Parameters
    ----------
    transactions : pandas.DataFrame, shape (n_transactions, ...)
        One row per transaction; never modified; validated as by :func:`clvkit.rfm_summary`.
    period : {"W", "M", "Q", "Y"}, default "M"
        Calendar period of cohorts and ages.
    metric : {"retention", "customers", "revenue", "clv"}, default "retention"
        What each cell holds:

        - ``"customers"``: cohort customers active (buying) at that age; age 0 is the
          cohort's size.
        - ``"retention"``: that count over the cohort's size, the share of the cohort
          buying at that age (a fraction; 1.0 at age 0 for every cohort). This is the
          cohort's activity curve, not a period-to-period rate: a customer who skips a
          period and comes back counts again when they come back.
        - ``"revenue"``: the cohort's revenue at that age (needs ``monetary``), currency.
        - ``"clv"``: realised value per acquired customer: the cohort's cumulative
          revenue up to and including that age divided by its size (needs
          ``monetary``), currency per customer. It never decreases along a row.
    customer_id, datetime, monetary, observation_end, datetime_format, incomplete
        As in :func:`retention_table`. With ``incomplete="flag"``, the cells in an
        incomplete last period (one per cohort, on the anti-diagonal) are kept, and
        understated; ``attrs["incomplete_period"]`` names that period.
    duplicates, gap_multiple
        As in :func:`retention_table`.

    Returns
    -------
    pandas.DataFrame, shape (n_cohorts, n_periods)
        Float64. Index: :class:`pandas.PeriodIndex` named ``cohort`` (periods with at
        least one acquisition). Columns: ages ``0 .. n_periods − 1`` (a RangeIndex named
        ``age``, in periods). ``attrs`` holds ``period``, ``metric``,
        ``observation_end`` and ``incomplete_period``.

    Raises
    ------
    clvkit.errors.InputError
        As :func:`retention_table`; also when ``metric`` is unknown, or is ``"revenue"``
        or ``"clv"`` without ``monetary``.
    clvkit.errors.UnitError
        If ``period`` is not supported.

    Warns
    -----
    clvkit.errors.DataWarning
        As :func:`retention_table`.

    Examples
    --------
    >>> import clvkit as ck
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> cohorts = ck.cohort_table(tx, period="Q", metric="retention")
    >>> cohorts.round(2).iloc[:, :4]  # one cohort: everyone joined in 1997Q1
    age       0     1     2     3
    cohort
    1997Q1  1.0  0.22  0.18  0.17
    """
    # checked here for every engine (the engines' cohort_table relies on it)
    if not isinstance(metric, str) or metric not in METRICS:
        raise InputError(
            f"The 'metric' argument of cohort_table must be one of {list(METRICS)}. "
            f"Got {metric!r} instead."
        )
    if metric in ("revenue", "clv") and monetary is None:
        raise InputError(
            f"The 'metric' argument of cohort_table is {metric!r}, which needs amounts: "
            "pass monetary=<the amount column>."
        )
    if not isinstance(transactions, pd.DataFrame):  # files, DuckDB or Spark: clvkit.engines
        arguments = dict(locals())
        from clvkit.engines import summaries

        if summaries.is_source(transactions):
            return summaries.cohort_table(**arguments)
    act = activity(
        transactions,
        period=period,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        observation_end=observation_end,
        datetime_format=datetime_format,
        incomplete=incomplete,
        duplicates=duplicates,
        gap_multiple=gap_multiple,
        caller="cohort_table",
    )
    cohorts, size, observed = cohort_layout(act)
    n = act.n_periods
    row = np.searchsorted(cohorts, act.cohort[act.customer])
    cell = row * n + (act.k - act.cohort[act.customer])
    if metric in ("customers", "retention"):
        values = np.bincount(cell, minlength=cohorts.size * n)
    else:
        assert act.amount is not None
        values = np.bincount(cell, weights=act.amount, minlength=cohorts.size * n)
    values = values.reshape(cohorts.size, n).astype(np.float64)
    if metric == "retention":
        values = values / size[:, None]
    elif metric == "clv":
        values = np.cumsum(values, axis=1) / size[:, None]
    values[~observed] = np.nan
    out = pd.DataFrame(
        values,
        index=act.periods[cohorts].rename("cohort"),
        columns=pd.RangeIndex(n, name="age"),
    )
    out.attrs.update(table_attrs(act, metric=metric))
    return out


def cohort_layout(act: Activity) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cohorts with at least one acquisition, their sizes and the observed-cell mask.

    Returns
    -------
    cohorts : (n_cohorts,) int64 period indices; size : (n_cohorts,) int64;
    observed : (n_cohorts, n_periods) bool, true where ``cohort + age <= last period``.
    """
    counts = np.bincount(act.cohort, minlength=act.n_periods)
    cohorts = np.flatnonzero(counts)
    ages = np.arange(act.n_periods)
    observed = cohorts[:, None] + ages[None, :] <= act.n_periods - 1
    return cohorts, counts[cohorts], observed
