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

(the second form by Pfaff's transformation). Evaluated, elementwise, where each form is
well conditioned:

1. short horizons where ``1 - G`` is small (its first term, ``(a-1) r u / c``, below
   ``1e-3``; ``u`` small against the parameters): the power series in ``-u`` of
   ``Q = (1 - G)/(a-1)`` itself, ``Q = sum_{n>=1} (-1)^(n+1) (r)_n (a)_(n-1) u^n / ((c)_n n!)``
   (from ``(a-1)_n = (a-1) (a)_(n-1)``): no cancellation in ``1 - G``, valid at ``a = 1``.
   Above it the closed form's relative error is scipy's 2F1 error divided by ``1 - G``,
   so at most a thousand times it (2.2e-10 relative at worst on 4,400 mpmath points at
   the handover, with ``r`` near 100; 1e-15 typical), and one customer's weekly curve
   takes one form instead of two;
2. otherwise ``Q = -expm1(log G)/(a-1)``, with ``log G`` from :func:`log_pfaff`: Euler's
   form ``(1-z)^(a-1) 2F1(c-r, a-1; c; z)`` (upper parameters that do not grow with the
   purchase count) where its series is well conditioned, the original form elsewhere,
   and near ``z = 1``, where scipy's 2F1 overflows with large parameters, Gauss's
   connection formula in log space; Gauss's logarithmic case (``c - r - b`` an integer,
   ``z`` near 1), where scipy's transformation to ``1 - z`` loses its digits
   (2F1(101, 0.01; 101.01; 0.999) comes out 0.47 instead of 1.07), is stepped around by
   interpolation in ``c``;
3. where ``G`` is provably negligible (``a > 1``, horizons long against ``1/(r u)``), it is
   0 and no 2F1 is evaluated;
4. the removable singularity ``a = 1`` (0/0): ``Q`` is smooth in ``a``; within
   ``_STEP / 2`` of 1 it is the degree-5 polynomial through its values at
   ``a + k _STEP``, ``k = +/-1, +/-2, +/-3`` (interpolation error about
   ``(_STEP log(1-z))^6 / 20``, under 1e-8 for any ``z`` a double can hold).

Checked against mpmath at 50-90 digits on grids and 2,500 random points (x up to 1,000,
T and t up to 1,000, r, alpha, b from 1e-2 to 1e2, a from 1e-2 to 1e2 and within 1e-9 of
1): 4e-9 relative at worst, near ``a = 1`` with ``r`` small and ``b`` large, where ``Q``
itself is small.

Probability of a count (FHL 2005, eq. 8)::

    P(X(t) = n) = B(a, b+n)/B(a, b) NB(n; r, alpha/(alpha+t))
                  + [n > 0] B(a+1, b+n-1)/B(a, b) I_{t/(alpha+t)}(n, r)

with ``NB(j; r, q) = Gamma(r+j)/(Gamma(r) j!) q^r (1-q)^j`` and the upper tail of the negative
binomial written as the regularised incomplete beta function ``I``.

Every function takes its parameters as arrays and broadcasts them against ``t`` and ``n``.
``c = a + b - 1 > 0`` is assumed (MBG/NBD always has it: ``b >= 1`` after the update).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import betainc, betaln, gammaln, gammasgn
from scipy.special import hyp2f1 as _scipy_hyp2f1

from clvkit.models._kernels.hyp2f1 import hyp2f1
from clvkit.models._kernels.linalg import flat_broadcast

__all__ = ["expected_count", "log_pfaff", "probability_count"]

