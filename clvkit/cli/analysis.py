"""The numbers of ``clvkit report``, every one from clvkit's public API.

:func:`analyse` takes a transaction log to everything the report shows: the data
summary and the warnings raised on it, three purchase models fitted on a calibration
period and scored on the holdout (:func:`clvkit.compare_models`), the chosen model
refitted on the whole log with Gamma-Gamma for spend, each customer's actual and
potential value with intervals (:meth:`clvkit.CLVModel.predict_clv`), the same per
lifecycle stage and per segment (:func:`clvkit.segment_summary`), the retention and
cohort tables. Nothing here computes a model quantity itself; it only chooses, filters
and arranges.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

import clvkit as ck
from clvkit.errors import ClvkitError, InputError

__all__ = ["MODELS", "Analysis", "ReportSettings", "analyse", "captured_warnings"]

#: command-line name -> purchase-model class (public names only)
MODELS: dict[str, type[ck.PurchaseModel]] = {
    "bgnbd": ck.BetaGeo,
    "mbgnbd": ck.ModifiedBetaGeo,
    "pnbd": ck.ParetoNBD,
}


@dataclass(frozen=True)
class ReportSettings:
    """What ``clvkit report`` was asked for (the command-line options)."""

    customer_id: str = "customer_id"
    date: str = "date"
    amount: str = "amount"
    segment: str | None = None
    time_unit: str = "W"
    grain: str = "D"
    calibration_end: str | None = None
    observation_end: str | None = None
    horizon: str = "52W"
    discount_rate: float = 0.10
    margin: float = 1.0
    interval: float = 0.9
    model: str = "auto"
    period: str = "M"
    top: int = 50
    datetime_format: str | None = None
    duplicates: str = "warn"


@dataclass
class Analysis:
    """Everything the report shows (frames from clvkit, fitted models, notes)."""

    settings: ReportSettings
    source: str
    n_rows: int
    first_date: pd.Timestamp
    last_date: pd.Timestamp
    observation_end: str
    calibration_end: str
    holdout_length: float
    rfm: pd.DataFrame
    calibration: pd.DataFrame
    set_aside: pd.Index
    fits: dict[str, Any]
    failed_fits: dict[str, str]
    scorecard: pd.DataFrame
    chosen: str
    chosen_reason: str
    model: ck.CLVModel
    clv: pd.DataFrame
    totals: pd.DataFrame
    by_lifecycle: pd.DataFrame
    by_segment: pd.DataFrame
    segment_name: str
    retention: pd.DataFrame
    cohorts: pd.DataFrame
    top: pd.DataFrame
    notes: list[str] = field(default_factory=list)

    @property
    def n_customers(self) -> int:
        return len(self.rfm)

    @property
    def n_purchases(self) -> int:
        return int((self.rfm["frequency"] + 1).sum())


@contextmanager
def captured_warnings(notes: list[str]) -> Iterator[None]:
    """Record clvkit's warnings (data checks, convergence) as one-line notes, each once.

    Every log summary repeats the log's checks and names itself in the message
    ("... transactions in rfm_summary repeat ..."), so messages are compared with the
    function's name taken out.
    """
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ck.errors.DataWarning)
            warnings.simplefilter("always", ck.errors.ConvergenceWarning)
            yield
    finally:
        # outside the recording block: a warning passed on must not land in `caught` again
        seen = {_normalised(n) for n in notes}
        for w in caught:
            if not issubclass(w.category, ck.errors.DataWarning | ck.errors.ConvergenceWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
                continue
            text = " ".join(str(w.message).split())
            key = _normalised(text)
            if key not in seen:
                seen.add(key)
                notes.append(text)


_SUMMARIES = ("rfm_summary", "calibration_holdout", "retention_table", "cohort_table")


def _normalised(text: str) -> str:
    for name in _SUMMARIES:
        text = text.replace(f" in {name}", "").replace(f"{name}: ", "")
    return text


def _midpoint(first: pd.Timestamp, last: pd.Timestamp) -> str:
    middle = first + (last - first) / 2
    return str(middle.date())


def _zero_spend(rfm: pd.DataFrame) -> pd.Series:
    """Repeat buyers whose repeat purchases are all worth 0: Gamma-Gamma cannot value them."""
    return (rfm["frequency"] > 0) & (rfm["monetary_value"] <= 0)


def analyse(
    log: pd.DataFrame,
    settings: ReportSettings,
    *,
    source: str,
    log_path: str | None = None,
    progress: bool | None = None,
    step: Callable[[str], None] = lambda _: None,
) -> Analysis:
    """Run the report's analysis on a transaction log (see the module notes).

    ``log`` is the log read into pandas, ``log_path`` the file it was read from, and
    ``step(text)`` is called as each stage starts (the command's progress).
    """
    s = settings
    notes: list[str] = []
    columns: dict[str, Any] = {
        "customer_id": s.customer_id,
        "datetime": s.date,
        "datetime_format": s.datetime_format,
        "duplicates": s.duplicates,
    }
    # What the four log summaries below read. With the DuckDB engine (clvkit.engines),
    # which takes Parquet/CSV paths, this one line becomes `summaries_source = log_path`
    # (the pandas log is still read for the first/last dates, --segment labels and the
    # cumulative-purchases plot).
    summaries_source: Any = log

    step("summarising the log")
    with captured_warnings(notes):
        rfm = ck.rfm_summary(
            summaries_source,
            monetary=s.amount,
            time_unit=s.time_unit,
            grain=s.grain,
            observation_end=s.observation_end,
            progress=progress,
            **columns,
        )
    dates = log[s.date]
    first, last = pd.Timestamp(dates.min()), pd.Timestamp(dates.max())
    observation_end = str(rfm.attrs["observation_end"])
    calibration_end = s.calibration_end or _midpoint(first, pd.Timestamp(observation_end))

    step("calibration and holdout")
    with captured_warnings(notes):
        cal = ck.calibration_holdout(
            summaries_source,
            calibration_end=calibration_end,
            observation_end=observation_end,
            monetary=s.amount,
            time_unit=s.time_unit,
            grain=s.grain,
            progress=progress,
            **columns,
        )
    set_aside = rfm.index[_zero_spend(rfm).to_numpy()]
    if len(set_aside):
        shown = ", ".join(str(i) for i in set_aside[:5]) + (", ..." if len(set_aside) > 5 else "")
        notes.append(
            f"{len(set_aside)} customer(s) whose repeat purchases are all worth 0 are left out "
            f"of the value figures (the spend model needs a positive spend per purchase); "
            f"they still count in the purchase models (customer ids: {shown})."
        )

    step("fitting and comparing the models")
    fits: dict[str, Any] = {}
    failed: dict[str, str] = {}
    for cls in MODELS.values():
        try:
            with captured_warnings(notes):
                fits[cls.display_name] = cls().fit(cal, progress=progress)
        except ClvkitError as exc:
            failed[cls.display_name] = str(exc)
    if not fits:
        raise InputError(
            "No purchase model could be fitted on the calibration period: "
            + "; ".join(f"{k}: {v}" for k, v in failed.items())
        )
    scorecard = ck.compare_models(fits, cal)
    chosen, reason = _choose(s.model, scorecard, fits)

    step(f"valuing customers with {chosen}")
    value_rfm = rfm.loc[~_zero_spend(rfm).to_numpy()]
    with captured_warnings(notes):
        purchase = MODELS[_key_of(chosen)]().fit(rfm, progress=progress)
        spend = ck.GammaGamma().fit(value_rfm)
    model = ck.CLVModel.from_models(purchase, spend, grain=rfm.attrs.get("grain"))
    with captured_warnings(notes):
        clv = model.predict_clv(
            value_rfm,
            horizon=s.horizon,
            discount_rate=s.discount_rate,
            margin=s.margin,
            interval=s.interval,
            progress=progress,
        )
    ranges: dict[str, Any] = {"interval": s.interval, "model": model, "customers": value_rfm}
    everyone = pd.Series("all customers", index=clv.index)
    totals = ck.segment_summary(clv, by=everyone, **ranges)
    by_lifecycle = ck.segment_summary(clv, by="lifecycle", **ranges)
    if s.segment is not None:
        labels = _first_label(log, s.customer_id, s.date, s.segment).reindex(clv.index)
        segment_name = s.segment
    else:
        labels = ck.rfm_segments(value_rfm)["segment"]
        segment_name = "RFM segment"
    by_segment = ck.segment_summary(clv, by=labels.rename(segment_name), **ranges)
    top = _top_at_risk(clv, value_rfm, s.top)

    step("retention and cohorts")
    with captured_warnings(notes):
        retention = ck.retention_table(
            summaries_source,
            period=s.period,
            monetary=s.amount,
            observation_end=observation_end,
            **columns,
        )
        cohorts = ck.cohort_table(
            summaries_source,
            period=s.period,
            metric="retention",
            observation_end=observation_end,
            **columns,
        )
    return Analysis(
        settings=s,
        source=source,
        n_rows=len(log),
        first_date=first,
        last_date=last,
        observation_end=observation_end,
        calibration_end=str(cal.attrs["calibration_end"]),
        holdout_length=float(cal["duration_holdout"].iloc[0]),
        rfm=rfm,
        calibration=cal,
        set_aside=set_aside,
        fits=fits,
        failed_fits=failed,
        scorecard=scorecard,
        chosen=chosen,
        chosen_reason=reason,
        model=model,
        clv=clv,
        totals=totals,
        by_lifecycle=by_lifecycle,
        by_segment=by_segment,
        segment_name=segment_name,
        retention=retention,
        cohorts=cohorts,
        top=top,
        notes=notes,
    )


def _key_of(display_name: str) -> str:
    return next(k for k, cls in MODELS.items() if cls.display_name == display_name)


def _choose(wanted: str, scorecard: pd.DataFrame, fits: dict[str, Any]) -> tuple[str, str]:
    """The model to value customers with, and why."""
    if wanted != "auto":
        name = MODELS[wanted].display_name
        if name not in fits:
            raise InputError(f"The model {name} asked for with --model could not be fitted.")
        return name, "chosen with --model"
    bic = scorecard["bic"].astype(float)
    name = str(bic.idxmin())
    return name, "the lowest BIC on the calibration period (--model to choose another)"


def _first_label(log: pd.DataFrame, customer_id: str, date: str, column: str) -> pd.Series:
    """Each customer's value of ``column`` on their first transaction (ties: first row)."""
    if column not in log.columns:
        raise InputError(
            f"No column {column!r} in the log for --segment; the columns are "
            f"{', '.join(repr(c) for c in log.columns)}."
        )
    ordered = log[[customer_id, date, column]].sort_values(date, kind="stable")
    first = ordered.drop_duplicates(customer_id, keep="first").set_index(customer_id)[column]
    return first.astype(str).where(first.notna(), "(missing)")


_TOP_COLUMNS = (
    "lifecycle_stage",
    "p_alive",
    "historical_value",
    "expected_value",
    "expected_value_lower",
    "expected_value_upper",
    "potential_value",
    "value_at_risk",
    "value_at_risk_lower",
    "value_at_risk_upper",
)


def _top_at_risk(clv: pd.DataFrame, rfm: pd.DataFrame, n: int) -> pd.DataFrame:
    """The ``n`` customers with the most value at risk, with their history."""
    top = clv.nlargest(n, "value_at_risk")
    out = top[[c for c in _TOP_COLUMNS if c in top.columns]].copy()
    history = rfm.loc[top.index]
    out.insert(1, "repeat_purchases", history["frequency"].to_numpy())
    out.insert(2, "since_last_purchase", (history["T"] - history["recency"]).to_numpy())
    return out


def finite_or_none(value: object) -> object:
    """JSON has no NaN or infinity: they become null."""
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return value
