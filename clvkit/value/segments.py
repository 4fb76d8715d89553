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
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

from clvkit._validation import check_columns, check_frame, check_not_empty, check_rule
from clvkit.errors import InputError
from clvkit.models._kernels.compress import distinct_pairs, factorize
from clvkit.models.inputs import RFMInput
from clvkit.models.uncertainty import (
    DEFAULT_DRAWS,
    IntervalOptions,
    Plan,
    check_n_jobs,
    interval_options,
)
from clvkit.value.clv import CLV_COLUMNS, CLVModel, margin_values
from clvkit.value.discount import Schedule, schedule
from clvkit.value.propagate import StepCurves, _is_identity

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
    m_all = np.broadcast_to(np.asarray(margins, dtype=np.float64), (rfm.n,))
    S = len(segments)
    sums = _segment_sums(model, rfm, steps, plan, codes, S, m_all, jobs)
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


#: floats of the work arrays (configurations x histories) of one pass over histories
_GROUP_CELLS = 1 << 17
#: floats of the per-pair arrays (configurations x pairs) of one chunk of pairs
_PAIR_CELLS = 1 << 17


def _segment_sums(
    model: CLVModel,
    rfm: RFMInput,
    steps: Schedule,
    plan: Plan,
    codes: np.ndarray,
    n_segments: int,
    margins: np.ndarray,
    jobs: int,
) -> dict[str, np.ndarray]:
    """The sums over each segment's customers of ``_ACCUMULATED`` and the potential value
    at every configuration of ``plan``: (d, S) each.

    Customers are grouped once by (distinct ``(frequency, T)`` pair, segment, recency):
    each group is evaluated once per configuration, with its count and its sums of margin
    and of margin times spend as weights. The factors of a pair (the expected purchases
    if alive, the spend's intercept and slope, which depend on ``frequency`` alone) are
    the same for all its groups, so the groups' P(alive)-weighted sums are first added up
    per (pair, segment) and only then multiplied by them. The spend per purchase is summed
    per (repeat purchases, segment). Pairs go through in chunks, each evaluated at every
    configuration once; nothing holds customers times configurations.
    """
    purchase, spend_model = model.purchase_model_, model.spend_model_
    S = n_segments
    p_block, s_block = plan.block("purchase_model"), plan.block("spend_model")
    ip, is_ = p_block.index, s_block.index
    p_params, s_params = p_block.params, s_block.params
    d_p = p_params.shape[1]
    x_name, tx_name, T_name = purchase.columns
    x, t_x, T = rfm[x_name], rfm[tx_name], rfm[T_name]
    m = rfm["monetary_value"]
    zero = (m == 0) & (x > 0)  # repeat purchases worth nothing: the population mean spend
    xs = np.where(zero, 0.0, x)
    any_zero = bool(zero.any())

    # groups sorted by (pair, segment, recency): runs of equal (pair, segment) adjacent
    pair_x, pair_T, pair = distinct_pairs(x, T)
    ftx = factorize(t_x)
    n_tx = ftx.values.size
    run_key = pair.astype(np.int64) * S + codes
    if float(pair_x.size) * S * n_tx < 2.0**62:
        keys, group = np.unique(run_key * n_tx + ftx.codes, return_inverse=True)
        group_run, group_tx = keys // n_tx, ftx.values[keys % n_tx]
    else:  # pragma: no cover - astronomically many distinct values
        rows = np.stack([run_key, ftx.codes], axis=1)
        distinct, group = np.unique(rows, axis=0, return_inverse=True)
        group_run, group_tx = distinct[:, 0], ftx.values[distinct[:, 1]]
    group = group.reshape(-1)
    G = group_run.size
    group_pair = group_run // S
    g_x, g_T = pair_x[group_pair], pair_T[group_pair]

    def per_group(weights: np.ndarray | None) -> np.ndarray:
        return np.bincount(group, weights=weights, minlength=G)

    count = per_group(None)
    spent = margins * m  # zero for the zero-spend rows, whose m is 0
    weights = {
        "count": count,
        "margin": per_group(np.where(zero, 0.0, margins)) if any_zero else per_group(margins),
        "spent": per_group(spent),
    }
    if any_zero:
        weights["zero"] = per_group(np.where(zero, margins, 0.0))
    # runs: distinct (pair, segment), in order
    run_start = np.flatnonzero(np.diff(group_run, prepend=-1))
    run_pair = group_pair[run_start]
    run_segment = group_run[run_start] % S
    run_weights = {name: np.add.reduceat(w, run_start) for name, w in weights.items()}
    group_pair_start = np.searchsorted(group_pair, np.arange(pair_x.size + 1))
    run_pair_start = np.searchsorted(run_pair, np.arange(pair_x.size + 1))

    curves = StepCurves(purchase, steps.ends, steps.factors)
    population = spend_model._spend_terms_at(s_params, np.zeros(1))[0][:, 0]  # (d_s,)
    expand_p = not _is_identity(ip, d_p)
    expand_s = not _is_identity(is_, s_params.shape[1])

    def at_p(values: np.ndarray) -> np.ndarray:
        return values[ip] if expand_p else values

    def at_s(values: np.ndarray) -> np.ndarray:
        return values[is_] if expand_s else values

    pop = at_s(population)[:, None]
    chunk_pairs = max(1, _PAIR_CELLS // max(d_p, s_params.shape[1], plan.n_configs))
    starts = list(range(0, pair_x.size, chunk_pairs))
    names = (*_ACCUMULATED, "potential_value")
    table = np.zeros((len(starts), len(names), plan.n_configs, S))
    group_step = max(1, _GROUP_CELLS // d_p)

    def one(i: int, p0: int, p1: int) -> None:
        out = dict(zip(names, table[i], strict=True))
        total, disc, _ = curves.evaluate(p_params, pair_x[p0:p1], pair_T[p0:p1], False)
        intercept, slope = spend_model._spend_terms_at(s_params, pair_x[p0:p1])
        total, disc = at_p(total), at_p(disc)
        intercept, slope = at_s(intercept), at_s(slope)

        def add(name: str, values: np.ndarray, segment: np.ndarray) -> None:
            # (d, runs) into (d, S): one segment at a time, S is small
            for s in range(S):
                chosen = segment == s
                if chosen.any():
                    out[name][:, s] += values[:, chosen].sum(axis=1)

        # potential value: no P(alive), weights per (pair, segment) run
        r0, r1 = run_pair_start[p0], run_pair_start[p1]
        rp = run_pair[r0:r1] - p0
        value = intercept[:, rp] * run_weights["margin"][r0:r1]
        value += slope[:, rp] * run_weights["spent"][r0:r1]
        if any_zero:
            value += pop * run_weights["zero"][r0:r1]
        add("potential_value", disc[:, rp] * value, run_segment[r0:r1])
        g0, g1 = group_pair_start[p0], group_pair_start[p1]
        for a in range(g0, g1, group_step):
            b = min(a + group_step, g1)
            pa = purchase._p_alive_rows(p_params, g_x[a:b], group_tx[a:b], g_T[a:b])
            local = np.flatnonzero(np.diff(group_run[a:b], prepend=-1))
            rp = group_pair[a:b][local] - p0
            segment = group_run[a:b][local] % S

            # P(alive)-weighted sums of each group weight per (pair, segment) run
            run = {
                name: at_p(np.add.reduceat(pa * w[a:b], local, axis=1))
                for name, w in weights.items()
            }
            alive = run["count"]
            add("p_alive", alive, segment)
            add("expected_purchases", total[:, rp] * alive, segment)
            value = intercept[:, rp] * run["margin"]
            value += slope[:, rp] * run["spent"]
            if any_zero:
                value += pop * run["zero"]
            add("expected_value", disc[:, rp] * value, segment)

    if jobs == 1 or len(starts) == 1:
        for i, p0 in enumerate(starts):
            one(i, p0, min(p0 + chunk_pairs, pair_x.size))
    else:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            list(
                pool.map(
                    lambda i: one(i, starts[i], min(starts[i] + chunk_pairs, pair_x.size)),
                    range(len(starts)),
                )
            )
    sums = {name: table[:, j].sum(axis=0) for j, name in enumerate(names)}
    # the spend per purchase, per (repeat purchases, segment)
    fxs = factorize(xs)
    n_xs = fxs.values.size
    key = fxs.codes * S + codes
    spend_count = np.bincount(key, minlength=n_xs * S).reshape(n_xs, S)
    spend_sum = np.bincount(key, weights=m, minlength=n_xs * S).reshape(n_xs, S)
    intercept, slope = spend_model._spend_terms_at(s_params, fxs.values)
    sums["expected_spend"] = at_s(
        np.einsum("dx,xs->ds", intercept, spend_count) + np.einsum("dx,xs->ds", slope, spend_sum)
    )
    return sums


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
