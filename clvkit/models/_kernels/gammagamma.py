"""Gamma-Gamma spend kernels (Fader, Hardie & Lee 2005, "RFM and CLV", section 4;
Fader & Hardie 2013, "The Gamma-Gamma model of monetary value").

A repeat buyer's purchase values are Gamma(p, nu) around a customer-level mean p/nu, and
nu is Gamma(q, v) across customers. For a customer with ``x >= 1`` repeat purchases of mean
value ``m`` the likelihood of the observed mean (Fader & Hardie 2013, eq. 3) is::

    ln L = lnGamma(px+q) - lnGamma(px) - lnGamma(q) + q ln v + (px-1) ln m + px ln x
           - (px+q) ln(v + x m)

and the expected value of a future purchase (eq. 5) is::

    E[M | x, m] = p (v + x m) / (p x + q - 1)

a weighted mean of the population mean ``p v / (q - 1)`` and the customer's own mean ``m``.
Terms in ``x`` alone are evaluated once per distinct ``x``; ``ln m`` and ``ln x`` do not
depend on the parameters and are summed once in :func:`prepare`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, polygamma, psi

from clvkit.models._kernels.chunks import chunk_sums
from clvkit.models._kernels.compress import factorize
from clvkit.models._kernels.linalg import dot as _dot

__all__ = [
    "GGData",
    "expected_spend",
    "loglik_derivatives",
    "loglik_rows",
    "moment_start",
    "prepare",
]

N_PARAMS = 3


@dataclass(frozen=True)
class GGData:
    """A repeat-buyer cohort reduced to what the Gamma-Gamma likelihood needs.

    Attributes
    ----------
    x_values, W_x : (k,) arrays
        Repeat-purchase counts (all >= 1) and the total weight at each (0 for a count
        nobody has when the counts are tabulated densely).
    s, x : (n,) arrays
        Per row: total repeat spend ``x * m`` and ``x``.
    w : (n,) array or None
        The weights; None when all are 1.
    sum_w_x_log_m, sum_w_log_m, sum_w_x_log_x : float
        Parameter-free sums of the likelihood.
    total_weight : float
    """

    x_values: np.ndarray
    W_x: np.ndarray
    s: np.ndarray
    x: np.ndarray
    w: np.ndarray | None
    sum_w_x_log_m: float
    sum_w_log_m: float
    sum_w_x_log_x: float
    total_weight: float

    @property
    def wx(self) -> np.ndarray:
        """``w * x`` per row."""
        return self.x if self.w is None else self.w * self.x


def _counts(x: np.ndarray) -> np.ndarray | None:
    """``x`` as integer counts when they are whole numbers below a small table, else None."""
    top = float(x.max(initial=0.0))
    if not (top < 4 * x.size + 65_536 and np.array_equal(np.floor(x), x)):
        return None
    return x.astype(np.intp)


def prepare(x: np.ndarray, m: np.ndarray, weights: np.ndarray | None) -> GGData:
    """Reduce rows ``(x >= 1, m > 0, weight >= 0)`` to a :class:`GGData` (``weights``
    None: all 1). The parameter-free sums run in cache-sized chunks on threads."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    m = np.ascontiguousarray(m, dtype=np.float64)
    w = None
    if weights is not None:
        weights = np.ascontiguousarray(weights, dtype=np.float64)
        keep = weights > 0
        if not keep.all():
            x, m, weights = x[keep], m[keep], weights[keep]
        w = None if bool(np.all(weights == 1.0)) else weights
    counts = _counts(x)
    if counts is not None:
        W_x = np.bincount(counts, weights=w).astype(np.float64)
        x_values = np.arange(W_x.size, dtype=np.float64)
        W_x, x_values = W_x[1:], x_values[1:]  # x >= 1
    else:
        fx = factorize(x)
        x_values = fx.values
        W_x = np.bincount(fx.codes, weights=w, minlength=x_values.size).astype(np.float64)

    def logs(start: int, stop: int, out: np.ndarray) -> None:
        log_m = np.log(m[start:stop])
        xs = x[start:stop]
        if w is None:
            out[0], out[1] = _dot(xs, log_m), float(log_m.sum())
        else:
            ws = w[start:stop]
            out[0], out[1] = _dot(ws * xs, log_m), _dot(ws, log_m)

    sums = chunk_sums(logs, x.size, 2)
    present = W_x > 0
    return GGData(
        x_values=x_values,
        W_x=W_x,
        s=x * m,
        x=x,
        w=w,
        sum_w_x_log_m=float(sums[0]),
        sum_w_log_m=float(sums[1]),
        sum_w_x_log_x=_dot(W_x[present] * x_values[present], np.log(x_values[present])),
        total_weight=float(W_x.sum()),
    )


