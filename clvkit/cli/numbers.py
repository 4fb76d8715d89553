"""The report's numbers as JSON, for machines: the same tables the HTML shows, in full.

Every table is a list of records (one object per row, the row label included under the
index's name); NaN and infinities become ``null``. The layout carries a
``format_version`` so readers can tell versions apart.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

import clvkit as ck
from clvkit.cli.analysis import Analysis, finite_or_none

__all__ = ["FORMAT_VERSION", "records", "report_numbers"]

FORMAT_VERSION = 1


def records(frame: pd.DataFrame, index: str | None = None) -> list[dict[str, Any]]:
    """One JSON-ready object per row, the index first (named ``index`` or its own name)."""
    name = index or (str(frame.index.name) if frame.index.name is not None else "index")
    out = []
    for label, row in zip(frame.index, frame.to_dict(orient="records"), strict=True):
        item: dict[str, Any] = {name: finite_or_none(_plain(label))}
        item.update({str(k): finite_or_none(_plain(v)) for k, v in row.items()})
        out.append(item)
    return out


def _plain(value: object) -> object:
    if isinstance(value, pd.Period):
        return str(value)
    if isinstance(value, tuple):
        return " / ".join(str(v) for v in value)
    if value is pd.NaT:
        return None
    return value


def _parameters(model: Any, interval: float) -> list[dict[str, Any]]:
    return records(model.summary(alpha=1.0 - interval), "parameter")


def report_numbers(a: Analysis) -> dict[str, Any]:
    """The JSON document written beside the HTML report."""
    s = a.settings
    totals = records(a.totals, "segment")[0]
    return {
        "format_version": FORMAT_VERSION,
        "clvkit_version": ck.__version__,
        "source": a.source,
        "settings": {k: finite_or_none(v) for k, v in vars(s).items()},
        "data": {
            "transactions": a.n_rows,
            "customers": a.n_customers,
            "purchases": a.n_purchases,
            "first_transaction": a.first_date.isoformat(),
            "last_transaction": a.last_date.isoformat(),
            "observation_end": a.observation_end,
            "calibration_end": a.calibration_end,
            "holdout_length": a.holdout_length,
            "time_unit": s.time_unit,
            "customers_set_aside": [finite_or_none(_plain(i)) for i in a.set_aside],
            "notes": list(a.notes),
        },
        "models": {
            "compared": {name: _parameters(m, s.interval) for name, m in a.fits.items()},
            "failed": dict(a.failed_fits),
            "scorecard": records(a.scorecard, "name"),
            "deciles": {
                name: records(ck.holdout_deciles(m, a.calibration), "group")
                for name, m in a.fits.items()
            },
            "chosen": a.chosen,
            "chosen_because": a.chosen_reason,
            "value_model": {
                "purchase_model": _parameters(a.model.purchase_model_, s.interval),
                "spend_model": _parameters(a.model.spend_model_, s.interval),
            },
        },
        "value": {
            "horizon": s.horizon,
            "discount_rate": s.discount_rate,
            "margin": s.margin,
            "interval": s.interval,
            "totals": totals,
            "by_lifecycle_stage": records(a.by_lifecycle, "lifecycle_stage"),
            "by_segment": records(a.by_segment, a.segment_name),
            "top_value_at_risk": records(a.top, "customer_id"),
        },
        "retention": {
            "period": s.period,
            "table": records(a.retention, "period"),
            "cohorts": records(a.cohorts, "cohort"),
        },
    }
