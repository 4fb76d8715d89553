"""The Gamma-Gamma spend model as an estimator (Fader, Hardie & Lee 2005; Fader & Hardie 2013)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import replace
from typing import Self

import numpy as np
import pandas as pd

from clvkit.errors import DataWarning, InputError
from clvkit.models._kernels import gammagamma
from clvkit.models._optimize import maximize
from clvkit.models.base import BaseModel
from clvkit.models.inputs import RFMInput, read_rfm, read_weights
from clvkit.models.uncertainty import (
    DEFAULT_DRAWS,
    interval_options,
    make_plan,
    row_chunks,
    with_bounds,
)

__all__ = ["GammaGamma", "spend_frequency"]

ArrayLike = object


class GammaGamma(BaseModel):
    """Gamma-Gamma: the value of each purchase, independent of how often a customer buys.

    Fitted on repeat buyers only (``frequency > 0``): rows with ``frequency == 0`` carry
    no spend information and are ignored by :meth:`fit`. ``monetary_value`` is the mean
    value of a customer's repeat purchases, as :func:`clvkit.rfm_summary` computes it
    (0 for a customer without a repeat purchase).

    **Repeat purchases worth nothing.** The model describes positive spend, so a repeat
    buyer whose ``monetary_value`` is 0 (repeat purchases of value 0: returns netted
    out, free items) has no likelihood under it. :meth:`fit` leaves such customers out
    and says how many with a :class:`~clvkit.errors.DataWarning`; :meth:`expected_spend`
    (and so :meth:`clvkit.CLVModel.predict_clv`) gives them the population mean spend
    ``p v / (q - 1)``, as to a customer without a repeat purchase: their zero-value
    purchases tell nothing about what a paid purchase is worth. Their purchases still
    count for the purchase model.

    Parameters
    ----------
    penalizer : float, default 0
        L2 penalty on ``(p, q, v)`` (on ``(p, q - 1, v)`` with ``q_constraint``) added to
        the mean negative log-likelihood.
    initial_params : mapping, optional
        Starting values ``{"p": ..., "q": ..., "v": ...}``; by default moment-based.
    tol : float, default 1e-10
        Convergence tolerance on the gradient of the mean objective (log-parameters).
    max_iter : int, default 200
        Iteration budget of each optimiser tried.
    q_constraint : bool, default False
        Maximise under the constraint ``q > 1``, so that the population mean spend
        ``p v / (q - 1)`` (what customers without a repeat purchase are expected to spend)
        exists. The fit runs on ``q - 1 > 0``; if the unconstrained maximum lies at
        ``q <= 1`` the estimate runs to the boundary and the fit warns.

    Attributes
    ----------
    params_ : Series
        ``p``, ``q``, ``v`` (``v`` in currency units).
    log_likelihood_, n_customers_, time_unit_, diagnostics_
        As for :class:`clvkit.BetaGeo`; ``n_customers_`` counts the repeat buyers used.

    Examples
    --------
    >>> import clvkit as ck
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> cal = tx[tx["date"] <= "1997-09-30"]
    >>> rfm = ck.rfm_summary(cal, monetary="amount", time_unit="W",
    ...                      observation_end="1997-09-30",
    ...                      duplicates="keep")  # dates without times: real repeats
    >>> gg = ck.GammaGamma().fit(rfm)
    >>> gg.params_.round(2).tolist()
    [6.25, 3.74, 15.44]
    >>> round(gg.mean_spend(), 2)
    35.17
    """

    param_names = ("p", "q", "v")
    measures_time = False

    def __init__(
        self,
        *,
        penalizer: float = 0.0,
        initial_params: Mapping[str, float] | None = None,
        tol: float = 1e-10,
        max_iter: int = 200,
        q_constraint: bool = False,
    ) -> None:
        super().__init__(
            penalizer=penalizer, initial_params=initial_params, tol=tol, max_iter=max_iter
        )
        self.q_constraint = q_constraint

    def _check_hyperparameters(self) -> None:
        super()._check_hyperparameters()
        if not isinstance(self.q_constraint, bool):
            raise InputError(
                "The 'q_constraint' parameter of GammaGamma must be True or False. "
                f"Got {self.q_constraint!r} instead."
            )
        if (
            self.q_constraint
            and self.initial_params is not None
            and float(self.initial_params["q"]) <= 1.0
        ):
            raise InputError(
                "GammaGamma(q_constraint=True) needs initial_params with q > 1. "
                f"Got q={self.initial_params['q']!r}."
            )

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

        Customers without a repeat purchase are ignored; repeat buyers whose
        ``monetary_value`` is 0 are left out with a :class:`~clvkit.errors.DataWarning`
        (see the class notes).

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
            Recorded for consistency with the purchase model; spend has no time unit, so
            a frame need not record one. A unit contradicting the frame's is refused.

        Returns
        -------
        self

        Examples
        --------
        >>> import clvkit as ck
        >>> rfm = ck.datasets.simulate_rfm(2000, seed=1)
        >>> gg = ck.GammaGamma().fit(rfm)
        >>> list(gg.params_.index), gg.n_customers_ == float((rfm["frequency"] > 0).sum())
        (['p', 'q', 'v'], True)
        """
        return self._fit(customers, frequency, monetary_value, weights, time_unit, warn=True)

    def _refit(self, customers: pd.DataFrame, weights: np.ndarray, time_unit: str | None) -> Self:
        # a bootstrap refit: the fit on the full data already warned about what it left out
        return self._fit(customers, None, None, weights, time_unit, warn=False)

    def _fit(
        self,
        customers: pd.DataFrame | None,
        frequency: ArrayLike,
        monetary_value: ArrayLike,
        weights: ArrayLike,
        time_unit: str | None,
        *,
        warn: bool,
    ) -> Self:
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
            time_unit=time_unit,
        )
        # no weights: None, so the kernel neither reads nor checks a vector of ones
        w = None if weights is None else read_weights(weights, rfm.n, rfm.index)
        unit = self._resolve_unit(rfm, "GammaGamma.fit", required=False)
        x, m = rfm["frequency"], rfm["monetary_value"]
        repeat = x > 0 if w is None else (x > 0) & (w > 0)
        zero = repeat & (m == 0)
        if zero.any():
            if warn:
                _warn_zero_spend(zero, int(np.count_nonzero(repeat)), rfm.index)
            repeat &= ~zero
        n_repeat = int(np.count_nonzero(repeat))
        if n_repeat < 2:
            raise InputError(
                f"GammaGamma.fit needs at least 2 repeat buyers with a positive spend "
                f"(frequency > 0 and monetary_value > 0, with a positive weight); got "
                f"{n_repeat} of {rfm.n} customers. Spend per purchase cannot be estimated "
                "from first purchases alone."
            )
        if n_repeat < x.size:
            x, m = x[repeat], m[repeat]
            w = None if w is None else w[repeat]
        if float(self.penalizer) == 0.0 and np.ptp(x) == 0.0 and np.ptp(m) == 0.0:
            raise InputError(
                f"GammaGamma.fit got {n_repeat} repeat buyers with one and the same "
                "(frequency, monetary_value): the spread of spend cannot be estimated (the "
                "likelihood grows without bound as p grows). Pass penalizer=... for a "
                "regularised fit."
            )
        data = gammagamma.prepare(x, m, w)
        # with q_constraint the driver works on (p, q - 1, v), all > 0
        shift = np.array([0.0, 1.0, 0.0]) if self.q_constraint else np.zeros(3)
        start = self._start(x, m, w, data)
        if self.q_constraint:
            start[1] = max(start[1], 1.5)
        result = maximize(
            lambda p, order: gammagamma.loglik_derivatives(p + shift, data, order),
            start - shift,
            total_weight=data.total_weight,
            penalizer=float(self.penalizer),
            tol=float(self.tol),
            max_iter=int(self.max_iter),
            model_name="GammaGamma",
            param_names=("p", "q - 1", "v") if self.q_constraint else self.param_names,
        )
        result = replace(result, params=result.params + shift)
        self._store_fit(
            result, n_customers=data.total_weight, time_unit=unit, n_distinct_rows=n_repeat
        )
        return self

    def _start(
        self, x: np.ndarray, m: np.ndarray, w: np.ndarray | None, data: gammagamma.GGData
    ) -> np.ndarray:
        given = self._start_from_hyperparameters()
        if given is not None:
            return given
        total = float(m.sum()) if w is None else float(np.einsum("i,i->", w, m))
        default = np.array([1.0, 2.0, max(total / data.total_weight, 1e-8)])
        moments = gammagamma.moment_start(x, m, w, data)
        return default if moments is None else moments

    def log_likelihood(
        self,
        customers: pd.DataFrame | None = None,
        *,
        params: Mapping[str, float] | None = None,
        weights: ArrayLike = None,
        frequency: ArrayLike = None,
        monetary_value: ArrayLike = None,
    ) -> float:
        """Total log-likelihood of the repeat buyers' mean spend, at the fitted or given
        parameters (Fader & Hardie 2013, eq. 3); customers without a repeat purchase add
        nothing.

        Parameters
        ----------
        customers : DataFrame, optional
            Columns ``frequency`` and ``monetary_value``; or the keyword arrays.
        params : mapping, optional
            ``p``, ``q``, ``v`` by name; the fitted parameters by default.
        weights : array-like, optional
            Customers each row stands for.

        Returns
        -------
        float
            ``sum_i w_i log L(params | x_i, m_i)`` over the repeat buyers whose spend is
            positive (those :meth:`fit` uses).

        Examples
        --------
        >>> import clvkit as ck
        >>> rfm = ck.datasets.simulate_rfm(2000, seed=1)
        >>> gg = ck.GammaGamma().fit(rfm)
        >>> bool(abs(gg.log_likelihood(rfm) - gg.log_likelihood_) < 1e-6)
        True
        """
        caller = "GammaGamma.log_likelihood"
        rfm = read_rfm(
            customers,
            {"frequency": frequency, "monetary_value": monetary_value},
            need=("frequency", "monetary_value"),
            caller=caller,
        )
        if params is None:
            values = self._check_fitted()
        else:
            values = np.array(self._check_params(params, f"{caller}(params=...)"))
        w = read_weights(weights, rfm.n, rfm.index)
        x, m = rfm["frequency"], rfm["monetary_value"]
        repeat = (x > 0) & (m > 0) & (w > 0)
        if not repeat.any():
            return 0.0
        data = gammagamma.prepare(x[repeat], m[repeat], w[repeat])
        return float(gammagamma.loglik_derivatives(values, data, 0)[0])

    def _bootstrap_columns(self) -> tuple[str, ...]:
        return ("frequency", "monetary_value")

    # -- predictions ----------------------------------------------------------------------
    def _spend(self, rfm: RFMInput, params: np.ndarray) -> np.ndarray:
        """Expected spend per purchase of validated customers whose population mean is
        finite, at the fitted ``params``: the point of :meth:`expected_spend`, without its
        argument handling and checks, for the CLV core (which checks the mean once)."""
        m = rfm["monetary_value"]
        return np.asarray(
            gammagamma.expected_spend(params, spend_frequency(rfm["frequency"], m), m)
        )

    def expected_spend(
        self,
        customers: pd.DataFrame | None = None,
        *,
        frequency: ArrayLike = None,
        monetary_value: ArrayLike = None,
        interval: float | None = None,
        method: str = "delta",
        n_draws: int = DEFAULT_DRAWS,
        random_state: object = None,
        draws: pd.DataFrame | None = None,
    ) -> pd.Series | pd.DataFrame | np.ndarray:
        """Expected value of one future purchase given each customer's spend history.

        Fader & Hardie (2013), eq. 5: a credibility-weighted mean of the population mean
        ``p v / (q - 1)`` and the customer's own mean. Customers without a repeat purchase
        get the population mean, and so do repeat buyers whose ``monetary_value`` is 0
        (see the class notes).

        Parameters
        ----------
        customers : DataFrame, optional
            Columns ``frequency`` and ``monetary_value``.
        frequency, monetary_value : array-like, optional
            Instead of ``customers``.
        interval : float, optional
            Level of an interval for the parameter uncertainty (0.9 for 90 %): adds
            ``expected_spend_lower`` and ``expected_spend_upper`` (log scale for the delta
            method). See the Uncertainty page of the documentation.
        method : {"delta", "parametric", "bootstrap"}, default "delta"
            The delta method, draws from the asymptotic normal of the log-parameters, or
            bootstrap refits passed as ``draws``.
        n_draws : int, default 1000
            Parametric draws (>= 2).
        random_state : int, numpy Generator or None
            Seed of the parametric draws.
        draws : DataFrame, optional
            Bootstrap parameters from :meth:`bootstrap`.

        Returns
        -------
        Series indexed like ``customers``, or (n,) array for array input; with
        ``interval``, a DataFrame with the bounds beside.

        Examples
        --------
        >>> import clvkit as ck
        >>> gg = ck.GammaGamma.from_params(p=6.25, q=3.74, v=15.44)
        >>> spend = gg.expected_spend(frequency=[0, 1, 10], monetary_value=[0, 50.0, 50.0])
        >>> spend.round(2).tolist()
        [35.22, 45.49, 49.38]

        The more repeat purchases, the closer to the customer's own mean; without one (or with
        repeat purchases worth nothing), the population mean.
        """
        caller = "GammaGamma.expected_spend"
        options = interval_options(
            interval,
            method=method,
            n_draws=n_draws,
            random_state=random_state,
            draws=draws,
            caller=caller,
        )
        params = self._check_fitted()
        rfm = read_rfm(
            customers,
            {"frequency": frequency, "monetary_value": monetary_value},
            need=("frequency", "monetary_value"),
            caller=caller,
        )
        x, m = spend_frequency(rfm["frequency"], rfm["monetary_value"]), rfm["monetary_value"]
        q = float(params[1])
        if q <= 1 and np.any(x == 0):
            raise InputError(
                f"The fitted q = {q:.4g} is <= 1, so the population mean spend p*v/(q-1) "
                f"is infinite; {int(np.count_nonzero(x == 0))} customers without a repeat "
                "purchase of positive value have no finite expected spend. Use a penalizer "
                "or more data."
            )
        values = gammagamma.expected_spend(params, x, m)
        point = rfm.wrap(values, "expected_spend")
        if options is None:
            return point
        plan = make_plan(options, {"": self}, caller)
        block = plan.blocks[0]
        self._check_draws_q(block.params, x, caller)
        lower, upper = np.empty_like(values), np.empty_like(values)
        for rows in row_chunks(x.size, plan.n_configs):
            at = gammagamma.expected_spend(block.stacked(1), x[rows], m[rows])
            lower[rows], upper[rows] = plan.interval(values[rows], at, "log")
        return with_bounds(point, lower, upper, "expected_spend")

    def _expected_spend_at(self, params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
        """Expected spend at parameter vectors ``(3, d)``: shape ``(d, n)`` (no checks)."""
        return gammagamma.expected_spend(params.reshape(3, -1, 1), x, m)

    def _spend_terms_at(self, params: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(intercept, slope)`` of the expected spend ``intercept + slope * m`` at
        parameter vectors ``(3, d)`` for repeat-purchase counts ``x`` (n,): each (d, n)."""
        return gammagamma.expected_spend_terms(params.reshape(3, -1, 1), x)

    @staticmethod
    def _check_draws_q(params: np.ndarray, x: np.ndarray, caller: str) -> None:
        """Refuse draws with ``q <= 1`` when customers without a repeat purchase need the
        population mean spend ``p v / (q - 1)``, which is then infinite."""
        bad = params[1] <= 1.0
        if bad.any() and np.any(x == 0):
            raise InputError(
                f"{caller}: {int(bad.sum())} of {bad.size} parameter draws have q <= 1, where "
                "the population mean spend of customers without a repeat purchase is "
                "infinite; refit with GammaGamma(q_constraint=True)."
            )

    def mean_spend(self) -> float:
        """Population mean value of a purchase, ``p v / (q - 1)`` (infinite if q <= 1).

        Examples
        --------
        >>> import clvkit as ck
        >>> round(ck.GammaGamma.from_params(p=6.25, q=3.74, v=15.44).mean_spend(), 2)
        35.22
        """
        p, q, v = self._check_fitted()
        return float(p * v / (q - 1.0)) if q > 1 else float("inf")


def spend_frequency(x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """The repeat purchases that inform the spend: ``x``, but 0 where ``m`` is 0.

    A repeat buyer whose purchases were all worth nothing is scored like a customer
    without a repeat purchase (the population mean spend). ``x`` itself (no copy) when
    every repeat buyer spent something.
    """
    zero = (m == 0) & (x > 0)
    return np.where(zero, 0.0, x) if zero.any() else x


def _warn_zero_spend(zero: np.ndarray, n_repeat: int, ids: pd.Index | None) -> None:
    n = int(np.count_nonzero(zero))
    rows = np.flatnonzero(zero)[:3]
    shown = (
        f"customer ids: {', '.join(repr(_plain(ids[int(r)])) for r in rows)}"
        if ids is not None
        else f"row positions: {', '.join(str(int(r)) for r in rows)}"
    )
    more = ", ..." if n > rows.size else ""
    warnings.warn(
        f"GammaGamma.fit left out {n} of {n_repeat} repeat buyers whose monetary_value is "
        f"0 ({shown}{more}): their repeat purchases were worth nothing (returns netted "
        "out, free items), and the Gamma-Gamma model describes positive spend. It fitted "
        f"on the other {n_repeat - n}; expected_spend and predict_clv give these customers "
        "the population mean spend p v / (q - 1), as to customers without a repeat "
        "purchase, and their purchases still count for the purchase model. To silence "
        "this warning, set their monetary_value from paid purchases, or filter "
        "clvkit.errors.DataWarning.",
        DataWarning,
        stacklevel=4,
    )


def _plain(value: object) -> object:
    return value.item() if isinstance(value, np.generic) else value
