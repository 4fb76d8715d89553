"""BG/NBD counts of a newly acquired customer: the distribution of X(t) and cohort sums.

``X(t)`` is the number of repeat purchases in ``(0, t]`` of a customer acquired at 0.

The probability of exactly ``n`` purchases is Fader, Hardie & Lee (2005), "Counting your
customers the easy way", eq. 8::

    P(X(t) = n) = B(a, b+n)/B(a, b) * NB(n; r, alpha/(alpha+t))
                  + [n > 0] * B(a+1, b+n-1)/B(a, b) * P(NB(r, alpha/(alpha+t)) >= n)

where ``NB(j; r, p) = Gamma(r+j)/(Gamma(r) j!) p^r (1-p)^j`` is the negative binomial
probability of the paper's first term and the bracket
``1 - (alpha/(alpha+t))^r sum_{j<n} Gamma(r+j)/(Gamma(r) j!) (t/(alpha+t))^j`` of eq. 8 is its
upper tail, written with the regularised incomplete beta function:
``P(NB >= n) = I_{t/(alpha+t)}(n, r)``. The Beta-function ratios are evaluated in log
space.

A cohort's expected cumulative repeat purchases by calendar time add, customer by
customer, the expected count of eq. 9 (:func:`clvkit.models._kernels.bgnbd.expected_purchases_new`)
at each customer's age.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betainc, betaln, gammaln

from clvkit.models._kernels.bgnbd import expected_purchases_new

__all__ = ["cohort_expected_repeat_purchases", "probability_n_purchases"]


def probability_n_purchases(
    params: np.ndarray, n: np.ndarray | int, t: np.ndarray | float
) -> np.ndarray:
    """P(X(t) = n) for a customer acquired at 0 (Fader, Hardie & Lee 2005, eq. 8).

    Parameters
    ----------
    params : (4,) array
        ``r, alpha, a, b``.
    n : int or array of int
        Numbers of repeat purchases, ``>= 0``.
    t : float or array
        Ages in the model's time unit, ``>= 0``; broadcast against ``n``.

    Returns
    -------
    numpy.ndarray
        Probabilities, the broadcast shape of ``n`` and ``t``. Summed over all ``n`` they
        are 1 for every ``t``.
    """
    r, alpha, a, b = (float(v) for v in params)
    n_arr, t_arr = np.broadcast_arrays(np.asarray(n, float), np.asarray(t, float))
    log_p = np.log(alpha) - np.log(alpha + t_arr)  # log of alpha/(alpha+t)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_q = np.log(t_arr) - np.log(alpha + t_arr)  # log of t/(alpha+t); -inf at t = 0
        nb_log = (
            gammaln(r + n_arr)
            - gammaln(r)
            - gammaln(n_arr + 1.0)
            + r * log_p
            # n * log(q) with the 0 * log(0) = 0 convention at n = 0
            + np.where(n_arr > 0, n_arr * log_q, 0.0)
        )
        first = np.exp(betaln(a, b + n_arr) - betaln(a, b) + nb_log)
        q = np.exp(log_q)
        tail = betainc(np.maximum(n_arr, 1.0), r, q)  # P(NB >= n), used where n > 0
        second = np.exp(betaln(a + 1.0, b + n_arr - 1.0) - betaln(a, b)) * tail
    return np.asarray(np.where(n_arr > 0, first + second, first))


def cohort_expected_repeat_purchases(
    params: np.ndarray,
    acquired: np.ndarray,
    times: np.ndarray,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Expected cumulative repeat purchases of a cohort by each of ``times``.

    ``sum_i w_i E[X(max(times_k - acquired_i, 0))]``, with ``E[X(t)]`` of Fader, Hardie &
    Lee (2005), eq. 9. Customers not yet acquired at ``times_k`` contribute 0.

    Parameters
    ----------
    params : (4,) array
        ``r, alpha, a, b``.
    acquired : (m,) array
        Acquisition times of the customers (or of distinct acquisition times), in the
        model's time unit on a common clock.
    times : (k,) array
        Calendar times on the same clock and unit.
    weights : (m,) array, optional
        Customers acquired at each of ``acquired``; 1 each by default.

    Returns
    -------
    numpy.ndarray, shape (k,)
        Expected repeat purchases of the whole cohort in ``(acquired_i, times_k]``, summed.
    """
    acquired = np.asarray(acquired, float)
    times = np.asarray(times, float)
    w = np.ones(acquired.size) if weights is None else np.asarray(weights, float)
    ages = np.maximum(times[:, None] - acquired[None, :], 0.0)
    distinct, inverse = np.unique(ages, return_inverse=True)
    values = np.asarray(expected_purchases_new(params, distinct))[inverse.reshape(ages.shape)]
    return np.asarray(values @ w)
