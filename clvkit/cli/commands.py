"""What each subcommand does, over clvkit's public API: read, call, write, tell.

Each ``run_*`` function takes the parsed command line and returns the exit status; the
errors it raises are sorted into exit statuses by :func:`clvkit.cli.main`.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

import clvkit as ck
from clvkit._progress import progress_bar
from clvkit.cli.analysis import MODELS, ReportSettings, analyse, captured_warnings
from clvkit.cli.files import (
    UsageError,
    atomic_path,
    check_input,
    check_output,
    parse_dates,
    read_log,
    read_summary,
    write_frame,
)

__all__ = ["run_fit", "run_report", "run_rfm", "run_score"]


def _progress(args: argparse.Namespace) -> bool | None:
    """``--quiet``: never a bar; otherwise a bar when a person is watching (a terminal)."""
    return False if args.quiet else None


def _say(args: argparse.Namespace, text: str) -> None:
    """A note on standard error, unless ``--quiet``."""
    if not args.quiet:
        print(text, file=sys.stderr)


@contextmanager
def _warnings_as_notes(args: argparse.Namespace) -> Iterator[list[str]]:
    """clvkit's warnings while the block runs, printed as ``warning:`` lines at its end."""
    notes: list[str] = []
    try:
        with captured_warnings(notes):
            yield notes
    finally:
        for note in notes:
            _say(args, f"warning: {note}")


def _zero_spend(frame: pd.DataFrame) -> pd.Series:
    return (frame["frequency"] > 0) & (frame["monetary_value"] <= 0)


