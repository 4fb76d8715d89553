"""Model checks: does the fitted BG/NBD reproduce the data it was fitted on, and the next
period it was not?

- :func:`plot_period_transactions`: customers by number of repeat purchases in the
  calibration period, observed against the model's expectation (Fader, Hardie & Lee 2005,
  eq. 8 at each customer's ``T``).
- :func:`plot_calibration_vs_holdout`: mean purchases in the holdout period by calibration
  frequency, actual against predicted (eq. 10).
- :func:`plot_cumulative_transactions` and :func:`plot_incremental_transactions`: the
  cohort's repeat purchases over calendar time, actual against the model (eq. 9), the end
  of calibration marked.

matplotlib is imported when a function runs, not when this module is imported.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clvkit._validation import renamed_argument
from clvkit.errors import InputError
from clvkit.plotting._common import purchase_model, unit_label
from clvkit.plotting._mpl import axes
from clvkit.value.evaluate import holdout_predictions, repeat_purchases_over_time

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "plot_calibration_vs_holdout",
    "plot_cumulative_transactions",
    "plot_incremental_transactions",
    "plot_period_transactions",
]

_FREQUENCY_LABEL = "Repeat purchases in the calibration period (count)"


def _check_max_frequency(value: object, caller: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(
            f"The 'max_frequency' argument of {caller} must be an integer >= 1. "
            f"Got {value!r} instead."
        )
    return int(value)


def _frequency_ticks(ax: Any, max_frequency: int) -> None:
    labels = [str(k) for k in range(max_frequency)] + [f"{max_frequency}+"]
    ax.set_xticks(np.arange(max_frequency + 1), labels=labels)


def _period_transactions_counts(
    model: object,
    customers: pd.DataFrame,
    max_frequency: int = 7,
    time_unit: str | None = None,
) -> pd.DataFrame:
    """Observed and expected customers by number of calibration repeat purchases.

    The expected count of customers with ``n`` repeat purchases is
    ``sum_i P(X(T_i) = n)`` (Fader, Hardie & Lee 2005, eq. 8), over the customers'
    own observation lengths ``T_i``; the last class gathers ``max_frequency`` and more.

    Returns
    -------
    pandas.DataFrame, shape (max_frequency + 1, 2)
        Columns ``observed`` and ``expected`` (customers), indexed by the class labels
        ``"0"``, ``"1"``, ..., ``"{max_frequency}+"``.
    """
    caller = "plot_period_transactions"
    purchase = purchase_model(model, caller)
    top = _check_max_frequency(max_frequency, caller)
    rfm = purchase.read_customers(customers, caller=caller, time_unit=time_unit)
    x, T = rfm["frequency"], rfm["T"]
    observed = np.bincount(np.minimum(x, top).astype(np.intp), minlength=top + 1)
    T_values, T_counts = np.unique(T, return_counts=True)
    probs = np.asarray(
        purchase.probability_n_purchases_new_customer(np.arange(top), T_values)
    ).reshape(T_values.size, top)
    expected = np.empty(top + 1)
    expected[:top] = T_counts.astype(np.float64) @ probs
    expected[top] = x.size - expected[:top].sum()
    labels = [str(k) for k in range(top)] + [f"{top}+"]
    return pd.DataFrame(
        {"observed": observed.astype(np.float64), "expected": expected},
        index=pd.Index(labels, name="repeat_purchases"),
    )


def plot_period_transactions(
    model: object,
    customers: pd.DataFrame,
    *,
    max_frequency: int = 7,
    time_unit: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Customers by number of repeat purchases in calibration: observed versus model.

    Two bars per class: the observed number of customers with 0, 1, ...,
    ``max_frequency - 1`` and ``max_frequency`` or more repeat purchases, and the number
    the model expects, ``sum_i P(X(T_i) = n)`` over the customers' own ``T_i``
    (Fader, Hardie & Lee 2005, eq. 8). A good fit puts the bars level in every class.

    Parameters
    ----------
    model : purchase model or CLVModel
        Fitted on ``customers``.
    customers : pandas.DataFrame
        The calibration summary: ``frequency``, ``recency``, ``T`` (e.g. from
        :func:`clvkit.rfm_summary`).
    max_frequency : int, default 7
        The last class gathers this many repeat purchases and more.
    time_unit : str, optional
        The unit of the frame's ``recency`` and ``T`` when it does not record it in
        ``attrs["time_unit"]`` (a CSV round trip, ``merge`` or ``concat`` loses it);
        checked against the model's.
    ax : matplotlib Axes, optional
        Axes to draw into; a new figure when None.
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.bar` for the observed bars.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import clvkit as ck
    >>> import clvkit.plotting as ckp
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> cal = ck.calibration_holdout(tx, calibration_end="1997-09-30",
    ...                              observation_end="1998-06-30", time_unit="W")
    >>> bg = ck.BetaGeo().fit(cal)
    >>> ax = ckp.plot_period_transactions(bg, cal)
    >>> ax.get_ylabel(), len(ax.patches)  # two bars for each of 0, 1, ..., 6, 7+
    ('Customers (count)', 16)
    """
    table = _period_transactions_counts(model, customers, max_frequency, time_unit)
    purchase = purchase_model(model, "plot_period_transactions")
    ax = axes(ax)
    position = np.arange(len(table))
    width = 0.4
    kwargs.setdefault("label", "observed")
    ax.bar(position - width / 2, table["observed"].to_numpy(), width, **kwargs)
    ax.bar(
        position + width / 2,
        table["expected"].to_numpy(),
        width,
        label=f"model ({purchase.display_name})",
        hatch="//",
        edgecolor="white",
    )
    _frequency_ticks(ax, len(table) - 1)
    ax.set_xlabel(_FREQUENCY_LABEL)
    ax.set_ylabel("Customers (count)")
    ax.set_title("Repeat purchases per customer in calibration")
    ax.legend()
    return ax


