"""The kernel protocol every purchase model implements, and its conventions.

A purchase model (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB, ...) is one estimator class in
:mod:`clvkit.models` and one kernel module in this package. The estimator base
(:class:`clvkit.models.purchase.PurchaseModel`) owns the public methods, the input checks,
the fit pipeline and everything above; the kernel module supplies the mathematics as the
module-level functions listed in :class:`PurchaseKernel`, and nothing else. Kernels know
nothing of pandas and assume valid input.

Conventions
-----------
Customers
    ``x`` (repeat purchases, whole numbers >= 0), ``t_x`` (recency: time of the last repeat
    purchase since the first purchase, 0 where ``x == 0``) and ``T`` (length of observation
    since the first purchase), float64 arrays already validated (``0 <= t_x <= T``). For a
    discrete-time model (BG/BB) ``T`` is the number of purchase occasions and ``t_x`` the
    occasion of the last purchase, both whole numbers.
Horizons
    ``t`` (and ``t1 <= t2``) are lengths >= 0 in the model's time unit (occasions for a
    discrete-time model); 0 is valid (no purchase, probability 1 of none).
Parameters broadcast
    ``params`` is an array of shape ``(k, *p)``, the ``k`` parameters in the order of the
    model's ``param_names``. Every function unpacks ``params[0], params[1], ...`` and lets
    each one broadcast against the customer and horizon arrays: a plain ``(k,)`` vector
    gives results of the customers' shape, ``params`` of shape ``(k, d, 1)`` against
    customers of shape ``(n,)`` give ``(d, n)`` results (one row per parameter draw, as
    intervals need). Kernels never call ``float()`` on a parameter, except the fitting
    functions (``prepare``, ``loglik_derivatives``, ``initial_params``,
    ``identifiability_problem``, ``simulate``), which take one ``(k,)`` vector.
Results
    float64 arrays of the broadcast shape, finite for every valid input: no NaN, no inf,
    no silent overflow (log space, stable transformations of the hypergeometric function,
    see :mod:`clvkit.models._kernels.hyp2f1`).
Sources
    Each function's docstring names the paper and equation it implements, or derives the
    formula where no paper gives it.

The conditional quantities the base class builds from these pieces::

    E[purchases in (T, T+t] | history]  = P(alive) * expected_purchases_alive(x, T, t)
    P(n purchases in (T, T+t] | history) = (1 - P(alive)) [n == 0]
                                           + P(alive) * probability_n_purchases_alive(n, x, T, t)
    P(at least one purchase in (T, T+t]) = P(alive) * (1 - probability_n_purchases_alive(0, ...))
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

__all__ = ["PurchaseKernel"]


class PurchaseKernel(Protocol):
    """The functions a purchase-model kernel module defines (module-level, same names)."""

    #: number of parameters ``k``
    N_PARAMS: int

    # -- fitting ---------------------------------------------------------------------------
    def prepare(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, weights: np.ndarray) -> Any:
        """Compress validated rows (weights >= 0, rows of weight 0 dropped) into whatever
        the likelihood needs: distinct rows with summed weights, per-value terms, ...
        The returned object has attributes ``total_weight`` (float, the sum of weights)
        and ``n_distinct`` (int, the number of distinct rows)."""
        ...

    def loglik_derivatives(
        self, params: np.ndarray, data: Any, order: int
    ) -> tuple[float, np.ndarray, np.ndarray | None]:
        """Total weighted log-likelihood at ``params`` (shape (k,)), with its gradient (k,)
        and Hessian (k, k) in the natural parameters up to ``order`` (0, 1 or 2; lower
        orders may return zeros). A kernel without an analytic Hessian returns ``None``
        for it at order 2, and the fitting driver differentiates the gradient."""
        ...

    def initial_params(self, data: Any) -> np.ndarray:
        """A positive starting point (k,) for the optimiser, derived from the data."""
        ...

    def identifiability_problem(self, data: Any) -> str | None:
        """Why the unpenalised maximum-likelihood estimate does not exist for these data
        (no repeat purchase, no observed time, a single distinct history, ...), as one
        sentence, or None when it exists."""
        ...

    def loglik_rows(
        self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
    ) -> np.ndarray:
        """Log-likelihood of each customer's history (broadcast over params)."""
        ...

    # -- one customer's future, given their history --------------------------------------
    def probability_alive(
        self, params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
    ) -> np.ndarray:
        """P(alive at T | x, t_x, T)."""
        ...

    def expected_purchases_alive(
        self, params: np.ndarray, x: np.ndarray, T: np.ndarray, t: np.ndarray | float
    ) -> np.ndarray:
        """E[purchases in (T, T+t] | x, T, alive at T]: depends on (x, T), never on t_x."""
        ...

    def probability_n_purchases_alive(
        self,
        params: np.ndarray,
        n: np.ndarray | int,
        x: np.ndarray,
        T: np.ndarray,
        t: np.ndarray | float,
    ) -> np.ndarray:
        """P(exactly n purchases in (T, T+t] | x, T, alive at T); sums to 1 over n >= 0."""
        ...

    # -- a customer just acquired (first purchase at 0), knowing nothing else ------------
    def expected_purchases_new(self, params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
        """E[X(t)]: expected repeat purchases in (0, t]."""
        ...

    def probability_n_purchases_new(
        self, params: np.ndarray, n: np.ndarray | int, t: np.ndarray | float
    ) -> np.ndarray:
        """P(X(t) = n): exactly n repeat purchases in (0, t]."""
        ...

    def probability_alive_new(self, params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
        """P(still alive at age t), unconditional on the purchases made."""
        ...

    def probability_purchase_new(
        self, params: np.ndarray, t1: np.ndarray | float, t2: np.ndarray | float
    ) -> np.ndarray:
        """P(at least one repeat purchase in (t1, t2]), ``0 <= t1 <= t2``."""
        ...

    # -- simulation ------------------------------------------------------------------------
    def simulate(
        self, rng: np.random.Generator, params: np.ndarray, T: np.ndarray, times: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """Draw one history per customer observed for ``T`` (shape (n,)) from the model's
        own generative story: ``(x, t_x, alive, purchase_times)``, ``alive`` the latent
        state at T (bool). With ``times`` the fourth item holds every repeat purchase
        time, customer after customer, ascending within each (``x.sum()`` values);
        otherwise it is None and the draw may take shortcuts (order statistics) that
        never build the times. Times are continuous (occasion numbers 1..T for a
        discrete-time model)."""
        ...
