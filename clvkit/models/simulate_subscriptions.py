"""Seeded simulation of subscribers from a contractual model's own story.

Customers are acquired at the start of the periods ``0 .. periods - 1`` of an observation
window (uniformly over them) and renew at the end of every period until their lifetime,
drawn from the model (sBG: a churn probability per customer, Beta across customers, then
a shifted-geometric lifetime), runs out. Observation stops at the end of period
``periods - 1``, so a customer acquired in period ``a`` has faced ``periods - 1 - a``
renewal decisions. Three views of the same draws (one seed, one set of customers):

- :func:`simulate_subscribers`: one row per subscriber (tenure, churned, revenues), with
  the latent lifetime no real data show;
- :func:`simulate_survival_counts`: survivors by cohort and period, the layout of
  ``cohort_table(payments, metric="customers")``;
- :func:`simulate_subscription_payments`: the log of payments itself, one per period
  paid for, on the first day of the period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clvkit._time import check_time_unit
from clvkit.errors import InputError, UnitError
from clvkit.models.contractual import ContractualModel
from clvkit.models.shifted_beta_geo import ShiftedBetaGeo

__all__ = [
    "SBG_HIGH_END_PARAMS",
    "SBG_REGULAR_PARAMS",
    "simulate_subscribers",
    "simulate_subscription_payments",
    "simulate_survival_counts",
]

#: Fader & Hardie (2007), "How to project customer retention": the "regular" segment
#: (yearly renewals), fitted on years 0-7.
SBG_REGULAR_PARAMS: dict[str, float] = {"gamma": 0.704, "delta": 1.182}
#: Fader & Hardie (2007): the "high end" segment (yearly renewals), fitted on years 0-7.
SBG_HIGH_END_PARAMS: dict[str, float] = {"gamma": 0.668, "delta": 3.806}

_CALENDAR = ("W", "M", "Q", "Y")


@dataclass(frozen=True)
class _Draw:
    cohort: np.ndarray  # acquisition period, 0 .. periods - 1
    lifetime: np.ndarray  # periods paid for if observed forever (latent), >= 1
    observed: np.ndarray  # renewal decisions observed: periods - 1 - cohort
    revenue: np.ndarray  # revenue per period

    @property
    def churned(self) -> np.ndarray:
        return self.lifetime <= self.observed

    @property
    def tenure(self) -> np.ndarray:
        return np.minimum(self.lifetime, self.observed)

    @property
    def payments(self) -> np.ndarray:
        """Periods paid for by the end of observation (the current one included)."""
        return np.where(self.churned, self.lifetime, self.observed + 1)


def _model(model: object, params: Mapping[str, float] | None, time_unit: str) -> ContractualModel:
    if model is not None:
        if params is not None:
            raise InputError("Pass either 'model' or 'params', not both.")
        if not isinstance(model, ContractualModel) or not model.is_fitted:
            raise InputError(
                "The 'model' argument must be a contractual model with parameters, e.g. "
                f"ck.ShiftedBetaGeo.from_params(gamma=0.7, delta=1.2). Got {model!r}."
            )
        if model.time_unit_ is not None and model.time_unit_ != time_unit:
            raise UnitError(
                f"The model's periods are {model.time_unit_!r}, but time_unit={time_unit!r} "
                "was asked for; nothing is rescaled silently."
            )
        return model
    given = dict(SBG_HIGH_END_PARAMS if params is None else params)
    try:
        return ShiftedBetaGeo.from_params(time_unit=time_unit, **given)
    except InputError as exc:
        raise InputError(f"The 'params' argument: {exc}") from exc


def _count(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(f"The {name!r} argument must be an integer >= 1. Got {value!r}.")
    return int(value)


def _draw(
    n_customers: object,
    model: object,
    params: Mapping[str, float] | None,
    periods: object,
    revenue_per_period: object,
    time_unit: str,
    seed: int | None,
) -> _Draw:
    n = _count(n_customers, "n_customers")
    n_periods = _count(periods, "periods")
    check_time_unit(time_unit)
    contract = _model(model, params, time_unit)
    revenue = np.broadcast_to(np.asarray(revenue_per_period, dtype=float), (n,)).copy()
    if not np.all(np.isfinite(revenue) & (revenue >= 0)):
        raise InputError("The 'revenue_per_period' argument must be finite and >= 0.")
    rng = np.random.default_rng(seed)
    cohort = np.sort(rng.integers(0, n_periods, size=n))
    lifetime = contract._simulate_lifetimes(rng, n)
    return _Draw(cohort=cohort, lifetime=lifetime, observed=n_periods - 1 - cohort, revenue=revenue)


def simulate_subscribers(
    n_customers: int,
    *,
    model: ContractualModel | None = None,
    params: Mapping[str, float] | None = None,
    periods: int = 36,
    revenue_per_period: float | np.ndarray = 10.0,
    time_unit: str = "M",
    seed: int | None = 0,
) -> pd.DataFrame:
    """Simulate one row per subscriber, as :class:`clvkit.SubscriptionValue` reads them.

    Parameters
    ----------
    n_customers : int
    model : contractual model, optional
        Any contractual model with parameters, e.g. ``ck.ShiftedBetaGeo.from_params(...)``.
        Default: sBG at ``params``.
    params : mapping, optional
        ``gamma``, ``delta`` of an sBG when ``model`` is not given; default Fader & Hardie's
        (2007) "high end" estimates (:data:`SBG_HIGH_END_PARAMS`).
    periods : int, default 36
        Length of the observation window, in periods; customers are acquired uniformly
        over it.
    revenue_per_period : float or (n_customers,) array, default 10
        What each customer pays per period, currency.
    time_unit : str, default "M"
        The period; recorded in ``attrs["time_unit"]``.
    seed : int or None
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    DataFrame
        Index ``customer_id`` 0..n-1, sorted by acquisition; columns ``cohort``
        (acquisition period, 0-based), ``tenure`` (whole periods completed: renewals
        made, or periods paid for by a customer who left), ``churned`` (bool),
        ``revenue_per_period``, ``revenue_to_date`` (periods paid for, the current one
        included, times the revenue per period) and ``lifetime``, the latent number of
        periods the customer will pay for in all (no real data show it for active
        customers; it checks predictions).

    Examples
    --------
    >>> import clvkit as ck
    >>> subs = ck.datasets.simulate_subscribers(1000, seed=3)
    >>> list(subs.columns)
    ['cohort', 'tenure', 'churned', 'revenue_per_period', 'revenue_to_date', 'lifetime']
    """
    draw = _draw(n_customers, model, params, periods, revenue_per_period, time_unit, seed)
    out = pd.DataFrame(
        {
            "cohort": draw.cohort,
            "tenure": draw.tenure,
            "churned": draw.churned,
            "revenue_per_period": draw.revenue,
            "revenue_to_date": draw.payments * draw.revenue,
            "lifetime": draw.lifetime,
        },
        index=pd.RangeIndex(draw.cohort.size, name="customer_id"),
    )
    out.attrs["time_unit"] = time_unit
    return out


def simulate_survival_counts(
    n_customers: int,
    *,
    model: ContractualModel | None = None,
    params: Mapping[str, float] | None = None,
    periods: int = 36,
    time_unit: str = "M",
    seed: int | None = 0,
) -> pd.DataFrame:
    """Simulate survivors by acquisition cohort and period: a staircase of cohorts.

    The same draws as :func:`simulate_subscribers` with the same arguments, counted as
    :func:`clvkit.cohort_table` counts a payment log with ``metric="customers"``.

    Returns
    -------
    DataFrame, shape (periods, periods)
        Index ``cohort`` (acquisition period 0 .. periods - 1), columns ``age``
        (periods since acquisition); cell ``(a, t)`` is the number of customers of cohort
        ``a`` still active after ``t`` periods, NaN where cohort ``a`` has not reached
        age ``t``. ``attrs``: ``period`` and ``metric="customers"``, as a cohort table's.

    Examples
    --------
    >>> import clvkit as ck
    >>> counts = ck.datasets.simulate_survival_counts(5000, periods=12, seed=1)
    >>> sbg = ck.ShiftedBetaGeo().fit_survival(counts)
    >>> sbg.time_unit_
    'M'
    """
    n_periods = _count(periods, "periods")
    draw = _draw(n_customers, model, params, n_periods, 0.0, time_unit, seed)
    ages = np.arange(n_periods)
    counts = np.full((n_periods, n_periods), np.nan)
    for a in range(n_periods):
        lifetimes = draw.lifetime[draw.cohort == a]
        observed = n_periods - 1 - a
        sorted_lt = np.sort(lifetimes)
        # survivors after t periods: lifetimes > t
        alive = lifetimes.size - np.searchsorted(sorted_lt, ages[: observed + 1], side="right")
        counts[a, : observed + 1] = alive
    out = pd.DataFrame(
        counts,
        index=pd.RangeIndex(n_periods, name="cohort"),
        columns=pd.RangeIndex(n_periods, name="age"),
    )
    out.attrs.update({"period": time_unit, "metric": "customers", "incomplete_period": None})
    return out


def simulate_subscription_payments(
    n_customers: int,
    *,
    model: ContractualModel | None = None,
    params: Mapping[str, float] | None = None,
    periods: int = 36,
    revenue_per_period: float | np.ndarray = 10.0,
    time_unit: str = "M",
    start: str = "2023-01-01",
    seed: int | None = 0,
) -> pd.DataFrame:
    """Simulate the payment log of subscribers: one payment per period paid for.

    The same customers as :func:`simulate_subscribers` with the same arguments. Each
    payment falls on the first day of its calendar period; period 0 is the one holding
    ``start``.

    Parameters
    ----------
    time_unit : {"W", "M", "Q", "Y"}
        A calendar period (weeks from Monday).
    start : str
        A day in the first period.

    Returns
    -------
    DataFrame
        Columns ``customer_id``, ``date``, ``amount``, sorted by customer and date.
        ``attrs["observation_end"]`` is the last day of the window (pass it to
        :func:`clvkit.cohort_table` so that the last period counts as complete).

    Examples
    --------
    >>> import clvkit as ck
    >>> pay = ck.datasets.simulate_subscription_payments(500, periods=12, seed=2)
    >>> table = ck.cohort_table(pay, period="M", metric="customers",
    ...                         observation_end=pay.attrs["observation_end"])
    >>> bool((table.diff(axis=1) > 0).to_numpy().any())  # survivors never increase
    False
    """
    if time_unit not in _CALENDAR:
        raise UnitError(
            f"simulate_subscription_payments needs a calendar period among {list(_CALENDAR)}; "
            f"got time_unit={time_unit!r}."
        )
    draw = _draw(n_customers, model, params, periods, revenue_per_period, time_unit, seed)
    first = pd.Period(pd.Timestamp(start), freq=time_unit)
    pay = draw.payments.astype(np.int64)
    owner = np.repeat(np.arange(pay.size), pay)
    starts = np.cumsum(pay) - pay
    offset = draw.cohort[owner] + (np.arange(owner.size) - starts[owner])
    grid = pd.period_range(first, periods=int(periods), freq=time_unit)
    dates = grid.start_time[offset]
    out = pd.DataFrame(
        {"customer_id": owner, "date": dates, "amount": draw.revenue[owner]},
    )
    out.attrs["observation_end"] = str(grid[-1].end_time.date())
    return out
