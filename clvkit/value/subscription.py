"""Actual versus potential value of subscribers (a contractual setting).

A subscriber pays a revenue per period and renews, or not, at the end of each period.
Churn is observed, so P(alive) is known: 1 for an active subscriber, 0 for one who left.
What is uncertain is how long each active subscriber will stay, which a contractual model
(:class:`clvkit.ShiftedBetaGeo`) answers from their tenure: the longer a customer has
stayed, the likelier they renew again.

Per customer, over a horizon of ``K`` renewals with a yearly ``discount_rate`` (``d`` per
period) and a ``margin``, with the same columns as :meth:`clvkit.CLVModel.predict_clv`:

==================== ==================================================================
column               definition
==================== ==================================================================
p_alive              1 for an active subscriber, 0 for one who churned
expected_purchases   expected renewals (periods paid) within the horizon,
                     ``sum_{k=1}^{K} S(n+k) / S(n)`` for tenure ``n``; 0 if churned;
                     with ``horizon="all"`` the discounted count, DERL (undiscounted
                     it is infinite whenever gamma <= 1)
expected_spend       the customer's revenue per period
historical_value     margin x revenue to date (the actual, already earned part)
expected_value       margin x revenue per period x discounted expected renewals,
                     ``sum_{k=1}^{K} S(n+k) / S(n) (1 + d)^-(k-1)``; 0 if churned
potential_value      the same if the customer renewed every time within the horizon,
                     ``sum_{k=1}^{K} (1 + d)^-(k-1)``; for a churned customer, what
                     winning them back for the whole horizon would be worth
value_at_risk        potential_value - expected_value >= 0: what expected churn costs
actual_clv           historical_value + expected_value
potential_clv        historical_value + potential_value
lifecycle_stage      see below
==================== ==================================================================

Timing: subscriptions are paid in advance, at each renewal. Value is assessed at the
next renewal decision (Fader & Hardie 2010), so the next renewal counts undiscounted and
the ``k``-th is discounted by ``k - 1`` periods. A horizon of ``H`` periods holds
``K = ceil(H)`` renewals (``"52W"`` for a monthly plan holds 12). With ``horizon="all"``
the expected value is the discounted residual lifetime value, DERL x margin x revenue per
period (Fader & Hardie 2010, eq. 6), and the potential value a perpetuity,
``(1 + d) / d``; it needs ``discount_rate > 0``. (CLVModel discounts purchases at the end
of each step, since they come throughout it; renewals come at its start.)

Lifecycle stages for subscribers map the rules of :class:`clvkit.LifecycleRules` onto
tenure and renewals, in this order of precedence:

1. ``win-back``: churned (``p_alive = 0``);
2. ``welcome``: tenure shorter than ``new_within``;
3. ``revival``: ``p_active < fading_below`` (``win-back`` is reserved for those who left),
   where ``p_active`` is the probability of still being a subscriber after
   ``activity_window`` (rounded to whole periods, at least one): at risk;
4. ``getting to know``: at most ``early_max_frequency`` renewals made;
5. ``development``: established subscribers.

Early tenures carry the highest churn under the sBG, so ``revival`` holds the newest
subscribers of a churn-prone base; tune the rules to the plan's period (for a monthly
plan, ``new_within="3M"`` and ``early_max_frequency=5`` read naturally).
"""

from __future__ import annotations

import math
import os
from collections.abc import Hashable
from typing import Any, Self

import numpy as np
import pandas as pd

from clvkit._time import check_time_unit
from clvkit.errors import InputError, ModelFileError, NotFittedError, UnitError
from clvkit.models import ContractualModel, ShiftedBetaGeo, check_is_fitted, clone, persistence
from clvkit.models.contract_inputs import read_subscribers
from clvkit.models.contractual import per_period_rate
from clvkit.value.clv import CLV_COLUMNS, margin_values
from clvkit.value.lifecycle import LifecycleRules, assign_stages, stages_categorical

__all__ = ["SubscriptionValue"]

_WIN_BACK = 4
_REVIVAL = 3


