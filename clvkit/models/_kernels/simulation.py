"""Purchase times for the simulators: uniform order statistics, drawn fast.

Every continuous-time purchase model of the package is a Poisson process while the
customer is alive, so given ``N`` purchases on ``(0, span]`` their times are ``N`` uniform
order statistics on that interval; a model observes the first ``x <= N`` of them (BG/NBD:
drop-out after the ``x``-th purchase). Two ways to draw them:

- :func:`last_order_statistic`: only the ``x``-th of ``N``, which is
  ``span * Beta(x, N - x + 1)`` (the recency; no times built, the fast path for millions
  of customers);
- :func:`first_order_statistics`: all of the first ``x`` of ``N``, from exponential
  spacings ``S_1 .. S_x`` and the remainder ``S_{x+1} + ... + S_{N+1} ~ Gamma(N - x + 1)``,
  the ``j``-th time being ``span * (S_1 + ... + S_j) / (S_1 + ... + S_{N+1})``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["first_order_statistics", "last_order_statistic", "last_times"]


def last_order_statistic(
    rng: np.random.Generator, x: np.ndarray, N: np.ndarray, span: np.ndarray
) -> np.ndarray:
    """The ``x``-th of ``N`` uniform order statistics on ``(0, span]`` (0 where ``x == 0``)."""
    out = np.zeros(x.size)
    some = x > 0
    out[some] = span[some] * rng.beta(x[some], N[some] - x[some] + 1)
    return out


def first_order_statistics(
    rng: np.random.Generator, x: np.ndarray, N: np.ndarray, span: np.ndarray
) -> np.ndarray:
    """The first ``x`` of ``N`` uniform order statistics on ``(0, span]``, flat.

    Returns
    -------
    (x.sum(),) float64
        Customer after customer, ascending within each.
    """
    x = np.asarray(x, dtype=np.int64)
    owner = np.repeat(np.arange(x.size), x)
    csum = np.cumsum(rng.exponential(size=owner.size))
    ends = np.cumsum(x)
    starts = ends - x
    before = np.zeros(x.size)
    later = starts > 0
    before[later] = csum[starts[later] - 1]
    partial = csum - before[owner]  # S_1 .. S_j of each customer's own spacings
    totals = np.zeros(x.size)
    has = x > 0
    totals[has] = partial[ends[has] - 1]
    totals += rng.gamma(shape=(np.asarray(N) - x + 1).astype(np.float64), scale=1.0)
    return np.asarray(span[owner] * partial / totals[owner])


def last_times(flat: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Each customer's last time from the flat output of :func:`first_order_statistics`."""
    x = np.asarray(x, dtype=np.int64)
    out = np.zeros(x.size)
    has = x > 0
    out[has] = flat[np.cumsum(x)[has] - 1]
    return out
