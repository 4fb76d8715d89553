"""Per-segment actual versus potential value, with intervals of the segment totals.

A segment's interval is the interval of its *total* (or mean, or share): with parametric
or bootstrap draws, the total is summed over the segment's customers draw by draw and its
quantiles taken, never a sum of the customers' quantiles (which would ignore that every
customer moves with the same parameters); with the delta method, the gradient of the total
is the sum of the customers' gradients. Either way the customers are processed in blocks,
so memory never holds customers times draws.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

from clvkit._validation import check_columns, check_frame, check_not_empty, check_rule
from clvkit.errors import InputError
from clvkit.models.uncertainty import (
    DEFAULT_DRAWS,
    IntervalOptions,
    check_n_jobs,
    interval_options,
)
from clvkit.value.clv import CLV_COLUMNS, CLVModel, margin_values
from clvkit.value.discount import schedule
from clvkit.value.propagate import BlockValues, clv_blocks

__all__ = ["segment_summary"]

# every value column adds up across customers; P(alive) and spend per purchase are averaged
_SUMMED = tuple(c for c in CLV_COLUMNS if c not in ("p_alive", "expected_spend"))
#: the per-customer quantities summed per segment at every parameter configuration
_ACCUMULATED = ("p_alive", "expected_spend", "expected_purchases", "expected_value")


def segment_summary(
    clv: pd.DataFrame,
    by: Hashable | pd.Series = "lifecycle",
    *,
    interval: float | None = None,
    model: CLVModel | None = None,
    customers: pd.DataFrame | None = None,
    margin: object = None,
    method: str = "delta",
    n_draws: int = DEFAULT_DRAWS,
    random_state: object = None,
    draws: pd.DataFrame | None = None,
    n_jobs: int = 1,
    time_unit: str | None = None,
) -> pd.DataFrame:
    """Actual versus potential value per segment, optionally with intervals.

    Parameters
    ----------
    clv : DataFrame
        Output of :meth:`clvkit.CLVModel.predict_clv` (or :func:`clvkit.predict_clv`).
    by : str or Series, default "lifecycle"
        ``"lifecycle"`` for the ``lifecycle_stage`` column, the name of another column of
        ``clv`` (channel, region, cohort, ...), or a Series of labels indexed like ``clv``.
    interval : float, optional
        Level of an interval (0.9 for 90 %) for the parameter uncertainty of every value
        column: ``c_lower`` and ``c_upper`` beside each. A segment's interval is that of
        its total (mean, share) evaluated at each parameter draw (see the module notes);
        segment membership is that of ``clv``. Needs ``model`` and ``customers``; the
        horizon, discount rate, step and margin are read from ``clv.attrs`` (recorded
        by ``predict_clv``).
    model : CLVModel, optional
        The model that produced ``clv`` (for ``interval``).
    customers : DataFrame, optional
        The customers frame ``clv`` was predicted from (for ``interval``); every customer
        of ``clv`` must be in it (by index).
    margin : float, str or array-like, optional
        The margin ``clv`` was predicted with, needed only when it was one value per
        customer (``clv.attrs`` records numbers and column names).
    method : {"delta", "parametric", "bootstrap"}, default "delta"
        How the interval is computed, as in :meth:`clvkit.CLVModel.predict_clv`.
    n_draws : int, default 1000
        Parametric draws (>= 2).
    random_state : int, numpy Generator or None
        Seed of the parametric draws.
    draws : DataFrame, optional
        Bootstrap parameters from :meth:`clvkit.CLVModel.bootstrap`.
    n_jobs : int, default 1
        Threads evaluating blocks of customers (-1: one per core).
    time_unit : str, optional
        The unit of ``customers`` when it does not record it (for ``interval``), as in
        :meth:`clvkit.CLVModel.predict_clv`.

    Returns
    -------
    DataFrame
        One row per segment (lifecycle stages in process order, other labels sorted):

        - ``n_customers`` and ``customer_share``;
        - the sums of ``expected_purchases``, ``historical_value``, ``expected_value``,
          ``potential_value``, ``value_at_risk``, ``actual_clv``, ``potential_clv`` (they
          add up to the per-customer totals);
        - ``at_risk_share``: ``value_at_risk / potential_value`` within the segment, the
          share of its future value that retention can still win back;
        - ``share_of_value_at_risk``: the segment's part of all value at risk;
        - means per customer: ``mean_p_alive``, ``mean_expected_spend``,
          ``mean_actual_clv``, ``mean_potential_clv``;
        - with ``interval``, ``<column>_lower`` and ``<column>_upper`` after each of these
          columns (all but ``n_customers`` and ``customer_share``).

    Examples
    --------
    >>> import clvkit as ck
    >>> rfm = ck.datasets.simulate_rfm(2000, seed=4)
    >>> model = ck.CLVModel().fit(rfm)
    >>> clv = model.predict_clv(rfm, horizon="26W", margin=0.3)
    >>> seg = ck.segment_summary(clv, interval=0.9, model=model, customers=rfm)
    >>> seg.columns[2:5].tolist()
    ['expected_purchases', 'expected_purchases_lower', 'expected_purchases_upper']
    """
    options = interval_options(
        interval,
        method=method,
        n_draws=n_draws,
        random_state=random_state,
        draws=draws,
        caller="segment_summary",
    )
    jobs = check_n_jobs(n_jobs, "segment_summary")
    frame = check_frame(clv, "clv")
    check_columns(frame, CLV_COLUMNS, "clv")
    check_not_empty(len(frame), "clv")
    labels = _labels(frame, by)
    grouped = frame[list(CLV_COLUMNS)].groupby(labels, observed=False, sort=True)
    sums = grouped[list(_SUMMED)].sum()
    out = pd.DataFrame(index=sums.index)
    out["n_customers"] = grouped.size().astype("int64")
    out["customer_share"] = out["n_customers"] / len(frame)
    out = out.join(sums)
    total_risk = float(frame["value_at_risk"].sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        out["at_risk_share"] = sums["value_at_risk"] / sums["potential_value"]
        out["share_of_value_at_risk"] = (
            sums["value_at_risk"] / total_risk if total_risk > 0 else np.nan
        )
    means = grouped[["p_alive", "expected_spend", "actual_clv", "potential_clv"]].mean()
    out = out.join(means.add_prefix("mean_"))
    if options is None:
        return out
    return _with_intervals(out, frame, labels, options, model, customers, margin, jobs, time_unit)


#: delta-method scales of the segment columns (totals and means on the log scale,
#: probabilities and shares on the logit scale); historical value has no parameter in it
_SEGMENT_SCALES: dict[str, str] = {
    "expected_purchases": "log",
    "historical_value": "fixed",
    "expected_value": "log",
    "potential_value": "log",
    "value_at_risk": "log",
    "at_risk_share": "logit",
    "share_of_value_at_risk": "logit",
    "mean_p_alive": "logit",
    "mean_expected_spend": "log",
}


def _with_intervals(
    out: pd.DataFrame,
    frame: pd.DataFrame,
    labels: pd.Series,
    options: IntervalOptions,
    model: object,
    customers: object,
    margin: object,
    jobs: int,
    time_unit: str | None = None,
) -> pd.DataFrame:
    """The segment table with the bounds of each value column beside it."""
    caller = "segment_summary"
    if not isinstance(model, CLVModel):
        raise InputError(
            f"{caller}(interval=...) needs model=, the CLVModel that produced 'clv' "
            f"(segment intervals re-evaluate the customers at each parameter draw). Got "
            f"{type(model).__name__}."
        )
    model._check_fitted()
    if not isinstance(customers, pd.DataFrame):
        raise InputError(
            f"{caller}(interval=...) needs customers=, the frame 'clv' was predicted from. "
            f"Got {type(customers).__name__}."
        )
    attrs = frame.attrs
    if "horizon" not in attrs:
        raise InputError(
            f"{caller}(interval=...): 'clv' does not record its horizon in clv.attrs; pass "
            "the frame returned by predict_clv (attrs are lost by some pandas operations, "
            "e.g. concat or a round trip through a file)."
        )
    missing = ~frame.index.isin(customers.index)
    check_rule(
        np.asarray(missing),
        "The customers of 'clv'",
        "must be rows of 'customers' (same index)",
        frame.index,
    )
    rows = customers if customers.index.equals(frame.index) else customers.loc[frame.index]
    rfm = model.read_customers(rows, None, time_unit=time_unit, caller=caller)
    recorded = attrs.get("margin")
    if margin is None and recorded is None:
        raise InputError(
            f"{caller}(interval=...): 'clv' was predicted with one margin per customer; pass "
            "the same values as margin=."
        )
    margins = margin_values(recorded if margin is None else margin, rows, rfm.n)
    steps = schedule(
        attrs["horizon"],
        time_unit=model.time_unit_,
        discount_rate=attrs.get("discount_rate", 0.0),
        step=attrs.get("step", attrs.get("period")),
    )
    plan = model._plan(options, rfm, caller)
    segments = out.index
    codes = np.asarray(segments.get_indexer(pd.Index(labels)), dtype=np.intp)
    S, d = len(segments), plan.n_configs
    sums = {name: np.zeros((d, S)) for name in (*_ACCUMULATED, "potential_value")}
    m_all = np.broadcast_to(np.asarray(margins, dtype=np.float64), (rfm.n,))

    def reduce(bv: BlockValues) -> dict[str, np.ndarray]:
        # customers of the block grouped by (distinct history, segment): counts and sums
        # of margin, of spend and of margin x spend, so each draw is a few small products
        nt = bv.p_alive.shape[1]
        group = bv.triple * S + codes[bv.rows]
        size = nt * S

        def per_group(weights: np.ndarray | None) -> np.ndarray:
            # (S, t): the segment axis first, so the sums run along contiguous memory
            return np.bincount(group, weights=weights, minlength=size).reshape(nt, S).T.copy()

        mg = m_all[bv.rows]
        count, m_sum = per_group(None), per_group(bv.monetary)
        margin_m = per_group(mg * bv.monetary)
        ones, ones_zero = bv.split_by_spend(np.ones(mg.size))
        margins, margins_zero = bv.split_by_spend(mg)
        count_spend = count if ones_zero is None else per_group(ones)
        margin_sum = per_group(margins)
        pa = bv.p_alive
        total = bv.alive_total[:, bv.triple_pair]
        disc = bv.alive_discounted[:, bv.triple_pair]
        a, b = bv.spend_intercept, bv.spend_slope
        value_a, value_b = disc * a, disc * b  # potential value = value_a A + value_b B
        sums = {
            "p_alive": _sum(pa, count),
            "expected_spend": _sum(a, count_spend) + _sum(b, m_sum),
            "expected_purchases": _sum(pa * total, count),
            "potential_value": _sum(value_a, margin_sum) + _sum(value_b, margin_m),
            "expected_value": _sum(pa * value_a, margin_sum) + _sum(pa * value_b, margin_m),
        }
        if ones_zero is not None and margins_zero is not None:
            # repeat buyers whose purchases were worth nothing: the population mean spend
            pop = bv.spend_population[:, None]  # type: ignore[index]
            margin_zero = per_group(margins_zero)
            sums["expected_spend"] += pop * per_group(ones_zero).sum(axis=1)[None, :]
            sums["potential_value"] += pop * _sum(disc, margin_zero)
            sums["expected_value"] += pop * _sum(pa * disc, margin_zero)
        return sums

    for block_sums in clv_blocks(model, rfm, steps, plan, reduce, n_jobs=jobs):
        for name, values in block_sums.items():
            sums[name] += values
    n = out["n_customers"].to_numpy(dtype=np.float64)
    hist = out["historical_value"].to_numpy(dtype=np.float64)
    risk = sums["potential_value"] - sums["expected_value"]
    with np.errstate(divide="ignore", invalid="ignore"):
        at_configs = {
            "expected_purchases": sums["expected_purchases"],
            "expected_value": sums["expected_value"],
            "potential_value": sums["potential_value"],
            "value_at_risk": risk,
            "at_risk_share": risk / sums["potential_value"],
            "share_of_value_at_risk": risk / risk.sum(axis=1, keepdims=True),
            "mean_p_alive": sums["p_alive"] / n,
            "mean_expected_spend": sums["expected_spend"] / n,
        }
    bounds: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, scale in _SEGMENT_SCALES.items():
        point = out[name].to_numpy(dtype=np.float64)
        if scale == "fixed":
            bounds[name] = (point.copy(), point.copy())
            continue
        values = at_configs[name]
        defined = np.isfinite(point)
        lower, upper = np.full(S, np.nan), np.full(S, np.nan)
        if defined.any():
            lo, hi = plan.interval(point[defined], values[:, defined], scale)
            lower[defined], upper[defined] = lo, hi
        bounds[name] = (lower, upper)
    for name, part in (("actual_clv", "expected_value"), ("potential_clv", "potential_value")):
        lo, hi = bounds[part]
        bounds[name] = (hist + lo, hist + hi)
    with np.errstate(divide="ignore", invalid="ignore"):
        for name in ("actual_clv", "potential_clv"):
            lo, hi = bounds[name]
            bounds[f"mean_{name}"] = (lo / n, hi / n)
    columns: list[str] = []
    result = out.copy()
    for name in out.columns:
        columns.append(name)
        if name in bounds:
            lo, hi = bounds[name]
            result[f"{name}_lower"] = lo
            result[f"{name}_upper"] = hi
            columns += [f"{name}_lower", f"{name}_upper"]
    return result[columns]


def _sum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """``values @ groups.T`` ((d, t) by (S, t)) without BLAS, whose threads cost more than
    these small products on a busy machine."""
    return np.einsum("dt,st->ds", values, groups)


def _labels(frame: pd.DataFrame, by: object) -> pd.Series:
    if isinstance(by, pd.Series):
        if not by.index.equals(frame.index):
            missing = ~frame.index.isin(by.index)
            check_rule(
                np.asarray(missing),
                "The 'by' Series",
                "must have a label for every customer of 'clv'",
                frame.index,
            )
            by = by.reindex(frame.index)
        labels = by
    elif by == "lifecycle":
        if "lifecycle_stage" not in frame.columns:
            raise InputError("by='lifecycle' needs the 'lifecycle_stage' column of predict_clv.")
        labels = frame["lifecycle_stage"]
    elif isinstance(by, Hashable) and by in frame.columns:
        labels = frame[by]
    else:
        raise InputError(
            f"The 'by' argument must be 'lifecycle', a column of 'clv' or a Series of "
            f"labels. Got {by!r}."
        )
    check_rule(
        np.asarray(labels.isna()), "Segment labels ('by')", "must not be missing", frame.index
    )
    if labels.name is None:
        labels = labels.rename("segment")
    return labels
