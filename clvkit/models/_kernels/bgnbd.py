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
from scipy.special import expit, gammaln

from clvkit.models._kernels import dropout_fit
from clvkit.models._kernels.compress import CohortRows, split_cohort
from clvkit.models._kernels.hyp2f1 import hyp2f1
from clvkit.models._kernels.nbd_dropout import expected_count, probability_count
from clvkit.models._kernels.simulation import (
    first_order_statistics,
    last_order_statistic,
    last_times,
)

__all__ = [
    "N_PARAMS",
    "BGData",
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
_A_NEAR_ONE = 1e-6  # half-width of the band around the removable singularity a = 1


@dataclass(frozen=True)
class BGData:
    """A BG/NBD cohort reduced to what the likelihood needs.

    Attributes
    ----------
    rows : CohortRows
        Buyers without a repeat purchase by ``T`` (they contribute ``f0`` only), repeat
        buyers as ``(x code, t_x, T, weight)`` rows, and the total weight per distinct
        ``x`` (see :class:`clvkit.models._kernels.compress.CohortRows`).
    """

    rows: CohortRows

    @property
    def total_weight(self) -> float:
        """Sum of all weights (the effective number of customers)."""
        return self.rows.total_weight

    @property
    def n_distinct(self) -> int:
        """Rows the likelihood runs over: the distinct ``(x, t_x, T)`` rows when the
        cohort was compressed, every row otherwise."""
        return self.rows.n_rows


def prepare(
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    weights: np.ndarray | None,
    compress: bool | None = None,
) -> BGData:
    """Reduce ``(x, t_x, T, weights)`` rows to a :class:`BGData`.

    All inputs are (n,) float64 arrays already validated (``x`` integer-valued and
    ``>= 0``, ``0 <= t_x <= T``, ``t_x == 0`` where ``x == 0``, ``weights >= 0``;
    ``weights`` None for all 1). Identical rows are merged unless a sample shows that
    almost none repeat (``compress`` forces either way; see
    :func:`clvkit.models._kernels.compress.split_cohort`).
    """
    return BGData(split_cohort(x, t_x, T, weights, compress=compress))


def loglik_derivatives(
    params: np.ndarray, data: BGData, order: int = 2
) -> tuple[float, np.ndarray, np.ndarray]:
    """Total weighted log-likelihood and its gradient and Hessian in ``(r, alpha, a, b)``.

    ``sum w (f0 + delta softplus(D))`` (see the module docstring): terms in ``x`` alone
    once per repeat-purchase count; rows without a repeat purchase contribute
    ``-r ln(alpha + T)`` only; repeat-buyer rows ``-(r + x) ln(alpha + T) + softplus(D)``.
    The row sums run in cache-sized chunks on threads and give the same bits for any
    number of threads (:mod:`clvkit.models._kernels.dropout_fit`).

    Parameters
    ----------
    params : (4,) array
        ``r, alpha, a, b``, all > 0.
    data : BGData
        The prepared cohort.
    order : {0, 1, 2}
        Highest derivative order to compute; lower orders return zero arrays.

    Returns
    -------
    loglik : float
    gradient : (4,) array
    hessian : (4, 4) array
    """
    return dropout_fit.loglik_derivatives(params, data.rows, 0, order)


def initial_params(data: BGData) -> np.ndarray:
    """``(1, 1/rate, 1, 1)``: ``alpha`` from the pooled purchase rate, the rest neutral."""
    rate = max(data.rows.total_x, 0.5) / max(data.rows.total_T, 1e-12)
    return np.array([1.0, 1.0 / rate, 1.0, 1.0])


def identifiability_problem(data: BGData) -> str | None:
    """Why the unpenalised estimate does not exist, or None.

    With no repeat purchase the likelihood keeps rising as the purchase rate goes to 0
    (alpha to infinity); with no observed time it is flat; with a single distinct history
    four parameters cannot be told apart.
    """
    n = data.total_weight
    if data.rows.total_x == 0.0:
        return (
            f"it needs at least one repeat purchase: all {n:g} customers have frequency 0, "
            "so the purchase rate and the drop-out cannot be estimated (the likelihood "
            "grows without bound as alpha grows)."
        )
    if data.rows.total_T == 0.0:
        return f"it needs observed time: all {n:g} customers have T = 0."
    if data.n_distinct == 1:
        return (
            f"it got {n:g} customer(s) with one and the same (frequency, recency, T): "
            "four parameters cannot be identified from a single distinct history."
        )
    return None


def _unpack(params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    p = np.asarray(params, dtype=np.float64)
    return p[0], p[1], p[2], p[3]


def loglik_rows(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Log-likelihood of each individual history (paper, eq. 6), broadcast over params."""
    r, alpha, a, b = _unpack(params)
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
    r, alpha, a, b = _unpack(params)
    with np.errstate(divide="ignore", invalid="ignore"):
        D = np.log(a) - np.log(b + x - 1.0) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(x > 0, D, -np.inf)


def probability_alive(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """P(alive | x, t_x, T) (paper, eq. 13), computed as ``expit(-D)``; 1 where ``x == 0``."""
    return np.asarray(expit(-_log_odds_dead(params, x, t_x, T)))


def _given_alive(
    params: np.ndarray, x: np.ndarray, T: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The parameters ``(r, alpha, a, b)`` of a customer's future, given ``(x, T)`` and
    alive at ``T`` (each broadcast against the history, ``a`` the same for all).

    The alive branch of the likelihood is proportional to
    ``lambda^x e^(-lambda T) (1-p)^x``, so the posterior is ``Gamma(r+x, alpha+T)`` for the
    rate and ``Beta(a, b+x)`` for the drop-out probability; drop-out follows purchases
    only, so from ``T`` on the customer is a new customer of the model with these
    parameters (the clock restarted at ``T``).
    """
    r, alpha, a, b = _unpack(params)
    x, T = np.asarray(x, np.float64), np.asarray(T, np.float64)
    return r + x, alpha + T, a, b + x


def expected_purchases_new(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """E[X(t)] for a customer just acquired (paper, eq. 9).

    ``(a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))]``, evaluated
    by :func:`clvkit.models._kernels.nbd_dropout.expected_count` (each form where it is
    well conditioned, the removable singularity ``a = 1`` bridged) wherever
    ``a + b > 1``, which every history with a repeat purchase gives after the update of
    :func:`expected_purchases_alive`. For a new customer with ``a + b <= 1`` the lower
    parameter ``a + b - 1`` of Euler's form ``(1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b-1; z)``
    is not positive and the series is summed directly (:func:`_expected_new_euler`).
    """
    return _expected_count_new(*_unpack(params), t)


def _expected_count_new(
    r: np.ndarray, alpha: np.ndarray, a: np.ndarray, b: np.ndarray, t: np.ndarray | float
) -> np.ndarray:
    """:func:`expected_purchases_new` of the parameters one by one (broadcast)."""
    t = np.asarray(t, np.float64)
    if (a + b > 1.0).all():
        return expected_count(r, alpha, a, b, t)
    r, alpha, a, b, t = np.broadcast_arrays(r, alpha, a, b, t)
    positive = a + b > 1.0
    out = np.empty(r.shape)
    out[positive] = expected_count(
        r[positive], alpha[positive], a[positive], b[positive], t[positive]
    )
    low = ~positive
    out[low] = _expected_new_euler(r[low], alpha[low], a[low], b[low], t[low])
    return out


def _expected_new_euler(
    r: np.ndarray, alpha: np.ndarray, a: np.ndarray, b: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """Eq. 9 through Euler's form, the band around ``a = 1`` taken as the mean of its edges."""
    near = np.abs(a - 1.0) < 0.5 * _A_NEAR_ONE
    if not np.any(near):
        return _euler_form(r, alpha, a, b, t)
    below = _euler_form(r, alpha, np.where(near, 1.0 - _A_NEAR_ONE, a), b, t)
    above = _euler_form(r, alpha, np.where(near, 1.0 + _A_NEAR_ONE, a), b, t)
    return np.asarray(np.where(near, 0.5 * (below + above), below))


def _euler_form(
    r: np.ndarray, alpha: np.ndarray, a: np.ndarray, b: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """Eq. 9 as ``c/(a-1) [1 - (1-z)^(a-1) 2F1(c-r, a-1; c; z)]`` at ``a != 1``."""
    z = t / (alpha + t)
    c = a + b - 1.0
    G = np.exp((a - 1.0) * np.log1p(-z)) * hyp2f1(c - r, a - 1.0, c, z)
    return np.asarray(c / (a - 1.0) * (1.0 - G))


def expected_purchases_alive(
    params: np.ndarray, x: np.ndarray, T: np.ndarray, t: np.ndarray | float
) -> np.ndarray:
    """E[purchases in (T, T+t] | x, T, alive at T] (paper, eq. 10 without P(alive)).

    :func:`expected_purchases_new` at the parameters given alive (:func:`_given_alive`):
    ``(a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)]``,
    ``z = t/(alpha+T+t)``. Depends on ``(x, T)`` only, never on ``t_x``.
    """
    return _expected_count_new(*_given_alive(params, x, T), t)


def probability_n_purchases_new(
    params: np.ndarray, n: np.ndarray | int, t: np.ndarray | float
) -> np.ndarray:
    """P(X(t) = n) for a customer acquired at 0 (paper, eq. 8).

    ``P(X(t) = n) = B(a, b+n)/B(a, b) NB(n; r, alpha/(alpha+t))
    + [n > 0] B(a+1, b+n-1)/B(a, b) P(NB(r, alpha/(alpha+t)) >= n)``, evaluated by
    :func:`clvkit.models._kernels.nbd_dropout.probability_count`.
    """
    r, alpha, a, b = _unpack(params)
    return probability_count(r, alpha, a, b, n, t)


def probability_n_purchases_alive(
    params: np.ndarray,
    n: np.ndarray | int,
    x: np.ndarray,
    T: np.ndarray,
    t: np.ndarray | float,
) -> np.ndarray:
    """P(n purchases in (T, T+t] | x, T, alive at T): eq. 8 at the parameters given alive
    (:func:`_given_alive`)."""
    return probability_count(*_given_alive(params, x, T), n, t)


def probability_alive_new(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """P(a customer acquired at 0 is still alive at age t), unconditional on purchases.

    Drop-out happens only right after a repeat purchase, so given (lambda, p) the customer
    survives to t with probability E[(1-p)^N(t)] = exp(-lambda p t). Averaging over
    Gamma(r, alpha) gives (alpha/(alpha + p t))^r, and over Beta(a, b) Euler's integral
    gives 2F1(r, a; a+b; -t/alpha); Pfaff's transformation maps the argument into [0, 1):
    ``(alpha/(alpha+t))^r 2F1(r, b; a+b; t/(alpha+t))``.
    """
    r, alpha, a, b = _unpack(params)
    t = np.asarray(t, np.float64)
    z = t / (alpha + t)
    return np.asarray(np.exp(r * np.log1p(-z)) * hyp2f1(r, b, a + b, z))


def probability_purchase_new(
    params: np.ndarray, t1: np.ndarray | float, t2: np.ndarray | float
) -> np.ndarray:
    """P(a customer acquired at 0 makes at least one repeat purchase in (t1, t2]).

    From the BG/NBD story (paper, section 2): given a rate ``lambda`` and a drop-out
    probability ``p``, the customer is alive at ``t1`` with probability
    ``exp(-lambda p t1)`` (drop-out only follows one of the Poisson(lambda t1) purchases),
    and an alive customer stays silent over the next ``t2 - t1`` with probability
    ``exp(-lambda (t2 - t1))``; a dead one is always silent. So::

        P(buy in (t1, t2] | lambda, p) = exp(-lambda p t1) - exp(-lambda (t2 - t1 + p t1))

    Averaging over lambda ~ Gamma(r, alpha) gives ``(alpha/(alpha+s))^r`` for
    ``E[exp(-lambda s)]``, then over p ~ Beta(a, b) Euler's integral and Pfaff's
    transformation give::

        P = A(t1) - (alpha/(alpha+t2))^r 2F1(r, b; a+b; t1/(alpha+t2)),
        A(t) = (alpha/(alpha+t))^r 2F1(r, b; a+b; t/(alpha+t))   (P(alive at t)),

    which is 0 when ``t2 = t1`` and ``1 - (alpha/(alpha+t2))^r`` when ``t1 = 0``.
    """
    r, alpha, a, b = _unpack(params)
    t1 = np.asarray(t1, dtype=np.float64)
    t2 = np.asarray(t2, dtype=np.float64)
    silent_after = np.exp(r * (np.log(alpha) - np.log(alpha + t2))) * hyp2f1(
        r, b, a + b, t1 / (alpha + t2)
    )
    return np.clip(probability_alive_new(params, t1) - silent_after, 0.0, 1.0)


def simulate(
    rng: np.random.Generator, params: np.ndarray, T: np.ndarray, times: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Histories drawn from the BG/NBD story (paper, section 2).

    While alive a customer buys as a Poisson process of rate ``lambda ~ Gamma(r, alpha)``
    (``alpha`` a rate); right after each repeat purchase they drop out with probability
    ``p ~ Beta(a, b)``. The number of repeat purchases before drop-out is
    ``K ~ Geometric(p)`` and the observed count in ``(0, T]`` is ``x = min(K, N)`` with
    ``N ~ Poisson(lambda T)``; the customer is alive at ``T`` when ``K > N``. Given ``N``
    the purchase times are uniform order statistics on ``(0, T]``, of which the first
    ``x`` are observed (:mod:`clvkit.models._kernels.simulation`).
    """
    r, alpha, a, b = (float(v) for v in params)
    n = T.size
    lam = rng.gamma(shape=r, scale=1.0 / alpha, size=n)
    drop = rng.beta(a, b, size=n)
    K = rng.geometric(np.clip(drop, 1e-300, 1.0))
    N = rng.poisson(lam * T)
    x = np.minimum(K, N)
    alive = K > N
    if times:
        flat = first_order_statistics(rng, x, N, T)
        return x.astype(np.float64), last_times(flat, x), alive, flat
    return x.astype(np.float64), last_order_statistic(rng, x, N, T), alive, None
