"""Speed of intervals, relative to clvkit's own point prediction (issue 13).

Run with the rest of the suite (``python -m benchmarks [--quick] [--check]``), or alone::

    python -m benchmarks.uncertainty [--quick]

Cases (each measured in its own subprocess, as the lifetimes comparisons are):

``interval_delta``
    ``predict_clv(model, customers, horizon="52W", discount_rate=0.10, interval=0.9)``
    (delta method, every CLV column with bounds) against the same call without
    ``interval``. Target: at most 4x the point prediction.
``segments_parametric``
    ``segment_summary(clv, by="lifecycle", interval=0.9, method="parametric",
    n_draws=200)`` (one thread) against the point ``predict_clv``. Target: at most 30x.
``bootstrap_cdnow``
    ``CLVModel.bootstrap(cdnow, n_draws=200, n_jobs=2)`` on the CDNOW calibration period
    (2,357 customers) against 200 times one ``CLVModel().fit``. Target: under 10 s on two
    cores.

The ``ratio`` column is *baseline seconds / measured seconds*: the share of the
baseline's speed kept (0.25 means four times the time of a point prediction), so the
floors in ``benchmarks/floors.json`` work as for the lifetimes ratios: higher is better.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # ``python benchmarks/uncertainty.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks import data

ROOT = Path(__file__).resolve().parent.parent
K, M = 1_000, 1_000_000
CDNOW = 2357
#: sizes per case (customers) in the quick and the full run
PLANS: dict[str, dict[str, list[int]]] = {
    "quick": {
        "interval_delta": [100 * K],
        "segments_parametric": [100 * K],
        "bootstrap_cdnow": [CDNOW],
    },
    "full": {
        "interval_delta": [100 * K, 1 * M],
        "segments_parametric": [100 * K, 1 * M],
        "bootstrap_cdnow": [CDNOW],
    },
}
DRAWS = 200
HEADER = (
    f"{'case':<20} {'size':>5} {'with interval s':>16} {'baseline s':>11} {'ratio':>7} "
    f"{'times':>7} {'MiB':>6}"
)


# -- one measurement, in a subprocess --------------------------------------------------------
def _frame(n: int) -> Any:
    import pandas as pd

    c = data.load_cohort(data.cohort(n))
    columns = ("frequency", "recency", "T", "monetary_value", "historical_value")
    frame = pd.DataFrame({k: c[k] for k in columns})
    frame.attrs["time_unit"] = "W"
    return frame


def _cdnow() -> Any:
    import clvkit as ck

    tx = ck.datasets.load_cdnow_transactions()
    calibration = tx[tx["date"] <= "1997-09-30"]
    return ck.rfm_summary(  # dates without times: the repeated rows are real purchases
        calibration,
        monetary="amount",
        time_unit="W",
        observation_end="1997-09-30",
        duplicates="keep",
    )


def measure(spec: dict[str, Any]) -> dict[str, Any]:
    """Time one case: the call with intervals (best of ``repeat``) and its baseline."""
    import clvkit as ck
    from benchmarks.measure import _timed

    case, size, repeat = spec["case"], int(spec["size"]), int(spec.get("repeat", 1))
    kw = {"horizon": "52W", "discount_rate": 0.10}
    if case == "bootstrap_cdnow":
        rfm = _cdnow()
        model = ck.CLVModel().fit(rfm)
        seconds, draws, peak = _timed(
            lambda: model.bootstrap(rfm, n_draws=DRAWS, random_state=0, n_jobs=2), repeat
        )
        one, _, _ = _timed(lambda: ck.CLVModel().fit(rfm), 5)
        return {
            "seconds": seconds,
            "baseline": DRAWS * one,
            "peak_mib": peak,
            "draws": len(draws),
        }
    frame = _frame(size)
    model = ck.CLVModel().fit(frame)  # fitted: the intervals need the covariances
    point, clv, _ = _timed(lambda: model.predict_clv(frame, **kw), repeat)
    if case == "interval_delta":
        seconds, _, peak = _timed(lambda: model.predict_clv(frame, interval=0.9, **kw), repeat)
    elif case == "segments_parametric":
        seconds, _, peak = _timed(
            lambda: ck.segment_summary(
                clv,
                interval=0.9,
                model=model,
                customers=frame,
                method="parametric",
                n_draws=DRAWS,
                random_state=0,
            ),
            repeat,
        )
    else:
        raise SystemExit(f"unknown case {case!r}")
    return {"seconds": seconds, "baseline": point, "peak_mib": peak}


def _measure_in_subprocess(spec: dict[str, Any]) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.uncertainty", "--measure", json.dumps(spec)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return dict(json.loads(line[len("RESULT ") :]))
    raise RuntimeError(
        f"measurement {spec} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    )


# -- the plan, rows in the suite's format -----------------------------------------------------
def run_plan(mode: str, only: list[str] | None = None) -> list[dict[str, Any]]:
    """Measure every case of ``mode``; rows with ``case``, ``size``, ``clvkit`` (seconds,
    peak), ``baseline`` seconds and ``ratio`` (baseline / measured), as the suite's."""
    rows: list[dict[str, Any]] = []
    cases = {c: s for c, s in PLANS[mode].items() if not only or c in only}
    if not cases:
        return rows
    print("\nintervals: ratio = baseline s / with-interval s (higher is better)")
    print(HEADER, flush=True)
    for case, sizes in cases.items():
        for size in sizes:
            repeat = 3 if size <= 100 * K else 1
            result = _measure_in_subprocess({"case": case, "size": size, "repeat": repeat})
            row = {
                "case": case,
                "size": size,
                "clvkit": {"seconds": result["seconds"], "peak_mib": result["peak_mib"]},
                "lifetimes": None,
                "baseline_seconds": result["baseline"],
                "ratio": result["baseline"] / result["seconds"],
            }
            rows.append(row)
            print(_line(row), flush=True)
    return rows


