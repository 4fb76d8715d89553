"""Differences of log-gamma values, ``lnGamma(z + e) - lnGamma(z)``, without cancellation.

``gammaln(z + e) - gammaln(z)`` loses about ``log10(lnGamma(z) / |difference|)`` digits:
with ``z = 1000`` and ``e = 1e-3`` (a Beta ratio such as ``B(gamma, delta+n+1)/B(gamma,
delta+n)`` near ``gamma = 1``) half of them. Here the difference is built from terms that
are each proportional to ``e``:

1. shift both arguments up to ``w >= _SHIFT_TO`` with the recurrence
   ``lnGamma(z+1) = lnGamma(z) + ln z``: the shift by ``k`` subtracts
   ``sum_{i<k} log1p(e / (z + i))``;
2. Stirling's series at ``w``, differenced term by term:
   ``(w - 1/2) log1p(e/w) + e (ln(w+e) - 1)``
   ``+ sum_k B_2k / (2k (2k-1)) w^(1-2k) expm1(-(2k-1) log1p(e/w))``.

The truncation error of the Stirling series at ``w >= 16`` with seven terms is below
1e-18 of the difference; each term keeps its relative accuracy, so the result is
accurate to a few units in the last place relative to ``|e| (1 + |ln w|)``, for any
sign and size of ``e``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["lgamma_diff"]

_SHIFT_TO = 16.0
#: B_2k / (2k (2k-1)) for k = 1..7
_STIRLING = (
    1.0 / 12.0,
    -1.0 / 360.0,
    1.0 / 1260.0,
    -1.0 / 1680.0,
    1.0 / 1188.0,
    -691.0 / 360360.0,
    1.0 / 156.0,
)


def lgamma_diff(z: np.ndarray | float, e: np.ndarray | float) -> np.ndarray:
    """``lnGamma(z + e) - lnGamma(z)`` for ``z > 0`` and ``z + e > 0``, broadcast.

    Returns
    -------
    ndarray
        The broadcast shape of ``z`` and ``e``, float64; exactly 0 where ``e == 0``.
    """
    z, e = np.broadcast_arrays(np.asarray(z, np.float64), np.asarray(e, np.float64))
    shape = z.shape
    z, e = z.ravel(), e.ravel()
    shifts = np.ceil(np.maximum(_SHIFT_TO - np.minimum(z, z + e), 0.0)).astype(np.int64)
    total = np.zeros(z.size)
    for i in range(int(shifts.max(initial=0))):
        k = shifts > i
        total[k] -= np.log1p(e[k] / (z[k] + i))
    w = z + shifts
    l1p = np.log1p(e / w)
    total += (w - 0.5) * l1p + e * (np.log(w + e) - 1.0)
    inv_w = 1.0 / w
    power = inv_w.copy()  # w^(1-2k) for k = 1
    inv_w2 = inv_w * inv_w
    for k, coefficient in enumerate(_STIRLING, start=1):
        total += coefficient * power * np.expm1(-(2 * k - 1) * l1p)
        power *= inv_w2
    return total.reshape(shape)