_BY = ("frequency", "time_since_purchase")


def _calibration_vs_holdout_means(
    model: object,
    calibration_holdout: pd.DataFrame,
    max_frequency: int = 7,
    by: str = "frequency",
    n_bins: int = 8,
    time_unit: str | None = None,
) -> pd.DataFrame:
    """Mean holdout purchases, actual and predicted, by a calibration class.

    ``by="frequency"``: classes of repeat purchases, the last gathering
    ``max_frequency`` and more. ``by="time_since_purchase"``: ``n_bins`` equal-width
    classes of ``T - recency`` (model time units) from 0 to its largest value.

    Returns
    -------
    pandas.DataFrame
        Columns ``customers``, ``actual`` and ``predicted`` (mean purchases per customer
        in the holdout), one row per class; classes without customers hold NaN means.
    """
    caller = "plot_calibration_vs_holdout"
    if by not in _BY:
        raise InputError(f"The 'by' argument of {caller} must be one of {list(_BY)}. Got {by!r}.")
    table = holdout_predictions(model, calibration_holdout, time_unit=time_unit)
    if by == "frequency":
        top = _check_max_frequency(max_frequency, caller)
        x = calibration_holdout["frequency"].to_numpy(dtype=np.float64)
        group = np.minimum(x, top).astype(np.intp)
        labels = [str(k) for k in range(top)] + [f"{top}+"]
        name = "repeat_purchases"
    else:
        if isinstance(n_bins, bool) or not isinstance(n_bins, int) or n_bins < 1:
            raise InputError(f"The 'n_bins' argument of {caller} must be an integer >= 1.")
        gap = (calibration_holdout["T"] - calibration_holdout["recency"]).to_numpy(float)
        width = max(float(gap.max()), 1e-12) / n_bins
        group = np.minimum((gap / width).astype(np.intp), n_bins - 1)
        labels = [f"{k * width:.3g}-{(k + 1) * width:.3g}" for k in range(n_bins)]
        name = "time_since_purchase"
    size = len(labels)
    count = np.bincount(group, minlength=size).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        actual = np.bincount(group, table["actual_purchases"].to_numpy(), size) / count
        predicted = np.bincount(group, table["predicted_purchases"].to_numpy(), size) / count
    return pd.DataFrame(
        {"customers": count, "actual": actual, "predicted": predicted},
        index=pd.Index(labels, name=name),
    )