@persistence.register_kind
class SubscriptionValue:
    """A contractual model fitted on subscribers: their actual versus potential value.

    Parameters
    ----------
    retention_model : contractual model, optional
        An unfitted template (hyper-parameters only); default ``ShiftedBetaGeo()``.

    Attributes
    ----------
    retention_model_ : contractual model
        The fitted model (a fresh clone of the template).
    time_unit_ : str or None
        The period of tenure and numeric horizons (``"M"``, ``"Y"``, ...).
    grain_ : None
        No purchase grain (kept for model files).
    n_customers_ : float

    Examples
    --------
    >>> import clvkit as ck
    >>> subs = ck.datasets.simulate_subscribers(5000, time_unit="M", seed=1)
    >>> value = ck.SubscriptionValue().fit(subs)
    >>> clv = value.predict_clv(subs, horizon="2Y", discount_rate=0.10, margin=0.8)
    >>> bool((clv["potential_clv"] >= clv["actual_clv"]).all())
    True
    >>> ck.segment_summary(clv, by="lifecycle").index[-1]
    'win-back'
    """

    def __init__(self, *, retention_model: ContractualModel | None = None) -> None:
        self.retention_model = retention_model

    def get_params(self) -> dict[str, Any]:
        """The template, as scikit-learn's ``get_params``.

        Examples
        --------
        >>> import clvkit as ck
        >>> ck.SubscriptionValue().get_params()
        {'retention_model': None}
        """
        return {"retention_model": self.retention_model}

    def set_params(self, **params: Any) -> Self:
        """Set ``retention_model``; returns ``self``.

        Examples
        --------
        >>> import clvkit as ck
        >>> template = ck.ShiftedBetaGeo(penalizer=0.01)
        >>> ck.SubscriptionValue().set_params(retention_model=template).retention_model.penalizer
        0.01
        """
        for name, value in params.items():
            if name != "retention_model":
                raise InputError(
                    f"SubscriptionValue has no hyper-parameter {name!r}; it has "
                    "['retention_model']."
                )
            setattr(self, name, value)
        return self

    # -- fitting ----------------------------------------------------------------------------
    def fit(
        self,
        customers: pd.DataFrame,
        *,
        tenure: Hashable = "tenure",
        churned: Hashable = "churned",
        weights: object = None,
        time_unit: str | None = None,
    ) -> Self:
        """Fit the retention model on one row per subscriber.

        Parameters
        ----------
        customers : DataFrame
            One row per subscriber with the columns ``tenure`` and ``churned`` (see
            :meth:`clvkit.ShiftedBetaGeo.fit`).
        tenure, churned : str
            Their column names.
        weights : str or array-like, optional
            Number of customers each row stands for.
        time_unit : str, optional
            The period, when ``customers.attrs["time_unit"]`` does not record it.

        Returns
        -------
        self

        Examples
        --------
        >>> import clvkit as ck
        >>> subscribers = ck.datasets.simulate_subscribers(2000, time_unit="M", seed=1)
        >>> value = ck.SubscriptionValue().fit(subscribers)
        >>> value.retention_model_.params_.round(3).tolist(), value.time_unit_
        ([0.683, 3.971], 'M')
        """
        if self.retention_model is None:
            model: ContractualModel = ShiftedBetaGeo()
        elif isinstance(self.retention_model, ContractualModel):
            model = clone(self.retention_model)
        else:
            raise InputError(
                "The 'retention_model' parameter must be a contractual model (an unfitted "
                f"template such as ck.ShiftedBetaGeo()). Got {self.retention_model!r}."
            )
        if not isinstance(customers, pd.DataFrame):
            raise InputError(
                "SubscriptionValue.fit needs a customers DataFrame with tenure and churned "
                f"columns. Got {type(customers).__name__}."
            )
        model.fit(customers, tenure=tenure, churned=churned, weights=weights, time_unit=time_unit)
        self._adopt(model)
        return self

    @classmethod
    def from_models(cls, retention_model: ContractualModel) -> Self:
        """Wrap an already fitted (or ``from_params``) contractual model.

        Examples
        --------
        >>> import clvkit as ck
        >>> sbg = ck.ShiftedBetaGeo.from_params(gamma=0.668, delta=3.806, time_unit="Y")
        >>> ck.SubscriptionValue.from_models(sbg).time_unit_
        'Y'
        """
        if not isinstance(retention_model, ContractualModel):
            raise InputError(
                "SubscriptionValue.from_models needs a contractual model (ShiftedBetaGeo). "
                f"Got {type(retention_model).__name__}."
            )
        check_is_fitted(retention_model)
        out = cls()
        out._adopt(retention_model)
        return out

    def _adopt(self, model: ContractualModel) -> None:
        self.retention_model_ = model
        self.time_unit_ = model.time_unit_
        self.grain_: str | None = None
        self.n_customers_ = model.n_customers_

    def _check_fitted(self) -> None:
        if not hasattr(self, "retention_model_"):
            raise NotFittedError(
                "This SubscriptionValue is not fitted yet; call fit(customers) or "
                "SubscriptionValue.from_models(...)."
            )

    # -- prediction -------------------------------------------------------------------------
    def predict_clv(
        self,
        customers: pd.DataFrame,
        *,
        horizon: float | str,
        discount_rate: float = 0.0,
        margin: float | str | pd.Series | np.ndarray = 1.0,
        lifecycle: LifecycleRules | None = None,
        tenure: Hashable = "tenure",
        churned: Hashable = "churned",
        revenue: Hashable = "revenue_per_period",
        revenue_to_date: Hashable = "revenue_to_date",
        time_unit: str | None = None,
    ) -> pd.DataFrame:
        """Actual and potential value of each subscriber over ``horizon``.

        Parameters
        ----------
        customers : DataFrame
            One row per subscriber: tenure (whole periods completed), churned (bool or
            0/1), revenue per period and revenue to date (currency, >= 0).
        horizon : float, str or "all"
            A number of periods, a calendar span (``"2Y"``, ``"24M"``), or ``"all"`` for
            the whole residual lifetime (needs ``discount_rate > 0``).
        discount_rate : float, default 0
            Yearly rate in [0, 1] (0.10 for 10 %), converted to the model's period.
        margin : float, str or array-like, default 1
            Profit margin in [0, 1]: one number, a column name, or one value per customer.
        lifecycle : LifecycleRules, optional
            Thresholds of ``lifecycle_stage`` (see the module notes); default
            ``LifecycleRules()``.
        tenure, churned, revenue, revenue_to_date : str
            Column names; defaults ``"tenure"``, ``"churned"``, ``"revenue_per_period"``,
            ``"revenue_to_date"``.
        time_unit : str, optional
            The period ``tenure`` counts, when the frame does not record it in
            ``attrs["time_unit"]`` (a CSV round trip, ``merge`` or ``concat`` loses it).
            A frame in no known period is refused when the model has one; a period other
            than the model's is refused (nothing is rescaled).

        Returns
        -------
        DataFrame
            Indexed like ``customers``: the columns of :data:`clvkit.value.CLV_COLUMNS`
            (``expected_purchases`` counts renewals, ``expected_spend`` is the revenue
            per period) and ``lifecycle_stage``; :func:`clvkit.segment_summary` reads it
            as it reads CLVModel's.

        Examples
        --------
        >>> import clvkit as ck
        >>> subscribers = ck.datasets.simulate_subscribers(2000, time_unit="M", seed=1)
        >>> value = ck.SubscriptionValue().fit(subscribers)
        >>> clv = value.predict_clv(subscribers, horizon="12M", discount_rate=0.1, margin=0.8)
        >>> round(float(clv["actual_clv"].sum()))
        192893
        >>> bool((clv["potential_clv"] >= clv["actual_clv"]).all())
        True
        """
        self._check_fitted()
        model = self.retention_model_
        caller = "SubscriptionValue.predict_clv"
        if not isinstance(customers, pd.DataFrame):
            raise InputError(f"{caller} needs a customers DataFrame.")
        subs = read_subscribers(
            customers,
            {
                "tenure": tenure,
                "churned": churned,
                "revenue": revenue,
                "revenue_to_date": revenue_to_date,
            },
            caller=caller,
            nonnegative=("revenue", "revenue_to_date"),
        )
        recorded, fitted = subs.time_unit, model.time_unit_
        if time_unit is not None:
            check_time_unit(time_unit)
            if recorded is not None and recorded != time_unit:
                raise UnitError(
                    f"{caller}: time_unit={time_unit!r} contradicts the customers frame, "
                    f"whose attrs['time_unit'] records {recorded!r}."
                )
            recorded = time_unit
        if recorded is None and fitted is not None:
            raise UnitError(
                f"{caller}: the customers frame records no period, so its tenure could "
                f"count months or years (cohort tables and simulate_subscribers record it "
                f"in frame.attrs['time_unit'], which a CSV round trip, merge or concat can "
                f"lose); the model counts {fitted!r} periods: pass time_unit={fitted!r} if "
                "tenure counts those. Nothing is rescaled silently."
            )
        if recorded is not None and fitted is not None and recorded != fitted:
            raise UnitError(
                f"The customers frame counts tenure in {recorded!r} periods but the model "
                f"was fitted in {fitted!r}. Nothing is rescaled silently."
            )
        margins = margin_values(margin, customers, subs.n)
        K = model.renewals_in(horizon)
        if K == 0:
            raise UnitError(f"The 'horizon' argument must be > 0. Got {horizon!r} instead.")
        rate = per_period_rate(discount_rate, model.time_unit_)
        if K is None and rate == 0.0:
            raise InputError(
                "horizon='all' needs a discount_rate > 0: undiscounted, a subscriber who "
                "renews forever is worth an infinite amount (and so is the expected value "
                "when gamma <= 1)."
            )
        rules = LifecycleRules() if lifecycle is None else lifecycle
        if not isinstance(rules, LifecycleRules):
            raise InputError("The 'lifecycle' argument must be a clvkit LifecycleRules.")
        new_within, window = rules.windows(model.time_unit_)

        n = subs["tenure"]
        left = subs["churned"] > 0
        active = ~left
        # every quantity depends on the tenure alone: once per distinct tenure
        codes = n.astype(np.int64)
        present = np.zeros(int(codes.max()) + 1, dtype=bool)
        present[codes[active]] = True
        distinct = np.flatnonzero(present).astype(np.float64)
        lookup = np.zeros(present.size, dtype=np.int64)
        lookup[present] = np.arange(distinct.size)
        per = lookup[codes]
        # per distinct tenure, plus a last slot of zeros where every churned customer points
        slot = np.where(active, per, distinct.size)
        plain = worth = still = np.zeros(distinct.size)
        if distinct.size:
            worth = np.asarray(
                model.expected_renewals(
                    distinct, "all" if K is None else K, discount_rate=discount_rate
                )
            )
            # over the whole lifetime the undiscounted count is infinite when gamma <= 1:
            # report the discounted one (DERL) there
            plain = worth if K is None else np.asarray(model.expected_renewals(distinct, K))
            still = np.asarray(model.conditional_survival(distinct, max(1, round(window))))
        if K is None:
            full = (1.0 + rate) / rate
        elif rate == 0.0:
            full = float(K)
        else:
            full = -math.expm1(-K * math.log1p(rate)) * (1.0 + rate) / rate
        revenue_v = subs["revenue"]
        # the value columns are written into one block, which becomes the frame uncopied
        block = np.empty((len(CLV_COLUMNS), subs.n))
        p_alive, renewals, spend, historical, expected, potential, risk, actual, best = block
        np.subtract(1.0, subs["churned"], out=p_alive)
        np.take(np.append(plain, 0.0), slot, out=renewals)
        spend[:] = revenue_v
        np.multiply(margins, subs["revenue_to_date"], out=historical)
        np.take(np.append(worth, 0.0), slot, out=expected)
        expected *= revenue_v
        expected *= margins
        np.multiply(revenue_v, margins * full, out=potential)
        np.subtract(potential, expected, out=risk)
        np.add(historical, expected, out=actual)
        np.add(historical, potential, out=best)
        p_active = np.take(np.append(still, 0.0), slot)
        stages = assign_stages(rules, T=n, frequency=n, p_active=p_active, new_within=new_within)
        # for subscribers win-back means "left"; the at-risk active ones are revival
        stages = np.where(active & (stages == _WIN_BACK), _REVIVAL, stages)
        stages = np.where(left, _WIN_BACK, stages).astype(np.int8)
        out = pd.DataFrame(block.T, index=customers.index, columns=list(CLV_COLUMNS), copy=False)
        out["lifecycle_stage"] = stages_categorical(stages)
        out.attrs["time_unit"] = model.time_unit_
        out.attrs["horizon"] = horizon
        out.attrs["discount_rate"] = discount_rate
        return out

    # -- model files ------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the model as JSON, atomically (no pickle); read it with :func:`clvkit.load_model`.

        Examples
        --------
        >>> import clvkit as ck, tempfile, os
        >>> sbg = ck.ShiftedBetaGeo.from_params(gamma=0.668, delta=3.806, time_unit="Y")
        >>> path = os.path.join(tempfile.mkdtemp(), "subs.json")
        >>> ck.SubscriptionValue.from_models(sbg).save(path)
        >>> ck.load_model(path).retention_model_
        ShiftedBetaGeo(gamma=0.668, delta=3.806, time_unit='Y')
        """
        self._check_fitted()
        persistence.save_model(self, path)

    def _to_components(self) -> dict[str, Any]:
        return {"retention": persistence.model_to_dict(self.retention_model_)}

    @classmethod
    def _from_components(
        cls, components: object, *, grain: str | None, where: str, version: int
    ) -> Self:
        parts = persistence.require_keys(components, {"retention"}, f"{where}: components")
        model = persistence.model_from_dict(
            parts["retention"], f"{where}: components.retention", version
        )
        if not isinstance(model, ContractualModel):
            raise ModelFileError(
                f"{where}: a SubscriptionValue holds a contractual model; got "
                f"{type(model).__name__}."
            )
        return cls.from_models(model)

    def __repr__(self) -> str:
        if not hasattr(self, "retention_model_"):
            return "SubscriptionValue()  # not fitted"
        return f"SubscriptionValue({self.retention_model_!r})"
