"""Compression of sufficient statistics into weighted distinct rows.

Identical rows contribute identical likelihood terms, so a cohort of millions collapses to
the distinct rows it holds, each with the summed weight. Each column is also factorised
on its own, so terms that depend on one column only (``x`` or ``T`` in BG/NBD) are computed
once per distinct value.

Speed (every step is O(n) or one sort of an integer array; no multi-column ``unique``):

- a column on an exact lattice ``v0 + j * step`` (integer counts such as ``frequency``;
  recency and T summarised at a daily grain and divided by a unit length, e.g. days / 7)
  is factorised through its integer lattice index and lookup tables, without sorting;
  the result is verified element by element and anything that is not an exact lattice
  falls back to :func:`numpy.unique`;
- rows are keyed by one mixed-radix ``int64`` of the column codes, and the distinct keys
  come from one sort of that key (``return_counts`` when every weight is 1, so no
  ``argsort`` is needed).

Memory stays proportional to the input: lookup tables are bounded by a small multiple of
the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Factor", "WeightedRows", "compress_rows", "distinct_keys", "factorize"]

#: dense lookup tables may have at most this many entries per input row (plus a constant)
_TABLE_PER_ROW = 4
_TABLE_MIN = 1 << 16


@dataclass(frozen=True)
class Factor:
    """A column split into its sorted distinct ``values`` and the ``codes`` into them."""

    values: np.ndarray  # (k,) float64, sorted ascending
    codes: np.ndarray  # (n,) intp, values[codes] == column


def _table_limit(n: int) -> int:
    return _TABLE_PER_ROW * n + _TABLE_MIN


def _min_step(values: np.ndarray) -> float:
    """Smallest gap between distinct values (``inf`` with fewer than two)."""
    distinct = np.unique(values)
    return float(np.min(np.diff(distinct))) if distinct.size > 1 else np.inf


def _on_lattice(column: np.ndarray, v0: float, step: float) -> Factor | None:
    """Factorise ``column`` through ``j = rint((column - v0) / step)``, verified exactly.

    One representative value is stored per lattice index ``j``; if every element equals
    the representative of its index, ``j`` is a bijection between the distinct values
    and the occupied indices (and monotone, so sorted order is kept). ``None`` when the
    column is not on that lattice or the lattice would need too large a table.
    """
    n = column.size
    with np.errstate(all="ignore"):
        span = (float(column.max()) - v0) / step
    if not (np.isfinite(span) and span < _table_limit(n)):
        return None
    j = np.subtract(column, v0)
    j /= step
    np.rint(j, out=j)
    index = j.astype(np.intp)
    del j
    representative = np.empty(int(index.max()) + 1)
    representative[index] = column
    if not np.array_equal(representative.take(index), column):
        return None
    present = np.zeros(representative.size, dtype=bool)
    present[index] = True
    occupied = np.flatnonzero(present)
    del present
    lookup = np.empty(representative.size, dtype=np.intp)
    lookup[occupied] = np.arange(occupied.size, dtype=np.intp)
    return Factor(values=representative[occupied], codes=lookup.take(index))


def factorize(column: np.ndarray) -> Factor:
    """Distinct sorted values of a 1-d float array and the inverse codes.

    Columns on an exact lattice ``v0 + j * step`` (integer counts; recency and T at a
    daily grain in any unit) are factorised in O(n) through lookup tables indexed by
    ``j``; the lattice step is guessed from a strided sample and, failing that, from all
    distinct values. Anything else goes through :func:`numpy.unique`.
    """
    column = np.asarray(column, dtype=np.float64)
    n = column.size
    if n == 0:
        return Factor(values=np.zeros(0), codes=np.zeros(0, dtype=np.intp))
    v0, top = float(column.min()), float(column.max())
    if np.isfinite(v0) and np.isfinite(top):
        if v0 == top:
            return Factor(values=column[:1].copy(), codes=np.zeros(n, dtype=np.intp))
        stride = max(1, n // 65536)
        tried = set()
        for sample in (column[::stride], column):
            step = _min_step(sample)
            if step in tried or not (0 < step < np.inf):
                continue
            tried.add(step)
            found = _on_lattice(column, v0, step)
            if found is not None:
                return found
            if stride == 1:
                break
    values, codes = np.unique(column, return_inverse=True)
    return Factor(values=values, codes=codes.reshape(-1).astype(np.intp, copy=False))


def distinct_keys(
    key: np.ndarray, weights: np.ndarray, unit_weights: bool | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of an integer key and the summed weight of each.

    With all weights equal to 1 the counts come straight from one sort (no ``argsort``,
    no inverse); otherwise the inverse codes feed a weighted :func:`numpy.bincount`.

    Returns
    -------
    distinct : (m,) int64, sorted
    summed : (m,) float64
    """
    if unit_weights is None:
        unit_weights = bool(np.all(weights == 1.0))
    if unit_weights:
        distinct, counts = np.unique(key, return_counts=True)
        return distinct, counts.astype(np.float64)
    distinct, inverse = np.unique(key, return_inverse=True)
    summed = np.bincount(inverse.reshape(-1), weights=weights, minlength=distinct.size)
    return distinct, summed


