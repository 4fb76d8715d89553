"""Small numeric helpers shared by the kernels."""

from __future__ import annotations

import numpy as np

__all__ = ["dot", "flat_broadcast"]


def dot(u: np.ndarray, v: np.ndarray) -> float:
    """``u @ v`` for 1-d float arrays without BLAS.

    ``einsum`` runs its own vectorised loop in the calling thread; a BLAS ``ddot`` on long
    vectors may wake OpenBLAS worker threads, which on a busy 2-core machine costs tens of
    times more than the arithmetic.
    """
    return float(np.einsum("i,i->", u, v))


def flat_broadcast(*values: np.ndarray | float) -> tuple[tuple[int, ...], list[np.ndarray]]:
    """The arguments as float64, broadcast against each other and flattened.

    What ``np.broadcast_arrays`` followed by ``ravel`` gives, at a fraction of its cost
    for the few-element calls of a single customer: an argument that already has the
    broadcast shape is only viewed flat, the others are copied into it.

    Returns
    -------
    shape : tuple of int
        The broadcast shape.
    flat : list of 1-d float64 arrays
        Each argument, ``prod(shape)`` long.
    """
    arrays = [np.asarray(v, dtype=np.float64) for v in values]
    shape = arrays[0].shape
    if any(a.shape != shape for a in arrays):
        shape = np.broadcast(*arrays).shape
    flat = []
    for a in arrays:
        if a.shape != shape:
            full = np.empty(shape)
            full[...] = a
            a = full
        flat.append(a.reshape(-1))
    return shape, flat
