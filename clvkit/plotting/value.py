"""Value views for managers: actual versus potential value, where value concentrates, and
how P(alive) fades with silence.

- :func:`plot_value_by_segment`: one stacked bar per segment, historical (earned),
  expected (still to come) and at-risk value (won back only if the customers are kept);
  the bar's height is the segment's potential CLV, the first two layers its actual CLV.
- :func:`plot_value_concentration`: the share of value held by the most valuable share of
  customers (a Lorenz-type curve).
- :func:`plot_probability_alive_vs_time_since_purchase`: each customer's P(alive) against
  the time since their last purchase.

matplotlib is imported when a function runs.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clvkit._validation import check_columns, check_frame, check_not_empty, check_rule
from clvkit.errors import InputError
from clvkit.plotting._common import purchase_model, unit_label
from clvkit.plotting._mpl import axes, percent_axis
from clvkit.value.clv import CLV_COLUMNS
from clvkit.value.segments import segment_summary

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "plot_probability_alive_vs_time_since_purchase",
    "plot_value_by_segment",
    "plot_value_concentration",
]

#: The stacked layers of :func:`plot_value_by_segment`, bottom to top, with their labels.
SEGMENT_LAYERS: tuple[tuple[str, str], ...] = (
    ("historical_value", "actual: historical value (earned)"),
    ("expected_value", "actual: expected value (to come)"),
    ("value_at_risk", "potential: value at risk (if not retained)"),
)


def plot_value_by_segment(
    data: pd.DataFrame,
    *,
    by: Hashable | pd.Series = "lifecycle",
    annotate: bool = True,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Actual versus potential value per segment: one stacked bar per segment.

    Layers, bottom to top: ``historical_value`` (earned so far), ``expected_value``
    (expected over the horizon) and ``value_at_risk`` (what the segment would add if
    every customer in it were kept). The first two make the segment's actual CLV, the
    whole bar its potential CLV. With ``annotate``, each bar is labelled with its share
    of future value at risk (``at_risk_share``).

    Parameters
    ----------
    data : pandas.DataFrame
        Either per-customer output of :meth:`clvkit.CLVModel.predict_clv` (summarised
        here with :func:`clvkit.segment_summary` and ``by``), or a
        :func:`clvkit.segment_summary` table.
    by : str or Series, default "lifecycle"
        Segments, when ``data`` is per customer (see :func:`clvkit.segment_summary`).
    annotate : bool, default True
        Write the share of future value at risk above each bar.
    ax : matplotlib Axes, optional
    **kwargs
        Passed to each :meth:`matplotlib.axes.Axes.bar` call (e.g. ``width``,
        ``edgecolor``).

    Returns
    -------
    matplotlib.axes.Axes
        Three bar containers (one per layer), each with one bar per segment.

    Examples
    --------
    >>> import clvkit as ck
    >>> import clvkit.plotting as ckp
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> gg = ck.GammaGamma.from_params(p=6.25, q=3.74, v=15.44)
    >>> rfm = ck.datasets.simulate_rfm(500, seed=1)
    >>> clv = ck.CLVModel.from_models(bg, gg).predict_clv(rfm, horizon="52W", margin=0.3)
    >>> ax = ckp.plot_value_by_segment(clv)            # or a segment_summary table
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('Lifecycle stage', 'Value (currency)')
    """
    frame = check_frame(data, "data")
    layers = [name for name, _ in SEGMENT_LAYERS]
    if "n_customers" in frame.columns:
        check_columns(frame, layers, "data")
        summary = frame
    else:
        check_columns(frame, CLV_COLUMNS, "data")
        summary = segment_summary(frame, by=by)
    check_not_empty(len(summary), "data")
    ax = axes(ax)
    position = np.arange(len(summary))
    bottom = np.zeros(len(summary))
    for name, label in SEGMENT_LAYERS:
        height = summary[name].to_numpy(dtype=np.float64)
        ax.bar(position, height, bottom=bottom, label=label, **kwargs)
        bottom = bottom + height
    if annotate and "at_risk_share" in summary.columns:
        for x, top, share in zip(position, bottom, summary["at_risk_share"], strict=True):
            if np.isfinite(share):
                ax.annotate(
                    f"{share:.0%} at risk",
                    (x, top),
                    xytext=(0, 3),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize="small",
                )
    ax.set_xticks(position, labels=[str(s) for s in summary.index])
    index_name = summary.index.name
    ax.set_xlabel("Lifecycle stage" if index_name in (None, "lifecycle_stage") else str(index_name))
    ax.set_ylabel("Value (currency)")
    # head room for the annotations and the legend above the tallest bar
    ax.set_ylim(0.0, 1.4 * float(bottom.max()) if bottom.max() > 0 else 1.0)
    ax.legend(loc="upper left", fontsize="small")
    return ax


