"""Per-segment actual versus potential value."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd

from clvkit._validation import check_columns, check_frame, check_not_empty, check_rule
from clvkit.errors import InputError
from clvkit.value.clv import CLV_COLUMNS

__all__ = ["segment_summary"]

# every value column adds up across customers; P(alive) and spend per purchase are averaged
_SUMMED = tuple(c for c in CLV_COLUMNS if c not in ("p_alive", "expected_spend"))


def segment_summary(clv: pd.DataFrame, by: Hashable | pd.Series = "lifecycle") -> pd.DataFrame:
    """Actual versus potential value per segment.

    Parameters
    ----------
    clv : DataFrame
        Output of :meth:`clvkit.CLVModel.predict_clv` (or :func:`clvkit.predict_clv`).
    by : str or Series, default "lifecycle"
        ``"lifecycle"`` for the ``lifecycle_stage`` column, the name of another column of
        ``clv`` (channel, region, cohort, ...), or a Series of labels indexed like ``clv``.

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
          ``mean_actual_clv``, ``mean_potential_clv``.
    """
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
    return out


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
