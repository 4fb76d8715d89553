"""BG/BB kernels (Fader, Hardie & Shang 2010, "Customer-base analysis in a discrete-time
noncontractual setting", Marketing Science 29(6), 1086-1108).

Discrete purchase occasions. A customer's first purchase is occasion 0; at each of the
``n`` occasions ``1..n`` that follow, a customer still alive buys with probability
``p ~ Beta(alpha, beta)``; at the start of every occasion an alive customer dies with
probability ``theta ~ Beta(gamma, delta)``, so they are alive at occasion ``j`` with
probability ``(1-theta)^j``.

In the protocol's terms (:mod:`clvkit.models._kernels.protocol`): ``x`` is the number of
occasions with a purchase among ``1..n``, ``t_x`` the last of them (0 if none) and
``T = n``; horizons count future occasions. All three are whole numbers.

Likelihood (as derived in the paper). The customer was either alive at all ``n``
occasions, or alive for exactly ``t_x + i`` of them (``i = 0 .. n - t_x - 1``) and dead
from the next::

    L = B(alpha+x, beta+n-x)/B(alpha, beta) * B(gamma, delta+n)/B(gamma, delta)
        + sum_{i=0}^{n-t_x-1} B(alpha+x, beta+t_x-x+i)/B(alpha, beta)
                              * B(gamma+1, delta+t_x+i)/B(gamma, delta)

Write ``A(x, n)`` for the first term and ``c(x, s)`` for the summand at occasion
``s = t_x + i``. The summands fall with ``s``:
``c(x, s+1)/c(x, s) = rho(x, s) = (beta+s-x)/(alpha+beta+s) * (delta+s)/(gamma+delta+s+1) < 1``,
so the finite sum is ``c(x, t_x) K`` with ``K = sum_i prod_{j<i} rho(x, t_x+j)``, a sum of
terms in ``(0, 1]`` whose first is 1: no overflow, no cancellation, and
``log L = logaddexp(log A, log c(x, t_x) + log K)``.

For the fit, the sums of all distinct rows come from one backward recursion per distinct
``x`` over the occasions, ``U(s) = 1 + rho(s) U(s+1)`` up to the largest ``n``
(``c(s) U(s)`` is the sum of the summands from ``s`` on), so a row's sum is
``c(t_x) [U(t_x) - (c(n)/c(t_x)) U(n)]``; the gradient comes from the same recursion with
each summand weighted by its derivative. A cohort with ``n`` occasions has at most
``(n+1)(n+2)/2`` distinct rows and the work is ``O(distinct x * max n)``, independent of
the number of customers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import betaln, expit, exprel, gammaln, psi

from clvkit.models._kernels.compress import count_rows
from clvkit.models._kernels.gammaratio import lgamma_diff
from clvkit.models._kernels.linalg import dot as _dot

__all__ = [
    "N_PARAMS",
    "BGBBData",
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

_RowFn = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]


def _unpack(params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    p = np.asarray(params, dtype=np.float64)
    return p[0], p[1], p[2], p[3]


@dataclass(frozen=True)
class BGBBData:
    """A BG/BB cohort reduced to its distinct ``(x, t_x, n)`` rows.

    Attributes
    ----------
    x_values : (kx,) int array
        Distinct purchase counts.
    row_x_code : (m,) intp array
        Code of each distinct row's ``x`` in ``x_values``.
    row_x, row_tx, row_n : (m,) int arrays
        The distinct rows.
    row_w : (m,) array
        Summed weight of each distinct row.
    n_max : int
        The largest number of occasions.
    total_weight : float
    n_distinct : int
    """

    x_values: np.ndarray
    row_x_code: np.ndarray
    row_x: np.ndarray
    row_tx: np.ndarray
    row_n: np.ndarray
    row_w: np.ndarray
    n_max: int
    total_weight: float
    n_distinct: int


# -- fitting -------------------------------------------------------------------------------
def prepare(x: np.ndarray, t_x: np.ndarray, T: np.ndarray, weights: np.ndarray | None) -> BGBBData:
    """Compress validated ``(x, t_x, n, weights)`` rows (whole numbers,
    ``0 <= x <= t_x <= n``, ``t_x = 0`` where ``x = 0``) into a :class:`BGBBData`.

    The rows are cells of the small grid of ``(x, t_x, n)`` and are counted into it
    (:func:`clvkit.models._kernels.compress.count_rows`). Rows of weight 0 are dropped;
    ``weights`` None stands for all 1.
    """
    rows, row_w = count_rows((x, t_x, T), weights)
    row_x, row_tx, row_n = (np.rint(v).astype(np.int64) for v in rows)
    x_values, row_x_code = np.unique(row_x, return_inverse=True)
    return BGBBData(
        x_values=x_values,
        row_x_code=row_x_code.reshape(-1).astype(np.intp),
        row_x=row_x,
        row_tx=row_tx,
        row_n=row_n,
        row_w=row_w,
        n_max=int(row_n.max(initial=0)),
        total_weight=float(row_w.sum()),
        n_distinct=int(row_w.size),
    )


def loglik_derivatives(
    params: np.ndarray, data: BGBBData, order: int = 1
) -> tuple[float, np.ndarray, np.ndarray | None]:
    """Total weighted log-likelihood (the paper's likelihood) and its gradient in
    ``(alpha, beta, gamma, delta)``; the Hessian is left to the fitting driver (``None``).

    On the grid of distinct ``x`` by occasions ``s = 0..n_max``, the summands' log values
    are sums of log-gamma terms each depending on one of ``x``, ``s - x`` and ``s``; their
    derivatives likewise (digamma differences). With ``rho`` the ratio of consecutive
    summands, the backward recursion ``Z(s) = g(s) + rho(s) Z(s+1)`` run for ``g = 1``
    (sums) and for ``g`` each derivative of ``log c`` (derivative-weighted sums) gives,
    per row, ``sum_{s=t_x}^{n-1} c(s) g(s) = c(t_x) [Z(t_x) - (c(n)/c(t_x)) Z(n)]``.
    Each row's gradient is the posterior-weighted mean of its terms' derivatives.

    Parameters
    ----------
    params : (4,) array
        ``alpha, beta, gamma, delta``, all > 0.
    data : BGBBData
    order : {0, 1, 2}
        Highest derivative order; at 2 the Hessian is ``None``.

    Returns
    -------
    loglik : float
    gradient : (4,) array
    hessian : None, or a (4, 4) zero array when ``order < 2``
    """
    al, be, ga, de = (np.float64(v) for v in params)
    N = data.n_max
    xv = data.x_values.astype(np.float64)
    s = np.arange(N + 1, dtype=np.float64)
    xc, xr, txr, nr, wr = data.row_x_code, data.row_x, data.row_tx, data.row_n, data.row_w
    # log c(x, s) = lnG(al+x) + lnG(be+s-x) - lnG(al+be+s) + lnG(de+s) - lnG(ga+de+1+s) + const
    lg_x = gammaln(al + xv)
    lg_b = gammaln(be + s)  # indexed by s - x
    lg_ab = gammaln(al + be + s)
    lg_c = gammaln(de + s) - gammaln(ga + de + 1.0 + s)
    lg_a = gammaln(de + s) - gammaln(ga + de + s)
    norm = betaln(al, be) + betaln(ga, de)
    const_c = gammaln(ga + 1.0) - norm
    const_a = gammaln(ga) - norm

    def log_c(code: np.ndarray, x: np.ndarray, occ: np.ndarray) -> np.ndarray:
        return lg_x[code] + lg_b[occ - x] - lg_ab[occ] + lg_c[occ] + const_c

    log_a = lg_x[xc] + lg_b[nr - xr] - lg_ab[nr] + lg_a[nr] + const_a
    has_sum = txr < nr
    log_c_start = log_c(xc, xr, txr)
    log_ratio_end = log_c(xc, xr, nr) - log_c_start  # log(c(n)/c(t_x)) <= 0
    ratio_end = np.exp(log_ratio_end)

    # ratios rho(x, s) = c(x, s+1)/c(x, s) on the grid, 0 where s < x (unused cells)
    sx = s[None, :] - xv[:, None]
    valid = sx >= 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(
            valid,
            (be + sx) / (al + be + s) * ((de + s) / (ga + de + 1.0 + s)),
            0.0,
        )
    n_ch = 1 if order < 1 else 5
    g = np.zeros((n_ch, xv.size, N + 1))
    g[0] = 1.0
    if order >= 1:
        psi_ab0 = psi(al + be)
        psi_gd0 = psi(ga + de)
        psi_ab = psi(al + be + s)
        psi_b = psi(be + np.maximum(sx, 0.0))
        psi_gd1 = psi(ga + de + 1.0 + s)
        g[1] = (psi(al + xv) - psi(al) + psi_ab0)[:, None] - psi_ab[None, :]
        g[2] = psi_b - psi_ab[None, :] - psi(be) + psi_ab0
        g[3] = (psi(ga + 1.0) - psi(ga) + psi_gd0 - psi_gd1)[None, :]
        g[4] = (psi(de + s) - psi(de) + psi_gd0 - psi_gd1)[None, :]
        g *= valid
    Z = np.empty_like(g)
    Z[:, :, N] = g[:, :, N]
    for k in range(N - 1, -1, -1):
        Z[:, :, k] = g[:, :, k] + rho[:, k] * Z[:, :, k + 1]
    K = Z[0, xc, txr] - ratio_end * Z[0, xc, nr]
    K = np.where(has_sum, np.maximum(K, 0.0), 0.0)
    with np.errstate(divide="ignore"):
        log_b = np.where(has_sum, log_c_start + np.log(K), -np.inf)
    log_l = np.logaddexp(log_a, log_b)
    ll = _dot(wr, log_l)
    grad = np.zeros(N_PARAMS)
    if order < 1:
        return float(ll), grad, np.zeros((N_PARAMS, N_PARAMS))

    omega_a = np.exp(log_a - log_l)
    omega_b = 1.0 - omega_a
    safe_K = np.where(has_sum, K, 1.0)
    # derivatives of log A: the alpha, beta parts as for c at s = n; gamma, delta its own
    psi_n = psi(ga + de + nr)
    gA = (
        psi(al + xr) - psi(al) + psi_ab0 - psi(al + be + nr),
        psi(be + nr - xr) - psi(be) + psi_ab0 - psi(al + be + nr),
        psi_gd0 - psi_n,
        psi(de + nr) - psi(de) + psi_gd0 - psi_n,
    )
    wa = wr * omega_a
    wb = np.where(has_sum, wr * omega_b / safe_K, 0.0)
    for j in range(N_PARAMS):
        mean_b = Z[j + 1, xc, txr] - ratio_end * Z[j + 1, xc, nr]
        grad[j] = _dot(wa, gA[j]) + _dot(wb, mean_b)
    hess = None if order >= 2 else np.zeros((N_PARAMS, N_PARAMS))
    return float(ll), grad, hess


def initial_params(data: BGBBData) -> np.ndarray:
    """``(1, (1-p)/p, 1, 1)``, ``p`` the pooled share of occasions with a purchase up to
    each customer's last purchase: a mean purchase probability near the data's."""
    bought = float(data.row_w @ data.row_x)
    seen = float(data.row_w @ data.row_tx)
    p = min(max(bought / seen if seen > 0 else 0.5, 0.05), 0.95)
    return np.array([1.0, (1.0 - p) / p, 1.0, 1.0])


def identifiability_problem(data: BGBBData) -> str | None:
    """Why the unpenalised estimate does not exist, or None.

    With no occasions there is nothing to fit; with no purchase the likelihood rises as the
    purchase probability falls to 0; with a purchase at every occasion by everyone it
    rises as ``p`` goes to 1 and ``theta`` to 0; a single distinct history cannot tell
    four parameters apart.
    """
    n = data.total_weight
    if data.n_max == 0:
        return f"it needs purchase occasions: all {n:g} customers have 0 occasions."
    if float(data.row_w @ data.row_x) == 0.0:
        return (
            f"it needs at least one purchase: all {n:g} customers have frequency 0, so the "
            "likelihood rises without bound as the purchase probability falls to 0."
        )
    if np.all(data.row_x == data.row_n):
        return (
            f"all {n:g} customers bought at every occasion, so the likelihood rises "
            "without bound as the purchase probability goes to 1 and the drop-out to 0."
        )
    if data.n_distinct == 1:
        return (
            f"it got {n:g} customer(s) with one and the same (frequency, recency, n): "
            "four parameters cannot be identified from a single distinct history."
        )
    return None


# -- per customer --------------------------------------------------------------------------
def _on_distinct_rows(
    fn: _RowFn, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray
) -> np.ndarray:
    """``fn(params, x, t_x, n)`` evaluated once per distinct row and gathered.

    Used when the customers form one 1-d array and every parameter varies along leading
    axes only (shape ``(k,)`` or ``(k, ..., 1)``), so that each distinct row's value
    broadcasts the same way as the rows themselves; otherwise ``fn`` runs on all rows.
    """
    p = np.asarray(params, np.float64)
    x, t_x, n = np.broadcast_arrays(*(np.asarray(v, np.float64) for v in (x, t_x, n)))
    if x.ndim != 1 or x.size < 2 or (p.ndim > 1 and p.shape[-1] != 1):
        return fn(p, x, t_x, n)
    top = float(n.max()) + 1.0
    key = (x * top + t_x) * top + n
    distinct, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    if distinct.size == x.size:
        return fn(p, x, t_x, n)
    values = fn(p, x[first], t_x[first], n[first])
    return np.asarray(values[..., inverse.reshape(-1)])


def _log_terms(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``log A`` and the log of the finite sum of the likelihood, broadcast over params.

    The sum is ``c(x, t_x) K`` with ``K`` accumulated from ratios ``rho <= 1`` (see the
    module docstring): one pass per summand, at most ``max(n - t_x)`` passes.
    """
    al, be, ga, de = _unpack(params)
    norm = betaln(al, be) + betaln(ga, de)
    log_a = betaln(al + x, be + n - x) + betaln(ga, de + n) - norm
    log_c0 = betaln(al + x, be + t_x - x) + betaln(ga + 1.0, de + t_x) - norm
    shape = np.broadcast_shapes(np.shape(log_a), np.shape(log_c0))
    K = np.zeros(shape)
    term = np.ones(shape)
    span = n - t_x
    for i in range(int(np.max(span, initial=0.0))):
        occ = t_x + i
        K += np.where(span > i, term, 0.0)
        term = term * ((be + occ - x) / (al + be + occ) * ((de + occ) / (ga + de + 1.0 + occ)))
    with np.errstate(divide="ignore"):
        log_b = np.where(K > 0.0, log_c0 + np.log(np.where(K > 0.0, K, 1.0)), -np.inf)
    return np.asarray(log_a), np.asarray(log_b)


def _loglik_rows_all(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray
) -> np.ndarray:
    log_a, log_b = _log_terms(params, x, t_x, n)
    return np.asarray(np.logaddexp(log_a, log_b))


def _alive_all(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray) -> np.ndarray:
    log_a, log_b = _log_terms(params, x, t_x, n)
    return np.asarray(expit(log_a - log_b))


def loglik_rows(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Log-likelihood of each history (the paper's likelihood), broadcast over params."""
    return _on_distinct_rows(_loglik_rows_all, params, x, t_x, T)


def probability_alive(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """P(alive at occasion n | x, t_x, n) = A(x, n) / L (the first branch of the likelihood over the
    likelihood, by Bayes' theorem).

    The paper's P(alive) is the probability of being alive at the *next* occasion
    ``n + 1``, which is this times ``E[1 - theta | alive at n] = (delta+n)/(gamma+delta+n)``;
    the protocol's convention is alive at ``T = n``, so that the future from ``n`` on is
    :func:`expected_purchases_alive`.
    """
    return _on_distinct_rows(_alive_all, params, x, t_x, T)


def _survival_sum(gamma: np.ndarray, d: np.ndarray, m: np.ndarray) -> np.ndarray:
    """``sum_{j=1}^{m} B(gamma, d+j)/B(gamma, d)``: expected occasions alive among the next
    ``m``, ``theta ~ Beta(gamma, d)``.

    Telescoping ``Gamma(d+j)/Gamma(gamma+d+j)`` gives ``d (1 - R)/(gamma - 1)`` with
    ``R = Gamma(gamma+d) Gamma(d+m+1) / (Gamma(d+1) Gamma(gamma+d+m))`` (paper, eq. 13 has
    it times the purchase probability). With ``e = gamma - 1``,
    ``log R = D(d+1, e) - D(d+m+1, e)``, ``D(z, e) = lnGamma(z+e) - lnGamma(z)``
    (:func:`clvkit.models._kernels.gammaratio.lgamma_diff`, accurate as ``e`` goes to 0),
    and ``d (1-R)/e = -d (log R / e) exprel(log R)``: no 0/0 at ``gamma = 1``, where the
    limit ``d (psi(d+m+1) - psi(d+1))`` is taken exactly.
    """
    e = gamma - 1.0
    log_r = lgamma_diff(d + 1.0, e) - lgamma_diff(d + m + 1.0, e)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = np.where(e == 0.0, psi(d + 1.0) - psi(d + m + 1.0), log_r / np.where(e == 0.0, 1.0, e))
    return np.asarray(-d * y * exprel(log_r))


def expected_purchases_alive(
    params: np.ndarray, x: np.ndarray, T: np.ndarray, t: np.ndarray | float
) -> np.ndarray:
    """E[purchases at occasions n+1..n+t | x, n, alive at occasion n] (paper, eq. 13
    without its P(alive) factor).

    Given alive at ``n``, ``p ~ Beta(alpha+x, beta+n-x)`` and
    ``theta ~ Beta(gamma, delta+n)``; the customer is alive at ``n+j`` with probability
    ``E[(1-theta)^j]`` and then buys with probability ``E[p]``::

        (alpha+x)/(alpha+beta+n) * sum_{j=1}^{t} B(gamma, delta+n+j)/B(gamma, delta+n)

    Depends on ``(x, n)`` only, never on ``t_x``.
    """
    al, be, ga, de = _unpack(params)
    x, n = np.asarray(x, np.float64), np.asarray(T, np.float64)
    return np.asarray(
        (al + x) / (al + be + n) * _survival_sum(ga, de + n, np.asarray(t, np.float64))
    )


def _pmf_new(
    al: np.ndarray, be: np.ndarray, ga: np.ndarray, de: np.ndarray, k: np.ndarray, m: np.ndarray
) -> np.ndarray:
    """P(X(m) = k) for a customer alive at occasion 0 (paper, eq. 7)::

        C(m, k) B(al+k, be+m-k)/B(al, be) B(ga, de+m)/B(ga, de)
        + sum_{i=k}^{m-1} C(i, k) B(al+k, be+i-k)/B(al, be) B(ga+1, de+i)/B(ga, de)

    (alive at all ``m`` occasions, or at exactly ``i`` of them), the sum accumulated in
    log space. 0 where ``k > m``.
    """
    k, m = np.asarray(k, np.float64), np.asarray(m, np.float64)
    norm = betaln(al, be) + betaln(ga, de)
    with np.errstate(invalid="ignore"):
        log_choose_m = gammaln(m + 1.0) - gammaln(k + 1.0) - gammaln(np.maximum(m - k, 0.0) + 1.0)
        total = np.where(
            k <= m,
            log_choose_m + betaln(al + k, be + np.maximum(m - k, 0.0)) + betaln(ga, de + m) - norm,
            -np.inf,
        )
        shape = np.shape(total)
        for i in range(int(np.max(m, initial=0.0))):
            inside = (k <= i) & (i < m)
            if not np.any(inside):
                continue
            gap = np.maximum(i - k, 0.0)
            log_term = (
                gammaln(i + 1.0)
                - gammaln(k + 1.0)
                - gammaln(gap + 1.0)
                + betaln(al + k, be + gap)
                + betaln(ga + 1.0, de + i)
                - norm
            )
            total = np.where(inside, np.logaddexp(total, log_term), total)
    return np.asarray(np.exp(np.broadcast_to(total, shape)))


def probability_n_purchases_alive(
    params: np.ndarray,
    n: np.ndarray | int,
    x: np.ndarray,
    T: np.ndarray,
    t: np.ndarray | float,
) -> np.ndarray:
    """P(n purchases at occasions T+1..T+t | x, T, alive at occasion T).

    Given alive at ``T`` the customer starts afresh with ``p ~ Beta(alpha+x, beta+T-x)``
    and ``theta ~ Beta(gamma, delta+T)``: the new-customer distribution (paper, eq. 7) at
    those parameters.
    """
    al, be, ga, de = _unpack(params)
    x, T = np.asarray(x, np.float64), np.asarray(T, np.float64)
    return _pmf_new(
        al + x, be + T - x, ga, de + T, np.asarray(n, np.float64), np.asarray(t, np.float64)
    )


# -- a customer just acquired --------------------------------------------------------------
def expected_purchases_new(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """E[X(t)] over the first ``t`` occasions (the paper's expression for E[X(n)])::

        alpha/(alpha+beta) * delta/(gamma-1)
        * [1 - Gamma(gamma+delta) Gamma(1+delta+t) / (Gamma(gamma+delta+t) Gamma(1+delta))]

    evaluated as ``alpha/(alpha+beta)`` times the expected occasions alive (see
    :func:`_survival_sum`; no 0/0 at ``gamma = 1``).
    """
    al, be, ga, de = _unpack(params)
    return np.asarray(al / (al + be) * _survival_sum(ga, de, np.asarray(t, np.float64)))


def probability_n_purchases_new(
    params: np.ndarray, n: np.ndarray | int, t: np.ndarray | float
) -> np.ndarray:
    """P(X(t) = n): exactly ``n`` purchases in the first ``t`` occasions (paper, eq. 7)."""
    al, be, ga, de = _unpack(params)
    return _pmf_new(al, be, ga, de, np.asarray(n, np.float64), np.asarray(t, np.float64))


def probability_alive_new(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """P(alive at occasion t) = E[(1-theta)^t] = B(gamma, delta+t)/B(gamma, delta)
    (paper, section 2), as ``lnGamma`` differences without cancellation."""
    _, _, ga, de = _unpack(params)
    t = np.asarray(t, np.float64)
    return np.asarray(np.exp(lgamma_diff(de, t) - lgamma_diff(ga + de, t)))


def probability_purchase_new(
    params: np.ndarray, t1: np.ndarray | float, t2: np.ndarray | float
) -> np.ndarray:
    """P(at least one purchase at occasions t1+1..t2) for a customer acquired at 0.

    Derived: the first purchase in the window is at occasion ``t1+1+k`` when the customer
    is alive then (``(1-theta)^(t1+1+k)``; alive at an occasion implies alive at every
    earlier one) and bought at none of the ``k`` occasions before it in the window but at
    this one (``(1-p)^k p``). Summing the disjoint events over ``k < t2 - t1`` and averaging
    over ``p`` and ``theta``::

        P = sum_{k=0}^{t2-t1-1} B(alpha+1, beta+k)/B(alpha, beta)
                                * B(gamma, delta+t1+1+k)/B(gamma, delta)

    The summands fall with ``k`` (ratio ``(beta+k)/(alpha+beta+k+1) *
    (delta+t1+1+k)/(gamma+delta+t1+1+k)``): accumulated relative to the first one.
    ``t1 <= t2`` whole numbers; 0 when they are equal.
    """
    al, be, ga, de = _unpack(params)
    t1 = np.asarray(t1, np.float64)
    t2 = np.asarray(t2, np.float64)
    first = t1 + 1.0
    log_first = np.log(al) - np.log(al + be) + lgamma_diff(de, first) - lgamma_diff(ga + de, first)
    span = t2 - t1
    shape = np.broadcast_shapes(np.shape(log_first), np.shape(span))
    K = np.zeros(shape)
    term = np.ones(shape)
    for k in range(int(np.max(span, initial=0.0))):
        K += np.where(span > k, term, 0.0)
        occ = first + k
        term = term * ((be + k) / (al + be + k + 1.0) * ((de + occ) / (ga + de + occ)))
    return np.asarray(np.clip(np.exp(log_first) * K, 0.0, 1.0))


# -- simulation ----------------------------------------------------------------------------
def simulate(
    rng: np.random.Generator, params: np.ndarray, T: np.ndarray, times: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Histories drawn from the BG/BB story (paper, section 2).

    ``p ~ Beta(alpha, beta)``, ``theta ~ Beta(gamma, delta)``; the customer is alive for
    ``L = Geometric(theta) - 1`` occasions after the first purchase
    (``P(L >= j) = (1-theta)^j``) and alive at ``n = T`` when ``L >= n``; at each of the
    ``m = min(L, n)`` occasions alive they buy with probability ``p``. Without times the
    draw reads the occasions backwards: the trailing occasions without a purchase are
    ``Geometric(p) - 1``; if they cover all ``m``, ``x = 0``; otherwise
    ``t_x = m - trailing`` and ``x = 1 + Binomial(t_x - 1, p)``. With times every
    occasion alive is drawn, and the purchase occasions (1..n) are returned.
    """
    al, be, ga, de = (float(v) for v in params)
    n_occ = np.rint(np.asarray(T, np.float64)).astype(np.int64)
    size = n_occ.size
    p = rng.beta(al, be, size=size)
    theta = rng.beta(ga, de, size=size)
    life = rng.geometric(np.clip(theta, 1e-300, 1.0)) - 1
    alive = life >= n_occ
    m = np.minimum(life, n_occ)
    if times:
        owner = np.repeat(np.arange(size), m)
        starts = np.cumsum(m) - m
        occasion = np.arange(owner.size) - starts[owner] + 1
        bought = rng.random(owner.size) < p[owner]
        who, when = owner[bought], occasion[bought].astype(np.float64)
        x = np.bincount(who, minlength=size)
        t_x = np.zeros(size)
        has = x > 0
        t_x[has] = when[np.cumsum(x)[has] - 1]
        return x.astype(np.float64), t_x, alive, when
    trailing = rng.geometric(np.clip(p, 1e-300, 1.0)) - 1
    some = trailing < m
    last = np.where(some, m - trailing, 0).astype(np.int64)
    count = np.zeros(size, dtype=np.int64)
    count[some] = 1 + rng.binomial(last[some] - 1, p[some])
    return count.astype(np.float64), last.astype(np.float64), alive, None
