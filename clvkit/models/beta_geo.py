"""The BG/NBD purchase model as an estimator (Fader, Hardie & Lee 2005)."""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd

from clvkit._time import parse_horizon
from clvkit.errors import InputError
from clvkit.models._inputs import read_rfm, read_weights
from clvkit.models._kernels import activity, bgnbd
from clvkit.models._optimize import maximize
from clvkit.models.base import BaseModel

__all__ = ["BetaGeo"]

ArrayLike = object

#: cohorts with more distinct repeat-buyer rows than this start from a subsample fit
_PRESTART_ROWS = 50_000
_PRESTART_SAMPLE = 100_000


def _check_identifiable(data: bgnbd.BGData) -> None:
    """Refuse cohorts whose maximum-likelihood estimate does not exist (unpenalised).

    With no repeat purchase the likelihood keeps rising as the purchase rate goes to 0
    (alpha to infinity); with no observed time it is flat; with a single distinct history
    four parameters cannot be told apart. A penalizer > 0 makes each of them well posed.
    """
    n = data.total_weight
    hint = " Fit on a richer cohort, or pass penalizer=... (e.g. 0.01) for a regularised fit."
    if float(data.W_x @ data.x_values) == 0.0:
        raise InputError(
            f"BetaGeo.fit needs at least one repeat purchase: all {n:g} customers have "
            "frequency 0, so the purchase rate and the drop-out cannot be estimated (the "
            "likelihood grows without bound as alpha grows)." + hint
        )
    if float(data.W_T @ data.T_values) == 0.0:
        raise InputError(f"BetaGeo.fit needs observed time: all {n:g} customers have T = 0." + hint)
    if data.n_distinct == 1:
        raise InputError(
            f"BetaGeo.fit got {n:g} customer(s) with one and the same (frequency, recency, T): "
            "four parameters cannot be identified from a single distinct history." + hint
        )


