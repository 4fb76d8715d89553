"""Customer value as cash flows: what each step of the horizon is expected to bring.

:func:`clv_cashflows` cuts the horizon into the discounting steps of
:meth:`clvkit.CLVModel.predict_clv` (one model time unit unless ``step`` says
otherwise) and gives, per customer or per segment and per step, the expected purchases
in the step, their expected value, the step's discount factor, the discounted value and
the cumulative discounted value. Summed over the steps, the discounted value is
``predict_clv``'s ``expected_value``. With ``interval``, each of these has bounds; a
segment's bounds are those of its total per step (evaluated draw by draw, or by the
gradient of the total), never sums of its customers' bounds.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd

from clvkit._validation import check_rule, renamed_argument
from clvkit.errors import InputError
from clvkit.models.gamma_gamma import spend_frequency
from clvkit.models.uncertainty import (
    CELLS,
    DEFAULT_DRAWS,
    IntervalOptions,
    Plan,
    check_n_jobs,
    interval_options,
)
from clvkit.value.clv import CLVModel, margin_values
from clvkit.value.discount import Schedule, schedule
from clvkit.value.lifecycle import LifecycleRules, stages_categorical
from clvkit.value.propagate import BlockValues, clv_blocks

__all__ = ["CASHFLOW_COLUMNS", "clv_cashflows", "pivot_cashflows"]

#: The value columns of :func:`clv_cashflows`, in order.
CASHFLOW_COLUMNS: tuple[str, ...] = (
    "expected_purchases",
    "expected_value",
    "discount_factor",
    "discounted_value",
    "cumulative_value",
)
#: the columns that carry bounds with an interval (the discount factor is fixed)
_BOUNDED = ("expected_purchases", "expected_value", "discounted_value", "cumulative_value")


def clv_cashflows(
    model: CLVModel,
    customers: pd.DataFrame,
    *,
    horizon: float | str,
    discount_rate: float = 0.0,
    margin: float | str | pd.Series | np.ndarray = 1.0,
    step: float | str | None = None,
    by: Hashable | pd.Series | None = None,
    total: bool = False,
    lifecycle: LifecycleRules | None = None,
    interval: float | None = None,
    method: str = "delta",
    n_draws: int = DEFAULT_DRAWS,
    random_state: object = None,
    draws: pd.DataFrame | None = None,
    n_jobs: int = 1,
    time_unit: str | None = None,
    period: float | str | None = None,
) -> pd.DataFrame:
    """Expected value per discounting step, per customer or per segment.

    Parameters
    ----------
    model : CLVModel
        A fitted model.
    customers : DataFrame
        As for :meth:`clvkit.CLVModel.predict_clv`.
    horizon, discount_rate, margin, step
        As for :meth:`clvkit.CLVModel.predict_clv`: the steps are ``step`` long (one
        model time unit by default), the last one shorter when ``horizon`` is not a
        multiple, and step ``k`` is discounted by ``(1 + discount_rate) ** (t_k / year)``.
    by : str or Series, optional
        Segments: ``"lifecycle"`` (the stages of ``predict_clv``), a column of
        ``customers`` or a Series of labels indexed like it. None: one row per customer
        and step.
    total : bool, default False
        With ``by``, add the segment ``"total"`` (all customers) after the others, with
        its own interval (that of the total, not a sum of the segments' bounds).
    lifecycle : LifecycleRules, optional
        Thresholds of the stages for ``by="lifecycle"``.
    interval : float, optional
        Level of an interval for the parameter uncertainty of both models (0.9 for
        90 %): ``<column>_lower`` and ``<column>_upper`` after each column but the
        discount factor.
    method, n_draws, random_state, draws, n_jobs
        How the interval is computed, as for :meth:`clvkit.CLVModel.predict_clv`.
    time_unit : str, optional
        The unit of a frame that does not record it, as for
        :meth:`clvkit.CLVModel.predict_clv`.
    period : float or str, optional
        Deprecated name of ``step``.

    Returns
    -------
    DataFrame
        Long format: one row per customer (or segment) and step, indexed by
        ``(customer id or segment, step)`` with steps numbered from 1; columns
        ``period_start`` and ``period_end`` (model time units since the end of
        observation), then :data:`CASHFLOW_COLUMNS` (currency units but
        ``expected_purchases`` and ``discount_factor``) with their bounds.
        :func:`pivot_cashflows` turns it wide.

    Examples
    --------
    >>> import clvkit as ck
    >>> rfm = ck.datasets.simulate_rfm(1000, seed=5)
    >>> model = ck.CLVModel().fit(rfm)
    >>> flows = ck.clv_cashflows(model, rfm, horizon=12, discount_rate=0.1, by="lifecycle")
    >>> clv = model.predict_clv(rfm, horizon=12, discount_rate=0.1)
    >>> bool(abs(flows["discounted_value"].sum() / clv["expected_value"].sum() - 1) < 1e-9)
    True
    """
    caller = "clv_cashflows"
    step = renamed_argument(caller, "period", period, "step", step)
    options = interval_options(
        interval,
        method=method,
        n_draws=n_draws,
        random_state=random_state,
        draws=draws,
        caller=caller,
    )
    jobs = check_n_jobs(n_jobs, caller)
    if not isinstance(model, CLVModel):
        raise InputError(
            f"The 'model' argument of {caller} must be a fitted CLVModel. "
            f"Got {type(model).__name__}."
        )
    model._check_fitted()
    if not isinstance(customers, pd.DataFrame):
        raise InputError(
            f"The 'customers' argument of {caller} must be a DataFrame. "
            f"Got {type(customers).__name__}."
        )
    if not isinstance(total, bool):
        raise InputError(f"The 'total' argument of {caller} must be True or False.")
    rfm = model.read_customers(customers, None, time_unit=time_unit, caller=caller)
    margins = margin_values(margin, customers, rfm.n)
    steps = schedule(horizon, time_unit=model.time_unit_, discount_rate=discount_rate, step=step)
    purchase, spend_model = model.purchase_model_, model.spend_model_
    x_name, _, T_name = purchase.columns
    if spend_model.mean_spend() == float("inf") and np.any(
        spend_frequency(rfm[x_name], rfm["monetary_value"]) == 0
    ):
        raise InputError(
            f"The spend model's q = {spend_model.params_['q']:.4g} is <= 1: customers "
            "without a repeat purchase have no finite value. Refit with "
            "GammaGamma(q_constraint=True)."
        )
    labels = None if by is None else _segment_labels(model, customers, rfm, by, lifecycle)
    if total and labels is None:
        raise InputError(f"{caller}: total=True needs segments (by=...).")
    p_alive = np.asarray(purchase.probability_alive(rfm))
    spend = np.asarray(spend_model.expected_spend(rfm))
    weight = np.asarray(margins * spend, dtype=np.float64)
    pairs, pair_of = rfm.distinct_pairs(x_name, T_name)
    increments = _increments(model, pairs, steps)  # (pairs, K)
    K = steps.ends.size
    if labels is None:
        point = _per_customer_point(p_alive, weight, increments, pair_of, steps)
        names = customers.index
    else:
        codes, names = labels
        point = _per_segment_point(p_alive, weight, increments, pair_of, codes, len(names), steps)
        if total:
            point = {k: np.vstack([v, v.sum(axis=0, keepdims=True)]) for k, v in point.items()}
            point["discount_factor"] = np.broadcast_to(steps.factors, point["expected_value"].shape)
            names = pd.Index([*names, "total"], name=names.name)
    bounds = None
    if options is not None:
        bounds = _bounds(model, rfm, margins, steps, options, point, labels, total, jobs, caller)
    return _frame(point, bounds, names, steps, K, model, horizon, discount_rate)


def pivot_cashflows(
    cashflows: pd.DataFrame, column: str = "discounted_value", *, by: str = "step"
) -> pd.DataFrame:
    """One row per customer or segment, one column per step: a wide view of a column.

    Parameters
    ----------
    cashflows : DataFrame
        Output of :func:`clv_cashflows`.
    column : str, default "discounted_value"
        Any column of it (a bound, too).
    by : {"step", "period_end"}, default "step"
        Label the columns by step number or by the step's end (model time units).

    Returns
    -------
    DataFrame
        Indexed like the first index level of ``cashflows``, one column per step.

    Examples
    --------
    >>> import clvkit as ck
    >>> rfm = ck.datasets.simulate_rfm(500, seed=5)
    >>> model = ck.CLVModel().fit(rfm)
    >>> flows = ck.clv_cashflows(model, rfm, horizon=4, by="lifecycle")
    >>> ck.pivot_cashflows(flows).shape[1]
    4
    """
    if not isinstance(cashflows, pd.DataFrame) or cashflows.index.nlevels != 2:
        raise InputError(
            "pivot_cashflows needs the long frame of clv_cashflows (indexed by customer or "
            "segment, and step)."
        )
    if column not in cashflows.columns:
        raise InputError(
            f"The 'column' argument names {column!r}, which the cash flows do not have; "
            f"they have {list(cashflows.columns)}."
        )
    if by not in ("step", "period_end"):
        raise InputError(f"The 'by' argument must be 'step' or 'period_end'. Got {by!r}.")
    wide = cashflows[column].unstack(level=1, sort=False)  # noqa: PD010 - a reshape, no aggregation
    if by == "period_end":
        ends = cashflows["period_end"].groupby(level=1, sort=False).first()
        wide.columns = pd.Index(ends.loc[wide.columns].to_numpy(), name="period_end")
    return wide


# -- point values ------------------------------------------------------------------------
def _increments(model: CLVModel, pairs: Any, steps: Schedule) -> np.ndarray:
    """Expected purchases while alive in each step, per distinct (x, T) pair: (pairs, K)."""
    K = steps.ends.size
    out = np.empty((pairs.n, K))
    block = max(1, CELLS // K)
    purchase = model.purchase_model_
    params = purchase._fitted_for(pairs)
    for start in range(0, pairs.n, block):
        rows = slice(start, min(start + block, pairs.n))
        curve = purchase._alive_curve(pairs.take(rows), steps.ends, params)
        out[rows] = np.diff(curve, axis=1, prepend=0.0)
    return out


def _per_customer_point(
    p_alive: np.ndarray,
    weight: np.ndarray,
    increments: np.ndarray,
    pair_of: np.ndarray,
    steps: Schedule,
) -> dict[str, np.ndarray]:
    purchases = p_alive[:, None] * increments[pair_of]
    value = weight[:, None] * purchases
    return _derived(purchases, value, steps)


def _per_segment_point(
    p_alive: np.ndarray,
    weight: np.ndarray,
    increments: np.ndarray,
    pair_of: np.ndarray,
    codes: np.ndarray,
    S: int,
    steps: Schedule,
) -> dict[str, np.ndarray]:
    n_pairs = increments.shape[0]
    key = pair_of * S + codes
    w_purchases = np.bincount(key, weights=p_alive, minlength=n_pairs * S).reshape(n_pairs, S)
    w_value = np.bincount(key, weights=p_alive * weight, minlength=n_pairs * S).reshape(n_pairs, S)
    purchases = np.einsum("ps,pk->sk", w_purchases, increments)
    value = np.einsum("ps,pk->sk", w_value, increments)
    return _derived(purchases, value, steps)


def _derived(purchases: np.ndarray, value: np.ndarray, steps: Schedule) -> dict[str, np.ndarray]:
    discounted = value * steps.factors
    return {
        "expected_purchases": purchases,
        "expected_value": value,
        "discount_factor": np.broadcast_to(steps.factors, value.shape),
        "discounted_value": discounted,
        "cumulative_value": np.cumsum(discounted, axis=-1),
    }


# -- segments ------------------------------------------------------------------------------
def _segment_labels(
    model: CLVModel,
    customers: pd.DataFrame,
    rfm: Any,
    by: object,
    lifecycle: LifecycleRules | None,
) -> tuple[np.ndarray, pd.Index]:
    """Each customer's segment code and the segments (lifecycle stages in process order,
    other labels sorted)."""
    if isinstance(by, pd.Series):
        if not by.index.equals(customers.index):
            missing = ~customers.index.isin(by.index)
            check_rule(
                np.asarray(missing),
                "The 'by' Series",
                "must have a label for every customer",
                customers.index,
            )
            by = by.reindex(customers.index)
        labels = by
    elif isinstance(by, str) and by == "lifecycle":
        _, stages = model.predict_arrays(rfm, horizon=1.0, lifecycle=lifecycle)
        labels = pd.Series(stages_categorical(stages), index=customers.index)
    elif isinstance(by, Hashable) and by in customers.columns:
        labels = customers[by]
    else:
        raise InputError(
            "The 'by' argument must be 'lifecycle', a column of 'customers' or a Series of "
            f"labels. Got {by!r}."
        )
    check_rule(
        np.asarray(labels.isna()), "Segment labels ('by')", "must not be missing", customers.index
    )
    codes, uniques = pd.factorize(labels, sort=True)
    name = labels.name if labels.name is not None else "segment"
    if isinstance(by, str) and by == "lifecycle":
        name = "lifecycle_stage"
    index = pd.Index(uniques, name=name)
    return np.asarray(codes, dtype=np.intp), index


# -- intervals -------------------------------------------------------------------------------
def _bounds(
    model: CLVModel,
    rfm: Any,
    margins: np.ndarray | float,
    steps: Schedule,
    options: IntervalOptions,
    point: dict[str, np.ndarray],
    labels: tuple[np.ndarray, pd.Index] | None,
    total: bool,
    jobs: int,
    caller: str,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    x = rfm[model.purchase_model_.columns[0]]
    plan = model._plan(options, rfm, caller)
    n, K = x.size, steps.ends.size
    m_all = np.broadcast_to(np.asarray(margins, dtype=np.float64), (n,))
    if labels is None:
        return _customer_bounds(model, rfm, m_all, steps, plan, point, jobs)
    codes, names = labels
    S = len(names)
    d = plan.n_configs
    purchases = np.zeros((d, S, K))
    value = np.zeros((d, S, K))

    def reduce(bv: BlockValues) -> tuple[np.ndarray, np.ndarray]:
        assert bv.increments is not None
        nt = bv.p_alive.shape[1]
        group = bv.triple * S + codes[bv.rows]
        mg = m_all[bv.rows]

        def per_group(weights: np.ndarray | None) -> np.ndarray:
            return np.bincount(group, weights=weights, minlength=nt * S).reshape(nt, S)

        margins, margins_zero = bv.split_by_spend(mg)
        count, margin_sum, margin_m = (
            per_group(None),
            per_group(margins),
            per_group(mg * bv.monetary),
        )
        pa = bv.p_alive[:, :, None]
        a, b = bv.spend_intercept[:, :, None], bv.spend_slope[:, :, None]
        w_purchases = pa * count  # (d, t, S)
        w_value = pa * (a * margin_sum + b * margin_m)
        if margins_zero is not None and bv.spend_population is not None:
            # repeat buyers whose purchases were worth nothing: the population mean spend
            w_value += pa * (bv.spend_population[:, None, None] * per_group(margins_zero))
        # triples are sorted by pair: sum each pair's triples, then over the pair's steps
        starts = np.flatnonzero(np.diff(bv.triple_pair, prepend=-1))
        inc = bv.increments
        return (
            np.einsum("dps,dpk->dsk", np.add.reduceat(w_purchases, starts, axis=1), inc),
            np.einsum("dps,dpk->dsk", np.add.reduceat(w_value, starts, axis=1), inc),
        )

    for block_purchases, block_value in clv_blocks(
        model, rfm, steps, plan, reduce, steps=True, per_customer_width=K, n_jobs=jobs
    ):
        purchases += block_purchases
        value += block_value
    if total:
        purchases = np.concatenate([purchases, purchases.sum(axis=1, keepdims=True)], axis=1)
        value = np.concatenate([value, value.sum(axis=1, keepdims=True)], axis=1)
    at = _derived(purchases, value, steps)
    return {name: plan.interval(point[name], at[name], "log") for name in _BOUNDED}


def _customer_bounds(
    model: CLVModel,
    rfm: Any,
    m_all: np.ndarray,
    steps: Schedule,
    plan: Plan,
    point: dict[str, np.ndarray],
    jobs: int,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    n, K = m_all.size, steps.ends.size
    out = {name: (np.empty((n, K)), np.empty((n, K))) for name in _BOUNDED}

    def reduce(bv: BlockValues) -> tuple[np.ndarray, dict[str, tuple[np.ndarray, np.ndarray]]]:
        assert bv.increments is not None
        r = bv.rows
        purchases = bv.customer_p_alive()[:, :, None] * bv.increments[:, bv.pair, :]
        weight = (m_all[r] * bv.customer_spend())[:, :, None]
        at = _derived(purchases, weight * purchases, steps)
        return r, {name: plan.interval(point[name][r], at[name], "log") for name in _BOUNDED}

    for r, block in clv_blocks(
        model, rfm, steps, plan, reduce, steps=True, per_customer_width=4 * K, n_jobs=jobs
    ):
        for name, (lo, hi) in block.items():
            out[name][0][r] = lo
            out[name][1][r] = hi
    return out


# -- the frame -------------------------------------------------------------------------------
def _frame(
    point: dict[str, np.ndarray],
    bounds: dict[str, tuple[np.ndarray, np.ndarray]] | None,
    names: pd.Index,
    steps: Schedule,
    K: int,
    model: CLVModel,
    horizon: object,
    discount_rate: object,
) -> pd.DataFrame:
    rows = len(names)
    index = pd.MultiIndex.from_product(
        [names, pd.RangeIndex(1, K + 1)],
        names=[names.name if names.name is not None else "customer_id", "step"],
    )
    starts = np.concatenate([[0.0], steps.ends[:-1]])
    columns: dict[str, np.ndarray] = {
        "period_start": np.tile(starts, rows),
        "period_end": np.tile(steps.ends, rows),
    }
    for name in CASHFLOW_COLUMNS:
        columns[name] = np.ascontiguousarray(point[name]).reshape(-1)
        if bounds is not None and name in bounds:
            lo, hi = bounds[name]
            columns[f"{name}_lower"] = np.asarray(lo).reshape(-1)
            columns[f"{name}_upper"] = np.asarray(hi).reshape(-1)
    out = pd.DataFrame(columns, index=index)
    out.attrs["time_unit"] = model.time_unit_
    out.attrs["horizon"] = horizon
    out.attrs["discount_rate"] = discount_rate
    return out
