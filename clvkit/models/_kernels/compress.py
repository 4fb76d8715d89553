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

from clvkit.models._kernels.chunks import chunk_starts, for_chunks
from clvkit.models._kernels.linalg import dot as _dot

__all__ = [
    "CohortRows",
    "Factor",
    "WeightedRows",
    "compress_rows",
    "count_rows",
    "distinct_keys",
    "distinct_share",
    "factorize",
    "split_cohort",
]

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

    Whole counts ``x`` and ``T`` on a lattice (daily grain in any unit) are keyed by their
    lattice indices in chunked passes and counted in a table of pairs: no sort. When a
    sample (:func:`distinct_share`) shows that most pairs are distinct, nothing is merged
    (the pairs are the rows). Anything else goes through :func:`numpy.unique`.

    Returns
    -------
    x_distinct, T_distinct : (m,) float64
    inverse : (n,) intp, ``x == x_distinct[inverse]`` and ``T == T_distinct[inverse]``
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    T = np.ascontiguousarray(T, dtype=np.float64)
    n = x.size
    if n <= 1:  # one customer (a service call): nothing to compress
        return x.copy(), T.copy(), np.zeros(n, np.intp)
    lattices = [_guess_lattice(x, integer=True), _guess_lattice(T)]
    if lattices[0] is not None and lattices[1] is not None:
        lx, lT = lattices[0], lattices[1]
        cells = lx.size * lT.size
        key = _lattice_key(None, (x, T), [lx, lT]) if cells < _table_limit(n) else None
        if key is not None:
            present = np.flatnonzero(np.bincount(key, minlength=cells))
            lookup = np.empty(cells, dtype=np.intp)
            lookup[present] = np.arange(present.size, dtype=np.intp)
            inverse = lookup.take(key)
            return (
                lx.representative[present // lT.size],
                lT.representative[present % lT.size],
                inverse,
            )
    if n > _ALWAYS_COMPRESS:
        share = distinct_share((x, T))
        if share is not None and share > _COMPRESS_SHARE:
            return x, T, np.arange(n, dtype=np.intp)
    fx, fT = factorize(x), factorize(T)
    n_T = fT.values.size
    pair = fx.codes.astype(np.int64) * n_T + fT.codes
    unique_pair, inverse = np.unique(pair, return_inverse=True)
    return fx.values[unique_pair // n_T], fT.values[unique_pair % n_T], inverse.reshape(-1)


#: a sample keeps the rows whose hash falls in 1/64 of the hash range
_SAMPLE_THRESHOLD = np.uint64(1 << 58)
_MIX1 = np.uint64(0x9E3779B97F4A7C15)  # odd multipliers of Fibonacci / splitmix hashing
_MIX2 = np.uint64(0xBF58476D1CE4E5B9)
_MIX3 = np.uint64(0x94D049BB133111EB)
_SHIFT = np.uint64(31)
_SAMPLE_MIN = 2_000


def _bits(column: np.ndarray) -> np.ndarray:
    out = np.ascontiguousarray(column, dtype=np.float64) + 0.0  # -0.0 and 0.0: one value
    return out.view(np.uint64)


def _sample_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Positions of the rows whose hash of the pair ``(a, b)`` falls in 1/64 of the range."""
    h = _bits(b)
    h *= _MIX1
    h ^= _bits(a)
    h *= _MIX2
    return np.flatnonzero(h < _SAMPLE_THRESHOLD)


def _share_of(columns: tuple[np.ndarray, ...], rows: np.ndarray) -> float | None:
    """Distinct share of the sampled ``rows``, told apart by a 64-bit hash of all columns
    (a collision among the kept rows, about ``k^2 / 2^65`` of them, only nudges it)."""
    if rows.size < _SAMPLE_MIN:
        return None
    row_hash = np.zeros(rows.size, dtype=np.uint64)
    for column, mix in zip(columns, (_MIX1, _MIX2, _MIX3) * len(columns), strict=False):
        row_hash ^= _bits(column.take(rows))
        row_hash *= mix
        row_hash ^= row_hash >> _SHIFT
    return float(np.unique(row_hash).size / rows.size)


def distinct_share(columns: tuple[np.ndarray, ...]) -> float | None:
    """An estimate of (distinct rows) / (rows), from a sample that keeps copies together.

    A uniform sample of rows says little about duplicates: two copies of a row are rarely
    both drawn. This sample keeps every row whose hash of the *last two* columns falls in
    1/64 of the hash range, so a row value is kept with all its copies or not at all, and
    the sample's distinct share is an unbiased estimate of the whole cohort's (a cluster
    sample, as in distinct sampling). The kept rows are then told apart by a hash of all
    their columns.

    Returns None when fewer than 2,000 rows are kept (too few to say).
    """
    b = columns[-2] if len(columns) > 1 else columns[-1]
    return _share_of(columns, _sample_rows(columns[-1], b))


@dataclass(frozen=True)
class CohortRows:
    """A cohort of ``(x, t_x, T, weight)`` rows as the likelihood passes read them.

    Customers without a repeat purchase (``x == 0``, so ``t_x == 0``) differ by ``T``
    alone and are kept apart from the repeat buyers, whose rows carry all three columns.
    Either part holds distinct rows with summed weights (``compressed``), or every row of
    the input when a sample showed that most rows are distinct (compressing them would
    cost more than the passes it saves).

    Attributes
    ----------
    x_values, W_x : (kx,) arrays
        Repeat-purchase counts and the total weight at each (0 for a count nobody has):
        the terms in ``x`` alone are evaluated once per entry. Usually every count from 0
        to the largest; the distinct counts only when the largest is far beyond the
        number of rows.
    zero_T, zero_w : (m0,) arrays
        ``T`` and weight of the rows with ``x == 0``; ``zero_w`` None when all are 1.
    rep_code, rep_tx, rep_T, rep_w : (m,) arrays
        Rows with ``x > 0``: index into ``x_values``, ``t_x``, ``T`` and weight
        (``rep_w`` None when all are 1).
    total_weight, total_x, total_T : float
        Sums of the weights, of ``w x`` and of ``w T``.
    compressed : bool
        Whether identical rows were merged.
    """

    x_values: np.ndarray
    W_x: np.ndarray
    zero_T: np.ndarray
    zero_w: np.ndarray | None
    rep_code: np.ndarray
    rep_tx: np.ndarray
    rep_T: np.ndarray
    rep_w: np.ndarray | None
    total_weight: float
    total_x: float
    total_T: float
    compressed: bool

    @property
    def n_rows(self) -> int:
        """Rows the passes run over (distinct rows when compressed)."""
        return int(self.zero_T.size + self.rep_T.size)

    def rep_x(self) -> np.ndarray:
        """``x`` of each repeat-buyer row."""
        return self.x_values.take(self.rep_code)


#: cohorts with at most this many repeat-buyer rows are always compressed (cheap anyway)
_ALWAYS_COMPRESS = 1 << 17
#: above it, rows are compressed when a sample estimates at most this distinct share
_COMPRESS_SHARE = 0.5


@dataclass
class _Parts:
    """The two row sets of a cohort, as :func:`_partition` writes them."""

    rep_x: np.ndarray  # intp counts (dense) or float64 (else)
    rep_tx: np.ndarray
    rep_T: np.ndarray
    rep_w: np.ndarray | None
    zero_T: np.ndarray
    zero_w: np.ndarray | None
    sample: np.ndarray  # positions (among the repeat rows) of the hash sample
    total_T: float
    dense: bool  # rep_x holds the counts as intp (every count up to the max tabulated)


def _partition(
    x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray | None, sample: bool
) -> _Parts:
    """Split rows by ``x > 0`` in two chunked passes (count, then copy), on threads.

    The first pass marks the repeat buyers per chunk (and checks that ``x`` holds whole
    numbers); the second copies each chunk's rows to their places (offsets from the
    counts), casts ``x`` to integer counts and, while the chunk is in cache, adds up
    ``w T`` and takes the hash sample of :func:`distinct_share`.
    """
    n = x.size
    starts = chunk_starts(n)
    k = len(starts)
    counts = np.zeros(k, dtype=np.int64)
    tops = np.zeros(k)
    whole = np.ones(k, dtype=bool)
    pos = np.empty(n, dtype=bool)

    def first(i: int, start: int, stop: int) -> None:
        xc = x[start:stop]
        np.greater(xc, 0.0, out=pos[start:stop])
        counts[i] = np.count_nonzero(pos[start:stop])
        tops[i] = xc.max()
        whole[i] = np.array_equal(np.floor(xc), xc)

    for_chunks(first, n)
    top = float(tops.max(initial=0.0))
    dense = bool(top < _table_limit(n) and whole.all())
    offsets = np.concatenate(([0], np.cumsum(counts)))
    m = int(offsets[-1])
    rep_x = np.empty(m, dtype=np.intp if dense else np.float64)
    rep_tx, rep_T = np.empty(m), np.empty(m)
    rep_w = None if w is None else np.empty(m)
    zero_T = np.empty(n - m)
    zero_w = None if w is None else np.empty(n - m)
    picked: list[np.ndarray | None] = [None] * k
    T_sums = np.zeros(k)

    def second(i: int, start: int, stop: int) -> None:
        # positions then gathers: a boolean mask of mixed rows costs a mispredicted
        # branch per element in every column it selects from, a gather does not. The
        # positions are in range, so no bounds mode: with the default ("raise") numpy
        # gathers into a buffer and copies it to ``out``, a third of the time
        p = pos[start:stop]
        lo, hi = int(offsets[i]), int(offsets[i + 1])
        z_lo, z_hi = start - lo, stop - hi
        rows = np.flatnonzero(p)
        t_x[start:stop].take(rows, out=rep_tx[lo:hi], mode="clip")
        T[start:stop].take(rows, out=rep_T[lo:hi], mode="clip")
        if dense:
            rep_x[lo:hi] = x[start:stop].take(rows)
        else:
            x[start:stop].take(rows, out=rep_x[lo:hi], mode="clip")
        if w is not None and rep_w is not None:
            w[start:stop].take(rows, out=rep_w[lo:hi], mode="clip")
        np.logical_not(p, out=p)
        rows = np.flatnonzero(p)
        T[start:stop].take(rows, out=zero_T[z_lo:z_hi], mode="clip")
        if w is not None and zero_w is not None and rep_w is not None:
            w[start:stop].take(rows, out=zero_w[z_lo:z_hi], mode="clip")
            T_sums[i] = _dot(rep_w[lo:hi], rep_T[lo:hi]) + _dot(
                zero_w[z_lo:z_hi], zero_T[z_lo:z_hi]
            )
        else:
            T_sums[i] = float(rep_T[lo:hi].sum()) + float(zero_T[z_lo:z_hi].sum())
        if sample and hi > lo:
            picked[i] = _sample_rows(rep_T[lo:hi], rep_tx[lo:hi]) + lo

    for_chunks(second, n)
    total_T = 0.0
    for value in T_sums:  # in chunk order: the same bits on any number of threads
        total_T += float(value)
    chosen = [p for p in picked if p is not None]
    return _Parts(
        rep_x=rep_x,
        rep_tx=rep_tx,
        rep_T=rep_T,
        rep_w=rep_w,
        zero_T=zero_T,
        zero_w=zero_w,
        sample=np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.intp),
        total_T=total_T,
        dense=dense,
    )


@dataclass
class _Lattice:
    """A guessed lattice ``v0 + j * step`` of a column, and one value per index ``j``."""

    v0: float
    inv_step: float
    size: int
    representative: np.ndarray  # (size,) float64, NaN where no row sits

    def index(self, values: np.ndarray) -> np.ndarray:
        j = values - self.v0
        j *= self.inv_step
        np.rint(j, out=j)
        return j.astype(np.intp)


def _guess_lattice(column: np.ndarray, integer: bool = False) -> _Lattice | None:
    """The lattice of a column, its step guessed from a strided sample (min, max exact);
    step 1 for a column of whole numbers (``integer``).

    Only a guess: :func:`_lattice_key` verifies every row against it."""
    n = column.size
    if n == 0:
        return None
    v0, top = float(column.min()), float(column.max())
    if not (np.isfinite(v0) and np.isfinite(top)):
        return None
    if v0 == top:
        return _Lattice(v0, 0.0, 1, np.full(1, np.nan))
    step = 1.0 if integer else _min_step(column[:: max(1, n // 65536)])
    with np.errstate(all="ignore"):
        inv_step, span = 1.0 / step, (top - v0) / step
    # a step so small that its inverse or the span overflows (denormals) has no table
    if not (0 < step < np.inf and np.isfinite(inv_step) and span < _table_limit(n)):
        return None
    # the largest index exactly as :meth:`_Lattice.index` computes it (monotone in the
    # value, so every index of the column lies in 0 .. size - 1)
    size = int(np.rint((top - v0) * inv_step)) + 1
    return _Lattice(v0, inv_step, size, np.full(size, np.nan))


def _lattice_key(
    lead: np.ndarray | None,
    columns: tuple[np.ndarray, ...],
    lattices: list[_Lattice],
) -> np.ndarray | None:
    """The mixed-radix key ``((lead * L1 + j1) * L2 + j2) ...`` of lattice indices, or None
    when a row is off its column's lattice.

    Two chunked passes: the first computes the indices, writes every row's value into its
    lattice cell and the key; the second checks every row against its cell, so two
    values sharing an index (a wrong guess of the step) are caught and nothing merges
    that is not identical.
    """
    n = columns[0].size
    key = np.empty(n, dtype=np.int64)
    ok = np.ones(len(chunk_starts(n)), dtype=bool)

    def first(i: int, start: int, stop: int) -> None:
        k = key[start:stop]
        if lead is None:
            k[:] = 0
        else:
            k[:] = lead[start:stop]
        for column, lattice in zip(columns, lattices, strict=True):
            part = column[start:stop]
            j = lattice.index(part)
            lattice.representative[j] = part
            k *= lattice.size
            k += j

    def second(i: int, start: int, stop: int) -> None:
        for column, lattice in zip(columns, lattices, strict=True):
            part = column[start:stop]
            if not np.array_equal(lattice.representative.take(lattice.index(part)), part):
                ok[i] = False
                return

    for_chunks(first, n)
    for_chunks(second, n)
    return key if ok.all() else None


def _compress_zero(T: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Distinct ``T`` of the rows without a repeat purchase and their summed weights."""
    lattice = _guess_lattice(T)
    key = None if lattice is None else _lattice_key(None, (T,), [lattice])
    if lattice is not None and key is not None:
        summed = np.bincount(key, weights=w, minlength=lattice.size).astype(np.float64)
        present = np.flatnonzero(summed > 0)
        return lattice.representative[present], summed[present]
    fT = factorize(T)
    counted: np.ndarray = np.bincount(fT.codes, weights=w, minlength=fT.values.size)
    return fT.values, counted.astype(np.float64, copy=False)


def _compress_rep(
    codes: np.ndarray, k: int, tx: np.ndarray, T: np.ndarray, w: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct repeat-buyer rows, sorted by ``(x, t_x, T)``: their ``x`` codes (among
    ``k``), ``t_x``, ``T`` and summed weights.

    Columns on lattices (daily grain in any unit) are keyed by their lattice indices in
    chunked passes (:func:`_lattice_key`); others through :func:`factorize`. The distinct
    keys come from one sort of the key (:func:`distinct_keys`).
    """
    lattices = [_guess_lattice(tx), _guess_lattice(T)]
    key = None
    if lattices[0] is not None and lattices[1] is not None:
        sizes = [lat.size for lat in lattices if lat is not None]
        if float(k) * sizes[0] * sizes[1] < 2.0**62:
            key = _lattice_key(codes, (tx, T), [lat for lat in lattices if lat is not None])
    if key is not None:
        tx_table, ktx = lattices[0].representative, lattices[0].size  # type: ignore[union-attr]
        T_table, kT = lattices[1].representative, lattices[1].size  # type: ignore[union-attr]
    elif float(k) * (tx.size + 1) ** 2 < 2.0**62:
        key = codes.astype(np.int64)
        ftx = factorize(tx)
        tx_table, ktx = ftx.values, ftx.values.size
        key *= ktx
        key += ftx.codes
        del ftx
        fT = factorize(T)
        T_table, kT = fT.values, fT.values.size
        key *= kT
        key += fT.codes
        del fT
    else:  # pragma: no cover - beyond any cohort
        weights = np.ones(codes.size) if w is None else w
        rows = compress_rows((codes.astype(np.float64), tx, T), weights)
        fc, ftx, fT = rows.columns
        return (
            np.rint(fc.values[fc.codes]).astype(np.intp),
            ftx.values[ftx.codes],
            fT.values[fT.codes],
            rows.weights,
        )
    if w is None:
        row_key, row_w = distinct_keys(key, np.ones(0), unit_weights=True)
    else:
        row_key, row_w = distinct_keys(key, w, unit_weights=False)
    del key
    T_code = row_key % kT
    rest = row_key // kT
    return (rest // ktx).astype(np.intp), tx_table[rest % ktx], T_table[T_code], row_w


def split_cohort(
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    weights: np.ndarray | None,
    *,
    compress: bool | None = None,
) -> CohortRows:
    """Validated ``(x, t_x, T)`` rows as a :class:`CohortRows`.

    Parameters
    ----------
    x, t_x, T : (n,) float64 arrays
        Whole ``x >= 0``, ``0 <= t_x <= T``, ``t_x == 0`` where ``x == 0``.
    weights : (n,) float64 array or None
        Weights ``>= 0`` (rows of weight 0 are dropped); None for all 1.
    compress : bool, optional
        Merge identical rows (True), keep every row (False), or decide (None): small
        cohorts are always compressed, larger ones when the :func:`distinct_share` of
        their repeat-buyer rows is at most one half.
    """
    x, t_x, T = (np.ascontiguousarray(c, dtype=np.float64) for c in (x, t_x, T))
    w: np.ndarray | None = None
    if weights is not None:
        weights = np.ascontiguousarray(weights, dtype=np.float64)
        keep = weights > 0
        if not keep.all():
            x, t_x, T, weights = x[keep], t_x[keep], T[keep], weights[keep]
        w = None if bool(np.all(weights == 1.0)) else weights
    parts = _partition(x, t_x, T, w, sample=compress is None)
    if compress is None:
        compress = parts.rep_T.size <= _ALWAYS_COMPRESS
        if not compress:
            share = _share_of((parts.rep_x, parts.rep_tx, parts.rep_T), parts.sample)
            compress = share is None or share <= _COMPRESS_SHARE
    zero_weight = float(parts.zero_T.size) if parts.zero_w is None else float(parts.zero_w.sum())
    rep_w = parts.rep_w
    if parts.dense:
        x_values = np.arange(int(parts.rep_x.max(initial=0)) + 1, dtype=np.float64)
        codes = parts.rep_x
    else:  # counts far beyond the number of rows: their distinct values only
        fx = factorize(parts.rep_x)
        x_values = np.concatenate(([0.0], fx.values))
        codes = fx.codes + 1
    zero_T, zero_w, rep_tx, rep_T = parts.zero_T, parts.zero_w, parts.rep_tx, parts.rep_T
    total_T = parts.total_T
    del parts
    if compress:
        codes, rep_tx, rep_T, rep_w = _compress_rep(codes, x_values.size, rep_tx, rep_T, rep_w)
        zero_T, zero_w = _compress_zero(zero_T, zero_w)
    W_x: np.ndarray = np.bincount(codes, weights=rep_w, minlength=x_values.size)
    W_x = W_x.astype(np.float64, copy=False)
    W_x[0] += zero_weight
    return CohortRows(
        x_values=x_values,
        W_x=W_x,
        zero_T=zero_T,
        zero_w=zero_w,
        rep_code=codes,
        rep_tx=rep_tx,
        rep_T=rep_T,
        rep_w=rep_w,
        total_weight=float(W_x.sum()),
        total_x=float(W_x @ x_values),
        total_T=total_T,
        compressed=bool(compress),
    )


#: :func:`count_rows` tabulates at most this many cells (beyond: :func:`compress_rows`)
_CELLS_MAX = 1 << 20


def count_rows(
    columns: tuple[np.ndarray, ...], weights: np.ndarray | None
) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """Distinct rows of columns of small whole numbers ``>= 0`` and their summed weights.

    For discrete-time data (purchase occasions), every row is a cell of a small grid:
    each chunk of rows is counted into the grid with one :func:`numpy.bincount` of the
    cell index (threads, chunk order kept), so millions of rows cost a few passes and no
    sort. Columns that are not whole numbers, or a grid of more than ``2**20`` cells,
    go through :func:`compress_rows`.

    Returns
    -------
    rows : tuple of (m,) float64 arrays
        The distinct rows, sorted lexicographically.
    summed : (m,) float64
        Summed weight of each (rows of weight 0 dropped).
    """
    cols = tuple(np.ascontiguousarray(c, dtype=np.float64) for c in columns)
    n = cols[0].size
    w = None if weights is None else np.ascontiguousarray(weights, dtype=np.float64)
    tops = [float(c.max(initial=0.0)) for c in cols]
    lows = [float(c.min(initial=0.0)) for c in cols]
    sizes = [int(t) + 1 for t in tops]
    cells = float(np.prod(np.array(sizes, dtype=float)))
    whole = np.ones(len(chunk_starts(n)), dtype=bool)
    if n and min(lows) >= 0.0 and cells <= _CELLS_MAX:
        grid = int(cells)
        table = np.zeros((len(whole), grid))

        def one(i: int, start: int, stop: int) -> None:
            key = np.zeros(stop - start, dtype=np.intp)
            for c, size in zip(cols, sizes, strict=True):
                part = c[start:stop]
                if not np.array_equal(np.floor(part), part):
                    whole[i] = False
                    return
                key *= size
                key += part.astype(np.intp)
            ww = None if w is None else w[start:stop]
            table[i] = np.bincount(key, weights=ww, minlength=grid)

        for_chunks(one, n)
        if whole.all():
            summed = np.zeros(grid)
            for row in table:  # chunk order: the same bits on any number of threads
                summed += row
            cell = np.flatnonzero(summed > 0)
            out = []
            for size in reversed(sizes):
                out.append((cell % size).astype(np.float64))
                cell = cell // size
            return tuple(reversed(out)), summed[summed > 0]
    rows = compress_rows(cols, np.ones(n) if w is None else w)
    return tuple(f.values[f.codes] for f in rows.columns), rows.weights
