"""The likelihood passes shared by the BG/NBD and MBG/NBD fits.

Both models write a customer's log-likelihood as ``f0 + [softplus(D)]`` (Fader, Hardie &
Lee 2005, eq. 6, for the BG/NBD; Batislam et al. 2007 for the MBG/NBD; see
:mod:`clvkit.models._kernels.bgnbd` and :mod:`clvkit.models._kernels.mbgnbd`)::

    f0 = lnGamma(r+x) - lnGamma(r) + r ln(alpha) + lnGamma(a+b) - lnGamma(b)
         + lnGamma(b+x+k) - lnGamma(a+b+x+k) - (r+x) ln(alpha+T)
    D  = c_x - (r+x) [ln(alpha+t_x) - ln(alpha+T)],    c_x = ln(a) - ln(b+x+k-1)

with ``k = 0`` (BG/NBD, ``softplus(D)`` only for ``x > 0``) or ``k = 1`` (MBG/NBD, every
customer). The terms in ``x`` alone are evaluated once per repeat-purchase count
(:func:`x_terms`); per row, a pass over a :class:`~clvkit.models._kernels.compress.CohortRows`
forms the sums of :func:`softplus_sums` (and, for customers without ``softplus(D)``,
of :func:`log_T_sums`) in cache-sized chunks on threads
(:func:`clvkit.models._kernels.chunks.chunk_sums`), and :func:`row_terms` turns them into
the log-likelihood, gradient and Hessian.

Derivatives of ``softplus(D)`` are ``s dD`` and ``s (1-s) dD dD' + s d2D`` with
``s = expit(D)``; ``dD/dr = -dlog``, ``dD/dalpha = -(r+x) dinv``, ``dD/da = 1/a``,
``dD/db = -ib``, where ``dlog = ln(alpha+t_x) - ln(alpha+T)``,
``dinv = 1/(alpha+t_x) - 1/(alpha+T)`` and ``ib = 1/(b+x+k-1)``; the second derivatives
of ``D`` are ``d2D/dr dalpha = -dinv``, ``d2D/dalpha2 = (r+x) (1/(alpha+t_x)^2 -
1/(alpha+T)^2)``, ``d2D/da2 = -1/a^2`` and ``d2D/db2 = ib^2``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.special import gammaln, polygamma, psi

from clvkit.models._kernels.chunks import chunk_sums
from clvkit.models._kernels.compress import CohortRows
from clvkit.models._kernels.linalg import dot as _dot

__all__ = ["N_SUMS", "log_T_sums", "loglik_derivatives", "row_terms", "softplus_sums", "x_terms"]

#: sums of one chunk by order: :func:`softplus_sums` writes the first N_SUMS[order]
N_SUMS = (6, 10, 23)

Derivatives = tuple[float, np.ndarray, np.ndarray]


def _trigamma(z: np.ndarray | float) -> np.ndarray:
    return np.asarray(polygamma(1, z))


def softplus_sums(
    code: np.ndarray | None,
    tx_all: np.ndarray | None,
    T_all: np.ndarray,
    w_all: np.ndarray | None,
    alpha: float,
    tables: tuple[np.ndarray, np.ndarray, np.ndarray],
    order: int,
) -> Callable[[int, int, np.ndarray], None]:
    """The sums of one chunk of rows that carry ``softplus(D)``, for :func:`chunk_sums`.

    Parameters
    ----------
    code : (m,) intp array or None
        Row index into the tables (None: every row at entry 0).
    tx_all, T_all, w_all : (m,) arrays
        ``t_x`` (None: all 0), ``T`` and the weights (None: all 1).
    alpha : float
    tables : three (kx,) arrays
        ``r + x``, ``c_x`` and ``ib`` per repeat-purchase count.
    order : {0, 1, 2}

    Notes
    -----
    With ``U = alpha + T``, ``u = alpha + t_x``, ``rx = r + x``, ``s = expit(D)``,
    ``v = s (1 - s)`` and ``d1 = rx dinv``, the sums (weighted by ``w``) are, in order:
    ``rx ln U, ln U, rx/U, 1/U, rx/U^2, softplus(D)`` and then ``s, s dlog, s d1, s ib``
    (order >= 1), ``v dlog^2, v dlog d1, v dlog, v dlog ib, v d1^2, v d1, v d1 ib, v,
    v ib, v ib^2, s dinv, s rx (1/u^2 - 1/U^2), s ib^2`` (order 2).
    """
    rx_t, c_t, ib_t = tables
    dot = _dot

    def sums(start: int, stop: int, out: np.ndarray) -> None:
        xc = np.zeros(stop - start, dtype=np.intp) if code is None else code[start:stop]
        w = None if w_all is None else w_all[start:stop]
        U = T_all[start:stop] + alpha
        lU = np.log(U)
        rx = rx_t.take(xc)
        wrx = rx if w is None else w * rx
        out[0] = dot(wrx, lU)
        u = np.full(stop - start, alpha) if tx_all is None else tx_all[start:stop] + alpha
        dlog = np.log(u)
        dlog -= lU  # <= 0
        D = c_t.take(xc)
        tmp = rx * dlog
        D -= tmp
        e = np.abs(D)
        np.negative(e, out=e)
        np.exp(e, out=e)  # exp(-|D|) in (0, 1]
        sp = np.log1p(e)
        np.maximum(D, 0.0, out=tmp)
        sp += tmp
        out[5] = float(sp.sum()) if w is None else dot(w, sp)
        if order < 1:
            return
        out[1] = float(lU.sum()) if w is None else dot(w, lU)
        iU = np.reciprocal(U, out=U)
        out[2] = dot(wrx, iU)
        out[3] = float(iU.sum()) if w is None else dot(w, iU)
        q = e + 1.0
        np.reciprocal(q, out=q)  # 1 / (1 + e)
        # s = expit(D): q where D >= 0, e q where D < 0, i.e. q max(e, [D >= 0])
        ws = np.maximum(e, np.greater_equal(D, 0.0))
        ws *= q
        if w is not None:
            ws *= w
        out[6] = float(ws.sum())
        out[7] = dot(ws, dlog)
        iu = np.reciprocal(u, out=u)
        dinv = iu - iU  # >= 0
        d1 = rx * dinv  # -dD/dalpha
        out[8] = dot(ws, d1)
        ib = ib_t.take(xc)
        out[9] = dot(ws, ib)
        if order < 2:
            return
        np.multiply(wrx, iU, out=tmp)
        out[4] = dot(tmp, iU)
        v = e * q
        v *= q  # s (1 - s) = e / (1 + e)^2 for either sign of D
        if w is not None:
            v *= w
        np.multiply(v, dlog, out=tmp)
        out[10] = dot(tmp, dlog)
        out[11] = dot(tmp, d1)
        out[12] = float(tmp.sum())
        out[13] = dot(tmp, ib)
        np.multiply(v, d1, out=tmp)
        out[14] = dot(tmp, d1)
        out[15] = float(tmp.sum())
        out[16] = dot(tmp, ib)
        out[17] = float(v.sum())
        np.multiply(v, ib, out=tmp)
        out[18] = float(tmp.sum())
        out[19] = dot(tmp, ib)
        out[20] = dot(ws, dinv)
        iu *= iu
        iU *= iU
        iu -= iU  # 1/u^2 - 1/U^2
        np.multiply(ws, rx, out=tmp)
        out[21] = dot(tmp, iu)
        ws *= ib
        out[22] = dot(ws, ib)

    return sums


def log_T_sums(
    T_all: np.ndarray, w_all: np.ndarray | None, alpha: float, order: int
) -> Callable[[int, int, np.ndarray], None]:
    """Per-chunk sums ``w ln U``, ``w/U`` and ``w/U^2`` (``U = alpha + T``), as far as
    ``order`` needs, for rows whose likelihood has no ``softplus(D)``."""
    dot = _dot

    def sums(start: int, stop: int, out: np.ndarray) -> None:
        w = None if w_all is None else w_all[start:stop]
        U = T_all[start:stop] + alpha
        lU = np.log(U)
        out[0] = float(lU.sum()) if w is None else dot(w, lU)
        if order < 1:
            return
        iU = np.reciprocal(U, out=U)
        out[1] = float(iU.sum()) if w is None else dot(w, iU)
        if order < 2:
            return
        wiU = iU if w is None else w * iU
        out[2] = dot(wiU, iU)

    return sums


def x_terms(params: np.ndarray, rows: CohortRows, k: int, order: int) -> Derivatives:
    """``f0`` without its ``T`` term, summed over the cohort per repeat-purchase count.

    ``sum_x W_x [lnGamma(r+x) + lnGamma(b+x+k) - lnGamma(a+b+x+k)]
    + W [-lnGamma(r) + r ln(alpha) + lnGamma(a+b) - lnGamma(b)]`` and its derivatives.
    """
    r, alpha, a, b = (np.float64(v) for v in params)
    xv, Wx, W = rows.x_values, rows.W_x, rows.total_weight
    grad = np.zeros(4)
    hess = np.zeros((4, 4))
    ll = _dot(Wx, gammaln(r + xv) + gammaln(b + xv + k) - gammaln(a + b + xv + k)) + W * float(
        -gammaln(r) + r * np.log(alpha) + gammaln(a + b) - gammaln(b)
    )
    if order < 1:
        return float(ll), grad, hess
    psi_ab = psi(a + b)
    psi_abx = psi(a + b + xv + k)
    grad[0] = _dot(Wx, psi(r + xv)) + W * (np.log(alpha) - psi(r))
    grad[1] = W * r / alpha
    grad[2] = W * psi_ab - _dot(Wx, psi_abx)
    grad[3] = W * (psi_ab - psi(b)) + _dot(Wx, psi(b + xv + k) - psi_abx)
    if order < 2:
        return float(ll), grad, hess
    tri_abx = _trigamma(a + b + xv + k)
    tri_ab = float(_trigamma(a + b))
    hess[0, 0] = _dot(Wx, _trigamma(r + xv)) - W * float(_trigamma(r))
    hess[0, 1] = hess[1, 0] = W / alpha
    hess[1, 1] = -W * r / alpha**2
    hess[2, 2] = W * tri_ab - _dot(Wx, tri_abx)
    hess[2, 3] = hess[3, 2] = hess[2, 2]
    hess[3, 3] = W * (tri_ab - float(_trigamma(b))) + _dot(Wx, _trigamma(b + xv + k) - tri_abx)
    return float(ll), grad, hess


def row_terms(params: np.ndarray, S: np.ndarray, Z: np.ndarray, order: int) -> Derivatives:
    """The rows' part of the log-likelihood and its derivatives, from the pass sums.

    ``S``: the :func:`softplus_sums` (``-(r+x) ln(alpha+T) + softplus(D)`` per row);
    ``Z``: the :func:`log_T_sums` of the rows without ``softplus(D)`` (``x = 0``, so they
    contribute ``-r ln(alpha+T)``); either may be all zeros.
    """
    r, a = np.float64(params[0]), np.float64(params[2])
    grad = np.zeros(4)
    hess = np.zeros((4, 4))
    ll = -S[0] - r * Z[0] + S[5]
    if order < 1:
        return float(ll), grad, hess
    grad[0] = -S[1] - Z[0] - S[7]
    grad[1] = -S[2] - r * Z[1] - S[8]
    grad[2] = S[6] / a
    grad[3] = -S[9]
    if order < 2:
        return float(ll), grad, hess
    hess[0, 0] = S[10]
    hess[0, 1] = -S[3] - Z[1] + S[11] - S[20]
    hess[0, 2] = -S[12] / a
    hess[0, 3] = S[13]
    hess[1, 1] = S[4] + r * Z[2] + S[14] + S[21]
    hess[1, 2] = -S[15] / a
    hess[1, 3] = S[16]
    hess[2, 2] = (S[17] - S[6]) / a**2
    hess[2, 3] = -S[18] / a
    hess[3, 3] = S[19] + S[22]
    hess = np.triu(hess) + np.triu(hess, 1).T
    return float(ll), grad, hess


def loglik_derivatives(
    params: np.ndarray, rows: CohortRows, k: int, order: int
) -> tuple[float, np.ndarray, np.ndarray]:
    """Total weighted log-likelihood of the BG/NBD (``k = 0``: ``softplus(D)`` for repeat
    buyers only) or the MBG/NBD (``k = 1``: for every row), with its gradient and Hessian
    in ``(r, alpha, a, b)`` up to ``order``."""
    r, alpha, a, b = (np.float64(v) for v in params)
    order = min(max(order, 0), 2)
    xv = rows.x_values
    with np.errstate(divide="ignore", invalid="ignore"):
        # BG/NBD: the entry at x = 0 (b - 1 may be <= 0) is never gathered
        inv_bx = np.where(xv + k > 0, 1.0 / (b + xv + (k - 1.0)), 0.0)
        c_x = np.where(xv + k > 0, np.log(a) + np.log(inv_bx), 0.0)
    tables = (r + xv, c_x, inv_bx)
    width = N_SUMS[order]
    S = chunk_sums(
        softplus_sums(rows.rep_code, rows.rep_tx, rows.rep_T, rows.rep_w, alpha, tables, order),
        rows.rep_T.size,
        width,
    )
    Z = np.zeros(3)
    if k == 0:
        Z[: order + 1] = chunk_sums(
            log_T_sums(rows.zero_T, rows.zero_w, alpha, order), rows.zero_T.size, order + 1
        )
    else:  # every row carries softplus(D); those without a repeat purchase at x = t_x = 0
        S += chunk_sums(
            softplus_sums(None, None, rows.zero_T, rows.zero_w, alpha, tables, order),
            rows.zero_T.size,
            width,
        )
    ll0, g0, h0 = x_terms(params, rows, k, order)
    ll1, g1, h1 = row_terms(params, S, Z, order)
    return ll0 + ll1, g0 + g1, h0 + h1
