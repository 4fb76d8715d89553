"""Shifted-beta-geometric (sBG) kernels: contract duration in discrete periods.

Fader & Hardie (2007), "How to project customer retention", Journal of Interactive
Marketing 21(1), 76-90; Fader & Hardie (2010), "Customer-base valuation in a contractual
setting: the perils of ignoring heterogeneity", Marketing Science 29(1), 85-93.

The story (2007, section 3): at the end of every period an active customer renews with
probability ``1 - theta`` and leaves for good with probability ``theta``; ``theta``
differs across customers as Beta(gamma, delta). A customer's lifetime ``T`` (the number
of periods paid for) is then shifted-geometric given ``theta``, and across customers

    P(T = t) = B(gamma + 1, delta + t - 1) / B(gamma, delta),   t = 1, 2, ...   (2007, eq. 7)
    S(t)     = P(T > t) = B(gamma, delta + t) / B(gamma, delta), t = 0, 1, ...  (2007, eq. 8)

with the recursions (2007, eq. 7 and 8 rewritten)

    P(T = 1) = gamma / (gamma + delta),
    P(T = t) = (delta + t - 2) / (gamma + delta + t - 1) * P(T = t - 1),
    S(t) = S(t - 1) - P(T = t),

and the retention rate of period ``t``, the share of those active after ``t - 1`` periods
who renew once more (2007, eq. 9), which rises with ``t`` as the most churn-prone
customers leave first:

    r(t) = S(t) / S(t - 1) = (delta + t - 1) / (gamma + delta + t - 1).

Data, in sufficient statistics
------------------------------
Both a cohort's survivor counts and one row per customer reduce to two weight vectors
over periods ``t = 0 .. t_max``: ``deaths[t]``, the customers whose lifetime ended with
period ``t`` (``t >= 1``), and ``censored[t]``, the customers still active after ``t``
periods when observation stopped. The log-likelihood (2007, eq. B3, with right-censoring
at each cohort's last observed period) is

    LL = sum_t deaths[t] ln P(T = t) + sum_t censored[t] ln S(t).

Conventions
-----------
Parameters broadcast as in the purchase kernels (:mod:`clvkit.models._kernels.protocol`):
``params`` has shape ``(2, *p)``; ``params[0]`` is gamma and ``params[1]`` delta, each
broadcast against the period arrays, so ``(2,)`` gives results of the periods' shape and
``(2, d, 1)`` against periods of shape ``(n,)`` gives ``(d, n)``. Periods are float64
arrays of whole numbers, already validated. Everything is computed in log space, through
differences of ``ln Gamma`` that keep full relative precision for long tenures
(:func:`log_gamma_ratio`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, polygamma, psi

from clvkit.models._kernels.linalg import dot as _dot

__all__ = [
    "N_PARAMS",
    "SBGData",
    "churn_probability",
    "derl",
    "expected_lifetime",
    "identifiability_problem",
    "initial_params",
    "log_churn_probability",
    "log_gamma_ratio",
    "log_survival",
    "loglik_derivatives",
    "prepare",
    "residual_survival",
    "retention_rate",
    "simulate",
    "survival",
]

N_PARAMS = 2
_START_BOUNDS = (1e-2, 1e3)
_MAX_LIFETIME = float(2**53)
#: DERL by quadrature once (gamma + delta + n) * rate >= _QUAD_FROM * max(gamma, 1)
_QUAD_FROM = 2.0
_QUAD_NODES = 80
_QUAD_CELLS = 2_000_000
_MAX_LOG_SPAN = 600.0
_STIRLING_FROM = 10.0
_LAGUERRE: tuple[np.ndarray, np.ndarray] | None = None


def _trigamma(z: np.ndarray | float) -> np.ndarray:
    return np.asarray(polygamma(1, z))


@dataclass(frozen=True)
class SBGData:
    """Survival data reduced to the periods that carry weight.

    Attributes
    ----------
    death_t, death_w : (kd,) arrays
        Periods ``t >= 1`` in which lifetimes ended, and the weight of each.
    cens_t, cens_w : (kc,) arrays
        Periods ``t >= 1`` after which customers were still active when observation
        stopped (right-censored), and the weight of each. Censoring at ``t = 0`` carries
        no information (``S(0) = 1``) and is left out.
    total_weight : float
        Every customer's weight, those censored at 0 included.
    n_distinct : int
        Number of distinct (period, churned or not) cells with weight, those at 0 included.
    """

    death_t: np.ndarray
    death_w: np.ndarray
    cens_t: np.ndarray
    cens_w: np.ndarray
    total_weight: float
    n_distinct: int


def prepare(deaths: np.ndarray, censored: np.ndarray) -> SBGData:
    """Keep the periods with weight of the ``deaths`` and ``censored`` vectors.

    Parameters
    ----------
    deaths, censored : (t_max + 1,) arrays
        Weights by period ``t = 0 .. t_max``, >= 0 (``deaths[0]`` must be 0: a lifetime
        lasts at least one period).
    """
    t = np.arange(deaths.size, dtype=np.float64)
    d_keep = deaths > 0
    c_keep = censored > 0
    n_distinct = int(np.count_nonzero(d_keep) + np.count_nonzero(c_keep))
    c_keep[0] = False
    return SBGData(
        death_t=t[d_keep],
        death_w=deaths[d_keep].astype(np.float64),
        cens_t=t[c_keep],
        cens_w=censored[c_keep].astype(np.float64),
        total_weight=float(deaths.sum() + censored.sum()),
        n_distinct=n_distinct,
    )


# -- the distribution ----------------------------------------------------------------------
def log_gamma_ratio(x: np.ndarray | float, a: np.ndarray | float) -> np.ndarray:
    """``ln Gamma(x + a) - ln Gamma(x)`` for ``x > 0``, ``a >= 0``, to full precision.

    ``betaln`` and ``gammaln`` differences lose digits when ``x`` is large (scipy's
    ``betaln(3, 1e6)`` is off by 1e-9 relative), because two large logarithms cancel.
    For ``x >= 10`` the Stirling series is differenced term by term instead:

        (x - 1/2) log1p(a / x) + a ln(x + a) - a + c(x + a) - c(x),
        c(y) = 1/(12 y) - 1/(360 y^3) + 1/(1260 y^5) - 1/(1680 y^7) + 1/(1188 y^9),

    whose truncation error is below 2e-14 at ``x = 10`` and falls as ``x^-11``; below,
    ``gammaln`` itself is exact to rounding.
    """
    x_arr, a_arr = np.broadcast_arrays(
        np.asarray(x, dtype=np.float64), np.asarray(a, dtype=np.float64)
    )
    out = np.empty(x_arr.shape)
    big = x_arr >= _STIRLING_FROM
    small = ~big
    if small.any():
        xs, as_ = x_arr[small], a_arr[small]
        out[small] = gammaln(xs + as_) - gammaln(xs)
    if big.any():
        xb, ab = x_arr[big], a_arr[big]
        y = xb + ab
        out[big] = (
            (xb - 0.5) * np.log1p(ab / xb) + ab * np.log(y) - ab + _stirling(y) - _stirling(xb)
        )
    return out


def _stirling(y: np.ndarray) -> np.ndarray:
    """The tail ``ln Gamma(y) - [(y - 1/2) ln y - y + ln(2 pi) / 2]`` for ``y >= 10``."""
    r = 1.0 / y
    r2 = r * r
    return r * (1 / 12 - r2 * (1 / 360 - r2 * (1 / 1260 - r2 * (1 / 1680 - r2 / 1188))))


def log_survival(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """``ln S(t) = ln B(gamma, delta + t) - ln B(gamma, delta)`` (2007, eq. 8); ``t >= 0``.

    Written ``R(delta, gamma) - R(delta + t, gamma)`` with ``R`` the
    :func:`log_gamma_ratio`, which keeps full relative precision for long tenures.
    """
    g, d = params[0], params[1]
    return log_gamma_ratio(d, g) - log_gamma_ratio(d + t, g)


def survival(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """``S(t)``: the share of a cohort still active after ``t`` periods (2007, eq. 8)."""
    return np.exp(log_survival(params, t))


def log_churn_probability(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """``ln P(T = t) = ln B(gamma + 1, delta + t - 1) - ln B(gamma, delta)`` (2007, eq. 7).

    ``t >= 1``: the lifetime is exactly ``t`` periods (the customer leaves at the end of
    period ``t``, without renewing). Computed as ``ln S(t - 1) + ln(1 - r(t))`` with
    ``1 - r(t) = gamma / (gamma + delta + t - 1)``, the recursion of the paper.
    """
    g, d = params[0], params[1]
    return np.asarray(
        log_survival(params, np.asarray(t, dtype=np.float64) - 1.0)
        + np.log(g)
        - np.log(g + d + np.asarray(t, dtype=np.float64) - 1.0),
        dtype=np.float64,
    )


def churn_probability(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """``P(T = t)`` (2007, eq. 7), ``t >= 1``."""
    return np.exp(log_churn_probability(params, t))


def retention_rate(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """``r(t) = S(t) / S(t - 1) = (delta + t - 1) / (gamma + delta + t - 1)`` (2007, eq. 9).

    ``t >= 1``: of the customers active after ``t - 1`` periods, the share who renew for
    period ``t + 1``.
    """
    g, d = params[0], params[1]
    return np.asarray((d + t - 1.0) / (g + d + t - 1.0), dtype=np.float64)


def residual_survival(
    params: np.ndarray, n: np.ndarray | float, k: np.ndarray | float
) -> np.ndarray:
    """``S(n + k) / S(n)``: the probability that a customer active after ``n`` periods is
    still active ``k`` periods later, ``B(gamma, delta + n + k) / B(gamma, delta + n)``.

    Given ``T > n`` the churn probability is Beta(gamma, delta + n) (the posterior of the
    2007 paper's section 3), so this is the survival function of a cohort of "age" ``n``.
    """
    g, d = params[0], params[1]
    base = d + np.asarray(n, dtype=np.float64)
    return np.exp(log_gamma_ratio(base, g) - log_gamma_ratio(base + k, g))


def expected_lifetime(params: np.ndarray) -> np.ndarray:
    """``E[T] = sum_{t >= 0} S(t) = (gamma + delta - 1) / (gamma - 1)`` periods for
    ``gamma > 1``; infinite for ``gamma <= 1``, where the Beta density of the churn
    probability piles up at 0 fast enough that the mean lifetime diverges.

    The sum is ``2F1(1, delta; gamma + delta; 1)``, evaluated by Gauss's theorem.
    """
    g, d = params[0], params[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        value = (g + d - 1.0) / (g - 1.0)
    return np.asarray(np.where(g > 1.0, value, np.inf), dtype=np.float64)


def derl(params: np.ndarray, n: np.ndarray | float, rate: np.ndarray | float) -> np.ndarray:
    """Discounted expected residual lifetime of a customer active after ``n`` periods.

    Fader & Hardie (2010), eq. 6, with their ``n - 1`` renewals written ``n``:

        DERL(d | gamma, delta, n) = sum_{k >= 1} S(n + k) / S(n) / (1 + d)^(k - 1)
            = (delta + n) / (gamma + delta + n)
              * 2F1(1, delta + n + 1; gamma + delta + n + 1; 1 / (1 + d)),

    the expected number of future renewals (payments), each discounted at the per-period
    ``rate`` ``d``, the next renewal counted at its decision point, undiscounted (the
    paper's convention: value is assessed just before the next renewal decision).

    With ``d = 0`` it is the expected number of remaining renewals,
    ``(delta + n) / (gamma - 1)`` for ``gamma > 1`` (Gauss's theorem) and infinite
    otherwise.

    Evaluation. scipy's ``hyp2f1`` loses digits and even returns NaN here (``z`` near 1
    with a large second parameter: long tenures, small per-period rates), so the sum is
    computed from two representations that are exact and well conditioned where used:

    - the mixture over the churn probability: given ``T > n`` it is Beta(gamma,
      delta + n), and the substitution ``1 - theta = exp(-x / m)``, ``m = gamma + delta + n``,
      turns the sum into ``(delta + n) / (m w) E[(w / (1 - z exp(-X / m)))^gamma]`` with
      ``X`` standard exponential, ``z = 1 / (1 + d)``, ``w = 1 - z``: a smooth integrand
      bounded by 1, integrated by 80-point Gauss-Laguerre quadrature when
      ``m d >= 2 max(1, gamma)`` (it then varies on scales >= 1);
    - below that, the explicit sum up to the first tenure ``N`` where the quadrature
      applies, plus ``S(N) / S(n) z^(N - n) DERL(N)`` for the rest, with
      ``S(t) z^t`` summed from the tail for all tenures of one parameter set at once.

    Parameters
    ----------
    params : (2, *p) array
    n : array of whole numbers >= 0
        Periods survived so far (renewals made).
    rate : array >= 0
        Discount rate per period.

    Returns
    -------
    ndarray
        The broadcast shape of the parameters, ``n`` and ``rate``.
    """
    g, dl, nn, rr = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (params[0], params[1], n, rate))
    )
    shape = g.shape
    g, dl, nn, rr = (v.ravel() for v in (g, dl, nn, rr))
    out = np.empty(g.size)
    zero = rr == 0.0
    if zero.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            out[zero] = np.where(g[zero] > 1.0, (dl[zero] + nn[zero]) / (g[zero] - 1.0), np.inf)
    m = g + dl + nn
    quad = ~zero & (m * rr >= _QUAD_FROM * np.maximum(g, 1.0))
    if quad.any():
        out[quad] = _derl_quadrature(g[quad], dl[quad] + nn[quad], rr[quad])
    chain = ~zero & ~quad
    if chain.any():
        out[chain] = _derl_chain(g[chain], dl[chain], nn[chain], rr[chain])
    return out.reshape(shape)


def _laguerre() -> tuple[np.ndarray, np.ndarray]:
    global _LAGUERRE
    if _LAGUERRE is None:
        nodes, weights = np.polynomial.laguerre.laggauss(_QUAD_NODES)
        _LAGUERRE = (nodes, weights)
    return _LAGUERRE


def _derl_quadrature(g: np.ndarray, beta: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """DERL by Gauss-Laguerre quadrature (see :func:`derl`); 1-d arrays, ``beta = delta + n``."""
    nodes, weights = _laguerre()
    m = g + beta
    log_w = np.log(rate) - np.log1p(rate)  # w = 1 - z = d / (1 + d)
    log_z = -np.log1p(rate)
    out = np.empty(g.size)
    block = max(1, _QUAD_CELLS // nodes.size)
    for lo in range(0, g.size, block):
        s = slice(lo, min(lo + block, g.size))
        # ln(1 - z exp(-x/m)), accurate when z exp(-x/m) is near 1
        u = -np.log1p(-np.exp(log_z[s, None] - nodes[None, :] / m[s, None]))
        h = np.exp(g[s, None] * (log_w[s, None] + u))
        out[s] = (h @ weights) * beta[s] / (m[s] * np.exp(log_w[s]))
    return out


def _derl_chain(g: np.ndarray, dl: np.ndarray, n: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """DERL where the quadrature does not apply: explicit sums up to a tenure where it does.

    For one parameter set and rate, with ``L(t) = ln S(t) + t ln z`` and ``N`` the first
    tenure with ``m d >= 2 max(1, gamma)``:

        DERL(n) = exp(L(N) - L(n)) [sum_{t=n+1}^{N} exp(L(t) - L(N)) / z + DERL(N)].

    The suffix sums of positive terms are formed once per parameter set for every tenure.
    """
    out = np.empty(g.size)
    keys = np.stack([g, dl, rate], axis=1)
    groups, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    for j, (gj, dj, rj) in enumerate(groups):
        rows = np.flatnonzero(inverse == j)
        tenures = n[rows]
        lo = int(tenures.min())
        N = max(math.ceil(_QUAD_FROM * max(gj, 1.0) / rj - gj - dj), int(tenures.max()) + 1)
        t = np.arange(lo, N + 1, dtype=np.float64)
        L = -log_gamma_ratio(dj + t, gj) - t * math.log1p(rj)  # ln S(t) + t ln z + const
        rel = L - L[-1]
        if float(rel[0]) > _MAX_LOG_SPAN:  # terms too far apart for one scale: one by one
            for r in rows:
                out[r] = _derl_chain_one(gj, dj, float(n[r]), rj, N)
            continue
        terms = np.exp(rel)
        suffix = np.cumsum(terms[::-1])[::-1]  # suffix[i] = sum_{t >= lo + i} terms
        tail = float(_derl_quadrature(np.array([gj]), np.array([dj + N]), np.array([rj]))[0])
        i = (tenures - lo).astype(np.intp)
        out[rows] = np.exp(-rel[i]) * (suffix[i + 1] * (1.0 + rj) + tail)
    return out


def _derl_chain_one(g: float, dl: float, n: float, rate: float, N: int) -> float:
    """One tenure of :func:`_derl_chain`, with terms scaled to the tenure itself."""
    t = np.arange(n, N + 1, dtype=np.float64)
    L = -log_gamma_ratio(dl + t, g) - t * math.log1p(rate)
    rel = L - L[0]  # <= 0: S(t) z^t / (S(n) z^n)
    tail = float(_derl_quadrature(np.array([g]), np.array([dl + N]), np.array([rate]))[0])
    return float(np.exp(rel[1:]).sum() * (1.0 + rate) + np.exp(rel[-1]) * tail)


# -- fitting -------------------------------------------------------------------------------
def loglik_derivatives(
    params: np.ndarray, data: SBGData, order: int = 2
) -> tuple[float, np.ndarray, np.ndarray]:
    """Total weighted log-likelihood with its gradient and Hessian in ``(gamma, delta)``.

    ``LL = sum deaths[t] ln P(T = t) + sum censored[t] ln S(t)`` (2007, eq. B3). With
    ``psi`` the digamma and ``psi1`` the trigamma function and ``s = gamma + delta``:

        d ln P(T=t) / d gamma = 1/gamma - psi(s + t) + psi(s)
        d ln P(T=t) / d delta = psi(delta + t - 1) - psi(delta) - psi(s + t) + psi(s)
        d ln S(t)   / d gamma = psi(s) - psi(s + t)
        d ln S(t)   / d delta = psi(delta + t) - psi(delta) - psi(s + t) + psi(s)

    and the second derivatives replace ``psi`` by ``psi1`` (with ``-1/gamma^2`` for the
    ``1/gamma`` term). Each sum runs over the few periods with weight.

    Parameters
    ----------
    params : (2,) array
        ``gamma, delta`` > 0.
    data : SBGData
    order : {0, 1, 2}

    Returns
    -------
    loglik : float
    gradient : (2,) array
    hessian : (2, 2) array
    """
    g, d = (np.float64(v) for v in params)
    s = g + d
    td, wd = data.death_t, data.death_w
    tc, wc = data.cens_t, data.cens_w
    Wd, Wc = float(wd.sum()), float(wc.sum())
    p = np.array([g, d])
    ll = _dot(wd, log_churn_probability(p, td)) + _dot(wc, log_survival(p, tc))
    grad = np.zeros(N_PARAMS)
    hess = np.zeros((N_PARAMS, N_PARAMS))
    if order < 1:
        return float(ll), grad, hess

    psi_s, psi_d = float(psi(s)), float(psi(d))
    psi_st_d, psi_st_c = psi(s + td), psi(s + tc)
    common_d = _dot(wd, psi_st_d)
    common_c = _dot(wc, psi_st_c)
    grad[0] = Wd / g + (Wd + Wc) * psi_s - common_d - common_c
    grad[1] = (
        _dot(wd, psi(d + td - 1.0))
        + _dot(wc, psi(d + tc))
        - (Wd + Wc) * psi_d
        - common_d
        - common_c
        + (Wd + Wc) * psi_s
    )
    if order < 2:
        return float(ll), grad, hess

    tri_s, tri_d = float(_trigamma(s)), float(_trigamma(d))
    cross = (Wd + Wc) * tri_s - _dot(wd, _trigamma(s + td)) - _dot(wc, _trigamma(s + tc))
    hess[0, 0] = cross - Wd / g**2
    hess[0, 1] = hess[1, 0] = cross
    hess[1, 1] = (
        cross + _dot(wd, _trigamma(d + td - 1.0)) + _dot(wc, _trigamma(d + tc)) - (Wd + Wc) * tri_d
    )
    return float(ll), grad, hess


def _at_risk_and_deaths(data: SBGData, t: int) -> tuple[float, float]:
    """Weight at risk of ending in period ``t`` and the weight that did."""
    at_risk = float(data.death_w[data.death_t >= t].sum() + data.cens_w[data.cens_t >= t].sum())
    died = float(data.death_w[data.death_t == t].sum())
    return at_risk, died


def initial_params(data: SBGData) -> np.ndarray:
    """A start from the first two observed retention rates (the method of moments).

    ``r(1) = delta / (gamma + delta)`` and ``r(2) = (delta + 1) / (gamma + delta + 1)``
    give ``gamma + delta = (1 - r2) / (r2 - r1)``; where the rates do not rise (or period 2
    is not observed) the start keeps ``r(1)`` with ``gamma + delta = 2``.
    """
    n1, d1 = _at_risk_and_deaths(data, 1)
    n2, d2 = _at_risk_and_deaths(data, 2)
    r1 = 1.0 - d1 / n1 if n1 > 0 else 0.5
    r2 = 1.0 - d2 / n2 if n2 > 0 else r1
    r1 = min(max(r1, 0.01), 0.99)
    total = (1.0 - r2) / (r2 - r1) if r2 > r1 + 1e-9 else 2.0
    lo, hi = _START_BOUNDS
    total = min(max(total, 2 * lo), hi)
    start = np.array([(1.0 - r1) * total, r1 * total])
    return np.clip(start, lo, hi)


def identifiability_problem(data: SBGData) -> str | None:
    """Why (gamma, delta) have no maximum-likelihood estimate for these data, or None."""
    if data.death_w.sum() <= 0:
        return (
            "no customer churned, so the churn probabilities cannot be estimated "
            "(the likelihood grows without bound as delta / gamma grows)."
        )
    survivors = float(data.death_w[data.death_t >= 2].sum() + data.cens_w.sum())
    if survivors <= 0:
        return (
            "every customer churned at the end of their first period, so nothing says how "
            "churn varies across customers (the likelihood grows as delta falls to 0)."
        )
    beyond = float(data.death_w[data.death_t >= 2].sum() + data.cens_w[data.cens_t >= 2].sum())
    if beyond <= 0:
        return (
            "no customer was observed beyond their first renewal, so only the first "
            "period's retention rate is known and gamma and delta cannot be told apart "
            "(observe at least two periods)."
        )
    return None


# -- simulation ----------------------------------------------------------------------------
def simulate(rng: np.random.Generator, params: np.ndarray, n: int) -> np.ndarray:
    """Draw ``n`` lifetimes (periods paid for, >= 1) from the model's own story.

    Each customer's churn probability is Beta(gamma, delta) and the lifetime geometric on
    1, 2, ... given it (2007, section 3). Returns an (n,) int64 array.
    """
    g, d = float(params[0]), float(params[1])
    theta = rng.beta(g, d, size=n)
    # T - 1 = floor(E / -ln(1 - theta)) with E standard exponential is geometric on 0, 1, ...
    # A churn probability that underflows to 0 is a customer who practically never leaves:
    # the lifetime is capped at 2**53 periods instead of overflowing.
    with np.errstate(divide="ignore"):
        scale = -np.log1p(-theta)
        extra = np.floor(rng.standard_exponential(size=n) / scale)
    return np.asarray(1 + np.minimum(extra, _MAX_LIFETIME), dtype=np.int64)