def moment_start(
    x: np.ndarray, m: np.ndarray, w: np.ndarray | None, data: GGData
) -> np.ndarray | None:
    """Method-of-moments ``(p, q, v)``, a starting point for the likelihood maximisation.

    Given ``nu``, a mean of ``x`` values has mean ``p/nu`` and variance ``p/(x nu^2)``;
    with ``1/nu`` inverse-Gamma(q, v) this gives ``E[m] = mu = p v/(q-1)`` and
    ``Var(m | x) = A/x + B`` with ``A = p v^2/((q-1)(q-2))`` and ``B = mu^2/(q-2)``.
    ``A`` and ``B`` come from a weighted least-squares line through the per-``x``
    variances; ``None`` when the moments do not identify a valid point (e.g. ``q <= 2``).
    The per-``x`` sums of squared deviations run in chunks on threads.
    """
    x = np.ascontiguousarray(x, dtype=np.float64)
    m = np.ascontiguousarray(m, dtype=np.float64)
    present = data.W_x > 0
    if np.count_nonzero(present) < 2:
        return None
    counts = _counts(x)
    table = data.x_values if counts is not None else None
    codes = counts if counts is not None else factorize(x).codes
    width = int(codes.max(initial=0)) + 1
    mu = (float(m.sum()) if w is None else _dot(w, m)) / data.total_weight

    def squares(start: int, stop: int, out: np.ndarray) -> None:
        dev = m[start:stop] - mu
        dev *= dev
        if w is not None:
            dev *= w[start:stop]
        out[:] = np.bincount(codes[start:stop], weights=dev, minlength=width)

    per_code = chunk_sums(squares, x.size, width)
    # dense counts: code c is the count c (the table starts at x = 1)
    ss = per_code[1:] if table is not None else per_code
    W_x, xv = data.W_x[present], data.x_values[present]
    var_x = ss[present] / W_x
    # weighted least squares of var_x on (1/x, 1)
    u = 1.0 / xv
    sw = float(W_x.sum())
    mu_u, mu_v = _dot(W_x, u) / sw, _dot(W_x, var_x) / sw
    suu = _dot(W_x, (u - mu_u) ** 2)
    if not suu > 0:
        return None
    A = _dot(W_x, (u - mu_u) * (var_x - mu_v)) / suu
    B = mu_v - A * mu_u
    if not (A > 0 and B > 0 and mu > 0):
        return None
    q = 2.0 + mu * mu / B
    p = (q - 1.0) * B / A
    v = mu * (q - 1.0) / p
    start = np.array([p, q, v])
    return start if bool(np.all(np.isfinite(start) & (start > 0))) else None


def _row_sums(data: GGData, v: float, order: int) -> Callable[[int, int, np.ndarray], None]:
    """Per-chunk sums of ``ln(s+v)``, ``1/(s+v)`` and ``1/(s+v)^2``, each weighted by
    ``w x`` and by ``w`` (as far as ``order`` needs)."""
    s_all, x_all, w_all = data.s, data.x, data.w

    def sums(start: int, stop: int, out: np.ndarray) -> None:
        xs = x_all[start:stop]
        w = None if w_all is None else w_all[start:stop]
        wx = xs if w is None else w * xs
        sv = s_all[start:stop] + v
        log_sv = np.log(sv)
        out[0] = _dot(wx, log_sv)
        out[1] = float(log_sv.sum()) if w is None else _dot(w, log_sv)
        if order < 1:
            return
        inv = np.reciprocal(sv, out=sv)
        out[2] = _dot(wx, inv)
        out[3] = float(inv.sum()) if w is None else _dot(w, inv)
        if order < 2:
            return
        np.multiply(inv, inv, out=log_sv)
        out[4] = _dot(wx, log_sv)
        out[5] = float(log_sv.sum()) if w is None else _dot(w, log_sv)

    return sums


