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

The wording of each warning is built here too (:func:`far_rows_message`,
:func:`future_rows_message`, :func:`warn_about_end`), so the pandas path and the engines
say the same thing in the same words.
"""

from __future__ import annotations

import datetime as _dt
import warnings

import numpy as np

from clvkit.errors import DataWarning

__all__ = [
    "DEFAULT_GAP_MULTIPLE",
    "day_text",
    "distinct_days",
    "end_is_far",
    "far_rows_message",
    "future_cutoff",
    "future_rows_message",
    "main_stretch",
    "repeated_transactions",
    "typical_spacing",
    "warn_about_end",
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
    Exact, and about O(m): each row is hashed to 64 bits, the hashes are packed with the
    row number into one int64 and sorted with numpy's vectorised sort (equal hashes end
    up side by side, in row order), and each row whose hash equals the previous one is
    compared value by value with the first row of its run. Rows with equal values always
    share a hash; the rare runs that also hold a different row with the same hash (a
    collision) are settled by an exact sort of their rows. In SQL:
    ``ROW_NUMBER() OVER (PARTITION BY customer, ts, amount ORDER BY row) > 1``.
    """
    m = group.size
    repeat = np.zeros(m, dtype=bool)
    if m < 2:
        return repeat
    value = amount + 0.0  # -0.0 and 0.0 are one amount
    row_bits = (m - 1).bit_length()
    key = _hash_rows(group, ticks, value) >> np.uint64(row_bits + 1)  # top bits, >= 0
    key <<= np.uint64(row_bits)
    packed = key.view(np.int64)
    packed |= np.arange(m, dtype=np.int64)
    packed.sort()
    row = packed & ((1 << row_bits) - 1)
    packed >>= row_bits
    same = np.empty(m, dtype=bool)
    same[0] = False
    np.equal(packed[1:], packed[:-1], out=same[1:])
    if not same.any():  # no two rows share a hash, so no two are equal
        return repeat
    run_start = np.flatnonzero(~same)
    first = row[run_start[np.cumsum(~same)[same] - 1]]  # first row of each row's run
    later = row[same]
    equal = (group[later] == group[first]) & (ticks[later] == ticks[first])
    equal &= value[later] == value[first]
    repeat[later[equal]] = True
    if not equal.all():  # a hash collision: settle its runs exactly
        mixed = np.flatnonzero(np.isin(row[run_start], first[~equal]))
        members = _run_members(row, run_start, mixed)
        order = np.lexsort((members, value[members], ticks[members], group[members]))
        members = members[order]
        dup = (group[members[1:]] == group[members[:-1]]) & (
            ticks[members[1:]] == ticks[members[:-1]]
        )
        dup &= value[members[1:]] == value[members[:-1]]
        repeat[members] = False
        repeat[members[1:][dup]] = True
    return repeat


def _hash_rows(group: np.ndarray, ticks: np.ndarray, value: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each (group, ticks, value) row: the three 64-bit patterns mixed
    with odd multipliers and finished with splitmix64's finaliser (Steele, Lea & Flood
    2014), so that the top bits, the ones kept, depend on every input bit."""
    h = group.view(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    h ^= ticks.view(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F)
    h ^= value.view(np.uint64) * np.uint64(0x165667B19E3779F9)
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def _run_members(row: np.ndarray, run_start: np.ndarray, runs: np.ndarray) -> np.ndarray:
    """Row numbers of every member of the runs numbered ``runs`` (indices into
    ``run_start``, the sorted positions where each run of equal hashes starts)."""
    ends = np.append(run_start[1:], row.size)
    sizes = ends[runs] - run_start[runs]
    offset = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return row[np.repeat(run_start[runs], sizes) + offset]


# ---- the warnings' wording, shared by clvkit.data.transactions and clvkit.engines ----------


def day_text(day: int | np.integer) -> str:
    """A day number as an ISO date."""
    return str(np.datetime64(int(day), "D"))


def far_rows_message(
    *,
    n_far: int,
    n: int,
    caller: str,
    outside: np.ndarray,
    stretch: tuple[int, int, float],
    gap_multiple: float,
    spacing: float | None,
    belong: str,
    end_given: bool,
) -> str:
    """The warning about ``n_far`` of ``n`` rows dated on the far-off days ``outside``
    (sorted), away from the main ``stretch`` ``(lo, hi, threshold)``; ``belong`` names
    their customers (and rows)."""
    lo, hi, threshold = stretch
    when = (
        f"on {day_text(outside[0])}"
        if outside.size == 1
        else f"on {outside.size} days from {day_text(outside[0])} to {day_text(outside[-1])}"
    )
    consequence = (
        f" With observation_end=None, observation ends on {day_text(outside[-1])}, "
        "so every customer's T runs on to it."
        if not end_given and outside[-1] > hi
        else ""
    )
    return (
        f"{n_far} of {n} transactions in {caller} are dated far from the rest of "
        f"the log, {when}: more than {threshold:g} days ({gap_multiple:g} times the "
        f"typical {spacing:g}-day spacing between transaction days) away from the "
        f"main stretch, {day_text(lo)} to {day_text(hi)}. They belong to "
        f"{belong}.{consequence} If the dates are typos, fix or drop "
        "these rows; if they are real, pass gap_multiple=None (or a larger multiple) "
        "to silence this warning."
    )


def future_rows_message(
    *, n_future: int, n: int, caller: str, cutoff: int, first_day: int, belong: str
) -> str:
    """The warning about ``n_future`` of ``n`` rows dated after ``cutoff`` (the first on
    ``first_day``); ``belong`` names their customers (and rows)."""
    return (
        f"{n_future} of {n} transactions in {caller} are dated in the future "
        f"of this machine's clock (after {day_text(cutoff)}, the first on "
        f"{day_text(first_day)}); they belong to {belong}. Fix these rows, or pass an "
        "observation_end before them to leave them out."
    )


def warn_about_end(
    *,
    caller: str,
    days: np.ndarray,
    end_day: int,
    cutoff: int,
    gap_multiple: float | None,
    stacklevel: int,
) -> None:
    """Warn when the ``observation_end`` argument (day ``end_day``) is far after the last
    of the sorted distinct transaction ``days`` (:func:`end_is_far`) or after ``cutoff``
    (:func:`future_cutoff`)."""
    reasons = []
    if gap_multiple is not None and end_is_far(int(days[-1]), end_day, days, gap_multiple):
        spacing = typical_spacing(days)
        reasons.append(
            f"{end_day - int(days[-1])} days after the last transaction "
            f"({day_text(int(days[-1]))}), more than {gap_multiple:g} times the typical "
            f"{spacing:g}-day spacing between transaction days"
        )
    fix = "Check the date (a typo?); pass gap_multiple=None if the quiet end is real."
    if end_day > cutoff:
        reasons.append(f"in the future of this machine's clock (after {day_text(cutoff)})")
        fix = "Check the date (a typo?): days still to come cannot have been observed."
    if reasons:
        warnings.warn(
            f"The 'observation_end' argument of {caller} ({day_text(end_day)}) is "
            f"{' and '.join(reasons)}: every customer's T runs on to it, through days "
            "without a single transaction, which the models read as customers falling "
            f"silent. {fix}",
            DataWarning,
            stacklevel=stacklevel + 1,
        )
