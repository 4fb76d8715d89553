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
from clvkit.errors import InputError, ModelFileError, NotFittedError, UnitError
from clvkit.models import BetaGeo, GammaGamma, PurchaseModel, check_is_fitted, clone, persistence
from clvkit.models.inputs import RFMInput, read_rfm
from clvkit.value.discount import Schedule, schedule
from clvkit.value.lifecycle import LifecycleRules, assign_stages, stages_categorical

__all__ = ["CLV_COLUMNS", "CLVModel", "margin_values"]

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
_SPEND_COLUMNS = ("monetary_value", "historical_value")


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
    >>> rfm = ck.rfm_summary(tx, monetary="amount", time_unit="W", observation_end="1997-09-30")
    >>> model = ck.CLVModel().fit(rfm)
    >>> clv = model.predict_clv(rfm, horizon="52W", discount_rate=0.10, margin=0.30)
    >>> round(float(clv["actual_clv"].sum()))
    40862
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
        """The two templates, as scikit-learn's ``get_params``."""
        return {"purchase_model": self.purchase_model, "spend_model": self.spend_model}

    def set_params(self, **params: Any) -> Self:
        """Set ``purchase_model`` and/or ``spend_model``; returns ``self``."""
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
            When the frame does not record it.

        Returns
        -------
        self
        """
        purchase = _template(self.purchase_model, PurchaseModel, BetaGeo, "purchase_model")
        spend = _template(self.spend_model, GammaGamma, GammaGamma, "spend_model")
        if not isinstance(customers, pd.DataFrame):
            raise InputError(
                "CLVModel.fit needs a customers DataFrame with columns frequency, recency, "
                f"T and monetary_value. Got {type(customers).__name__}."
            )
        purchase.fit(customers, weights=weights, time_unit=time_unit)
        spend.fit(customers, weights=weights, time_unit=purchase.time_unit_)
        self.purchase_model_ = purchase
        self.spend_model_ = spend
        self.time_unit_ = purchase.time_unit_
        grain = customers.attrs.get("grain")
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
        period: float | str | None = None,
        lifecycle: LifecycleRules | None = None,
    ) -> pd.DataFrame:
        """Actual and potential value of each customer over ``horizon``.

        Parameters
        ----------
        customers : DataFrame
            The purchase model's columns (``frequency``, ``recency``, ``T``),
            ``monetary_value`` and ``historical_value`` (all produced by
            ``rfm_summary(..., monetary=...)``).
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

        Returns
        -------
        DataFrame
            Indexed like ``customers``: the columns of :data:`CLV_COLUMNS` (currency
            units, except ``p_alive`` and ``expected_purchases``) and ``lifecycle_stage``.

        Examples
        --------
        >>> import clvkit as ck
        >>> rfm = ck.datasets.simulate_rfm(500, seed=2)
        >>> model = ck.CLVModel().fit(rfm)
        >>> clv = model.predict_clv(rfm, horizon="26W", discount_rate=0.1, margin=0.3)
        >>> bool((clv["potential_clv"] >= clv["actual_clv"]).all())
        True
        """
        self._check_fitted()
        if not isinstance(customers, pd.DataFrame):
            raise InputError(
                "CLVModel.predict_clv needs a customers DataFrame; for one customer as a "
                "mapping use clvkit.predict_clv(model, {...}, horizon=...)."
            )
        rfm = self.read_customers(customers, None)
        margins = margin_values(margin, customers, rfm.n)
        columns, stages = self.predict_arrays(
            rfm,
            horizon=horizon,
            discount_rate=discount_rate,
            margin=margins,
            period=period,
            lifecycle=lifecycle,
        )
        out = pd.DataFrame(columns, index=customers.index)
        out["lifecycle_stage"] = stages_categorical(stages)
        out.attrs["time_unit"] = self.time_unit_
        out.attrs["horizon"] = horizon
        out.attrs["discount_rate"] = discount_rate
        return out

    @property
    def input_columns(self) -> tuple[str, ...]:
        """The per-customer columns :meth:`predict_clv` needs."""
        self._check_fitted()
        return (*self.purchase_model_.columns, *_SPEND_COLUMNS)

    def read_customers(self, customers: object, arrays: Mapping[str, object] | None) -> RFMInput:
        """Validate the customers of :meth:`predict_clv` (a frame, or arrays by column)."""
        return read_rfm(
            customers,
            dict(arrays) if arrays is not None else {},
            need=self.input_columns,
            caller="predict_clv",
            positive_monetary=True,
        )

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
        self._check_fitted()
        purchase, spend_model = self.purchase_model_, self.spend_model_
        plan = schedule(
            horizon, time_unit=self.time_unit_, discount_rate=discount_rate, period=period
        )
        rules = LifecycleRules() if lifecycle is None else lifecycle
        if not isinstance(rules, LifecycleRules):
            raise InputError("The 'lifecycle' argument must be a clvkit LifecycleRules.")
        x_name, _, T_name = purchase.columns
        x = rfm[x_name]
        if spend_model.mean_spend() == math.inf and np.any(x == 0):
            raise InputError(
                f"The spend model's q = {spend_model.params_['q']:.4g} is <= 1: the population "
                "mean spend is infinite, so customers without a repeat purchase have no finite "
                "value. Refit with GammaGamma(q_constraint=True)."
            )
        p_alive = np.asarray(purchase.probability_alive(rfm))
        alive_total, alive_discounted = _alive_purchases(purchase, rfm, x_name, T_name, plan)
        spend = np.asarray(spend_model.expected_spend(rfm))
        historical = margin * rfm["historical_value"]
        potential = margin * spend * alive_discounted
        expected = p_alive * potential
        new_within, window = rules.windows(self.time_unit_)
        p_active = np.asarray(purchase.probability_purchase(rfm, window))
        stages = assign_stages(
            rules, T=rfm[T_name], frequency=x, p_active=p_active, new_within=new_within
        )
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


def _alive_purchases(
    purchase: PurchaseModel, rfm: RFMInput, x_name: str, T_name: str, plan: Schedule
) -> tuple[np.ndarray, np.ndarray]:
    """Undiscounted and discounted expected purchases over the horizon, if alive now.

    Evaluated once per distinct (frequency, T) pair and step, in blocks of about
    ``_CELLS_PER_BLOCK`` cells, then mapped back to the customers.
    """
    pairs, inverse = rfm.distinct_pairs(x_name, T_name)
    total = np.empty(pairs.n)
    discounted = np.empty(pairs.n)
    block = max(1, _CELLS_PER_BLOCK // plan.ends.size)
    for start in range(0, pairs.n, block):
        rows = slice(start, min(start + block, pairs.n))
        curve = np.asarray(purchase.expected_purchases_if_alive(pairs.take(rows), plan.ends))
        increments = np.diff(curve, axis=1, prepend=0.0)
        total[rows] = curve[:, -1]
        # einsum, not BLAS: the same summation order whatever the number of rows, so one
        # customer alone gets the bits they get inside a frame
        discounted[rows] = np.einsum("ij,j->i", increments, plan.factors)
    return total[inverse], discounted[inverse]


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
