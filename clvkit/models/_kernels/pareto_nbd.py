"""Pareto/NBD kernels (Schmittlein, Morrison & Colombo 1987).

Notation: a customer made ``x`` repeat purchases, the last at ``t_x`` (recency), and was
observed for ``T`` time units since the first purchase. Parameters are ``(r, alpha, s,
beta)``: while alive a customer buys as a Poisson process of rate ``lambda ~ Gamma(r,
alpha)`` and lives an exponential lifetime of rate ``mu ~ Gamma(s, beta)`` (both Gammas
with a *rate* parameter, ``lambda`` and ``mu`` independent).

The likelihood as two positive terms
------------------------------------
Given ``(lambda, mu)`` the likelihood of a history is (Fader & Hardie 2005, "A note on
deriving the Pareto/NBD model and related expressions", section 3; cited below as "the
note")::

    L(lambda, mu) = lambda^x mu/(lambda+mu) e^{-(lambda+mu) t_x}
                    + lambda^(x+1)/(lambda+mu) e^{-(lambda+mu) T}

(death somewhere in (t_x, T], or alive at T). Writing ``e^{-(lambda+mu) tau}/(lambda+mu)``
as ``int_tau^inf e^{-(lambda+mu) u} du`` and averaging over the two Gammas inside the
integrals gives, with ``p = r + x`` and ``C = Gamma(r+x) alpha^r beta^s / Gamma(r)``::

    L = C [ s G(p, s+1; t_x) + p G(p+1, s; T) ],
    G(a, b; tau) = int_tau^inf (alpha+u)^-a (beta+u)^-b du.

This equals the note's eqs. 18-22 (``1/((alpha+T)^(r+x)(beta+T)^s) + s/(r+s+x) A_0``; the
identity ``A(T) - s G(p, s+1; T) = p G(p+1, s; T)``, one integration by parts, turns the
difference inside ``A_0`` into the second term), but both terms are positive: the
log-likelihood is their log-sum-exp, with no cancellation anywhere.

The integral G on the branch that converges
-------------------------------------------
Let ``A >= B`` be the larger and the smaller of ``alpha`` and ``beta``, ``eA`` and ``eB``
the exponents on ``A + u`` and ``B + u``, ``M = eA + eB - 1 > 0`` and
``z = (A - B)/(A + tau)`` in [0, 1). Euler's integral gives::

    G = (A+tau)^-eA (B+tau)^(1-eB) / M * 2F1(eA, 1; eA+eB; z),

the note's 2F1(r+s+x, s+1; r+s+x+1; z) (or its alpha < beta twin) after Euler's
transformation ``2F1(a, b; c; z) = (1-z)^(c-a-b) 2F1(c-a, c-b; c; z)``. With an upper
parameter 1 the Gauss series has positive terms whose ratios are below ``z``, and the
branch (which of alpha, beta is ``A``) is chosen per element, so it covers ``alpha >=
beta``, ``alpha < beta`` and ``alpha == beta`` (``z = 0``, ``G`` elementary) alike.

For ``z <= 4/5`` the series is summed directly (at most ~230 terms, first and second
derivatives in ``a``, ``c``, ``z`` accumulated alongside; the fitting pass tabulates the
coefficients once per distinct ``x`` and re-centres long sums, see :func:`_poly_eval`).
For ``z > 4/5`` (``A`` much larger than ``B + tau``) the series converges too slowly, and
the transformation to ``1 - z`` is logarithmic wherever ``eB`` is an integer (``s = 1``
among others) and loses digits near one; instead ``G`` is split
at ``u_s`` where ``z(u_s) = 4/5``: the tail beyond ``u_s`` is the same series at
``z = 4/5``, and the piece ``tau <= u <= u_s`` is, in ``w = log((B+u)/(A-B))``::

    (A-B)^-M int_{w0}^{log(1/4)} exp((1-eB) w - eA log(1+e^w)) dw,

a log-concave integrand on a finite interval, integrated by Gauss-Legendre panels laid out
from its mode (see :func:`_log_concave_nodes`; relative error ~1e-15 against mpmath).
Derivatives of that piece are moments of ``d log f`` under the integrand (central moments
for the Hessian), so a sharply peaked integrand loses no digits to cancellation.

Predictions
-----------
Given alive at ``T`` the posterior is ``Gamma(r+x, alpha+T) x Gamma(s, beta+T)``
(independent: the alive branch is ``lambda^x e^{-(lambda+mu) T}``), and the process is
memoryless, so an alive customer's future is a new customer's with parameters
``(r+x, alpha+T, s, beta+T)``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, exprel, gammaln, polygamma, psi

from clvkit.models._kernels.chunks import chunk_sums
from clvkit.models._kernels.compress import CohortRows, distinct_keys, factorize, split_cohort
from clvkit.models._kernels.linalg import dot as _dot

__all__ = [
    "N_PARAMS",
    "PNBData",
    "PNBRows",
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

_Z_SPLIT = 0.8  # the Gauss series is summed directly for z <= this
_SERIES_TOL = 1e-17  # stop once the (weighted) terms fall below this times the sum
_SERIES_MAX_TERMS = 4000  # never reached for z <= _Z_SPLIT (a safeguard)
_GL_N = 16
_GL_X, _GL_W = np.polynomial.legendre.leggauss(_GL_N)
_DROP_STOP = 42.0  # panels stop where the integrand has fallen by e^-42 from its mode
_PANEL_MAX = 4.0  # longest panel (in the log-variable)
_BUDGET0, _BUDGET_SLOPE, _BUDGET_MAX = 1.0, 0.5, 8.0  # log-drop of the integrand per panel
_CHUNK = 1 << 18  # longest block of the fitting pass; more pairs than this take two passes


# -- the Gauss series 2F1(a, 1; c; z) ------------------------------------------------------
#: rows of :func:`_series`'s result: 2F1 and its partial derivatives in (a, c, z)
_F, _FA, _FC, _FZ, _FAA, _FAC, _FCC, _FAZ, _FCZ, _FZZ = range(10)
_SERIES_ROWS = (1, 4, 10)  # rows computed at order 0, 1, 2


def _series(a: np.ndarray, c: np.ndarray, z: np.ndarray, order: int) -> np.ndarray:
    """``2F1(a, 1; c; z) = sum_n (a)_n/(c)_n z^n`` on 1-d arrays, ``0 < a < c``, ``0 <= z <= 4/5``.

    The terms ``T_n = P_n z^n`` (``P_n`` the product of the ratios ``(a+k)/(c+k) < 1``)
    are positive and fall faster than ``z^n``. Derivatives come from the same terms:
    ``d log T_n/da = sum_{k<n} 1/(a+k)``, ``d log T_n/dc = -sum_{k<n} 1/(c+k)`` (second
    derivatives ``-sum 1/(a+k)^2`` and ``sum 1/(c+k)^2``) and ``dT_n/dz = n P_n z^(n-1)``.

    Returns
    -------
    (1, n), (4, n) or (10, n) array
        Rows ``F, Fa, Fc, Fz`` (order >= 1) and ``Faa, Fac, Fcc, Faz, Fcz, Fzz``
        (order 2), indexed by the ``_F...`` constants.

    The sums run in place on the still-active prefix of the work arrays; entries whose
    remaining terms are negligible (checked every few terms) are written out and dropped.
    """
    n = a.size
    rows = _SERIES_ROWS[min(order, 2)]
    out = np.empty((rows, n))
    acc = np.zeros((rows, n))
    acc[_F] = 1.0
    where = np.arange(n)
    A, C, Z = a.astype(np.float64), c.astype(np.float64), z.astype(np.float64)
    term, prev = np.ones(n), np.zeros(n)  # P_k z^k and P_k z^(k-1)
    sa, sc, sa2, sc2 = np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n)
    ratio, t1, ia, ic, tmp, t2, u = (np.empty(n) for _ in range(7))
    active = n
    k = 0
    while active:
        m = k + 1
        v = slice(0, active)
        Av, Cv, Zv, term_v, prev_v = A[v], C[v], Z[v], term[v], prev[v]
        ratio_v, t1_v, ia_v, ic_v, tmp_v, t2_v = ratio[v], t1[v], ia[v], ic[v], tmp[v], t2[v]
        F = acc[:, v]
        np.add(Av, k, out=ia_v)
        np.add(Cv, k, out=ic_v)
        np.divide(ia_v, ic_v, out=ratio_v)  # (a+k)/(c+k)
        if order >= 2:
            np.multiply(prev_v, ratio_v, out=t2_v)  # P_{k+1} z^(k-1)
        np.multiply(term_v, ratio_v, out=t1_v)  # P_{k+1} z^k
        np.multiply(t1_v, Zv, out=term_v)  # T_{k+1}
        F[_F] += term_v
        if order >= 1:
            u_v = u[v]
            np.reciprocal(ia_v, out=ia_v)
            np.reciprocal(ic_v, out=ic_v)
            sa_v, sc_v = sa[v], sc[v]
            sa_v += ia_v
            sc_v += ic_v
            np.multiply(term_v, sa_v, out=tmp_v)
            F[_FA] += tmp_v
            np.multiply(term_v, sc_v, out=tmp_v)
            F[_FC] -= tmp_v
            np.multiply(t1_v, m, out=u_v)  # m P_{k+1} z^k
            F[_FZ] += u_v
            if order >= 2:
                sa2_v, sc2_v = sa2[v], sc2[v]
                prev_v[:] = t1_v
                np.multiply(u_v, sa_v, out=tmp_v)
                F[_FAZ] += tmp_v
                np.multiply(u_v, sc_v, out=tmp_v)
                F[_FCZ] -= tmp_v
                np.multiply(t2_v, m * k, out=tmp_v)
                F[_FZZ] += tmp_v
                np.multiply(ia_v, ia_v, out=ia_v)
                sa2_v += ia_v
                np.multiply(ic_v, ic_v, out=ic_v)
                sc2_v += ic_v
                np.multiply(sa_v, sa_v, out=tmp_v)
                tmp_v -= sa2_v
                tmp_v *= term_v
                F[_FAA] += tmp_v
                np.multiply(sa_v, sc_v, out=tmp_v)
                tmp_v *= term_v
                F[_FAC] -= tmp_v
                np.multiply(sc_v, sc_v, out=tmp_v)
                tmp_v += sc2_v
                tmp_v *= term_v
                F[_FCC] += tmp_v
        k += 1
        if k % 4 and k > 4 and k < _SERIES_MAX_TERMS:
            continue
        # the tail is below the last term (of the most slowly falling sum: z^(k-1) for
        # the second z-derivative) times a geometric factor, z <= 4/5; the derivative
        # sums carry weights growing like (n log n)^2 at most
        base = (term_v, t1_v, np.maximum(t1_v, t2_v, out=t2_v))[min(order, 2)]
        if order >= 1:
            np.add(sa[v], sc[v], out=tmp_v)
            tmp_v += 1.0
            np.multiply(tmp_v, tmp_v, out=tmp_v)
            tmp_v *= base
        else:
            tmp_v[:] = base
        tmp_v *= float(m + 1) ** 2
        done = tmp_v <= _SERIES_TOL * F[_F]
        if k >= _SERIES_MAX_TERMS:
            done[:] = True
        n_done = int(np.count_nonzero(done))
        if not n_done:
            continue
        out[:, where[v][done]] = F[:, done]
        keep = ~done
        kept = active - n_done
        for arr in (A, C, Z, term, prev, sa, sc, sa2, sc2, where):
            arr[:kept] = arr[v][keep]
        acc[:, :kept] = F[:, keep]
        active = kept
    return out


_POLY_TERMS = 400  # longest coefficient table: z**400 < 1e-38 for z <= 4/5
_INNER = 4096  # pairs evaluated at once in the fitting pass (temporaries stay in cache)
_SHIFT_RATIO = 0.35  # a re-centred run of z spans c +/- h with h <= this * (1 - c)
_SHIFT_MIN = 24  # sums this short are evaluated directly
_SHIFT_TERMS = 64  # most Taylor terms kept after re-centring


def _poly_table(a: float, c: float, order: int) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients of :func:`_series`'s rows as polynomials in ``z`` (``z <= 4/5``).

    The fitting pass meets each exponent pair once per distinct ``x`` with many values of
    ``tau``: there the sum and each derivative is a polynomial in ``z`` whose coefficients
    (``P_n`` and the derivative weights of :func:`_series`) are tabulated once. All
    coefficients of a row have one sign, so nothing cancels.

    Returns
    -------
    coef : (rows, K) array
        Row ``i`` holds the coefficients of ``z^0 .. z^(K-1)`` of quantity ``i``.
    weight : (K,) array
        A bound on the terms of every row at ``z^n`` is ``weight[n] z^n`` (for the
        slowest sum, the second z-derivative, shifted by two); :func:`_poly_eval` stops
        where it falls below the tolerance.
    """
    rows = _SERIES_ROWS[min(order, 2)]
    k = np.arange(_POLY_TERMS + 2, dtype=np.float64)
    P = np.empty(k.size + 1)
    P[0] = 1.0
    np.cumprod((a + k) / (c + k), out=P[1:])
    inv_a, inv_c = 1.0 / (a + k), 1.0 / (c + k)
    SA = np.concatenate(([0.0], np.cumsum(inv_a)))
    SC = np.concatenate(([0.0], np.cumsum(inv_c)))
    K = _POLY_TERMS + 1
    n = np.arange(K, dtype=np.float64)
    weight = P[1 : K + 1] * (n + 2.0) ** 2
    if order >= 1:
        weight *= (1.0 + SA[2 : K + 2] + SC[2 : K + 2]) ** 2
    coef = np.empty((rows, K))
    p0, p1 = P[:K], P[1 : K + 1] * (n + 1.0)  # z^n coefficients of F and of dF/dz
    coef[_F] = p0
    if order >= 1:
        sa0, sc0, sa1, sc1 = SA[:K], SC[:K], SA[1 : K + 1], SC[1 : K + 1]
        coef[_FA] = p0 * sa0
        coef[_FC] = -p0 * sc0
        coef[_FZ] = p1
        if order >= 2:
            sa2 = np.concatenate(([0.0], np.cumsum(inv_a[: K - 1] ** 2)))
            sc2 = np.concatenate(([0.0], np.cumsum(inv_c[: K - 1] ** 2)))
            coef[_FAA] = p0 * (sa0 * sa0 - sa2)
            coef[_FAC] = -p0 * sa0 * sc0
            coef[_FCC] = p0 * (sc0 * sc0 + sc2)
            coef[_FAZ] = p1 * sa1
            coef[_FCZ] = -p1 * sc1
            coef[_FZZ] = P[2 : K + 2] * (n + 1.0) * (n + 2.0)
    return coef, weight


