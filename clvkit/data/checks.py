"""Rules that flag suspicious transaction logs before they move any number.

Each rule is a small pure function over numpy arrays, written so that an engine can state
it again in SQL (the comment under each one says how); :mod:`clvkit.data.transactions`
applies them to every log it reads and turns what they find into
:class:`~clvkit.errors.DataWarning` messages. Days are integer day numbers (days since
1970-01-01 on the log's wall clock).

- **Repeated transactions** (:func:`repeated_transactions`): a row with the same customer,
  the same time and the same amount as an earlier row. Exported twice, it would be summed
  into the purchase as if the customer had paid twice.
- **Far-off dates** (:func:`main_stretch`): transaction days cut off from the bulk of the
  log by a gap of more than ``gap_multiple`` times the typical spacing between consecutive
  distinct transaction days (:func:`typical_spacing`). One row typed 2052 in a 1997 log
  would otherwise end observation in 2052 and stretch every customer's ``T``.
- **Far end of observation** (:func:`end_is_far`): an ``observation_end`` that many typical
  spacings after the last transaction.
- **Future dates** (:func:`future_cutoff`): days after the machine's clock.
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import pandas as pd

__all__ = [
    "DEFAULT_GAP_MULTIPLE",
    "distinct_days",
    "end_is_far",
    "future_cutoff",
    "main_stretch",
    "repeated_transactions",
    "typical_spacing",
]

#: Default of the ``gap_multiple`` argument: a gap of more than 100 typical spacings
#: (100 days in a log with transactions every day) cuts a stretch of days off the log.
DEFAULT_GAP_MULTIPLE = 100.0

# Above this many days between the first and the last transaction day, distinct days are
# found by sorting instead of counting into one slot per day.
_MAX_DENSE_SPAN = 1 << 24


def distinct_days(day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct day numbers of a log and the number of rows on each.

    Parameters
    ----------
    day : numpy.ndarray of int64, shape (n_rows,)
        Day number of each transaction.

    Returns
    -------
    days : numpy.ndarray of int64, shape (n_days,)
    counts : numpy.ndarray of int64, shape (n_days,)

    Notes
    -----
    O(n_rows + span) by counting into one slot per day of the span (a log of decades has a
    few thousand slots); sorts only when the span is huge. In SQL:
    ``SELECT day, COUNT(*) FROM log GROUP BY day ORDER BY day``.
    """
    if day.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    first, last = int(day.min()), int(day.max())
    if last - min(first, 0) >= _MAX_DENSE_SPAN:
        days, counts = np.unique(day, return_counts=True)
        return days.astype(np.int64, copy=False), counts.astype(np.int64, copy=False)
    if first >= 0:  # after 1970: count from day 0, saving a shifted copy of the days
        per_day = np.bincount(day)[first:]
    else:
        per_day = np.bincount(day - first, minlength=last - first + 1)
    present = np.flatnonzero(per_day)
    return present + first, per_day[present].astype(np.int64, copy=False)


def typical_spacing(days: np.ndarray) -> float | None:
    """Median gap, in days, between consecutive distinct transaction days.

    ``None`` when the log has fewer than two distinct days (no spacing to measure). The
    median ignores a few odd gaps, so one typo row does not move it. In SQL: the median of
    ``day - LAG(day) OVER (ORDER BY day)`` over the distinct days.
    """
    if days.size < 2:
        return None
    return float(np.median(np.diff(days)))


