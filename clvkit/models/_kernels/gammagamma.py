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

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, polygamma, psi

from clvkit.models._kernels.compress import factorize

__all__ = ["GGData", "expected_spend", "loglik_derivatives", "loglik_rows", "prepare"]

N_PARAMS = 3


def _dot(u: np.ndarray, v: np.ndarray) -> float:
    """``u @ v`` without BLAS (see :func:`clvkit.models._kernels.bgnbd._dot`)."""
    return float(np.einsum("i,i->", u, v))


@dataclass(frozen=True)
class GGData:
    """A repeat-buyer cohort reduced to what the Gamma-Gamma likelihood needs.

    Attributes
    ----------
    x_values, W_x : (k,) arrays
        Distinct repeat-purchase counts (all >= 1) and the total weight at each.
    s, x, w : (n,) arrays
        Per row: total repeat spend ``x * m``, ``x`` and the weight.
    sum_w_x_log_m, sum_w_log_m, sum_w_x_log_x : float
        Parameter-free sums of the likelihood.
    total_weight : float
    """

    x_values: np.ndarray
    W_x: np.ndarray
    s: np.ndarray
    x: np.ndarray
    w: np.ndarray
    sum_w_x_log_m: float
    sum_w_log_m: float
    sum_w_x_log_x: float
    total_weight: float


def prepare(x: np.ndarray, m: np.ndarray, weights: np.ndarray) -> GGData:
    """Reduce rows ``(x >= 1, m > 0, weight >= 0)`` to a :class:`GGData`."""
    keep = weights > 0
    x, m, w = x[keep], m[keep], weights[keep]
    fx = factorize(x)
    log_m = np.log(m)
    return GGData(
        x_values=fx.values,
        W_x=np.bincount(fx.codes, weights=w, minlength=fx.values.size),
        s=x * m,
        x=x,
        w=w,
        sum_w_x_log_m=_dot(w, x * log_m),
        sum_w_log_m=_dot(w, log_m),
        sum_w_x_log_x=_dot(w, x * np.log(x)),
        total_weight=float(w.sum()),
    )


def loglik_derivatives(
    params: np.ndarray, data: GGData, order: int = 2
) -> tuple[float, np.ndarray, np.ndarray]:
    """Total weighted log-likelihood and its gradient and Hessian in ``(p, q, v)``."""
    p, q, v = (float(u) for u in params)
    W, xv, Wx = data.total_weight, data.x_values, data.W_x
    w, x = data.w, data.x
    pxv = p * xv
    log_sv = np.log(data.s + v)
    wpxq = w * (p * x + q)
    ll = float(
        _dot(Wx, gammaln(pxv + q) - gammaln(pxv))
        + W * (q * np.log(v) - gammaln(q))
        + p * (data.sum_w_x_log_m + data.sum_w_x_log_x)
        - data.sum_w_log_m
        - _dot(wpxq, log_sv)
    )
    grad = np.zeros(N_PARAMS)
    hess = np.zeros((N_PARAMS, N_PARAMS))
    if order < 1:
        return ll, grad, hess
    psi_pxq = psi(pxv + q)
    inv_sv = 1.0 / (data.s + v)
    wx = w * x
    grad[0] = (
        _dot(Wx * xv, psi_pxq - psi(pxv))
        + data.sum_w_x_log_m
        + data.sum_w_x_log_x
        - _dot(wx, log_sv)
    )
    grad[1] = _dot(Wx, psi_pxq) - W * psi(q) + W * np.log(v) - _dot(w, log_sv)
    grad[2] = W * q / v - _dot(wpxq, inv_sv)
    if order < 2:
        return ll, grad, hess
    tri_pxq = polygamma(1, pxv + q)
    hess[0, 0] = _dot(Wx * xv**2, tri_pxq - polygamma(1, pxv))
    hess[0, 1] = _dot(Wx * xv, tri_pxq)
    hess[0, 2] = -_dot(wx, inv_sv)
    hess[1, 1] = _dot(Wx, tri_pxq) - W * float(polygamma(1, q))
    hess[1, 2] = W / v - _dot(w, inv_sv)
    hess[2, 2] = -W * q / v**2 + _dot(wpxq, inv_sv * inv_sv)
    hess = np.triu(hess) + np.triu(hess, 1).T
    return ll, grad, hess


def loglik_rows(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Log-likelihood of each repeat buyer's mean spend (Fader & Hardie 2013, eq. 3)."""
    p, q, v = (float(u) for u in params)
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
    for ``q > 1``; the public layer checks that.
    """
    p, q, v = (float(u) for u in params)
    return np.asarray(p * (v + x * m) / (p * x + q - 1.0))
