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
        Distinct repeat-purchase counts (all >= 1) and the total weight at each.
    s, x, w, wx : (n,) arrays
        Per row: total repeat spend ``x * m``, ``x``, the weight and ``w * x``.
    sum_w_x_log_m, sum_w_log_m, sum_w_x_log_x : float
        Parameter-free sums of the likelihood.
    total_weight : float
    """

    x_values: np.ndarray
    W_x: np.ndarray
    s: np.ndarray
    x: np.ndarray
    w: np.ndarray
    wx: np.ndarray
    sum_w_x_log_m: float
    sum_w_log_m: float
    sum_w_x_log_x: float
    total_weight: float


def prepare(x: np.ndarray, m: np.ndarray, weights: np.ndarray) -> GGData:
    """Reduce rows ``(x >= 1, m > 0, weight >= 0)`` to a :class:`GGData`."""
    keep = weights > 0
    if not keep.all():
        x, m, weights = x[keep], m[keep], weights[keep]
    w = weights
    fx = factorize(x)
    W_x = np.bincount(fx.codes, weights=w, minlength=fx.values.size)
    log_m = np.log(m)
    wx = w * x
    return GGData(
        x_values=fx.values,
        W_x=W_x,
        s=x * m,
        x=x,
        w=w,
        wx=wx,
        sum_w_x_log_m=_dot(wx, log_m),
        sum_w_log_m=_dot(w, log_m),
        sum_w_x_log_x=_dot(W_x * fx.values, np.log(fx.values)),  # per distinct x
        total_weight=float(W_x.sum()),
    )


def moment_start(x: np.ndarray, m: np.ndarray, w: np.ndarray, data: GGData) -> np.ndarray | None:
    """Method-of-moments ``(p, q, v)``, a starting point for the likelihood maximisation.

    Given ``nu``, a mean of ``x`` values has mean ``p/nu`` and variance ``p/(x nu^2)``;
    with ``1/nu`` inverse-Gamma(q, v) this gives ``E[m] = mu = p v/(q-1)`` and
    ``Var(m | x) = A/x + B`` with ``A = p v^2/((q-1)(q-2))`` and ``B = mu^2/(q-2)``.
    ``A`` and ``B`` come from a weighted least-squares line through the per-``x``
    variances; ``None`` when the moments do not identify a valid point (e.g. ``q <= 2``).
    """
    codes = factorize(x).codes
    W_x = data.W_x
    if data.x_values.size < 2:
        return None
    mu = _dot(w, m) / data.total_weight
    dev = m - mu
    dev *= dev
    var_x = np.bincount(codes, weights=w * dev, minlength=W_x.size) / np.maximum(W_x, 1e-300)
    # weighted least squares of var_x on (1/x, 1)
    u = 1.0 / data.x_values
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


def loglik_derivatives(
    params: np.ndarray, data: GGData, order: int = 2
) -> tuple[float, np.ndarray, np.ndarray]:
    """Total weighted log-likelihood and its gradient and Hessian in ``(p, q, v)``.

    The only per-row work is ``ln(s + v)``, ``1/(s + v)`` and its square, summed once with
    the weights ``w`` and once with ``w x``: since ``(p x + q) w = p (w x) + q w``, every
    per-row sum of the likelihood and its derivatives is a combination of those six.
    """
    p, q, v = (np.float64(u) for u in params)  # numpy scalars: inf/nan, never raise
    W, xv, Wx = data.total_weight, data.x_values, data.W_x
    w, wx = data.w, data.wx
    pxv = p * xv
    sv = data.s + v
    log_sv = np.log(sv)
    L_wx, L_w = _dot(wx, log_sv), _dot(w, log_sv)
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
    inv_sv = np.reciprocal(sv, out=sv)
    I_wx, I_w = _dot(wx, inv_sv), _dot(w, inv_sv)
    grad[0] = _dot(Wx * xv, psi_pxq - psi(pxv)) + data.sum_w_x_log_m + data.sum_w_x_log_x - L_wx
    grad[1] = _dot(Wx, psi_pxq) - W * psi(q) + W * np.log(v) - L_w
    grad[2] = W * q / v - (p * I_wx + q * I_w)
    if order < 2:
        return ll, grad, hess
    inv_sv2 = np.square(inv_sv, out=inv_sv)
    tri_pxq = polygamma(1, pxv + q)
    hess[0, 0] = _dot(Wx * xv**2, tri_pxq - polygamma(1, pxv))
    hess[0, 1] = _dot(Wx * xv, tri_pxq)
    hess[0, 2] = -I_wx
    hess[1, 1] = _dot(Wx, tri_pxq) - W * float(polygamma(1, q))
    hess[1, 2] = W / v - I_w
    hess[2, 2] = -W * q / v**2 + p * _dot(wx, inv_sv2) + q * _dot(w, inv_sv2)
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
