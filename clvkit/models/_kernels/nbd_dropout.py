"""Counts of a customer who is alive now and drops out only right after a purchase.

While alive the customer buys as a Poisson process of rate ``lambda ~ Gamma(r, alpha)``
(``alpha`` a rate); right after each purchase they drop out with probability
``p ~ Beta(a, b)``. This is the BG/NBD story of a customer just acquired (Fader, Hardie &
Lee 2005, "Counting your customers the easy way", section 2), and it is also the future of
an MBG/NBD customer known to be alive, at updated parameters. ``X(t)`` counts the purchases
in ``(0, t]``.

Expected count (FHL 2005, eq. 9)::

    E[X(t)] = c/(a-1) * [1 - G],   c = a+b-1,
    G = (alpha/(alpha+t))^r 2F1(r, b; c; z) = 2F1(r, a-1; c; -u),   z = t/(alpha+t), u = t/alpha

(the second form by Pfaff's transformation). Three evaluations, each where it is well
conditioned, all broadcast elementwise:

1. short horizons (``u`` small against the parameters): the power series in ``-u`` of
   ``Q = (1 - G)/(a-1)`` itself, ``Q = sum_{n>=1} (-1)^(n+1) (r)_n (a)_(n-1) u^n / ((c)_n n!)``
   (from ``(a-1)_n = (a-1) (a)_(n-1)``): no cancellation in ``1 - G``, valid at ``a = 1``;
2. otherwise ``Q = -expm1(log G)/(a-1)`` with ``log G`` from Euler's form
   ``G = (1-z)^(a-1) 2F1(c-r, a-1; c; z)`` when ``c >= r`` (a series of one sign whose
   upper parameters do not grow with the purchase count) and from the original form when
   ``c < r`` (the Euler series would alternate);
3. two points where scipy's closed form cannot be used are stepped around: the removable
   singularity ``a = 1`` (0/0) and Gauss's logarithmic case ``c - r - b = a - 1 - r``
   an integer with ``z`` near 1, where scipy's transformation to ``1 - z`` loses its
   digits (2F1(101, 0.01; 101.01; 0.999) comes out 0.47 instead of 1.07). ``Q`` is smooth
   in ``a``; there it is the degree-5 polynomial through its values at ``a + k _STEP``,
   ``k = +/-1, +/-2, +/-3`` (interpolation error about ``(_STEP log(1-z))^6 / 20``, under
   1e-8 for any ``z`` a double can hold).

Where neither closed form evaluates (``r`` far above ``c`` and the horizon thousands of
times ``1/alpha``), ``a > 1`` and ``G = E[(1 + u s)^(-r)]`` over ``s ~ Beta(a-1, b)`` has
fallen to 0: the count is its saturation value ``c/(a-1)``. Checked against mpmath at 50
digits (x up to 1,000, T and t up to 1,000, r, alpha, b from 1e-2 to 1e2, a from 0.02 to
100 and within 1e-7 of 1): 3e-9 relative at worst.

Probability of a count (FHL 2005, eq. 8)::

    P(X(t) = n) = B(a, b+n)/B(a, b) NB(n; r, alpha/(alpha+t))
                  + [n > 0] B(a+1, b+n-1)/B(a, b) I_{t/(alpha+t)}(n, r)

with ``NB(j; r, q) = Gamma(r+j)/(Gamma(r) j!) q^r (1-q)^j`` and the upper tail of the negative
binomial written as the regularised incomplete beta function ``I``.

Every function takes its parameters as arrays and broadcasts them against ``t`` and ``n``.
``c = a + b - 1 > 0`` is assumed (MBG/NBD always has it: ``b >= 1`` after the update).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betainc, betaln, gammaln

from clvkit.models._kernels.hyp2f1 import hyp2f1

__all__ = ["expected_count", "log_pfaff", "probability_count"]

#: nodes (in steps) and Lagrange weights of the sextic interpolation at the centre
_NODES = ((-3.0, 0.05), (-2.0, -0.3), (-1.0, 0.75), (1.0, 0.75), (2.0, -0.3), (3.0, 0.05))
_STEP = 2e-3  # node spacing in a around a point that cannot be evaluated directly
_LOG_CASE_Z = 0.9  # scipy's 2F1 is exact in the logarithmic case below this argument
_SERIES_RATIO = 0.5  # the short-horizon series is used when its terms shrink at least this fast
_SERIES_TERMS = 80


def _f64(*arrays: np.ndarray | float) -> list[np.ndarray]:
    return [np.asarray(v, dtype=np.float64) for v in arrays]


def log_pfaff(r: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``log[(1-z)^r 2F1(r, b; c; z)]`` for ``r, b, c > 0`` and ``0 <= z < 1``.

    Where ``c - r - b < 0`` the original series grows like ``(1-z)^(c-r-b)`` towards
    ``z = 1`` and can overflow; Euler's form ``(1-z)^(c-b) 2F1(c-r, c-b; c; z)`` then has a
    series convergent at ``z = 1``, and it keeps one sign when ``c >= r`` and ``c >= b``.
    The original form is used otherwise, and wherever the chosen one is not finite.
    """
    r, b, c, z = np.broadcast_arrays(*_f64(r, b, c, z))
    L = np.log1p(-z)
    euler = (c - r - b < 0.0) & (c >= r) & (c >= b)
    with np.errstate(all="ignore"):
        out = np.empty(r.shape)
        if np.any(~euler):
            k = ~euler
            out[k] = r[k] * L[k] + np.log(hyp2f1(r[k], b[k], c[k], z[k]))
        if np.any(euler):
            k = euler
            out[k] = (c[k] - b[k]) * L[k] + np.log(hyp2f1(c[k] - r[k], c[k] - b[k], c[k], z[k]))
        bad = ~np.isfinite(out)
        if np.any(bad):  # the other form
            k = bad
            alt = np.where(
                euler[k],
                r[k] * L[k] + np.log(hyp2f1(r[k], b[k], c[k], z[k])),
                (c[k] - b[k]) * L[k] + np.log(hyp2f1(c[k] - r[k], c[k] - b[k], c[k], z[k])),
            )
            out[k] = np.where(np.isfinite(alt), alt, out[k])
    return out


