"""Validate a transaction log and merge it into purchases.

A *transaction* is one row of the caller's log (customer id, date and, optionally, an
amount). A *purchase* is every transaction of one customer inside one ``grain`` calendar
period (a day by default): their amounts add up and the purchase is dated at the start of
its period. Everything downstream (RFM summaries, calibration/holdout splits, retention
tables) starts from the :class:`Purchases` this module returns.

Times are read on the wall clock of the log (:mod:`clvkit.data.dates`): a tz-aware column
keeps its own time zone and a purchase at 23:30 in Paris belongs to that Paris day.
Periods are calendar-true: weeks start on Monday (ISO 8601, like pandas' ``"W"`` periods),
months, quarters and years on their first day.

Before anything is summed, the rules of :mod:`clvkit.data.checks` look for logs that are
valid but probably wrong (repeated rows, far-off or future dates, a far end of
observation), and this module turns what they find into
:class:`~clvkit.errors.DataWarning` messages naming rows and customers.

The work is vectorised for logs of tens of millions of rows: customer ids are factorised
once, period starts are integer day (or hour) numbers, and purchases come out of one sort
and :func:`numpy.add.reduceat`; there is no per-group Python code.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Hashable
from dataclasses import dataclass
from numbers import Real
from typing import Any, Literal

import numpy as np
import pandas as pd

from clvkit._time import check_grain
from clvkit._validation import (
    check_columns,
    check_frame,
    check_not_empty,
    check_rule,
    numeric_column,
)
from clvkit.data.checks import (
    DEFAULT_GAP_MULTIPLE,
    distinct_days,
    far_rows_message,
    future_cutoff,
    future_rows_message,
    main_stretch,
    repeated_transactions,
    typical_spacing,
    warn_about_end,
)
from clvkit.data.dates import Times, parse_instant, wall_times
from clvkit.errors import DataWarning, InputError

__all__ = ["Purchases", "purchases"]

#: The old private name, still imported by callers outside this package.
_parse_instant = parse_instant

_ONE_DAY = np.timedelta64(1, "D")
_DUPLICATES = ("warn", "drop", "keep")
_N_NAMED = 3  # rows and customers named in a warning


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
    n_repeated : int
        Number of log rows that repeat an earlier row exactly (same customer, time and
        amount); dropped with ``duplicates="drop"``, else merged into their purchase.
        0 when the check did not run (``duplicates="keep"`` or no amounts).
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
    n_repeated: int = 0

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
            (datetime64, tz-aware when the log was; at a daylight-saving fall-back the
            repeated hour starts at its first occurrence), ``n_transactions`` and, when amounts
            were given, ``amount``. A default RangeIndex.
        """
        name = self.customer_ids.name if self.customer_ids.name is not None else "customer_id"
        start = pd.to_datetime(self.period_start)
        if self.timezone is not None:
            # A wall-clock hour that occurs twice (the fall-back) starts at its first
            # occurrence, in summer time; one skipped by the spring-forward starts when
            # the clock resumes.
            summer = np.ones(len(start), dtype=bool)
            start = start.tz_localize(self.timezone, ambiguous=summer, nonexistent="shift_forward")
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
    duplicates: Literal["warn", "drop", "keep"] = "warn",
    gap_multiple: float | None = DEFAULT_GAP_MULTIPLE,
) -> Purchases:
    """Validate a transaction log and merge it into purchases.

    All transactions of one customer inside one ``grain`` calendar period become one
    purchase dated at the period's start; their amounts add up. Transactions after the
    end of observation are dropped and counted in a :class:`~clvkit.errors.DataWarning`.
    Before anything is summed, the log is checked for rows that look like mistakes (see
    Warns); every function that reads a log (:func:`clvkit.rfm_summary`,
    :func:`clvkit.calibration_holdout`, :func:`clvkit.retention_table`,
    :func:`clvkit.cohort_table`, ...) runs the same checks with the same arguments.

    Parameters
    ----------
    transactions : pandas.DataFrame, shape (n_transactions, ...)
        The log, one row per transaction. It is never modified.
    customer_id : hashable, default "customer_id"
        Column of customer ids: any hashable values, none missing.
    datetime : hashable, default "date"
        Column of transaction times: ``datetime64`` (naive or tz-aware), or strings /
        ``datetime`` objects parsed with :func:`pandas.to_datetime`. None may be missing
        or unparseable, and all must share one time zone (or none): a column that mixes
        zones, or zoned and naive times, is refused with the rows that differ from the
        first one.
    monetary : hashable, optional
        Column of transaction amounts (currency units): integer or float, finite, >= 0.
        Net returns and refunds against the purchases they reverse before calling.
    grain : {"h", "D", "W", "M", "Q", "Y"}, default "D"
        Calendar period inside which one customer's transactions merge into one
        purchase. Weeks start on Monday.
    observation_end : date-like or None, default None
        End of observation, inclusive at the grain: it is floored to the start of its
        grain period, so with ``grain="D"`` transactions on that day are kept. ``None``
        means the last transaction's time. Accepted alike: a :class:`pandas.Timestamp`,
        :class:`datetime.datetime`, :class:`datetime.date`, :class:`numpy.datetime64`, an
        ISO 8601 string, or a :class:`pandas.Period`, which stands for its end
        (``pd.Period("1997-09", "M")`` is the end of September 1997); a string naming a
        whole month, quarter or year (``"1997-09"``, ``"1997Q3"``, ``"1997"``) is read as
        that period too. A string is parsed with ``datetime_format`` first when that is
        given. A naive date is read on the log's own wall clock (for a log in
        Europe/Berlin, ``"2024-03-31 23:00"`` is 23:00 in Berlin, on either side of a
        daylight-saving change); a tz-aware one is converted to the log's time zone, and
        refused for a naive log (whose zone is unknown).
    datetime_format : str, optional
        ``format`` passed to :func:`pandas.to_datetime` for string dates, e.g.
        ``"%Y%m%d"``, ``"ISO8601"`` or ``"mixed"``. Ignored for datetime64 columns.
    duplicates : {"warn", "drop", "keep"}, default "warn"
        What to do with *repeated transactions*: rows with the same customer, time and
        amount as an earlier row (checked only when ``monetary`` is given; without
        amounts a repeat merges into the same purchase and changes nothing). ``"warn"``
        keeps them, summed into their purchase, and warns; ``"drop"`` keeps the first of
        each set of equal rows and warns; ``"keep"`` keeps them silently (for logs in
        which one customer really can buy the same thing twice at the same time, such as
        a log of dates without times of day).
    gap_multiple : float or None, default 100
        How many typical spacings between consecutive distinct transaction days make a
        gap suspicious (see Warns); must be > 1. ``None`` turns the two gap checks off.

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
        cannot be parsed or is tz-aware against a naive column; if no transaction falls
        on or before ``observation_end``; if ``duplicates`` or ``gap_multiple`` is not
        one of the values above.
    clvkit.errors.UnitError
        If ``grain`` is not supported.

    Warns
    -----
    clvkit.errors.DataWarning
        Each warning names the rows (by the log's index labels), the customers (by id)
        and how many there are; none is raised twice for one row.

        - Transactions after ``observation_end``: excluded and counted. Filter the log
          first to silence it.
        - Repeated transactions (``duplicates="warn"`` or ``"drop"``). Silence it with
          ``duplicates="drop"`` (still warns, once, saying what was dropped; filter the
          warning to drop silently) or ``duplicates="keep"``.
        - Far-off transactions: days cut off from the bulk of the log by a gap of more
          than ``gap_multiple`` times the typical spacing (the median gap between
          consecutive distinct transaction days), before or after it. Typos such as 2052
          for 2025 end up here; with ``observation_end=None`` a late one would end
          observation years too late. Fix or drop the rows; if the dates are real, pass
          a larger ``gap_multiple`` or ``None``.
        - Transactions in the future of the machine's clock (dated after tomorrow, UTC).
          Fix the rows, or pass an ``observation_end`` before them.
        - An ``observation_end`` more than ``gap_multiple`` typical spacings after the
          last transaction, or in the future: every customer's ``T`` would run on
          through time nobody could buy in. Check the date; pass ``gap_multiple=None``
          if the silence at the end is real.

        Any of them can also be silenced with
        ``warnings.filterwarnings("ignore", category=clvkit.errors.DataWarning)``.

    Examples
    --------
    >>> tx = pd.DataFrame({"customer_id": ["a", "a", "b"],
    ...                    "date": pd.to_datetime(["2024-01-01 10:00", "2024-01-01 10:00",
    ...                                            "2024-01-03 09:30"]),
    ...                    "amount": [12.0, 12.0, 7.5]})
    >>> bought = purchases(tx, monetary="amount", duplicates="keep")
    >>> bought.n_purchases, bought.amount.tolist()
    (2, [24.0, 7.5])
    >>> purchases(tx, monetary="amount", duplicates="drop").amount.tolist()
    [12.0, 7.5]
    """
    return _build(
        transactions,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        grain=grain,
        observation_end=observation_end,
        datetime_format=datetime_format,
        duplicates=duplicates,
        gap_multiple=gap_multiple,
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
    duplicates: object = "warn",
    gap_multiple: object = DEFAULT_GAP_MULTIPLE,
    caller: str,
    stacklevel: int,
) -> Purchases:
    """Validate everything, then merge; shared by every public entry point.

    ``stacklevel`` is the one that makes a warning issued right here point at the
    user's line.
    """
    frame = check_frame(transactions, "transactions")
    grain = check_grain(grain)
    _check_column_arguments(customer_id, datetime, monetary)
    if datetime_format is not None and not isinstance(datetime_format, str):
        raise InputError(
            "The 'datetime_format' argument must be a string such as '%Y-%m-%d' or None. "
            f"Got {type(datetime_format).__name__} {datetime_format!r} instead."
        )
    duplicates = check_duplicates_argument(duplicates, caller)
    multiple = check_gap_multiple(gap_multiple, caller)
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
    times = wall_times(frame[datetime], datetime, datetime_format, id_labels)
    wall, timezone = times.wall, times.timezone
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
        end_wall = parse_instant(observation_end, "observation_end", datetime_format, timezone)

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
    rows = None  # positions in the log of the rows kept (None: all of them)
    if n_excluded:
        warnings.warn(
            f"{n_excluded} of {keep.size} transactions fall after observation_end="
            f"{format_period(end, grain)} and were excluded. Filter the log first to "
            "silence this warning.",
            DataWarning,
            stacklevel=stacklevel,
        )
        rows = np.flatnonzero(keep)
        codes, period = codes[rows], period[rows]
        amount = amount[rows] if amount is not None else None
    log = _LogView(frame.index, rows, codes, uniques, times)
    end_day = None if end_wall is None else int(np.datetime64(end_wall, "D").view(np.int64))
    day = _day_numbers(period, grain, log)
    _warn_about_dates(log, day, end_day, multiple, caller, stacklevel + 1)
    return _merge(
        codes,
        uniques,
        period,
        amount,
        end,
        grain,
        timezone,
        n_excluded,
        repeats=None if duplicates == "keep" or amount is None else log,
        drop_repeats=duplicates == "drop",
        caller=caller,
        stacklevel=stacklevel + 1,
    )


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


