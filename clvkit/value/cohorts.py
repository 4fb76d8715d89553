"""The model's view of acquisition cohorts, beside the observed cohort table.

:func:`clvkit.data.retention.cohort_table` shows, for each acquisition cohort and age, the
share of the cohort that *bought* in that period. A fitted purchase model (any of
them) predicts two related quantities for the same cells:

- **active**: the expected share of the cohort making at least one purchase in the
  period. This is the quantity the observed table measures, so the two can be compared
  cell by cell.
- **alive**: the expected share still alive (not yet silently churned) at the start of
  the period. It is an upper bound of *active*: a living customer may skip a period.
  Observed tables cannot show it; never read an observed retention cell as P(alive).

Both are computed for exactly the cells the observed table holds (same cohorts, same
ages, unobserved cells NaN), from each customer's own acquisition day: a cohort acquired
over a month is the mixture of its customers' ages, not one "typical" age.

The formula for *active* (a new customer, acquired at 0, buying in ``(t1, t2]``) is the
model's ``probability_purchase_new_customer``, derived in its kernel and checked against a
seeded simulation of the model; *alive* is ``probability_alive_new_customer``.

Time: transaction dates are days, so the unknown time of day of each purchase is taken at
midday: a customer acquired on day ``d`` is exposed to period ``[s, e)`` (days) over
``(s − d − 1/2, e − d − 1/2]``, converted to the model's time unit with calendar-true
lengths (a month is 365.2425/12 days). An incomplete last period ends at the end of
observation, so its modelled share is understated exactly as the observed one is.
Age 0 is 1 for both quantities: the acquisition purchase falls in it by definition.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Literal

import numpy as np
import pandas as pd

from clvkit._time import DAYS_PER_UNIT
from clvkit.data.retention import Activity, activity, cohort_layout, table_attrs
from clvkit.errors import InputError, UnitError
from clvkit.models import PurchaseModel, purchase_model_of

__all__ = ["modelled_cohort_retention", "retention_comparison"]

_QUANTITIES = ("active", "alive")


def _check_model(model: object, caller: str) -> tuple[PurchaseModel, float]:
    """The fitted purchase model (itself or a CLVModel's) and its time unit in days."""
    purchase = purchase_model_of(model, caller)
    if purchase.time_unit_ is None:
        raise UnitError(
            f"The model passed to {caller} was fitted without a time unit, so calendar "
            "periods cannot be converted to its clock; fit it on an rfm_summary frame or "
            "with time_unit=..."
        )
    return purchase, DAYS_PER_UNIT[purchase.time_unit_]


def _check_quantity(quantity: object) -> str:
    if not isinstance(quantity, str) or quantity not in _QUANTITIES:
        raise InputError(
            "The 'quantity' argument of modelled_cohort_retention must be 'active' "
            f"(share buying in the period) or 'alive' (share alive at its start). "
            f"Got {quantity!r} instead."
        )
    return quantity


def _modelled_cells(act: Activity, model: PurchaseModel, unit_days: float) -> dict[str, np.ndarray]:
    """Observed and modelled cohort cells, each (n_cohorts, n_periods); NaN unobserved."""
    cohorts, size, observed = cohort_layout(act)
    n = act.n_periods
    day = act.acquired.view(np.int64)
    pair_key, counts = np.unique(act.cohort * (int(day.max()) + 1) + day, return_counts=True)
    pair_cohort, pair_day = np.divmod(pair_key, int(day.max()) + 1)
    n_ages = n - pair_cohort  # ages 0 .. n - 1 - cohort are observed
    pair = np.repeat(np.arange(pair_key.size), n_ages)
    age = np.arange(pair.size) - np.repeat(np.cumsum(n_ages) - n_ages, n_ages)
    k = pair_cohort[pair] + age
    bounds = act.bounds.view(np.int64)
    acquired = pair_day[pair] + 0.5  # midday of the acquisition day
    t1 = np.maximum(bounds[k] - acquired, 0.0) / unit_days
    t2 = (bounds[k + 1] - acquired) / unit_days
    later = age > 0
    alive = np.ones(pair.size)
    active = np.ones(pair.size)
    alive[later] = model.probability_alive_new_customer(t1[later])
    active[later] = model.probability_purchase_new_customer(t2[later] - t1[later], age=t1[later])

    cell = np.searchsorted(cohorts, pair_cohort[pair]) * n + age
    weight = counts[pair].astype(np.float64)
    out: dict[str, np.ndarray] = {}
    for name, values in (("alive", alive), ("active", active)):
        total = np.bincount(cell, weights=weight * values, minlength=cohorts.size * n)
        share = total.reshape(cohorts.size, n) / size[:, None]
        share[~observed] = np.nan
        out[name] = share
    row = np.searchsorted(cohorts, act.cohort[act.customer])
    buying = np.bincount(
        row * n + (act.k - act.cohort[act.customer]), minlength=cohorts.size * n
    ).reshape(cohorts.size, n)
    out["observed"] = np.where(observed, buying / size[:, None], np.nan)
    out["size"] = size
    out["cohorts"] = cohorts
    out["observed_mask"] = observed
    return out


def _cells(
    model: object,
    transactions: pd.DataFrame,
    period: str,
    customer_id: Hashable,
    datetime: Hashable,
    observation_end: object,
    datetime_format: str | None,
    incomplete: str,
    caller: str,
) -> tuple[Activity, dict[str, np.ndarray], str | None]:
    """Check the model, read the log's activity, compute the modelled cells; the unit."""
    purchase, unit_days = _check_model(model, caller)
    act = activity(
        transactions,
        period=period,
        customer_id=customer_id,
        datetime=datetime,
        monetary=None,
        observation_end=observation_end,
        datetime_format=datetime_format,
        incomplete=incomplete,
        caller=caller,
    )
    return act, _modelled_cells(act, purchase, unit_days), purchase.time_unit_


def modelled_cohort_retention(
    model: object,
    transactions: pd.DataFrame,
    period: str = "M",
    *,
    quantity: Literal["active", "alive"] = "active",
    customer_id: Hashable = "customer_id",
    datetime: Hashable = "date",
    observation_end: object = None,
    datetime_format: str | None = None,
    incomplete: Literal["flag", "drop"] = "flag",
) -> pd.DataFrame:
    """The model's cohort table: expected share of each cohort buying (or alive) by age.

    Same layout as ``cohort_table(transactions, period, "retention", ...)`` with the same
    arguments: same cohorts, same ages, NaN in the same unobserved cells.

    Parameters
    ----------
    model : purchase model or CLVModel
        Any fitted purchase model with a time unit (e.g. fitted on
        :func:`clvkit.rfm_summary` output, or built with
        ``BetaGeo.from_params(..., time_unit="W")``), or a CLVModel.
    transactions : pandas.DataFrame
        The log the cohorts come from (validated as by :func:`clvkit.rfm_summary`). Only
        each customer's acquisition day is used; later purchases do not enter the model's
        prediction.
    period : {"W", "M", "Q", "Y"}, default "M"
    quantity : {"active", "alive"}, default "active"
        ``"active"``: expected share of the cohort making at least one purchase in the
        period, directly comparable with the observed table. ``"alive"``: expected
        share not yet churned at the start of the period (an upper bound of "active";
        not observable). Both are 1 at age 0.
    customer_id, datetime, observation_end, datetime_format, incomplete
        As in :func:`clvkit.data.retention.cohort_table`.

    Returns
    -------
    pandas.DataFrame, shape (n_cohorts, n_periods)
        Shares in [0, 1]; index ``cohort`` (PeriodIndex), columns ``age`` (periods).
        ``attrs`` holds ``period``, ``quantity``, ``observation_end``,
        ``incomplete_period`` and ``time_unit`` (the model's).

    Raises
    ------
    clvkit.errors.InputError
        If ``model`` is not a purchase model or CLVModel, the log breaks a rule, or
        ``quantity`` is unknown.
    clvkit.errors.NotFittedError
        If the model is not fitted.
    clvkit.errors.UnitError
        If ``period`` is unsupported or the model has no time unit.

    Examples
    --------
    >>> import clvkit as ck
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> modelled = ck.modelled_cohort_retention(bg, tx, period="Q")
    >>> modelled.round(3).iloc[0, :4].tolist()  # the model's share buying, by quarter of age
    [1.0, 0.234, 0.182, 0.153]
    """
    quantity = _check_quantity(quantity)  # type: ignore[assignment]
    act, cells, unit = _cells(
        model,
        transactions,
        period,
        customer_id,
        datetime,
        observation_end,
        datetime_format,
        incomplete,
        "modelled_cohort_retention",
    )
    out = pd.DataFrame(
        cells[quantity],
        index=act.periods[cells["cohorts"]].rename("cohort"),
        columns=pd.RangeIndex(act.n_periods, name="age"),
    )
    out.attrs.update(table_attrs(act, quantity=quantity, time_unit=unit))
    return out


def retention_comparison(
    model: object,
    transactions: pd.DataFrame,
    period: str = "M",
    *,
    customer_id: Hashable = "customer_id",
    datetime: Hashable = "date",
    observation_end: object = None,
    datetime_format: str | None = None,
    incomplete: Literal["flag", "drop"] = "flag",
) -> pd.DataFrame:
    """Observed and modelled cohort retention by age, pooled over the same cohorts.

    At each age, only the cohorts that have lived through it are pooled, each weighted
    by its size; the observed and the modelled columns are pooled over exactly the same
    cells (those of :func:`clvkit.data.retention.cohort_table`).

    Parameters
    ----------
    model, transactions, period, customer_id, datetime, observation_end,
    datetime_format, incomplete
        As in :func:`modelled_cohort_retention`.

    Returns
    -------
    pandas.DataFrame, shape (n_periods, 5)
        Indexed by ``age`` (periods since acquisition). Columns:

        - ``cohorts`` (int): number of cohorts observed at that age;
        - ``customers`` (int): their total size;
        - ``observed``: share of those customers who bought at that age;
        - ``modelled_active``: the model's expected share buying at that age;
        - ``modelled_alive``: the model's expected share alive at the start of it.

        ``attrs`` as in :func:`modelled_cohort_retention`.

    Examples
    --------
    >>> import clvkit as ck
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> pooled = ck.retention_comparison(bg, tx, period="Q")
    >>> pooled.columns.tolist()
    ['cohorts', 'customers', 'observed', 'modelled_active', 'modelled_alive']
    >>> pooled.loc[1, ["observed", "modelled_active"]].round(3).tolist()
    [0.222, 0.234]
    """
    act, cells, unit = _cells(
        model,
        transactions,
        period,
        customer_id,
        datetime,
        observation_end,
        datetime_format,
        incomplete,
        "retention_comparison",
    )
    mask = cells["observed_mask"]
    weight = np.where(mask, cells["size"][:, None], 0).astype(np.float64)
    customers = weight.sum(axis=0)

    def pooled(values: np.ndarray) -> np.ndarray:
        return np.asarray(np.nansum(values * weight, axis=0) / customers)

    out = pd.DataFrame(
        {
            "cohorts": mask.sum(axis=0),
            "customers": customers.astype(np.int64),
            "observed": pooled(cells["observed"]),
            "modelled_active": pooled(cells["active"]),
            "modelled_alive": pooled(cells["alive"]),
        },
        index=pd.RangeIndex(act.n_periods, name="age"),
    )
    out.attrs.update(table_attrs(act, time_unit=unit))
    return out
