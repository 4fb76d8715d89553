"""BG/NBD kernels (Fader, Hardie & Lee 2005, "Counting your customers the easy way").

Notation: a customer made ``x`` repeat purchases, the last at ``t_x`` (recency), and was
observed for ``T`` time units since the first purchase. Parameters are ``(r, alpha, a, b)``:
purchase rates are Gamma(r, alpha) across customers, drop-out probabilities after each
purchase Beta(a, b).

The individual likelihood (paper, eq. 6) is, with ``delta = [x > 0]``::

    L = B(a, b+x)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x))
        + delta * B(a+1, b+x-1)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+t_x)^(r+x))

Written in log space as ``log L = f0 + delta * softplus(D)`` with::

    f0 = lnGamma(r+x) - lnGamma(r) + r ln(alpha) + lnGamma(a+b) - lnGamma(b)
         + lnGamma(b+x) - lnGamma(a+b+x) - (r+x) ln(alpha+T)
    D  = ln(a) - ln(b+x-1) - (r+x) [ln(alpha+t_x) - ln(alpha+T)]

(using B(a+1, b+x-1)/B(a, b+x) = a/(b+x-1)). ``f0`` involves ``x`` and ``T`` only, so its
sum over a cohort reduces to sums over distinct ``x`` and distinct ``T``; only
``softplus(D)`` is evaluated per (distinct) repeat-buyer row. The same ``D`` gives
P(alive) = 1 / (1 + exp(D)) (paper, eq. 13 rewritten) for ``x > 0``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit, gammaln, polygamma, psi

from clvkit.models._kernels.compress import distinct_keys, distinct_pairs, factorize
from clvkit.models._kernels.hyp2f1 import hyp2f1
from clvkit.models._kernels.linalg import dot as _dot

__all__ = [
    "BGData",
    "conditional_expected_purchases",
    "expected_purchases_alive",
    "expected_purchases_new",
    "loglik_derivatives",
    "loglik_rows",
    "prepare",
    "probability_alive",
]

N_PARAMS = 4
_A_NEAR_ONE = 1e-6  # half-width of the band around the removable singularity a = 1


def _trigamma(z: np.ndarray | float) -> np.ndarray:
    return np.asarray(polygamma(1, z))


@dataclass(frozen=True)
class BGData:
    """A BG/NBD cohort reduced to what the likelihood needs.

    Attributes
    ----------
    x_values, W_x : (kx,) arrays
        Distinct repeat-purchase counts and the total weight at each.
    T_values, W_T, SX_T : (kT,) arrays
        Distinct ``T`` values, the total weight at each, and the weighted sum of ``x``
        at each.
    rep_x, rep_x_code, rep_tx_code, rep_T_code, rep_w : (m,) arrays
        Distinct repeat-buyer rows ``(x, t_x, T)`` with ``x > 0``: ``x`` itself, codes into
        ``x_values``, ``tx_values`` and ``T_values``, and the row weight.
    tx_values : (ktx,) array
        Distinct recency values.
    total_weight : float
        Sum of all weights (the effective number of customers).
    n_distinct : int
        Number of distinct ``(x, t_x, T)`` rows the cohort compressed to.
    """

    x_values: np.ndarray
    W_x: np.ndarray
    T_values: np.ndarray
    W_T: np.ndarray
    SX_T: np.ndarray
    rep_x: np.ndarray
    rep_x_code: np.ndarray
    rep_tx_code: np.ndarray
    rep_T_code: np.ndarray
    rep_w: np.ndarray
    tx_values: np.ndarray
    total_weight: float
    n_distinct: int


def prepare(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, weights: np.ndarray) -> BGData:
    """Compress ``(x, t_x, T, weights)`` rows into a :class:`BGData`.

    All inputs are (n,) float64 arrays already validated (``x`` integer-valued and
    ``>= 0``, ``0 <= t_x <= T``, ``t_x == 0`` where ``x == 0``, ``weights >= 0``).

    Rows are compressed on one integer key of the three column codes (see
    :mod:`clvkit.models._kernels.compress`); the per-``x`` and per-``T`` weights then come
    from the distinct rows, and only distinct repeat-buyer rows are kept row-wise.
    """
    keep = weights > 0
    if not keep.all():
        x, t_x, T, weights = x[keep], t_x[keep], T[keep], weights[keep]
    # one mixed-radix key over all rows; x == 0 rows (t_x == 0) collapse to one row per
    # T. Each column's codes are dropped as soon as they are folded into the key.
    fx = factorize(x)
    x_values, key = fx.values, fx.codes.astype(np.int64)
    del fx
    ftx = factorize(t_x)
    tx_values, ktx = ftx.values, ftx.values.size
    key *= ktx
    key += ftx.codes
    del ftx
    fT = factorize(T)
    T_values, kT = fT.values, fT.values.size
    key *= kT
    key += fT.codes
    del fT
    kx = x_values.size
    row_key, row_w = distinct_keys(key, weights)
    del key
    T_code = (row_key % kT).astype(np.intp)
    rest = row_key // kT
    tx_code = (rest % ktx).astype(np.intp)
    x_code = (rest // ktx).astype(np.intp)
    xr = x_values[x_code]
    W_x = np.bincount(x_code, weights=row_w, minlength=kx)
    W_T = np.bincount(T_code, weights=row_w, minlength=kT)
    SX_T = np.bincount(T_code, weights=row_w * xr, minlength=kT)
    rep = xr > 0
    return BGData(
        x_values=x_values,
        W_x=W_x,
        T_values=T_values,
        W_T=W_T,
        SX_T=SX_T,
        rep_x=xr[rep],
        rep_x_code=x_code[rep],
        rep_tx_code=tx_code[rep],
        rep_T_code=T_code[rep],
        rep_w=row_w[rep],
        tx_values=tx_values,
        total_weight=float(W_x.sum()),
        n_distinct=int(row_w.size),
    )


def loglik_derivatives(
    params: np.ndarray, data: BGData, order: int = 2
) -> tuple[float, np.ndarray, np.ndarray]:
    """Total weighted log-likelihood and its gradient and Hessian in ``(r, alpha, a, b)``.

    Terms in ``x`` alone, ``T`` alone or ``t_x`` alone are evaluated once per distinct
    value and gathered; per distinct repeat-buyer row the work is a handful of
    vectorised passes (one ``exp`` and one ``log1p``), and every sum is a non-BLAS dot.

    Parameters
    ----------
    params : (4,) array
        ``r, alpha, a, b``, all > 0.
    data : BGData
        The compressed cohort.
    order : {0, 1, 2}
        Highest derivative order to compute; lower orders return zero arrays.

    Returns
    -------
    loglik : float
    gradient : (4,) array
    hessian : (4, 4) array
    """
    # numpy scalars: an overflow or a division by zero far out on the surface gives inf/nan,
    # which the driver rejects, instead of a Python ZeroDivisionError
    r, alpha, a, b = (np.float64(v) for v in params)
    W = data.total_weight
    xv, Wx = data.x_values, data.W_x
    Tv, WT, SXT = data.T_values, data.W_T, data.SX_T
    log_aT = np.log(alpha + Tv)
    kx = xv.size

    # f0: per distinct x, per distinct T, and constants
    ll = (
        _dot(Wx, gammaln(r + xv) + gammaln(b + xv) - gammaln(a + b + xv))
        + W * float(-gammaln(r) + r * np.log(alpha) + gammaln(a + b) - gammaln(b))
        - _dot(r * WT + SXT, log_aT)
    )
    # softplus(D) over distinct repeat-buyer rows, D = c_x - (r + x) * dlog
    xr, wr, xc = data.rep_x, data.rep_w, data.rep_x_code
    tc, Tc = data.rep_tx_code, data.rep_T_code
    with np.errstate(divide="ignore", invalid="ignore"):
        c_x = np.log(a) - np.log(b + xv - 1.0)  # only x >= 1 entries are gathered
    log_atx_v = np.log(alpha + data.tx_values)
    dlog = log_atx_v.take(tc)
    dlog -= log_aT.take(Tc)  # <= 0
    rx = xr + r
    D = rx * dlog
    np.subtract(c_x.take(xc), D, out=D)
    e = np.abs(D)
    np.negative(e, out=e)
    np.exp(e, out=e)  # exp(-|D|) in (0, 1]
    sp = np.log1p(e)
    sp += np.maximum(D, 0.0)
    ll += _dot(wr, sp)

    grad = np.zeros(N_PARAMS)
    hess = np.zeros((N_PARAMS, N_PARAMS))
    if order < 1:
        return ll, grad, hess

    inv_aT = 1.0 / (alpha + Tv)
    psi_ab = psi(a + b)
    psi_abx = psi(a + b + xv)
    grad[0] = _dot(Wx, psi(r + xv)) + W * (np.log(alpha) - psi(r)) - _dot(WT, log_aT)
    grad[1] = W * r / alpha - _dot(r * WT + SXT, inv_aT)
    grad[2] = W * psi_ab - _dot(Wx, psi_abx)
    grad[3] = W * (psi_ab - psi(b)) + _dot(Wx, psi(b + xv) - psi_abx)

    # s = expit(D) = 1/(1+e) where D >= 0, e/(1+e) where D < 0
    q = e + 1.0
    np.reciprocal(q, out=q)
    s = np.where(D >= 0.0, q, e * q)
    ws = s
    ws *= wr  # w * s
    inv_atx_v = 1.0 / (alpha + data.tx_values)
    dinv = inv_atx_v.take(tc)
    dinv -= inv_aT.take(Tc)  # >= 0
    inv_bx = np.zeros(kx)
    np.divide(1.0, b + xv - 1.0, out=inv_bx, where=xv > 0)
    # dD/dr = -dlog, dD/dalpha = -rx*dinv, dD/da = 1/a, dD/db = -inv_bx[x]
    d1 = rx * dinv  # = -dD/dalpha
    ws_x = np.bincount(xc, weights=ws, minlength=kx)
    sum_ws = float(ws_x.sum())
    grad[0] -= _dot(ws, dlog)
    grad[1] -= _dot(ws, d1)
    grad[2] += sum_ws / a
    grad[3] -= _dot(ws_x, inv_bx)
    if order < 2:
        return ll, grad, hess

    tri_abx = _trigamma(a + b + xv)
    tri_ab = float(_trigamma(a + b))
    hess[0, 0] = _dot(Wx, _trigamma(r + xv)) - W * float(_trigamma(r))
    hess[0, 1] = W / alpha - _dot(WT, inv_aT)
    hess[1, 1] = -W * r / alpha**2 + _dot(r * WT + SXT, inv_aT**2)
    hess[2, 2] = W * tri_ab - _dot(Wx, tri_abx)
    hess[2, 3] = hess[2, 2]
    hess[3, 3] = W * (tri_ab - float(_trigamma(b))) + _dot(Wx, _trigamma(b + xv) - tri_abx)

    # softplus(D): s(1-s) dD_i dD_j + s d2D_ij, v = w s (1 - s)
    v = (wr * e) * (q * q)  # w * s * (1 - s) = w * e / (1 + e)^2 for either sign of D
    vd0 = v * dlog  # v * (-dD0)
    vd1 = v * d1  # v * (-dD1)
    v_x = np.bincount(xc, weights=v, minlength=kx)
    vd0_x = np.bincount(xc, weights=vd0, minlength=kx)
    vd1_x = np.bincount(xc, weights=vd1, minlength=kx)
    sum_v = float(v_x.sum())
    hess[0, 0] += _dot(vd0, dlog)
    hess[0, 1] += _dot(vd0, d1)
    hess[0, 2] -= float(vd0_x.sum()) / a
    hess[0, 3] += _dot(vd0_x, inv_bx)
    hess[1, 1] += _dot(vd1, d1)
    hess[1, 2] -= float(vd1_x.sum()) / a
    hess[1, 3] += _dot(vd1_x, inv_bx)
    hess[2, 2] += sum_v / a**2
    hess[2, 3] -= _dot(v_x, inv_bx) / a
    hess[3, 3] += _dot(v_x, inv_bx**2)
    # second derivatives of D: d2D/dr dalpha = -dinv, d2D/dalpha2 = rx (1/(al+tx)^2 -
    # 1/(al+T)^2), d2D/da2 = -1/a^2, d2D/db2 = 1/(b+x-1)^2
    dinv2 = (inv_atx_v**2).take(tc)
    dinv2 -= (inv_aT**2).take(Tc)
    hess[0, 1] -= _dot(ws, dinv)
    hess[1, 1] += _dot(ws * rx, dinv2)
    hess[2, 2] -= sum_ws / a**2
    hess[3, 3] += _dot(ws_x, inv_bx**2)
    hess = np.triu(hess) + np.triu(hess, 1).T
    return ll, grad, hess


def loglik_rows(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Log-likelihood of each individual row (paper, eq. 6), shape (n,)."""
    r, alpha, a, b = (float(v) for v in params)
    f0 = (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + gammaln(a + b)
        - gammaln(b)
        + gammaln(b + x)
        - gammaln(a + b + x)
        - (r + x) * np.log(alpha + T)
    )
    D = _log_odds_dead(params, x, t_x, T)
    return np.asarray(f0 + np.where(x > 0, np.logaddexp(0.0, D), 0.0))