def check_duplicates_argument(value: object, caller: str) -> str:
    """Return the ``duplicates`` argument if it is "warn", "drop" or "keep"."""
    if not isinstance(value, str) or value not in _DUPLICATES:
        raise InputError(
            f"The 'duplicates' argument of {caller} must be one of {list(_DUPLICATES)}. "
            f"Got {value!r} instead."
        )
    return value


def check_gap_multiple(value: object, caller: str) -> float | None:
    """Return the ``gap_multiple`` argument as a float > 1, or None."""
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, Real)
        or not math.isfinite(float(value))
        or float(value) <= 1.0
    ):
        raise InputError(
            f"The 'gap_multiple' argument of {caller} must be a finite number > 1 (how "
            "many typical spacings between transaction days make a gap suspicious) or "
            f"None to turn the gap checks off. Got {value!r} instead."
        )
    return float(value)


@dataclass(frozen=True)
class _LogView:
    """What warnings need to name rows and customers of the rows kept after the cut."""

    index: pd.Index  # the log's row labels
    rows: np.ndarray | None  # log position of each kept row; None when all were kept
    codes: np.ndarray  # customer code of each kept row (before the merge reuses it)
    uniques: pd.Index  # customer id of each code
    times: Times

    def positions(self, kept: np.ndarray) -> np.ndarray:
        """Log positions of kept rows given by their positions after the cut."""
        return kept if self.rows is None else self.rows[kept]

    def describe(self, kept: np.ndarray, codes: np.ndarray | None = None) -> str:
        """'rows: ...; customer ids: ...' naming a few of ``kept`` (positions after the
        cut), with the number of distinct customers."""
        labels = self.index[self.positions(kept[:_N_NAMED])]
        customers = self.codes[kept] if codes is None else codes
        distinct = pd.unique(customers)
        named = self.uniques.take(distinct[:_N_NAMED])
        more_rows = ", ..." if kept.size > _N_NAMED else ""
        more_ids = ", ..." if distinct.size > _N_NAMED else ""
        n_customers = f"{distinct.size} customer{'s' if distinct.size != 1 else ''}"
        return (
            f"{n_customers} (customer ids: {_listing(named)}{more_ids}; rows: "
            f"{_listing(labels)}{more_rows})"
        )