def plot_value_concentration(
    clv: pd.DataFrame | pd.Series,
    *,
    columns: str | Sequence[str] = "actual_clv",
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Concentration of value: the share of customers against the share of value they hold.

    Customers are sorted from the most to the least valuable; the curve passes through
    ``(k/n, sum of the k largest values / total)``. The diagonal is an even spread; the
    further above it, the more value a few customers hold. The share held by the top
    20 % of customers is marked for each column.

    Parameters
    ----------
    clv : pandas.DataFrame or Series
        Per-customer values, e.g. :meth:`clvkit.CLVModel.predict_clv` output; a Series is
        one column of values. Values must be finite and >= 0, with a total above 0.
    columns : str or sequence of str, default "actual_clv"
        Columns of ``clv`` drawn, one curve each (e.g. ``["actual_clv",
        "potential_clv"]``).
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot` for every curve.

    Returns
    -------
    matplotlib.axes.Axes
        One line per column (the first lines), then the diagonal.

    Examples
    --------
    >>> import clvkit as ck
    >>> import clvkit.plotting as ckp
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> gg = ck.GammaGamma.from_params(p=6.25, q=3.74, v=15.44)
    >>> rfm = ck.datasets.simulate_rfm(500, seed=1)
    >>> clv = ck.CLVModel.from_models(bg, gg).predict_clv(rfm, horizon="52W", margin=0.3)
    >>> ax = ckp.plot_value_concentration(clv)
    >>> ax.get_xlabel()
    'Share of customers, most valuable first (%)'
    """
    if isinstance(clv, pd.Series):
        frame = clv.to_frame(name=str(clv.name) if clv.name is not None else "value")
        names = list(frame.columns)
    else:
        frame = check_frame(clv, "clv")
        names = [columns] if isinstance(columns, str) else list(columns)
        if not names:
            raise InputError("The 'columns' argument of plot_value_concentration is empty.")
        check_columns(frame, names, "clv")
    check_not_empty(len(frame), "clv")
    ax = axes(ax)
    n = len(frame)
    share_customers = np.arange(n + 1) / n
    top = int(np.ceil(0.2 * n))
    for name in names:
        values = frame[name].to_numpy(dtype=np.float64)
        subject = f"Column {name!r}"
        check_rule(~np.isfinite(values), subject, "must be finite", frame.index)
        check_rule(values < 0, subject, "must be >= 0 to show concentration", frame.index)
        total = float(values.sum())
        if not total > 0:
            raise InputError(f"{subject} sums to 0; there is no value to spread.")
        share_value = np.concatenate([[0.0], np.cumsum(np.sort(values)[::-1]) / total])
        (line,) = ax.plot(share_customers, share_value, label=str(name), **kwargs)
        ax.plot(
            [share_customers[top]],
            [share_value[top]],
            "o",
            color=line.get_color(),
            label=f"top 20 %: {share_value[top]:.0%} of {name}",
        )
    ax.plot([0.0, 1.0], [0.0, 1.0], color="grey", linestyle=":", label="even spread")
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, 1.0)
    percent_axis(ax.xaxis)
    percent_axis(ax.yaxis)
    ax.set_xlabel("Share of customers, most valuable first (%)")
    ax.set_ylabel("Share of total value (%)")
    ax.legend(loc="lower right", fontsize="small")
    return ax


def plot_probability_alive_vs_time_since_purchase(
    model: object,
    customers: pd.DataFrame,
    *,
    time_unit: str | None = None,
    ax: Axes | None = None,
    **kwargs: Any,
) -> Axes:
    """Each customer's P(alive) against the time since their last purchase.

    The time since the last purchase is ``T - recency``. Repeat buyers fade with silence,
    the faster the more often they used to buy. Customers without a repeat purchase are
    drawn apart: the BG/NBD gives them P(alive) = 1 however long their silence (drop-out
    can only follow a purchase; their activity is better judged with
    ``probability_purchase``), while MBG/NBD and Pareto/NBD let them lapse.

    Parameters
    ----------
    model : purchase model or CLVModel
    customers : pandas.DataFrame
        Columns ``frequency``, ``recency``, ``T`` in the model's time unit.
    time_unit : str, optional
        The unit of ``customers`` when it does not record it in ``attrs["time_unit"]``
        (a CSV round trip, ``merge`` or ``concat`` loses it); checked against the model's.
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.scatter` for the repeat buyers (e.g.
        ``c=customers["frequency"]``, ``s``, ``alpha``).

    Returns
    -------
    matplotlib.axes.Axes
        Two point collections: repeat buyers, then customers without a repeat purchase.

    Examples
    --------
    >>> import clvkit as ck
    >>> import clvkit.plotting as ckp
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> rfm = ck.datasets.simulate_rfm(500, seed=1)
    >>> ax = ckp.plot_probability_alive_vs_time_since_purchase(bg, rfm)
    >>> ax.get_xlabel(), len(ax.collections)  # repeat buyers, then one-time buyers
    ('Time since last purchase (weeks)', 2)
    """
    caller = "plot_probability_alive_vs_time_since_purchase"
    purchase = purchase_model(model, caller)
    rfm = purchase.read_customers(customers, caller=caller, time_unit=time_unit)
    x, t_x, T = rfm["frequency"], rfm["recency"], rfm["T"]
    p = np.asarray(purchase.probability_alive(rfm))
    silence = T - t_x
    repeat = x > 0
    ax = axes(ax)
    kwargs.setdefault("s", 8)
    kwargs.setdefault("alpha", 0.5)
    kwargs.setdefault("label", "repeat buyers")
    if "c" in kwargs:
        kwargs["c"] = np.asarray(kwargs["c"])[repeat]
    ax.scatter(silence[repeat], p[repeat], **kwargs)
    ax.scatter(
        silence[~repeat],
        p[~repeat],
        s=8,
        marker="x",
        color="grey",
        alpha=0.5,
        label=(
            "no repeat purchase (P(alive) = 1 by assumption)"
            if np.all(p[~repeat] == 1.0)
            else "no repeat purchase"
        ),
    )
    ax.set_xlabel(f"Time since last purchase ({unit_label(purchase.time_unit_)})")
    ax.set_ylabel("P(alive) (probability)")
    ax.set_ylim(-0.02, 1.05)
    ax.legend(loc="lower left", fontsize="small")
    return ax
