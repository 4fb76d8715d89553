"""RFM and calibration/holdout summaries of a DuckDB source, merged by the pandas code.

DuckDB reads and validates the log (the scan of :func:`clvkit.engines.summaries.prepare`)
and hands over the kept rows as numpy arrays (:func:`clvkit.engines.sql.rows_sql`: the
period keys and the end of observation of the SQL rules), in parts of whole customers
(customers are split by ranges of integer ids, else by a hash of their id, so that a part
fits in memory and the parts can be merged side by side). Each part then goes through the
pandas path's own numpy code: :func:`clvkit.data.transactions._merge` (one sort of a
packed integer key; repeated transactions found, and dropped with ``duplicates="drop"``,
exactly as in pandas),
:func:`clvkit.data.rfm._summarise` and, for a calibration/holdout split,
:func:`clvkit.data.rfm._calibration_columns`. No rule of the summaries is written here.

Why not SQL: grouping the log by (customer, period) in a hash table costs DuckDB about as
much CPU as the whole pandas summary (almost every pair holds one row, so the table has as
many entries as the log has rows), and the grouping by customer comes on top; one numpy
sort of a packed key does the same merge several times faster. Spark keeps the SQL of
:mod:`clvkit.engines.sql`, which spreads over a cluster.
"""

from __future__ import annotations

import itertools
import math
import os
import warnings
from collections import deque
from collections.abc import Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd

from clvkit.data.dates import Times
from clvkit.data.rfm import _calibration_columns, _rfm_columns
from clvkit.data.transactions import Purchases, _factorize_ids, _LogView, _merge
from clvkit.engines import sql
from clvkit.engines.sources import configure
from clvkit.errors import DataWarning

__all__ = ["ROWS_PER_PART", "summary"]

#: rows of the log handed to numpy at a time (about 100 bytes each while merged)
ROWS_PER_PART = 6_000_000
#: below this many rows the log is merged in one part, without a second thread
SPLIT_ROWS = 1_000_000


def _workers() -> int:
    """Parts merged at once: DuckDB's thread setting, else the machine's cores (at most 2:
    a third part in memory costs more than it saves)."""
    threads = configure()["threads"] or os.cpu_count() or 1
    return max(1, min(2, int(threads)))


def summary(
    p: Any,
    *,
    unit: str,
    cut_pk: int | None,
    duplicates: str,
    caller: str,
) -> tuple[pd.Index, dict[str, np.ndarray], int]:
    """The columns of :func:`clvkit.rfm_summary` (``cut_pk`` None) or of
    :func:`clvkit.calibration_holdout` of a prepared DuckDB source ``p``
    (:class:`clvkit.engines.summaries.Prepared`), with the customer ids in sorted order,
    and the number of repeated transactions found (0 when not looked for).

    The customers are split into parts by the range or a hash of their id (at least one
    part per worker, parts of about :data:`ROWS_PER_PART` rows). DuckDB reads one part while the
    parts read before it are merged in worker threads (numpy lets go of the interpreter
    lock while it sorts and sums), at most :func:`_workers` parts at a time. Issues no
    warning: the caller warns once for the whole log."""
    check = p.cols.monetary is not None and duplicates != "keep"
    workers = _workers() if p.n_kept >= SPLIT_ROWS else 1
    n_parts = max(workers, math.ceil(p.n_kept / ROWS_PER_PART))
    cal_end = None if cut_pk is None else p.period(cut_pk)
    done: list[tuple[pd.Index, dict[str, np.ndarray], int]] = []
    pending: deque[Future[tuple[pd.Index, dict[str, np.ndarray], int] | None]] = deque()

    def collect(limit: int) -> None:
        while len(pending) > limit:
            result = pending.popleft().result()
            if result is not None:
                done.append(result)

    # One part's warning would name the part's rows: the caller warns for the whole log.
    # The filter is process-wide (warnings are), so it is set here, not in the workers.
    with warnings.catch_warnings(), ThreadPoolExecutor(workers) as pool:
        warnings.simplefilter("ignore", DataWarning)
        for part in _parts(p, n_parts):
            collect(workers - 1)  # a part is read while at most workers - 1 merge
            rows = _rows(p, part=part, check=check)
            pending.append(
                pool.submit(_part_columns, p, rows, unit, cal_end, check, duplicates, caller)
            )
        collect(0)
    n_repeated = sum(r[2] for r in done)
    if not done:
        return pd.Index([], name=p.cols.customer_id), {}, 0
    if len(done) == 1:
        return done[0][0], done[0][1], n_repeated
    names = list(done[0][1])
    every = done[0][0].append([r[0] for r in done[1:]])
    order = np.argsort(every.to_numpy(), kind="stable")
    merged = {name: np.concatenate([r[1][name] for r in done])[order] for name in names}
    return every.take(order), merged, n_repeated