def _listing(values: Any) -> str:
    return ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in values)


def _day_numbers(period: np.ndarray, grain: str, log: _LogView) -> np.ndarray:
    """Wall-clock day number of each kept row; free for the day grain."""
    if grain == "D":
        return period.view(np.int64)
    if grain == "h":
        return period.view(np.int64) // 24
    wall = log.times.wall if log.rows is None else log.times.wall[log.rows]
    return wall.astype("datetime64[D]").view(np.int64)


def _warn_about_dates(
    log: _LogView,
    day: np.ndarray,
    end_day: int | None,
    gap_multiple: float | None,
    caller: str,
    stacklevel: int,
) -> None:
    """Far-off and future transaction days, and a far or future observation_end."""
    days, counts = distinct_days(day)
    n = day.size
    flagged = np.zeros(0, dtype=np.int64)
    stretch = None if gap_multiple is None else main_stretch(days, counts, gap_multiple)
    if stretch is not None:
        assert gap_multiple is not None
        lo, hi, _ = stretch
        far = np.flatnonzero((day < lo) | (day > hi))
        flagged = far
        message = far_rows_message(
            n_far=far.size,
            n=n,
            caller=caller,
            outside=days[(days < lo) | (days > hi)],
            stretch=stretch,
            gap_multiple=gap_multiple,
            spacing=typical_spacing(days),
            belong=log.describe(far),
            end_given=end_day is not None,
        )
        warnings.warn(message, DataWarning, stacklevel=stacklevel)
    cutoff = future_cutoff()
    if days[-1] > cutoff:
        future = np.flatnonzero(day > cutoff)
        future = np.setdiff1d(future, flagged, assume_unique=True)
        if future.size:
            message = future_rows_message(
                n_future=future.size,
                n=n,
                caller=caller,
                cutoff=cutoff,
                first_day=int(day[future].min()),
                belong=log.describe(future),
            )
            warnings.warn(message, DataWarning, stacklevel=stacklevel)
    if end_day is not None:
        warn_about_end(
            caller=caller,
            days=days,
            end_day=end_day,
            cutoff=cutoff,
            gap_multiple=gap_multiple,
            stacklevel=stacklevel,
        )


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
    *,
    repeats: _LogView | None = None,
    drop_repeats: bool = False,
    caller: str = "purchases",
    stacklevel: int = 2,
) -> Purchases:
    """Sort by (customer, period) and merge equal pairs; all vectorised.

    Each row gets one int64 key, ``customer code * span + period offset``. When the key
    and the row number fit together in 63 bits (any log up to ~10^9 rows with a few
    million customers over decades of days), they are packed into one integer and sorted
    with :meth:`numpy.ndarray.sort`, which numpy vectorises (SIMD), several times faster
    than :func:`numpy.argsort`; the row number breaks ties, so the sort is stable and the
    amounts of one purchase add up in the log's row order. Otherwise a stable argsort is
    used.

    With ``repeats`` (the log the rows came from), repeated transactions are looked for
    among the purchases that merge several rows (exact repeats always share a purchase),
    warned about and, with ``drop_repeats``, left out of the sums. ``codes`` is reused
    as the sort key, so it is overwritten.
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
    order = None  # sorted position -> row; None when the rows were sorted already
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
    if repeats is None or amount is None:
        repeats = order = None  # free the row order early: at 10^7 rows it is 80 MB
    starts = _group_starts(key)
    n_transactions = np.empty_like(starts)
    np.subtract(starts[1:], starts[:-1], out=n_transactions[:-1])
    n_transactions[-1:] = n_rows - starts[-1:]
    n_repeats = 0
    if repeats is not None and amount is not None:
        if drop_repeats and order is None:  # amount may still be the caller's column
            amount = amount.copy()
        n_repeats = _repeated_rows(
            repeats,
            key,
            order,
            starts,
            n_transactions,
            amount,
            span,
            drop=drop_repeats,
            caller=caller,
            stacklevel=stacklevel + 1,
        )
    del order
    merged_key = key[starts]
    del key
    customer = merged_key // span
    merged_key -= customer * span
    merged_key += t_min
    merged_start = merged_key.view(period.dtype)
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
        n_repeated=n_repeats,
    )


def _repeated_rows(
    log: _LogView,
    key: np.ndarray,
    order: np.ndarray | None,
    starts: np.ndarray,
    n_transactions: np.ndarray,
    amount: np.ndarray,
    span: int,
    *,
    drop: bool,
    caller: str,
    stacklevel: int,
) -> int:
    """Find repeated transactions among the sorted rows, warn, and drop them if asked.

    Dropping zeroes the repeats' amounts in the sorted ``amount`` (so the purchase sums
    are exactly those of the rows kept) and lowers ``n_transactions``, both in place: the
    caller passes arrays of its own, never the log's column. Returns the number of
    repeats.
    """
    several = np.flatnonzero(n_transactions > 1)
    if several.size == 0:
        return 0
    # sorted positions of every row of a purchase that merges several rows
    sizes = n_transactions[several]
    shift = starts[several] - (np.cumsum(sizes) - sizes)
    sorted_pos = np.arange(int(sizes.sum()), dtype=np.int64) + np.repeat(shift, sizes)
    kept = sorted_pos if order is None else order[sorted_pos]  # row after the cut
    repeat = repeated_transactions(
        key[sorted_pos], log.times.instants(log.positions(kept)), amount[sorted_pos]
    )
    n_repeats = int(np.count_nonzero(repeat))
    if n_repeats == 0:
        return 0
    customers = key[sorted_pos[repeat]] // span
    rows = kept[repeat]
    how = np.argsort(rows, kind="stable")  # name them in the log's order
    rows, customers = rows[how], customers[how]
    if drop:
        amount[sorted_pos[repeat]] = 0.0  # a copy: see the caller
        purchase = np.searchsorted(starts, sorted_pos[repeat], side="right") - 1
        n_transactions -= np.bincount(purchase, minlength=starts.size)
        what = "They were dropped (duplicates='drop'); the first of each set is kept."
    else:
        what = (
            "They are summed into their purchases as separate transactions. Pass "
            "duplicates='drop' to keep only the first of each set, or duplicates='keep' "
            "if they are real purchases (e.g. two of one item bought on one day in a log "
            "of dates without times)."
        )
    warnings.warn(
        f"{n_repeats} of {key.size} transactions in {caller} repeat an earlier row "
        f"exactly (same customer, time and amount), for {log.describe(rows, customers)}. " + what,
        DataWarning,
        stacklevel=stacklevel,
    )
    return n_repeats