@dataclass(frozen=True)
class WeightedRows:
    """Distinct rows of several columns, each column stored as a :class:`Factor`."""

    columns: tuple[Factor, ...]
    weights: np.ndarray  # (m,) float64, summed weight of each distinct row

    @property
    def n_rows(self) -> int:
        return int(self.weights.size)


def compress_rows(columns: tuple[np.ndarray, ...], weights: np.ndarray) -> WeightedRows:
    """Collapse identical rows of ``columns`` into one row carrying the summed weight.

    Parameters
    ----------
    columns : tuple of (n,) float64 arrays
        The sufficient statistics, one array per column.
    weights : (n,) float64 array
        Non-negative weight of each row. Rows of weight 0 are dropped.

    Returns
    -------
    WeightedRows
        ``m <= n`` distinct rows, sorted lexicographically by their column codes; every
        original row maps to exactly one of them and the weights add up to
        ``weights.sum()``.
    """
    keep = weights > 0
    if not keep.all():
        columns = tuple(c[keep] for c in columns)
        weights = weights[keep]
    factors = [factorize(c) for c in columns]
    sizes = [f.values.size for f in factors]
    # mixed-radix integer key of the per-column codes; fall back to lexicographic
    # row-uniqueness in the (practically unreachable) case it would overflow int64
    if float(np.prod(np.array(sizes, dtype=float))) < 2.0**62:
        key = np.zeros(weights.size, dtype=np.int64)
        for f, size in zip(factors, sizes, strict=True):
            key *= size
            key += f.codes
        unique_key, summed = distinct_keys(key, weights)
        codes = []
        rest = unique_key
        for size in reversed(sizes):
            codes.append(rest % size)
            rest = rest // size
        codes.reverse()
    else:  # pragma: no cover - needs > 2**62 combinations of distinct values
        stacked = np.stack([f.codes for f in factors], axis=1)
        unique_rows, inverse = np.unique(stacked, axis=0, return_inverse=True)
        codes = [unique_rows[:, j] for j in range(len(factors))]
        summed = np.bincount(inverse.reshape(-1), weights=weights, minlength=len(codes[0]))
    compressed = tuple(
        Factor(values=f.values, codes=c.astype(np.intp))
        for f, c in zip(factors, codes, strict=True)
    )
    return WeightedRows(columns=compressed, weights=summed)


def distinct_pairs(x: np.ndarray, T: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct ``(x, T)`` pairs and, for every row, the index of its pair.

    Returns
    -------
    x_distinct, T_distinct : (m,) float64
    inverse : (n,) intp, ``x == x_distinct[inverse]`` and ``T == T_distinct[inverse]``
    """
    if x.size <= 1:  # one customer (a service call): nothing to compress
        return x.astype(np.float64), T.astype(np.float64), np.zeros(x.size, np.int64)
    fx, fT = factorize(x), factorize(T)
    n_T = fT.values.size
    pair = fx.codes.astype(np.int64) * n_T + fT.codes
    unique_pair, inverse = np.unique(pair, return_inverse=True)
    return fx.values[unique_pair // n_T], fT.values[unique_pair % n_T], inverse.reshape(-1)
