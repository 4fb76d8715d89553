"""Pictures of contractual retention: the two figures of Fader & Hardie (2007).

- :func:`plot_survival_curves`: the share of a cohort still active, observed versus the
  model's projection;
- :func:`plot_retention_rates`: the period-to-period retention rate, observed versus the
  model's, rising with tenure.

Both take a fitted contractual model (:class:`clvkit.ShiftedBetaGeo`) and, optionally,
the survivor counts it was fitted on (or a longer series, to see the projection against
what happened next). Few cohorts are drawn one line each; many cohorts (a staircase
table) are pooled at each age: the pooled retention rate of age ``t`` is the survivors
at ``t`` of every cohort observed at ``t`` over the same cohorts' survivors at ``t - 1``,
and the pooled survival curve their running product (a Kaplan-Meier estimate), exactly
what the shared fit sees.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from clvkit._time import unit_name
from clvkit.errors import InputError
from clvkit.models import ContractualModel, check_is_fitted
from clvkit.models.contract_inputs import SurvivalCounts, read_survival_counts
from clvkit.plotting._mpl import axes, integer_axis, percent_axis

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_retention_rates", "plot_survival_curves"]

#: at most this many cohorts are drawn one line each by default; more are pooled
MAX_COHORT_LINES = 10


def _model(model: object, caller: str) -> ContractualModel:
    if not isinstance(model, ContractualModel):
        raise InputError(
            f"The 'model' argument of {caller} must be a fitted contractual model (e.g. "
            f"ck.ShiftedBetaGeo().fit_survival(counts)). Got {type(model).__name__}."
        )
    check_is_fitted(model)
    return model


def _periods_label(model: ContractualModel) -> str:
    return f"Periods since acquisition ({unit_name(model.time_unit_, plural=True)})"


def _horizon(
    model: ContractualModel, table: SurvivalCounts | None, horizon: object, caller: str
) -> int:
    if horizon is None:
        observed = 0 if table is None else int(table.last.max())
        return max(12, 2 * observed)
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise InputError(
            f"The 'horizon' argument of {caller} must be a whole number of periods >= 1. "
            f"Got {horizon!r}."
        )
    return int(horizon)


def _per_cohort(table: SurvivalCounts, per_cohort: bool | None) -> bool:
    if per_cohort is None:
        return table.counts.shape[0] <= MAX_COHORT_LINES
    if not isinstance(per_cohort, bool):
        raise InputError("The 'per_cohort' argument must be True, False or None.")
    return per_cohort


def _observed_label(table: SurvivalCounts, label: object) -> str:
    return "observed" if table.counts.shape[0] == 1 else f"observed: {label}"


def _pooled_rates(table: SurvivalCounts) -> tuple[np.ndarray, np.ndarray]:
    """Ages 1..max and the pooled retention rate at each (NaN where nobody is at risk)."""
    c = table.counts
    ages = np.arange(1, c.shape[1])
    seen = ~np.isnan(c[:, 1:])
    survivors = np.where(seen, c[:, 1:], 0.0).sum(axis=0)
    at_risk = np.where(seen, c[:, :-1], 0.0).sum(axis=0)
    rates = np.full(ages.size, np.nan)
    np.divide(survivors, at_risk, out=rates, where=at_risk > 0)
    return ages, rates


def _calibration(ax: Any, calibration_end: object) -> None:
    if calibration_end is None:
        return
    if isinstance(calibration_end, bool) or not isinstance(calibration_end, int | float):
        raise InputError("The 'calibration_end' argument must be a number of periods.")
    ax.axvline(float(calibration_end), color="grey", linestyle=":", label="end of calibration")


def plot_survival_curves(
    model: ContractualModel,
    counts: object = None,
    *,
    horizon: int | None = None,
    per_cohort: bool | None = None,
    calibration_end: float | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """The share of a cohort still active by period: observed versus the model's ``S(t)``.

    Parameters
    ----------
    model : contractual model
        Fitted (or ``from_params``), e.g. :class:`clvkit.ShiftedBetaGeo`.
    counts : array-like or DataFrame, optional
        Survivor counts as :meth:`clvkit.ShiftedBetaGeo.fit_survival` takes them; each
        cohort's counts over its size are drawn as markers.
    horizon : int, optional
        Last period of the model's curve; default ``max(12, 2 x`` the last observed
        period ``)``.
    per_cohort : bool, optional
        One line per cohort (default when there are at most 10) or the pooled curve.
    calibration_end : float, optional
        Periods fitted on, marked by a vertical line (points after it were not fitted).
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot` for the model's curve.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import clvkit as ck
    >>> import clvkit.plotting as ckp
    >>> counts = [1000, 631, 468, 382, 326, 289, 262, 241]  # Fader & Hardie (2007)
    >>> sbg = ck.ShiftedBetaGeo().fit_survival(counts, time_unit="Y")
    >>> ax = ckp.plot_survival_curves(sbg, counts, horizon=12)
    >>> ax.get_ylabel()
    'Share of cohort still active (%)'
    """
    caller = "plot_survival_curves"
    model = _model(model, caller)
    table = None if counts is None else read_survival_counts(counts, caller)
    H = _horizon(model, table, horizon, caller)
    ax = axes(ax)
    if table is not None:
        if _per_cohort(table, per_cohort):
            for row, label in enumerate(table.labels):
                last = int(table.last[row])
                t = np.arange(last + 1)
                share = table.counts[row, : last + 1] / table.counts[row, 0]
                ax.plot(t, share, "o", markersize=4, label=_observed_label(table, label))
        else:
            _, rates = _pooled_rates(table)
            share = np.concatenate(([1.0], np.cumprod(rates)))
            ax.plot(
                np.arange(share.size),
                share,
                "o",
                markersize=4,
                label=f"observed: {table.counts.shape[0]} cohorts pooled",
            )
    t = np.arange(H + 1)
    kwargs.setdefault("linestyle", "--")
    kwargs.setdefault("color", "black")
    kwargs.setdefault("label", f"{model.display_name} model")
    ax.plot(t, np.asarray(model.survival(t)), **kwargs)
    _calibration(ax, calibration_end)
    ax.set_xlabel(_periods_label(model))
    ax.set_ylabel("Share of cohort still active (%)")
    integer_axis(ax.xaxis)
    percent_axis(ax.yaxis)
    ax.set_ylim(0.0, 1.02)
    ax.legend(fontsize="small")
    return ax


def plot_retention_rates(
    model: ContractualModel,
    counts: object = None,
    *,
    horizon: int | None = None,
    per_cohort: bool | None = None,
    calibration_end: float | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """The retention rate of each period, observed versus the model's ``r(t)``.

    ``r(t) = S(t) / S(t - 1)``: of the customers active after ``t - 1`` periods, the share
    who renew once more. Under the sBG it rises with ``t`` although no customer's own
    renewal probability changes: the heterogeneity sorts itself out.

    Parameters
    ----------
    model, counts, horizon, per_cohort, calibration_end, ax
        As in :func:`plot_survival_curves`.
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot` for the model's curve.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import clvkit as ck
    >>> import clvkit.plotting as ckp
    >>> counts = [1000, 631, 468, 382, 326, 289, 262, 241]  # Fader & Hardie (2007)
    >>> sbg = ck.ShiftedBetaGeo().fit_survival(counts, time_unit="Y")
    >>> ax = ckp.plot_retention_rates(sbg, counts, horizon=12)
    >>> ax.get_ylabel()
    'Retention rate: share renewing (%)'
    """
    caller = "plot_retention_rates"
    model = _model(model, caller)
    table = None if counts is None else read_survival_counts(counts, caller)
    H = _horizon(model, table, horizon, caller)
    ax = axes(ax)
    if table is not None:
        if _per_cohort(table, per_cohort):
            for row, label in enumerate(table.labels):
                last = int(table.last[row])
                c = table.counts[row, : last + 1]
                t = np.arange(1, last + 1)
                rates = np.full(t.size, np.nan)
                np.divide(c[1:], c[:-1], out=rates, where=c[:-1] > 0)
                ax.plot(t, rates, "o", markersize=4, label=_observed_label(table, label))
        else:
            ages, rates = _pooled_rates(table)
            ax.plot(
                ages,
                rates,
                "o",
                markersize=4,
                label=f"observed: {table.counts.shape[0]} cohorts pooled",
            )
    t = np.arange(1, H + 1)
    kwargs.setdefault("linestyle", "--")
    kwargs.setdefault("color", "black")
    kwargs.setdefault("label", f"{model.display_name} model")
    ax.plot(t, np.asarray(model.retention_rate(t)), **kwargs)
    _calibration(ax, calibration_end)
    ax.set_xlabel(_periods_label(model))
    ax.set_ylabel("Retention rate: share renewing (%)")
    integer_axis(ax.xaxis)
    percent_axis(ax.yaxis)
    ax.legend(fontsize="small")
    return ax
