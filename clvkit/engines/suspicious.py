"""The suspicious-log warnings of the pandas path, for a log that lives in an engine.

The rules are not written again here. The date rules (far-off days, future days, a far or
future end of observation) are the functions of :mod:`clvkit.data.checks`, run in numpy
on the distinct transaction days that the engine's scan brings back (a log of years has a
few thousand). The repeated-transaction rule is the engine's group-by of
:func:`clvkit.engines.sql.repeats_sql` (same customer, time and amount, as
:func:`clvkit.data.checks.repeated_transactions` decides it). What this module adds is the
wording, which is the pandas path's word for word (``clvkit.data.transactions``'s
``_warn_about_dates`` and ``_repeated_rows``), and the queries that name the rows and
customers a warning is about.

Naming rows: a Parquet source read by DuckDB knows each row's position in the log (the
files one after the other, counted from 0: a frame written with a default index has these
labels), so its warnings name the same rows and the same customers as pandas. A DuckDB
relation, a Spark DataFrame or CSV files have no row order: their warnings leave the rows
out and name the customers with the smallest ids instead of the first ones in the log.
Counts are the same everywhere.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from clvkit.data.checks import (
    far_rows_message,
    future_cutoff,
    future_rows_message,
    main_stretch,
    typical_spacing,
    warn_about_end,
)
from clvkit.data.transactions import _N_NAMED, _listing
from clvkit.engines import sql
from clvkit.engines.sources import Source
from clvkit.errors import DataWarning

__all__ = ["Log", "warn_about_dates", "warn_about_repeats"]


def rows_of(result: Any) -> list[tuple[Any, ...]]:
    """A small query result as a list of tuples of Python values (DuckDB or Spark)."""
    if hasattr(result, "fetchall"):
        return list(result.fetchall())
    return [tuple(row) for row in result.collect()]


@dataclass(frozen=True)
class Log:
    """What the warnings need to know about the log and where to ask for names."""

    source: Source
    cols: sql.Columns
    grain: str
    end_pk: int  # period key of the end of observation: rows up to it are kept
    n_kept: int  # rows kept (on or before the end of observation)
    caller: str

    def describe(self, flagged: str, n_rows: int) -> str:
        """'N customers (customer ids: ...; rows: ...)' for the rows of the ``flagged``
        CTE (:func:`clvkit.engines.sql.dated_rows_cte` and friends), ``n_rows`` of them;
        the pandas ``_LogView.describe`` wording."""
        numbered = self.source.numbered is not None
        found = rows_of(self.source.query(sql.named_customers_sql(flagged, numbered)))
        n_customers = int(found[0][1]) if found else 0
        named = [row[0] for row in found]
        more_ids = ", ..." if n_customers > _N_NAMED else ""
        who = f"{n_customers} customer{'s' if n_customers != 1 else ''}"
        if not numbered:
            return f"{who} (customer ids: {_listing(named)}{more_ids})"
        positions = [row[0] for row in rows_of(self.source.query(sql.named_rows_sql(flagged)))]
        more_rows = ", ..." if n_rows > _N_NAMED else ""
        return (
            f"{who} (customer ids: {_listing(named)}{more_ids}; rows: "
            f"{_listing(positions)}{more_rows})"
        )

    def dated(self, condition: str) -> str:
        """The ``flagged`` CTE of the kept rows whose day meets ``condition``."""
        source = self.source.numbered or self.source.name
        return sql.dated_rows_cte(
            self.source.dialect,
            source,
            self.cols,
            self.grain,
            self.end_pk,
            condition,
            numbered=self.source.numbered is not None,
        )


def warn_about_dates(
    log: Log,
    days: np.ndarray,
    counts: np.ndarray,
    end_day: int | None,
    gap_multiple: float | None,
    stacklevel: int,
) -> None:
    """Far-off and future transaction days, and a far or future observation_end.

    ``days`` and ``counts`` are the sorted distinct days of the kept rows and the rows on
    each; ``end_day`` is the wall-clock day of the ``observation_end`` argument (None when
    it was not given). Mirrors ``clvkit.data.transactions._warn_about_dates``, with the
    same messages (:mod:`clvkit.data.checks`).
    """
    n, caller = log.n_kept, log.caller
    stretch = None if gap_multiple is None else main_stretch(days, counts, gap_multiple)
    far = np.zeros(days.size, dtype=bool)
    if stretch is not None:
        assert gap_multiple is not None
        lo, hi, _ = stretch
        far = (days < lo) | (days > hi)
        n_far = int(counts[far].sum())
        message = far_rows_message(
            n_far=n_far,
            n=n,
            caller=caller,
            outside=days[far],
            stretch=stretch,
            gap_multiple=gap_multiple,
            spacing=typical_spacing(days),
            belong=log.describe(log.dated(sql.days_outside(lo, hi)), n_far),
            end_given=end_day is not None,
        )
        warnings.warn(message, DataWarning, stacklevel=stacklevel + 1)
    cutoff = future_cutoff()
    future = (days > cutoff) & ~far
    if future.any():
        n_future = int(counts[future].sum())
        inside = None if stretch is None else (stretch[0], stretch[1])
        message = future_rows_message(
            n_future=n_future,
            n=n,
            caller=caller,
            cutoff=cutoff,
            first_day=int(days[future].min()),
            belong=log.describe(log.dated(sql.days_after(cutoff, inside)), n_future),
        )
        warnings.warn(message, DataWarning, stacklevel=stacklevel + 1)
    if end_day is not None:
        warn_about_end(
            caller=caller,
            days=days,
            end_day=end_day,
            cutoff=cutoff,
            gap_multiple=gap_multiple,
            stacklevel=stacklevel + 1,
        )


def warn_about_repeats(
    log: Log, *, drop: bool, stacklevel: int, n_repeats: int | None = None
) -> int:
    """Count the repeated transactions among the kept rows (same customer, time and
    amount as an earlier row) and warn; returns their number. ``n_repeats``, when the
    caller has counted them already (the numpy merge of :mod:`clvkit.engines.parts`),
    leaves the engine only the naming. Mirrors ``clvkit.data.transactions._repeated_rows``.
    """
    src = log.source
    d = src.dialect
    found: list[tuple[Any, ...]] = []
    if n_repeats is None or src.numbered is None:
        found = rows_of(src.query(sql.repeats_sql(d, src.name, log.cols, log.grain, log.end_pk)))
        if not found:
            return 0
        n_repeats = int(found[0][2])
    if n_repeats == 0:
        return 0
    if src.numbered is None:
        n_customers = int(found[0][1])
        more_ids = ", ..." if n_customers > _N_NAMED else ""
        who = f"{n_customers} customer{'s' if n_customers != 1 else ''}"
        described = f"{who} (customer ids: {_listing([row[0] for row in found])}{more_ids})"
    else:
        flagged = sql.repeated_rows_cte(d, src.name, src.numbered, log.cols, log.grain, log.end_pk)
        described = log.describe(flagged, n_repeats)
    if drop:
        what = "They were dropped (duplicates='drop'); the first of each set is kept."
    else:
        what = (
            "They are summed into their purchases as separate transactions. Pass "
            "duplicates='drop' to keep only the first of each set, or duplicates='keep' "
            "if they are real purchases (e.g. two of one item bought on one day in a log "
            "of dates without times)."
        )
    warnings.warn(
        f"{n_repeats} of {log.n_kept} transactions in {log.caller} repeat an earlier row "
        f"exactly (same customer, time and amount), for {described}. " + what,
        DataWarning,
        stacklevel=stacklevel + 1,
    )
    return n_repeats
