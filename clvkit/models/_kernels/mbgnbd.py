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
from scipy.special import betainc, betaln, expit, gammaln

from clvkit.models._kernels import dropout_fit
from clvkit.models._kernels.compress import CohortRows, split_cohort
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


def _unpack(params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    p = np.asarray(params, dtype=np.float64)
    return p[0], p[1], p[2], p[3]


@dataclass(frozen=True)
class MBGData:
    """An MBG/NBD cohort reduced to what the likelihood needs.

    Attributes
    ----------
    rows : CohortRows
        Customers without a repeat purchase by ``T``, repeat buyers as
        ``(x code, t_x, T, weight)`` rows, and the total weight per repeat-purchase count
        (see :class:`clvkit.models._kernels.compress.CohortRows`).
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


# -- fitting -------------------------------------------------------------------------------
def prepare(
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    weights: np.ndarray | None,
    compress: bool | None = None,
) -> MBGData:
    """Reduce validated ``(x, t_x, T, weights)`` rows to an :class:`MBGData`.

    Identical rows are merged unless a sample shows that almost none repeat (``compress``
    forces either way; see :func:`clvkit.models._kernels.compress.split_cohort`). Rows of
    weight 0 are dropped; ``weights`` None stands for all 1.
    """
    return MBGData(split_cohort(x, t_x, T, weights, compress=compress))


def loglik_derivatives(
    params: np.ndarray, data: MBGData, order: int = 2
) -> tuple[float, np.ndarray, np.ndarray]:
    """Total weighted log-likelihood and its gradient and Hessian in ``(r, alpha, a, b)``.

    ``f0`` per repeat-purchase count and per row, ``softplus(D)`` for every row (customers
    without a repeat purchase at ``x = t_x = 0``), summed in cache-sized chunks on threads
    (:mod:`clvkit.models._kernels.dropout_fit`, with ``k = 1``: ``c_x = ln a - ln(b+x)``,
    ``dD/db = -1/(b+x)``).

    Parameters
    ----------
    params : (4,) array
        ``r, alpha, a, b``, all > 0.
    data : MBGData
        The prepared cohort.
    order : {0, 1, 2}
        Highest derivative order to compute; lower orders return zero arrays.

    Returns
    -------
    loglik : float
    gradient : (4,) array
    hessian : (4, 4) array
    """
    return dropout_fit.loglik_derivatives(params, data.rows, 1, order)


def initial_params(data: MBGData) -> np.ndarray:
    """``(1, 1/rate, 1, 1)``: ``alpha`` from the pooled repeat-purchase rate, the rest neutral."""
    rate = max(data.rows.total_x, 0.5) / max(data.rows.total_T, 1e-12)
    return np.array([1.0, 1.0 / rate, 1.0, 1.0])


def identifiability_problem(data: MBGData) -> str | None:
    """Why the unpenalised estimate does not exist, or None.

    Without a repeat purchase the likelihood rises towards 1 as every customer is made to
    drop out at the first purchase (``a/(a+b)`` to 1); with no observed time every
    customer has ``x = 0``, the same; with a single distinct history four parameters
    cannot be told apart.
    """
    n = data.total_weight
    if data.rows.total_T == 0.0:
        return f"it needs observed time: all {n:g} customers have T = 0."
    if data.rows.total_x == 0.0:
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
