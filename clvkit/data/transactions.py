"""Validate a transaction log and merge it into purchases.

A *transaction* is one row of the caller's log (customer id, date and, optionally, an
amount). A *purchase* is every transaction of one customer inside one ``grain`` calendar
period (a day by default): their amounts add up and the purchase is dated at the start of
its period. Everything downstream (RFM summaries, calibration/holdout splits, retention
tables) starts from the :class:`Purchases` this module returns.

Times are read on the wall clock of the log: a tz-aware column keeps its own time zone and
a purchase at 23:30 in Paris belongs to that Paris day. Periods are calendar-true: weeks
start on Monday (ISO 8601, like pandas' ``"W"`` periods), months, quarters and years on
their first day.

The work is vectorised for logs of tens of millions of rows: customer ids are factorised
once, period starts are integer day (or hour) numbers, and purchases come out of one sort
and :func:`numpy.add.reduceat`; there is no per-group Python code.
"""

from __future__ import annotations

import datetime as _dt
import warnings
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, NoReturn

import numpy as np
import pandas as pd

from clvkit._time import check_grain
from clvkit._validation import (
    check_columns,
    check_frame,
    check_not_empty,
    check_rule,
    numeric_column,
    raise_rule,
)
from clvkit.errors import DataWarning, InputError

__all__ = ["Purchases", "purchases"]

_ONE_DAY = np.timedelta64(1, "D")
_TZ_MIX_HINTS = (
    "mixed timezones",
    "unless utc=true",
    "cannot mix tz-aware with tz-naive",
    "tz-aware",
)


@dataclass(frozen=True, eq=False)
class Purchases:
    """A validated transaction log, merged into one row per customer and grain period.

    Rows are sorted by customer (in the order of :attr:`customer_ids`) and, within a
    customer, by period. Build it with :func:`purchases`.

    Attributes
    ----------
    customer_ids : pandas.Index, shape (n_customers,)
        Distinct ids of the customers with at least one purchase up to
        :attr:`observation_end`, sorted (when the ids are sortable). Its name is the
        customer id column's name.
    customer : numpy.ndarray of int64, shape (n_purchases,)
        Position of each purchase's customer in :attr:`customer_ids`; non-decreasing.
    customer_start : numpy.ndarray of int64, shape (n_customers,)
        Row of each customer's first purchase (so ``customer_start[i]`` up to
        ``customer_start[i + 1]`` are customer ``i``'s rows).
    period_start : numpy.ndarray of datetime64, shape (n_purchases,)
        Start of each purchase's grain period on the log's wall clock: ``datetime64[D]``
        for day and coarser grains, ``datetime64[h]`` for the hour grain. Strictly
        increasing within a customer.
    amount : numpy.ndarray of float64, shape (n_purchases,), or None
        Summed amount of the transactions merged into each purchase (currency units,
        >= 0); ``None`` when no monetary column was given.
    n_transactions : numpy.ndarray of int64, shape (n_purchases,)
        Number of log rows merged into each purchase (>= 1).
    observation_end : numpy.datetime64
        Start of the grain period holding the end of observation, same unit as
        :attr:`period_start`. Every purchase starts on or before it.
    grain : str
        The grain purchases were merged with (``"h"``, ``"D"``, ``"W"``, ``"M"``, ``"Q"``
        or ``"Y"``).
    timezone : str or None
        Time zone of a tz-aware datetime column, ``None`` for naive times.
    n_excluded : int
        Number of log rows dropped because they fall after :attr:`observation_end`.
    """

    customer_ids: pd.Index
    customer: np.ndarray
    customer_start: np.ndarray
    period_start: np.ndarray
    amount: np.ndarray | None
    n_transactions: np.ndarray
    observation_end: np.datetime64
    grain: str
    timezone: str | None
    n_excluded: int

    @property
    def n_customers(self) -> int:
        """Number of customers with at least one purchase."""
        return len(self.customer_ids)

    @property
    def n_purchases(self) -> int:
        """Number of purchases (rows)."""
        return int(self.customer.size)

    def to_frame(self) -> pd.DataFrame:
        """The purchases as a new DataFrame.

        Returns
        -------
        pandas.DataFrame
            Columns: the customer id (named like :attr:`customer_ids`), ``period_start``
            (datetime64, tz-aware when the log was), ``n_transactions`` and, when amounts
            were given, ``amount``. A default RangeIndex.
        """
        name = self.customer_ids.name if self.customer_ids.name is not None else "customer_id"
        start = pd.to_datetime(self.period_start)
        if self.timezone is not None:
            start = start.tz_localize(self.timezone, ambiguous="NaT", nonexistent="shift_forward")
        columns: dict[Hashable, Any] = {
            name: self.customer_ids.take(self.customer),
            "period_start": start,
            "n_transactions": self.n_transactions,
        }
        if self.amount is not None:
            columns["amount"] = self.amount
        return pd.DataFrame(columns)


