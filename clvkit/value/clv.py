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
from collections.abc import Mapping
from typing import Any, Self

import numpy as np
import pandas as pd

from clvkit._validation import check_rule, numeric_column
from clvkit.errors import InputError, NotFittedError, UnitError
from clvkit.models import BetaGeo, GammaGamma
from clvkit.models._inputs import RFMInput, read_rfm
from clvkit.models._kernels import activity, bgnbd, gammagamma
from clvkit.models._kernels.compress import distinct_pairs
from clvkit.value.discount import Schedule, schedule
from clvkit.value.lifecycle import LifecycleRules, assign_stages, stages_categorical

__all__ = ["CLV_COLUMNS", "CLVModel"]

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
_NEEDED = ("frequency", "recency", "T", "monetary_value", "historical_value")


class CLVModel:
    """A purchase model and a spend model fitted together: actual versus potential CLV.

    Parameters
    ----------
    purchase_model : BetaGeo, optional
        An unfitted template (hyper-parameters only); default ``BetaGeo()``.
    spend_model : GammaGamma, optional
        An unfitted template; default ``GammaGamma()``.

    Attributes
    ----------
    purchase_model_ : BetaGeo
        The fitted purchase model (a fresh copy of the template).
    spend_model_ : GammaGamma
        The fitted spend model.
    time_unit_ : str or None
        The time unit of recency, T and numeric horizons.
    grain_ : str or None
        The purchase grain of the RFM frame fitted on (from :func:`clvkit.rfm_summary`).
    n_customers_ : float

    Examples
    --------
    >>> model = ck.CLVModel().fit(rfm)                                   # doctest: +SKIP
    >>> clv = model.predict_clv(rfm, horizon="52W", discount_rate=0.10, margin=0.30)
    """

    def __init__(
        self,
        *,
        purchase_model: BetaGeo | None = None,
        spend_model: GammaGamma | None = None,
    ) -> None:
        self.purchase_model = purchase_model
        self.spend_model = spend_model

    # -- fitting ----------------------------------------------------------------------------
    def fit(
        self,
        customers: pd.DataFrame,
        *,
        weights: object = None,
        time_unit: str | None = None,
    ) -> Self:
        """Fit both models on one RFM frame.

        Parameters
        ----------
        customers : DataFrame
            Columns ``frequency``, ``recency``, ``T`` and ``monetary_value`` (as from
            :func:`clvkit.rfm_summary` with ``monetary=``). The spend model uses the repeat
            buyers only.
        weights : array-like, optional
            Number of customers each row stands for.
        time_unit : str, optional
            When the frame does not record it.

        Returns
        -------
        self
        """
        purchase = _template(self.purchase_model, BetaGeo, "purchase_model")
        spend = _template(self.spend_model, GammaGamma, "spend_model")
        attrs = customers.attrs if isinstance(customers, pd.DataFrame) else None
        if attrs is None:  # engines: each model's fit reduces the source to distinct rows
            from clvkit.engines.fitting import is_source, recorded_attrs

            attrs = recorded_attrs(customers) if is_source(customers) else None
        if attrs is None:
            raise InputError(
                "CLVModel.fit needs a customers DataFrame with columns frequency, recency, "
                f"T and monetary_value. Got {type(customers).__name__}."
            )
        purchase.fit(customers, weights=weights, time_unit=time_unit)
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
        cls, purchase_model: BetaGeo, spend_model: GammaGamma, *, grain: str | None = None
    ) -> Self:
        """Combine already fitted (or :meth:`~BetaGeo.from_params`) models."""
        if not isinstance(purchase_model, BetaGeo) or not isinstance(spend_model, GammaGamma):
            raise InputError("CLVModel.from_models needs a BetaGeo and a GammaGamma model.")
        purchase_model._check_fitted()
        spend_model._check_fitted()
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

    def _check_fitted(self) -> tuple[np.ndarray, np.ndarray]:
        if not hasattr(self, "purchase_model_"):
            raise NotFittedError(
                "This CLVModel is not fitted yet; call fit(rfm) or CLVModel.from_models(...)."
            )
        return self.purchase_model_._check_fitted(), self.spend_model_._check_fitted()

    # -- prediction -------------------------------------------------------------------------
    def predict_clv(
        self,
        customers: pd.DataFrame,
        *,
        horizon: float | str,
        discount_rate: float = 0.0,
        margin: float | str | pd.Series | np.ndarray = 1.0,
        period: float | str | None = None,
        lifecycle: LifecycleRules | None = None,
        output: str | os.PathLike[str] | None = None,
    ) -> pd.DataFrame:
        """Actual and potential value of each customer over ``horizon``.

        Parameters
        ----------
        customers : DataFrame
            Columns ``frequency``, ``recency``, ``T``, ``monetary_value`` and
            ``historical_value`` (all produced by ``rfm_summary(..., monetary=...)``).
        horizon : float or str
            A number of model time units or a calendar span: "52W", "12M", "365D", "1Y"
            (a month is 365.2425/12 days).
        discount_rate : float, default 0
            Yearly discount rate (0.10 for 10 %), applied per step.
        margin : float, str or array-like, default 1
            Profit margin in [0, 1] applied to every value column: one number, the name
            of a column of ``customers``, or one value per customer.
        period : float or str, optional
            Discounting step; default one model time unit.
        lifecycle : LifecycleRules, optional
            Thresholds of the ``lifecycle_stage`` column; default ``LifecycleRules()``.
        output : path, optional
            With ``customers`` a DuckDB relation or a Parquet/CSV path: write the result
            to this Parquet file batch by batch (and return its path) instead of returning
            a frame. See :mod:`clvkit.engines.scoring`.

        Returns
        -------
        DataFrame
            Indexed like ``customers``: the columns of :data:`CLV_COLUMNS` (currency
            units, except ``p_alive`` and ``expected_purchases``) and ``lifecycle_stage``.
            For a Spark DataFrame, a Spark DataFrame of the same columns (the other
            columns of ``customers``, such as the customer id, carried in front).
        """
        self._check_fitted()
        if not isinstance(customers, pd.DataFrame):  # engines: Spark, DuckDB or files
            from clvkit.engines import scoring

            if scoring.is_source(customers):
                return scoring.predict_clv(
                    self, customers, horizon=horizon, discount_rate=discount_rate,
                    margin=margin, period=period, lifecycle=lifecycle, output=output,
                )  # fmt: skip
        if not isinstance(customers, pd.DataFrame):
            raise InputError(
                "CLVModel.predict_clv needs a customers DataFrame; for one customer as a "
                "mapping use clvkit.predict_clv(model, {...}, horizon=...)."
            )
        rfm = self._read(customers, None)
        margin_values = _margin(margin, customers, rfm.n)
        columns, stages = self.predict_arrays(
            rfm,
            horizon=horizon,
            discount_rate=discount_rate,
            margin=margin_values,
            period=period,
            lifecycle=lifecycle,
        )
        out = pd.DataFrame(columns, index=customers.index)
        out["lifecycle_stage"] = stages_categorical(stages)
        out.attrs["time_unit"] = self.time_unit_
        out.attrs["horizon"] = horizon
        out.attrs["discount_rate"] = discount_rate
        return out

    def _read(self, customers: object, arrays: Mapping[str, object] | None) -> RFMInput:
        rfm = read_rfm(
            customers,
            dict(arrays) if arrays is not None else {},
            need=_NEEDED,
            caller="predict_clv",
            positive_monetary=True,
        )
        return rfm

    def predict_arrays(
        self,
        rfm: RFMInput,
        *,
        horizon: object,
        discount_rate: object = 0.0,
        margin: np.ndarray | float = 1.0,
        period: object = None,
        lifecycle: LifecycleRules | None = None,
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """The CLV columns as arrays from validated input (the shared core)."""
        bg, gg = self._check_fitted()
        self.purchase_model_._check_unit(rfm)
        plan = schedule(
            horizon, time_unit=self.time_unit_, discount_rate=discount_rate, period=period
        )
        rules = LifecycleRules() if lifecycle is None else lifecycle
        if not isinstance(rules, LifecycleRules):
            raise InputError("The 'lifecycle' argument must be a clvkit LifecycleRules.")
        x, t_x, T = rfm["frequency"], rfm["recency"], rfm["T"]
        m = rfm["monetary_value"]
        if gg[1] <= 1 and np.any(x == 0):
            raise InputError(
                f"The spend model's q = {gg[1]:.4g} is <= 1: the population mean spend is "
                "infinite, so customers without a repeat purchase have no finite value."
            )
        p_alive = bgnbd.probability_alive(bg, x, t_x, T)
        alive_total, alive_discounted = _alive_purchases(bg, x, T, plan)
        spend = gammagamma.expected_spend(gg, x, m)
        historical = margin * rfm["historical_value"]
        potential = margin * spend * alive_discounted
        expected = p_alive * potential
        new_within, window = rules.windows(self.time_unit_)
        p_active = activity.probability_purchase_within(bg, x, t_x, T, window, p_alive)
        stages = assign_stages(rules, T=T, frequency=x, p_active=p_active, new_within=new_within)
        columns = {
            "p_alive": p_alive,
            "expected_purchases": p_alive * alive_total,
            "expected_spend": spend,
            "historical_value": historical,
            "expected_value": expected,
            "potential_value": potential,
            "value_at_risk": potential - expected,
            "actual_clv": historical + expected,
            "potential_clv": historical + potential,
        }
        return columns, stages

    def save(self, path: str | Any) -> None:
        """Write the model as JSON (no pickle); read it back with :func:`clvkit.load_model`."""
        from clvkit.value.io import save_model

        save_model(self, path)

    def __repr__(self) -> str:
        if not hasattr(self, "purchase_model_"):
            return "CLVModel()  # not fitted"
        return f"CLVModel({self.purchase_model_!r}, {self.spend_model_!r})"


def _template(model: object, cls: type[BetaGeo] | type[GammaGamma], name: str) -> Any:
    """A fresh, unfitted copy of a template (its hyper-parameters only)."""
    if model is None:
        return cls()
    if not isinstance(model, cls):
        raise InputError(f"The {name!r} parameter must be a {cls.__name__}. Got {model!r}.")
    return cls(
        penalizer=model.penalizer,
        initial_params=model.initial_params,
        tol=model.tol,
        max_iter=model.max_iter,
    )


def _alive_purchases(
    params: np.ndarray, x: np.ndarray, T: np.ndarray, plan: Schedule
) -> tuple[np.ndarray, np.ndarray]:
    """Undiscounted and discounted expected purchases over the horizon, if alive now.

    Evaluated once per distinct (x, T) pair and step, then mapped back to the customers.
    """
    ux, uT, inverse = distinct_pairs(x, T)
    total = np.empty(ux.size)
    discounted = np.empty(ux.size)
    # one broadcast kernel call per block of pairs x steps, bounded to ~2M cells of memory
    block = max(1, _CELLS_PER_BLOCK // plan.ends.size)
    for start in range(0, ux.size, block):
        stop = min(start + block, ux.size)
        curve = bgnbd.expected_purchases_alive(
            params, ux[start:stop, None], uT[start:stop, None], plan.ends[None, :]
        )
        increments = np.diff(curve, axis=1, prepend=0.0)
        total[start:stop] = curve[:, -1]
        discounted[start:stop] = increments @ plan.factors
    return total[inverse], discounted[inverse]


def _margin(margin: object, customers: pd.DataFrame | None, n: int) -> np.ndarray | float:
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