def _part_columns(
    p: Any,
    rows: dict[str, np.ndarray] | None,
    unit: str,
    cal_end: np.datetime64 | None,
    check: bool,
    duplicates: str,
    caller: str,
) -> tuple[pd.Index, dict[str, np.ndarray], int] | None:
    """One part's ids, columns and repeated transactions (in a worker thread)."""
    if rows is None:
        return None
    bought = _purchases(p, rows, check=check, drop=duplicates == "drop", caller=caller)
    if cal_end is None:
        return bought.customer_ids, _rfm_columns(bought, unit), bought.n_repeated
    ids, columns = _calibration_columns(bought, cal_end, unit)
    if len(ids) == 0:
        return None
    return ids, columns, bought.n_repeated


def _parts(p: Any, n: int) -> list[str | None]:
    """``n`` conditions that split the customers: ranges of integer ids (the Parquet
    reader skips the other columns of the rows outside), else hashes of the ids."""
    if n == 1:
        return [None]
    if p.id_range is None:
        return [sql.id_hash_part(k, n) for k in range(n)]
    lo, hi = p.id_range
    bounds = [lo + (hi + 1 - lo) * k // n for k in range(n + 1)]
    return [sql.id_range_part(a, b) for a, b in itertools.pairwise(bounds)]


def _rows(p: Any, *, part: str | None, check: bool) -> dict[str, np.ndarray] | None:
    """One part of the kept rows as numpy columns (DuckDB; None when the part is empty)."""
    source, cols = p.source, p.cols
    query = sql.rows_sql(
        source.dialect, source.name, cols, p.grain, p.end_pk, instants=check, part=part
    )
    arrays = {k: np.asarray(v) for k, v in source.query(query).fetchnumpy().items()}
    return arrays if arrays["cid"].size else None


def _purchases(
    p: Any, arrays: dict[str, np.ndarray], *, check: bool, drop: bool, caller: str
) -> Purchases:
    """One part of the log merged into purchases by the pandas code."""
    cols = p.cols
    customer = arrays["cid"]
    step = "h" if p.grain == "h" else "D"
    period = np.asarray(arrays["pk"]).astype(np.int64, copy=False).view(f"datetime64[{step}]")
    amount = np.asarray(arrays["amt"], dtype=np.float64) if cols.monetary else None
    codes, uniques = _codes(customer, cols.customer_id)
    repeats = None
    if check:
        # the rule compares instants, at the column's own resolution (UTC for zoned times)
        times = Times(np.asarray(arrays["t"]), None, None)
        repeats = _LogView(pd.RangeIndex(customer.size), None, codes, uniques, times)
    return _merge(
        codes,
        uniques,
        period,
        amount,
        p.period(p.end_pk),
        p.grain,
        p.timezone,
        0,
        repeats=repeats,
        drop_repeats=drop,
        caller=caller,
    )


def _codes(customer: np.ndarray, column: Hashable) -> tuple[np.ndarray, pd.Index]:
    """Customer codes for ``_merge``: an integer id less the smallest one when the ids are
    dense enough (every id of the range is then a code; ``_merge`` keeps the ones that
    bought), else the sorted factorisation of the pandas path."""
    if customer.dtype.kind == "i":
        lo, hi = int(customer.min()), int(customer.max())
        if hi - lo < 4 * customer.size + 1024:
            codes = customer.astype(np.int64)  # a new array: _merge sorts in it
            codes -= lo
            return codes, pd.Index(np.arange(lo, hi + 1, dtype=customer.dtype), name=column)
    return _factorize_ids(pd.Series(customer, copy=False), column)