def purchases(
    transactions: pd.DataFrame,
    *,
    customer_id: Hashable = "customer_id",
    datetime: Hashable = "date",
    monetary: Hashable | None = None,
    grain: str = "D",
    observation_end: object = None,
    datetime_format: str | None = None,
) -> Purchases:
    """Validate a transaction log and merge it into purchases.

    All transactions of one customer inside one ``grain`` calendar period become one
    purchase dated at the period's start; their amounts add up. Transactions after the
    end of observation are dropped and counted in a :class:`~clvkit.errors.DataWarning`.

    Parameters
    ----------
    transactions : pandas.DataFrame, shape (n_transactions, ...)
        The log, one row per transaction. It is never modified.
    customer_id : hashable, default "customer_id"
        Column of customer ids: any hashable values, none missing.
    datetime : hashable, default "date"
        Column of transaction times: ``datetime64`` (naive or tz-aware), or strings /
        ``datetime`` objects parsed with :func:`pandas.to_datetime`. None may be missing
        or unparseable, and all must share one time zone (or none).
    monetary : hashable, optional
        Column of transaction amounts (currency units): integer or float, finite, >= 0.
        Net returns and refunds against the purchases they reverse before calling.
    grain : {"h", "D", "W", "M", "Q", "Y"}, default "D"
        Calendar period inside which one customer's transactions merge into one
        purchase. Weeks start on Monday.
    observation_end : str, datetime-like or None, default None
        End of observation, inclusive at the grain: it is floored to the start of its
        grain period, so with ``grain="D"`` transactions on that day are kept. ``None``
        means the last transaction's time. A string is parsed with ``datetime_format``
        when that is given and parses it, else as ISO 8601. It must be tz-aware exactly
        when the datetime column is (it is then converted to the column's time zone).
    datetime_format : str, optional
        ``format`` passed to :func:`pandas.to_datetime` for string dates, e.g.
        ``"%Y%m%d"``, ``"ISO8601"`` or ``"mixed"``. Ignored for datetime64 columns.

    Returns
    -------
    Purchases
        The purchases, sorted by customer id then period.

    Raises
    ------
    clvkit.errors.InputError
        If ``transactions`` is not a DataFrame, has duplicated column names, lacks a
        column, has no rows, or a column breaks its rule (the message names the column,
        the rule, how many rows break it and a few customer ids); if ``observation_end``
        cannot be parsed or mixes tz-aware and naive times with the column; if no
        transaction falls on or before ``observation_end``.
    clvkit.errors.UnitError
        If ``grain`` is not supported.

    Warns
    -----
    clvkit.errors.DataWarning
        When transactions fall after ``observation_end``; the message counts them.
    """
    return _build(
        transactions,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        grain=grain,
        observation_end=observation_end,
        datetime_format=datetime_format,
        caller="purchases",
        stacklevel=3,
    )


