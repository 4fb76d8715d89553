"""The Gaussian hypergeometric function 2F1(a, b; c; z) for real 0 <= z < 1, robustly.

scipy's ``hyp2f1`` (the Cephes algorithm for real arguments) is fast and accurate over
most of the range the BG/NBD needs, but it returns NaN where its transformation to
``1 - z`` meets the logarithmic case ``c - a - b`` = integer with ``z`` near 1 (for
example 2F1(14.05, 19; 219.05; 0.9923), where ``c - a - b = 186``), and it can overflow for
large parameters. This module keeps scipy's value where it is finite and repairs the rest:

1. for the failing entries and for every entry in the logarithmic case with ``z > 1/2``
   (where scipy stays finite but can lose digits: 2.5e-9 relative at 2F1(64, 19; 72;
   0.9386)), the Gauss series ``sum_n (a)_n (b)_n / ((c)_n n!) z^n`` summed directly
   (vectorised, term-ratio recursion, compensated summation, at most 20,000 terms), which
   converges quickly whenever ``|c - a - b|`` is not small, as for heavy buyers;
2. where a NaN remains because the series did not converge in its budget, the average
   of scipy's values at
   ``c (1 +/- delta)``: the function is smooth in ``c``, so the symmetric average is exact
   to second order and steps around the degenerate integer case.

Entries that still fail stay NaN, and the public layer reports them.
"""

from __future__ import annotations

import numpy as np
from scipy.special import hyp2f1 as _scipy_hyp2f1

__all__ = ["hyp2f1"]

_SERIES_TERMS = 20_000
_SERIES_RTOL = 1e-16
_C_STEP = 1e-6


def hyp2f1(
    a: np.ndarray | float, b: np.ndarray | float, c: np.ndarray | float, z: np.ndarray | float
) -> np.ndarray:
    """2F1(a, b; c; z) for real ``c > 0`` and ``0 <= z < 1``, broadcast over all arguments.

    Returns
    -------
    ndarray
        The broadcast shape of the arguments, float64.
    """
    a, b, c, z = (np.asarray(v, dtype=float) for v in (a, b, c, z))
    if not a.shape == b.shape == c.shape == z.shape:
        a, b, c, z = np.broadcast_arrays(a, b, c, z)
    with np.errstate(all="ignore"):
        out = np.asarray(_scipy_hyp2f1(a, b, c, z), dtype=float)  # a new array: ours
    failed = ~np.isfinite(out)
    # Cephes' 1 - z transformation loses digits in the logarithmic case c - a - b integer
    # (looked for only where z > 1/2: none on a short horizon)
    bad = failed
    if np.count_nonzero(high := z > 0.5):
        gap = c - a - b
        degenerate = (np.abs(gap - np.rint(gap)) < 1e-9 * np.maximum(1.0, np.abs(gap))) & high
        bad = failed | degenerate
    if not np.count_nonzero(bad):
        return out
    with np.errstate(all="ignore"):
        values, converged = _series(a[bad], b[bad], c[bad], z[bad])
    fixed = out[bad]
    fixed[converged] = values[converged]
    rest = ~converged & failed[bad]
    if rest.any():
        aa, bb, cc, zz = a[bad][rest], b[bad][rest], c[bad][rest], z[bad][rest]
        with np.errstate(all="ignore"):
            up = _scipy_hyp2f1(aa, bb, cc * (1 + _C_STEP), zz)
            down = _scipy_hyp2f1(aa, bb, cc * (1 - _C_STEP), zz)
        fixed[rest] = 0.5 * (up + down)
    out[bad] = fixed
    return out


def _series(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The Gauss series on 1-d arrays; returns the sums and where they converged."""
    total = np.ones_like(z)
    term = np.ones_like(z)
    active = np.ones(z.shape, dtype=bool)
    # compensated (Kahan) summation keeps long sums accurate
    compensation = np.zeros_like(z)
    idx = np.arange(z.size)
    n = 0
    while idx.size and n < _SERIES_TERMS:
        ai, bi, ci, zi = a[idx], b[idx], c[idx], z[idx]
        term_i = term[idx] * (ai + n) * (bi + n) / ((ci + n) * (n + 1)) * zi
        term[idx] = term_i
        y = term_i - compensation[idx]
        t = total[idx] + y
        compensation[idx] = (t - total[idx]) - y
        total[idx] = t
        n += 1
        # done once the geometric bound on the tail, term * q / (1 - q) with q the next
        # term ratio, is negligible (q only falls towards z once past the peak)
        q = np.abs((ai + n) * (bi + n) / ((ci + n) * (n + 1)) * zi)
        tail = np.abs(term_i) * q / np.maximum(1.0 - q, 1e-300)
        done = (q < 1.0) & (n > np.maximum(-ai, -bi)) & (tail <= _SERIES_RTOL * np.abs(t))
        done |= ~np.isfinite(t) | (term_i == 0.0)
        if done.any():
            active[idx[done]] = False
            idx = idx[~done]
    converged = ~active & np.isfinite(total)
    return total, converged
