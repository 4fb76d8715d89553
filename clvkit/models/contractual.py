"""The contractual-model contract: churn is observed, renewals come once per period.

In a contractual (subscription) setting a customer's departure is seen: a subscription
not renewed. A contractual model describes how long customers stay, in whole periods
(months of a monthly plan, years of a yearly one), and how that varies across customers,
so that retention rates rise with tenure as the most churn-prone customers leave first.

:class:`ContractualModel` owns what every such model shares, as
:class:`~clvkit.models.purchase.PurchaseModel` does for purchase models: the fits (on
survivor counts of cohorts, or on one row per subscriber), one fit per segment, the
input checks, horizons in periods or calendar strings, and the public curves. A model
supplies ``param_names`` and a kernel module with these functions (all broadcasting over
parameter arrays of shape ``(k, *p)``, see :mod:`clvkit.models._kernels.sbg`):
``prepare(deaths, censored)``, ``loglik_derivatives``, ``initial_params``,
``identifiability_problem``, ``log_survival``, ``survival``, ``churn_probability``,
``retention_rate``, ``residual_survival``, ``expected_lifetime``, ``derl`` and
``simulate``.

Periods, tenure and renewals
----------------------------
``T`` is a customer's lifetime, the number of periods paid for (>= 1). ``S(t) = P(T > t)``
is the share of a cohort still active after ``t`` periods. A subscriber's ``tenure`` is
the number of whole periods completed: for a customer who left, ``T`` itself; for an
active one, the renewals made so far (``T > tenure``). A discount rate is yearly, as
everywhere in clvkit, and converted to the model's period with calendar-true lengths.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from types import ModuleType
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from clvkit._time import DAYS_PER_YEAR, check_time_unit, parse_horizon, unit_length_days
from clvkit._validation import check_discount_rate, check_frame, check_rule, numeric_column
from clvkit.errors import ClvkitError, InputError, UnitError
from clvkit.models._optimize import maximize
from clvkit.models.base import BaseModel, clone
from clvkit.models.contract_inputs import (
    SurvivalData,
    read_subscribers,
    read_survival_counts,
)
from clvkit.models.inputs import read_weights

__all__ = ["ContractualModel", "per_period_rate"]

ArrayLike = object
_CELLS_PER_BLOCK = 2_000_000
_MAX_RENEWALS = 100_000
_WHOLE_TOL = 1e-9


def per_period_rate(discount_rate: object, time_unit: str | None) -> float:
    """A yearly discount rate as a rate per period of ``time_unit``.

    ``(1 + rate) ** (period length / 365.2425 days) - 1``; 0 stays 0 whatever the unit.

    Raises
    ------
    clvkit.errors.InputError
        If the rate is not a number in [0, 1] (0.10 for 10 %).
    clvkit.errors.UnitError
        If the rate is > 0 and ``time_unit`` is None (years cannot be converted).
    """
    rate = check_discount_rate(discount_rate)
    if rate == 0.0:
        return 0.0
    if time_unit is None:
        raise UnitError(
            "A discount_rate is yearly, but the model has no time unit, so its periods "
            "cannot be converted to years; fit with time_unit=... (e.g. 'M' or 'Y')."
        )
    years = unit_length_days(time_unit) / DAYS_PER_YEAR
    return math.expm1(math.log1p(rate) * years)


class ContractualModel(BaseModel):
    """Base of every contractual model: fits and curves over a kernel's formulas.

    Subclasses set ``param_names``, ``kernel`` and ``display_name``; the hyper-parameters
    are those of :class:`clvkit.models.base.BaseModel`.

    Examples
    --------
    The shifted-beta-geometric model is the contractual model clvkit ships:

    >>> import clvkit as ck
    >>> issubclass(ck.ShiftedBetaGeo, ck.models.ContractualModel)
    True
    >>> counts = [1000, 631, 468, 382, 326, 289, 262, 241]  # Fader & Hardie (2007), regular
    >>> ck.ShiftedBetaGeo().fit_survival(counts, time_unit="Y").params_.round(3).tolist()
    [0.704, 1.182]
    """

    #: the kernel module holding the model's formulas
    kernel: ClassVar[ModuleType]
    #: short name used in tables and plots ("sBG")
    display_name: ClassVar[str] = "contractual model"

    # -- fitting ------------------------------------------------------------------------------
    def fit(
        self,
        customers: pd.DataFrame | None = None,
        *,
        tenure: Hashable | ArrayLike = "tenure",
        churned: Hashable | ArrayLike = "churned",
        weights: ArrayLike = None,
        time_unit: str | None = None,
    ) -> Self:
        """Maximum-likelihood fit on one row per subscriber.

        A customer who churned after ``tenure`` periods contributes ``P(T = tenure)``; an
        active one, right-censored, contributes ``S(tenure)``.

        Parameters
        ----------
        customers : DataFrame, optional
            One row per subscriber.
        tenure : str or array-like, default "tenure"
            The column of whole periods completed: for a customer who left, the periods
            paid for (>= 1); for an active one, the renewals made so far (0 in the first
            period). Without ``customers``, the values themselves.
        churned : str or array-like, default "churned"
            The column saying whether the customer has left: booleans, or 0 and 1.
        weights : str or array-like, optional
            A column name or values: the number of customers each row stands for.
        time_unit : str, optional
            The period (``"M"``, ``"Y"``, ...), when ``customers.attrs["time_unit"]`` does
            not record it.

        Returns
        -------
        self

        Raises
        ------
        clvkit.errors.InputError
            If a column breaks its rule (tenure not a whole number >= 0, a churned
            customer with tenure 0, a flag other than 0/1), or the data cannot identify
            the parameters (nobody churned, nobody renewed, nobody observed beyond the
            first renewal) and no penalizer is set.

        Examples
        --------
        >>> import clvkit as ck
        >>> subscribers = ck.datasets.simulate_subscribers(2000, time_unit="M", seed=1)
        >>> subscribers[["tenure", "churned"]].dtypes.tolist()
        [dtype('int64'), dtype('bool')]
        >>> sbg = ck.ShiftedBetaGeo().fit(subscribers)
        >>> sbg.params_.round(3).tolist(), sbg.time_unit_
        ([0.683, 3.971], 'M')
        """
        self._check_hyperparameters()
        caller = f"{type(self).__name__}.fit"
        subs = read_subscribers(customers, {"tenure": tenure, "churned": churned}, caller=caller)
        if isinstance(weights, str) and isinstance(customers, pd.DataFrame):
            if weights not in customers.columns:
                raise InputError(f"{caller}: the customers frame has no column {weights!r}.")
            weights = customers[weights]
        w = read_weights(weights, subs.n, subs.index)
        unit = _resolve_unit(subs.time_unit, time_unit, caller)
        return self._fit_data(subs.survival_data(w), unit, caller)

    def fit_survival(self, counts: object, *, time_unit: str | None = None) -> Self:
        """Maximum-likelihood fit on survivor counts of one or several cohorts.

        Fader & Hardie (2007), eq. B3: the customers of each cohort who left in period
        ``t`` contribute ``P(T = t)``, those still active after the cohort's last observed
        period ``S(last)``. Several cohorts share one model, each right-censored at its
        own last period.

        Parameters
        ----------
        counts : array-like or DataFrame
            1-D: ``counts[0]`` is the cohort's size and ``counts[t]`` the number still
            active after ``t`` periods. 2-D: one row per cohort, NaN after each cohort's
            last observed period, such as ``cohort_table(payments, metric="customers")``
            (an incomplete last period is left out, with a warning). A one-cohort
            ``retention_table`` is read through its ``customers_end``.
        time_unit : str, optional
            The period of the counts, when the table's ``attrs`` do not record it.

        Returns
        -------
        self

        Raises
        ------
        clvkit.errors.InputError
            Naming the cohort and period: counts that increase, are negative or not whole
            numbers, a cohort size that is not > 0, a number after a NaN; or data that
            cannot identify the parameters.

        Examples
        --------
        >>> import clvkit as ck
        >>> regular = [1000, 631, 468, 382, 326, 289, 262, 241]
        >>> sbg = ck.ShiftedBetaGeo().fit_survival(regular, time_unit="Y")
        >>> sbg.params_.round(3).tolist()
        [0.704, 1.182]
        """
        self._check_hyperparameters()
        caller = f"{type(self).__name__}.fit_survival"
        table = read_survival_counts(counts, caller)
        unit = _resolve_unit(table.time_unit, time_unit, caller)
        return self._fit_data(table.survival_data(), unit, caller)

    def _fit_data(self, survival: SurvivalData, unit: str | None, caller: str) -> Self:
        data = self.kernel.prepare(survival.deaths, survival.censored)
        if not data.total_weight > 0:
            raise InputError(f"{caller}: every weight is 0; nothing to fit.")
        if float(self.penalizer) == 0.0:
            problem = self.kernel.identifiability_problem(data)
            if problem is not None:
                raise InputError(
                    f"{caller}: {problem} Fit on more periods or cohorts, or pass "
                    "penalizer=... (e.g. 0.01) for a regularised fit."
                )
        start = self._start_from_hyperparameters()
        if start is None:
            start = self.kernel.initial_params(data)
        result = maximize(
            lambda p, order: self.kernel.loglik_derivatives(p, data, order),
            start,
            total_weight=data.total_weight,
            penalizer=float(self.penalizer),
            tol=float(self.tol),
            max_iter=int(self.max_iter),
            model_name=type(self).__name__,
            param_names=self.param_names,
        )
        self._store_fit(
            result, n_customers=data.total_weight, time_unit=unit, n_distinct_rows=data.n_distinct
        )
        return self

    def fit_by(
        self,
        data: pd.DataFrame,
        by: Hashable | pd.Series,
        *,
        survival: bool = False,
        **fit_args: Any,
    ) -> pd.DataFrame:
        """Fit one model per segment (plan, channel, ...) and put their parameters side by side.

        Each segment gets a fresh clone of this model (same hyper-parameters), fitted with
        :meth:`fit` (one row per subscriber) or, with ``survival=True``, with
        :meth:`fit_survival` (one row of survivor counts per cohort). ``self`` is not
        fitted.

        Parameters
        ----------
        data : DataFrame
            Subscribers, or survivor counts (rows are cohorts, columns periods 0, 1, ...).
        by : str or Series
            A column of ``data`` or a level of its index holding the segment labels, or a
            Series of labels indexed like ``data``. A column used for survivor counts is
            left out of the counts.
        survival : bool, default False
            Whether ``data`` holds survivor counts.
        **fit_args
            Passed to each fit (``tenure=``, ``churned=``, ``weights=`` (a column name),
            ``time_unit=``).

        Returns
        -------
        DataFrame
            One row per segment (sorted labels): each parameter, its ``<name>_std_error``,
            ``log_likelihood``, ``n_customers``, ``converged`` and ``model``, the fitted
            model itself (for its curves and values).

        Examples
        --------
        >>> import clvkit as ck
        >>> subs = ck.datasets.simulate_subscribers(4000, time_unit="M", seed=1)
        >>> subs["plan"] = ["monthly", "annual"] * 2000
        >>> table = ck.ShiftedBetaGeo().fit_by(subs, by="plan")
        >>> list(table.index)
        ['annual', 'monthly']
        """
        caller = f"{type(self).__name__}.fit_by"
        frame = check_frame(data, "data")
        if not isinstance(survival, bool):
            raise InputError(f"The 'survival' argument of {caller} must be True or False.")
        labels, drop = _segment_labels(frame, by, caller)
        rows: list[dict[str, Any]] = []
        keys: list[Any] = []
        for key, positions in labels.groupby(labels, sort=True).indices.items():
            part = frame.iloc[np.sort(positions)]
            if drop is not None:
                part = part.drop(columns=[drop])
            part.attrs = dict(frame.attrs)
            model = clone(self)
            try:
                if survival:
                    model.fit_survival(part, **fit_args)
                else:
                    model.fit(part, **fit_args)
            except ClvkitError as exc:
                raise type(exc)(f"Segment {key!r}: {exc}") from exc
            summary = model.summary()
            row: dict[str, Any] = {}
            for param in self.param_names:
                row[param] = float(summary.loc[param, "estimate"])
            for param in self.param_names:
                row[f"{param}_std_error"] = float(summary.loc[param, "std_error"])
            row["log_likelihood"] = model.log_likelihood_
            row["n_customers"] = model.n_customers_
            row["converged"] = bool(model.diagnostics_ and model.diagnostics_.converged)
            row["model"] = model
            rows.append(row)
            keys.append(key)
        name = labels.name if labels.name is not None else "segment"
        return pd.DataFrame(rows, index=pd.Index(keys, name=name))

    # -- inputs of the curves --------------------------------------------------------------
    def _whole(
        self, value: object, argument: str, minimum: int = 0
    ) -> tuple[np.ndarray, Callable[[np.ndarray, str], Any]]:
        """Whole numbers of periods (numbers, calendar strings, arrays or a Series) and a
        function that puts results back in the input's form."""
        self._check_fitted()
        index: pd.Index | None = None
        scalar = False
        if isinstance(value, pd.Series):
            index = value.index
            values = numeric_column(value, f"Argument {argument!r}", index)
        elif isinstance(value, list | tuple | range | np.ndarray | pd.Index):
            arr = np.asarray(value)
            if arr.dtype.kind in "iuf":
                values = numeric_column(arr, f"Argument {argument!r}")
            else:
                items = list(arr.ravel()) if arr.ndim == 1 else None
                if items is None:
                    raise InputError(f"The {argument!r} argument must be one-dimensional.")
                values = np.array([self._one_period(v, argument) for v in items])
            if values.size == 0:
                raise InputError(f"The {argument!r} argument is empty.")
        else:
            scalar = True
            values = np.array([self._one_period(value, argument)])
        rounded = np.round(values)
        check_rule(
            np.abs(values - rounded) > _WHOLE_TOL * np.maximum(1.0, np.abs(values)),
            f"Argument {argument!r}",
            f"must be whole numbers of periods ({self._unit_text()}): a "
            f"{self.display_name} model renews once per period",
            index,
        )
        check_rule(rounded < minimum, f"Argument {argument!r}", f"must be >= {minimum}", index)

        def wrap(result: np.ndarray, name: str) -> Any:
            if scalar:
                return float(result[0])
            if index is not None:
                return pd.Series(result, index=index, name=name)
            return result

        return rounded, wrap

    def _one_period(self, value: object, argument: str) -> float:
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise InputError(
                f"The {argument!r} argument must be a number of periods, a calendar span "
                f"such as '12M', or an array of them. Got {value!r}."
            )
        return parse_horizon(value, self.time_unit_, argument=argument)

    def _unit_text(self) -> str:
        return f"time unit {self.time_unit_!r}" if self.time_unit_ else "model periods"

    # -- the curves ----------------------------------------------------------------------
    def survival(self, t: object) -> Any:
        """``S(t)``: the share of a new cohort still active after ``t`` periods.

        Fader & Hardie (2007), eq. 8: ``B(gamma, delta + t) / B(gamma, delta)``.

        Parameters
        ----------
        t : int, str or array-like
            Whole periods >= 0, a calendar span that is a whole number of periods
            (``"2Y"`` for a monthly model is 24), or an array of them.

        Returns
        -------
        float for one value, an array for an array, a Series for a Series.

        Examples
        --------
        >>> import clvkit as ck
        >>> sbg = ck.ShiftedBetaGeo.from_params(gamma=0.704, delta=1.182, time_unit="Y")
        >>> round(sbg.survival(7), 3)
        0.239
        """
        params = self._check_fitted()
        values, wrap = self._whole(t, "t")
        return wrap(self.kernel.survival(params, values), "survival")

    def retention_rate(self, t: object) -> Any:
        """``r(t) = S(t) / S(t - 1)``: of those active after ``t - 1`` periods, the share who
        renew once more (Fader & Hardie 2007, eq. 9), ``t >= 1``.

        It rises with ``t`` towards 1: the customers most prone to leave do so first.

        Returns
        -------
        float, array or Series, as for :meth:`survival`.

        Examples
        --------
        >>> import clvkit as ck
        >>> sbg = ck.ShiftedBetaGeo.from_params(gamma=0.704, delta=1.182, time_unit="Y")
        >>> sbg.retention_rate([1, 2, 3]).round(3).tolist()  # rises as churn-prone customers leave
        [0.627, 0.756, 0.819]
        """
        params = self._check_fitted()
        values, wrap = self._whole(t, "t", minimum=1)
        return wrap(self.kernel.retention_rate(params, values), "retention_rate")

    def churn_probability(self, t: object) -> Any:
        """``P(T = t)``: the probability that a new customer's lifetime is exactly ``t``
        periods, i.e. that they leave at the end of period ``t`` (Fader & Hardie 2007,
        eq. 7), ``t >= 1``.

        This is unconditional (it sums to 1 over ``t``); the churn rate among those still
        active is ``1 - retention_rate(t)``.

        Returns
        -------
        float, array or Series, as for :meth:`survival`.

        Examples
        --------
        >>> import clvkit as ck
        >>> sbg = ck.ShiftedBetaGeo.from_params(gamma=0.704, delta=1.182, time_unit="Y")
        >>> sbg.churn_probability([1, 2, 3]).round(3).tolist()
        [0.373, 0.153, 0.086]
        """
        params = self._check_fitted()
        values, wrap = self._whole(t, "t", minimum=1)
        return wrap(self.kernel.churn_probability(params, values), "churn_probability")

    def conditional_survival(self, periods_survived: object, t: object) -> Any:
        """``S(n + t) / S(n)``: the probability that a customer active after ``n`` periods is
        still active ``t`` periods later.

        Parameters
        ----------
        periods_survived : int, array-like or Series
            Each customer's ``n``, whole periods >= 0 (renewals made).
        t : int or str
            One horizon, whole periods >= 0.

        Returns
        -------
        float, array or Series, shaped like ``periods_survived``.

        Examples
        --------
        >>> import clvkit as ck
        >>> sbg = ck.ShiftedBetaGeo.from_params(gamma=0.704, delta=1.182, time_unit="Y")
        >>> round(sbg.conditional_survival(3, 2), 3)  # survived 3 periods: still here after 2 more
        0.754
        """
        params = self._check_fitted()
        n, wrap = self._whole(periods_survived, "periods_survived")
        k, _ = self._whole(t, "t")
        if k.size != 1:
            raise InputError("The 't' argument of conditional_survival must be one horizon.")
        return wrap(self.kernel.residual_survival(params, n, k[0]), "conditional_survival")

    def expected_lifetime(self) -> float:
        """``E[T]``: the mean number of periods a new customer pays for.

        ``(gamma + delta - 1) / (gamma - 1)`` when ``gamma > 1``; infinite when
        ``gamma <= 1``, where enough customers almost never leave that the mean diverges
        (the median, the horizon-limited :meth:`expected_renewals` and the discounted
        :meth:`derl` stay finite).

        Examples
        --------
        >>> import clvkit as ck
        >>> sbg = ck.ShiftedBetaGeo.from_params(gamma=0.704, delta=1.182, time_unit="Y")
        >>> sbg.expected_lifetime()  # gamma <= 1: the mean lifetime diverges
        inf
        >>> round(ck.ShiftedBetaGeo.from_params(gamma=2.0, delta=3.0).expected_lifetime(), 3)
        4.0
        """
        params = self._check_fitted()
        return float(self.kernel.expected_lifetime(params))

    def derl(self, periods_survived: object, discount_rate: float) -> Any:
        """Discounted expected residual lifetime of customers still active after ``n``
        periods (Fader & Hardie 2010, eq. 6).

        The expected number of their future renewals, each discounted to the next
        renewal decision (which counts in full): ``sum_{k >= 1} S(n + k) / S(n)
        (1 + d)^-(k - 1)``, with ``d`` the discount rate per period. Multiplied by the
        margin on a period's revenue it is the customer's residual lifetime value.

        Parameters
        ----------
        periods_survived : int, array-like or Series
            Renewals made so far, whole periods >= 0.
        discount_rate : float
            Yearly rate (0.10 for 10 %), converted to the model's period; 0 gives the
            undiscounted expected number of renewals, infinite when ``gamma <= 1``.

        Returns
        -------
        float, array or Series, shaped like ``periods_survived``.

        Examples
        --------
        >>> import clvkit as ck
        >>> sbg = ck.ShiftedBetaGeo.from_params(gamma=0.668, delta=3.806, time_unit="Y")
        >>> round(sbg.derl(7, discount_rate=0.10), 3)
        7.53
        """
        params = self._check_fitted()
        n, wrap = self._whole(periods_survived, "periods_survived")
        rate = per_period_rate(discount_rate, self.time_unit_)
        return wrap(self.kernel.derl(params, n, rate), "derl")

    def renewals_in(self, horizon: object) -> int | None:
        """The number of renewals a horizon holds: ``ceil(H)`` for ``H`` periods (the next
        renewal is the first), None for ``"all"``.

        Examples
        --------
        >>> import clvkit as ck
        >>> sbg = ck.ShiftedBetaGeo.from_params(gamma=0.704, delta=1.182, time_unit="Y")
        >>> sbg.renewals_in("5Y"), sbg.renewals_in(5), sbg.renewals_in("all")
        (5, 5, None)
        """
        self._check_fitted()
        if isinstance(horizon, str) and horizon.strip().lower() == "all":
            return None
        if isinstance(horizon, np.generic):
            horizon = horizon.item()
        H = parse_horizon(horizon, self.time_unit_, argument="horizon")
        K = math.ceil(H - _WHOLE_TOL * max(1.0, H))
        if K > _MAX_RENEWALS:
            raise InputError(
                f"The horizon holds {K:,} renewals (more than {_MAX_RENEWALS:,}); use "
                "horizon='all' for the whole residual lifetime."
            )
        return K

    def expected_renewals(
        self, periods_survived: object, horizon: object, *, discount_rate: float = 0.0
    ) -> Any:
        """Expected renewals of customers active after ``n`` periods within a horizon.

        ``sum_{k=1}^{K} S(n + k) / S(n) (1 + d)^-(k - 1)``: the ``K`` renewal decisions
        that fall within the horizon, the next one counted first and undiscounted, as in
        :meth:`derl` (to which it tends as the horizon grows; ``horizon="all"`` gives it).

        Parameters
        ----------
        periods_survived : int, array-like or Series
            Renewals made so far, whole periods >= 0.
        horizon : float, str or "all"
            A number of periods or a calendar span (``"3Y"``); a fraction of a period
            counts as a whole renewal (``"52W"`` in months holds 12). ``"all"``: the
            whole residual lifetime.
        discount_rate : float, default 0
            Yearly rate, converted to the model's period.

        Returns
        -------
        float, array or Series, shaped like ``periods_survived``.

        Examples
        --------
        >>> import clvkit as ck
        >>> sbg = ck.ShiftedBetaGeo.from_params(gamma=0.704, delta=1.182, time_unit="Y")
        >>> round(sbg.expected_renewals(3, 5), 3)  # renewals in the next 5 periods
        3.469
        >>> round(sbg.expected_renewals(3, 5, discount_rate=0.1), 3)
        2.95
        """
        params = self._check_fitted()
        n, wrap = self._whole(periods_survived, "periods_survived")
        rate = per_period_rate(discount_rate, self.time_unit_)
        K = self.renewals_in(horizon)
        if K is None:
            return wrap(self.kernel.derl(params, n, rate), "expected_renewals")
        return wrap(self._renewal_sum(params, n, K, rate), "expected_renewals")

    def _renewal_sum(self, params: np.ndarray, n: np.ndarray, K: int, rate: float) -> np.ndarray:
        """``sum_{k=1}^{K} S(n+k)/S(n) (1+rate)^-(k-1)`` for each ``n``, in blocks."""
        out = np.zeros(n.size)
        if K == 0:
            return out
        k = np.arange(1, K + 1, dtype=np.float64)
        factors = np.exp(-(k - 1.0) * math.log1p(rate))
        block = max(1, _CELLS_PER_BLOCK // K)
        for lo in range(0, n.size, block):
            rows = slice(lo, min(lo + block, n.size))
            curve = self.kernel.residual_survival(params, n[rows, None], k[None, :])
            out[rows] = curve @ factors
        return out

    def _simulate_lifetimes(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Lifetimes (periods paid for) of ``n`` new customers, from the model's own story."""
        params = self._check_fitted()
        return np.asarray(self.kernel.simulate(rng, params, n))


def _resolve_unit(recorded: str | None, given: str | None, caller: str) -> str | None:
    if given is not None:
        check_time_unit(given)
        if recorded is not None and recorded != given:
            raise UnitError(
                f"{caller}: time_unit={given!r} contradicts the data, which record "
                f"{recorded!r}. Nothing is rescaled silently."
            )
        return given
    return recorded


def _segment_labels(
    frame: pd.DataFrame, by: object, caller: str
) -> tuple[pd.Series, Hashable | None]:
    """Segment labels for every row, and the column to leave out of the data (if any)."""
    if isinstance(by, pd.Series):
        if not by.index.equals(frame.index):
            raise InputError(f"The 'by' Series of {caller} must be indexed like 'data'.")
        labels, drop = by, None
    elif isinstance(by, Hashable) and by in frame.columns:
        labels, drop = frame[by], by
    elif isinstance(by, str | int) and by in (frame.index.names or []):
        labels = pd.Series(frame.index.get_level_values(by), index=frame.index, name=by)
        drop = None
    else:
        raise InputError(
            f"The 'by' argument of {caller} must be a column of 'data', a level of its index "
            f"or a Series of labels. Got {by!r}."
        )
    check_rule(
        np.asarray(labels.isna()), "Segment labels ('by')", "must not be missing", frame.index
    )
    return labels, drop