def plot_calibration_vs_holdout(
    model: object,
    calibration_holdout: pd.DataFrame,
    *,
    by: str = "frequency",
    max_frequency: int = 7,
    n_bins: int = 8,
    time_unit: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Mean purchases in the holdout by calibration class: actual versus predicted.

    Customers are grouped by their number of repeat purchases in the calibration period
    (``by="frequency"``; the last group gathers ``max_frequency`` and more) or by the
    time since their last purchase, ``T - recency`` (``by="time_since_purchase"``, in
    ``n_bins`` equal-width classes). For each group, the mean number of purchases they
    made in the holdout is drawn beside the mean the model predicted from their
    calibration history (:func:`clvkit.value.holdout_predictions`). The second view
    shows whether the model reads silence right: long-silent customers should buy little.

    Parameters
    ----------
    model : purchase model or CLVModel
        Fitted on the calibration columns of ``calibration_holdout``.
    calibration_holdout : pandas.DataFrame
        From :func:`clvkit.calibration_holdout`.
    by : {"frequency", "time_since_purchase"}, default "frequency"
    max_frequency : int, default 7
        With ``by="frequency"``.
    n_bins : int, default 8
        With ``by="time_since_purchase"``.
    time_unit : str, optional
        The unit of the frame's ``recency`` and ``T`` when it does not record it in
        ``attrs["time_unit"]`` (a CSV round trip, ``merge`` or ``concat`` loses it);
        checked against the model's.
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot` for the actual line.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import clvkit as ck
    >>> import clvkit.plotting as ckp
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> cal = ck.calibration_holdout(tx, calibration_end="1997-09-30",
    ...                              observation_end="1998-06-30", time_unit="W")
    >>> bg = ck.BetaGeo().fit(cal)
    >>> ax = ckp.plot_calibration_vs_holdout(bg, cal)
    >>> ax.get_ylabel()
    'Mean purchases in the holdout (39 weeks) (per customer)'
    >>> ax = ckp.plot_calibration_vs_holdout(bg, cal, by="time_since_purchase")
    >>> ax.get_xlabel()
    'Time since the last calibration purchase (weeks)'
    """
    purchase = purchase_model(model, "plot_calibration_vs_holdout")
    table = _calibration_vs_holdout_means(
        model, calibration_holdout, max_frequency, by, n_bins, time_unit
    )
    duration = float(np.mean(calibration_holdout["duration_holdout"].to_numpy(dtype=float)))
    ax = axes(ax)
    position = np.arange(len(table))
    kwargs.setdefault("marker", "o")
    kwargs.setdefault("label", "actual")
    ax.plot(position, table["actual"].to_numpy(), **kwargs)
    ax.plot(
        position,
        table["predicted"].to_numpy(),
        "--",
        marker="s",
        label=f"model ({purchase.display_name})",
    )
    if by == "frequency":
        _frequency_ticks(ax, len(table) - 1)
        ax.set_xlabel(_FREQUENCY_LABEL)
    else:
        ax.set_xticks(position, list(table.index), rotation=30)
        ax.set_xlabel(
            f"Time since the last calibration purchase ({unit_label(purchase.time_unit_)})"
        )
    ax.set_ylabel(
        f"Mean purchases in the holdout ({duration:g} {unit_label(purchase.time_unit_)}) "
        "(per customer)"
    )
    ax.set_ylim(bottom=0.0)
    ax.legend()
    return ax


def _over_time(
    model: object,
    transactions: pd.DataFrame,
    calibration_end: object,
    observation_end: object,
    bucket: str | None,
    customer_id: Hashable,
    datetime: Hashable,
    datetime_format: str | None,
    period: str | None,
    caller: str,
) -> pd.DataFrame:
    bucket = renamed_argument(caller, "period", period, "bucket", bucket, stacklevel=4)
    return repeat_purchases_over_time(
        model,
        transactions,
        calibration_end=calibration_end,
        observation_end=observation_end,
        bucket=bucket,
        customer_id=customer_id,
        datetime=datetime,
        datetime_format=datetime_format,
    )


def _draw_over_time(
    ax: Any,
    table: pd.DataFrame,
    actual: str,
    expected: str,
    kwargs: dict[str, Any],
    model_name: str,
) -> None:
    dates = table.index.to_numpy()
    kwargs.setdefault("label", "actual")
    ax.plot(dates, table[actual].to_numpy(), **kwargs)
    ax.plot(dates, table[expected].to_numpy(), "--", label=f"model ({model_name})")
    end = pd.Timestamp(table.attrs["calibration_end"]).to_datetime64()
    ax.axvline(end, color="grey", linestyle=":", label="end of calibration")
    ax.set_xlabel(f"Date (end of each {_PERIOD_WORDS[table.attrs['bucket']]})")
    ax.set_ylim(bottom=0.0)
    ax.legend()
    ax.tick_params(axis="x", labelrotation=30)


_PERIOD_WORDS = {"D": "day", "W": "week", "M": "month", "Q": "quarter", "Y": "year"}


def plot_cumulative_transactions(
    model: object,
    transactions: pd.DataFrame,
    *,
    calibration_end: object,
    observation_end: object = None,
    bucket: str | None = None,
    customer_id: Hashable = "customer_id",
    datetime: Hashable = "date",
    datetime_format: str | None = None,
    period: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Cumulative repeat purchases of the calibration cohort over calendar time.

    Actual against the model's expectation, with the end of calibration marked by a
    vertical dotted line: left of it the model is judged on the data it was fitted on,
    right of it on a period it has not seen. The numbers are those of
    :func:`clvkit.value.evaluate.repeat_purchases_over_time`.

    Parameters
    ----------
    model : purchase model or CLVModel
        Fitted on the cohort's calibration summary.
    transactions : pandas.DataFrame
        The whole log, calibration and holdout.
    calibration_end, observation_end, bucket, customer_id, datetime, datetime_format
        As in :func:`clvkit.value.evaluate.repeat_purchases_over_time` (``bucket``, the
        fixed length of each point, default ``"W"``).
    period : str, optional
        Deprecated name of ``bucket``.
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot` for the actual line.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import clvkit as ck
    >>> import clvkit.plotting as ckp
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> cal = ck.calibration_holdout(tx, calibration_end="1997-09-30",
    ...                              observation_end="1998-06-30", time_unit="W")
    >>> bg = ck.BetaGeo().fit(cal)
    >>> ax = ckp.plot_cumulative_transactions(bg, tx, calibration_end="1997-09-30",
    ...                                       observation_end="1998-06-30")
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('Date (end of each week)', 'Cumulative repeat purchases (count)')
    """
    table = _over_time(
        model,
        transactions,
        calibration_end,
        observation_end,
        bucket,
        customer_id,
        datetime,
        datetime_format,
        period,
        "plot_cumulative_transactions",
    )
    ax = axes(ax)
    name = purchase_model(model, "plot_cumulative_transactions").display_name
    _draw_over_time(ax, table, "actual_cumulative", "expected_cumulative", kwargs, name)
    ax.set_ylabel("Cumulative repeat purchases (count)")
    return ax


def plot_incremental_transactions(
    model: object,
    transactions: pd.DataFrame,
    *,
    calibration_end: object,
    observation_end: object = None,
    bucket: str | None = None,
    customer_id: Hashable = "customer_id",
    datetime: Hashable = "date",
    datetime_format: str | None = None,
    period: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Repeat purchases of the calibration cohort in each bucket: actual versus model.

    The per-bucket view of :func:`plot_cumulative_transactions` (same arguments, same
    numbers); it shows seasonality and trends the model cannot know of. The last bucket
    may be shorter than the others (see the ``days`` column of
    :func:`clvkit.value.evaluate.repeat_purchases_over_time`).

    Parameters
    ----------
    model, transactions, calibration_end, observation_end, bucket
        As in :func:`plot_cumulative_transactions`.
    customer_id, datetime, datetime_format, period, ax
        As in :func:`plot_cumulative_transactions`.
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot` for the actual line.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import clvkit as ck
    >>> import clvkit.plotting as ckp
    >>> tx = ck.datasets.load_cdnow_transactions()
    >>> cal = ck.calibration_holdout(tx, calibration_end="1997-09-30",
    ...                              observation_end="1998-06-30", time_unit="W")
    >>> bg = ck.BetaGeo().fit(cal)
    >>> ax = ckp.plot_incremental_transactions(bg, tx, calibration_end="1997-09-30",
    ...                                        observation_end="1998-06-30", bucket="M")
    >>> ax.get_ylabel()
    'Repeat purchases per month (count)'
    """
    table = _over_time(
        model,
        transactions,
        calibration_end,
        observation_end,
        bucket,
        customer_id,
        datetime,
        datetime_format,
        period,
        "plot_incremental_transactions",
    )
    ax = axes(ax)
    name = purchase_model(model, "plot_incremental_transactions").display_name
    _draw_over_time(ax, table, "actual", "expected", kwargs, name)
    ax.set_ylabel(f"Repeat purchases per {_PERIOD_WORDS[table.attrs['bucket']]} (count)")
    return ax
