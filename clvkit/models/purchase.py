"""The purchase-model contract: every question about purchases, written once.

A purchase model (BG/NBD, MBG/NBD, Pareto/NBD, BG/BB) is a :class:`PurchaseModel` that
declares its parameter names and its kernel module (the protocol of
:mod:`clvkit.models._kernels.protocol`); this base owns the rest, as scipy.stats'
``rv_continuous`` owns ``pdf``, ``cdf`` and ``ppf`` around a distribution's hooks:

- the input checks (a frame, keyword arrays or an already validated
  :class:`~clvkit.models.inputs.RFMInput`; the model's time unit);
- the fit pipeline: validate, compress into distinct rows, refuse unidentifiable data,
  start (from a subsample fit on large cohorts), maximise, store the fitted state;
- the public predictions, with the same names and meaning for every model;
- horizons as numbers, calendar strings or 1-D arrays of them (one column per horizon);
- ``interval=`` on every prediction (delta method, parametric draws, bootstrap), through
  :mod:`clvkit.models.purchase_intervals` and :mod:`clvkit.models.uncertainty`: a
  prediction supplies its quantity at a block of parameter vectors, the rest is shared.

Everything above :mod:`clvkit.models` (CLV, evaluation, cohort views, plots, the service)
talks to this contract and never to a kernel.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from clvkit._progress import check_progress, progress_bar
from clvkit._time import parse_horizon
from clvkit._validation import check_rule
from clvkit.errors import InputError
from clvkit.models._kernels.compress import distinct_pairs
from clvkit.models._optimize import LoglikFn, maximize
from clvkit.models.inputs import RFMInput, read_rfm, read_weights
from clvkit.models.purchase_intervals import PurchaseIntervals
from clvkit.models.uncertainty import (
    DEFAULT_DRAWS,
    CustomerBlock,
    ParameterBlock,
    with_bounds,
)

__all__ = ["Horizons", "MixingDistribution", "PurchaseModel", "purchase_model_of"]

ArrayLike = object

#: cohorts with more distinct rows than this start from a fit on a random subsample of
#: _PRESTART_SAMPLE customers; with the subsample also correcting the first full Newton
#: step, 50,000 leave the full fit at three passes over the rows on every cohort of the
#: benchmarks (BG/NBD, MBG/NBD, Pareto/NBD; daily grain and all distinct, 1M and 10M),
#: with the last gradient 30-1000x below the tolerance; 30,000 needed a fourth pass on one
_PRESTART_ROWS = 50_000
_PRESTART_SAMPLE = 50_000


@dataclass(frozen=True)
class MixingDistribution:
    """One heterogeneity distribution of a model, for plots and reports.

    Attributes
    ----------
    symbol : str
        The latent quantity (``"lambda"``, ``"p"``, ``"mu"``).
    description : str
        What it is (``"purchase rate while alive"``).
    unit : str
        Its unit (``"purchases per week"``, ``"probability"``).
    density_unit : str
        The unit a density of it is per (``"purchase per week"``, ``"unit of probability"``).
    distribution : scipy.stats frozen distribution
        Its law across customers, e.g. ``Gamma(r, scale=1/alpha)``.
    label : str
        The law written out, e.g. ``"Gamma(r=0.243, alpha=4.41)"``.

    Examples
    --------
    >>> import clvkit as ck
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> purchase = bg.mixing_distributions()["purchase"]
    >>> purchase.symbol, purchase.label
    ('lambda', 'Gamma(r=0.243, alpha=4.41)')
    >>> round(float(purchase.distribution.mean()), 4)  # purchases per week
    0.0551
    """

    symbol: str
    description: str
    unit: str
    density_unit: str
    distribution: Any
    label: str


@dataclass(frozen=True)
class Horizons:
    """Horizons converted to the model's time unit.

    ``values`` is a float for one horizon, a (m,) array for several; ``labels`` the
    horizons as given (column names of the result).
    """

    values: float | np.ndarray
    labels: list[Any] | None

    @property
    def many(self) -> bool:
        return self.labels is not None


class PurchaseModel(PurchaseIntervals):
    """Base of every purchase model: the public predictions over a kernel's formulas.

    Subclasses set ``param_names``, ``kernel`` (a module implementing
    :class:`clvkit.models._kernels.protocol.PurchaseKernel`), ``display_name`` and
    :meth:`mixing_distributions`; the hyper-parameters are those of
    :class:`clvkit.models.base.BaseModel`.

    Examples
    --------
    Every purchase model answers the same questions with the same methods:

    >>> import clvkit as ck
    >>> models = [ck.BetaGeo, ck.ModifiedBetaGeo, ck.ParetoNBD]
    >>> all(issubclass(m, ck.PurchaseModel) for m in models)
    True
    >>> rfm = ck.datasets.simulate_rfm(1000, seed=1)
    >>> [round(float(m().fit(rfm).expected_purchases(rfm, "13W").sum())) for m in models]
    [170, 167, 164]
    """

    #: the kernel module holding the model's formulas
    kernel: ClassVar[ModuleType]
    #: short name used in tables and plots ("BG/NBD")
    display_name: ClassVar[str] = "purchase model"
    #: the customer columns, in the kernel's order (x, t_x, T)
    columns: ClassVar[tuple[str, str, str]] = ("frequency", "recency", "T")
    #: True when horizons count discrete purchase occasions (whole numbers)
    discrete: ClassVar[bool] = False

    # -- input ----------------------------------------------------------------------------
    def read_customers(
        self,
        customers: object,
        *,
        caller: str = "read_customers",
        time_unit: str | None = None,
    ) -> RFMInput:
        """Validate customers for this model once: its columns, their rules, its time unit.

        The result can be passed to every prediction method instead of the frame, which
        then skips the checks (what :class:`clvkit.CLVModel` and the plots do).

        Parameters
        ----------
        customers : DataFrame
            The model's columns (``frequency``, ``recency``, ``T``).
        caller : str, optional
            The name used in error messages.
        time_unit : str, optional
            The unit of ``recency`` and ``T``, when the frame does not record it in
            ``attrs["time_unit"]`` (a CSV round trip, ``merge`` or ``concat`` loses it).
            A frame in no known unit is refused when the model has one.

        Returns
        -------
        RFMInput
            Validated arrays, the frame's index and unit.

        Examples
        --------
        >>> import clvkit as ck
        >>> rfm = ck.datasets.simulate_rfm(200, seed=1)
        >>> bg = ck.BetaGeo().fit(rfm)
        >>> checked = bg.read_customers(rfm)       # validated once, reused by every prediction
        >>> checked.n, checked.time_unit
        (200, 'W')
        >>> bool((bg.probability_alive(checked) == bg.probability_alive(rfm).to_numpy()).all())
        True
        """
        rfm = self._read(customers, {}, caller, time_unit=time_unit)
        self._check_unit(rfm, f"{type(self).__name__}.{caller}")
        return rfm

    def _read(
        self,
        customers: object,
        arrays: Mapping[str, object],
        caller: str,
        need: tuple[str, ...] | None = None,
        time_unit: str | None = None,
    ) -> RFMInput:
        """Validated customers for ``caller`` (the model's columns, or ``need``)."""
        rfm = read_rfm(
            customers,
            dict(arrays),
            need=self.columns if need is None else need,
            caller=f"{type(self).__name__}.{caller}",
            time_unit=time_unit,
        )
        self._check_customers(rfm)
        return rfm

    def _check_customers(self, rfm: RFMInput) -> None:
        """Model-specific rules beyond those of :func:`read_rfm` (none by default)."""

    def _xtT(self, rfm: RFMInput) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x, t_x, T = self.columns
        return rfm[x], rfm[t_x], rfm[T]

    def _fitted_for(self, rfm: RFMInput, caller: str | None = None) -> np.ndarray:
        params = self._check_fitted()
        self._check_unit(rfm, caller)
        return params

    def _horizons(self, value: object, argument: str = "horizon") -> Horizons:
        """One horizon or a 1-D array of them, in model time units (0 allowed)."""
        self._check_fitted()
        if value is None:
            raise InputError(f"The {argument!r} argument is required (e.g. 39 or '52W').")
        if isinstance(value, list | tuple | np.ndarray | pd.Index | pd.Series):
            numeric = np.asarray(value)
            if numeric.ndim == 1 and numeric.size and numeric.dtype.kind in "iuf":
                return Horizons(self._numeric_horizons(numeric, argument), list(numeric))
            items = list(np.asarray(value, dtype=object).ravel())
            if np.ndim(np.asarray(value, dtype=object)) != 1 or not items:
                raise InputError(
                    f"The {argument!r} argument, given as several horizons, must be a "
                    f"non-empty 1-D array. Got {value!r}."
                )
            values = np.array([self._one_horizon(v, argument) for v in items])
            return Horizons(values, items)
        return Horizons(self._one_horizon(value, argument), None)

    def _numeric_horizons(self, values: np.ndarray, argument: str) -> np.ndarray:
        """Many horizons given as numbers of model time units, checked at once."""
        out = values.astype(np.float64)
        check_rule(
            ~np.isfinite(out) | (out < 0), f"Argument {argument!r}", "must be finite and >= 0"
        )
        if self.discrete:
            check_rule(
                out != np.floor(out),
                f"Argument {argument!r}",
                f"must be whole numbers (purchase occasions of a {self.display_name} model)",
            )
        return out

    def _one_horizon(self, value: object, argument: str) -> float:
        if isinstance(value, np.generic):
            value = value.item()
        t = parse_horizon(value, self.time_unit_, argument=argument)
        if self.discrete and t != math.floor(t):
            raise InputError(
                f"The {argument!r} argument of a {self.display_name} model counts purchase "
                f"occasions and must be a whole number. Got {value!r} ({t:g} occasions)."
            )
        return t

    def _wrap(self, rfm: RFMInput, values: np.ndarray, name: str, h: Horizons) -> Any:
        return rfm.wrap(values, name, None if h.labels is None else np.asarray(h.labels))

    # -- fit ------------------------------------------------------------------------------
    def fit(
        self,
        customers: pd.DataFrame | None = None,
        *,
        frequency: ArrayLike = None,
        recency: ArrayLike = None,
        T: ArrayLike = None,
        weights: ArrayLike = None,
        time_unit: str | None = None,
        progress: bool | None = None,
    ) -> Self:
        """Maximum-likelihood fit on per-customer ``(frequency, recency, T)``.

        Identical customers are compressed into one weighted row first, so the cost
        depends on the number of distinct histories, not of customers.

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
            The unit of recency and T (``"D"``, ``"W"``, ...), which the model adopts.
            Required for a frame that does not record it in ``attrs["time_unit"]``: a
            CSV or Parquet round trip, ``merge``, ``concat`` or ``groupby().apply`` loses
            what :func:`clvkit.rfm_summary` records. Optional for keyword arrays (without
            it the model has no unit and takes numeric horizons only).
        progress : bool or None, default None
            A bar counting likelihood evaluations for fits that take more than a second:
            ``None`` on a terminal or in a notebook only, ``True`` always, ``False`` never
            (needs ``tqdm``: ``pip install "clvkit[progress]"``).

        Returns
        -------
        self

        Raises
        ------
        clvkit.errors.InputError
            If a column breaks its rule, or (unpenalised) the data cannot identify the
            parameters: no repeat purchase, no observed time, a single distinct history.

        Examples
        --------
        >>> import clvkit as ck
        >>> tx = ck.datasets.load_cdnow_transactions()
        >>> rfm = ck.rfm_summary(tx[tx["date"] <= "1997-09-30"], time_unit="W",
        ...                      observation_end="1997-09-30")
        >>> bg = ck.BetaGeo().fit(rfm)               # adopts the frame's unit
        >>> bg.params_.round(3).tolist(), bg.time_unit_
        ([0.243, 4.414, 0.793, 2.426], 'W')

        A frame read back from a CSV file has lost its unit, and must be told it:

        >>> import io
        >>> import pandas as pd
        >>> again = pd.read_csv(io.StringIO(rfm.to_csv()), index_col="customer_id")
        >>> ck.BetaGeo().fit(again, time_unit="W").time_unit_
        'W'
        """
        self._check_hyperparameters()
        caller = f"{type(self).__name__}.fit"
        show = check_progress(progress, caller)
        if customers is not None and not isinstance(customers, pd.DataFrame | RFMInput):
            # a file, DuckDB relation or Spark DataFrame: the engine reduces it to distinct
            # rows with counts, and only those reach Python (clvkit.engines)
            from clvkit.engines.fitting import fit_input

            customers, weights, time_unit = fit_input(
                customers, self.columns, weights, time_unit, caller
            )
        rfm = self._read(customers, self._arrays(frequency, recency, T), "fit", time_unit=time_unit)
        # no weights: None, so the kernel neither reads nor checks a vector of ones
        w = None if weights is None else read_weights(weights, rfm.n, rfm.index)
        unit = self._resolve_unit(rfm, caller)
        x, t_x, T_ = self._xtT(rfm)
        data = self.kernel.prepare(x, t_x, T_, w)
        if float(self.penalizer) == 0.0:
            problem = self.kernel.identifiability_problem(data)
            if problem is not None:
                raise InputError(
                    f"{caller}: {problem} Fit on a richer cohort, or pass penalizer=... "
                    "(e.g. 0.01) for a regularised fit."
                )
        with progress_bar(show, total=None, desc=caller, unit="evaluation", delay=1.0) as bar:
            start = self._start_from_hyperparameters()
            surrogate = None
            if start is None:
                start = self.kernel.initial_params(data)
                if data.n_distinct > _PRESTART_ROWS:
                    start, surrogate = self._prestart(x, t_x, T_, w, start)

            def objective(p: np.ndarray, order: int) -> Any:
                bar.update()
                return self.kernel.loglik_derivatives(p, data, order)

            result = maximize(
                objective,
                start,
                total_weight=data.total_weight,
                penalizer=float(self.penalizer),
                tol=float(self.tol),
                max_iter=int(self.max_iter),
                model_name=type(self).__name__,
                param_names=self.param_names,
                surrogate=surrogate,
            )
        self._store_fit(
            result, n_customers=data.total_weight, time_unit=unit, n_distinct_rows=data.n_distinct
        )
        return self

    def _bootstrap_columns(self) -> tuple[str, ...]:
        return self.columns

    def _arrays(self, frequency: object, recency: object, T: object) -> dict[str, object]:
        return dict(zip(self.columns, (frequency, recency, T), strict=True))

    def _prestart(
        self,
        x: np.ndarray,
        t_x: np.ndarray,
        T: np.ndarray,
        w: np.ndarray | None,
        start: np.ndarray,
    ) -> tuple[np.ndarray, tuple[LoglikFn, float] | None]:
        """Starting values from a quick fit on a seeded random subsample of the customers,
        and the subsample's log-likelihood as the full fit's surrogate (None if unused).

        On large cohorts each likelihood evaluation costs a pass over the distinct rows;
        the subsample's estimate lies within sampling error of the full one, so the full
        fit then needs only the last two (quadratically converging) Newton steps, the
        first of them corrected on the subsample for its second-order remainder
        (:func:`clvkit.models._optimize.maximize`, ``surrogate``). The final estimate
        does not depend on this start beyond the tolerance.
        """
        rows = np.random.default_rng(0).integers(0, x.size, size=_PRESTART_SAMPLE)
        rows.sort()  # sequential gathers
        sub = self.kernel.prepare(x[rows], t_x[rows], T[rows], None if w is None else w[rows])
        if not sub.total_weight > 0 or self.kernel.identifiability_problem(sub) is not None:
            return start, None

        def on_sample(p: np.ndarray, order: int) -> Any:
            return self.kernel.loglik_derivatives(p, sub, order)

        pre = maximize(
            on_sample,
            start,
            total_weight=sub.total_weight,
            penalizer=float(self.penalizer),
            tol=1e-7,
            max_iter=int(self.max_iter),
            model_name=type(self).__name__,
            param_names=self.param_names,
            warn=False,
        )
        if not pre.converged:
            return start, None
        return pre.params, (on_sample, sub.total_weight)

    def log_likelihood(
        self,
        customers: pd.DataFrame | None = None,
        *,
        params: Mapping[str, float] | None = None,
        weights: ArrayLike = None,
        frequency: ArrayLike = None,
        recency: ArrayLike = None,
        T: ArrayLike = None,
        time_unit: str | None = None,
    ) -> float:
        """Total log-likelihood of the customers' histories, at the fitted or given params.

        The building block of likelihood-ratio tests between nested models or
        parameter values.

        Parameters
        ----------
        customers : DataFrame, optional
            The model's columns; or the keyword arrays.
        params : mapping, optional
            Every parameter by name; the fitted parameters by default.
        weights : array-like, optional
            Customers each row stands for.
        time_unit : str, optional
            The unit of a frame that does not record it, as in :meth:`probability_alive`.

        Returns
        -------
        float
            ``sum_i w_i log L(params | history_i)``.

        Examples
        --------
        >>> import clvkit as ck
        >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
        >>> history = dict(frequency=[0, 2, 6], recency=[0, 30.4, 36], T=[38.9, 38.9, 38.9])
        >>> round(bg.log_likelihood(**history), 3)
        -30.149
        >>> better = dict(r=0.3, alpha=4.414, a=0.793, b=2.426)
        >>> bg.log_likelihood(**history, params=better) > -30.149
        True
        """
        rfm = self._read(
            customers, self._arrays(frequency, recency, T), "log_likelihood", time_unit=time_unit
        )
        if params is None:
            values = self._fitted_for(rfm, self._caller("log_likelihood"))
        else:
            values = np.array(self._check_params(params, "log_likelihood(params=...)"))
            self._check_unit(rfm, self._caller("log_likelihood"))
        w = read_weights(weights, rfm.n, rfm.index)
        data = self.kernel.prepare(*self._xtT(rfm), w)
        return float(self.kernel.loglik_derivatives(values, data, 0)[0])

    # -- a customer with a history ----------------------------------------------------------
    def probability_alive(
        self,
        customers: pd.DataFrame | RFMInput | None = None,
        *,
        frequency: ArrayLike = None,
        recency: ArrayLike = None,
        T: ArrayLike = None,
        time_unit: str | None = None,
        interval: float | None = None,
        method: str = "delta",
        n_draws: int = DEFAULT_DRAWS,
        random_state: object = None,
        draws: pd.DataFrame | None = None,
    ) -> pd.Series | pd.DataFrame | np.ndarray:
        """P(alive): the probability each customer has not silently churned by T.

        Parameters
        ----------
        customers : DataFrame, optional
            Columns ``frequency``, ``recency``, ``T`` in the model's time unit.
        frequency, recency, T : array-like, optional
            Instead of ``customers``.
        time_unit : str, optional
            The unit of ``recency`` and ``T`` when the frame does not record it in
            ``attrs["time_unit"]`` (a CSV or Parquet round trip, ``merge``, ``concat`` or
            ``groupby().apply`` loses what :func:`clvkit.rfm_summary` records). A frame
            in no known unit is refused when the model has one; a unit other than the
            model's is refused (nothing is rescaled). Keyword arrays are bare numbers in
            the model's unit.
        interval : float, optional
            Level of an interval for the parameter uncertainty (0.9 for 90 %): adds the
            columns ``p_alive_lower`` and ``p_alive_upper`` (logit scale for the delta
            method). See the Uncertainty page of the documentation.
        method : {"delta", "parametric", "bootstrap"}, default "delta"
            How the interval is computed: the delta method, draws from the asymptotic
            normal of the log-parameters, or bootstrap refits passed as ``draws``.
        n_draws : int, default 1000
            Parametric draws (>= 2).
        random_state : int, numpy Generator or None
            Seed of the parametric draws.
        draws : DataFrame, optional
            Bootstrap parameters from :meth:`bootstrap` (with ``method="bootstrap"``).

        Returns
        -------
        Series indexed like ``customers`` (name ``p_alive``), or (n,) array for arrays; with
        ``interval``, a DataFrame with the three columns.

        Examples
        --------
        >>> import clvkit as ck
        >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
        >>> history = dict(frequency=[0, 2, 6], recency=[0, 30.4, 36], T=[38.9, 38.9, 38.9])
        >>> bg.probability_alive(**history).round(3).tolist()
        [1.0, 0.726, 0.859]

        On a frame (here simulated in weeks), the result keeps the customer ids:

        >>> rfm = ck.datasets.simulate_rfm(5, seed=3)
        >>> bg.probability_alive(rfm).round(3).tolist()
        [1.0, 0.126, 1.0, 1.0, 1.0]
        """
        caller = self._caller("probability_alive")
        options = self._options(interval, method, n_draws, random_state, draws, caller)
        rfm = self._read(
            customers, self._arrays(frequency, recency, T), "probability_alive", time_unit=time_unit
        )
        params = self._fitted_for(rfm, caller)
        values = self.kernel.probability_alive(params, *self._xtT(rfm))
        point = rfm.wrap(values, "p_alive")
        if options is None:
            return point

        def at(block: ParameterBlock, cb: CustomerBlock) -> np.ndarray:
            p = self.kernel.probability_alive(
                block.stacked(1), cb.triple_x, cb.triple_t_x, cb.triple_T
            )
            return np.asarray(p)[:, cb.triple]

        lower, upper = self._customer_bounds(rfm, values, options, at, "logit", caller)
        return with_bounds(point, lower, upper, "p_alive")

    def expected_purchases(
        self,
        customers: pd.DataFrame | RFMInput | None = None,
        horizon: float | str | ArrayLike = None,
        *,
        frequency: ArrayLike = None,
        recency: ArrayLike = None,
        T: ArrayLike = None,
        time_unit: str | None = None,
        interval: float | None = None,
        prediction_interval: float | None = None,
        method: str = "delta",
        n_draws: int = DEFAULT_DRAWS,
        random_state: object = None,
        draws: pd.DataFrame | None = None,
    ) -> pd.Series | pd.DataFrame | np.ndarray:
        """Expected purchases in ``(T, T + horizon]`` given each customer's history.

        P(alive) times the expected purchases of a customer alive at T
        (:meth:`expected_purchases_if_alive`).

        Parameters
        ----------
        customers : DataFrame, optional
            Columns ``frequency``, ``recency``, ``T``.
        horizon : float, str or 1-D array of them
            A number of model time units (0 allowed), a calendar span such as ``"52W"``,
            ``"12M"`` or ``"365D"`` (a month is 365.2425/12 days), or several horizons.
        frequency, recency, T : array-like, optional
            Instead of ``customers``.
        time_unit : str, optional
            The unit of a frame that does not record it, as in :meth:`probability_alive`.
        interval : float, optional
            Level of the *parameter* interval of the expectation (0.9 for 90 %): adds
            ``expected_purchases_lower`` and ``expected_purchases_upper`` (log scale for
            the delta method). It covers the uncertainty of the estimated parameters
            only, not the randomness of the purchases.
        prediction_interval : float, optional
            Level of the *prediction* interval of the number of purchases itself: adds
            ``purchases_prediction_lower`` and ``purchases_prediction_upper``, the
            equal-tailed quantiles of the predictive distribution of the count (from
            :meth:`probability_n_purchases`), which holds at least this share of the
            probability. With ``method="delta"`` the distribution is taken at the estimate
            (for one customer the randomness of the purchases dwarfs the parameter
            uncertainty); with ``"parametric"`` or ``"bootstrap"`` it is averaged over the
            parameter draws, so it includes both.
        method, n_draws, random_state, draws
            How the intervals are computed, as in :meth:`probability_alive`.

        Returns
        -------
        Series indexed like ``customers`` (one horizon), a DataFrame with one column per
        horizon (several), or the arrays (n,) / (n, m) for array input. With an interval,
        a DataFrame with the bound columns beside the estimate (for several horizons, two
        column levels: the statistic, then the horizon).

        Examples
        --------
        >>> import clvkit as ck
        >>> rfm = ck.datasets.simulate_rfm(2000, seed=1)
        >>> bg = ck.BetaGeo().fit(rfm)
        >>> table = bg.expected_purchases(rfm, 26, interval=0.9, prediction_interval=0.9)
        >>> list(table.columns)  # doctest: +NORMALIZE_WHITESPACE
        ['expected_purchases', 'expected_purchases_lower', 'expected_purchases_upper',
         'purchases_prediction_lower', 'purchases_prediction_upper']
        """
        caller = self._caller("expected_purchases")
        options = self._options(interval, method, n_draws, random_state, draws, caller)
        predictive = self._prediction_level(prediction_interval, caller)
        h = self._horizons(horizon)
        rfm = self._read(
            customers,
            self._arrays(frequency, recency, T),
            "expected_purchases",
            time_unit=time_unit,
        )
        params = self._fitted_for(rfm, caller)
        x, t_x, T_ = self._xtT(rfm)
        p_alive = self.kernel.probability_alive(params, x, t_x, T_)
        alive = self._per_distinct_xT(
            lambda u, v, t: self.kernel.expected_purchases_alive(params, u, v, t), x, T_, h
        )
        values = alive * (p_alive[:, None] if h.many else p_alive)
        point = self._wrap(rfm, values, "expected_purchases", h)
        if options is None and predictive is None:
            return point
        t = np.asarray(h.values)[None, :] if h.many else h.values
        parts: list[pd.DataFrame | pd.Series] = []
        if options is not None:

            def at(block: ParameterBlock, cb: CustomerBlock) -> np.ndarray:
                pa = np.asarray(
                    self.kernel.probability_alive(
                        block.stacked(1), cb.triple_x, cb.triple_t_x, cb.triple_T
                    )
                )[:, cb.triple]
                e = self._alive_at(block, cb, t, h.many)
                return e * (pa[:, :, None] if h.many else pa)

            lower, upper = self._customer_bounds(
                rfm, values, options, at, "log", caller, width=np.size(h.values)
            )
            parts.append(with_bounds(_labelled(point, h), lower, upper, "expected_purchases"))
        else:
            parts.append(
                with_bounds(_labelled(point, h), values, values, "expected_purchases")[
                    ["expected_purchases"]
                ]
            )
        if predictive is not None:
            lo_count, hi_count = self._count_quantiles(
                rfm, h, predictive, method, n_draws, random_state, draws, caller
            )
            counts = with_bounds(_labelled(point, h), lo_count, hi_count, "purchases_prediction")
            parts.append(counts[["purchases_prediction_lower", "purchases_prediction_upper"]])
        return parts[0] if len(parts) == 1 else pd.concat(parts, axis=1)

    def expected_purchases_if_alive(
        self,
        customers: pd.DataFrame | RFMInput | None = None,
        horizon: float | str | ArrayLike = None,
        *,
        frequency: ArrayLike = None,
        T: ArrayLike = None,
        time_unit: str | None = None,
        interval: float | None = None,
        method: str = "delta",
        n_draws: int = DEFAULT_DRAWS,
        random_state: object = None,
        draws: pd.DataFrame | None = None,
    ) -> pd.Series | pd.DataFrame | np.ndarray:
        """Expected purchases in ``(T, T + horizon]`` of a customer still alive at T.

        The purchases a customer would make if retained now: what the potential value
        of :class:`clvkit.CLVModel` counts. It depends on ``(frequency, T)`` only.

        Parameters
        ----------
        customers : DataFrame, optional
            Columns ``frequency`` and ``T`` (others are ignored).
        horizon : float, str or 1-D array of them
            As in :meth:`expected_purchases`.
        frequency, T : array-like, optional
            Instead of ``customers``.
        time_unit : str, optional
            The unit of a frame that does not record it, as in :meth:`probability_alive`.
        interval, method, n_draws, random_state, draws
            A parameter interval (log scale for the delta method), as in
            :meth:`probability_alive`.

        Returns
        -------
        As :meth:`expected_purchases` (name ``expected_purchases_if_alive``).

        Examples
        --------
        >>> import clvkit as ck
        >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
        >>> bg.expected_purchases_if_alive(frequency=[0, 2, 6], T=[38.9, 38.9, 38.9],
        ...                                horizon="39W").round(3).tolist()
        [0.195, 1.686, 4.501]
        """
        caller = self._caller("expected_purchases_if_alive")
        options = self._options(interval, method, n_draws, random_state, draws, caller)
        h = self._horizons(horizon)
        x_name, _, T_name = self.columns
        rfm = self._read(
            customers,
            {x_name: frequency, T_name: T},
            "expected_purchases_if_alive",
            need=(x_name, T_name),
            time_unit=time_unit,
        )
        params = self._fitted_for(rfm, caller)
        values = self._per_distinct_xT(
            lambda u, v, t: self.kernel.expected_purchases_alive(params, u, v, t),
            rfm[x_name],
            rfm[T_name],
            h,
            already_distinct=rfm.is_distinct,
        )
        point = self._wrap(rfm, values, "expected_purchases_if_alive", h)
        if options is None:
            return point
        t = np.asarray(h.values)[None, :] if h.many else h.values

        def at(block: ParameterBlock, cb: CustomerBlock) -> np.ndarray:
            return self._alive_at(block, cb, t, h.many)

        lower, upper = self._customer_bounds(
            rfm,
            values,
            options,
            at,
            "log",
            caller,
            width=np.size(h.values),
            columns=(x_name, T_name),
        )
        return with_bounds(_labelled(point, h), lower, upper, "expected_purchases_if_alive")

    def probability_purchase(
        self,
        customers: pd.DataFrame | RFMInput | None = None,
        window: float | str | ArrayLike = None,
        *,
        frequency: ArrayLike = None,
        recency: ArrayLike = None,
        T: ArrayLike = None,
        time_unit: str | None = None,
        interval: float | None = None,
        method: str = "delta",
        n_draws: int = DEFAULT_DRAWS,
        random_state: object = None,
        draws: pd.DataFrame | None = None,
    ) -> pd.Series | pd.DataFrame | np.ndarray:
        """Probability of at least one purchase in ``(T, T + window]`` given the history.

        ``P(alive) * (1 - P(no purchase in the window | alive))``. Unlike P(alive) (1 for
        every BG/NBD customer without a repeat purchase) it falls while a customer stays
        silent, so it is the activity signal of the lifecycle stages.

        Parameters
        ----------
        customers : DataFrame, optional
            Columns ``frequency``, ``recency``, ``T``.
        window : float, str or 1-D array of them
            As the horizon of :meth:`expected_purchases`.
        frequency, recency, T : array-like, optional
            Instead of ``customers``.
        time_unit : str, optional
            The unit of a frame that does not record it, as in :meth:`probability_alive`.
        interval, method, n_draws, random_state, draws
            A parameter interval (logit scale for the delta method), as in
            :meth:`probability_alive`.

        Returns
        -------
        Series indexed like ``customers`` (name ``p_active``), a DataFrame for several
        windows, or arrays for array input; with ``interval``, the bounds beside.

        Examples
        --------
        >>> import clvkit as ck
        >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
        >>> history = dict(frequency=[0, 2, 6], recency=[0, 30.4, 36], T=[38.9, 38.9, 38.9])
        >>> bg.probability_purchase(**history, window="13W").round(3).tolist()
        [0.062, 0.323, 0.692]
        """
        caller = self._caller("probability_purchase")
        options = self._options(interval, method, n_draws, random_state, draws, caller)
        if window is None:
            raise InputError("The 'window' argument is required (e.g. 13 or '13W').")
        h = self._horizons(window, "window")
        rfm = self._read(
            customers,
            self._arrays(frequency, recency, T),
            "probability_purchase",
            time_unit=time_unit,
        )
        params = self._fitted_for(rfm, caller)
        x, t_x, T_ = self._xtT(rfm)
        p_alive = self.kernel.probability_alive(params, x, t_x, T_)
        none = self._per_distinct_xT(
            lambda u, v, t: self.kernel.probability_n_purchases_alive(params, 0, u, v, t), x, T_, h
        )
        values = np.clip((p_alive[:, None] if h.many else p_alive) * (1.0 - none), 0.0, 1.0)
        point = self._wrap(rfm, values, "p_active", h)
        if options is None:
            return point
        t = np.asarray(h.values)[None, :] if h.many else h.values

        def at(block: ParameterBlock, cb: CustomerBlock) -> np.ndarray:
            pa = np.asarray(
                self.kernel.probability_alive(
                    block.stacked(1), cb.triple_x, cb.triple_t_x, cb.triple_T
                )
            )[:, cb.triple]
            px, pT = (cb.pair_x[:, None], cb.pair_T[:, None]) if h.many else (cb.pair_x, cb.pair_T)
            p0 = np.asarray(
                self.kernel.probability_n_purchases_alive(
                    block.stacked(2 if h.many else 1), 0, px, pT, t
                )
            )[:, cb.pair]
            return np.clip((pa[:, :, None] if h.many else pa) * (1.0 - p0), 0.0, 1.0)

        lower, upper = self._customer_bounds(
            rfm, values, options, at, "logit", caller, width=np.size(h.values)
        )
        return with_bounds(_labelled(point, h), lower, upper, "p_active")

    def probability_n_purchases(
        self,
        customers: pd.DataFrame | RFMInput | None = None,
        n: int | ArrayLike = None,
        horizon: float | str | None = None,
        *,
        frequency: ArrayLike = None,
        recency: ArrayLike = None,
        T: ArrayLike = None,
        time_unit: str | None = None,
        interval: float | None = None,
        method: str = "delta",
        n_draws: int = DEFAULT_DRAWS,
        random_state: object = None,
        draws: pd.DataFrame | None = None,
    ) -> pd.Series | pd.DataFrame | np.ndarray:
        """Probability of exactly ``n`` purchases in ``(T, T + horizon]`` given the history.

        ``(1 - P(alive)) [n = 0] + P(alive) P(n purchases | alive at T)``.

        Parameters
        ----------
        customers : DataFrame, optional
            Columns ``frequency``, ``recency``, ``T``.
        n : int or 1-D array of int
            Numbers of purchases (>= 0); several give one column each.
        horizon : float or str
            One horizon, as in :meth:`expected_purchases`.
        frequency, recency, T : array-like, optional
            Instead of ``customers``.
        time_unit : str, optional
            The unit of a frame that does not record it, as in :meth:`probability_alive`.
        interval, method, n_draws, random_state, draws
            A parameter interval of each probability (logit scale for the delta method),
            as in :meth:`probability_alive`.

        Returns
        -------
        Series (name ``p_n_purchases``) or DataFrame with one column per ``n``; arrays for
        array input; with ``interval``, the bounds beside.

        Examples
        --------
        >>> import clvkit as ck
        >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
        >>> history = dict(frequency=[0, 2, 6], recency=[0, 30.4, 36], T=[38.9, 38.9, 38.9])
        >>> table = bg.probability_n_purchases(**history, n=[0, 1, 2], horizon=39)
        >>> table.round(3).tolist()  # one row per customer, one column per n
        [[0.856, 0.11, 0.024], [0.446, 0.239, 0.144], [0.157, 0.115, 0.123]]
        """
        caller = self._caller("probability_n_purchases")
        options = self._options(interval, method, n_draws, random_state, draws, caller)
        counts = _counts(n)
        h = self._horizons(horizon)
        if h.many:
            raise InputError("probability_n_purchases takes one horizon; loop over several.")
        rfm = self._read(
            customers,
            self._arrays(frequency, recency, T),
            "probability_n_purchases",
            time_unit=time_unit,
        )
        params = self._fitted_for(rfm, caller)
        x, t_x, T_ = self._xtT(rfm)
        p_alive = self.kernel.probability_alive(params, x, t_x, T_)
        many = Horizons(counts, list(counts)) if np.ndim(counts) else Horizons(float(counts), None)
        alive = self._per_distinct_xT(
            lambda u, v, k: self.kernel.probability_n_purchases_alive(params, k, u, v, h.values),
            x,
            T_,
            many,
        )
        zero = (np.asarray(counts) == 0).astype(np.float64)
        pa = p_alive[:, None] if many.many else p_alive
        values = (1.0 - pa) * zero + pa * alive
        labels = Horizons(0.0, [int(k) for k in np.atleast_1d(counts)]) if many.many else h
        point = self._wrap(rfm, values, "p_n_purchases", labels)
        if options is None:
            return point

        def at(block: ParameterBlock, cb: CustomerBlock) -> np.ndarray:
            pa = np.asarray(
                self.kernel.probability_alive(
                    block.stacked(1), cb.triple_x, cb.triple_t_x, cb.triple_T
                )
            )[:, cb.triple]
            if many.many:
                pn = self.kernel.probability_n_purchases_alive(
                    block.stacked(2),
                    counts[None, :],
                    cb.pair_x[:, None],
                    cb.pair_T[:, None],
                    h.values,
                )
                pa = pa[:, :, None]
            else:
                pn = self.kernel.probability_n_purchases_alive(
                    block.stacked(1), counts, cb.pair_x, cb.pair_T, h.values
                )
            return (1.0 - pa) * zero + pa * np.asarray(pn)[:, cb.pair]

        lower, upper = self._customer_bounds(
            rfm, values, options, at, "logit", caller, width=np.size(counts)
        )
        return with_bounds(_labelled(point, labels), lower, upper, "p_n_purchases")

    # -- the CLV core's calls: validated input (in the model's unit), the fitted params
    # (``_fitted_for``) passed in, no argument handling --------------------------------
    def _p_alive(self, rfm: RFMInput, params: np.ndarray) -> np.ndarray:
        """P(alive): the point of :meth:`probability_alive`."""
        return self._p_alive_rows(params[:, None], *self._xtT(rfm))[0]

    def _alive_curve(self, pairs: RFMInput, ends: np.ndarray, params: np.ndarray) -> np.ndarray:
        """E[purchases in ``(T, T + t]``] if alive at T, for distinct ``(x, T)`` pairs at
        the step ends ``t`` (model units): the (pairs, ends) array of
        :meth:`expected_purchases_if_alive`."""
        x_name, _, T_name = self.columns
        return self._alive_curve_at(params[:, None], pairs[x_name], pairs[T_name], ends)[0]

    def _none_if_alive(self, pairs: RFMInput, window: float, params: np.ndarray) -> np.ndarray:
        """P(no purchase in ``(T, T + window]`` | alive at T) for distinct ``(x, T)`` pairs
        (one window in model units): the part of :meth:`probability_purchase` that depends
        on the pair."""
        x_name, _, T_name = self.columns
        return np.asarray(
            self.kernel.probability_n_purchases_alive(
                params, 0, pairs[x_name], pairs[T_name], float(window)
            )
        )

    def _per_distinct_xT(
        self,
        fn: Callable[[np.ndarray, np.ndarray, Any], np.ndarray],
        x: np.ndarray,
        T: np.ndarray,
        h: Horizons,
        *,
        already_distinct: bool = False,
    ) -> np.ndarray:
        """``fn(x, T, h)`` evaluated once per distinct ``(x, T)`` pair: (n,) or (n, m).

        The costly part of a prediction (a hypergeometric function, say) depends on the
        history's ``(x, T)`` only, and a cohort of millions has far fewer distinct pairs.
        """
        if already_distinct:
            if h.many:
                return np.asarray(fn(x[:, None], T[:, None], np.asarray(h.values)[None, :]))
            return np.asarray(fn(x, T, h.values))
        ux, uT, inverse = distinct_pairs(x, T)
        if h.many:
            values = fn(ux[:, None], uT[:, None], np.asarray(h.values)[None, :])
        else:
            values = fn(ux, uT, h.values)
        values = np.broadcast_to(values, (ux.size, *np.shape(values)[1:]))
        return np.asarray(
            values if ux.size == x.size and _is_identity(inverse) else values[inverse]
        )

    # -- a customer just acquired -----------------------------------------------------------
    def expected_purchases_new_customer(
        self,
        horizon: float | str | ArrayLike,
        *,
        interval: float | None = None,
        method: str = "delta",
        n_draws: int = DEFAULT_DRAWS,
        random_state: object = None,
        draws: pd.DataFrame | None = None,
    ) -> float | pd.Series | pd.DataFrame:
        """Expected repeat purchases of a customer just acquired, in ``(0, horizon]``.

        The acquisition purchase is at time 0 and not counted.

        Parameters
        ----------
        horizon : float, str or 1-D array of them
            As in :meth:`expected_purchases`.
        interval, method, n_draws, random_state, draws
            A parameter interval (log scale for the delta method), as in
            :meth:`probability_alive`.

        Returns
        -------
        float, or a Series indexed by the horizons for several; with ``interval``, a
        Series of the estimate and its bounds (one horizon) or a DataFrame (several).

        Examples
        --------
        >>> import clvkit as ck
        >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
        >>> round(bg.expected_purchases_new_customer("1Y"), 4)
        1.4492
        >>> bg.expected_purchases_new_customer(["13W", "52W"]).round(3).tolist()
        [0.534, 1.446]
        """
        caller = self._caller("expected_purchases_new_customer")
        options = self._options(interval, method, n_draws, random_state, draws, caller)
        params = self._check_fitted()
        h = self._horizons(horizon)
        point = _scalar_or_series(
            self.kernel.expected_purchases_new(params, h.values), h, "expected_purchases"
        )
        if options is None:
            return point
        t = np.asarray(h.values, dtype=np.float64)
        return self._population_bounds(
            point,
            lambda p: self.kernel.expected_purchases_new(p.stacked(t.ndim), t),
            options,
            "log",
            "expected_purchases",
            caller,
        )

    def probability_n_purchases_new_customer(
        self,
        n: int | ArrayLike,
        horizon: float | str | ArrayLike,
        *,
        interval: float | None = None,
        method: str = "delta",
        n_draws: int = DEFAULT_DRAWS,
        random_state: object = None,
        draws: pd.DataFrame | None = None,
    ) -> float | pd.Series | pd.DataFrame:
        """Probability that a customer just acquired makes exactly ``n`` repeat purchases
        in ``(0, horizon]``.

        Parameters
        ----------
        n : int or 1-D array of int
            Numbers of repeat purchases (>= 0).
        horizon : float, str or 1-D array of them
            As in :meth:`expected_purchases`.
        interval, method, n_draws, random_state, draws
            A parameter interval (logit scale for the delta method), as in
            :meth:`probability_alive`.

        Returns
        -------
        float for one ``n`` and one horizon; a Series indexed by ``n`` or by the
        horizons when one of them is several; a DataFrame (horizons x ``n``) when both
        are. With ``interval``, the bounds beside (name ``probability``).

        Examples
        --------
        >>> import clvkit as ck
        >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
        >>> bg.probability_n_purchases_new_customer([0, 1, 2], 39).round(3).tolist()
        [0.574, 0.199, 0.085]
        """
        caller = self._caller("probability_n_purchases_new_customer")
        options = self._options(interval, method, n_draws, random_state, draws, caller)
        params = self._check_fitted()
        counts = _counts(n)
        h = self._horizons(horizon)
        many_n = np.ndim(counts) > 0
        t = np.asarray(h.values)
        point: float | pd.Series | pd.DataFrame
        if many_n and h.many:
            nn, tt = counts[None, :], t[:, None]
            point = pd.DataFrame(
                self.kernel.probability_n_purchases_new(params, nn, tt),
                index=pd.Index(list(h.labels or []), name="horizon"),
                columns=pd.Index(counts.astype(int), name="n"),
            )
        else:
            nn, tt = counts, t
            values = np.asarray(self.kernel.probability_n_purchases_new(params, nn, tt))
            if many_n:
                point = pd.Series(
                    values, index=pd.Index(counts.astype(int), name="n"), name="probability"
                )
            else:
                point = _scalar_or_series(values, h, "probability")
        if options is None:
            return point
        extra = max(np.ndim(nn), np.ndim(tt))
        return self._population_bounds(
            point,
            lambda p: self.kernel.probability_n_purchases_new(p.stacked(extra), nn, tt),
            options,
            "logit",
            "probability",
            caller,
        )

    def probability_alive_new_customer(
        self,
        age: float | str | ArrayLike,
        *,
        interval: float | None = None,
        method: str = "delta",
        n_draws: int = DEFAULT_DRAWS,
        random_state: object = None,
        draws: pd.DataFrame | None = None,
    ) -> float | pd.Series | pd.DataFrame:
        """P(alive) of a customer ``age`` after acquisition, knowing nothing of their purchases.

        The model's expected share of a cohort still alive at that age.

        Parameters
        ----------
        age : float, str or 1-D array of them
            Time since acquisition, as the horizon of :meth:`expected_purchases`.
        interval, method, n_draws, random_state, draws
            A parameter interval (logit scale for the delta method), as in
            :meth:`probability_alive`.

        Returns
        -------
        float, or a Series indexed by the ages for several; with ``interval``, the bounds
        beside.

        Examples
        --------
        >>> import clvkit as ck
        >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
        >>> round(bg.probability_alive_new_customer("1Y"), 3)
        0.764
        """
        caller = self._caller("probability_alive_new_customer")
        options = self._options(interval, method, n_draws, random_state, draws, caller)
        params = self._check_fitted()
        h = self._horizons(age, "age")
        point = _scalar_or_series(self.kernel.probability_alive_new(params, h.values), h, "p_alive")
        if options is None:
            return point
        t = np.asarray(h.values, dtype=np.float64)
        return self._population_bounds(
            point,
            lambda p: self.kernel.probability_alive_new(p.stacked(t.ndim), t),
            options,
            "logit",
            "p_alive",
            caller,
        )

    def probability_purchase_new_customer(
        self,
        window: float | str | ArrayLike,
        *,
        age: float | str | ArrayLike = 0.0,
        interval: float | None = None,
        method: str = "delta",
        n_draws: int = DEFAULT_DRAWS,
        random_state: object = None,
        draws: pd.DataFrame | None = None,
    ) -> float | np.ndarray | pd.Series | pd.DataFrame:
        """Probability that a customer acquired ``age`` ago buys in the coming ``window``,
        knowing nothing of their purchases: P(at least one repeat purchase in
        ``(age, age + window]``) from acquisition.

        Parameters
        ----------
        window : float, str or 1-D array of them
        age : float, str or 1-D array of them, default 0
            Broadcast against ``window``.
        interval, method, n_draws, random_state, draws
            A parameter interval (logit scale for the delta method), as in
            :meth:`probability_alive`; the broadcast result must then be at most 1-D.

        Returns
        -------
        float, or an array of the broadcast shape; with ``interval``, a Series of the
        estimate and its bounds (a number) or a DataFrame (1-D, name ``p_active``).

        Examples
        --------
        >>> import clvkit as ck
        >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
        >>> round(bg.probability_purchase_new_customer("13W", age="1Y"), 4)
        0.1263
        """
        caller = self._caller("probability_purchase_new_customer")
        options = self._options(interval, method, n_draws, random_state, draws, caller)
        params = self._check_fitted()
        w = self._horizons(window, "window")
        a = self._horizons(age, "age")
        t1 = np.asarray(a.values, np.float64)
        t2 = t1 + np.asarray(w.values)
        values = self.kernel.probability_purchase_new(params, t1, t2)
        point = float(values) if np.ndim(values) == 0 else np.asarray(values)
        if options is None:
            return point
        if np.ndim(values) > 1:
            raise InputError(
                f"{caller} with an interval takes several windows or several ages, not both."
            )
        extra = np.ndim(values)
        return self._population_bounds(
            point,
            lambda p: self.kernel.probability_purchase_new(p.stacked(extra), t1, t2),
            options,
            "logit",
            "p_active",
            caller,
        )

    # -- heterogeneity ----------------------------------------------------------------------
    def mixing_distributions(self) -> dict[str, MixingDistribution]:
        """The model's distributions of latent traits across customers (for plots).

        Returns
        -------
        dict
            ``"purchase"`` (the purchase rate or probability) and ``"dropout"`` (the
            drop-out probability or rate), each a :class:`MixingDistribution`.

        Examples
        --------
        >>> import clvkit as ck
        >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
        >>> sorted(bg.mixing_distributions())
        ['dropout', 'purchase']
        >>> bg.mixing_distributions()["dropout"].label
        'Beta(a=0.793, b=2.43)'
        """
        raise NotImplementedError  # pragma: no cover - every registered model defines it

    def _simulate(
        self, rng: np.random.Generator, T: np.ndarray, times: bool
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
        """Histories drawn from the model at its parameters (see the kernel's simulate)."""
        out: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]
        out = self.kernel.simulate(rng, self._check_fitted(), T, times)
        return out


def purchase_model_of(model: object, caller: str) -> PurchaseModel:
    """The fitted purchase model of ``model`` (itself, or a CLVModel's).

    Examples
    --------
    >>> import clvkit as ck
    >>> from clvkit.models import purchase_model_of
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> gg = ck.GammaGamma.from_params(p=6.25, q=3.74, v=15.44)
    >>> purchase_model_of(ck.CLVModel.from_models(bg, gg), "my_report") is bg
    True
    """
    purchase = getattr(model, "purchase_model_", model)
    if not isinstance(purchase, PurchaseModel):
        raise InputError(
            f"The 'model' argument of {caller} must be a fitted purchase model (BetaGeo, "
            f"ModifiedBetaGeo, ParetoNBD, ...) or a CLVModel. Got {type(model).__name__} "
            "instead."
        )
    purchase._check_fitted()
    return purchase


def _labelled(point: Any, h: Horizons) -> Any:
    """Bare arrays of several horizons (or counts) as a frame whose columns are labelled
    by them, so bounds beside them keep the labels (frames already are)."""
    if isinstance(point, np.ndarray) and point.ndim == 2 and h.labels is not None:
        return pd.DataFrame(point, columns=pd.Index(h.labels))
    return point


def _is_identity(inverse: np.ndarray) -> bool:
    return bool(np.array_equal(inverse, np.arange(inverse.size)))


def _counts(n: object) -> np.ndarray:
    """Purchase counts: a whole number >= 0 or a 1-D array of them."""
    if n is None:
        raise InputError("The 'n' argument is required (a number of purchases, e.g. 0).")
    arr = np.asarray(n)
    if arr.dtype.kind not in "iuf" or arr.ndim > 1 or arr.size == 0:
        raise InputError(f"The 'n' argument must be whole numbers >= 0. Got {n!r}.")
    values = arr.astype(np.float64)
    check_rule(
        ~np.isfinite(values) | (values < 0) | (values != np.floor(values)),
        "Argument 'n'",
        "must be whole numbers >= 0 (numbers of purchases)",
    )
    return values


def _scalar_or_series(values: np.ndarray, h: Horizons, name: str) -> float | pd.Series:
    if not h.many:
        return float(values)
    index = pd.Index(list(h.labels or []), name="horizon")
    return pd.Series(np.asarray(values), index=index, name=name)
