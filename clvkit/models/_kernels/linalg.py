"""Small numeric helpers shared by the kernels."""

from __future__ import annotations

import numpy as np

__all__ = ["dot"]


def dot(u: np.ndarray, v: np.ndarray) -> float:
    """``u @ v`` for 1-d float arrays without BLAS.

    ``einsum`` runs its own vectorised loop in the calling thread; a BLAS ``ddot`` on long
    vectors may wake OpenBLAS worker threads, which on a busy 2-core machine costs tens of
    times more than the arithmetic.
    """
    return float(np.einsum("i,i->", u, v))
