"""Compression of sufficient statistics into weighted distinct rows.

Identical rows contribute identical likelihood terms, so a cohort of millions collapses to
the distinct rows it holds, each with the summed weight. Each column is also factorised
on its own, so terms that depend on one column only (``x`` or ``T`` in BG/NBD) are computed
once per distinct value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Factor", "WeightedRows", "compress_rows", "factorize"]


@dataclass(frozen=True)
class Factor:
    """A column split into its sorted distinct ``values`` and the ``codes`` into them."""

    values: np.ndarray  # (k,) float64, sorted ascending
    codes: np.ndarray  # (n,) intp, values[codes] == column


def factorize(column: np.ndarray) -> Factor:
    """Distinct sorted values of a 1-d float array and the inverse codes."""
    values, codes = np.unique(column, return_inverse=True)
    return Factor(values=values, codes=codes.reshape(-1))


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
        ``m <= n`` distinct rows; every original row maps to exactly one of them and the
        weights add up to ``weights.sum()``.
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
        unique_key, inverse = np.unique(key, return_inverse=True)
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