def _build(
    transactions: object,
    *,
    customer_id: object,
    datetime: object,
    monetary: object,
    grain: object,
    observation_end: object,
    datetime_format: object,
    caller: str,
    stacklevel: int,
) -> Purchases:
    """Validate everything, then merge; shared by every public entry point."""
    frame = check_frame(transactions, "transactions")
    grain = check_grain(grain)
    _check_column_arguments(customer_id, datetime, monetary)
    if datetime_format is not None and not isinstance(datetime_format, str):
        raise InputError(
            "The 'datetime_format' argument must be a string such as '%Y-%m-%d' or None. "
            f"Got {type(datetime_format).__name__} {datetime_format!r} instead."
        )
    required = [customer_id, datetime] + ([monetary] if monetary is not None else [])
    check_columns(frame, required, "transactions")  # type: ignore[arg-type]
    check_not_empty(len(frame), "transactions")

    ids = frame[customer_id]
    check_rule(
        np.asarray(ids.isna()),
        f"Column {customer_id!r}",
        "must not be missing (NaN/None)",
    )
    id_labels = ids.array  # positional access for error messages, no copy
    wall, timezone = _wall_times(frame[datetime], datetime, datetime_format, id_labels)
    amount = None
    if monetary is not None:
        subject = f"Column {monetary!r}"
        amount = numeric_column(frame[monetary], subject, id_labels)
        check_rule(
            amount < 0,
            subject,
            "must be >= 0 (clvkit does not guess how to treat negative amounts: net "
            "returns and refunds against the purchases they reverse, then pass the net "
            "amounts)",
            id_labels,
        )
    end_wall = None
    if observation_end is not None:
        end_wall = _parse_instant(observation_end, "observation_end", datetime_format, timezone)

    # ---- everything is valid: cast and merge -------------------------------------------
    codes, uniques = _factorize_ids(ids, customer_id)
    period = period_start(wall, grain)
    end = period.max() if end_wall is None else period_start(np.array([end_wall]), grain)[0]
    keep = period <= end
    n_excluded = int(keep.size - np.count_nonzero(keep))
    if n_excluded == keep.size:
        first = format_period(period.min(), grain)
        raise InputError(
            f"The 'observation_end' argument of {caller} is {format_period(end, grain)} "
            f"(floored to its {grain!r} period), but every one of the {keep.size} "
            f"transactions falls after it (the first on {first}); nothing is left to "
            "summarise."
        )
    if n_excluded:
        warnings.warn(
            f"{n_excluded} of {keep.size} transactions fall after observation_end="
            f"{format_period(end, grain)} and were excluded. Filter the log first to "
            "silence this warning.",
            DataWarning,
            stacklevel=stacklevel,
        )
        codes, period = codes[keep], period[keep]
        amount = amount[keep] if amount is not None else None
    return _merge(codes, uniques, period, amount, end, grain, timezone, n_excluded)


def _check_column_arguments(customer_id: object, datetime: object, monetary: object) -> None:
    names = {"customer_id": customer_id, "datetime": datetime, "monetary": monetary}
    for argument, value in names.items():
        if value is None and argument == "monetary":
            continue
        if not isinstance(value, Hashable) or value is None or isinstance(value, bool):
            raise InputError(
                f"The {argument!r} argument must be a column name. Got "
                f"{type(value).__name__} {value!r} instead."
            )
    given = [(a, v) for a, v in names.items() if v is not None]
    for i, (a, v) in enumerate(given):
        for b, w in given[i + 1 :]:
            if v == w:
                raise InputError(
                    f"The {a!r} and {b!r} arguments both name the column {v!r}; each "
                    "role needs its own column."
                )


def _wall_times(
    values: pd.Series, column: Hashable, fmt: str | None, ids: Any
) -> tuple[np.ndarray, str | None]:
    """Check a datetime column and return its naive wall-clock times and time zone."""
    subject = f"Column {column!r}"
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        check_rule(np.asarray(values.isna()), subject, "must not be missing (NaT)", ids)
        return values.dt.tz_localize(None).to_numpy(), str(dtype.tz)
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        wall = values.to_numpy()
        check_rule(np.isnat(wall), subject, "must not be missing (NaT)", ids)
        return wall, None
    if (
        pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype)
    ):
        raise InputError(
            f"{subject} must hold datetimes or date strings. Got dtype {dtype} instead; "
            "convert it explicitly (for yyyymmdd integers: pd.to_datetime(col.astype(str), "
            "format='%Y%m%d'); for periods: col.dt.start_time), clvkit does not guess."
        )
    check_rule(np.asarray(values.isna()), subject, "must not be missing (NaN/None/NaT)", ids)
    parsed = _parse_column(values, subject, fmt, ids)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return parsed.dt.tz_localize(None).to_numpy(), str(parsed.dtype.tz)
    return parsed.to_numpy(), None


