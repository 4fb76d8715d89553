"""MkDocs hook: the CDNOW model comparison of the "Choosing a model" page, computed at build.

The page holds two markers:

- ``<!-- model-comparison -->``: :func:`clvkit.compare_models` over every registered
  continuous-time purchase model, each fitted on the CDNOW calibration period (39 weeks to
  1997-09-30) and scored on the 39-week holdout;
- ``<!-- one-time-buyers -->``: actual versus potential value of the customers without a
  repeat purchase under each model (a :class:`clvkit.CLVModel` with Gamma-Gamma, one year,
  10 % a year, 30 % margin).

Every number on the page comes from this run of the public API, never typed by hand.
"""

from __future__ import annotations

import warnings
from functools import cache
from typing import Any

COMPARISON = "<!-- model-comparison -->"
ONE_TIME = "<!-- one-time-buyers -->"


@cache
def _fits() -> tuple[Any, dict[str, Any], Any]:
    import clvkit as ck
    from clvkit.errors import DataWarning
    from clvkit.models import PurchaseModel, model_kinds

    tx = ck.datasets.load_cdnow_transactions()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        cal = ck.calibration_holdout(
            tx,
            calibration_end="1997-09-30",
            observation_end="1998-06-30",
            time_unit="W",
            monetary="amount",
            duplicates="keep",  # the sample's repeated rows are real purchases
        )
    classes = [getattr(ck, kind, None) for kind in model_kinds()]
    purchase = [
        cls
        for cls in classes
        if isinstance(cls, type) and issubclass(cls, PurchaseModel) and not cls.discrete
    ]
    fits = {cls.display_name: ck.CLVModel(purchase_model=cls()).fit(cal) for cls in purchase}
    return cal, fits, ck


def _comparison() -> str:
    cal, fits, ck = _fits()
    table = ck.compare_models(fits, cal)
    columns = {
        "n_params": ("parameters", "{:d}"),
        "log_likelihood": ("log-likelihood", "{:,.1f}"),
        "bic": ("BIC", "{:,.1f}"),
        "mae": ("MAE", "{:.3f}"),
        "rmse": ("RMSE", "{:.3f}"),
        "predicted_purchases": ("predicted", "{:,.0f}"),
        "actual_purchases": ("actual", "{:,.0f}"),
        "decile_calibration_error": ("decile error", "{:.3f}"),
        "gini": ("Gini", "{:.3f}"),
        "brier": ("Brier", "{:.4f}"),
    }
    head = "| model | " + " | ".join(label for label, _ in columns.values()) + " |"
    rule = "|---|" + "---:|" * len(columns)
    rows = [
        f"| {name} | "
        + " | ".join(fmt.format(row[col]) for col, (_, fmt) in columns.items())
        + " |"
        for name, row in table.iterrows()
    ]
    params = [
        f"- **{name}**: "
        + ", ".join(f"{k} = {v:.4g}" for k, v in model.purchase_model_.params_.items())
        for name, model in fits.items()
    ]
    return "\n".join([head, rule, *rows, "", "Fitted parameters (weeks):", "", *params])


def _one_time_buyers() -> str:
    cal, fits, _ = _fits()
    once = cal["frequency"] == 0
    lines = [
        "| model | customers | mean P(alive) | expected value | potential value | value at risk |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, model in fits.items():
        clv = model.predict_clv(cal, horizon="52W", discount_rate=0.10, margin=0.30)
        part = clv[once.to_numpy()]
        lines.append(
            f"| {name} | {len(part):,} | {part['p_alive'].mean():.3f} | "
            f"{part['expected_value'].sum():,.0f} | {part['potential_value'].sum():,.0f} | "
            f"{part['value_at_risk'].sum():,.0f} |"
        )
    return "\n".join(lines)


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    if COMPARISON in markdown:
        markdown = markdown.replace(COMPARISON, _comparison())
    if ONE_TIME in markdown:
        markdown = markdown.replace(ONE_TIME, _one_time_buyers())
    return markdown