def _without_zero_spend(args: argparse.Namespace, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without the repeat buyers whose repeat purchases are all worth 0 (the
    Gamma-Gamma model cannot value them), saying so."""
    zero = _zero_spend(frame).to_numpy()
    if zero.any():
        ids = ", ".join(str(i) for i in frame.index[zero][:5])
        _say(
            args,
            f"note: {int(zero.sum())} customer(s) whose repeat purchases are all worth 0 are "
            f"left out of the spend model and of value scores (customer ids: {ids}).",
        )
    return frame.loc[~zero]


def _log_columns(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "customer_id": args.customer_id,
        "datetime": args.date,
        "datetime_format": args.date_format,
        "duplicates": args.duplicates,
    }


def _read_log(args: argparse.Namespace, path: Path, extra: list[str]) -> pd.DataFrame:
    wanted = [args.customer_id, args.date, *extra]
    log = read_log(path, wanted)
    return parse_dates(log, args.date, args.date_format)


def _time_unit(args: argparse.Namespace, frame: pd.DataFrame, path: Path) -> str:
    """The time unit of a summary file: recorded in it, or given with --time-unit."""
    recorded = frame.attrs.get("time_unit")
    given = getattr(args, "time_unit", None)
    if recorded and given and recorded != given:
        raise ck.errors.UnitError(
            f"{path.name} records time unit {recorded!r} but --time-unit {given!r} was "
            "given; clvkit never rescales silently. Drop --time-unit or rebuild the file."
        )
    unit = recorded or given
    if not unit:
        raise UsageError(
            f"{path.name} does not record its time unit (it was not written by 'clvkit rfm'); "
            "pass --time-unit, e.g. --time-unit W for weeks."
        )
    frame.attrs["time_unit"] = unit
    return str(unit)


# -- clvkit rfm -------------------------------------------------------------------------------
def run_rfm(args: argparse.Namespace) -> int:
    path = check_input(args.log, "The log")
    out = check_output(args.output, "The output", ("parquet", "csv"))
    extra = [args.amount] if args.amount else []
    log = _read_log(args, path, extra)
    options = {
        **_log_columns(args),
        "monetary": args.amount,
        "time_unit": args.time_unit,
        "grain": args.grain,
        "observation_end": args.observation_end,
        "progress": _progress(args),
    }
    with _warnings_as_notes(args):
        if args.calibration_end is not None:
            frame = ck.calibration_holdout(log, calibration_end=args.calibration_end, **options)
        else:
            frame = ck.rfm_summary(log, **options)
    record = {
        "kind": "calibration_holdout" if args.calibration_end else "rfm_summary",
        "clvkit_version": ck.__version__,
        "customer_id": str(frame.index.name or "customer_id"),
        "attrs": dict(frame.attrs),
    }
    write_frame(frame, out, record)
    _say(
        args,
        f"wrote {len(frame):,} customers to {out} (time unit {frame.attrs['time_unit']}, "
        f"observation end {frame.attrs['observation_end']})",
    )
    return 0


# -- clvkit fit -------------------------------------------------------------------------------
def run_fit(args: argparse.Namespace) -> int:
    path = check_input(args.rfm, "The summary")
    out = check_output(args.output, "The model file")
    rfm = read_summary(path, args.customer_id)
    unit = _time_unit(args, rfm, path)
    cls = MODELS[args.model]
    level = args.interval
    with _warnings_as_notes(args):
        purchase = cls().fit(rfm, time_unit=unit, progress=_progress(args))
        model: Any = purchase
        spend = None
        if "monetary_value" in rfm.columns:
            spend = ck.GammaGamma().fit(_without_zero_spend(args, rfm), time_unit=unit)
            model = ck.CLVModel.from_models(purchase, spend, grain=rfm.attrs.get("grain"))
    model.save(out)
    lines = [
        f"{cls.display_name} fitted on {purchase.n_customers_:,.0f} customers "
        f"(time unit {unit}); log-likelihood {purchase.log_likelihood_:,.2f}",
        purchase.summary(alpha=1 - level).to_string(float_format=lambda v: f"{v:.4g}"),
    ]
    if spend is not None:
        lines += [
            "",
            f"Gamma-Gamma (spend per purchase) fitted on {spend.n_customers_:,.0f} repeat "
            f"buyers; log-likelihood {spend.log_likelihood_:,.2f}",
            spend.summary(alpha=1 - level).to_string(float_format=lambda v: f"{v:.4g}"),
        ]
    if "frequency_holdout" in rfm.columns:
        scores = ck.evaluate(purchase, rfm)
        lines += ["", "Holdout check:", scores.T.to_string(float_format=lambda v: f"{v:.4g}")]
    lines += ["", f"intervals: {level:.0%}; model written to {out}"]
    print("\n".join(lines))
    return 0


# -- clvkit score -----------------------------------------------------------------------------
def run_score(args: argparse.Namespace) -> int:
    model_path = Path(args.model_file)
    if not model_path.is_file():
        raise UsageError(f"The model file {args.model_file!r} does not exist.")
    path = check_input(args.rfm, "The summary")
    out = check_output(args.output, "The output", ("parquet", "csv"))
    model = ck.load_model(model_path)
    rfm = read_summary(path, args.customer_id)
    unit = _time_unit(args, rfm, path)
    if model.time_unit_ is not None and model.time_unit_ != unit:
        raise ck.errors.UnitError(
            f"The model was fitted in time unit {model.time_unit_!r} but {path.name} is in "
            f"{unit!r}; build the summary with --time-unit {model.time_unit_}."
        )
    progress = _progress(args)
    with _warnings_as_notes(args):
        if isinstance(model, ck.CLVModel):
            customers = _without_zero_spend(args, rfm)
            scores = model.predict_clv(
                customers,
                horizon=args.horizon,
                discount_rate=args.discount_rate,
                margin=args.margin,
                interval=args.interval,
                method=args.method,
                random_state=args.seed,
                progress=progress,
            )
        elif isinstance(model, ck.PurchaseModel):
            options: dict[str, Any] = {"interval": args.interval, "method": args.method}
            alive = _frame(model.probability_alive(rfm, **options), "p_alive")
            bought = _frame(
                model.expected_purchases(rfm, args.horizon, **options), "expected_purchases"
            )
            scores = alive.join(bought)
        else:
            raise UsageError(
                f"{model_path.name} holds a {type(model).__name__}; 'clvkit score' scores "
                "purchase models and CLV models."
            )
    record = {
        "kind": "scores",
        "clvkit_version": ck.__version__,
        "customer_id": str(rfm.index.name or "customer_id"),
        "model": model_path.name,
        "attrs": {k: v for k, v in scores.attrs.items() if isinstance(v, str | int | float)},
    }
    write_frame(scores, out, record)
    print(_score_summary(scores, args, out))
    return 0


def _frame(values: object, name: str) -> pd.DataFrame:
    if isinstance(values, pd.Series):
        return values.to_frame(name)
    if isinstance(values, pd.DataFrame):
        return values
    raise TypeError(f"expected a Series or DataFrame of {name}, got {type(values).__name__}")


def _score_summary(scores: pd.DataFrame, args: argparse.Namespace, out: Path) -> str:
    lines = [f"scored {len(scores):,} customers over {args.horizon}; written to {out}"]
    for column, label in (
        ("actual_clv", "actual CLV"),
        ("potential_clv", "potential CLV"),
        ("value_at_risk", "value at risk"),
        ("expected_purchases", "expected purchases"),
    ):
        if column in scores.columns:
            lines.append(f"  total {label}: {scores[column].sum():,.2f}")
    return "\n".join(lines)


# -- clvkit report ----------------------------------------------------------------------------
_REPORT_STEPS = 8


def run_report(args: argparse.Namespace, argv: list[str]) -> int:
    path = check_input(args.log, "The log")
    out = check_output(args.output, "The report")
    if out.suffix.lower() not in (".html", ".htm"):
        raise UsageError(f"The report {args.output!r} must be an .html file.")
    json_out = check_output(args.json or str(out.with_suffix(".json")), "The JSON file")
    settings = ReportSettings(
        customer_id=args.customer_id,
        date=args.date,
        amount=args.amount,
        segment=args.segment,
        time_unit=args.time_unit,
        grain=args.grain,
        calibration_end=args.calibration_end,
        observation_end=args.observation_end,
        horizon=args.horizon,
        discount_rate=args.discount_rate,
        margin=args.margin,
        interval=args.interval,
        model=args.model,
        period=args.period,
        top=args.top,
        datetime_format=args.date_format,
        duplicates=args.duplicates,
    )
    from clvkit.cli.figures import draw_figures
    from clvkit.cli.html import render_report
    from clvkit.cli.numbers import report_numbers

    progress = _progress(args)
    with progress_bar(progress, total=_REPORT_STEPS, desc="clvkit report", unit="step") as bar:
        started: list[str] = []

        def step(text: str) -> None:  # a step starts: the one before it is done
            if started:
                bar.update()
            started.append(text)
            bar.set_description_str(f"clvkit report: {text}")

        step("reading the log")
        extra = [args.amount] + ([args.segment] if args.segment else [])
        log = _read_log(args, path, extra)
        analysis = analyse(
            log, settings, source=path.name, log_path=str(path), progress=progress, step=step
        )
        step("drawing the figures")
        with captured_warnings(analysis.notes):
            figures = draw_figures(analysis, log)
        step("writing the report")
        command = "clvkit " + shlex.join(argv)
        page = render_report(analysis, figures, command=command, json_name=json_out.name)
        numbers = json.dumps(report_numbers(analysis), indent=1, allow_nan=False)
        with atomic_path(json_out) as tmp_json, atomic_path(out) as tmp_html:
            tmp_json.write_text(numbers, encoding="utf-8")
            tmp_html.write_text(page, encoding="utf-8")
        bar.update()
    for note in analysis.notes:
        _say(args, f"note: {note}")
    t = analysis.totals.iloc[0]
    _say(
        args,
        f"wrote {out} and {json_out.name}: {analysis.n_customers:,} customers, value model "
        f"{analysis.chosen}, actual CLV {t['actual_clv']:,.0f}, value at risk "
        f"{t['value_at_risk']:,.0f} over {settings.horizon}",
    )
    return 0