def main_stretch(
    days: np.ndarray, counts: np.ndarray, gap_multiple: float
) -> tuple[int, int, float] | None:
    """The stretch of days that holds the bulk of the log, when a wide gap cuts some off.

    A gap between consecutive distinct days is *wide* when it is longer than
    ``gap_multiple`` times :func:`typical_spacing`. Wide gaps split the days into
    stretches; the *main* stretch is the one with the most transactions (the earliest on a
    tie). Rows on days outside it are far from the rest of the log.

    Parameters
    ----------
    days, counts : numpy.ndarray of int64, shape (n_days,)
        From :func:`distinct_days`.
    gap_multiple : float
        How many typical spacings make a gap wide (> 1).

    Returns
    -------
    (first_day, last_day, threshold) or None
        The main stretch's first and last day and the wide-gap threshold in days; ``None``
        when no gap is wide (or the log has fewer than two distinct days).

    Notes
    -----
    In SQL: flag ``wide = day - LAG(day) > threshold``, number the stretches with a
    running ``SUM(wide)``, sum the counts per stretch and keep the largest.
    """
    spacing = typical_spacing(days)
    if spacing is None:
        return None
    threshold = gap_multiple * spacing
    wide = np.diff(days) > threshold
    if not wide.any():
        return None
    stretch = np.concatenate(([0], np.cumsum(wide)))
    size = np.bincount(stretch, weights=counts)
    main = int(np.argmax(size))
    inside = np.flatnonzero(stretch == main)
    return int(days[inside[0]]), int(days[inside[-1]]), threshold


def end_is_far(last_day: int, end_day: int, days: np.ndarray, gap_multiple: float) -> bool:
    """Whether the end of observation lies a wide gap after the last transaction day.

    Wide as in :func:`main_stretch`: more than ``gap_multiple`` typical spacings. Never true
    for a log with fewer than two distinct days. In SQL: compare
    ``end_day - MAX(day)`` with the same threshold.
    """
    spacing = typical_spacing(days)
    return spacing is not None and end_day - last_day > gap_multiple * spacing


def future_cutoff(today: _dt.date | None = None) -> int:
    """Last day number that is not in the future of the machine's clock.

    Tomorrow by the machine's UTC date: a log's wall clock runs at most 14 hours ahead of
    UTC, so nothing dated today anywhere on Earth is flagged; days after it are. In SQL:
    ``CURRENT_DATE + 1`` (in UTC).
    """
    if today is None:
        today = _dt.datetime.now(_dt.UTC).date()
    return int(np.datetime64(today, "D").view(np.int64)) + 1


def repeated_transactions(group: np.ndarray, ticks: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """Mark each row that exactly repeats an earlier row: same group, time and amount.

    Parameters
    ----------
    group : numpy.ndarray of int64, shape (m,)
        A number that is equal for rows of one customer (and may be finer, e.g. one
        customer's purchase period, since exact repeats share it too).
    ticks : numpy.ndarray of int64, shape (m,)
        The transaction's instant (any fixed resolution; UTC for tz-aware logs).
    amount : numpy.ndarray of float64, shape (m,)
        The transaction's amount.

    Returns
    -------
    numpy.ndarray of bool, shape (m,)
        True for every row equal to an earlier row in the arrays' order (the first of
        each set of equal rows is not marked).

    Notes
    -----
    O(m): each row is hashed to 64 bits (the splitmix64 finaliser over the three values),
    the hashes are numbered in order of first appearance with a hash table
    (:func:`pandas.factorize`), and each row is compared value by value with the first
    row of its number. Equal rows always share a number, so every repeat is found unless
    a different row with the same 64-bit hash came first (odds of about m² / 2⁶⁴); a row
    is never marked without being equal. In SQL:
    ``ROW_NUMBER() OVER (PARTITION BY customer, ts, amount ORDER BY row) > 1``.
    """
    if group.size < 2:
        return np.zeros(group.size, dtype=bool)
    value = amount + 0.0  # -0.0 and 0.0 are one amount
    key = _mix(group.view(np.uint64))
    key = _mix(key ^ ticks.view(np.uint64))
    key = _mix(key ^ value.view(np.uint64))
    codes, _ = pd.factorize(key)
    codes = np.asarray(codes, dtype=np.int64)
    seen_before = np.empty(codes.size, dtype=bool)
    seen_before[0] = False
    np.less_equal(codes[1:], np.maximum.accumulate(codes)[:-1], out=seen_before[1:])
    first = np.flatnonzero(~seen_before)[codes]  # the first row with each number
    return seen_before & (group == group[first]) & (ticks == ticks[first]) & (value == value[first])


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser (Steele, Lea & Flood 2014), elementwise on uint64."""
    x = x ^ (x >> np.uint64(30))
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x