#: nodes (in steps) and Lagrange weights of the sextic interpolation at the centre
_NODES = ((-3.0, 0.05), (-2.0, -0.3), (-1.0, 0.75), (1.0, 0.75), (2.0, -0.3), (3.0, 0.05))
_STEP = 2e-3  # node spacing in a around a point that cannot be evaluated directly
_LOG_CASE_Z = 0.9  # scipy's 2F1 is exact in the logarithmic case below this argument
_NEAR_ONE_TERMS = 5000  # terms of the small-argument series (argument at most 0.1)
_LOG_NEGLIGIBLE = -42.0  # log of a G that no longer changes 1 - G in double precision
_SERIES_RATIO = 0.5  # the short-horizon series is used when its terms shrink at least this fast
_SERIES_TERMS = 80
_CLOSED_FROM = 1e-3  # the series is kept where 1 - G, about (a-1) r u / c, is below this


def _f64(*arrays: np.ndarray | float) -> list[np.ndarray]:
    return [np.asarray(v, dtype=np.float64) for v in arrays]


_ALL = slice(None)


def _cells(mask: np.ndarray) -> np.ndarray | slice | None:
    """The index of a mask's cells: None when there are none, a view of every cell when
    all are in it (no copies: one customer's horizons usually take one branch), else the
    mask itself."""
    k = np.count_nonzero(mask)  # a third of the cost of any() and all() on a few cells
    if k == 0:
        return None
    return _ALL if k == mask.size else mask


_SERIES_BLOCK = 8192  # cells summed together (their work arrays stay in cache)
_SERIES_CHECK = 4  # converged cells are dropped every this many terms
_SERIES_SMALL = 512  # up to this many cells, all terms at once (:func:`_q_series_table`)


#: the terms after which :func:`_q_series` looks whether a cell's sum has converged
_SERIES_CHECKS = np.array(
    [n for n in range(1, _SERIES_TERMS) if n % _SERIES_CHECK == 0 or n == _SERIES_TERMS - 1]
)


#: the term index ``n = 1 .. _SERIES_TERMS - 1`` as a column, and ``1 / (n + 1)``
_TERM_INDEX = np.arange(1.0, _SERIES_TERMS)[:, None]
_TERM_FACTOR = 1.0 / (_TERM_INDEX + 1.0)


def _q_series_table(r: np.ndarray, a: np.ndarray, c: np.ndarray, u: np.ndarray) -> np.ndarray:
    """:func:`_q_series` for a few cells (one customer's horizons), all terms at once.

    The same arithmetic as the blocked loop, term by term (the ratio's factors in the
    same order, products and sums accumulated along the table), and each cell's sum read
    where the loop stops it: a customer alone gets the bits they get inside a cohort, at
    a dozen numpy calls instead of a few hundred.
    """
    m = u.size
    n = _TERM_INDEX
    terms = np.empty((_SERIES_TERMS, m))
    terms[0] = r * u / c
    ratio = terms[1:]
    np.multiply(r + n, (a - 1.0) + n, out=ratio)
    ratio /= c + n
    ratio *= -u
    ratio *= _TERM_FACTOR
    np.cumprod(terms, axis=0, out=terms)
    sums = np.cumsum(terms, axis=0)
    # the loop stops a cell at the first check whose term is below 1e-17 of the sum
    checked = _SERIES_CHECKS
    done = np.abs(terms[checked]) <= 1e-17 * np.abs(sums[checked])
    done[-1] = True  # after the last term: the sum as it stands
    return np.asarray(sums[checked[np.argmax(done, axis=0)], np.arange(m)])


