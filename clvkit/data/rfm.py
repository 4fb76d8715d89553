"""Transaction log to RFM summaries: one row per customer, ready for the models.

The vocabulary (see the design notes): a *purchase* is every transaction of one customer in
one ``grain`` period; ``frequency`` counts repeat purchases (purchases − 1); ``recency`` is
the time from the first to the last purchase and ``T`` from the first purchase to the end of
observation, both in ``time_unit`` and measured in days between period starts divided by
the unit's calendar-true length (a month is 365.2425/12 days, never 30).

Counts (``frequency``, ``frequency_holdout``) are returned as integer-valued float64, as
``lifetimes`` does, so the frames compare and concatenate with model outputs without dtype
changes; the models accept integer columns as well.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from typing import Literal

import numpy as np
import pandas as pd

from clvkit._progress import check_progress, progress_bar
from clvkit._time import DAYS_PER_UNIT, check_time_unit
from clvkit.data.checks import DEFAULT_GAP_MULTIPLE
from clvkit.data.dates import parse_instant
from clvkit.data.transactions import (
    Purchases,
    _build,
    _group_starts,
    days_between,
    format_period,
    period_start,
)
from clvkit.errors import DataWarning, InputError

__all__ = ["calibration_holdout", "rfm_summary"]


def rfm_summary(
    transactions: pd.DataFrame,
    *,
    customer_id: Hashable = "customer_id",
    datetime: Hashable = "date",
    monetary: Hashable | None = None,
    time_unit: str = "D",
    grain: str = "D",
    observation_end: object = None,
    datetime_format: str | None = None,
    duplicates: Literal["warn", "drop", "keep"] = "warn",
    gap_multiple: float | None = DEFAULT_GAP_MULTIPLE,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Summarise a transaction log into frequency, recency and T per customer.

    Parameters
    ----------
    transactions : pandas.DataFrame, shape (n_transactions, ...)
        One row per transaction; never modified. See :func:`clvkit.data.purchases` for the
        rules each column must follow.
    customer_id : hashable, default "customer_id"
        Column of customer ids; none missing.
    datetime : hashable, default "date"
        Column of transaction times: datetime64 (naive or tz-aware) or parseable strings.
    monetary : hashable, optional
        Column of transaction amounts (currency units, finite, >= 0). When given, the
        output gains ``monetary_value`` and ``historical_value``.
    time_unit : {"h", "D", "W", "M", "Q", "Y"}, default "D"
        Unit of ``recency`` and ``T``. Calendar-true lengths: W = 7 days,
        M = 365.2425/12 days, Q = 365.2425/4 days, Y = 365.2425 days.
    grain : {"h", "D", "W", "M", "Q", "Y"}, default "D"
        Calendar period inside which one customer's transactions merge into one purchase
        (amounts summed); weeks start on Monday.
    observation_end : date-like or None, default None
        End of observation, floored to the start of its grain period (with ``grain="D"``,
        transactions on that day count). ``None`` means the last transaction's time.
        Later transactions are excluded with a :class:`~clvkit.errors.DataWarning` that
        counts them. A Timestamp, datetime, date, numpy datetime64, ISO string or
        :class:`pandas.Period` (its end: ``pd.Period("1997-09", "M")`` keeps all of
        September); a naive date is read on the log's wall clock, also for a tz-aware
        log. Details in :func:`clvkit.data.purchases`.
    datetime_format : str, optional
        ``format`` for :func:`pandas.to_datetime` when the dates are strings.
    duplicates : {"warn", "drop", "keep"}, default "warn"
        Rows with the same customer, time and amount as an earlier row (checked when
        ``monetary`` is given): summed with a warning, dropped (the first kept) with a
        warning, or kept silently.
    gap_multiple : float or None, default 100
        Transactions cut off from the rest of the log, and an ``observation_end`` after
        the last transaction, by a gap of more than this many typical spacings between
        transaction days are warned about; ``None`` turns these checks off.
    progress : bool or None, default None
        A progress bar for logs that take more than a second: ``None`` shows one on a
        terminal or in a notebook only, ``True`` always, ``False`` never (needs
        ``tqdm``: ``pip install "clvkit[progress]"``).

    Returns
    -------
    pandas.DataFrame, shape (n_customers, 3 or 5)
        Indexed by customer id (the index named after the ``customer_id`` column),
        sorted, one row per customer whose first purchase is on or before
        ``observation_end``. Columns, all
        float64:

        - ``frequency``: number of repeat purchases (purchases − 1), integer-valued.
        - ``recency``: first to last purchase, in ``time_unit``.
        - ``T``: first purchase to the end of observation, in ``time_unit``;
          ``0 <= recency <= T``.
        - ``monetary_value`` (with ``monetary``): mean value of the repeat purchases, the
          first purchase excluded; 0 when ``frequency == 0``. Currency units.
        - ``historical_value`` (with ``monetary``): total value of all purchases up to
          the end of observation, the first included. Currency units.

        ``attrs`` holds ``time_unit``, ``grain``, ``observation_end`` (ISO 8601 start of
        the final grain period) and ``timezone`` (``None`` for naive times).

    Raises
    ------
    clvkit.errors.InputError
        If the log or an argument breaks a rule (see :func:`clvkit.data.purchases`).
    clvkit.errors.UnitError
        If ``time_unit`` or ``grain`` is not supported.

    Warns
    -----
    clvkit.errors.DataWarning
        When transactions fall after ``observation_end`` (they are excluded and
        counted); when rows repeat an earlier row exactly, lie far from the rest of the
        log or in the future of the machine's clock; when ``observation_end`` lies far
        after the last transaction or in the future. Each names the rows and customers
        and says how to fix or silence it (see :func:`clvkit.data.purchases`).

    Examples
    --------
    >>> import pandas as pd
    >>> import clvkit as ck
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 1, 2],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-01",
    ...                                            "2024-01-15", "2024-01-08"]),
    ...                    "amount": [10.0, 5.0, 20.0, 7.0]})
    >>> ck.rfm_summary(tx, monetary="amount", time_unit="W")  # doctest: +NORMALIZE_WHITESPACE
                 frequency  recency    T  monetary_value  historical_value
    customer_id
    1                  1.0      2.0  2.0            20.0              35.0
    2                  0.0      0.0  1.0             0.0               7.0

    The index is named after the id column, and ``attrs`` records the unit:

    >>> other = tx.rename(columns={"customer_id": "client"})
    >>> rfm = ck.rfm_summary(other, customer_id="client", time_unit="W")
    >>> rfm.index.name, rfm.attrs["time_unit"]
    ('client', 'W')
    """
    if not isinstance(transactions, pd.DataFrame):  # files, DuckDB or Spark: clvkit.engines
        arguments = {k: v for k, v in locals().items() if k != "progress"}
        from clvkit.engines import summaries

        if summaries.is_source(transactions):
            return summaries.rfm_summary(**arguments)
    unit = check_time_unit(time_unit)
    show = check_progress(progress, "rfm_summary")
    with progress_bar(show, total=2, desc="rfm_summary: checking the log", delay=1.0) as bar:
        bought = _build(
            transactions,
            customer_id=customer_id,
            datetime=datetime,
            monetary=monetary,
            grain=grain,
            observation_end=observation_end,
            datetime_format=datetime_format,
            duplicates=duplicates,
            gap_multiple=gap_multiple,
            caller="rfm_summary",
            stacklevel=3,
        )
        bar.update()
        bar.set_description_str("rfm_summary: summarising customers")
        columns = _rfm_columns(bought, unit)
        bar.update()
    out = pd.DataFrame(columns, index=bought.customer_ids)
    out.attrs.update(
        time_unit=unit,
        grain=bought.grain,
        observation_end=format_period(bought.observation_end, bought.grain),
        timezone=bought.timezone,
    )
    return out