class BetaGeo(BaseModel):
    """BG/NBD: Poisson purchases at Gamma(r, alpha) rates, Beta(a, b) drop-out after each.

    Parameters
    ----------
    penalizer : float, default 0
        L2 penalty on the natural parameters, added to the mean negative log-likelihood
        per customer (``penalizer * sum(params**2)``). Small values (1e-3) stabilise fits
        on thin data; 0 gives the maximum-likelihood estimate.
    initial_params : mapping, optional
        Starting values ``{"r": ..., "alpha": ..., "a": ..., "b": ...}``. By default they
        are derived from the data (the pooled purchase rate sets ``alpha``).
    tol : float, default 1e-10
        Convergence tolerance on the gradient of the mean objective (log-parameters).
    max_iter : int, default 200
        Iteration budget of each optimiser tried.

    Attributes
    ----------
    params_ : Series
        ``r``, ``alpha``, ``a``, ``b``. ``alpha`` is in the model's time unit.
    log_likelihood_ : float
        Total (weighted) log-likelihood at the estimate.
    n_customers_ : float
        Number of customers (sum of weights) the model was fitted on.
    time_unit_ : str or None
        The time unit of recency, T and horizons.
    diagnostics_ : FitDiagnostics
        Convergence, iterations, gradient norm, whether the Hessian is definite.

    Examples
    --------
    >>> import clvkit as ck
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> rfm = ck.rfm_summary(tx, monetary="amount", time_unit="W", observation_end="1997-09-30")
    >>> bg = ck.BetaGeo().fit(rfm)
    >>> bg.params_.round(3).tolist()
    [0.243, 4.414, 0.793, 2.426]
    """

    param_names = ("r", "alpha", "a", "b")

    def fit(
        self,
        customers: pd.DataFrame | None = None,
        *,
        frequency: ArrayLike = None,
        recency: ArrayLike = None,
        T: ArrayLike = None,
        weights: ArrayLike = None,
        time_unit: str | None = None,
    ) -> Self:
        """Maximum-likelihood fit on per-customer ``(frequency, recency, T)``.

        Parameters
        ----------
        customers : DataFrame, optional
            One row per customer with columns ``frequency`` (repeat purchases),
            ``recency`` and ``T`` (in one time unit), e.g. from :func:`clvkit.rfm_summary`,
            whose recorded time unit the model adopts.
        frequency, recency, T : array-like of shape (n,), optional
            The same as arrays, instead of ``customers``.
        weights : array-like of shape (n,), optional
            Number of customers each row stands for; fitting with weight k equals fitting
            on k copies of the row.
        time_unit : str, optional
            The unit of recency and T, when not recorded on the frame.

        Returns
        -------
        self
        """
        self._check_hyperparameters()
        if customers is not None and not isinstance(customers, pd.DataFrame):  # engines
            from clvkit.engines.fitting import fit_input  # distinct rows with counts

            customers, weights, time_unit = fit_input(
                customers, ("frequency", "recency", "T"), weights, time_unit, "BetaGeo.fit"
            )
        rfm = read_rfm(
            customers,
            {"frequency": frequency, "recency": recency, "T": T},
            need=("frequency", "recency", "T"),
            caller="BetaGeo.fit",
        )
        w = read_weights(weights, rfm.n, rfm.index)
        unit = self._resolve_unit(rfm, time_unit)
        x, t_x, T_ = rfm["frequency"], rfm["recency"], rfm["T"]
        data = bgnbd.prepare(x, t_x, T_, w)
        if float(self.penalizer) == 0.0:
            _check_identifiable(data)
        start = self._start(data)
        if self.initial_params is None and data.rep_w.size > _PRESTART_ROWS:
            start = self._prestart(x, t_x, T_, w, start)
        result = maximize(
            lambda p, order: bgnbd.loglik_derivatives(p, data, order),
            start,
            total_weight=data.total_weight,
            penalizer=float(self.penalizer),
            tol=float(self.tol),
            max_iter=int(self.max_iter),
            model_name="BetaGeo",
            param_names=self.param_names,
        )
        self._store_fit(
            result,
            n_customers=data.total_weight,
            time_unit=unit,
            n_distinct_rows=data.n_distinct,
        )
        return self

    def _start(self, data: bgnbd.BGData) -> np.ndarray:
        if self.initial_params is not None:
            return np.array([float(self.initial_params[k]) for k in self.param_names])
        total_x = float(data.W_x @ data.x_values)
        total_T = float(data.W_T @ data.T_values)
        rate = max(total_x, 0.5) / max(total_T, 1e-12)
        return np.array([1.0, 1.0 / rate, 1.0, 1.0])

    def _prestart(
        self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray, start: np.ndarray
    ) -> np.ndarray:
        """Starting values from a quick fit on a seeded random subsample of the customers.

        On large cohorts each likelihood evaluation costs a pass over the distinct rows;
        the subsample's estimate lies within sampling error of the full one, so the full
        fit then needs only the last two or three (quadratically converging) Newton steps.
        The final estimate does not depend on this start beyond the tolerance.
        """
        rows = np.random.default_rng(0).integers(0, x.size, size=_PRESTART_SAMPLE)
        rows.sort()  # sequential gathers
        sub = bgnbd.prepare(x[rows], t_x[rows], T[rows], w[rows])
        if not sub.total_weight > 0:
            return start
        pre = maximize(
            lambda p, order: bgnbd.loglik_derivatives(p, sub, order),
            start,
            total_weight=sub.total_weight,
            penalizer=float(self.penalizer),
            tol=1e-7,
            max_iter=int(self.max_iter),
            model_name="BetaGeo",
            param_names=self.param_names,
            warn=False,
        )
        return pre.params if pre.converged else start

    # -- predictions ----------------------------------------------------------------------
    def probability_alive(
        self,
        customers: pd.DataFrame | None = None,
        *,
        frequency: ArrayLike = None,
        recency: ArrayLike = None,
        T: ArrayLike = None,
    ) -> pd.Series | np.ndarray:
        """P(alive): the probability each customer has not silently churned by T.

        Fader, Hardie & Lee (2005), eq. 13. It is 1 for customers without a repeat
        purchase (the model lets customers drop out only right after a purchase).

        Returns
        -------
        Series indexed like ``customers``, or (n,) array for array input.
        """
        params = self._check_fitted()
        rfm = read_rfm(
            customers,
            {"frequency": frequency, "recency": recency, "T": T},
            need=("frequency", "recency", "T"),
            caller="BetaGeo.probability_alive",
        )
        self._check_unit(rfm)
        p = bgnbd.probability_alive(params, rfm["frequency"], rfm["recency"], rfm["T"])
        return rfm.wrap(p, "p_alive")

    def expected_purchases(
        self,
        customers: pd.DataFrame | None = None,
        horizon: float | str | None = None,
        *,
        frequency: ArrayLike = None,
        recency: ArrayLike = None,
        T: ArrayLike = None,
    ) -> pd.Series | np.ndarray:
        """Expected purchases in ``(T, T + horizon]`` given each customer's history.

        Fader, Hardie & Lee (2005), eq. 10: P(alive) times the expected purchases of a
        customer alive at T, which depends on ``(frequency, T)`` only.

        Parameters
        ----------
        customers : DataFrame, optional
            Columns ``frequency``, ``recency``, ``T``.
        horizon : float or str
            A number of model time units, or a calendar span such as ``"52W"``, ``"12M"``
            or ``"365D"`` (a month is 365.2425/12 days).
        frequency, recency, T : array-like, optional
            Instead of ``customers``.

        Returns
        -------
        Series indexed like ``customers``, or (n,) array for array input.
        """
        params = self._check_fitted()
        t = self._horizon(horizon)
        rfm = read_rfm(
            customers,
            {"frequency": frequency, "recency": recency, "T": T},
            need=("frequency", "recency", "T"),
            caller="BetaGeo.expected_purchases",
        )
        self._check_unit(rfm)
        x, t_x, T_ = rfm["frequency"], rfm["recency"], rfm["T"]
        alive_part = bgnbd.expected_purchases_alive_distinct(params, x, T_, t)
        values = bgnbd.probability_alive(params, x, t_x, T_) * alive_part
        return rfm.wrap(values, "expected_purchases")

    def expected_purchases_new_customer(self, horizon: float | str) -> float:
        """Expected purchases of a customer just acquired, in ``(0, horizon]``.

        Fader, Hardie & Lee (2005), eq. 9. Counts repeat purchases (the acquisition
        purchase is at time 0 and not included).
        """
        params = self._check_fitted()
        t = self._horizon(horizon)
        return float(bgnbd.expected_purchases_new(params, t))

    def probability_purchase(
        self,
        customers: pd.DataFrame | None = None,
        window: float | str | None = None,
        *,
        frequency: ArrayLike = None,
        recency: ArrayLike = None,
        T: ArrayLike = None,
    ) -> pd.Series | np.ndarray:
        """Probability of at least one purchase in ``(T, T + window]`` given the history.

        ``P(alive) * [1 - ((alpha+T)/(alpha+T+window))^(r+x)]`` (see
        :mod:`clvkit.models._kernels.activity`). Unlike P(alive) it falls for customers who
        stay silent without ever repeating, so it is the activity signal of the lifecycle
        stages.

        Returns
        -------
        Series indexed like ``customers`` (name ``p_active``), or (n,) array.
        """
        params = self._check_fitted()
        if window is None:
            raise InputError("The 'window' argument is required (e.g. 13 or '13W').")
        w = parse_horizon(window, self.time_unit_, argument="window", allow_zero=False)
        rfm = read_rfm(
            customers,
            {"frequency": frequency, "recency": recency, "T": T},
            need=("frequency", "recency", "T"),
            caller="BetaGeo.probability_purchase",
        )
        self._check_unit(rfm)
        values = activity.probability_purchase_within(
            params, rfm["frequency"], rfm["recency"], rfm["T"], w
        )
        return rfm.wrap(values, "p_active")

    def probability_alive_new_customer(self, age: float | str) -> float:
        """P(alive) of a customer ``age`` after acquisition, knowing nothing of their purchases.

        The model's expected share of a cohort still alive at that age:
        ``(alpha/(alpha+t))^r 2F1(r, b; a+b; t/(alpha+t))`` (derived from the BG/NBD
        assumptions; see :func:`clvkit.models._kernels.bgnbd.probability_alive_new`).
        """
        params = self._check_fitted()
        t = parse_horizon(age, self.time_unit_, argument="age")
        return float(bgnbd.probability_alive_new(params, t))

    def _horizon(self, horizon: object) -> float:
        if horizon is None:
            raise InputError("The 'horizon' argument is required (e.g. 39 or '52W').")
        return parse_horizon(horizon, self.time_unit_)
