"""Several models, or the customer base itself, on one picture.

- :func:`plot_decile_calibration`: mean predicted against mean actual holdout purchases
  by decile of predicted purchases, one line per model (the decile column of
  :func:`clvkit.compare_models`);
- :func:`plot_expected_purchases_new_customer`: a new customer's expected repeat
  purchases over time under each model;
- :func:`plot_customer_exposure`: how long each customer has been observed and when they
  last bought (birth, last purchase and end of observation on one time line).

matplotlib is imported when a function runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clvkit._time import check_time_unit, parse_horizon
from clvkit._validation import check_columns, check_frame, check_not_empty
from clvkit.errors import InputError, UnitError
from clvkit.models.inputs import frame_unit
from clvkit.plotting._common import purchase_model, unit_label
from clvkit.plotting._mpl import axes
from clvkit.value.compare import holdout_deciles

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "plot_customer_exposure",
    "plot_decile_calibration",
    "plot_expected_purchases_new_customer",
]


def _named_models(models: object, caller: str) -> Mapping[str, object]:
    if isinstance(models, Mapping):
        if not models:
            raise InputError(f"The 'models' argument of {caller} is empty.")
        return models
    purchase = purchase_model(models, caller)
    return {purchase.display_name: models}


def plot_decile_calibration(
    models: Mapping[str, object] | object,
    calibration_holdout: pd.DataFrame,
    *,
    n_groups: int = 10,
    time_unit: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Predicted against actual holdout purchases by decile of predicted purchases.

    For each model, customers are cut into ``n_groups`` groups by the purchases the model
    predicts for the holdout (:func:`clvkit.holdout_deciles`); each group's mean
    prediction is drawn against its mean actual purchases. A well calibrated model stays
    on the diagonal; one that ranks well spreads its groups far along it.

    Parameters
    ----------
    models : mapping of str to model, or one model
        Fitted purchase models or CLVModels, by name (the legend).
    calibration_holdout : pandas.DataFrame
        From :func:`clvkit.calibration_holdout`.
    n_groups : int, default 10
    time_unit : str, optional
        The unit of the frame's ``recency`` and ``T`` when it does not record it in
        ``attrs["time_unit"]`` (a CSV round trip, ``merge`` or ``concat`` loses it);
        checked against the model's.
    ax : matplotlib Axes, optional
    **kwargs
        Passed to every :meth:`matplotlib.axes.Axes.plot` line.

    Returns
    -------
    matplotlib.axes.Axes
        One line per model and the diagonal.

    Examples
    --------
    >>> import clvkit as ck
    >>> import clvkit.plotting as ckp
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> cal = ck.calibration_holdout(tx, calibration_end="1997-09-30",
    ...                              observation_end="1998-06-30", time_unit="W")
    >>> bg = ck.BetaGeo().fit(cal)
    >>> fits = {"BG/NBD": bg, "Pareto/NBD": ck.ParetoNBD().fit(cal)}
    >>> ax = ckp.plot_decile_calibration(fits, cal)
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['BG/NBD', 'Pareto/NBD', 'perfect calibration']
    """
    named = _named_models(models, "plot_decile_calibration")
    ax = axes(ax)
    top = 0.0
    for name, model in named.items():
        table = holdout_deciles(model, calibration_holdout, n_groups=n_groups, time_unit=time_unit)
        options = {"marker": "o", **kwargs}
        ax.plot(table["predicted"].to_numpy(), table["actual"].to_numpy(), label=name, **options)
        top = max(top, float(table[["predicted", "actual"]].to_numpy().max()))
    ax.plot([0.0, top], [0.0, top], color="grey", linestyle=":", label="perfect calibration")
    duration = float(np.mean(calibration_holdout["duration_holdout"].to_numpy(dtype=float)))
    ax.set_xlabel(f"Predicted purchases in the holdout ({duration:g}), mean per group (count)")
    ax.set_ylabel("Actual purchases in the holdout, mean per group (count)")
    ax.set_title(f"Calibration by {n_groups} groups of predicted purchases")
    ax.legend()
    return ax


