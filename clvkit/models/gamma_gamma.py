"""The Gamma-Gamma spend model as an estimator (Fader, Hardie & Lee 2005; Fader & Hardie 2013)."""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd

from clvkit.errors import InputError
from clvkit.models._inputs import read_rfm, read_weights
from clvkit.models._kernels import gammagamma
from clvkit.models._optimize import maximize
from clvkit.models.base import BaseModel

__all__ = ["GammaGamma"]

ArrayLike = object


class GammaGamma(BaseModel):
    """Gamma-Gamma: the value of each purchase, independent of how often a customer buys.

    Fitted on repeat buyers only (``frequency > 0``): rows with ``frequency == 0`` carry
    no spend information and are ignored by :meth:`fit`. ``monetary_value`` is the mean
    value of a customer's repeat purchases, as :func:`clvkit.rfm_summary` computes it.

    Parameters
    ----------
    penalizer : float, default 0
        L2 penalty on ``(p, q, v)`` added to the mean negative log-likelihood.
    initial_params : mapping, optional
        Starting values ``{"p": ..., "q": ..., "v": ...}``; by default moment-based.
    tol : float, default 1e-10
        Convergence tolerance on the gradient of the mean objective (log-parameters).
    max_iter : int, default 200
        Iteration budget of each optimiser tried.

    Attributes
    ----------
    params_ : Series
        ``p``, ``q``, ``v`` (``v`` in currency units).
    log_likelihood_, n_customers_, time_unit_, diagnostics_
        As for :class:`clvkit.BetaGeo`; ``n_customers_`` counts the repeat buyers used.
    """

    param_names = ("p", "q", "v")

    def fit(
        self,
        customers: pd.DataFrame | None = None,
        *,
        frequency: ArrayLike = None,
        monetary_value: ArrayLike = None,
        weights: ArrayLike = None,
        time_unit: str | None = None,
    ) -> Self:
        """Maximum-likelihood fit on the repeat buyers' ``(frequency, monetary_value)``.

        Parameters
        ----------
        customers : DataFrame, optional
            Columns ``frequency`` and ``monetary_value``; rows with ``frequency == 0`` are
            ignored.
        frequency, monetary_value : array-like of shape (n,), optional
            Instead of ``customers``.
        weights : array-like of shape (n,), optional
            Number of customers each row stands for.
        time_unit : str, optional
            Recorded for consistency with the purchase model; spend has no time unit.

        Returns
        -------
        self
        """
        self._check_hyperparameters()
        if customers is not None and not isinstance(customers, pd.DataFrame):  # engines
            from clvkit.engines.fitting import fit_input  # distinct rows with counts

            customers, weights, time_unit = fit_input(
                customers, ("frequency", "monetary_value"), weights, time_unit, "GammaGamma.fit"
            )
        rfm = read_rfm(
            customers,
            {"frequency": frequency, "monetary_value": monetary_value},
            need=("frequency", "monetary_value"),
            caller="GammaGamma.fit",
            positive_monetary=True,
        )
        w = read_weights(weights, rfm.n, rfm.index)
        unit = self._resolve_unit(rfm, time_unit)
        x, m = rfm["frequency"], rfm["monetary_value"]
        repeat = (x > 0) & (w > 0)
        n_repeat = int(np.count_nonzero(repeat))
        if n_repeat < 2:
            raise InputError(
                f"GammaGamma.fit needs at least 2 repeat buyers (frequency > 0 with a "
                f"positive weight); got {n_repeat} of {rfm.n} customers. Spend per purchase "
                "cannot be estimated from first purchases alone."
            )
        if n_repeat < x.size:
            x, m, w = x[repeat], m[repeat], w[repeat]
        if float(self.penalizer) == 0.0 and np.ptp(x) == 0.0 and np.ptp(m) == 0.0:
            raise InputError(
                f"GammaGamma.fit got {n_repeat} repeat buyers with one and the same "
                "(frequency, monetary_value): the spread of spend cannot be estimated (the "
                "likelihood grows without bound as p grows). Pass penalizer=... for a "
                "regularised fit."
            )
        data = gammagamma.prepare(x, m, w)
        result = maximize(
            lambda p, order: gammagamma.loglik_derivatives(p, data, order),
            self._start(x, m, w, data),
            total_weight=data.total_weight,
            penalizer=float(self.penalizer),
            tol=float(self.tol),
            max_iter=int(self.max_iter),
            model_name="GammaGamma",
            param_names=self.param_names,
        )
        self._store_fit(
            result, n_customers=data.total_weight, time_unit=unit, n_distinct_rows=n_repeat
        )
        return self

    def _start(
        self, x: np.ndarray, m: np.ndarray, w: np.ndarray, data: gammagamma.GGData
    ) -> np.ndarray:
        if self.initial_params is not None:
            return np.array([float(self.initial_params[k]) for k in self.param_names])
        default = np.array(
            [1.0, 2.0, max(float(np.einsum("i,i->", w, m)) / data.total_weight, 1e-8)]
        )
        moments = gammagamma.moment_start(x, m, w, data)
        return default if moments is None else moments

    # -- predictions ----------------------------------------------------------------------
    def expected_spend(
        self,
        customers: pd.DataFrame | None = None,
        *,
        frequency: ArrayLike = None,
        monetary_value: ArrayLike = None,
    ) -> pd.Series | np.ndarray:
        """Expected value of one future purchase given each customer's spend history.

        Fader & Hardie (2013), eq. 5: a credibility-weighted mean of the population mean
        ``p v / (q - 1)`` and the customer's own mean. Customers without a repeat purchase
        get the population mean.

        Returns
        -------
        Series indexed like ``customers``, or (n,) array for array input.
        """
        params = self._check_fitted()
        rfm = read_rfm(
            customers,
            {"frequency": frequency, "monetary_value": monetary_value},
            need=("frequency", "monetary_value"),
            caller="GammaGamma.expected_spend",
            positive_monetary=True,
        )
        x = rfm["frequency"]
        q = float(params[1])
        if q <= 1 and np.any(x == 0):
            raise InputError(
                f"The fitted q = {q:.4g} is <= 1, so the population mean spend p*v/(q-1) "
                f"is infinite; {int(np.count_nonzero(x == 0))} customers without a repeat "
                "purchase have no finite expected spend. Use a penalizer or more data."
            )
        values = gammagamma.expected_spend(params, x, rfm["monetary_value"])
        return rfm.wrap(values, "expected_spend")

    def mean_spend(self) -> float:
        """Population mean value of a purchase, ``p v / (q - 1)`` (infinite if q <= 1)."""
        p, q, v = self._check_fitted()
        return float(p * v / (q - 1.0)) if q > 1 else float("inf")