def _q_series(r: np.ndarray, a: np.ndarray, c: np.ndarray, u: np.ndarray) -> np.ndarray:
    """``(1 - G)/(a-1)`` as the power series in ``-u`` (1-d arrays, terms shrinking).

    ``Q = sum_{n>=0} T_n``, ``T_0 = r u / c``,
    ``T_n = T_(n-1) [(r+n) (a-1+n) / (c+n)] (-u) / (n+1)``. Every ``_SERIES_CHECK`` terms
    the cells whose last term fell below 1e-17 of their sum are written out and dropped;
    blocks of cells are summed in place on contiguous work arrays.
    """
    if u.size <= _SERIES_SMALL:
        return _q_series_table(r, a, c, u)
    out = np.empty(u.size)
    for first in range(0, u.size, _SERIES_BLOCK):
        part = slice(first, min(first + _SERIES_BLOCK, u.size))
        r0, am1, c0 = r[part], a[part] - 1.0, c[part]
        minus_u = -u[part]
        term = r0 * u[part] / c0
        total = term.copy()
        where = np.arange(part.start, part.stop)
        ratio = np.empty(term.size)
        scratch = np.empty(term.size)
        for n in range(1, _SERIES_TERMS):
            np.add(r0, n, out=ratio)
            np.add(am1, n, out=scratch)
            ratio *= scratch
            np.add(c0, n, out=scratch)
            ratio /= scratch
            ratio *= minus_u
            ratio *= 1.0 / (n + 1.0)
            term *= ratio
            total += term
            if n % _SERIES_CHECK == 0 or n == _SERIES_TERMS - 1:
                going = np.abs(term) > 1e-17 * np.abs(total)
                if not going.all():
                    done = ~going
                    out[where[done]] = total[done]
                    if not going.any():
                        break
                    where, r0, am1, c0, minus_u, term, total = (
                        v[going] for v in (where, r0, am1, c0, minus_u, term, total)
                    )
                    ratio, scratch = ratio[: term.size], scratch[: term.size]
        else:
            out[where] = total
    return out


def _log_g_bound(r: np.ndarray, eps: np.ndarray, b: np.ndarray, z: np.ndarray) -> np.ndarray:
    """An upper bound on ``log G`` for ``eps = a - 1 > 0`` (1-d arrays).

    Then ``G = E[(1 + u s)^(-r)]`` over ``s ~ Beta(eps, b)`` (Euler's integral), so for any
    ``0 < d <= 1/2``: ``G <= P(s < d) + (1 + u d)^(-r)`` with
    ``P(s < d) <= d^eps / (eps B(eps, b)) max(1, 2^(1-b))``. The best of a few ``d``.
    """
    u = z / (1.0 - z)
    first_common = -np.log(eps) - betaln(eps, b) + np.maximum(0.0, 1.0 - b) * np.log(2.0)
    best = np.full(z.shape, np.inf)
    for d in (0.5, 1e-1, 1e-2, 1e-3, 1e-4, 1e-6, 1e-9):
        bound = np.logaddexp(eps * np.log(d) + first_common, -r * np.log1p(u * d))
        best = np.minimum(best, bound)
    return best