def _parse_column(values: pd.Series, subject: str, fmt: str | None, ids: Any) -> pd.Series:
    """Parse strings or datetime objects, explaining every way it can fail."""
    try:
        return pd.to_datetime(values, format=fmt)
    except (ValueError, TypeError, OverflowError) as exc:
        if _is_tz_mix(exc):
            _raise_tz_mix(subject)
    try:
        coerced = pd.to_datetime(values, format=fmt, errors="coerce")
    except (ValueError, TypeError, OverflowError) as exc:
        if _is_tz_mix(exc):
            _raise_tz_mix(subject)
        raise InputError(f"{subject} could not be parsed as dates: {exc}") from exc
    bad = np.asarray(coerced.isna())
    if fmt is None:
        # Diagnose: do the values parse one by one (several formats) or clash in time zone?
        try:
            one_by_one = pd.to_datetime(values[bad], format="mixed", errors="coerce")
        except (ValueError, TypeError, OverflowError) as exc:
            if _is_tz_mix(exc):
                _raise_tz_mix(subject)
            one_by_one = None
        if one_by_one is not None and not one_by_one.isna().any():
            if isinstance(one_by_one.dtype, pd.DatetimeTZDtype) != isinstance(
                coerced.dtype, pd.DatetimeTZDtype
            ):
                _raise_tz_mix(subject)
            raise_rule(
                subject,
                "must hold dates in one format (the format was inferred from the first "
                "value); pass datetime_format='mixed' or 'ISO8601' to parse each value "
                "on its own",
                bad,
                ids,
            )
    if not bad.any():  # pragma: no cover - pandas raised without producing NaT
        raise InputError(f"{subject} could not be parsed as dates.")
    examples = ", ".join(repr(v) for v in values[bad].head(3).tolist())
    how = f"with datetime_format={fmt!r}" if fmt is not None else "as dates"
    raise_rule(subject, f"must parse {how} (unparseable values: {examples})", bad, ids)


def _is_tz_mix(exc: BaseException) -> bool:
    text = str(exc).lower()
    return any(hint in text for hint in _TZ_MIX_HINTS)


def _raise_tz_mix(subject: str) -> NoReturn:
    raise InputError(
        f"{subject} mixes time zones (or tz-aware with naive times); clvkit does not pick "
        "one for you. Convert the column to a single time zone first, e.g. "
        "pd.to_datetime(col, utc=True).dt.tz_convert('Europe/Paris')."
    )


def _parse_instant(value: object, argument: str, fmt: str | None, timezone: str | None) -> Any:
    """Parse a scalar date argument to a naive wall-clock numpy datetime64."""
    if isinstance(value, bool | int | float | np.number):
        raise InputError(
            f"The {argument!r} argument must be a date (string or datetime-like). Got "
            f"{type(value).__name__} {value!r} instead."
        )
    stamp: Any = None
    if isinstance(value, str):
        if fmt is not None:
            try:
                stamp = pd.to_datetime(value, format=fmt)
            except (ValueError, TypeError):
                stamp = None
        if stamp is None:
            try:
                stamp = pd.Timestamp(value)
            except (ValueError, TypeError):
                stamp = None
    elif isinstance(value, _dt.date | np.datetime64 | pd.Timestamp):
        stamp = pd.Timestamp(value)
    if stamp is None or pd.isna(stamp):
        raise InputError(
            f"The {argument!r} argument must be a date such as '1997-09-30' or a "
            f"datetime. Got {type(value).__name__} {value!r}, which does not parse."
        )
    if (stamp.tzinfo is None) != (timezone is None):
        have = "tz-aware" if stamp.tzinfo is not None else "naive"
        column = "tz-aware" if timezone is not None else "naive"
        raise InputError(
            f"The {argument!r} argument is {have} ({value!r}) but the datetime column is "
            f"{column}{f' ({timezone})' if timezone else ''}; both must be tz-aware or "
            "both naive."
        )
    if timezone is not None:
        stamp = stamp.tz_convert(timezone).tz_localize(None)
    return stamp.to_datetime64()


def period_start(wall: np.ndarray, grain: str) -> np.ndarray:
    """Start of the ``grain`` period holding each naive datetime64 value.

    Returns ``datetime64[h]`` for the hour grain and ``datetime64[D]`` otherwise. Weeks
    start on Monday. numpy's datetime casts floor, so times before 1970 are exact too.
    """
    if grain == "h":
        return wall.astype("datetime64[h]")
    if grain == "D":
        return wall.astype("datetime64[D]")
    if grain == "W":
        day = wall.astype("datetime64[D]").view(np.int64)
        # 1970-01-01 (day 0) was a Thursday: Monday-based weekday = (day + 3) mod 7.
        return (day - (day + 3) % 7).view("datetime64[D]")
    if grain == "M":
        return wall.astype("datetime64[M]").astype("datetime64[D]")
    if grain == "Q":
        month = wall.astype("datetime64[M]").view(np.int64)
        return (month - month % 3).view("datetime64[M]").astype("datetime64[D]")
    if grain == "Y":
        return wall.astype("datetime64[Y]").astype("datetime64[D]")
    raise AssertionError(f"unchecked grain {grain!r}")  # pragma: no cover


