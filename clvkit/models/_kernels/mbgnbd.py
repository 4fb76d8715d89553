"""MBG/NBD kernels (Batislam, Denizel & Filiztekin 2007; Hoppe & Wagner 2007).

The modified BG/NBD keeps the BG/NBD story (Fader, Hardie & Lee 2005) and adds one
drop-out chance: a customer may also leave right after the *first* purchase, at time 0,
so a customer without a repeat purchase can be dead. Parameters ``(r, alpha, a, b)``:
while alive, purchases are Poisson with rate ``lambda ~ Gamma(r, alpha)`` (``alpha`` a
rate, in the time unit); right after every purchase, the first included, the customer
drops out with probability ``p ~ Beta(a, b)``.

Notation as in :mod:`clvkit.models._kernels.protocol`: ``x`` repeat purchases, the last at
``t_x``, observation length ``T``.

Likelihood (Batislam et al. 2007, section 2; Hoppe & Wagner 2007). Given ``(lambda, p)`` the
customer is either alive at ``T`` (``(1-p)^(x+1) lambda^x e^(-lambda T)``) or left right
after the ``x``-th repeat purchase (``p (1-p)^x lambda^x e^(-lambda t_x)``, ``x = 0``
included: left at time 0). Integrating::

    L = B(a, b+x+1)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+T)^(r+x))
        + B(a+1, b+x)/B(a, b) * Gamma(r+x) alpha^r / (Gamma(r) (alpha+t_x)^(r+x))

In log space ``log L = f0 + softplus(D)``, with ``B(a+1, b+x)/B(a, b+x+1) = a/(b+x)``::

    f0 = lnGamma(r+x) - lnGamma(r) + r ln(alpha) + lnGamma(a+b) - lnGamma(b)
         + lnGamma(b+x+1) - lnGamma(a+b+x+1) - (r+x) ln(alpha+T)
    D  = ln(a) - ln(b+x) - (r+x) [ln(alpha+t_x) - ln(alpha+T)]

Unlike the BG/NBD, ``softplus(D)`` is present for every row, ``x = 0`` included (where
``t_x = 0``, so such rows differ only by ``T``). ``f0`` involves ``x`` and ``T`` only:
its cohort sum reduces to sums over distinct ``x`` and distinct ``T``.

P(alive at T | x, t_x, T) = 1 / (1 + exp(D)) (Batislam et al. 2007, appendix: Bayes'
theorem on the two branches of the likelihood), for every customer.

Given alive at ``T``, the alive branch is proportional to
``(1-p)^(x+1) lambda^x e^(-lambda T)``: the posterior is ``Gamma(r+x, alpha+T)`` for the
rate and ``Beta(a, b+x+1)`` for the drop-out probability, and since drop-out from then on
follows purchases only, the customer's future is that of a BG/NBD customer just acquired
at these parameters (:mod:`clvkit.models._kernels.nbd_dropout`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betainc, betaln, expit, gammaln, polygamma, psi

from clvkit.models._kernels.compress import compress_rows
from clvkit.models._kernels.linalg import dot as _dot
from clvkit.models._kernels.nbd_dropout import expected_count, log_pfaff, probability_count
from clvkit.models._kernels.simulation import (
    first_order_statistics,
    last_order_statistic,
    last_times,
)

__all__ = [
    "N_PARAMS",
    "MBGData",
    "expected_purchases_alive",
    "expected_purchases_new",
    "identifiability_problem",
    "initial_params",
    "loglik_derivatives",
    "loglik_rows",
    "prepare",
    "probability_alive",
    "probability_alive_new",
    "probability_n_purchases_alive",
    "probability_n_purchases_new",
    "probability_purchase_new",
    "simulate",
]

N_PARAMS = 4


def _trigamma(z: np.ndarray | float) -> np.ndarray:
    return np.asarray(polygamma(1, z))


def _unpack(params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    p = np.asarray(params, dtype=np.float64)
    return p[0], p[1], p[2], p[3]


@dataclass(frozen=True)
class MBGData:
    """An MBG/NBD cohort reduced to what the likelihood needs.

    Attributes
    ----------
    x_values, W_x : (kx,) arrays
        Distinct repeat-purchase counts and the total weight at each.
    T_values, W_T, SX_T : (kT,) arrays
        Distinct ``T`` values, the total weight at each, and the weighted sum of ``x``
        at each.
    tx_values : (ktx,) array
        Distinct recency values.
    row_x, row_x_code, row_tx_code, row_T_code, row_w : (m,) arrays
        The distinct rows ``(x, t_x, T)``: ``x`` itself, codes into ``x_values``,
        ``tx_values`` and ``T_values``, and the summed weight.
    total_weight : float
        Sum of all weights (the effective number of customers).
    n_distinct : int
        Number of distinct ``(x, t_x, T)`` rows.
    """

    x_values: np.ndarray
    W_x: np.ndarray
    T_values: np.ndarray
    W_T: np.ndarray
    SX_T: np.ndarray
    tx_values: np.ndarray
    row_x: np.ndarray
    row_x_code: np.ndarray
    row_tx_code: np.ndarray
    row_T_code: np.ndarray
    row_w: np.ndarray
    total_weight: float
    n_distinct: int


# -- fitting -------------------------------------------------------------------------------
def prepare(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, weights: np.ndarray) -> MBGData:
    """Compress validated ``(x, t_x, T, weights)`` rows into an :class:`MBGData`.

    Identical rows become one weighted row (:func:`clvkit.models._kernels.compress.compress_rows`);
    the per-``x`` and per-``T`` weights then come from the distinct rows. Rows of weight 0
    are dropped.
    """
    rows = compress_rows(
        (np.asarray(x, np.float64), np.asarray(t_x, np.float64), np.asarray(T, np.float64)),
        np.asarray(weights, np.float64),
    )
    fx, ftx, fT = rows.columns
    w = rows.weights
    kx, kT = fx.values.size, fT.values.size
    row_x = fx.values[fx.codes]
    W_x = np.bincount(fx.codes, weights=w, minlength=kx)
    return MBGData(
        x_values=fx.values,
        W_x=W_x,
        T_values=fT.values,
        W_T=np.bincount(fT.codes, weights=w, minlength=kT),
        SX_T=np.bincount(fT.codes, weights=w * row_x, minlength=kT),
        tx_values=ftx.values,
        row_x=row_x,
        row_x_code=fx.codes,
        row_tx_code=ftx.codes,
        row_T_code=fT.codes,
        row_w=w,
        total_weight=float(W_x.sum()),
        n_distinct=int(w.size),
    )


def loglik_derivatives(
    params: np.ndarray, data: MBGData, order: int = 2
) -> tuple[float, np.ndarray, np.ndarray]:
    """Total weighted log-likelihood and its gradient and Hessian in ``(r, alpha, a, b)``.

    ``f0`` is summed over distinct ``x`` and distinct ``T``; ``softplus(D)`` over the
    distinct rows, with every special function evaluated once per distinct value and
    gathered. Derivatives of ``softplus(D)``: ``s dD`` for the gradient and
    ``s (1-s) dD dD' + s d2D`` for the Hessian, ``s = expit(D)``, where
    ``dD/dr = -dlog``, ``dD/dalpha = -(r+x) dinv``, ``dD/da = 1/a``, ``dD/db = -1/(b+x)``,
    ``dlog = ln(alpha+t_x) - ln(alpha+T)`` and ``dinv = 1/(alpha+t_x) - 1/(alpha+T)``.

    Parameters
    ----------
    params : (4,) array
        ``r, alpha, a, b``, all > 0.
    data : MBGData
        The compressed cohort.
    order : {0, 1, 2}
        Highest derivative order to compute; lower orders return zero arrays.

    Returns
    -------
    loglik : float
    gradient : (4,) array
    hessian : (4, 4) array
    """
    # numpy scalars: an overflow far out on the surface gives inf/nan, which the driver
    # rejects, instead of a Python exception
    r, alpha, a, b = (np.float64(v) for v in params)
    W = data.total_weight
    xv, Wx = data.x_values, data.W_x
    Tv, WT, SXT = data.T_values, data.W_T, data.SX_T
    log_aT = np.log(alpha + Tv)
    kx = xv.size

    ll = (
        _dot(Wx, gammaln(r + xv) + gammaln(b + xv + 1.0) - gammaln(a + b + xv + 1.0))
        + W * float(-gammaln(r) + r * np.log(alpha) + gammaln(a + b) - gammaln(b))
        - _dot(r * WT + SXT, log_aT)
    )
    xr, wr, xc = data.row_x, data.row_w, data.row_x_code
    tc, Tc = data.row_tx_code, data.row_T_code
    c_x = np.log(a) - np.log(b + xv)
    dlog = np.log(alpha + data.tx_values).take(tc)
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
        return float(ll), grad, hess

    inv_aT = 1.0 / (alpha + Tv)
    psi_ab = psi(a + b)
    psi_abx = psi(a + b + xv + 1.0)
    grad[0] = _dot(Wx, psi(r + xv)) + W * (np.log(alpha) - psi(r)) - _dot(WT, log_aT)
    grad[1] = W * r / alpha - _dot(r * WT + SXT, inv_aT)
    grad[2] = W * psi_ab - _dot(Wx, psi_abx)
    grad[3] = W * (psi_ab - psi(b)) + _dot(Wx, psi(b + xv + 1.0) - psi_abx)

    q = e + 1.0
    np.reciprocal(q, out=q)
    ws = np.where(D >= 0.0, q, e * q)  # s = expit(D) for either sign of D
    ws *= wr
    inv_atx_v = 1.0 / (alpha + data.tx_values)
    dinv = inv_atx_v.take(tc)
    dinv -= inv_aT.take(Tc)  # >= 0
    inv_bx = 1.0 / (b + xv)
    d1 = rx * dinv  # -dD/dalpha
    ws_x = np.bincount(xc, weights=ws, minlength=kx)
    sum_ws = float(ws_x.sum())
    grad[0] -= _dot(ws, dlog)
    grad[1] -= _dot(ws, d1)
    grad[2] += sum_ws / a
    grad[3] -= _dot(ws_x, inv_bx)
    if order < 2:
        return float(ll), grad, hess

    tri_abx = _trigamma(a + b + xv + 1.0)
    tri_ab = float(_trigamma(a + b))
    hess[0, 0] = _dot(Wx, _trigamma(r + xv)) - W * float(_trigamma(r))
    hess[0, 1] = W / alpha - _dot(WT, inv_aT)
    hess[1, 1] = -W * r / alpha**2 + _dot(r * WT + SXT, inv_aT**2)
    hess[2, 2] = W * tri_ab - _dot(Wx, tri_abx)
    hess[2, 3] = hess[2, 2]
    hess[3, 3] = W * (tri_ab - float(_trigamma(b))) + _dot(Wx, _trigamma(b + xv + 1.0) - tri_abx)

    v = (wr * e) * (q * q)  # w s (1-s) = w e / (1+e)^2 for either sign of D
    vd0 = v * dlog  # v * (-dD/dr)
    vd1 = v * d1  # v * (-dD/dalpha)
    v_x = np.bincount(xc, weights=v, minlength=kx)
    vd0_x = np.bincount(xc, weights=vd0, minlength=kx)
    vd1_x = np.bincount(xc, weights=vd1, minlength=kx)
    hess[0, 0] += _dot(vd0, dlog)
    hess[0, 1] += _dot(vd0, d1)
    hess[0, 2] -= float(vd0_x.sum()) / a
    hess[0, 3] += _dot(vd0_x, inv_bx)
    hess[1, 1] += _dot(vd1, d1)
    hess[1, 2] -= float(vd1_x.sum()) / a
    hess[1, 3] += _dot(vd1_x, inv_bx)
    hess[2, 2] += float(v_x.sum()) / a**2
    hess[2, 3] -= _dot(v_x, inv_bx) / a
    hess[3, 3] += _dot(v_x, inv_bx**2)
    # s d2D: d2D/dr dalpha = -dinv, d2D/dalpha2 = (r+x) (1/(alpha+t_x)^2 - 1/(alpha+T)^2),
    # d2D/da2 = -1/a^2, d2D/db2 = 1/(b+x)^2
    dinv2 = (inv_atx_v**2).take(tc)
    dinv2 -= (inv_aT**2).take(Tc)
    hess[0, 1] -= _dot(ws, dinv)
    hess[1, 1] += _dot(ws * rx, dinv2)
    hess[2, 2] -= sum_ws / a**2
    hess[3, 3] += _dot(ws_x, inv_bx**2)
    hess = np.triu(hess) + np.triu(hess, 1).T
    return float(ll), grad, hess


def initial_params(data: MBGData) -> np.ndarray:
    """``(1, 1/rate, 1, 1)``: ``alpha`` from the pooled repeat-purchase rate, the rest neutral."""
    total_x = float(data.W_x @ data.x_values)
    total_T = float(data.W_T @ data.T_values)
    rate = max(total_x, 0.5) / max(total_T, 1e-12)
    return np.array([1.0, 1.0 / rate, 1.0, 1.0])


def identifiability_problem(data: MBGData) -> str | None:
    """Why the unpenalised estimate does not exist, or None.

    Without a repeat purchase the likelihood rises towards 1 as every customer is made to
    drop out at the first purchase (``a/(a+b)`` to 1); with no observed time every
    customer has ``x = 0``, the same; with a single distinct history four parameters
    cannot be told apart.
    """
    n = data.total_weight
    if float(data.W_T @ data.T_values) == 0.0:
        return f"it needs observed time: all {n:g} customers have T = 0."
    if float(data.W_x @ data.x_values) == 0.0:
        return (
            f"it needs at least one repeat purchase: all {n:g} customers have frequency 0, "
            "so the likelihood rises without bound towards every customer leaving at the "
            "first purchase."
        )
    if data.n_distinct == 1:
        return (
            f"it got {n:g} customer(s) with one and the same (frequency, recency, T): "
            "four parameters cannot be identified from a single distinct history."
        )
    return None


# -- per customer --------------------------------------------------------------------------
def _log_odds_dead(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """``D = ln(a/(b+x)) + (r+x) ln((alpha+T)/(alpha+t_x))``: log odds of dead vs alive."""
    r, alpha, a, b = _unpack(params)
    x, t_x, T = (np.asarray(v, np.float64) for v in (x, t_x, T))
    return np.asarray(
        np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    )


def loglik_rows(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Log-likelihood of each history (Batislam et al. 2007), broadcast over params."""
    r, alpha, a, b = _unpack(params)
    x, t_x, T = (np.asarray(v, np.float64) for v in (x, t_x, T))
    f0 = (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + gammaln(a + b)
        - gammaln(b)
        + gammaln(b + x + 1.0)
        - gammaln(a + b + x + 1.0)
        - (r + x) * np.log(alpha + T)
    )
    return np.asarray(f0 + np.logaddexp(0.0, _log_odds_dead(params, x, t_x, T)))