def _degree(weight: np.ndarray, top: float) -> int:
    """Terms of :func:`_poly_table`'s polynomials needed for ``z <= top``."""
    with np.errstate(under="ignore"):
        large = np.flatnonzero(weight * top ** np.arange(weight.size) > _SERIES_TOL)
    return int(large[-1]) + 2 if large.size else 1


def _powers_product(coef: np.ndarray, z: np.ndarray) -> np.ndarray:
    """``coef @ [z^0, z^1, ...]`` for a short 1-d ``z``, without BLAS (whose threads cost more
    than the arithmetic on a busy machine)."""
    powers = np.empty((coef.shape[1], z.size))
    powers[0] = 1.0
    for i in range(1, coef.shape[1]):
        np.multiply(powers[i - 1], z, out=powers[i])
    return np.asarray(np.einsum("rn,nm->rm", coef, powers))


def _poly_eval(coef: np.ndarray, weight: np.ndarray, z: np.ndarray) -> np.ndarray:
    """The polynomials of :func:`_poly_table` at ``z`` (1-d, descending, all ``<= 4/5``).

    Near ``z = 4/5`` the series needs ~230 terms. Re-centred at the middle ``c`` of a run of
    ``z`` of half-width ``h``, a polynomial's Taylor coefficients are
    ``Q_k = sum_n q_n C(n, k) c^(n-k)`` (positive sums), and they fall like
    ``(h/(1-c))^k`` (the singularity at ``z = 1``): the runs are cut so that
    ``h <= 0.35 (1 - c)``, and ~40 terms in ``z - c`` replace the long sum. The runs also
    keep ``min(z) >= max(z)/2``, so the alternating sum in ``z - c`` cancels little: every
    row keeps its relative accuracy, however small. Short sums are evaluated directly.

    Returns
    -------
    (rows, z.size) array
    """
    out = np.empty((coef.shape[0], z.size))
    rho = _SHIFT_RATIO
    start = 0
    while start < z.size:
        top = float(z[start])
        lowest = max((top * (1.0 + rho) - 2.0 * rho) / (1.0 - rho), 0.5 * top)
        stop = int(np.searchsorted(-z, -lowest, side="right"))
        stop = max(stop, start + 1)
        run = z[start:stop]
        N = _degree(weight, top)
        if N <= _SHIFT_MIN:
            table, shift = coef[:, :N], 0.0
        else:
            low = float(run[-1])
            shift, half = 0.5 * (top + low), 0.5 * (top - low)
            n = np.arange(N, dtype=np.float64)[:, None]
            k = np.arange(min(N, _SHIFT_TERMS), dtype=np.float64)[None, :]
            with np.errstate(invalid="ignore"):
                log_b = (
                    gammaln(n + 1.0) - gammaln(k + 1.0) - gammaln(np.maximum(n - k, 0.0) + 1.0)
                ) + (n - k) * np.log(shift)
            binom = np.where(n >= k, np.exp(np.where(n >= k, log_b, 0.0)), 0.0)
            table = np.einsum("rn,nk->rk", coef[:, :N], binom)
            with np.errstate(under="ignore"):
                size = np.max(np.abs(table), axis=0) * half ** k[0] * (k[0] + 2.0) ** 2
            large = np.flatnonzero(size > _SERIES_TOL * table[_F, 0])
            table = table[:, : int(large[-1]) + 2 if large.size else 1]
        for first in range(start, stop, _INNER):
            last = min(first + _INNER, stop)
            out[:, first:last] = _powers_product(table, z[first:last] - shift)
        start = stop
    return out


