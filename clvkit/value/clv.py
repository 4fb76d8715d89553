"""Actual versus potential customer value.

Per customer, over a horizon ``H`` with a yearly ``discount_rate`` and a ``margin``
(see the design notes, "Actual versus potential CLV"):

==================== ==================================================================
column               definition
==================== ==================================================================
p_alive              P(alive) now
expected_purchases   E[purchases in (T, T+H] | history] (undiscounted)
expected_spend       E[value of one future purchase | history] (Gamma-Gamma)
historical_value     margin x value realised so far (the actual, already earned part)
expected_value       margin x expected_spend x discounted expected purchases over H
potential_value      the same if the customer were retained now (P(alive) = 1)
value_at_risk        potential_value - expected_value >= 0: what retention can win back
actual_clv           historical_value + expected_value
potential_clv        historical_value + potential_value
lifecycle_stage      retention-process stage (:mod:`clvkit.value.lifecycle`)
==================== ==================================================================

The discounted expected purchases are ``sum_k f_k [E(t_k) - E(t_{k-1})]`` over the steps
of :func:`clvkit.value.discount.schedule`; ``E(t)`` is P(alive) times the expected purchases
of a customer alive now, which depends on (frequency, T) only and is evaluated once per
distinct pair.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from typing import Any, Self

import numpy as np
import pandas as pd

from clvkit._progress import SILENT, Bar, check_progress, progress_bar
from clvkit._time import check_time_unit
from clvkit._validation import (
    check_columns,
    check_errors,
    check_frame,
    check_not_empty,
    check_rule,
    numeric_column,
    renamed_argument,
)
from clvkit.errors import InputError, ModelFileError, NotFittedError, UnitError
from clvkit.models import (
    BetaGeo,
    GammaGamma,
    PurchaseModel,
    check_is_fitted,
    clone,
    persistence,
    uncertainty,
)
from clvkit.models._kernels.chunks import for_chunks
from clvkit.models.gamma_gamma import spend_frequency
from clvkit.models.inputs import (
    RFMInput,
    check_model_unit,
    fine,
    first,
    flagged,
    mark_rfm,
    parse_numbers,
    read_rfm,
    read_weights,
)
from clvkit.models.uncertainty import DEFAULT_DRAWS, IntervalOptions, interval_options, make_plan
from clvkit.value.discount import Schedule, schedule
from clvkit.value.lifecycle import LifecycleRules, assign_stages, stages_categorical
from clvkit.value.propagate import BlockValues, StepCurves, clv_blocks

__all__ = ["CLV_COLUMNS", "CLVModel", "interval_columns", "margin_values"]

#: The value columns of :meth:`CLVModel.predict_clv`, in order (``lifecycle_stage`` follows).
CLV_COLUMNS: tuple[str, ...] = (
    "p_alive",
    "expected_purchases",
    "expected_spend",
    "historical_value",
    "expected_value",
    "potential_value",
    "value_at_risk",
    "actual_clv",
    "potential_clv",
)

_CELLS_PER_BLOCK = 2_000_000
#: customers whose columns are computed together (on threads) in predict_clv
_CUSTOMER_BLOCK = 1 << 16
#: customers whose delta-method bounds are computed together (their temporaries in cache)
_DELTA_BLOCK = 1 << 13
_DELTA_ALIVE_BLOCK = 1 << 17
_SPEND_COLUMNS = ("monetary_value", "historical_value")
#: the scale of each CLV column's delta-method interval ("fixed": no parameter in it;
#: actual and potential CLV are historical value plus an interval of their future part)
_SCALES: dict[str, str] = {
    "p_alive": "logit",
    "expected_purchases": "log",
    "expected_spend": "log",
    "historical_value": "fixed",
    "expected_value": "log",
    "potential_value": "log",
    "value_at_risk": "log",
}


def interval_columns(columns: tuple[str, ...] = CLV_COLUMNS) -> list[str]:
    """Each column followed by its ``_lower`` and ``_upper`` bound, in order."""
    return [name for c in columns for name in (c, f"{c}_lower", f"{c}_upper")]


@persistence.register_kind
class CLVModel:
    """A purchase model and a spend model fitted together: actual versus potential CLV.

    Parameters
    ----------
    purchase_model : purchase model, optional
        An unfitted template (hyper-parameters only) of any purchase model:
        ``ck.BetaGeo()`` (default), ``ck.ModifiedBetaGeo()``, ``ck.ParetoNBD()``, ...
    spend_model : GammaGamma, optional
        An unfitted template; default ``GammaGamma()``.

    Attributes
    ----------
    purchase_model_ : purchase model
        The fitted purchase model (a fresh clone of the template).
    spend_model_ : GammaGamma
        The fitted spend model.
    time_unit_ : str or None
        The time unit of recency, T and numeric horizons.
    grain_ : str or None
        The purchase grain of the RFM frame fitted on (from :func:`clvkit.rfm_summary`).
    n_customers_ : float

    Examples
    --------
    >>> import clvkit as ck
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> cal = tx[tx["date"] <= "1997-09-30"]
    >>> rfm = ck.rfm_summary(cal, monetary="amount", time_unit="W",
    ...                      observation_end="1997-09-30",
    ...                      duplicates="keep")  # dates without times: real repeats
    >>> model = ck.CLVModel().fit(rfm)
    >>> clv = model.predict_clv(rfm, horizon="52W", discount_rate=0.10, margin=0.30)
    >>> round(float(clv["actual_clv"].sum()))
    73666
    >>> pnbd = ck.CLVModel(purchase_model=ck.ParetoNBD()).fit(rfm)
    >>> type(pnbd.purchase_model_).__name__
    'ParetoNBD'
    """

    def __init__(
        self,
        *,
        purchase_model: PurchaseModel | None = None,
        spend_model: GammaGamma | None = None,
    ) -> None:
        self.purchase_model = purchase_model
        self.spend_model = spend_model

    def get_params(self) -> dict[str, Any]:
        """The two templates, as scikit-learn's ``get_params``.

        Examples
        --------
        >>> import clvkit as ck
        >>> params = ck.CLVModel(purchase_model=ck.ParetoNBD()).get_params()
        >>> sorted(params), type(params["purchase_model"]).__name__
        (['purchase_model', 'spend_model'], 'ParetoNBD')
        """
        return {"purchase_model": self.purchase_model, "spend_model": self.spend_model}

    def set_params(self, **params: Any) -> Self:
        """Set ``purchase_model`` and/or ``spend_model``; returns ``self``.

        Examples
        --------
        >>> import clvkit as ck
        >>> model = ck.CLVModel().set_params(spend_model=ck.GammaGamma(q_constraint=True))
        >>> model.spend_model.q_constraint
        True
        """
        for name, value in params.items():
            if name not in ("purchase_model", "spend_model"):
                raise InputError(
                    f"CLVModel has no hyper-parameter {name!r}; it has "
                    "['purchase_model', 'spend_model']."
                )
            setattr(self, name, value)
        return self

    # -- fitting ----------------------------------------------------------------------------
    def fit(
        self,
        customers: pd.DataFrame,
        *,
        weights: object = None,
        time_unit: str | None = None,
        progress: bool | None = None,
    ) -> Self:
        """Fit both models on one RFM frame.

        Parameters
        ----------
        customers : DataFrame
            The purchase model's columns (``frequency``, ``recency``, ``T``) and
            ``monetary_value`` (as from :func:`clvkit.rfm_summary` with ``monetary=``).
            The spend model uses the repeat buyers only.
        weights : array-like, optional
            Number of customers each row stands for.
        time_unit : str, optional
            The unit of ``recency`` and ``T`` (``"D"``, ``"W"``, ...). Required when the
            frame does not record it in ``attrs["time_unit"]`` (a CSV or Parquet round
            trip, ``merge``, ``concat`` or ``groupby().apply`` loses what
            :func:`clvkit.rfm_summary` records); refused when it contradicts the frame.
        progress : bool or None, default None
            A bar for a purchase-model fit that takes more than a second (see
            :meth:`clvkit.BetaGeo.fit`).

        Returns
        -------
        self

        Raises
        ------
        clvkit.errors.UnitError
            If the frame's time unit cannot be established, saying how to give it.

        Examples
        --------
        >>> import io
        >>> import pandas as pd
        >>> import clvkit as ck
        >>> rfm = ck.datasets.simulate_rfm(500, seed=2, time_unit="W")
        >>> ck.CLVModel().fit(rfm).time_unit_
        'W'
        >>> text = io.StringIO(rfm.to_csv())      # a CSV keeps the numbers, not the unit
        >>> again = pd.read_csv(text, index_col="customer_id")
        >>> ck.CLVModel().fit(again, time_unit="W").time_unit_
        'W'
        """
        purchase = _template(self.purchase_model, PurchaseModel, BetaGeo, "purchase_model")
        spend = _template(self.spend_model, GammaGamma, GammaGamma, "spend_model")
        attrs = customers.attrs if isinstance(customers, pd.DataFrame) else None
        if attrs is None:  # engines: each model's fit reduces the source to distinct rows
            from clvkit.engines.fitting import is_source, recorded_attrs

            attrs = recorded_attrs(customers) if is_source(customers) else None
        if attrs is None:
            raise InputError(
                "CLVModel.fit needs a customers DataFrame with columns frequency, recency, "
                f"T and monetary_value. Got {type(customers).__name__}."
            )
        show = check_progress(progress, "CLVModel.fit")
        purchase.fit(customers, weights=weights, time_unit=time_unit, progress=show)
        spend.fit(customers, weights=weights, time_unit=purchase.time_unit_)
        self.purchase_model_ = purchase
        self.spend_model_ = spend
        self.time_unit_ = purchase.time_unit_
        grain = attrs.get("grain")
        self.grain_ = grain if isinstance(grain, str) else None
        self.n_customers_ = purchase.n_customers_
        return self

    @classmethod
    def from_models(
        cls, purchase_model: PurchaseModel, spend_model: GammaGamma, *, grain: str | None = None
    ) -> Self:
        """Combine already fitted (or ``from_params``) purchase and spend models.

        Examples
        --------
        >>> import clvkit as ck
        >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
        >>> gg = ck.GammaGamma.from_params(p=6.25, q=3.74, v=15.44)
        >>> ck.CLVModel.from_models(bg, gg).time_unit_
        'W'
        """
        if not isinstance(purchase_model, PurchaseModel) or not isinstance(spend_model, GammaGamma):
            raise InputError(
                "CLVModel.from_models needs a purchase model (BetaGeo, ParetoNBD, ...) and a "
                f"GammaGamma. Got {type(purchase_model).__name__} and "
                f"{type(spend_model).__name__}."
            )
        check_is_fitted(purchase_model)
        check_is_fitted(spend_model)
        pu, su = purchase_model.time_unit_, spend_model.time_unit_
        if pu is not None and su is not None and pu != su:
            raise UnitError(f"The purchase model is in {pu!r} and the spend model in {su!r}.")
        model = cls()
        model.purchase_model_ = purchase_model
        model.spend_model_ = spend_model
        model.time_unit_ = pu
        model.grain_ = grain
        model.n_customers_ = purchase_model.n_customers_
        return model

    def _check_fitted(self) -> None:
        if not hasattr(self, "purchase_model_"):
            raise NotFittedError(
                "This CLVModel is not fitted yet; call fit(rfm) or CLVModel.from_models(...)."
            )

    # -- prediction -------------------------------------------------------------------------
    def predict_clv(
        self,
        customers: pd.DataFrame,
        *,
        horizon: float | str,
        discount_rate: float = 0.0,
        margin: float | str | pd.Series | np.ndarray = 1.0,
        step: float | str | None = None,
        lifecycle: LifecycleRules | None = None,
        interval: float | None = None,
        method: str = "delta",
        n_draws: int = DEFAULT_DRAWS,
        random_state: object = None,
        draws: pd.DataFrame | None = None,
        n_jobs: int = 1,
        time_unit: str | None = None,
        errors: str = "raise",
        output: str | os.PathLike[str] | None = None,
        progress: bool | None = None,
        period: float | str | None = None,
    ) -> pd.DataFrame:
        """Actual and potential value of each customer over ``horizon``.

        Parameters
        ----------
        customers : DataFrame
            The purchase model's columns (``frequency``, ``recency``, ``T``),
            ``monetary_value`` and ``historical_value`` (all produced by
            ``rfm_summary(..., monetary=...)``). Repeat buyers whose ``monetary_value``
            is 0 get the population mean spend (see :class:`clvkit.GammaGamma`).
        horizon : float or str
            A number of model time units or a calendar span: "52W", "12M", "365D", "1Y"
            (a month is 365.2425/12 days).
        discount_rate : float, default 0
            Yearly discount rate in [0, 1] (0.10 for 10 %), applied per step.
        margin : float, str or array-like, default 1
            Profit margin in [0, 1] applied to every value column: one number, the name
            of a column of ``customers``, or one value per customer.
        step : float or str, optional
            Length of a discounting step (model time units or a span such as ``"1M"``);
            default one model time unit.
        lifecycle : LifecycleRules, optional
            Thresholds of the ``lifecycle_stage`` column; default ``LifecycleRules()``.
        interval : float, optional
            Level of an interval for the parameter uncertainty of both models (0.9 for
            90 %): each value column ``c`` gets ``c_lower`` and ``c_upper`` beside it. The
            purchase and spend models' uncertainties both enter (independent blocks,
            since they are fitted separately); the randomness of future purchases and
            spend does not (these are intervals of expectations). ``historical_value`` is
            data, so its bounds equal it. See the Uncertainty page of the documentation.
        method : {"delta", "parametric", "bootstrap"}, default "delta"
            The delta method (logit scale for ``p_alive``, log scale for the rest), draws
            from the asymptotic normal of the log-parameters, or bootstrap refits from
            :meth:`bootstrap` passed as ``draws``.
        n_draws : int, default 1000
            Parametric draws (>= 2).
        random_state : int, numpy Generator or None
            Seed of the parametric draws.
        draws : DataFrame, optional
            Bootstrap parameters of both models from :meth:`bootstrap`.
        n_jobs : int, default 1
            Threads evaluating blocks of customers for the interval (-1: one per core).
        time_unit : str, optional
            The unit of ``recency`` and ``T`` when the frame does not record it in
            ``attrs["time_unit"]`` (a CSV or Parquet round trip, ``merge``, ``concat`` or
            ``groupby().apply`` loses what :func:`clvkit.rfm_summary` records). A frame in
            no known unit is refused; a unit other than the model's is refused (nothing
            is rescaled).
        errors : {"raise", "mark"}, default "raise"
            ``"raise"``: a row that breaks a rule raises for the whole frame, naming the
            customers. ``"mark"``: the good rows are scored and each bad row gets its
            message in the ``error`` column (its value columns NaN); problems of the whole
            frame (a missing column, duplicated ids, an unknown unit) still raise. For
            pandas frames.
        output : path, optional
            With ``customers`` a DuckDB relation or a Parquet/CSV path: write the result
            to this Parquet file batch by batch (and return its path) instead of returning
            a frame. See :mod:`clvkit.engines.scoring`.
        progress : bool or None, default None
            A bar counting customers scored (twice with ``interval``: the values, then
            their bounds) when scoring takes more than a second: ``None`` on a terminal
            or in a notebook only, ``True`` always, ``False`` never (needs ``tqdm``).
        period : float or str, optional
            Deprecated name of ``step``.

        Returns
        -------
        DataFrame
            Indexed like ``customers``: the columns of :data:`CLV_COLUMNS` (currency
            units, except ``p_alive`` and ``expected_purchases``), each followed by its
            bounds when ``interval`` is given, and ``lifecycle_stage``; with
            ``errors="mark"``, an ``error`` column last (``None`` for scored rows).
            ``attrs`` records the horizon, discount rate, step and margin, which
            :func:`clvkit.segment_summary` reads for segment intervals. For a Spark
            DataFrame, a Spark DataFrame of the same columns (the other columns of
            ``customers``, such as the customer id, carried in front).

        Examples
        --------
        >>> import clvkit as ck
        >>> rfm = ck.datasets.simulate_rfm(500, seed=2)
        >>> model = ck.CLVModel().fit(rfm)
        >>> clv = model.predict_clv(rfm, horizon="26W", discount_rate=0.1, margin=0.3)
        >>> bool((clv["potential_clv"] >= clv["actual_clv"]).all())
        True

        One bad row among good ones, marked instead of refusing the frame:

        >>> bad = rfm.copy()
        >>> bad.loc[bad.index[0], "recency"] = 1e6
        >>> marked = model.predict_clv(bad, horizon="26W", errors="mark")
        >>> int(marked["error"].notna().sum()), int(marked["actual_clv"].notna().sum())
        (1, 499)
        """
        caller = "CLVModel.predict_clv"
        self._check_fitted()
        step = renamed_argument(caller, "period", period, "step", step)
        mode = check_errors(errors, caller)
        options = interval_options(
            interval,
            method=method,
            n_draws=n_draws,
            random_state=random_state,
            draws=draws,
            caller=caller,
        )
        jobs = uncertainty.check_n_jobs(n_jobs, caller)
        show = check_progress(progress, caller)
        if not isinstance(customers, pd.DataFrame):  # engines: Spark, DuckDB or files
            from clvkit.engines import scoring

            if scoring.is_source(customers):
                if interval is not None or mode == "mark":
                    raise InputError(
                        "CLVModel.predict_clv gives intervals and errors='mark' on pandas "
                        "frames only; score the engine source without them, or collect a "
                        "sample first."
                    )
                if time_unit is not None:
                    check_time_unit(time_unit)
                    if self.time_unit_ is not None and time_unit != self.time_unit_:
                        raise UnitError(
                            f"{caller}: time_unit={time_unit!r}, but the CLVModel was fitted "
                            f"in {self.time_unit_!r}. Nothing is rescaled silently."
                        )
                return scoring.predict_clv(
                    self, customers, horizon=horizon, discount_rate=discount_rate,
                    margin=margin, step=step, lifecycle=lifecycle, output=output,
                )  # fmt: skip
        if not isinstance(customers, pd.DataFrame):
            raise InputError(
                "CLVModel.predict_clv needs a customers DataFrame; for one customer as a "
                "mapping use clvkit.predict_clv(model, {...}, horizon=...)."
            )
        problems: np.ndarray | None = None
        try:
            rfm = self.read_customers(customers, None, time_unit=time_unit)
            margins = margin_values(margin, customers, rfm.n)
        except InputError:
            if mode == "raise":
                raise
            rfm, margins, problems = self._mark_frame(customers, margin, time_unit)
        total = rfm.n * (1 if options is None else 2)
        with progress_bar(
            show, total=total, desc="predict_clv", unit="customer", unit_scale=True, delay=1.0
        ) as bar:
            args: dict[str, Any] = {
                "horizon": horizon,
                "discount_rate": discount_rate,
                "step": step,
                "lifecycle": lifecycle,
                "options": options,
                "n_jobs": jobs,
                "bar": bar,
            }
            if problems is None:
                columns, stages = self.predict_arrays(rfm, margin=margins, **args)
                # the arrays become the frame's columns as they are (no consolidating copy)
                out = pd.DataFrame(columns, index=customers.index, copy=False)
                out["lifecycle_stage"] = stages_categorical(stages)
            else:
                out = self._marked_frame(rfm, margins, problems, customers.index, args)
        if mode == "mark" and "error" not in out.columns:
            out["error"] = pd.Series(None, index=out.index, dtype=object)
        out.attrs["time_unit"] = self.time_unit_
        out.attrs["horizon"] = horizon
        out.attrs["discount_rate"] = discount_rate
        out.attrs["step"] = step
        out.attrs["margin"] = _margin_record(margin)
        if options is not None:
            out.attrs["interval"] = options.level
            out.attrs["interval_method"] = options.method
        return out

    def _mark_frame(
        self, customers: pd.DataFrame, margin: object, time_unit: str | None
    ) -> tuple[RFMInput, np.ndarray | float, np.ndarray]:
        """The good rows of a frame (validated) and each row's first problem."""
        need = self.input_columns
        # problems of the whole frame (columns, ids, unit) raise as with errors="raise"
        frame = check_frame(customers, "customers")
        check_columns(frame, need, "customers")
        check_not_empty(len(frame), "customers")
        index = frame.index
        if index.has_duplicates:
            check_rule(
                np.asarray(index.duplicated(keep=False)),
                "The customers frame index (customer ids)",
                "must be unique",
                index,
            )
        n = len(frame)
        _, problems = mark_rfm({c: frame[c] for c in need}, "Column", n)
        margins: np.ndarray | float
        if isinstance(margin, str) or not np.isscalar(margin):
            values = frame[margin] if isinstance(margin, str) and margin in frame else margin
            if isinstance(margin, str) and margin not in frame:
                margin_values(margin, frame, n)  # raises: no such column
            subject = f"Column {margin!r} (margin)" if isinstance(margin, str) else "margin"
            margins, found = parse_numbers(values, subject, n)
            first(problems, found)
            outside = (margins < 0) | (margins > 1)
            first(problems, flagged(outside, f"{subject} must be in [0, 1] (0.30 for 30 %)"))
        else:
            margins = margin_values(margin, None, n)
        good = fine(problems)
        rfm = self.read_customers(
            frame.loc[good, list(need)], None, time_unit=time_unit, allow_empty=True
        )
        if not isinstance(margins, float):
            margins = margins[good]
        return rfm, margins, problems

    def _marked_frame(
        self,
        rfm: RFMInput,
        margins: np.ndarray | float,
        problems: np.ndarray,
        index: pd.Index,
        args: dict[str, Any],
    ) -> pd.DataFrame:
        """Scores of the good rows, NaN and the message for the bad ones."""
        good = fine(problems)
        if rfm.n:
            columns, stages = self.predict_arrays(rfm, margin=margins, **args)
        else:
            columns, stages = {}, np.empty(0, dtype=np.intp)
        names = list(columns) or list(CLV_COLUMNS)
        out = pd.DataFrame({name: np.full(good.size, np.nan) for name in names}, index=index)
        for name, values in columns.items():
            out.loc[good, name] = values
        codes = np.full(good.size, -1, dtype=np.intp)
        codes[good] = stages
        out["lifecycle_stage"] = stages_categorical(codes)
        out["error"] = pd.Series(problems, index=index, dtype=object)
        return out

    @property
    def input_columns(self) -> tuple[str, ...]:
        """The per-customer columns :meth:`predict_clv` needs.

        Examples
        --------
        >>> import clvkit as ck
        >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
        >>> gg = ck.GammaGamma.from_params(p=6.25, q=3.74, v=15.44)
        >>> ck.CLVModel.from_models(bg, gg).input_columns
        ('frequency', 'recency', 'T', 'monetary_value', 'historical_value')
        """
        self._check_fitted()
        return (*self.purchase_model_.columns, *_SPEND_COLUMNS)

    def read_customers(
        self,
        customers: object,
        arrays: Mapping[str, object] | None,
        *,
        time_unit: str | None = None,
        ids: Sequence[Any] | None = None,
        kind: str | None = None,
        caller: str = "CLVModel.predict_clv",
        allow_empty: bool = False,
    ) -> RFMInput:
        """Validate the customers of :meth:`predict_clv` (a frame, or arrays by column).

        Parameters
        ----------
        customers : DataFrame or None
            The columns of :attr:`input_columns`; None with ``arrays``.
        arrays : mapping, optional
            The same columns as arrays (bare numbers in the model's time unit).
        time_unit : str, optional
            The unit of a frame that does not record it (checked against the model's).
        ids : sequence, optional
            Customer ids of ``arrays``, named in messages.
        kind : str, optional
            How messages call a column of ``arrays`` (default ``"Argument"``).
        caller : str, optional
            The name used in messages.
        allow_empty : bool, default False
            Accept a frame without rows.

        Returns
        -------
        RFMInput
            Validated arrays, the frame's index and unit.

        Examples
        --------
        >>> import clvkit as ck
        >>> rfm = ck.datasets.simulate_rfm(100, seed=2)
        >>> model = ck.CLVModel().fit(rfm)
        >>> model.read_customers(rfm, None).n
        100
        """
        rfm = read_rfm(
            customers,
            dict(arrays) if arrays is not None else {},
            need=self.input_columns,
            caller=caller,
            time_unit=time_unit,
            ids=ids,
            kind=kind,
            allow_empty=allow_empty,
        )
        check_model_unit(rfm, self.time_unit_, "CLVModel", caller)
        return rfm

    def predict_arrays(
        self,
        rfm: RFMInput,
        *,
        horizon: object,
        discount_rate: object = 0.0,
        margin: np.ndarray | float = 1.0,
        step: object = None,
        lifecycle: LifecycleRules | None = None,
        options: IntervalOptions | None = None,
        n_jobs: int = 1,
        bar: Bar = SILENT,
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """The CLV columns as arrays from validated input (the shared core), with the
        bounds of each after it when ``options`` asks for an interval; ``bar`` advances
        by the customers done (the values, then the bounds).

        Parameters
        ----------
        rfm : RFMInput
            From :meth:`read_customers`.
        horizon, discount_rate, step, lifecycle
            As for :meth:`predict_clv`.
        margin : float or (n,) array
            Checked margins (:func:`margin_values`).
        options : IntervalOptions, optional
            A checked interval request.
        n_jobs : int, default 1
            Threads for the interval.
        bar : progress bar, optional
            Advanced by the customers done.

        Returns
        -------
        columns : dict of str to (n,) arrays
            The :data:`CLV_COLUMNS` (and their bounds).
        stages : (n,) int array
            Lifecycle stage codes.

        Examples
        --------
        >>> import clvkit as ck
        >>> rfm = ck.datasets.simulate_rfm(100, seed=2)
        >>> model = ck.CLVModel().fit(rfm)
        >>> columns, stages = model.predict_arrays(model.read_customers(rfm, None), horizon=26)
        >>> columns["actual_clv"].shape, stages.shape
        ((100,), (100,))
        """
        self._check_fitted()
        purchase, spend_model = self.purchase_model_, self.spend_model_
        steps = schedule(horizon, time_unit=self.time_unit_, discount_rate=discount_rate, step=step)
        rules = _DEFAULT_RULES if lifecycle is None else lifecycle
        if not isinstance(rules, LifecycleRules):
            raise InputError("The 'lifecycle' argument must be a clvkit LifecycleRules.")
        x_name, _, T_name = purchase.columns
        x = rfm[x_name]
        if spend_model.mean_spend() == math.inf and np.any(
            spend_frequency(x, rfm["monetary_value"]) == 0
        ):
            raise InputError(
                f"The spend model's q = {spend_model.params_['q']:.4g} is <= 1: the population "
                "mean spend is infinite, so customers without a repeat purchase have no finite "
                "value. Refit with GammaGamma(q_constraint=True)."
            )
        bg, gg = purchase._fitted_for(rfm), spend_model._check_fitted()
        # terms of (frequency, T) alone, once per distinct pair
        pairs, inverse = rfm.distinct_pairs(x_name, T_name)
        caller = "CLVModel.predict_clv"
        plan = None if options is None else self._plan(options, rfm, caller)
        forward = None  # the delta method's steps of the purchase model, evaluated per
        if plan is not None and plan.method == "delta":  # pair beside the estimate's curve
            forward = plan.block("purchase_model").params[:, 1:]
        pair_total, pair_discounted, pair_forward = _alive_purchases(
            purchase, pairs, steps, bg, forward
        )
        new_within, window = rules.windows(self.time_unit_, discrete=purchase.discrete)
        pair_none = purchase._none_if_alive(pairs, window, bg)
        n = rfm.n
        columns = {name: np.empty(n) for name in CLV_COLUMNS}
        stages = np.empty(n, dtype=np.int8)

        def block(i: int, start: int, stop: int) -> None:
            # every column of a block of customers while its arrays are in cache
            rows = slice(start, stop)
            sub = rfm if stop - start == n else rfm.take(rows)
            pair = inverse[rows]
            p_alive = purchase._p_alive(sub, bg)
            spend = spend_model._spend(sub, gg)
            m = (
                margin
                if isinstance(margin, float) or np.ndim(margin) == 0
                else np.asarray(margin)[rows]
            )
            historical = m * sub["historical_value"]
            potential = m * spend * pair_discounted.take(pair)
            expected = p_alive * potential
            columns["p_alive"][rows] = p_alive
            columns["expected_purchases"][rows] = p_alive * pair_total.take(pair)
            columns["expected_spend"][rows] = spend
            columns["historical_value"][rows] = historical
            columns["expected_value"][rows] = expected
            columns["potential_value"][rows] = potential
            columns["value_at_risk"][rows] = potential - expected
            columns["actual_clv"][rows] = historical + expected
            columns["potential_clv"][rows] = historical + potential
            # P(a purchase in the window): P(alive) (1 - P(none in the window | alive))
            p_active = np.minimum(np.maximum(p_alive * (1.0 - pair_none.take(pair)), 0.0), 1.0)
            stages[rows] = assign_stages(
                rules,
                T=sub[T_name],
                frequency=sub[x_name],
                p_active=p_active,
                new_within=new_within,
            )

        for_chunks(block, n, chunk=_CUSTOMER_BLOCK)
        bar.update(n)
        if plan is None:
            return columns, stages
        if pair_forward is not None:
            bounds = self._delta_bounds(
                rfm, columns, plan, inverse, (pair_total, pair_discounted), pair_forward, n_jobs
            )
            bar.update(n)
        else:
            bounds = self._clv_bounds(rfm, columns, margin, steps, plan, n_jobs, bar)
        with_bounds: dict[str, np.ndarray] = {}
        for name in CLV_COLUMNS:
            with_bounds[name] = columns[name]
            lower, upper = bounds[name]
            with_bounds[f"{name}_lower"] = lower
            with_bounds[f"{name}_upper"] = upper
        return with_bounds, stages

    def _plan(self, options: IntervalOptions, rfm: RFMInput, caller: str) -> uncertainty.Plan:
        """The parameter configurations of both models (checked for a finite mean spend
        where customers need the population mean)."""
        x = spend_frequency(rfm[self.purchase_model_.columns[0]], rfm["monetary_value"])
        plan = make_plan(
            options,
            {"purchase_model": self.purchase_model_, "spend_model": self.spend_model_},
            caller,
        )
        self.spend_model_._check_draws_q(plan.block("spend_model").params, x, caller)
        return plan

    def _delta_bounds(
        self,
        rfm: RFMInput,
        columns: dict[str, np.ndarray],
        plan: uncertainty.Plan,
        inverse: np.ndarray,
        pair_center: tuple[np.ndarray, np.ndarray],
        pair_forward: tuple[np.ndarray, np.ndarray],
        n_jobs: int = 1,
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Delta-method bounds of every CLV column from the point prediction's terms.

        Every value column is a product of factors of one model each (P(alive),
        1 - P(alive), the expected purchases if alive, the spend), so the gradient of its
        logarithm is the sum of the factors' log-gradients, each from the forward steps of
        its own model; P(alive) takes the logit. The expected purchases if alive depend on
        the distinct ``(frequency, T)`` pair (``inverse``), whose values at the estimate
        (``pair_center``: total and discounted) and at the purchase model's forward steps
        (``pair_forward``, (k, pairs) each) come from the point prediction's pass over the
        pairs; P(alive) and the spend are stepped customer by customer, as the point
        prediction computes them (P(alive) in large blocks, where a kernel that shares
        terms between customers of one ``(x, T)`` finds them; the rest in cache-sized
        chunks).

        With ``Sigma = F' F``, a quadratic form ``g' Sigma g`` is ``|F g|^2``: the
        gradients are mapped by ``F`` once (the pairs' before they are gathered), so the
        variance of a sum of factors is a sum of squares, never a difference.
        """
        purchase, spend_model = self.purchase_model_, self.spend_model_
        x_name, tx_name, T_name = purchase.columns
        x, t_x, T = rfm[x_name], rfm[tx_name], rfm[T_name]
        m = rfm["monetary_value"]
        xs = spend_frequency(x, m)
        n = x.size
        P, S = "purchase_model", "spend_model"
        p_steps = plan.block(P).params[:, 1:]
        s_steps = plan.block(S).params[:, 1:]
        f_p, f_s = _cov_factor(plan.block_cov(P)), _cov_factor(plan.block_cov(S))
        # per pair: the log-gradients of the expected purchases if alive, mapped by F
        v_total = np.einsum("ij,jp->ip", f_p, _log_steps(pair_forward[0], pair_center[0]))
        v_disc = np.einsum("ij,jp->ip", f_p, _log_steps(pair_forward[1], pair_center[1]))
        sq_disc = np.einsum("ip,ip->p", v_disc, v_disc)
        s_stacked = s_steps.reshape(3, 3, 1)
        z = plan.z
        names = [name for name, scale in _SCALES.items() if scale != "fixed"]
        bounds = {name: (np.empty(n), np.empty(n)) for name in names}

        # P(alive) at the steps: (k, n), k the purchase model's parameters
        pa_steps = np.empty((p_steps.shape[1], n))

        def alive(i: int, start: int, stop: int) -> None:
            rows = slice(start, stop)
            pa_steps[:, rows] = purchase._p_alive_rows(p_steps, x[rows], t_x[rows], T[rows])

        for_chunks(alive, n, chunk=_DELTA_ALIVE_BLOCK, threads=n_jobs)

        def chunk(i: int, start: int, stop: int) -> None:
            rows = slice(start, stop)
            pair = inverse[rows]
            pa = columns["p_alive"][rows]
            u_pa = np.einsum("ij,jb->ib", f_p, _log_steps(pa_steps[:, rows], pa))
            spend = columns["expected_spend"][rows]
            intercept, slope = spend_model._spend_terms_at(s_stacked, xs[rows])
            u_spend = np.einsum("ij,jb->ib", f_s, _log_steps(intercept + slope * m[rows], spend))
            var_spend = np.einsum("ib,ib->b", u_spend, u_spend)
            with np.errstate(divide="ignore", invalid="ignore"):
                odds = np.where(pa < 1.0, pa / (1.0 - pa), 0.0)
            sq_pa = np.einsum("ib,ib->b", u_pa, u_pa)
            d_total = u_pa + v_total[:, pair]
            d_disc = v_disc[:, pair]
            d_risk = d_disc - odds * u_pa
            d_disc += u_pa
            se = {
                # logit(P(alive)): d log p - d log(1 - p) = (1 + odds) d log p
                "p_alive": np.sqrt(sq_pa) * (1.0 + odds),
                "expected_purchases": np.sqrt(np.einsum("ib,ib->b", d_total, d_total)),
                "expected_spend": np.sqrt(var_spend),
                "expected_value": np.sqrt(np.einsum("ib,ib->b", d_disc, d_disc) + var_spend),
                "potential_value": np.sqrt(sq_disc[pair] + var_spend),
                "value_at_risk": np.sqrt(np.einsum("ib,ib->b", d_risk, d_risk) + var_spend),
            }
            for name, value in se.items():
                lo, hi = uncertainty.scaled_bounds(columns[name][rows], value, z, _SCALES[name])
                bounds[name][0][rows] = lo
                bounds[name][1][rows] = hi

        for_chunks(chunk, n, chunk=_DELTA_BLOCK, threads=n_jobs)
        return _with_fixed_bounds(bounds, columns)

    def _clv_bounds(
        self,
        rfm: RFMInput,
        columns: dict[str, np.ndarray],
        margin: np.ndarray | float,
        steps: Schedule,
        plan: uncertainty.Plan,
        n_jobs: int = 1,
        bar: Bar = SILENT,
    ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Bounds of every CLV column from parameter draws (parametric or bootstrap): each
        column's quantiles over the draws, block of customers by block."""
        n = rfm.n
        margins = np.broadcast_to(np.asarray(margin, dtype=np.float64), (n,))
        names = [name for name, scale in _SCALES.items() if scale != "fixed"]
        drawn = {name: (np.empty(n), np.empty(n)) for name in names}

        def reduce(bv: BlockValues) -> tuple[np.ndarray, dict[str, Any]]:
            r = bv.rows
            pa = bv.customer_p_alive()
            spend = bv.customer_spend()
            value = margins[r] * spend * bv.customer_discounted()
            at = {
                "p_alive": pa,
                "expected_purchases": pa * bv.customer_total(),
                "expected_spend": spend,
                "expected_value": pa * value,
                "potential_value": value,
                "value_at_risk": (1.0 - pa) * value,
            }
            return r, {
                name: plan.interval(columns[name][r], values, _SCALES[name])
                for name, values in at.items()
            }

        for r, block in clv_blocks(self, rfm, steps, plan, reduce, n_jobs=n_jobs):
            bar.update(np.size(r))
            for name, value in block.items():
                drawn[name][0][r] = value[0]
                drawn[name][1][r] = value[1]
        return _with_fixed_bounds(drawn, columns)

    # -- the bootstrap ----------------------------------------------------------------------
    def bootstrap(
        self,
        customers: pd.DataFrame,
        *,
        n_draws: int = 200,
        weights: object = None,
        random_state: object = None,
        n_jobs: int = 1,
        time_unit: str | None = None,
        progress: bool | None = None,
    ) -> pd.DataFrame:
        """Both models refitted on customers resampled with replacement, one row per draw.

        Each draw resamples the customers (a multinomial draw of weights over the distinct
        rows of ``frequency, recency, T, monetary_value``) and refits the purchase and the
        spend model on the same resample, starting from the current estimates. Pass the
        result as ``draws=`` with ``method="bootstrap"`` to :meth:`predict_clv`,
        :func:`clvkit.segment_summary` or :func:`clvkit.clv_cashflows`.

        Parameters
        ----------
        customers : DataFrame
            The customers the model was fitted on.
        n_draws : int, default 200
            Number of refits (>= 2).
        weights : array-like, optional
            Customers each row stands for.
        random_state : int, numpy Generator or None
            Seed; each draw has its own child seed (the draws do not depend on ``n_jobs``).
        n_jobs : int, default 1
            Threads refitting in parallel (-1: one per core).
        time_unit : str, optional
            The unit of a frame that does not record it, as in :meth:`predict_clv`.
        progress : bool or None, default None
            A bar counting the refits: ``None`` on a terminal or in a notebook only,
            ``True`` always, ``False`` never (needs ``tqdm``).

        Returns
        -------
        DataFrame
            One row per draw (index ``draw``); columns with two levels,
            ``("purchase_model", parameter)`` and ``("spend_model", parameter)``.

        Examples
        --------
        >>> import clvkit as ck
        >>> rfm = ck.datasets.simulate_rfm(1000, seed=3)
        >>> model = ck.CLVModel().fit(rfm)
        >>> draws = model.bootstrap(rfm, n_draws=10, random_state=0)
        >>> draws.shape
        (10, 7)
        """
        self._check_fitted()
        caller = "CLVModel.bootstrap"
        uncertainty.interval_options(
            None, method="bootstrap", n_draws=n_draws, random_state=random_state, caller=caller
        )
        jobs = uncertainty.check_n_jobs(n_jobs, caller)
        show = check_progress(progress, caller)
        purchase, spend = self.purchase_model_, self.spend_model_
        columns = (*purchase.columns, "monetary_value")
        rfm = read_rfm(customers, {}, need=columns, caller=caller, time_unit=time_unit)
        check_model_unit(rfm, self.time_unit_, "CLVModel", caller)
        w = read_weights(weights, rfm.n, rfm.index)
        rows, row_weights = uncertainty.distinct_rows([rfm[c] for c in columns], w)
        unit = rfm.time_unit if rfm.time_unit is not None else self.time_unit_
        frame = pd.DataFrame(dict(zip(columns, rows, strict=True)))
        templates = [
            clone(m).set_params(initial_params=m.params_.to_dict()) for m in (purchase, spend)
        ]

        names = pd.MultiIndex.from_tuples(
            [("purchase_model", p) for p in purchase.param_names]
            + [("spend_model", p) for p in spend.param_names]
        )
        with progress_bar(show, total=int(n_draws), desc=caller, unit="fit", exclusive=True) as bar:

            def refit(resampled: np.ndarray) -> np.ndarray | None:
                parts = []
                for template in templates:

                    def fit(template: Any = template) -> Any:
                        return clone(template)._refit(frame, resampled, unit)

                    params = uncertainty.try_refit(fit)
                    if params is None:
                        break
                    parts.append(params)
                bar.update()
                return np.concatenate(parts) if len(parts) == len(templates) else None

            return uncertainty.bootstrap_draws(
                refit,
                row_weights,
                n_draws=int(n_draws),
                random_state=random_state,
                n_jobs=jobs,
                columns=names,
                caller=caller,
            )

    # -- model files ------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model as JSON, atomically (no pickle); read it with :func:`clvkit.load_model`.

        Examples
        --------
        >>> import clvkit as ck, tempfile, os
        >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
        >>> gg = ck.GammaGamma.from_params(p=6.25, q=3.74, v=15.44)
        >>> path = os.path.join(tempfile.mkdtemp(), "clv.json")
        >>> ck.CLVModel.from_models(bg, gg).save(path)
        >>> ck.load_model(path).purchase_model_
        BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit='W')
        """
        self._check_fitted()
        persistence.save_model(self, path)

    def _to_components(self) -> dict[str, Any]:
        return {
            "purchase": persistence.model_to_dict(self.purchase_model_),
            "spend": persistence.model_to_dict(self.spend_model_),
        }

    @classmethod
    def _from_components(
        cls, components: object, *, grain: str | None, where: str, version: int
    ) -> Self:
        parts = persistence.require_keys(components, {"purchase", "spend"}, f"{where}: components")
        purchase = persistence.model_from_dict(
            parts["purchase"], f"{where}: components.purchase", version
        )
        spend = persistence.model_from_dict(parts["spend"], f"{where}: components.spend", version)
        if not isinstance(purchase, PurchaseModel) or not isinstance(spend, GammaGamma):
            raise ModelFileError(
                f"{where}: a CLVModel holds a purchase model and a GammaGamma spend model; "
                f"got {type(purchase).__name__} and {type(spend).__name__}."
            )
        return cls.from_models(purchase, spend, grain=grain)

    def __repr__(self) -> str:
        if not hasattr(self, "purchase_model_"):
            return "CLVModel()  # not fitted"
        return f"CLVModel({self.purchase_model_!r}, {self.spend_model_!r})"


def _template(model: object, base: type, default: type, name: str) -> Any:
    """A fresh, unfitted clone of a template (its own class and hyper-parameters)."""
    if model is None:
        return default()
    if not isinstance(model, base):
        raise InputError(
            f"The {name!r} parameter must be a {base.__name__} (an unfitted template). "
            f"Got {model!r}."
        )
    return clone(model)


def _log_steps(values: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Forward-difference gradient of ``log(q)`` in the log-parameters of one model, from
    ``q`` at the estimate (``center``, (B,)) and at each forward step (``values``, (k, B));
    0 where ``q`` is 0."""
    grad = values - center
    with np.errstate(divide="ignore", invalid="ignore"):
        grad /= uncertainty.STEP * center
    grad[:, ~(center > 0)] = 0.0
    return grad


def _cov_factor(cov: np.ndarray) -> np.ndarray:
    """``F`` with ``F' F = cov`` (a covariance, symmetric positive semi-definite), from its
    eigen-decomposition (rounding's negative eigenvalues count as 0)."""
    values, vectors = np.linalg.eigh(cov)
    return np.sqrt(np.maximum(values, 0.0))[:, None] * vectors.T


def _with_fixed_bounds(
    bounds: dict[str, tuple[np.ndarray, np.ndarray]], columns: dict[str, np.ndarray]
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``bounds`` with those of the columns built from them: the historical value has no
    parameter in it, actual and potential CLV are it plus an interval of their future part."""
    hist = columns["historical_value"]
    bounds["historical_value"] = (hist.copy(), hist.copy())
    for name, part in (("actual_clv", "expected_value"), ("potential_clv", "potential_value")):
        lo, hi = bounds[part]
        bounds[name] = (hist + lo, hist + hi)
    return bounds


#: the default lifecycle rules (frozen, so one instance serves every call)
_DEFAULT_RULES = LifecycleRules()


def _alive_purchases(
    purchase: PurchaseModel,
    pairs: RFMInput,
    plan: Schedule,
    params: np.ndarray,
    forward: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
    """Undiscounted and discounted expected purchases over the horizon, if alive now, for
    each distinct (frequency, T) pair (at the purchase model's fitted ``params``), in
    blocks of about ``_CELLS_PER_BLOCK`` cells.

    With ``forward`` (parameter vectors (k, d), the delta method's steps), also both at
    each of them, (d, pairs) each, from the curve at the estimate already computed
    (:class:`~clvkit.value.propagate.StepCurves`)."""
    total = np.empty(pairs.n)
    discounted = np.empty(pairs.n)
    K = plan.ends.size
    curves = None
    if forward is not None:
        curves = StepCurves(purchase, plan.ends, plan.factors)
        d = forward.shape[1]
        at_steps = (np.empty((d, pairs.n)), np.empty((d, pairs.n)))
        block = max(1, _CELLS_PER_BLOCK // (K + d * curves.nodes.size))
    else:
        block = max(1, _CELLS_PER_BLOCK // K)
    x_name, _, T_name = purchase.columns
    for start in range(0, pairs.n, block):
        rows = slice(start, min(start + block, pairs.n))
        part = pairs if block >= pairs.n else pairs.take(rows)
        curve = purchase._alive_curve(part, plan.ends, params)
        increments = np.empty_like(curve)  # np.diff with a 0 prepended, in two calls
        increments[:, 0] = curve[:, 0]
        np.subtract(curve[:, 1:], curve[:, :-1], out=increments[:, 1:])
        total[rows] = curve[:, -1]
        # einsum, not BLAS: the same summation order whatever the number of rows, so one
        # customer alone gets the bits they get inside a frame
        discounted[rows] = np.einsum("ij,j->i", increments, plan.factors)
        if curves is not None:
            assert forward is not None
            t, dsc, _ = curves.evaluate(
                forward, pairs[x_name][rows], pairs[T_name][rows], False, center=curve
            )
            at_steps[0][:, rows] = t
            at_steps[1][:, rows] = dsc
    return total, discounted, (at_steps if curves is not None else None)


def _margin_record(margin: object) -> float | str | None:
    """The margin as recorded in a CLV frame's attrs: a number, a column name, or None for
    one value per customer (which :func:`clvkit.segment_summary` then needs again)."""
    if isinstance(margin, str):
        return margin
    if isinstance(margin, int | float | np.floating) and not isinstance(margin, bool):
        return float(margin)
    return None


def margin_values(margin: object, customers: pd.DataFrame | None, n: int) -> np.ndarray | float:
    """The ``margin`` argument checked: one number, a column of ``customers``, or n values."""
    ids: pd.Index | None
    if isinstance(margin, str):
        if customers is None or margin not in customers.columns:
            raise InputError(
                f"The 'margin' argument names column {margin!r}, which the "
                "customers frame does not have."
            )
        ids = customers.index
        values = numeric_column(customers[margin], f"Column {margin!r} (margin)", ids)
    elif isinstance(margin, int | float | np.floating) and not isinstance(margin, bool):
        value = float(margin)
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise InputError(
                f"The 'margin' argument must be in [0, 1] (0.30 for 30 %). Got {margin!r}."
            )
        return value
    else:
        if (
            isinstance(margin, pd.Series)
            and customers is not None
            and not margin.index.equals(customers.index)
        ):
            raise InputError("A 'margin' Series must have the customers frame's index.")
        ids = None if customers is None else customers.index
        values = numeric_column(margin, "Argument 'margin'", ids)
        if values.size != n:
            raise InputError(f"Argument 'margin' has {values.size} values for {n} customers.")
    check_rule((values < 0) | (values > 1), "margin", "must be in [0, 1] (0.30 for 30 %)", ids)
    return values