def plot_expected_purchases_new_customer(
    models: Mapping[str, object] | object,
    *,
    horizon: float | str = "52W",
    points: int = 100,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Expected repeat purchases of a customer just acquired, from 0 to ``horizon``.

    Each model's ``expected_purchases_new_customer`` over time: how quickly a new
    customer is expected to come back, and how the curve flattens as customers drop out.

    Parameters
    ----------
    models : mapping of str to model, or one model
        Fitted purchase models or CLVModels (in one time unit), by name.
    horizon : float or str, default "52W"
    points : int, default 100
        Points of each curve.
    ax : matplotlib Axes, optional
    **kwargs
        Passed to every :meth:`matplotlib.axes.Axes.plot` line.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import clvkit as ck
    >>> import clvkit.plotting as ckp
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> mbg = ck.ModifiedBetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426,
    ...                                      time_unit="W")
    >>> ax = ckp.plot_expected_purchases_new_customer({"BG/NBD": bg, "MBG/NBD": mbg},
    ...                                                horizon="52W")
    >>> ax.get_xlabel(), len(ax.lines)
    ('Time since acquisition (weeks)', 2)
    """
    caller = "plot_expected_purchases_new_customer"
    named = _named_models(models, caller)
    if isinstance(points, bool) or not isinstance(points, int) or points < 2:
        raise InputError(f"The 'points' argument of {caller} must be an integer >= 2.")
    ax = axes(ax)
    unit = None
    for name, model in named.items():
        purchase = purchase_model(model, caller)
        if unit is not None and purchase.time_unit_ != unit:
            raise InputError(f"The models of {caller} must share one time unit.")
        unit = purchase.time_unit_
        end = parse_horizon(horizon, purchase.time_unit_)
        t = np.linspace(0.0, end, points)
        if purchase.discrete:
            t = np.unique(np.floor(t))
        curve = np.asarray(purchase.expected_purchases_new_customer(t))
        ax.plot(t, curve, label=name, **kwargs)
    ax.set_xlabel(f"Time since acquisition ({unit_label(unit)})")
    ax.set_ylabel("Expected repeat purchases (count)")
    ax.set_title("A new customer's expected repeat purchases")
    ax.set_xlim(left=0.0)
    ax.set_ylim(bottom=0.0)
    ax.legend()
    return ax


def plot_customer_exposure(
    customers: pd.DataFrame,
    *,
    n_customers: int = 100,
    seed: int | None = 0,
    time_unit: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Each customer's observation window on one time line: birth, last purchase, end.

    Customers are drawn as horizontal lines from their first purchase to the end of
    observation (all ends aligned at the right), with a dot at their last purchase;
    longest observed at the bottom. A random sample of ``n_customers`` keeps it legible.

    Parameters
    ----------
    customers : pandas.DataFrame
        Columns ``recency`` and ``T`` (e.g. from :func:`clvkit.rfm_summary`).
    n_customers : int, default 100
        How many customers to draw (all when fewer).
    seed : int or None, default 0
        Seed of the sample.
    time_unit : str, optional
        The unit of ``recency`` and ``T`` for the axis label, when the frame does not
        record it in ``attrs["time_unit"]``; refused when it contradicts the frame.
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.hlines` (e.g. ``colors``, ``linewidth``).

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import clvkit as ck
    >>> import clvkit.plotting as ckp
    >>> rfm = ck.datasets.simulate_rfm(500, seed=1)
    >>> ax = ckp.plot_customer_exposure(rfm, n_customers=50)
    >>> ax.get_ylabel()
    'Customers (50 drawn, longest observed first)'
    """
    caller = "plot_customer_exposure"
    frame = check_frame(customers, "customers")
    check_columns(frame, ["recency", "T"], "customers")
    check_not_empty(len(frame), "customers")
    if isinstance(n_customers, bool) or not isinstance(n_customers, int) or n_customers < 1:
        raise InputError(f"The 'n_customers' argument of {caller} must be an integer >= 1.")
    rng = np.random.default_rng(seed)
    rows = np.arange(len(frame))
    if rows.size > n_customers:
        rows = np.sort(rng.choice(rows, size=n_customers, replace=False))
    T = frame["T"].to_numpy(dtype=np.float64)[rows]
    recency = frame["recency"].to_numpy(dtype=np.float64)[rows]
    order = np.argsort(-T, kind="stable")
    T, recency = T[order], recency[order]
    end = float(T.max())
    birth = end - T
    y = np.arange(T.size)
    ax = axes(ax)
    kwargs.setdefault("colors", "tab:blue")
    kwargs.setdefault("linewidth", 1)
    ax.hlines(y, birth, end, label="observed", **kwargs)
    ax.plot(birth, y, "|", color="black", markersize=4, label="first purchase")
    ax.plot(birth + recency, y, "o", color="tab:orange", markersize=3, label="last purchase")
    unit = frame_unit(frame)
    if time_unit is not None:
        check_time_unit(time_unit)
        if unit is not None and unit != time_unit:
            raise UnitError(
                f"{caller}: time_unit={time_unit!r} contradicts the customers frame, whose "
                f"attrs['time_unit'] records {unit!r}."
            )
        unit = time_unit
    ax.set_xlabel(f"Time before the end of observation ({unit_label(unit)}; end at {end:g})")
    ax.set_ylabel(f"Customers ({T.size} drawn, longest observed first)")
    ax.set_yticks([])
    ax.set_title("Customer exposure")
    ax.legend(loc="lower left", fontsize="small")
    return ax