def _q_series(r: np.ndarray, a: np.ndarray, c: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``(1 - G)/(a-1)`` as the power series in ``-u`` (1-d arrays, terms shrinking)."""
    term = r * u / c
    total = term.copy()
    idx = np.arange(u.size)
    for n in range(1, _SERIES_TERMS):
        ti = term[idx] * (-u[idx]) * (r[idx] + n) * (a[idx] - 1.0 + n) / ((c[idx] + n) * (n + 1))
        term[idx] = ti
        total[idx] += ti
        keep = np.abs(ti) > 1e-17 * np.abs(total[idx])
        idx = idx[keep]
        if idx.size == 0:
            break
    return total


def _q_closed(r: np.ndarray, eps: np.ndarray, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``(1 - G)/eps`` from the closed form, ``eps = a - 1`` away from 0 (1-d arrays)."""
    L = np.log1p(-z)
    euler = c >= r
    log_g = np.empty(z.shape)
    with np.errstate(all="ignore"):
        if np.any(euler):
            k = euler
            log_g[k] = eps[k] * L[k] + np.log(hyp2f1(c[k] - r[k], eps[k], c[k], z[k]))
        if np.any(~euler):
            k = ~euler
            log_g[k] = r[k] * L[k] + np.log(hyp2f1(r[k], c[k] - eps[k], c[k], z[k]))
        bad = ~np.isfinite(log_g)
        if np.any(bad):
            k = bad
            alt = np.where(
                euler[k],
                r[k] * L[k] + np.log(hyp2f1(r[k], c[k] - eps[k], c[k], z[k])),
                eps[k] * L[k] + np.log(hyp2f1(c[k] - r[k], eps[k], c[k], z[k])),
            )
            log_g[k] = np.where(np.isfinite(alt), alt, log_g[k])
        # neither form evaluates (r far above c, horizon far beyond 1/alpha): for a > 1,
        # G = E[(1 + u s)^(-r)] over s ~ Beta(a-1, b) has fallen to 0
        log_g = np.where(np.isfinite(log_g) | (eps <= 0.0), log_g, -np.inf)
        return np.asarray(-np.expm1(log_g) / eps)


def expected_count(
    r: np.ndarray | float,
    alpha: np.ndarray | float,
    a: np.ndarray | float,
    b: np.ndarray | float,
    t: np.ndarray | float,
) -> np.ndarray:
    """E[X(t)] (FHL 2005, eq. 9), broadcast over all arguments; 0 at ``t = 0``."""
    r, alpha, a, b, t = np.broadcast_arrays(*_f64(r, alpha, a, b, t))
    shape = r.shape
    r, alpha, a, b, t = (v.ravel() for v in (r, alpha, a, b, t))
    c = a + b - 1.0
    u = t / alpha
    z = t / (alpha + t)
    eps = a - 1.0
    q = np.empty(r.size)
    bound = u * np.maximum(1.0, r / c) * np.maximum(1.0, eps)
    short = bound <= _SERIES_RATIO
    if np.any(short):
        q[short] = _q_series(r[short], a[short], c[short], u[short])
    # the removable singularity a = 1, and Gauss's logarithmic case (c - r - b an integer),
    # where scipy's transformation to 1 - z loses its digits, are stepped around
    gap = r - eps
    near_log = (np.abs(gap - np.round(gap)) < 0.5 * _STEP) & (z > _LOG_CASE_Z) & (a > 4 * _STEP)
    bridged = ~short & ((np.abs(eps) < 0.5 * _STEP) | near_log)
    rest = ~short & ~bridged
    if np.any(rest):
        q[rest] = _q_closed(r[rest], eps[rest], c[rest], z[rest])
    if np.any(bridged):
        k = bridged
        acc = np.zeros(int(k.sum()))
        for node, weight in _NODES:
            e_node = eps[k] + node * _STEP
            # b is held fixed: c = a + b - 1 moves with a
            acc += weight * _q_closed(r[k], e_node, c[k] + node * _STEP, z[k])
        q[k] = acc
    return np.asarray((c * q).reshape(shape))


def probability_count(
    r: np.ndarray | float,
    alpha: np.ndarray | float,
    a: np.ndarray | float,
    b: np.ndarray | float,
    n: np.ndarray | float,
    t: np.ndarray | float,
) -> np.ndarray:
    """P(X(t) = n) (FHL 2005, eq. 8), broadcast over all arguments; sums to 1 over n."""
    r, alpha, a, b, n, t = _f64(r, alpha, a, b, n, t)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_keep = np.log(alpha) - np.log(alpha + t)  # log of alpha/(alpha+t)
        log_q = np.log(t) - np.log(alpha + t)  # -inf at t = 0
        nb_log = (
            gammaln(r + n)
            - gammaln(r)
            - gammaln(n + 1.0)
            + r * log_keep
            + np.where(n > 0, n * log_q, 0.0)  # 0 * log(0) = 0 at n = 0
        )
        first = np.exp(betaln(a, b + n) - betaln(a, b) + nb_log)
        tail = betainc(np.maximum(n, 1.0), r, np.exp(log_q))  # P(NB >= n), n > 0
        second = np.exp(betaln(a + 1.0, b + n - 1.0) - betaln(a, b)) * tail
    return np.asarray(np.where(n > 0, first + second, first))