def _log_odds_dead(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """``D = ln(a/(b+x-1)) + (r+x) ln((alpha+T)/(alpha+t_x))``; -inf where ``x == 0``."""
    r, alpha, a, b = (float(v) for v in params)
    with np.errstate(divide="ignore", invalid="ignore"):
        D = np.log(a) - np.log(b + x - 1.0) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(x > 0, D, -np.inf)


def probability_alive(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """P(alive | x, t_x, T) (paper, eq. 13), computed as ``expit(-D)``; 1 where ``x == 0``."""
    return np.asarray(expit(-_log_odds_dead(params, x, t_x, T)))


def expected_purchases_alive(
    params: np.ndarray, x: np.ndarray, T: np.ndarray, t: np.ndarray | float
) -> np.ndarray:
    """E[purchases in (T, T+t] | x, T, alive at T] (paper, eq. 10 without the P(alive) factor).

    ``(a+b+x-1)/(a-1) * [1 - G]`` with
    ``G = ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)``, ``z = t/(alpha+T+t)``.
    Euler's transformation ``2F1(A,B;C;z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z)`` turns it into
    ``G = (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)``, whose upper parameters do not grow
    with ``x``: the series stays well conditioned for heavy buyers. Depends on ``(x, T)``
    only, never on ``t_x``.

    ``a = 1`` is a removable singularity (0/0); within ``_A_NEAR_ONE / 2`` of it the function,
    smooth in ``a``, is taken as the mean of its values at ``1 -/+ _A_NEAR_ONE``, exact to
    second order.
    """
    a = float(params[2])
    if abs(a - 1.0) < 0.5 * _A_NEAR_ONE:
        below, above = np.array(params, float), np.array(params, float)
        below[2], above[2] = 1.0 - _A_NEAR_ONE, 1.0 + _A_NEAR_ONE
        return 0.5 * (
            expected_purchases_alive(below, x, T, t) + expected_purchases_alive(above, x, T, t)
        )
    r, alpha, b = float(params[0]), float(params[1]), float(params[3])
    x, T, t = np.broadcast_arrays(np.asarray(x, float), np.asarray(T, float), np.asarray(t, float))
    z = t / (alpha + T + t)
    c = a + b + x - 1.0
    G = np.exp((a - 1.0) * np.log1p(-z)) * hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
    return np.asarray(c / (a - 1.0) * (1.0 - G))


def conditional_expected_purchases(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, t: np.ndarray | float
) -> np.ndarray:
    """E[purchases in (T, T+t] | x, t_x, T] (paper, eq. 10): P(alive) times the alive part."""
    return probability_alive(params, x, t_x, T) * expected_purchases_alive(params, x, T, t)


def expected_purchases_new(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """E[X(t)] for a customer just acquired (paper, eq. 9): the alive part at x = 0, T = 0."""
    t_arr = np.asarray(t, float)
    return expected_purchases_alive(params, np.zeros_like(t_arr), np.zeros_like(t_arr), t_arr)


def probability_alive_new(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """P(a customer acquired at 0 is still alive at age t), unconditional on purchases.

    Drop-out happens only right after a repeat purchase, so given (lambda, p) the customer
    survives to t with probability E[(1-p)^N(t)] = exp(-lambda p t). Averaging over
    Gamma(r, alpha) gives (alpha/(alpha + p t))^r, and over Beta(a, b) Euler's integral
    gives 2F1(r, a; a+b; -t/alpha); Pfaff's transformation maps the argument into [0, 1):
    ``(alpha/(alpha+t))^r 2F1(r, b; a+b; t/(alpha+t))``.
    """
    r, alpha, a, b = (float(v) for v in params)
    t = np.asarray(t, float)
    z = t / (alpha + t)
    return np.asarray(np.exp(r * np.log1p(-z)) * hyp2f1(r, b, a + b, z))


def expected_purchases_alive_distinct(
    params: np.ndarray, x: np.ndarray, T: np.ndarray, t: float
) -> np.ndarray:
    """:func:`expected_purchases_alive` evaluated once per distinct ``(x, T)`` pair.

    The hypergeometric term is the costly part of a prediction and depends on ``(x, T)``
    only; a cohort of millions has far fewer distinct pairs.
    """
    ux, uT, inverse = distinct_pairs(x, T)
    if ux.size == x.size:
        return expected_purchases_alive(params, x, T, t)
    return np.asarray(expected_purchases_alive(params, ux, uT, t)[inverse])