def probability_alive(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """P(alive at T | x, t_x, T) = 1/(1 + exp(D)) (Batislam et al. 2007, appendix).

    Below 1 for customers without a repeat purchase too: ``a/b (alpha+T)^r/alpha^r`` are
    the odds that they left at the first purchase.
    """
    return np.asarray(expit(-_log_odds_dead(params, x, t_x, T)))


def expected_purchases_alive(
    params: np.ndarray, x: np.ndarray, T: np.ndarray, t: np.ndarray | float
) -> np.ndarray:
    """E[purchases in (T, T+t] | x, T, alive at T] (the conditional expectation of
    Batislam et al. 2007 as corrected by Wagner & Hoppe 2008, without its P(alive) factor).

    The BG/NBD count of a customer just acquired (FHL 2005, eq. 9) at the posterior
    parameters ``(r+x, alpha+T, a, b+x+1)``::

        (a+b+x)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x+1; a+b+x; z)],
        z = t/(alpha+T+t),

    evaluated by :func:`clvkit.models._kernels.nbd_dropout.expected_count` (short-horizon
    series, the removable singularity ``a = 1`` and the logarithmic case handled there).
    Depends on ``(x, T)`` only, never on ``t_x``.
    """
    r, alpha, a, b = _unpack(params)
    x, T = np.asarray(x, np.float64), np.asarray(T, np.float64)
    return expected_count(r + x, alpha + T, a, b + x + 1.0, t)


def probability_n_purchases_alive(
    params: np.ndarray,
    n: np.ndarray | int,
    x: np.ndarray,
    T: np.ndarray,
    t: np.ndarray | float,
) -> np.ndarray:
    """P(n purchases in (T, T+t] | x, T, alive at T).

    The BG/NBD count distribution of a customer just acquired (FHL 2005, eq. 8) at the
    posterior parameters ``(r+x, alpha+T, a, b+x+1)``
    (:func:`clvkit.models._kernels.nbd_dropout.probability_count`).
    """
    r, alpha, a, b = _unpack(params)
    x, T = np.asarray(x, np.float64), np.asarray(T, np.float64)
    return probability_count(r + x, alpha + T, a, b + x + 1.0, n, t)


# -- a customer just acquired --------------------------------------------------------------
def expected_purchases_new(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """E[X(t)] for a customer just acquired (Batislam et al. 2007)::

        b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]

    which is ``b/(a+b)`` (still alive after the first purchase) times the alive count of
    :func:`expected_purchases_alive` at ``x = 0, T = 0``.
    """
    r, alpha, a, b = _unpack(params)
    return np.asarray(b / (a + b) * expected_count(r, alpha, a, b + 1.0, t))


def probability_n_purchases_new(
    params: np.ndarray, n: np.ndarray | int, t: np.ndarray | float
) -> np.ndarray:
    """P(X(t) = n) for a customer just acquired (Batislam et al. 2007)::

        B(a, b+n+1)/B(a, b) NB(n; r, alpha/(alpha+t))
        + B(a+1, b+n)/B(a, b) I_{t/(alpha+t)}(n, r)        (I = 1 at n = 0)

    ``NB(j; r, q) = Gamma(r+j)/(Gamma(r) j!) q^r (1-q)^j``; the bracket of the paper,
    ``1 - (alpha/(alpha+t))^r sum_{j<n} ...``, is the negative binomial's upper tail,
    the regularised incomplete beta function ``I``. Derivation: with ``N`` the Poisson
    count in ``(0, t]`` and ``K`` the repeat purchases made before leaving
    (``P(K = k) = p (1-p)^k``, ``k >= 0``), ``X = min(N, K)`` and
    ``P(X = n) = P(N = n) P(K > n) + P(N >= n) P(K = n)``.
    """
    r, alpha, a, b = _unpack(params)
    n = np.asarray(n, np.float64)
    t = np.asarray(t, np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_keep = np.log(alpha) - np.log(alpha + t)
        log_q = np.log(t) - np.log(alpha + t)  # -inf at t = 0
        nb_log = (
            gammaln(r + n)
            - gammaln(r)
            - gammaln(n + 1.0)
            + r * log_keep
            + np.where(n > 0, n * log_q, 0.0)
        )
        first = np.exp(betaln(a, b + n + 1.0) - betaln(a, b) + nb_log)
        tail = np.where(n > 0, betainc(np.maximum(n, 1.0), r, np.exp(log_q)), 1.0)
        second = np.exp(betaln(a + 1.0, b + n) - betaln(a, b)) * tail
    return np.asarray(first + second)


def probability_alive_new(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """P(a customer acquired at 0 is alive at age t), unconditional on the purchases.

    Derived: given ``(lambda, p)`` the customer survives the first purchase with
    probability ``1-p`` and each of the Poisson(lambda t) later ones likewise, so
    ``P = E[(1-p) exp(-lambda p t)]``. Over ``lambda ~ Gamma(r, alpha)``:
    ``E[(1-p) (alpha/(alpha + p t))^r]``; over ``p ~ Beta(a, b)``, ``(1-p)`` turns the
    density into ``b/(a+b) Beta(a, b+1)`` and Euler's integral with Pfaff's transformation
    gives::

        b/(a+b) (alpha/(alpha+t))^r 2F1(r, b+1; a+b+1; t/(alpha+t))
    """
    r, alpha, a, b = _unpack(params)
    t = np.asarray(t, np.float64)
    return np.asarray(b / (a + b) * np.exp(log_pfaff(r, b + 1.0, a + b + 1.0, t / (alpha + t))))


def probability_purchase_new(
    params: np.ndarray, t1: np.ndarray | float, t2: np.ndarray | float
) -> np.ndarray:
    """P(a customer acquired at 0 makes at least one repeat purchase in (t1, t2]).

    Derived: given ``(lambda, p)``, the customer is alive at ``t1`` with probability
    ``(1-p) exp(-lambda p t1)`` (:func:`probability_alive_new`) and, alive, buys in the
    window unless the Poisson process is silent for ``t2 - t1``; a dead customer never
    buys. So ``P = E[(1-p) e^(-lambda p t1)] - E[(1-p) e^(-lambda (p t1 + t2 - t1))]``.
    Over ``lambda``: ``E[e^(-lambda s)] = (alpha/(alpha+s))^r``; the second term is
    ``(alpha/(alpha+t2-t1))^r E[(1-p) (1 + p y')^(-r)]``, ``y' = t1/(alpha+t2-t1)``, and
    over ``p`` as in :func:`probability_alive_new`::

        P = b/(a+b) [S(t1) - (alpha/(alpha+t2))^r 2F1(r, b+1; a+b+1; t1/(alpha+t2))],
        S(t1) = (alpha/(alpha+t1))^r 2F1(r, b+1; a+b+1; t1/(alpha+t1)),

    computed as ``S(t1) (1 - exp(log(second) - log(S(t1))))`` with ``expm1``, which is
    exact at ``t1 = 0`` (``b/(a+b) (1 - (alpha/(alpha+t2))^r)``) and 0 at ``t2 = t1``.
    ``0 <= t1 <= t2``, any broadcastable shapes.
    """
    r, alpha, a, b = _unpack(params)
    t1 = np.asarray(t1, np.float64)
    t2 = np.asarray(t2, np.float64)
    log_first = log_pfaff(r, b + 1.0, a + b + 1.0, t1 / (alpha + t1))
    y = t1 / (alpha + t2)
    # (alpha/(alpha+t2))^r 2F1(..; y) = (alpha/(alpha+t2-t1))^r (1-y)^r 2F1(..; y)
    log_second = r * (np.log(alpha) - np.log(alpha + (t2 - t1))) + log_pfaff(
        r, b + 1.0, a + b + 1.0, y
    )
    with np.errstate(invalid="ignore"):
        drop = np.minimum(log_second - log_first, 0.0)
    # where even S(t1) underflows the probability is 0
    drop = np.where(np.isfinite(log_first), drop, 0.0)
    p = b / (a + b) * np.exp(log_first) * -np.expm1(drop)
    return np.asarray(np.clip(p, 0.0, 1.0))


# -- simulation ----------------------------------------------------------------------------
def simulate(
    rng: np.random.Generator, params: np.ndarray, T: np.ndarray, times: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Histories drawn from the MBG/NBD story (Batislam et al. 2007, section 2).

    ``lambda ~ Gamma(r, alpha)``, ``p ~ Beta(a, b)``; the customer leaves right after the
    first purchase with probability ``p`` and after each repeat purchase likewise, so the
    number of repeat purchases made before leaving is ``K = Geometric(p) - 1`` (``K = 0``:
    left at time 0). With ``N ~ Poisson(lambda T)`` the observed count is
    ``x = min(K, N)`` and the customer is alive at ``T`` when ``K > N``. Given ``N`` the
    purchase times are uniform order statistics on ``(0, T]``, of which the first ``x``
    are seen: the recency is the ``x``-th, ``T Beta(x, N - x + 1)``.
    """
    r, alpha, a, b = (float(v) for v in params)
    T = np.asarray(T, np.float64)
    n = T.size
    lam = rng.gamma(shape=r, scale=1.0 / alpha, size=n)
    drop = rng.beta(a, b, size=n)
    K = rng.geometric(np.clip(drop, 1e-300, 1.0)) - 1
    N = rng.poisson(lam * T)
    x = np.minimum(K, N)
    alive = K > N
    if times:
        flat = first_order_statistics(rng, x, N, T)
        return x.astype(np.float64), last_times(flat, x), alive, flat
    return x.astype(np.float64), last_order_statistic(rng, x, N, T), alive, None