def _line(row: dict[str, Any]) -> str:
    size = f"{row['size'] // M}M" if row["size"] >= M else f"{row['size'] // K}k"
    if row["case"] == "bootstrap_cdnow":
        size = "cdnow"
    s, b = row["clvkit"]["seconds"], row["baseline_seconds"]
    peak = row["clvkit"].get("peak_mib")
    return (
        f"{row['case']:<20} {size:>5} {s:>16.3f} {b:>11.3f} {row['ratio']:>7.3f} "
        f"{s / b:>6.1f}x {'' if peak is None else f'{peak:.0f}':>6}"
    )


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue 13's speed targets, where the rows allow judging them."""
    out = []

    def find(case: str, size: int) -> dict[str, Any] | None:
        return next((r for r in rows if r["case"] == case and r["size"] == size), None)

    if r := find("interval_delta", M):
        x = r["clvkit"]["seconds"] / r["baseline_seconds"]
        out.append(
            {
                "target": "delta intervals 1M, 52 steps: <= 4x the point prediction",
                "measured": f"{x:.2f}x",
                "met": bool(x <= 4),
            }
        )
    if r := find("segments_parametric", M):
        x = r["clvkit"]["seconds"] / r["baseline_seconds"]
        out.append(
            {
                "target": "parametric segment totals 1M, 200 draws: <= 30x the point prediction",
                "measured": f"{x:.1f}x",
                "met": bool(x <= 30),
            }
        )
    if r := find("bootstrap_cdnow", CDNOW):
        s = r["clvkit"]["seconds"]
        out.append(
            {
                "target": "bootstrap CDNOW, 200 refits, 2 threads: < 10 s",
                "measured": f"{s:.2f} s",
                "met": bool(s < 10),
            }
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.uncertainty")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        warnings.simplefilter("ignore")
        print("RESULT " + json.dumps(measure(json.loads(args.measure)), default=float))
        return 0
    t0 = time.perf_counter()
    rows = run_plan("quick" if args.quick else "full")
    for t in targets(rows):
        print(f"  [{'met' if t['met'] else 'MISSED'}] {t['target']}: {t['measured']}")
    print(f"({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