def calibration_holdout(
    transactions: pd.DataFrame,
    *,
    calibration_end: object,
    observation_end: object = None,
    customer_id: Hashable = "customer_id",
    datetime: Hashable = "date",
    monetary: Hashable | None = None,
    time_unit: str = "D",
    grain: str = "D",
    datetime_format: str | None = None,
    duplicates: Literal["warn", "drop", "keep"] = "warn",
    gap_multiple: float | None = DEFAULT_GAP_MULTIPLE,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Split a transaction log into a calibration summary and holdout outcomes.

    The calibration period runs to ``calibration_end``, the holdout period over
    (``calibration_end``, ``observation_end``]; both ends are floored to the start of
    their grain period. A model fitted on the calibration columns is judged on the
    holdout ones.

    Parameters
    ----------
    transactions : pandas.DataFrame, shape (n_transactions, ...)
        One row per transaction; never modified.
    calibration_end : date-like
        Last moment of the calibration period (inclusive at the grain). Must fall in an
        earlier grain period than ``observation_end``. Any date type
        :func:`rfm_summary` accepts for ``observation_end`` (a Period stands for its
        end; a naive date is read on the log's wall clock).
    observation_end : date-like or None, default None
        Last moment of the holdout period (inclusive at the grain); ``None`` means the
        last transaction's time. Later transactions are excluded with a warning; a
        holdout end far after the last transaction is warned about.
    customer_id, datetime, monetary, time_unit, grain, datetime_format, duplicates, gap_multiple
        As in :func:`rfm_summary`.
    progress : bool or None, default None
        As in :func:`rfm_summary`.

    Returns
    -------
    pandas.DataFrame, shape (n_customers, 5 or 8)
        Indexed by customer id (sorted), one row per customer whose first purchase is on
        or before ``calibration_end``. Columns, all float64:

        - ``frequency``, ``recency``, ``T`` (and ``monetary_value``,
          ``historical_value`` with ``monetary``): the calibration summary, exactly as
          :func:`rfm_summary` computes it with ``observation_end=calibration_end``.
        - ``frequency_holdout``: number of purchases in the holdout period
          (integer-valued).
        - ``monetary_value_holdout`` (with ``monetary``): mean value of the holdout
          purchases, 0 when there are none. Currency units. Same-period transactions
          are merged first, so this is a mean per *purchase* (``lifetimes`` averages
          raw transactions instead; the two agree when no customer buys twice in one
          grain period of the holdout).
        - ``duration_holdout``: length of the holdout period in ``time_unit``, the same
          for every customer.

        ``attrs`` holds ``time_unit``, ``grain``, ``calibration_end``,
        ``observation_end`` (ISO 8601 period starts) and ``timezone``.

    Raises
    ------
    clvkit.errors.InputError
        If the log or an argument breaks a rule; if ``calibration_end`` does not fall in
        an earlier grain period than ``observation_end``; if no customer's first purchase
        is on or before ``calibration_end``.
    clvkit.errors.UnitError
        If ``time_unit`` or ``grain`` is not supported.

    Warns
    -----
    clvkit.errors.DataWarning
        When transactions fall after ``observation_end`` (excluded and counted), or when
        no purchase at all falls in the holdout period; and for the suspicious data of
        :func:`rfm_summary` (repeated rows, far-off or future dates, a holdout end far
        after the last transaction or in the future).

    Examples
    --------
    >>> import clvkit as ck
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> cal = ck.calibration_holdout(tx, calibration_end="1997-09-30",
    ...                              observation_end="1998-06-30", time_unit="W",
    ...                              monetary="amount",
    ...                              duplicates="keep")  # dates without times: real repeats
    >>> cal.shape, round(float(cal["duration_holdout"].iloc[0]), 2)
    ((2357, 8), 39.0)
    >>> int(cal["frequency_holdout"].sum())
    1882
    """
    if not isinstance(transactions, pd.DataFrame):  # files, DuckDB or Spark: clvkit.engines
        arguments = {k: v for k, v in locals().items() if k != "progress"}
        from clvkit.engines import summaries

        if summaries.is_source(transactions):
            return summaries.calibration_holdout(**arguments)
    unit = check_time_unit(time_unit)
    if calibration_end is None:
        raise InputError(
            "The 'calibration_end' argument of calibration_holdout must be a date such as "
            "'1997-09-30'. Got None instead."
        )
    show = check_progress(progress, "calibration_holdout")
    with progress_bar(
        show, total=1, desc="calibration_holdout: checking the log", delay=1.0
    ) as bar:
        bought = _build(
            transactions,
            customer_id=customer_id,
            datetime=datetime,
            monetary=monetary,
            grain=grain,
            observation_end=observation_end,
            datetime_format=datetime_format,
            duplicates=duplicates,
            gap_multiple=gap_multiple,
            caller="calibration_holdout",
            stacklevel=3,
        )
        bar.update()
    cal_wall = parse_instant(calibration_end, "calibration_end", datetime_format, bought.timezone)
    cal_end = period_start(np.array([cal_wall]), bought.grain)[0]
    end = bought.observation_end
    if cal_end >= end:
        raise InputError(
            f"The 'calibration_end' argument ({calibration_end!r}, period "
            f"{format_period(cal_end, bought.grain)}) must fall in an earlier {grain!r} "
            f"period than observation_end (period {format_period(end, bought.grain)}); "
            "the holdout period would be empty."
        )

    ids, columns = _calibration_columns(bought, cal_end, unit)
    if len(ids) == 0:
        raise InputError(
            f"No customer made a first purchase on or before calibration_end="
            f"{format_period(cal_end, bought.grain)}; the first purchase in the log is on "
            f"{format_period(bought.period_start.min(), bought.grain)}."
        )
    if not columns["frequency_holdout"].any():
        warnings.warn(
            f"No purchase falls in the holdout period ({format_period(cal_end, grain)}, "
            f"{format_period(end, grain)}]; check calibration_end and observation_end.",
            DataWarning,
            stacklevel=2,
        )

    out = pd.DataFrame(columns, index=ids)
    out.attrs.update(
        time_unit=unit,
        grain=bought.grain,
        calibration_end=format_period(cal_end, bought.grain),
        observation_end=format_period(end, bought.grain),
        timezone=bought.timezone,
    )
    return out


def _rfm_columns(bought: Purchases, unit: str) -> dict[str, np.ndarray]:
    """The RFM columns of every customer of ``bought`` up to its end of observation (what
    :func:`rfm_summary` returns, for the pandas path and the DuckDB parts alike)."""
    return _summarise(
        bought.customer,
        bought.period_start,
        bought.amount,
        bought.observation_end,
        unit,
        starts=bought.customer_start,
    )


def _calibration_columns(
    bought: Purchases, cal_end: np.datetime64, unit: str
) -> tuple[pd.Index, dict[str, np.ndarray]]:
    """The customers whose first purchase is on or before ``cal_end`` and their columns:
    the RFM summary up to ``cal_end``, the purchases and their mean value after it up to
    the end of observation, and the holdout's length in ``unit`` (no column when no
    customer is left)."""
    first = bought.period_start[bought.customer_start]
    included = first <= cal_end
    n_customers = int(np.count_nonzero(included))
    if n_customers == 0:  # the caller raises
        return bought.customer_ids[included], {}
    new_code = np.cumsum(included) - 1
    row_included = included[bought.customer]
    in_cal = row_included & (bought.period_start <= cal_end)
    in_hold = row_included & (bought.period_start > cal_end)
    amount = bought.amount
    columns = _summarise(
        new_code[bought.customer[in_cal]],
        bought.period_start[in_cal],
        amount[in_cal] if amount is not None else None,
        cal_end,
        unit,
    )
    hold_customer = new_code[bought.customer[in_hold]]
    frequency_holdout = np.bincount(hold_customer, minlength=n_customers).astype(np.float64)
    columns["frequency_holdout"] = frequency_holdout
    if amount is not None:
        total = np.bincount(hold_customer, weights=amount[in_hold], minlength=n_customers)
        columns["monetary_value_holdout"] = _mean_or_zero(total, frequency_holdout)
    duration = days_between(cal_end, bought.observation_end) / DAYS_PER_UNIT[unit]
    columns["duration_holdout"] = np.full(n_customers, float(duration))
    return bought.customer_ids[included], columns


def _summarise(
    customer: np.ndarray,
    period: np.ndarray,
    amount: np.ndarray | None,
    end: np.datetime64,
    unit: str,
    starts: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """RFM columns from purchases sorted by (customer, period); customers numbered 0..k-1.

    ``starts`` (each customer's first row) is computed when not given.
    """
    if starts is None:
        starts = _group_starts(customer)
    last_rows = np.append(starts[1:], customer.size) - 1
    frequency = (last_rows - starts).astype(np.float64)
    first = period[starts]
    scale = DAYS_PER_UNIT[unit]
    columns = {
        "frequency": frequency,
        "recency": days_between(first, period[last_rows]) / scale,
        "T": days_between(first, end) / scale,
    }
    if amount is not None:
        repeat = amount.copy()
        repeat[starts] = 0.0
        columns["monetary_value"] = _mean_or_zero(np.add.reduceat(repeat, starts), frequency)
        columns["historical_value"] = np.add.reduceat(amount, starts)
    return columns


def _mean_or_zero(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    out = np.zeros(total.shape, dtype=np.float64)
    np.divide(total, count, out=out, where=count > 0)
    return out
