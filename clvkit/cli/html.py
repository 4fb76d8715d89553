"""The report as one self-contained HTML page, written for a manager.

Styles and the few lines of script (sorting a table by a column) are inlined from
``clvkit/cli/assets``; figures are ``data:`` URLs; a Content-Security-Policy forbids
every network request, so the page opens the same from an e-mail attachment, offline.
Every number is read from the :class:`~clvkit.cli.analysis.Analysis`; this module only
formats.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import pandas as pd

import clvkit as ck
from clvkit.cli.analysis import Analysis
from clvkit.cli.figures import Figure

__all__ = ["render_report"]

_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'"
_UNITS = {"h": "hours", "D": "days", "W": "weeks", "M": "months", "Q": "quarters", "Y": "years"}
_PERIODS = {"W": "week", "M": "month", "Q": "quarter", "Y": "year"}

_STAGES = {
    "welcome": "new customers, still in their first weeks",
    "getting to know": "active customers with few repeat purchases so far",
    "development": "active, regular customers: worth cross-selling",
    "revival": "activity fading: at risk of leaving",
    "win-back": "most likely lost already",
}


def _asset(name: str) -> str:
    return resources.files("clvkit.cli").joinpath("assets", name).read_text(encoding="utf-8")


# -- number formats -----------------------------------------------------------------------
def _finite(x: object) -> bool:
    return isinstance(x, int | float) and math.isfinite(float(x))


def money(x: object) -> str:
    """Currency amounts: 1,234 / 12.35 / 1.23 M."""
    if not _finite(x):
        return "–"
    v = float(x)  # type: ignore[arg-type]
    if abs(v) >= 10e6:
        return f"{v / 1e6:,.1f} M"
    if abs(v) >= 1e6:
        return f"{v / 1e6:,.2f} M"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:,.2f}"


def count(x: object) -> str:
    return f"{float(x):,.0f}" if _finite(x) else "–"  # type: ignore[arg-type]


def share(x: object) -> str:
    return f"{100 * float(x):.1f} %" if _finite(x) else "–"  # type: ignore[arg-type]


def number(x: object, digits: int = 3) -> str:
    return f"{float(x):,.{digits}g}" if _finite(x) else "–"  # type: ignore[arg-type]


def fixed(x: object, digits: int = 2) -> str:
    return f"{float(x):,.{digits}f}" if _finite(x) else "–"  # type: ignore[arg-type]


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


# -- building blocks ------------------------------------------------------------------------
def _cell(value: object, fmt: Any = money, lower: object = None, upper: object = None) -> str:
    raw = float(value) if _finite(value) else ""  # type: ignore[arg-type]
    text = _e(fmt(value))
    if lower is not None and upper is not None and fmt(lower) != fmt(upper):
        text += f'<span class="range">{_e(fmt(lower))} – {_e(fmt(upper))}</span>'
    return f'<td data-value="{raw}">{text}</td>'


def _text_cell(value: object) -> str:
    return f'<td class="text">{_e(value)}</td>'


def _table(
    headers: Sequence[str],
    rows: Iterable[str | tuple[str, str]],
    *,
    css: str = "",
    key: str = "",
    caption: str = "",
    text_columns: int = 1,
) -> str:
    head = "".join(
        f'<th scope="col"{" class=" + chr(34) + "text" + chr(34) if i < text_columns else ""}>'
        f"{_e(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = "".join(
        f"<tr>{row}</tr>" if isinstance(row, str) else f'<tr class="{row[1]}">{row[0]}</tr>'
        for row in rows
    )
    attrs = f' class="{css}"' if css else ""
    attrs += f' id="{key}"' if key else ""
    cap = f"<caption hidden>{_e(caption)}</caption>" if caption else ""
    return (
        f'<div class="table-wrap"><table{attrs}>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def _figure(fig: Figure) -> str:
    return (
        f'<figure id="figure-{fig.key}" data-figure="{fig.key}">'
        f'<img src="{fig.data_url}" alt="{_e(fig.title)}">'
        f"<figcaption><b>{_e(fig.title)}.</b> {_e(fig.caption)}</figcaption></figure>"
    )


def _card(label: str, value: str, explain: str, rng: str = "", css: str = "") -> str:
    extra = f'<div class="range">{_e(rng)}</div>' if rng else ""
    return (
        f'<div class="card {css}"><div class="label">{_e(label)}</div>'
        f'<div class="value">{_e(value)}</div>{extra}'
        f'<div class="explain">{_e(explain)}</div></div>'
    )


def _between(row: pd.Series, column: str, fmt: Any = money) -> str:
    lo, hi = row.get(f"{column}_lower"), row.get(f"{column}_upper")
    if lo is None or hi is None:
        return ""
    return f"range {fmt(lo)} – {fmt(hi)}"


# -- sections -------------------------------------------------------------------------------
def _glance(a: Analysis) -> str:
    t = a.totals.iloc[0]
    s = a.settings
    level = f"{s.interval:.0%}"
    cards = [
        _card(
            "Customers",
            count(a.n_customers),
            f"Customers with at least one purchase up to {a.observation_end}.",
        ),
        _card(
            "Transactions",
            count(a.n_rows),
            f"Rows of the log, from {a.first_date:%Y-%m-%d} to {a.last_date:%Y-%m-%d}.",
        ),
        _card(
            "Value earned so far",
            money(t["historical_value"]),
            "Margin on everything the valued customers have bought up to now.",
        ),
        _card(
            f"Expected value, next {s.horizon}",
            money(t["expected_value"]),
            "What the customers are expected to bring over the horizon, discounted, if "
            "nothing changes.",
            _between(t, "expected_value") + f" ({level})",
        ),
        _card(
            "Value at risk",
            money(t["value_at_risk"]),
            f"What would be added if every customer stayed: {share(t['at_risk_share'])} of "
            "the future value; retention work can win it back.",
            _between(t, "value_at_risk") + f" ({level})",
            css="risk",
        ),
        _card(
            "Potential value",
            money(t["potential_clv"]),
            "Value earned plus the future value if every customer stayed.",
            _between(t, "potential_clv") + f" ({level})",
        ),
    ]
    return (
        '<section id="glance"><h2>At a glance</h2><p class="lead">'
        f"Values are in the log's currency, times the margin of {s.margin:g}, discounted at "
        f"{s.discount_rate:.0%} a year over the next {_e(s.horizon)}. Ranges are "
        f"{level} intervals for the uncertainty of the model's estimates.</p>"
        f'<div class="cards">{"".join(cards)}</div></section>'
    )


def _data(a: Analysis) -> str:
    s = a.settings
    unit = _UNITS.get(s.time_unit, s.time_unit)
    facts = [
        ("Source", a.source, "The transaction log this report reads."),
        ("Transactions", count(a.n_rows), "Rows read from the log."),
        (
            "Purchases",
            count(a.n_purchases),
            "Transactions of one customer on one day count as one purchase.",
        ),
        ("Customers", count(a.n_customers), "Distinct customers with at least one purchase."),
        (
            "Observed period",
            f"{a.first_date:%Y-%m-%d} to {a.observation_end}",
            "First transaction to the end of observation.",
        ),
        (
            "Calibration period",
            f"to {a.calibration_end}",
            "The models compared below are fitted on this part of the log only ...",
        ),
        (
            "Holdout period",
            f"{fixed(a.holdout_length, 1)} {unit} after {a.calibration_end}",
            "... and judged on how well they predict this part, which they never saw.",
        ),
        (
            "Customers valued",
            count(len(a.clv)),
            "Customers in the value figures (see the notes for any left out).",
        ),
    ]
    rows = [
        f"<td>{_e(k)}</td><td>{_e(v)}</td><td class='explain'>{_e(x)}</td>" for k, v, x in facts
    ]
    notes = a.notes or ["No row was dropped and no check on the log raised a warning."]
    items = "".join(f"<li>{_e(n)}</li>" for n in notes)
    failed = "".join(
        f"<li>{_e(name)} could not be fitted: {_e(why)}</li>" for name, why in a.failed_fits.items()
    )
    return (
        '<section id="data"><h2>The data</h2><p class="lead">What was read, and what was '
        "set aside or looked suspicious. Rows are never dropped silently: each note below "
        "says how many and why.</p>"
        + _table(
            ["", "Value", "What it means"],
            rows,
            css="facts",
            key="data-summary",
            caption="Data",
            text_columns=3,
        )
        + f'<h3>Notes on the data</h3><ul class="notes" id="data-notes">{items}{failed}</ul>'
        + "</section>"
    )


_VALUE_COLUMNS = (
    ("historical_value", "Earned so far"),
    ("expected_value", "Expected"),
    ("value_at_risk", "Value at risk"),
    ("potential_clv", "Potential value"),
)


def _value_table(frame: pd.DataFrame, first: str, key: str, explain: dict[str, str]) -> str:
    headers = [first, "Customers", *[label for _, label in _VALUE_COLUMNS], "Share at risk"]
    if explain:
        headers.insert(1, "What it means")
    rows = []
    for label, row in frame.iterrows():
        cells = [_text_cell(label)]
        if explain:
            cells.append(_text_cell(explain.get(str(label), "")))
        cells.append(_cell(row["n_customers"], count))
        for column, _ in _VALUE_COLUMNS:
            cells.append(
                _cell(row[column], money, row.get(f"{column}_lower"), row.get(f"{column}_upper"))
            )
        cells.append(
            _cell(
                row["at_risk_share"],
                share,
                row.get("at_risk_share_lower"),
                row.get("at_risk_share_upper"),
            )
        )
        rows.append("".join(cells))
    return _table(
        headers, rows, css="sortable", key=key, caption=first, text_columns=2 if explain else 1
    )


def _value(a: Analysis, figures: dict[str, Figure]) -> str:
    s = a.settings
    level = f"{s.interval:.0%}"
    intro = (
        "<p class='lead'><b>Earned so far</b> is the margin on past purchases. "
        f"<b>Expected</b> is what customers are expected to bring over the next "
        f"{_e(s.horizon)}, discounted. <b>Value at risk</b> is what would come on top if "
        "every customer stayed: the size of the prize for retention. <b>Potential value</b> "
        f"is earned plus expected plus at risk. Small grey figures are {level} ranges.</p>"
    )
    return (
        '<section id="value"><h2>Actual and potential value</h2>'
        + intro
        + "<h3>Per lifecycle stage</h3>"
        + _value_table(a.by_lifecycle, "Lifecycle stage", "value-by-lifecycle", _STAGES)
        + _figure(figures["value_by_lifecycle"])
        + f"<h3>Per {_e(a.segment_name)}</h3>"
        + _value_table(a.by_segment, a.segment_name, "value-by-segment", {})
        + _figure(figures["value_by_segment"])
        + "</section>"
    )


def _risk(a: Analysis, figures: dict[str, Figure]) -> str:
    s = a.settings
    unit = _UNITS.get(s.time_unit, s.time_unit)
    headers = [
        "Customer",
        "Stage",
        "Repeat purchases",
        f"Since last purchase ({unit})",
        "P(still a customer)",
        "Earned so far",
        "Expected",
        "Value at risk",
    ]
    rows = []
    for customer, row in a.top.iterrows():
        rows.append(
            "".join(
                [
                    _text_cell(customer),
                    _text_cell(row["lifecycle_stage"]),
                    _cell(row["repeat_purchases"], count),
                    _cell(row["since_last_purchase"], lambda v: fixed(v, 1)),
                    _cell(row["p_alive"], share),
                    _cell(row["historical_value"]),
                    _cell(
                        row["expected_value"],
                        money,
                        row.get("expected_value_lower"),
                        row.get("expected_value_upper"),
                    ),
                    _cell(
                        row["value_at_risk"],
                        money,
                        row.get("value_at_risk_lower"),
                        row.get("value_at_risk_upper"),
                    ),
                ]
            )
        )
    t = a.totals.iloc[0]
    return (
        '<section id="risk"><h2>Value at risk</h2><p class="lead">'
        f"In all, {money(t['value_at_risk'])} ({_between(t, 'value_at_risk')}) of future "
        "value depends on keeping customers who may be leaving. These are the "
        f"{len(a.top)} customers with the most at stake: the first to call. Click a column "
        "header to sort.</p>"
        + _table(headers, rows, css="sortable", key="top-customers", caption="Top", text_columns=2)
        + _figure(figures["value_concentration"])
        + "</section>"
    )


_RETENTION = (
    ("customers_start", "Active last period", count),
    ("new", "New", count),
    ("retained", "Retained", count),
    ("reactivated", "Back after a gap", count),
    ("customers_end", "Active", count),
    ("retention_rate", "Retention rate", share),
    ("repeat_purchase_rate", "Repeat purchase rate", share),
    ("revenue", "Revenue", money),
)


def _retention(a: Analysis, figures: dict[str, Figure]) -> str:
    period = _PERIODS.get(a.settings.period, a.settings.period)
    table = a.retention
    shown = table.tail(24)
    headers = [period.capitalize(), *[label for c, label, _ in _RETENTION if c in table.columns]]
    rows = []
    for label, row in shown.iterrows():
        flag = "" if bool(row.get("complete", True)) else " (incomplete)"
        cells = [_text_cell(f"{label}{flag}")]
        cells += [_cell(row[c], fmt) for c, _, fmt in _RETENTION if c in table.columns]
        rows.append("".join(cells))
    more = (
        f" The last {len(shown)} of {len(table)} {period}s are shown; all are in the JSON file."
        if len(table) > len(shown)
        else ""
    )
    return (
        '<section id="retention"><h2>Retention</h2><p class="lead">'
        f"Of the customers who bought in one {period}, the <b>retention rate</b> is the share "
        f"who bought again in the next. New customers and customers back after a gap are "
        f"counted apart, never as retained.{more}</p>"
        + _table(headers, rows, key="retention-table", caption="Retention")
        + _figure(figures["cohort_heatmap"])
        + "</section>"
    )


_SCORECARD = (
    ("log_likelihood", "Log-likelihood", lambda v: fixed(v, 1)),
    ("bic", "BIC", lambda v: fixed(v, 1)),
    ("mae", "MAE", lambda v: fixed(v, 3)),
    ("actual_purchases", "Actual", count),
    ("predicted_purchases", "Predicted", count),
    ("aggregate_error_pct", "Error %", lambda v: fixed(v, 1)),
    ("gini", "Gini", lambda v: fixed(v, 3)),
    ("brier", "Brier", lambda v: fixed(v, 4)),
)


def _quality(a: Analysis, figures: dict[str, Figure]) -> str:
    headers = ["Model", *[label for _, label, _ in _SCORECARD]]
    rows = []
    for name, row in a.scorecard.iterrows():
        cells = _text_cell(name) + "".join(_cell(row[c], f) for c, _, f in _SCORECARD)
        rows.append((cells, "best") if name == a.chosen else cells)
    table = _table(headers, rows, css="sortable", key="scorecard", caption="Model comparison")
    terms = (
        '<dl class="terms">'
        "<dt>Log-likelihood, BIC</dt><dd>How well the model explains the calibration "
        "period; a lower BIC is better (it charges for parameters).</dd>"
        "<dt>MAE</dt><dd>Mean absolute error of each customer's predicted purchases in the "
        "holdout period; lower is better.</dd>"
        "<dt>Actual, Predicted, Error %</dt><dd>All holdout purchases against the model's "
        "total, and the gap in percent.</dd>"
        "<dt>Gini</dt><dd>How well the model ranks customers by future purchases (1 is "
        "perfect, 0 no better than chance).</dd>"
        "<dt>Brier</dt><dd>Error of the predicted probability that a customer buys at all "
        "in the holdout; lower is better.</dd></dl>"
    )
    return (
        '<section id="quality"><h2>How good is the model?</h2><p class="lead">'
        f"Three models were fitted on the calibration period (to {_e(a.calibration_end)}) "
        "and asked to predict the holdout period. The value figures use "
        f"<b>{_e(a.chosen)}</b>, {_e(a.chosen_reason)}, refitted on the whole log.</p>"
        + table
        + terms
        + _figure(figures["decile_calibration"])
        + _figure(figures["calibration_vs_holdout"])
        + _figure(figures["cumulative_transactions"])
        + _figure(figures["period_transactions"])
        + "</section>"
    )


def _parameter_table(model: Any, level: float, key: str) -> str:
    table = model.summary(alpha=1.0 - level)
    rows = [
        _text_cell(name)
        + _cell(row["estimate"], number)
        + _cell(row["std_error"], number)
        + _cell(row["lower"], number)
        + _cell(row["upper"], number)
        for name, row in table.iterrows()
    ]
    return _table(
        ["Parameter", "Estimate", "Standard error", f"Lower ({level:.0%})", f"Upper ({level:.0%})"],
        rows,
        key=key,
        caption="Parameters",
    )


def _models(a: Analysis) -> str:
    level = a.settings.interval
    unit = _UNITS.get(a.settings.time_unit, a.settings.time_unit)
    parts = [
        '<section id="models"><h2>The fitted models</h2><p class="lead">'
        "Parameters with their intervals. Wide intervals mean the data say little about "
        f"a parameter. Rates are per {unit[:-1]}.</p>",
        f"<h3>Used for the value figures: {_e(a.chosen)} and Gamma-Gamma, on the whole log</h3>",
        f"<p>{_e(a.chosen)}: purchases and drop-out, "
        f"{count(a.model.purchase_model_.n_customers_)} customers.</p>",
        _parameter_table(a.model.purchase_model_, level, "parameters-value-purchase"),
        "<p>Gamma-Gamma: spend per purchase, "
        f"{count(a.model.spend_model_.n_customers_)} repeat buyers.</p>",
        _parameter_table(a.model.spend_model_, level, "parameters-value-spend"),
    ]
    for i, (name, fit) in enumerate(a.fits.items()):
        parts.append(f"<h3>{_e(name)}, fitted on the calibration period</h3>")
        parts.append(_parameter_table(fit, level, f"parameters-compared-{i}"))
    parts.append("</section>")
    return "".join(parts)


def _method(a: Analysis, command: str) -> str:
    return (
        '<section id="method"><h2>How this report was made</h2><p class="lead">'
        "Each customer's purchases are modelled as a purchase rate and a chance of "
        f"silently leaving ({_e(a.chosen)}), their spend per purchase by the Gamma-Gamma "
        "model; both are fitted by maximum likelihood. The expected value of a customer is "
        "what these models predict over the horizon; the potential value is the same "
        "prediction for a customer known to be still active. Ranges cover the uncertainty "
        "of the fitted parameters, not the randomness of future purchases.</p>"
        f"<p>Command: <code>{_e(command)}</code></p></section>"
    )


def render_report(a: Analysis, figures: dict[str, Figure], *, command: str, json_name: str) -> str:
    """The whole page (see the module notes)."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    toc = "".join(
        f'<a href="#{key}">{_e(label)}</a>'
        for key, label in (
            ("glance", "At a glance"),
            ("data", "Data"),
            ("value", "Value"),
            ("risk", "Value at risk"),
            ("retention", "Retention"),
            ("quality", "Model quality"),
            ("models", "Parameters"),
            ("method", "Method"),
        )
    )
    body = "".join(
        [
            _glance(a),
            _data(a),
            _value(a, figures),
            _risk(a, figures),
            _retention(a, figures),
            _quality(a, figures),
            _models(a),
            _method(a, command),
        ]
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="clvkit {_e(ck.__version__)}">'
        f"<title>Customer value report: {_e(a.source)}</title>"
        f"<style>{_asset('report.css')}</style></head><body>"
        '<header class="top"><div><h1>Customer value report</h1>'
        f"<p>{_e(a.source)} · {count(a.n_customers)} customers · made {when} with clvkit "
        f"{_e(ck.__version__)}</p></div></header>"
        f'<main><nav class="toc">{toc}</nav>{body}'
        f"<footer>Every number in this report comes from clvkit's public API; the same "
        f"numbers, in full, are in <code>{_e(json_name)}</code> beside this file.</footer>"
        f"</main><script>{_asset('report.js')}</script></body></html>\n"
    )