def format_period(start: np.datetime64, grain: str) -> str:
    """ISO 8601 text of a period start: a date, or date and hour for the hour grain."""
    stamp = pd.Timestamp(start)
    return stamp.isoformat() if grain == "h" else stamp.date().isoformat()


def days_between(earlier: np.ndarray | np.datetime64, later: Any) -> np.ndarray:
    """``later - earlier`` in (possibly fractional) days, as float64."""
    return np.asarray((later - earlier) / _ONE_DAY, dtype=np.float64)


def _factorize_ids(ids: pd.Series, column: Hashable) -> tuple[np.ndarray, pd.Index]:
    try:
        codes, uniques = pd.factorize(ids, sort=True)
    except TypeError as exc:
        raise InputError(
            f"Column {column!r} must hold hashable customer ids of one type: {exc}"
        ) from exc
    return np.asarray(codes, dtype=np.int64), pd.Index(uniques, name=column)


def _group_starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Positions where a new run of equal values starts in a sorted array."""
    if sorted_keys.size == 0:
        return np.zeros(0, dtype=np.int64)
    new = np.empty(sorted_keys.size, dtype=bool)
    new[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new[1:])
    return np.flatnonzero(new).astype(np.int64, copy=False)


def _merge(
    codes: np.ndarray,
    uniques: pd.Index,
    period: np.ndarray,
    amount: np.ndarray | None,
    end: np.datetime64,
    grain: str,
    timezone: str | None,
    n_excluded: int,
) -> Purchases:
    """Sort by (customer, period) and merge equal pairs; all vectorised.

    Each row gets one int64 key, ``customer code * span + period offset``. When the key
    and the row number fit together in 63 bits (any log up to ~10^9 rows with a few
    million customers over decades of days), they are packed into one integer and sorted
    with :meth:`numpy.ndarray.sort`, which numpy vectorises (SIMD), several times faster
    than :func:`numpy.argsort`; the row number breaks ties, so the sort is stable and the
    amounts of one purchase add up in the log's row order. Otherwise a stable argsort is
    used.
    """
    ticks = period.view(np.int64)
    t_min = int(ticks.min())
    span = int(ticks.max()) - t_min + 1
    n_codes = len(uniques)
    n_rows = codes.size
    key = codes  # our own array (from factorize), reused in place
    key *= span
    key += ticks
    key -= t_min
    if n_rows > 1 and not bool(np.all(key[1:] >= key[:-1])):
        row_bits = (n_rows - 1).bit_length()
        if (n_codes * span - 1).bit_length() + row_bits <= 63:
            # In place where possible: at 10^7 rows each fresh array costs page faults.
            order = np.arange(n_rows, dtype=np.int64)
            key <<= row_bits
            key |= order
            key.sort()
            np.bitwise_and(key, (1 << row_bits) - 1, out=order)
            key >>= row_bits
        else:  # pragma: no cover - needs ~10^9 rows times a huge customer x period grid
            order = np.argsort(key, kind="stable")
            key = key[order]
        amount = amount[order] if amount is not None else None
        del order
    starts = _group_starts(key)
    merged_key = key[starts]
    del key
    customer = merged_key // span
    merged_key -= customer * span
    merged_key += t_min
    merged_start = merged_key.view(period.dtype)
    n_transactions = np.empty_like(starts)
    np.subtract(starts[1:], starts[:-1], out=n_transactions[:-1])
    n_transactions[-1:] = n_rows - starts[-1:]
    merged_amount = np.add.reduceat(amount, starts) if amount is not None else None

    first_rows = _group_starts(customer)
    if first_rows.size == n_codes:  # every customer kept a purchase: codes are compact
        kept_ids = uniques
    else:  # renumber the customers left after the cut 0..k-1, in id order
        present = customer[first_rows]
        renumber = np.zeros(n_codes, dtype=np.int64)
        renumber[present] = np.arange(present.size)
        customer = renumber[customer]
        kept_ids = uniques.take(present)
    return Purchases(
        customer_ids=pd.Index(kept_ids, name=uniques.name),
        customer=customer,
        customer_start=first_rows,
        period_start=merged_start,
        amount=merged_amount,
        n_transactions=n_transactions,
        observation_end=end,
        grain=grain,
        timezone=timezone,
        n_excluded=n_excluded,
    )