# -- quadrature of log-concave integrands --------------------------------------------------
def _slopes(
    y: np.ndarray, k: np.ndarray, a: np.ndarray, lc1: np.ndarray, b: np.ndarray, lc2: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """First and second derivative of ``g(y) = k y - a log(c1+e^y) - b log(c2+e^y)``."""
    s1, t1 = expit(y - lc1), expit(lc1 - y)
    s2, t2 = expit(y - lc2), expit(lc2 - y)
    return k - a * s1 - b * s2, -(a * s1 * t1 + b * s2 * t2)


def _log_ratio(off: np.ndarray, log_s: np.ndarray, log_t: np.ndarray) -> np.ndarray:
    """``log((c + e^(y0+off))/(c + e^y0)) = log(t + s e^off)`` from ``log s`` and ``log t``,
    ``s = e^y0/(c+e^y0)``, ``t = 1 - s``.

    As ``logaddexp``: since ``s + t = 1`` the larger term is at least ``log(1/2) + min(off,
    0)``, so the absolute error stays within a few ulps of ``1 + |off|``.
    """
    return np.asarray(np.logaddexp(log_t, log_s + off))


def _log_concave_nodes(
    k: np.ndarray,
    a: np.ndarray,
    c1: np.ndarray,
    b: np.ndarray,
    c2: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Quadrature of ``int_lo^hi exp(g(y)) dy``, ``g = k y - a log(c1+e^y) - b log(c2+e^y)``.

    All arguments are 1-d arrays of one length ``n``, ``a, b >= 0``, ``c1, c2 >= 0``
    (``c = 0`` allowed: the factor is then ``e^(-a y)``), ``lo < hi`` with ``lo = -inf``
    allowed when ``g`` falls towards it (``k > 0``). ``g`` is concave (``g''`` is minus a
    sum of logistic densities), so the integrand is unimodal: its mode is found by a
    bracketed Newton iteration (the bracket comes from the logistic bounds), and
    Gauss-Legendre panels of 16 nodes are laid out from the mode towards both ends. Each
    panel is as long as the local slope and curvature allow for a fall of ``log`` of the
    integrand by about ``D`` (1 at the mode, growing with the fall so far up to 8 in the far
    tail, where less relative accuracy is needed), and at most 4; panels stop at the
    interval end or once the integrand has fallen by ``e^-42``. The integrand at the nodes
    is evaluated relative to its mode, from the offsets, so large ``|k y|`` costs no digits.
    Against mpmath the relative error is ~1e-15 (gradients from its moments ~1e-13).

    Returns
    -------
    elem : (m,) intp
        The element each node belongs to.
    y : (m,) float
        The nodes.
    omega : (m,) float
        Positive weights: the integral of element ``i`` is
        ``exp(log_peak[i]) * omega[elem == i].sum()``.
    log_peak : (n,) float
        ``g`` at the mode.
    """
    n = k.size
    with np.errstate(divide="ignore"):
        lc1, lc2 = np.log(c1), np.log(c2)
    total = a + b
    mode = np.where(k <= 0.0, lo, hi)
    inner = (k > 0.0) & (k < total)
    if inner.any():
        kk, aa, bb, l1, l2 = k[inner], a[inner], b[inner], lc1[inner], lc2[inner]
        q = kk / (aa + bb)
        lq = np.log(q) - np.log1p(-q)
        # g' = 0 where a s1 + b s2 = k: between the points where each logistic is k/(a+b)
        y1 = l1 + lq
        y2 = np.where(bb > 0.0, l2 + lq, y1)
        left = np.maximum(np.minimum(y1, y2), lo[inner])
        right = np.minimum(np.maximum(y1, y2), hi[inner])
        y = np.where(left < right, 0.5 * (left + right), np.where(np.isfinite(left), left, right))
        for _ in range(200):
            gp, gpp = _slopes(y, kk, aa, l1, bb, l2)
            left = np.where(gp > 0.0, y, left)
            right = np.where(gp <= 0.0, y, right)
            with np.errstate(divide="ignore", invalid="ignore"):
                step = y - gp / gpp
            step = np.where((step > left) & (step < right), step, 0.5 * (left + right))
            scale = np.maximum(1.0, np.abs(y))
            done = (np.abs(step - y) <= 4e-16 * scale) | (right - left <= 4e-16 * scale)
            y = step
            if done.all():
                break
        mode[inner] = y
    mode = np.clip(mode, lo, hi)
    # log of the logistic weights at the mode: log s_i = -softplus(lc_i - y), log t_i
    ls1, lt1 = -np.logaddexp(0.0, lc1 - mode), -np.logaddexp(0.0, mode - lc1)
    ls2, lt2 = -np.logaddexp(0.0, lc2 - mode), -np.logaddexp(0.0, mode - lc2)

    def drop(i: np.ndarray, off: np.ndarray) -> np.ndarray:
        """``g(mode) - g(mode + off)`` for elements ``i``."""
        return -(
            k[i] * off
            - a[i] * _log_ratio(off, ls1[i], lt1[i])
            - b[i] * _log_ratio(off, ls2[i], lt2[i])
        )

    elems, starts, ends = [], [], []
    for side in (1.0, -1.0):
        room = (hi - mode) if side > 0 else (mode - lo)  # >= 0, inf towards -inf
        off = np.zeros(n)
        idx = np.flatnonzero(room > 0.0)
        for _ in range(10_000):
            if not idx.size:
                break
            o = off[idx]
            gp, gpp = _slopes(mode[idx] + o, k[idx], a[idx], lc1[idx], b[idx], lc2[idx])
            budget = np.minimum(_BUDGET0 + _BUDGET_SLOPE * drop(idx, o), _BUDGET_MAX)
            with np.errstate(divide="ignore"):
                h = np.minimum(budget / np.abs(gp), np.sqrt(2.0 * budget / np.abs(gpp)))
            new = o + side * np.minimum(h, _PANEL_MAX)
            end = side * new >= room[idx]
            new = np.where(end, side * room[idx], new)
            elems.append(idx)
            starts.append(o)
            ends.append(new)
            finished = end | (drop(idx, new) > _DROP_STOP)
            off[idx] = new
            idx = idx[~finished]
    e = np.concatenate(elems) if elems else np.zeros(0, dtype=np.intp)
    s = np.concatenate(starts) if starts else np.zeros(0)
    t = np.concatenate(ends) if ends else np.zeros(0)
    half = 0.5 * (t - s)
    offs = ((0.5 * (t + s))[:, None] + half[:, None] * _GL_X[None, :]).ravel()
    elem = np.repeat(e, _GL_N)
    omega = (np.abs(half)[:, None] * _GL_W[None, :]).ravel() * np.exp(-drop(elem, offs))
    log_peak = k * mode - a * np.logaddexp(lc1, mode) - b * np.logaddexp(lc2, mode)
    return elem, mode[elem] + offs, omega, log_peak


def _log_integral(
    k: np.ndarray,
    a: np.ndarray,
    c1: np.ndarray,
    b: np.ndarray,
    c2: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> np.ndarray:
    """``log int_lo^hi exp(k y - a log(c1+e^y) - b log(c2+e^y)) dy`` (1-d arrays)."""
    elem, _, omega, log_peak = _log_concave_nodes(k, a, c1, b, c2, lo, hi)
    return np.asarray(log_peak + np.log(np.bincount(elem, omega, minlength=k.size)))


# -- G(a, b; tau) = int_tau^inf (alpha+u)^-a (beta+u)^-b du ----------------------------------
#: the upper triangle of a 4 x 4 Hessian, row by row: the layout of every (10, n) Hessian
_HESS_INDEX = ((0, 0), (0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3), (2, 2), (2, 3), (3, 3))
_SWAP = (1, 0, 3, 2)  # local (eA, eB, A, B) <-> (ea, eb, alpha, beta) when alpha < beta
_HESS_SWAP = np.array(
    [_HESS_INDEX.index(tuple(sorted((_SWAP[i], _SWAP[j])))) for i, j in _HESS_INDEX]
)

Derivs = tuple[np.ndarray, np.ndarray | None, np.ndarray | None]


def _at(v: np.ndarray, i: np.ndarray) -> np.ndarray:
    """``v[i]``, or ``v`` itself when it is a scalar shared by every element."""
    return v if v.ndim == 0 else v[i]


def _log_G_series(
    eA: np.ndarray, eB: np.ndarray, A: np.ndarray, B: np.ndarray, tau: np.ndarray, order: int
) -> Derivs:
    """``log G`` for ``A >= B`` and ``z <= 4/5``, derivatives in ``(eA, eB, A, B)``.

    ``log G = -eA log(A+tau) + (1-eB) log(B+tau) - log M + log 2F1(eA, 1; eA+eB; z)``,
    ``z = (A-B)/(A+tau)``. Returns the value (n,), the gradient (4, n) and the upper
    triangle of the Hessian (10, n) (``_HESS_INDEX``), each None above ``order``.
    """
    z = (A - B) / (A + tau)
    S = _series(eA, eA + eB, np.broadcast_to(z, eA.shape), order)
    return _from_series(eA, eB, A, B, tau, S, order)


def _from_series(
    eA: np.ndarray,
    eB: np.ndarray,
    A: np.ndarray,
    B: np.ndarray,
    tau: np.ndarray,
    S: np.ndarray,
    order: int,
) -> Derivs:
    """:func:`_log_G_series` from the series ``S`` (rows ``_F...``) at ``z = (A-B)/(A+tau)``;
    ``eA, eB, A, B`` may be scalars shared by all ``tau``."""
    At, Bt = A + tau, B + tau
    M = eA + eB - 1.0
    F = S[_F]
    LA, LB = np.log(At), np.log(Bt)
    lG = -eA * LA + (1.0 - eB) * LB - np.log(M) + np.log(F)
    if order < 1:
        return lG, None, None
    inv_F = 1.0 / F
    fa, fc, fz = S[_FA] * inv_F, S[_FC] * inv_F, S[_FZ] * inv_F
    zA, zB = Bt / At**2, -1.0 / At  # dz/dA, dz/dB
    inv_M = 1.0 / M
    grad = np.empty((4, F.size))
    grad[0] = fa + fc - LA - inv_M
    grad[1] = fc - LB - inv_M
    grad[2] = fz * zA - eA / At
    grad[3] = fz * zB + (1.0 - eB) / Bt
    if order < 2:
        return lG, grad, None
    faa = S[_FAA] * inv_F - fa * fa
    fac = S[_FAC] * inv_F - fa * fc
    fcc = S[_FCC] * inv_F - fc * fc
    faz = S[_FAZ] * inv_F - fa * fz
    fcz = S[_FCZ] * inv_F - fc * fz
    fzz = S[_FZZ] * inv_F - fz * fz
    inv_m2 = inv_M * inv_M
    hess = np.empty((10, F.size))
    hess[0] = inv_m2 + faa + 2.0 * fac + fcc  # (eA, eA)
    hess[1] = inv_m2 + fac + fcc  # (eA, eB)
    hess[2] = (faz + fcz) * zA - 1.0 / At  # (eA, A)
    hess[3] = (faz + fcz) * zB  # (eA, B)
    hess[4] = inv_m2 + fcc  # (eB, eB)
    hess[5] = fcz * zA  # (eB, A)
    hess[6] = fcz * zB - 1.0 / Bt  # (eB, B)
    hess[7] = eA / At**2 + fzz * zA**2 - fz * 2.0 * Bt / At**3  # (A, A)
    hess[8] = fzz * zA * zB + fz / At**2  # (A, B)
    hess[9] = fzz * zB**2 - (1.0 - eB) / Bt**2  # (B, B)
    return lG, grad, hess


def _split_point(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``u`` where ``z = (A-B)/(A+u)`` is ``_Z_SPLIT``."""
    return np.asarray((A - B) / _Z_SPLIT - A)


def _log_G_split(
    eA: np.ndarray, eB: np.ndarray, A: np.ndarray, B: np.ndarray, tau: np.ndarray, order: int
) -> Derivs:
    """``log G`` for ``A > B`` and ``z > 4/5``: the series tail plus a quadrature piece.

    ``G = G_L + G_T``: ``G_T`` is ``G`` from ``u_s = (A-B)/z_s - A`` (where ``z = z_s =
    4/5``), by the series; ``G_L = int_tau^{u_s} f du`` with ``f = (A+u)^-eA (B+u)^-eB``,
    in ``w = log((B+u)/(A-B))`` (``A+u = (A-B)(1+e^w)``, ``B+u = (A-B) e^w``)::

        G_L = (A-B)^-M int_{w0}^{w_s} exp((1-eB) w - eA log(1+e^w)) dw,
        w0 = log((B+tau)/(A-B)),  w_s = log((1-z_s)/z_s).

    With the limits held fixed, ``d log G_L = E[d log f]`` and
    ``d2 log G_L = E[d2 log f] + Cov[d log f]`` under the density ``f/G_L`` on
    ``[tau, u_s]`` (moments at the quadrature nodes, covariances from centred values);
    ``log f`` is linear in ``(eA, eB)``, so ``d log f = (-log(A+u), -log(B+u),
    -eA/(A+u), -eB/(B+u))``. The two pieces combine as a two-component log-sum-exp.
    """
    n = tau.size
    if eA.ndim == eB.ndim == A.ndim == B.ndim == 0:
        # one exponent pair and one (A, B) (a block of the fitting pass): one tail
        split = _split_point(A, B) * np.ones(1)
        coef, weight = _poly_table(float(eA), float(eA + eB), order)
        S = _poly_eval(coef, weight, (A - B) / (A + split))
        lT, gT, hT = _from_series(eA, eB, A, B, split, S, order)
    else:
        split = np.broadcast_to(_split_point(A, B), tau.shape)
        lT, gT, hT = _log_G_series(eA, eB, A, B, split, order)
    eA, eB = np.broadcast_to(eA, tau.shape), np.broadcast_to(eB, tau.shape)
    A, B = np.broadcast_to(A, tau.shape), np.broadcast_to(B, tau.shape)
    d = A - B
    M = eA + eB - 1.0
    w0 = np.log(B + tau) - np.log(d)
    one, zero = np.ones(n), np.zeros(n)
    top = np.full(n, np.log((1.0 - _Z_SPLIT) / _Z_SPLIT))
    elem, w, omega, log_peak = _log_concave_nodes(1.0 - eB, eA, one, zero, one, w0, top)
    mass = np.bincount(elem, omega, minlength=n)
    log_d = np.log(d)
    lL = -M * log_d + log_peak + np.log(mass)
    lG = np.logaddexp(lL, lT)
    if order < 1:
        return lG, None, None
    assert gT is not None
    pL, pT = np.exp(lL - lG), np.exp(lT - lG)
    prob = omega / mass[elem]
    # log(A+u) - log d, log(B+u) - log d, d/(A+u), d/(B+u) at the nodes
    values = [np.logaddexp(0.0, w), w, expit(-w), np.exp(-w)]
    mean = [np.bincount(elem, prob * v, minlength=n) for v in values]
    gL = np.stack([-(mean[0] + log_d), -(mean[1] + log_d), -eA * mean[2] / d, -eB * mean[3] / d])
    grad = pL * gL + pT * gT
    if order < 2:
        return lG, grad, None
    assert hT is not None
    eAe, eBe, de = eA[elem], eB[elem], d[elem]
    dev = [
        -(values[0] - mean[0][elem]),
        -(values[1] - mean[1][elem]),
        -eAe * (values[2] - mean[2][elem]) / de,
        -eBe * (values[3] - mean[3][elem]) / de,
    ]
    hL = np.stack([np.bincount(elem, prob * dev[i] * dev[j], minlength=n) for i, j in _HESS_INDEX])
    hL[2] -= mean[2] / d  # (eA, A): -E[1/(A+u)]
    hL[6] -= mean[3] / d  # (eB, B): -E[1/(B+u)]
    hL[7] += eA * np.bincount(elem, prob * values[2] ** 2, minlength=n) / d**2
    hL[9] += eB * np.bincount(elem, prob * values[3] ** 2, minlength=n) / d**2
    diff = gL - gT
    outer = np.stack([diff[i] * diff[j] for i, j in _HESS_INDEX])
    return lG, grad, pL * hL + pT * hT + (pL * pT) * outer


def _log_G_local(
    eA: np.ndarray, eB: np.ndarray, A: np.ndarray, B: np.ndarray, tau: np.ndarray, order: int
) -> Derivs:
    """``log G`` for ``A >= B`` (scalars or arrays), derivatives in ``(eA, eB, A, B)``:
    the series where ``z <= 4/5``, the split elsewhere."""
    z = (A - B) / (A + tau)
    hard = z > _Z_SPLIT
    if not hard.any():
        return _log_G_series(eA, eB, A, B, tau, order)
    n = eA.size
    lG = np.empty(n)
    grad = np.empty((4, n)) if order >= 1 else None
    hess = np.empty((10, n)) if order >= 2 else None
    for part, fn in ((~hard, _log_G_series), (hard, _log_G_split)):
        i = np.flatnonzero(part)
        if not i.size:
            continue
        lp, gp, hp = fn(eA[i], eB[i], _at(A, i), _at(B, i), tau[i], order)
        lG[i] = lp
        if grad is not None and gp is not None:
            grad[:, i] = gp
        if hess is not None and hp is not None:
            hess[:, i] = hp
    return lG, grad, hess


def _log_G(
    ea: np.ndarray,
    eb: np.ndarray,
    alpha: np.ndarray,
    beta: np.ndarray,
    tau: np.ndarray,
    order: int = 0,
) -> Derivs:
    """``log int_tau^inf (alpha+u)^-ea (beta+u)^-eb du`` on 1-d arrays of one length.

    Requires ``ea, eb > 0``, ``ea + eb > 1``, ``alpha, beta > 0``, ``tau >= 0``. With
    ``order`` >= 1 also the gradient (4, n) and with 2 the Hessian's upper triangle
    (10, n, ``_HESS_INDEX``) in ``(ea, eb, alpha, beta)``. The larger of alpha and beta
    takes the role of ``A`` element by element.
    """
    swap = alpha < beta
    A, B = np.where(swap, beta, alpha), np.where(swap, alpha, beta)
    eA, eB = np.where(swap, eb, ea), np.where(swap, ea, eb)
    lG, grad, hess = _log_G_local(eA, eB, A, B, tau, order)
    if swap.any():
        s = np.flatnonzero(swap)
        if grad is not None:
            grad[:, s] = grad[list(_SWAP)][:, s]
        if hess is not None:
            hess[:, s] = hess[_HESS_SWAP][:, s]
    return lG, grad, hess


# -- fitting ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PNBData:
    """A Pareto/NBD cohort reduced to what the likelihood needs.

    The likelihood of a row is ``C(x) [s G(r+x, s+1; t_x) + (r+x) G(r+x+1, s; T)]``: the
    first integral depends on ``(x, t_x)`` only and the second on ``(x, T)`` only, so each
    is evaluated once per distinct pair, and ``C(x)`` once per distinct ``x``.

    Attributes
    ----------
    x_values, W_x : (kx,) arrays
        Distinct repeat-purchase counts and the total weight at each.
    tx_x, tx_values : (m1,) arrays
        Distinct ``(x, t_x)`` pairs, sorted by ``x`` then ``t_x``.
    T_x, T_values : (m2,) arrays
        Distinct ``(x, T)`` pairs, sorted by ``x`` then ``T``.
    tx_blocks, T_blocks : (nb, 2) int arrays
        ``[start, stop)`` of runs of pairs with one ``x``, at most ``_CHUNK`` long: the
        units of work of the fitting pass.
    row_tx, row_T, row_w : (m,) arrays
        Distinct ``(x, t_x, T)`` rows: codes into the two pair lists and the row weight.
    total_weight : float
        Sum of all weights (the effective number of customers).
    n_distinct : int
        Number of distinct ``(x, t_x, T)`` rows.
    total_x, total_T : float
        Weighted sums of ``x`` and of ``T``.
    """

    x_values: np.ndarray
    W_x: np.ndarray
    tx_x: np.ndarray
    tx_values: np.ndarray
    T_x: np.ndarray
    T_values: np.ndarray
    tx_blocks: np.ndarray
    T_blocks: np.ndarray
    row_tx: np.ndarray
    row_T: np.ndarray
    row_w: np.ndarray
    total_weight: float
    n_distinct: int
    total_x: float
    total_T: float


def _blocks(x: np.ndarray) -> np.ndarray:
    """``[start, stop)`` of the runs of equal values of a sorted array, cut at ``_CHUNK``."""
    if not x.size:
        return np.zeros((0, 2), dtype=np.int64)
    edges = np.flatnonzero(np.diff(x)) + 1
    bounds = np.concatenate(([0], edges, [x.size]))
    starts = np.concatenate([np.arange(a, b, _CHUNK) for a, b in itertools.pairwise(bounds)])
    stops = np.append(starts[1:], x.size)
    return np.stack([starts, stops], axis=1).astype(np.int64)


@dataclass(frozen=True)
class PNBRows:
    """A Pareto/NBD cohort whose rows are almost all distinct, kept row by row.

    Pairs shared by several rows are too few to be worth their sort: each pass evaluates
    both likelihood terms of every row in cache-sized chunks on threads
    (:func:`_rows_pass`). Customers without a repeat purchase share their first term
    (``x = t_x = 0``), evaluated once.

    Attributes
    ----------
    rows : CohortRows
        The rows, split by ``x > 0`` (:func:`clvkit.models._kernels.compress.split_cohort`).
    """

    rows: CohortRows

    @property
    def total_weight(self) -> float:
        """Sum of all weights."""
        return self.rows.total_weight

    @property
    def n_distinct(self) -> int:
        """Rows the likelihood runs over (every row)."""
        return self.rows.n_rows

    @property
    def total_x(self) -> float:
        """Weighted sum of ``x``."""
        return self.rows.total_x

    @property
    def total_T(self) -> float:
        """Weighted sum of ``T``."""
        return self.rows.total_T


def prepare(
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    weights: np.ndarray | None,
    compress: bool | None = None,
) -> PNBData | PNBRows:
    """Reduce validated ``(x, t_x, T, weights)`` rows (all (n,) float64; ``weights`` None
    for all 1) to what the likelihood needs.

    The rows are split and merged into distinct rows
    (:func:`clvkit.models._kernels.compress.split_cohort`) unless ``compress`` is False:
    a pass over merged rows evaluates each distinct ``(x, t_x)`` and ``(x, T)`` pair once,
    in blocks of one ``x``, which costs several times less per row than the row-by-row
    pass, so for this model merging pays even when few rows repeat (the benchmark's
    ``pareto_fit`` and ``pareto_fit_distinct`` cases measure both). Merged rows become a
    :class:`PNBData`: the distinct ``(x, t_x)`` and ``(x, T)`` pairs read off the distinct
    rows, each evaluated once per pass. Rows kept as they are become a :class:`PNBRows`.
    Rows of weight 0 are dropped.
    """
    rows = split_cohort(x, t_x, T, weights, compress=True if compress is None else compress)
    if not rows.compressed:
        return PNBRows(rows)
    m0 = rows.zero_T.size
    x = np.concatenate([np.zeros(m0), rows.rep_x()])
    t_x = np.concatenate([np.zeros(m0), rows.rep_tx])
    T = np.concatenate([rows.zero_T, rows.rep_T])
    weights = np.concatenate(
        [
            np.ones(m0) if rows.zero_w is None else rows.zero_w,
            np.ones(rows.rep_T.size) if rows.rep_w is None else rows.rep_w,
        ]
    )
    fx = factorize(x)
    x_values, key = fx.values, fx.codes.astype(np.int64)
    del fx
    ftx = factorize(t_x)
    tx_all, ktx = ftx.values, ftx.values.size
    key *= ktx
    key += ftx.codes
    del ftx
    fT = factorize(T)
    T_all, kT = fT.values, fT.values.size
    key *= kT
    key += fT.codes
    del fT
    row_key, row_w = distinct_keys(key, weights)
    del key
    T_code = row_key % kT
    rest = row_key // kT
    tx_code = rest % ktx
    x_code = rest // ktx
    pair_tx, row_tx = np.unique(x_code * ktx + tx_code, return_inverse=True)
    pair_T, row_T = np.unique(x_code * kT + T_code, return_inverse=True)
    xr = x_values[x_code]
    W_x = np.bincount(x_code, weights=row_w, minlength=x_values.size)
    tx_x, T_x = x_values[pair_tx // ktx], x_values[pair_T // kT]
    return PNBData(
        x_values=x_values,
        W_x=W_x,
        tx_x=tx_x,
        tx_values=tx_all[pair_tx % ktx],
        T_x=T_x,
        T_values=T_all[pair_T % kT],
        tx_blocks=_blocks(tx_x),
        T_blocks=_blocks(T_x),
        row_tx=row_tx.reshape(-1).astype(np.intp),
        row_T=row_T.reshape(-1).astype(np.intp),
        row_w=row_w,
        total_weight=float(W_x.sum()),
        n_distinct=int(row_w.size),
        total_x=_dot(row_w, xr),
        total_T=_dot(row_w, T_all[T_code]),
    )


def _exponents(
    params: np.ndarray, x: np.ndarray | float, second: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Local variables ``(eA, eB, A, B)`` of a likelihood term's ``G``, and its prefactor.

    First term ``u1 = log s + log G(r+x, s+1; t_x)``, second ``u2 = log(r+x) +
    log G(r+x+1, s; T)``; ``A`` is the larger of alpha and beta, ``eA`` its exponent.
    """
    r, alpha, s, beta = (np.float64(v) for v in params)
    p = np.asarray(r + x)
    ea, eb = (p + 1.0, np.full_like(p, s)) if second else (p, np.full_like(p, s + 1.0))
    log_front = np.log(p) if second else np.full_like(p, np.log(s))
    if alpha >= beta:
        return ea, eb, np.asarray(alpha), np.asarray(beta), log_front
    return eb, ea, np.asarray(beta), np.asarray(alpha), log_front


def _term_block(params: np.ndarray, x: float, tau: np.ndarray, second: bool, order: int) -> Derivs:
    """One likelihood term for a block of pairs with one ``x`` and ascending ``tau``.

    The value is ``u1`` or ``u2`` (see :func:`_exponents`); the gradient and Hessian are
    those of ``log G`` in ``(eA, eB, A, B)`` (:func:`_local_to_params` places them).
    ``z`` falls as ``tau`` grows, so the entries beyond ``z = 4/5`` (split) form a
    prefix; the rest share one coefficient table (:func:`_poly_table`) and are evaluated
    in cache-sized pieces.
    """
    eA, eB, A, B, log_front = _exponents(params, x, second)
    m = tau.size
    z = (A - B) / (A + tau)
    n_hard = int(np.count_nonzero(z > _Z_SPLIT))
    value = np.empty(m)
    grad = np.empty((4, m)) if order >= 1 else None
    hess = np.empty((10, m)) if order >= 2 else None
    parts = []
    if n_hard:
        parts.append((slice(0, n_hard), _log_G_split(eA, eB, A, B, tau[:n_hard], order)))
    if n_hard < m:
        coef, weight = _poly_table(float(eA), float(eA + eB), order)
        S = _poly_eval(coef, weight, z[n_hard:])
        for start in range(n_hard, m, _INNER):
            piece = slice(start, min(start + _INNER, m))
            S_piece = S[:, start - n_hard : piece.stop - n_hard]
            parts.append((piece, _from_series(eA, eB, A, B, tau[piece], S_piece, order)))
    for piece, (v, g, h) in parts:
        value[piece] = v
        if grad is not None and g is not None:
            grad[:, piece] = g
        if hess is not None and h is not None:
            hess[:, piece] = h
    return value + log_front, grad, hess


def _term_many(
    params: np.ndarray, x: np.ndarray, tau: np.ndarray, second: bool, order: int
) -> Derivs:
    """:func:`_term_block` for pairs with any ``x`` (the element-wise series)."""
    eA, eB, A, B, log_front = _exponents(params, x, second)
    value, grad, hess = _log_G_local(eA, eB, A, B, tau, order)
    return value + log_front, grad, hess


def _local_to_params(alpha: float, beta: float) -> tuple[int, int, int, int]:
    """Index in (r, alpha, s, beta) of each local variable (eA, eB, A, B) of both terms.

    Both terms have exponents ``r + const`` on ``alpha + u`` and ``s + const`` on
    ``beta + u``; ``A`` is the larger of alpha and beta.
    """
    return (0, 2, 1, 3) if alpha >= beta else (2, 0, 3, 1)


_BLOCK_MIN = 512  # blocks shorter than this go through the element-wise series together


def _blockwise(
    params: np.ndarray, data: PNBData, second: bool, order: int
) -> Iterator[tuple[slice | np.ndarray, Derivs]]:
    """One likelihood term over one pair list: ``(where, result)`` per unit of work.

    Long blocks of one ``x`` go to :func:`_term_block`; the short ones are gathered and
    evaluated together by :func:`_term_many`, so many distinct ``x`` cost no Python loop.
    """
    x, tau, blocks = (
        (data.T_x, data.T_values, data.T_blocks)
        if second
        else (data.tx_x, data.tx_values, data.tx_blocks)
    )
    length = blocks[:, 1] - blocks[:, 0]
    for start, stop in blocks[length >= _BLOCK_MIN].tolist():
        yield (
            slice(start, stop),
            _term_block(params, float(x[start]), tau[start:stop], second, order),
        )
    short = blocks[length < _BLOCK_MIN]
    if short.size:
        idx = np.concatenate([np.arange(a, b) for a, b in short.tolist()])
        for start in range(0, idx.size, _INNER):
            part = idx[start : start + _INNER]
            yield part, _term_many(params, x[part], tau[part], second, order)


#: rows of a chunk of :func:`_rows_pass`: its temporaries (10 Hessian rows per term) stay
#: in cache
_ROW_CHUNK = 4096


def _rows_pass(params: np.ndarray, data: PNBRows, order: int) -> np.ndarray:
    """The rows' sums for :func:`loglik_derivatives` on a :class:`PNBRows`: ``sum w
    logaddexp(u1, u2)``, its gradient (4) and Hessian (4 x 4, flattened) in
    ``(r, alpha, s, beta)``, chunk by chunk on threads.

    Per row, with ``pi_k = exp(u_k - logaddexp(u1, u2))``: the gradient is
    ``pi1 du1 + pi2 du2`` and the Hessian ``pi1 d2u1 + pi2 d2u2 + pi1 pi2 (du1 - du2)
    (du1 - du2)^T``, where ``u1`` carries ``ln s`` and ``u2`` carries ``ln(r+x)`` in front
    of its ``log G``.
    """
    r, alpha, s, beta = (np.float64(v) for v in params)
    place = _local_to_params(float(alpha), float(beta))
    rows = data.rows
    # the first term of a customer without a repeat purchase: x = t_x = 0, for all of them
    zero_first = _term_many(params, np.zeros(1), np.zeros(1), False, order)

    def one_set(
        xs: np.ndarray, tx: np.ndarray | None, T: np.ndarray, w: np.ndarray | None, out: np.ndarray
    ) -> None:
        m = T.size
        if tx is None:
            v1 = np.broadcast_to(zero_first[0], (m,))
            g1 = None if zero_first[1] is None else np.broadcast_to(zero_first[1], (4, m))
            h1 = None if zero_first[2] is None else np.broadcast_to(zero_first[2], (10, m))
        else:
            v1, g1, h1 = _term_many(params, xs, tx, False, order)
        v2, g2, h2 = _term_many(params, xs, T, True, order)
        top = np.logaddexp(v1, v2)
        out[0] = float(top.sum()) if w is None else _dot(w, top)
        if order < 1:
            return
        assert g1 is not None and g2 is not None
        p1 = np.exp(v1 - top)
        p2 = np.exp(v2 - top)
        wp1 = p1 if w is None else w * p1
        wp2 = p2 if w is None else w * p2
        inv_p = 1.0 / (r + xs)
        grad = out[1:5]
        for i in range(4):
            grad[place[i]] += _dot(g1[i], wp1) + _dot(g2[i], wp2)
        sum_wp1 = float(wp1.sum())
        grad[2] += sum_wp1 / s
        grad[0] += _dot(wp2, inv_p)
        if order < 2:
            return
        assert h1 is not None and h2 is not None
        hess = out[5:].reshape(4, 4)
        for row, (i, j) in enumerate(_HESS_INDEX):
            value = _dot(h1[row], wp1) + _dot(h2[row], wp2)
            hess[place[i], place[j]] += value
            if i != j:
                hess[place[j], place[i]] += value
        hess[2, 2] -= sum_wp1 / s**2
        hess[0, 0] -= _dot(wp2, inv_p * inv_p)
        v = wp1 * p2  # w pi1 pi2
        diff = np.empty((4, m))
        for i in range(4):
            np.subtract(g1[i], g2[i], out=diff[place[i]])
        diff[2] += 1.0 / s
        diff[0] -= inv_p
        for i in range(4):
            vd = v * diff[i]
            for j in range(i, 4):
                value = _dot(vd, diff[j])
                hess[i, j] += value
                if i != j:
                    hess[j, i] += value

    def rep(start: int, stop: int, out: np.ndarray) -> None:
        w = None if rows.rep_w is None else rows.rep_w[start:stop]
        xs = rows.x_values.take(rows.rep_code[start:stop])
        one_set(xs, rows.rep_tx[start:stop], rows.rep_T[start:stop], w, out)

    def zero(start: int, stop: int, out: np.ndarray) -> None:
        w = None if rows.zero_w is None else rows.zero_w[start:stop]
        one_set(np.zeros(stop - start), None, rows.zero_T[start:stop], w, out)

    with np.errstate(all="ignore"):
        sums = chunk_sums(rep, rows.rep_T.size, 21, chunk=_ROW_CHUNK)
        sums += chunk_sums(zero, rows.zero_T.size, 21, chunk=_ROW_CHUNK)
    return sums


def _loglik_rows_data(
    params: np.ndarray, data: PNBRows, order: int
) -> tuple[float, np.ndarray, np.ndarray]:
    """:func:`loglik_derivatives` on a :class:`PNBRows`."""
    r, alpha, s, beta = (np.float64(v) for v in params)
    rows = data.rows
    W, xv, Wx = rows.total_weight, rows.x_values, rows.W_x
    sums = _rows_pass(params, data, order)
    with np.errstate(all="ignore"):
        ll = _dot(Wx, gammaln(r + xv)) + W * float(
            -gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        )
    ll += sums[0]
    grad = np.zeros(N_PARAMS)
    hess = np.zeros((N_PARAMS, N_PARAMS))
    if order < 1:
        return float(ll), grad, hess
    grad[0] = _dot(Wx, psi(r + xv)) + W * float(np.log(alpha) - psi(r))
    grad[1] = W * float(r / alpha)
    grad[2] = W * float(np.log(beta))
    grad[3] = W * float(s / beta)
    grad += sums[1:5]
    if order < 2:
        return float(ll), grad, hess
    hess[0, 0] = _dot(Wx, polygamma(1, r + xv)) - W * float(polygamma(1, r))
    hess[0, 1] = hess[1, 0] = W / float(alpha)
    hess[1, 1] = -W * float(r / alpha**2)
    hess[2, 3] = hess[3, 2] = W / float(beta)
    hess[3, 3] = -W * float(s / beta**2)
    hess += sums[5:].reshape(4, 4)
    return float(ll), grad, hess


def loglik_derivatives(
    params: np.ndarray, data: PNBData | PNBRows, order: int = 2
) -> tuple[float, np.ndarray, np.ndarray | None]:
    """Total weighted log-likelihood and its gradient and Hessian in ``(r, alpha, s, beta)``.

    ``log L = log C(x) + logaddexp(u1, u2)`` per row (see the module docstring). The two
    terms, with their analytic first and second derivatives (series derivatives, or
    moments of the quadrature piece), are evaluated once per distinct pair, block by block
    of pairs sharing ``x``; per row only the log-sum-exp weights
    ``pi_i = exp(u_i - log(L/C))`` and the rank-one part of the Hessian,
    ``pi1 pi2 (grad u1 - grad u2)(grad u1 - grad u2)^T``, are formed. Cohorts with more
    than ``_CHUNK`` distinct pairs take two passes (the values for the weights, then the
    derivatives, summed block by block) so that memory stays bounded.

    A :class:`PNBRows` (rows almost all distinct) is summed row by row instead
    (:func:`_rows_pass`).

    Parameters
    ----------
    params : (4,) array
        ``r, alpha, s, beta``, all > 0.
    data : PNBData or PNBRows
    order : {0, 1, 2}
        Highest derivative order to compute; lower orders return zero arrays.

    Returns
    -------
    loglik : float
    gradient : (4,) array
    hessian : (4, 4) array
    """
    if isinstance(data, PNBRows):
        return _loglik_rows_data(params, data, order)
    r, alpha, s, beta = (np.float64(v) for v in params)
    W = data.total_weight
    xv, Wx = data.x_values, data.W_x
    sizes = (data.tx_x.size, data.T_x.size)
    one_pass = order >= 1 and sum(sizes) <= _CHUNK
    first = order if one_pass else 0
    u = [np.empty(size) for size in sizes]
    kept_g = [np.empty((4, size)) for size in sizes] if order >= 1 else []
    kept_h = [np.empty((10, size)) for size in sizes] if one_pass and order >= 2 else []
    with np.errstate(all="ignore"):
        ll = _dot(Wx, gammaln(r + xv)) + W * float(
            -gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        )
        for k in range(2):
            for where, (lG, g, h) in _blockwise(params, data, k == 1, first):
                u[k][where] = lG
                if one_pass and g is not None:
                    kept_g[k][:, where] = g
                if kept_h and h is not None:
                    kept_h[k][:, where] = h
        a1 = u[0][data.row_tx]
        a2 = u[1][data.row_T]
        top = np.logaddexp(a1, a2)
        ll += _dot(data.row_w, top)
    grad = np.zeros(N_PARAMS)
    hess = np.zeros((N_PARAMS, N_PARAMS))
    if order < 1:
        return float(ll), grad, hess
    pi1 = np.exp(a1 - top)
    pi2 = np.exp(a2 - top)
    weights = (
        np.bincount(data.row_tx, weights=data.row_w * pi1, minlength=sizes[0]),
        np.bincount(data.row_T, weights=data.row_w * pi2, minlength=sizes[1]),
    )
    place = _local_to_params(float(alpha), float(beta))
    grad[0] = _dot(Wx, psi(r + xv)) + W * float(np.log(alpha) - psi(r))
    grad[1] = W * float(r / alpha)
    grad[2] = W * float(np.log(beta))
    grad[3] = W * float(s / beta)
    if order >= 2:
        hess[0, 0] = _dot(Wx, polygamma(1, r + xv)) - W * float(polygamma(1, r))
        hess[0, 1] = hess[1, 0] = W / float(alpha)
        hess[1, 1] = -W * float(r / alpha**2)
        hess[2, 3] = hess[3, 2] = W / float(beta)
        hess[3, 3] = -W * float(s / beta**2)

    def add(g: np.ndarray, h: np.ndarray | None, w: np.ndarray) -> None:
        for i in range(4):
            grad[place[i]] += _dot(g[i], w)
        if h is not None:
            for row, (i, j) in enumerate(_HESS_INDEX):
                value = _dot(h[row], w)
                hess[place[i], place[j]] += value
                if i != j:
                    hess[place[j], place[i]] += value

    with np.errstate(all="ignore"):
        for k in range(2):
            if one_pass:
                add(kept_g[k], kept_h[k] if kept_h else None, weights[k])
                continue
            for where, (_, g, h) in _blockwise(params, data, k == 1, order):
                assert g is not None
                kept_g[k][:, where] = g
                add(g, h, weights[k][where])
    # the log s and log(r+x) in front of the two terms
    inv_p = 1.0 / (r + data.T_x)
    grad[2] += float(weights[0].sum()) / s
    grad[0] += _dot(weights[1], inv_p)
    if order < 2:
        return float(ll), grad, hess
    hess[2, 2] -= float(weights[0].sum()) / s**2
    hess[0, 0] -= _dot(weights[1], inv_p * inv_p)
    # rank-one part per row: grad u1 - grad u2 in (r, alpha, s, beta)
    v = data.row_w * pi1 * pi2
    diff = np.empty((4, v.size))
    for i in range(4):
        diff[place[i]] = kept_g[0][i].take(data.row_tx) - kept_g[1][i].take(data.row_T)
    diff[2] += 1.0 / s
    diff[0] -= inv_p.take(data.row_T)
    for i in range(4):
        vd = v * diff[i]
        for j in range(i, 4):
            value = _dot(vd, diff[j])
            hess[i, j] += value
            if i != j:
                hess[j, i] += value
    return float(ll), grad, hess


def initial_params(data: PNBData | PNBRows) -> np.ndarray:
    """A neutral start: ``r = s = 1``, the pooled purchase rate for ``alpha`` (mean
    ``lambda = r/alpha``), and the mean observation length for ``beta`` (then half of the
    customers outlive it)."""
    rate = max(data.total_x, 0.5) / max(data.total_T, 1e-12)
    mean_T = data.total_T / max(data.total_weight, 1e-300)
    return np.array([1.0, 1.0 / rate, 1.0, max(mean_T, 1e-6)])


def identifiability_problem(data: PNBData | PNBRows) -> str | None:
    """Why the unpenalised MLE does not exist for these data, or None.

    With no repeat purchase the likelihood keeps rising as the purchase rate goes to 0;
    with no observed time it is flat; a single distinct history cannot identify four
    parameters.
    """
    n = data.total_weight
    if data.total_x == 0.0:
        return (
            f"all {n:g} customers have frequency 0, so the purchase rate and the drop-out "
            "cannot be estimated (the likelihood grows without bound as alpha grows)"
        )
    if data.total_T == 0.0:
        return f"all {n:g} customers have T = 0: there is no observed time"
    if data.n_distinct == 1:
        return (
            f"the {n:g} customer(s) share one and the same (frequency, recency, T): four "
            "parameters cannot be identified from a single distinct history"
        )
    return None


# -- per-customer quantities (broadcast over parameter arrays) -----------------------------
def _unpack(params: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    p = np.asarray(params, dtype=np.float64)
    return p[0], p[1], p[2], p[3]


def _flat_log_G(
    ea: np.ndarray, eb: np.ndarray, alpha: np.ndarray, beta: np.ndarray, tau: np.ndarray
) -> np.ndarray:
    """:func:`_log_G` (value only) on arrays of any broadcastable shapes."""
    args = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (ea, eb, alpha, beta, tau))
    )
    shape = args[0].shape
    flat = [a.reshape(-1) for a in args]
    if not flat[0].size:
        return np.zeros(shape)
    return _log_G(flat[0], flat[1], flat[2], flat[3], flat[4], 0)[0].reshape(shape)


def _per_pair(
    fn: object, params: tuple[np.ndarray, ...], x: np.ndarray, tau: np.ndarray
) -> np.ndarray:
    """``fn(*params, x, tau)``, evaluated once per distinct ``(x, tau)`` pair.

    Applies when ``x`` and ``tau`` are 1-d of one length and every parameter array is a
    scalar or has a trailing axis of length 1 (a ``(k,)`` vector, or ``(k, d, 1)`` draws):
    the function then broadcasts over the distinct pairs along the last axis and the
    result is gathered back. Otherwise ``fn`` is called on the arrays as they are.
    """
    assert callable(fn)
    x = np.asarray(x, dtype=np.float64)
    tau = np.asarray(tau, dtype=np.float64)
    if (
        x.ndim == 1
        and tau.shape == x.shape
        and x.size > 1
        and all(p.ndim == 0 or p.shape[-1] == 1 for p in params)
    ):
        fx, ft = factorize(x), factorize(tau)
        pair, inverse = np.unique(
            fx.codes.astype(np.int64) * ft.values.size + ft.codes, return_inverse=True
        )
        if pair.size < x.size:
            ux = fx.values[pair // ft.values.size]
            ut = ft.values[pair % ft.values.size]
            return np.asarray(np.take(fn(*params, ux, ut), inverse.reshape(-1), axis=-1))
    return np.asarray(fn(*params, x, tau))


def _first_term(
    r: np.ndarray,
    alpha: np.ndarray,
    s: np.ndarray,
    beta: np.ndarray,
    x: np.ndarray,
    t_x: np.ndarray,
) -> np.ndarray:
    """``log(s G(r+x, s+1; t_x))`` (death in (t_x, T], up to C and the part beyond T)."""
    return np.log(s) + _flat_log_G(r + x, s + 1.0, alpha, beta, t_x)


def _second_term(
    r: np.ndarray, alpha: np.ndarray, s: np.ndarray, beta: np.ndarray, x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """``log((r+x) G(r+x+1, s; T))``."""
    return np.log(r + x) + _flat_log_G(r + x + 1.0, s, alpha, beta, T)


def _log_bracket(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """``log(L/C) = logaddexp(log(s G1(t_x)), log((r+x) G2(T)))``, broadcast."""
    prm = _unpack(params)
    u1 = _per_pair(_first_term, prm, x, t_x)
    u2 = _per_pair(_second_term, prm, x, T)
    return np.asarray(np.logaddexp(u1, u2))


def loglik_rows(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """Log-likelihood of each customer's history (Fader & Hardie 2005 note, eq. 18;
    written as two positive terms, see the module docstring), broadcast over params."""
    r, alpha, s, beta = _unpack(params)
    log_c = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    return np.asarray(log_c + _log_bracket(params, x, t_x, T))


def probability_alive(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
) -> np.ndarray:
    """P(alive at T | x, t_x, T) (Fader & Hardie 2005 note, eqs. 36-37).

    The alive branch of the likelihood over the whole:
    ``(alpha+T)^-(r+x) (beta+T)^-s / [s G(r+x, s+1; t_x) + (r+x) G(r+x+1, s; T)]``,
    in log space; at most 1 by construction (the bracket exceeds the numerator by the
    positive death term).
    """
    r, alpha, s, beta = _unpack(params)
    log_alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    return np.asarray(np.minimum(np.exp(log_alive - _log_bracket(params, x, t_x, T)), 1.0))


def _expected_alive(
    r: np.ndarray, alpha: np.ndarray, s: np.ndarray, beta: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """``E[lambda] E[(1 - e^{-mu t})/mu]`` for ``lambda ~ Gamma(r, alpha)``,
    ``mu ~ Gamma(s, beta)``: ``r/alpha * beta [1 - (beta/(beta+t))^(s-1)]/(s-1)``.

    With ``L = log(1 + t/beta)`` the bracket is ``L exprel(-(s-1) L)``
    (``exprel(y) = (e^y - 1)/y``), smooth through the removable singularity ``s = 1``
    (where it is ``beta L``).
    """
    L = np.log1p(t / beta)
    return np.asarray(r / alpha * beta * L * exprel(-(s - 1.0) * L))


def expected_purchases_alive(
    params: np.ndarray, x: np.ndarray, T: np.ndarray, t: np.ndarray | float
) -> np.ndarray:
    """E[purchases in (T, T+t] | x, T, alive at T] (Fader & Hardie 2005 note, eq. 41,
    without the P(alive) factor; Schmittlein, Morrison & Colombo 1987, eq. 22).

    ``(r+x)/(alpha+T) * (beta+T) [1 - ((beta+T)/(beta+T+t))^(s-1)]/(s-1)``: the posterior
    mean rate times the expected remaining lifetime within the horizon,
    ``E[min(tau, t)] = E[(1 - e^{-mu t})/mu]``. Depends on ``(x, T)`` only.
    """
    r, alpha, s, beta = _unpack(params)
    return _expected_alive(r + x, alpha + T, s, beta + T, np.asarray(t, dtype=np.float64))


def expected_purchases_new(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """E[X(t)] for a customer acquired at 0 (Fader & Hardie 2005 note, eq. 27):
    ``r beta/(alpha (s-1)) [1 - (beta/(beta+t))^(s-1)]``."""
    r, alpha, s, beta = _unpack(params)
    return _expected_alive(r, alpha, s, beta, np.asarray(t, dtype=np.float64))


def probability_alive_new(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """P(a customer acquired at 0 is alive at age t) ``= E[e^{-mu t}] = (beta/(beta+t))^s``."""
    _, _, s, beta = _unpack(params)
    return np.asarray(np.exp(-s * np.log1p(np.asarray(t, dtype=np.float64) / beta)))


def _pmf(
    r: np.ndarray,
    alpha: np.ndarray,
    s: np.ndarray,
    beta: np.ndarray,
    n: np.ndarray,
    t: np.ndarray,
) -> np.ndarray:
    """P(X(t) = n) for a customer alive at 0 with ``lambda ~ Gamma(r, alpha)``,
    ``mu ~ Gamma(s, beta)``, all arguments broadcast.

    Conditioning on the death time (Fader & Hardie 2006, "Deriving an expression for
    P(X(t) = x) under the Pareto/NBD model", which sums the same two parts in closed form
    with hypergeometric functions)::

        P(X(t) = n) = (beta/(beta+t))^s NB(n; r, alpha/(alpha+t))
                      + int_0^t s beta^s (beta+tau)^-(s+1) NB(n; r, alpha/(alpha+tau)) dtau

    (alive throughout, or dead at ``tau`` after ``Poisson(lambda tau) = n`` purchases;
    ``NB`` the negative binomial pmf of the Gamma-mixed Poisson count). For ``n = 0`` the
    sum is the likelihood of an empty history observed for ``t``, two positive terms:
    ``alpha^r beta^s [s G(r, s+1; 0) + r G(r+1, s; t)]``. For ``n >= 1`` the integral,
    in ``y = log tau``, has the log-concave integrand
    ``exp((n+1) y - (r+n) log(alpha+e^y) - (s+1) log(beta+e^y))`` and goes to the
    panel quadrature; no alternating sums, so every probability keeps its relative
    accuracy however small it is.
    """
    args = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (r, alpha, s, beta, n, t))
    )
    shape = args[0].shape
    r, alpha, s, beta, n, t = (a.reshape(-1) for a in args)
    out = np.zeros(r.size)
    zero_t = t <= 0.0
    out[zero_t & (n == 0)] = 1.0
    i0 = np.flatnonzero((n == 0) & ~zero_t)
    if i0.size:
        ri, ai, si, bi, ti = r[i0], alpha[i0], s[i0], beta[i0], t[i0]
        zeros = np.zeros(i0.size)
        u1 = np.log(si) + _log_G(ri, si + 1.0, ai, bi, zeros)[0]
        u2 = np.log(ri) + _log_G(ri + 1.0, si, ai, bi, ti)[0]
        log_p = ri * np.log(ai) + si * np.log(bi) + np.logaddexp(u1, u2)
        out[i0] = np.minimum(np.exp(log_p), 1.0)
    i1 = np.flatnonzero((n > 0) & ~zero_t)
    if i1.size:
        ri, ai, si, bi, ni, ti = r[i1], alpha[i1], s[i1], beta[i1], n[i1], t[i1]
        log_coef = gammaln(ri + ni) - gammaln(ri) - gammaln(ni + 1.0)
        log_nb = (
            log_coef + ri * (np.log(ai) - np.log(ai + ti)) + ni * (np.log(ti) - np.log(ai + ti))
        )
        alive = np.exp(log_nb - si * np.log1p(ti / bi))
        log_int = _log_integral(
            ni + 1.0, ri + ni, ai, si + 1.0, bi, np.full(i1.size, -np.inf), np.log(ti)
        )
        dead = np.exp(np.log(si) + si * np.log(bi) + ri * np.log(ai) + log_coef + log_int)
        out[i1] = np.minimum(alive + dead, 1.0)
    return out.reshape(shape)


def probability_n_purchases_new(
    params: np.ndarray, n: np.ndarray | int, t: np.ndarray | float
) -> np.ndarray:
    """P(X(t) = n): exactly n repeat purchases in (0, t] for a customer acquired at 0
    (Fader & Hardie 2006; see :func:`_pmf` for the form used)."""
    r, alpha, s, beta = _unpack(params)
    return _pmf(r, alpha, s, beta, np.asarray(n, dtype=np.float64), np.asarray(t, dtype=np.float64))


def probability_n_purchases_alive(
    params: np.ndarray,
    n: np.ndarray | int,
    x: np.ndarray,
    T: np.ndarray,
    t: np.ndarray | float,
) -> np.ndarray:
    """P(exactly n purchases in (T, T+t] | x, T, alive at T).

    Given alive at T the posterior is ``Gamma(r+x, alpha+T) x Gamma(s, beta+T)`` and the
    process is memoryless, so this is the new-customer pmf with parameters
    ``(r+x, alpha+T, s, beta+T)`` (the memoryless argument of Fader & Hardie's note
    "Deriving the conditional PMF of the Pareto/NBD model"); it sums to 1
    over ``n >= 0``. With one ``n`` and one ``t`` it is evaluated once per distinct
    ``(x, T)`` pair.
    """
    counts = np.asarray(n, dtype=np.float64)
    horizon = np.asarray(t, dtype=np.float64)

    def pmf(
        r: np.ndarray,
        alpha: np.ndarray,
        s: np.ndarray,
        beta: np.ndarray,
        x: np.ndarray,
        T: np.ndarray,
    ) -> np.ndarray:
        return _pmf(r + x, alpha + T, s, beta + T, counts, horizon)

    if counts.ndim == 0 and horizon.ndim == 0:
        return _per_pair(pmf, _unpack(params), x, T)
    return pmf(*_unpack(params), np.asarray(x, dtype=np.float64), np.asarray(T, dtype=np.float64))


def probability_purchase_new(
    params: np.ndarray, t1: np.ndarray | float, t2: np.ndarray | float
) -> np.ndarray:
    """P(at least one repeat purchase in (t1, t2]) for a customer acquired at 0.

    Derivation. Given ``(lambda, mu)`` the customer is alive at ``t1`` with probability
    ``e^{-mu t1}``; an alive customer's next purchase comes after ``E1 ~ Exp(lambda)`` and
    death after ``E2 ~ Exp(mu)`` (memoryless), and a purchase falls in the window
    ``(t1, t1 + d]``, ``d = t2 - t1``, iff ``E1 < min(E2, d)``::

        P(buy | lambda, mu) = e^{-mu t1} lambda/(lambda+mu) (1 - e^{-(lambda+mu) d})
                            = e^{-mu t1} int_0^d lambda e^{-(lambda+mu) u} du.

    Averaging inside the integral, ``E[lambda e^{-lambda u}] = r alpha^r (alpha+u)^-(r+1)``
    and ``E[e^{-mu (t1+u)}] = beta^s (beta+t1+u)^-s``, so::

        P = r alpha^r beta^s int_0^d (alpha+u)^-(r+1) (beta+t1+u)^-s du,

    which is 0 for ``t2 = t1``, and ``1 - P(X(t2) = 0)`` for ``t1 = 0``. The integral (in
    ``y = log u``, log-concave) goes to the panel quadrature, so small windows keep their
    relative accuracy instead of being a difference of two probabilities near 1.
    ``0 <= t1 <= t2`` in the model's time unit, any broadcastable shapes (checked
    against a seeded simulation in the tests).
    """
    r, alpha, s, beta = _unpack(params)
    args = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (r, alpha, s, beta, t1, t2))
    )
    shape = args[0].shape
    r, alpha, s, beta, t1, t2 = (a.reshape(-1) for a in args)
    d = t2 - t1
    out = np.zeros(r.size)
    i = np.flatnonzero(d > 0.0)
    if i.size:
        ri, ai, si, bi = r[i], alpha[i], s[i], beta[i]
        log_int = _log_integral(
            np.ones(i.size), ri + 1.0, ai, si, bi + t1[i], np.full(i.size, -np.inf), np.log(d[i])
        )
        log_p = np.log(ri) + ri * np.log(ai) + si * np.log(bi) + log_int
        out[i] = np.minimum(np.exp(log_p), 1.0)
    return out.reshape(shape)


# -- simulation -------------------------------------------------------------------------------
def simulate(
    rng: np.random.Generator, params: np.ndarray, T: np.ndarray, times: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Draw one history per customer from the Pareto/NBD story (Schmittlein et al. 1987).

    ``lambda ~ Gamma(r, alpha)``, ``mu ~ Gamma(s, beta)`` (rates), lifetime
    ``~ Exp(mu)``; purchases are a Poisson process of rate ``lambda`` until
    ``D = min(lifetime, T)``. So ``x ~ Poisson(lambda D)``, and given ``x`` the purchase
    times are ``x`` uniform order statistics on ``(0, D]``: their maximum ``t_x`` is
    ``D U^(1/x)``, drawn directly unless every time is asked for.

    Returns
    -------
    x, t_x : (n,) float arrays
    alive : (n,) bool array
        The latent state at T (lifetime > T).
    purchase_times : (x.sum(),) float array or None
        With ``times``, every repeat purchase time, customer after customer, ascending
        within each.
    """
    r, alpha, s, beta = (float(v) for v in params)
    T = np.asarray(T, dtype=np.float64)
    n = T.size
    lam = rng.gamma(shape=r, scale=1.0 / alpha, size=n)
    mu = rng.gamma(shape=s, scale=1.0 / beta, size=n)
    with np.errstate(divide="ignore"):
        life = rng.standard_exponential(size=n) / mu  # inf where mu underflows to 0
    alive = life > T
    D = np.where(alive, T, life)
    x = rng.poisson(lam * D).astype(np.float64)
    t_x = np.zeros(n)
    rep = x > 0
    if not times:
        t_x[rep] = D[rep] * np.exp(np.log(rng.uniform(size=int(rep.sum()))) / x[rep])
        return x, t_x, alive, None
    counts = x.astype(np.int64)
    owner = np.repeat(np.arange(n), counts)
    when = rng.uniform(size=owner.size) * D[owner]
    when = when[np.lexsort((when, owner))]
    last = np.cumsum(counts)[rep] - 1
    t_x[rep] = when[last]
    return x, t_x, alive, when