def loglik_derivatives(
    params: np.ndarray, data: GGData, order: int = 2
) -> tuple[float, np.ndarray, np.ndarray]:
    """Total weighted log-likelihood and its gradient and Hessian in ``(p, q, v)``.

    The only per-row work is ``ln(s + v)``, ``1/(s + v)`` and its square, summed once with
    the weights ``w`` and once with ``w x``: since ``(p x + q) w = p (w x) + q w``, every
    per-row sum of the likelihood and its derivatives is a combination of those six. They
    run in cache-sized chunks on threads (the same bits for any number of threads).
    """
    p, q, v = (np.float64(u) for u in params)  # numpy scalars: inf/nan, never raise
    W, xv, Wx = data.total_weight, data.x_values, data.W_x
    pxv = p * xv
    order = min(max(order, 0), 2)
    S = chunk_sums(_row_sums(data, float(v), order), data.x.size, 2 * order + 2)
    L_wx, L_w = S[0], S[1]
    ll = float(
        _dot(Wx, gammaln(pxv + q) - gammaln(pxv))
        + W * (q * np.log(v) - gammaln(q))
        + p * (data.sum_w_x_log_m + data.sum_w_x_log_x)
        - data.sum_w_log_m
        - (p * L_wx + q * L_w)
    )
    grad = np.zeros(N_PARAMS)
    hess = np.zeros((N_PARAMS, N_PARAMS))
    if order < 1:
        return ll, grad, hess
    psi_pxq = psi(pxv + q)
    I_wx, I_w = S[2], S[3]
    grad[0] = _dot(Wx * xv, psi_pxq - psi(pxv)) + data.sum_w_x_log_m + data.sum_w_x_log_x - L_wx
    grad[1] = _dot(Wx, psi_pxq) - W * psi(q) + W * np.log(v) - L_w
    grad[2] = W * q / v - (p * I_wx + q * I_w)
    if order < 2:
        return ll, grad, hess
    tri_pxq = polygamma(1, pxv + q)
    hess[0, 0] = _dot(Wx * xv**2, tri_pxq - polygamma(1, pxv))
    hess[0, 1] = _dot(Wx * xv, tri_pxq)
    hess[0, 2] = -I_wx
    hess[1, 1] = _dot(Wx, tri_pxq) - W * float(polygamma(1, q))
    hess[1, 2] = W / v - I_w
    hess[2, 2] = -W * q / v**2 + p * S[4] + q * S[5]
    hess = np.triu(hess) + np.triu(hess, 1).T
    return ll, grad, hess


def loglik_rows(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Log-likelihood of each repeat buyer's mean spend (Fader & Hardie 2013, eq. 3)."""
    p, q, v = np.asarray(params, dtype=np.float64)
    px = p * x
    return np.asarray(
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1.0) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(v + x * m)
    )


def expected_spend(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """E[value of one future purchase | x, m] (Fader & Hardie 2013, eq. 5), shape (n,).

    For ``x == 0`` (``m`` ignored) this is the population mean ``p v / (q - 1)``, finite only
    for ``q > 1``; the public layer checks that. Broadcasts over ``params`` of shape
    ``(3, *p)`` as the purchase kernels do.
    """
    p, q, v = np.asarray(params, dtype=np.float64)
    return np.asarray(p * (v + x * m) / (p * x + q - 1.0))


def expected_spend_terms(params: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Fader & Hardie (2013), eq. 5, as ``E[M | x, m] = intercept + slope * m``.

    ``intercept = p v / (p x + q - 1)`` and ``slope = p x / (p x + q - 1)`` depend on ``x``
    alone, so a total of expected spend over customers with the same ``x`` needs only
    their count and the sum of their ``m``. Broadcasts over ``params`` as
    :func:`expected_spend` does.
    """
    p, q, v = np.asarray(params, dtype=np.float64)
    denominator = p * x + q - 1.0
    return np.asarray(p * v / denominator), np.asarray(p * x / denominator)