def _small_argument_series(
    a: np.ndarray, b: np.ndarray, c: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The Gauss series of 2F1(a, b; c; y) for small ``y`` (1-d arrays), any real ``c``
    off the non-positive integers (scipy's 2F1 is not for negative ``c``), and the
    largest absolute term (what the sum's rounding error scales with)."""
    total = np.ones_like(y)
    term = np.ones_like(y)
    largest = np.ones_like(y)
    idx = np.arange(y.size)
    for n in range(_NEAR_ONE_TERMS):
        ti = term[idx] * (a[idx] + n) * (b[idx] + n) / ((c[idx] + n) * (n + 1)) * y[idx]
        term[idx] = ti
        total[idx] += ti
        largest[idx] = np.maximum(largest[idx], np.abs(ti))
        # past the largest term (ratio below 1/2) and negligible: done
        ratio = np.abs((a[idx] + n + 1) * (b[idx] + n + 1) / ((c[idx] + n + 1) * (n + 2)) * y[idx])
        done = (ratio < 0.5) & (np.abs(ti) <= 1e-17 * np.abs(total[idx]))
        idx = idx[~done]
        if idx.size == 0:
            break
    return total, largest


def _log_pfaff_near_one(
    r: np.ndarray, e: np.ndarray, c: np.ndarray, z: np.ndarray, strict: bool = True
) -> np.ndarray:
    """``log[(1-z)^r 2F1(r, b; c; z)]``, ``b = c - e``, near ``z = 1`` from Gauss's
    connection formula (1-d arrays). With ``y = 1 - z`` the value is ``T1 + T2``::

        T1 = y^e Gamma(c) Gamma(r-e) / (Gamma(r) Gamma(b)) 2F1(c-r, e; 1+e-r; y)
        T2 = y^r Gamma(c) Gamma(e-r) / (Gamma(c-r) Gamma(e)) 2F1(r, b; 1+r-e; y)

    (one term dominates by ``y^|r-e|``), summed in log space with the signs of the gamma
    functions of negative arguments. Both series have the small argument ``y``, where
    nothing overflows; ``r - e`` must not be an integer (the logarithmic case is bridged
    by :func:`log_pfaff`). Where the terms cancel to fewer than 10 digits the result is
    NaN.
    """
    y = 1.0 - z
    log_y = np.log1p(-z)
    b = c - e
    s1, big1 = _small_argument_series(c - r, e, 1.0 + e - r, y)
    s2, big2 = _small_argument_series(r, b, 1.0 + r - e, y)
    log_t1 = e * log_y + gammaln(c) + gammaln(r - e) - gammaln(r) - gammaln(b)
    log_t2 = r * log_y + gammaln(c) + gammaln(e - r) - gammaln(c - r) - gammaln(e)
    sign_t1 = gammasgn(r - e) * np.sign(s1)
    sign_t2 = gammasgn(e - r) * gammasgn(c - r) * gammasgn(e) * np.sign(s2)
    top = np.maximum(log_t1, log_t2)
    scale1, scale2 = np.exp(log_t1 - top), np.exp(log_t2 - top)
    total = sign_t1 * scale1 * np.abs(s1) + sign_t2 * scale2 * np.abs(s2)
    # the rounding error scales with the largest term summed, in either series or between
    # them; where it could reach 1e-10 of the value (close to the logarithmic case, large
    # parameters) the result is refused (NaN) and the caller tries another form
    lost = strict & (np.maximum(scale1 * big1, scale2 * big2) > 1e6 * np.abs(total))
    return np.asarray(np.where(lost, np.nan, top + np.log(total)))


def _log_pfaff_direct(
    r: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray, high: np.ndarray | None = None
) -> np.ndarray:
    """:func:`log_pfaff` on 1-d arrays, off the logarithmic case near ``z = 1``.

    With ``e = c - b``: for ``e >= r`` the original series (positive terms, convergent at
    ``z = 1``); for ``e < r`` Euler's form ``(1-z)^e 2F1(c-r, e; c; z)`` where its terms
    keep one sign (``c >= r``) or fall from the first (``(r-c) z <= c/2``), and the
    original elsewhere. Near ``z = 1`` (``z > 0.9``) scipy's 2F1 is called directly and,
    where it overflows (large parameters), Gauss's connection formula takes over
    (:func:`_log_pfaff_near_one`, refused where its terms cancel); below, the repaired 2F1
    of :mod:`clvkit.models._kernels.hyp2f1`, whose series would need thousands of terms
    near 1. Then the other closed form, and near 1 the connection formula however much its
    terms cancel, are the last resorts. ``high`` (``z > 0.9``) may be passed in.
    """
    e = c - b
    L = np.log1p(-z)
    euler = (e < r) & ((c >= r) | ((r - c) * z <= 0.5 * c))
    if high is None:
        high = z > _LOG_CASE_Z
    out = np.empty(r.size)
    out.fill(np.nan)
    forms: tuple[tuple[np.ndarray, Callable[..., np.ndarray], bool], ...]
    with np.errstate(all="ignore"):
        if np.count_nonzero(high):
            forms = (
                (euler & ~high, hyp2f1, True),
                (euler & high, _scipy_hyp2f1, True),
                (~euler & ~high, hyp2f1, False),
                (~euler & high, _scipy_hyp2f1, False),
            )
        else:  # no cell near z = 1 (a short horizon): the repaired 2F1 for all
            forms = ((euler, hyp2f1, True), (~euler, hyp2f1, False))
        for form, f21, euler_form in forms:
            if (k := _cells(form)) is None:
                continue
            if euler_form:
                out[k] = e[k] * L[k] + np.log(f21(c[k] - r[k], e[k], c[k], z[k]))
            else:
                out[k] = r[k] * L[k] + np.log(f21(r[k], b[k], c[k], z[k]))
        missing = ~np.isfinite(out)
        if not np.count_nonzero(missing):
            return out
        gap = r - e
        near = high & missing & (np.abs(gap - np.rint(gap)) > 0.25 * _STEP) & (e != 0)
        if (k := _cells(near)) is not None:
            out[k] = _log_pfaff_near_one(r[k], e[k], c[k], z[k])
        for part, f21 in ((~high, hyp2f1), (high, _scipy_hyp2f1)):
            if (k := _cells(part & ~np.isfinite(out))) is not None:  # the other closed form
                out[k] = np.where(
                    euler[k],
                    r[k] * L[k] + np.log(f21(r[k], b[k], c[k], z[k])),
                    e[k] * L[k] + np.log(f21(c[k] - r[k], e[k], c[k], z[k])),
                )
        bad = ~np.isfinite(out) & high & (e != 0)
        if (k := _cells(bad)) is not None:  # the connection formula however much it cancels
            out[k] = _log_pfaff_near_one(r[k], e[k], c[k], z[k], strict=False)
    return out


def log_pfaff(r: np.ndarray, b: np.ndarray, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``log[(1-z)^r 2F1(r, b; c; z)]`` for ``r, b, c > 0``, ``c - b > -1``, ``0 <= z < 1``,
    broadcast (see :func:`_log_pfaff_direct` for the forms used).

    Gauss's logarithmic case, ``c - r - b`` within ``_STEP / 2`` of an integer with
    ``z > 0.9``, where scipy's transformation to ``1 - z`` loses its digits
    (2F1(101, 0.01; 101.01; 0.999) comes out 0.47 instead of 1.07) and the connection
    formula divides by zero, is stepped around: the value, smooth in ``c``, is the
    degree-5 polynomial through its values at ``c + k _STEP``, ``k = +/-1, +/-2, +/-3``
    (interpolation error about ``(_STEP d/dc)^6 / 20``).

    Checked against mpmath through MBG/NBD's P(alive) and P(purchase) of a new customer
    (r, alpha, a, b each in 0.01..100, ages and windows up to 1,000): 4e-9 relative,
    except where r, a and b are all near 100 and ``z`` near 1, close to the logarithmic
    case, where values below 1e-190 can be off by up to 5% relative.
    """
    shape, (r, b, c, z) = flat_broadcast(r, b, c, z)
    high = z > _LOG_CASE_Z
    if not np.count_nonzero(high):  # no cell near z = 1, none in the logarithmic case
        return _log_pfaff_direct(r, b, c, z, high).reshape(shape)
    gap = c - r - b
    bridged = (
        (np.abs(gap - np.rint(gap)) < 0.5 * _STEP)
        & high
        & (c - b > 3 * _STEP - 1.0)
        & (c > 3 * _STEP)
    )
    if not np.count_nonzero(bridged):
        return _log_pfaff_direct(r, b, c, z, high).reshape(shape)
    out = np.empty(r.size)
    if (k := _cells(~bridged)) is not None:
        out[k] = _log_pfaff_direct(r[k], b[k], c[k], z[k])
    if (k := _cells(bridged)) is not None:
        acc = np.zeros(r[k].size)
        for node, weight in _NODES:
            acc += weight * _log_pfaff_direct(r[k], b[k], c[k] + node * _STEP, z[k])
        lost = ~np.isfinite(acc)
        if lost.any():  # a node failed: the point itself, as well as it goes
            idx = np.flatnonzero(bridged)[lost]
            acc[lost] = _log_pfaff_direct(r[idx], b[idx], c[idx], z[idx])
        out[k] = acc
    return out.reshape(shape)


def _q_closed(r: np.ndarray, eps: np.ndarray, c: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``(1 - G)/eps`` from the closed form ``log G`` (:func:`log_pfaff` with
    ``b = c - eps``), ``eps = a - 1`` away from 0 (1-d arrays).

    Where ``G`` is provably below ``e^-42`` (``a > 1``, horizon long against ``1/(r u)``;
    :func:`_log_g_bound`) it is taken as 0 without evaluating 2F1.
    """
    with np.errstate(all="ignore"):
        # the bound holds for a > 1 only, and can fall below e^-42 only if
        # (1 + u/2)^(-r) does (u = z/(1-z))
        todo = None  # every cell
        rising = eps > 0.0
        if np.count_nonzero(rising):
            maybe = rising & (r * np.log1p(0.5 * z / (1.0 - z)) > -_LOG_NEGLIGIBLE)
            if (k := _cells(maybe)) is not None:
                todo = np.ones(z.shape, dtype=bool)
                todo[k] = _log_g_bound(r[k], eps[k], c[k] - eps[k], z[k]) >= _LOG_NEGLIGIBLE
        if todo is None:
            log_g = log_pfaff(r, c - eps, c, z)
        else:
            log_g = np.full(z.shape, -np.inf)
            if (k := _cells(todo)) is not None:
                log_g[k] = log_pfaff(r[k], c[k] - eps[k], c[k], z[k])
        # nothing evaluates: for a > 1, G = E[(1 + u s)^(-r)] over s ~ Beta(a-1, b) has
        # fallen towards 0
        finite = np.isfinite(log_g)
        if np.count_nonzero(finite) < finite.size:
            log_g = np.where(finite | (eps <= 0.0), log_g, -np.inf)
        return np.asarray(-np.expm1(log_g) / eps)


def expected_count(
    r: np.ndarray | float,
    alpha: np.ndarray | float,
    a: np.ndarray | float,
    b: np.ndarray | float,
    t: np.ndarray | float,
) -> np.ndarray:
    """E[X(t)] (FHL 2005, eq. 9), broadcast over all arguments; 0 at ``t = 0``."""
    shape, (r, alpha, a, b, t) = flat_broadcast(r, alpha, a, b, t)
    c = a + b - 1.0
    u = t / alpha
    z = t / (alpha + t)
    eps = a - 1.0
    bound = u * np.maximum(1.0, r / c) * np.maximum(1.0, eps)
    short = (bound <= _SERIES_RATIO) & (np.abs(eps) * r * u < _CLOSED_FROM * c)
    # the removable singularity a = 1 is stepped around
    near_one = np.abs(eps) < 0.5 * _STEP
    if not np.count_nonzero(short) and not np.count_nonzero(near_one):
        # every cell in the closed form (one customer's weekly curve, as a rule)
        return np.asarray((c * _q_closed(r, eps, c, z)).reshape(shape))
    q = np.empty(r.size)
    if (k := _cells(short)) is not None:
        q[k] = _q_series(r[k], a[k], c[k], u[k])
    bridged = ~short & near_one
    if (k := _cells(~short & ~bridged)) is not None:
        q[k] = _q_closed(r[k], eps[k], c[k], z[k])
    if (k := _cells(bridged)) is not None:
        acc = np.zeros(r[k].size)
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
    """P(X(t) = n) (FHL 2005, eq. 8), broadcast over all arguments; sums to 1 over n.

    For ``n = 0`` alone (no purchase in a window, what lifecycle stages ask) only
    ``(alpha/(alpha+t))^r`` is left: the beta and gamma terms cancel exactly, so it is
    computed without them, to the same bits.
    """
    r, alpha, a, b, n, t = _f64(r, alpha, a, b, n, t)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_keep = np.log(alpha) - np.log(alpha + t)  # log of alpha/(alpha+t)
        if n.ndim == 0 and n == 0.0:
            out = np.empty(np.broadcast(r, log_keep, a, b).shape)
            out[...] = np.exp(r * log_keep)
            return out
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
