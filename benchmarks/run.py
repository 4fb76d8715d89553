"""clvkit against lifetimes 0.11.3, on the same simulated data, in the same run.

Usage::

    python -m benchmarks                 # full run: 10k .. 10M customers (about 15 min)
    python -m benchmarks --quick         # small sizes, under 3 minutes
    python -m benchmarks --quick --check # ... and fail on a speed-ratio regression
    python -m benchmarks --publish       # full run kept in benchmarks/published/, README tables
    python -m benchmarks --write-tables  # README tables from the newest published run

Every measurement runs in a fresh subprocess (:mod:`benchmarks.measure`) on data cached
under ``benchmarks/.cache/``. The table reports wall seconds of each library, their ratio
(lifetimes / clvkit: how many times faster clvkit is), how well the results agree and the
peak memory above the loaded input. A JSON file with the machine's description goes to
``benchmarks/results/``. ``--check`` compares the *ratios* (never bare seconds: the
machines are shared and noisy) with the floors in ``benchmarks/floors.json``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # ``python benchmarks/run.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from benchmarks import data, tables, uncertainty
from clvkit import datasets as ck_datasets

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
FLOORS = HERE / "floors.json"
RESULTS = HERE / "results"

K, M = 1_000, 1_000_000
#: sizes per case (customers, or transactions for rfm_summary) and the largest size
#: lifetimes is run at (beyond it, it takes minutes and gigabytes)
PLANS: dict[str, dict[str, tuple[list[int], int]]] = {
    "quick": {
        "bgnbd_fit": ([10 * K, 100 * K], 100 * K),
        "bgnbd_fit_distinct": ([100 * K], 100 * K),
        "gammagamma_fit": ([10 * K, 100 * K], 100 * K),
        "rfm_summary": ([100 * K, 1 * M], 1 * M),
        "clv_predict": ([10 * K, 100 * K], 100 * K),
        "clv_one": ([1], 1),
        "mbgnbd_fit": ([100 * K], 100 * K),
        "pareto_fit": ([10 * K], 10 * K),
        "bgbb_fit": ([10 * K], 10 * K),
        "clv_predict_pareto": ([100 * K], 0),
    },
    "full": {
        "bgnbd_fit": ([10 * K, 100 * K, 1 * M, 10 * M], 1 * M),
        "bgnbd_fit_distinct": ([1 * M, 10 * M], 1 * M),
        "gammagamma_fit": ([10 * K, 100 * K, 1 * M, 10 * M], 1 * M),
        "rfm_summary": ([100 * K, 1 * M, 10 * M], 10 * M),
        "clv_predict": ([10 * K, 100 * K, 1 * M, 10 * M], 1 * M),
        "clv_one": ([1], 1),
        "mbgnbd_fit": ([100 * K, 1 * M, 10 * M], 1 * M),
        "mbgnbd_fit_distinct": ([10 * M], 0),
        "pareto_fit": ([100 * K, 1 * M, 10 * M], 100 * K),
        "pareto_fit_distinct": ([10 * M], 0),
        "bgbb_fit": ([1 * M], 1 * M),
        "clv_predict_pareto": ([1 * M], 0),
    },
}
#: cases timed against clvkit's own baseline (the same call with BG/NBD), not lifetimes
OWN_BASELINE = ("clv_predict_pareto",)
FIT_CASES = (
    "bgnbd_fit",
    "bgnbd_fit_distinct",
    "gammagamma_fit",
    "mbgnbd_fit",
    "mbgnbd_fit_distinct",
    "pareto_fit",
    "pareto_fit_distinct",
    "bgbb_fit",
)
LIBRARIES = ("clvkit", "lifetimes")


def _repeat(size: int) -> int:
    """Repeats of a measurement, for both libraries alike (the child stops earlier once
    the calls have taken ``measure.BUDGET_SECONDS``): the best of several keeps a
    moment's slowdown of the machine out of the figure."""
    return 5 if size <= 10 * K else 3


def _data_for(case: str, size: int) -> Path:
    if case == "rfm_summary":
        return data.transaction_log(size)
    if case == "clv_one":
        return data.cohort(10 * K)
    if case == "bgbb_fit":
        return data.donor_cohort(size)
    model, _, shape = case.partition("_fit")
    kernel = {"mbgnbd": "mbgnbd", "pareto": "pareto_nbd"}.get(model)
    if shape == "_distinct":
        return data.distinct_cohort(size, kernel or "bgnbd")
    if kernel is not None:
        return data.daily_cohort(size, kernel)
    return data.cohort(size)


def _measure(spec: dict[str, Any]) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.measure", json.dumps(spec)],
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


def _agreement(case: str, ck: dict[str, Any], lt: dict[str, Any]) -> tuple[float, str]:
    """A number (smaller is better) and how to read it."""
    if case in FIT_CASES:
        a, b = np.array(ck["params"]), np.array(lt["params"])
        return float(np.max(np.abs(a / b - 1.0))), "max rel. param diff"
    if case == "rfm_summary":
        with (
            np.load(ck["output"], allow_pickle=True) as x,
            np.load(lt["output"], allow_pickle=True) as y,
        ):
            if not np.array_equal(x["index"], y["index"]) or x["values"].shape != y["values"].shape:
                return float("inf"), "customers differ"
            return float(np.max(np.abs(x["values"] - y["values"]))), "max abs diff"
    if case == "clv_predict":
        return abs(ck["total"] / lt["total"] - 1.0), "total CLV rel. diff (step grids differ)"
    return float("nan"), ""


def machine() -> dict[str, Any]:
    import lifetimes
    import pandas as pd
    import scipy

    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
    except (OSError, StopIteration):
        mem_kib = -1
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": cpu,
        "cpu_count": os.cpu_count(),
        "memory_gib": round(mem_kib / 2**20, 1),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "lifetimes": getattr(lifetimes, "__version__", "?"),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "load_average": [round(v, 2) for v in os.getloadavg()],
        "git_commit": commit,
    }


def run_plan(mode: str, only: list[str] | None) -> list[dict[str, Any]]:
    bg = list(ck_datasets.CDNOW_BG_PARAMS.values())
    gg = list(ck_datasets.CDNOW_GG_PARAMS.values())
    rows = []
    for case, (sizes, lt_max) in PLANS[mode].items():
        if only and case not in only:
            continue
        for size in sizes:
            path = _data_for(case, size)
            row: dict[str, Any] = {"case": case, "size": size}
            for lib in LIBRARIES:
                if lib == "lifetimes" and size > lt_max:
                    row[lib] = None
                    continue
                spec = {
                    "case": case,
                    "library": lib,
                    "data": str(path),
                    "repeat": _repeat(size),
                    "bg_params": bg,
                    "gg_params": gg,
                }
                row[lib] = _measure(spec)
            ck, lt = row["clvkit"], row["lifetimes"]
            row["ratio"] = lt["seconds"] / ck["seconds"] if lt else None
            if case in OWN_BASELINE:
                row["baseline_seconds"] = ck["baseline"]
                row["ratio"] = ck["baseline"] / ck["seconds"]
            if lt:
                row["agreement"], row["agreement_kind"] = _agreement(case, ck, lt)
            rows.append(row)
            print(_line(row), flush=True)
    return rows


def _fmt_size(size: int) -> str:
    return (
        f"{size // M}M"
        if size >= M and size % M == 0
        else f"{size // K}k"
        if size >= K
        else str(size)
    )


HEADER = (
    f"{'case':<19} {'size':>5} {'clvkit s':>10} {'lifetimes s':>12} {'ratio':>7} "
    f"{'agreement':>10} {'ck MiB':>8} {'lt MiB':>8}"
)


def _line(row: dict[str, Any]) -> str:
    ck, lt = row["clvkit"], row["lifetimes"]
    agree = row.get("agreement")
    agree_s = "" if agree is None or agree != agree else f"{agree:.1e}"
    ck_mem = "" if ck.get("peak_mib") is None else f"{ck['peak_mib']:.0f}"
    lt_mem = "" if not lt or lt.get("peak_mib") is None else f"{lt['peak_mib']:.0f}"
    lt_s = f"{lt['seconds']:.4f}" if lt else "-"
    if "baseline_seconds" in row:
        lt_s = f"{row['baseline_seconds']:.4f}*"
    ratio = f"{row['ratio']:.1f}" if row["ratio"] else "-"
    return (
        f"{row['case']:<19} {_fmt_size(row['size']):>5} {ck['seconds']:>10.4f} {lt_s:>12} "
        f"{ratio:>7} {agree_s:>10} {ck_mem:>8} {lt_mem:>8}"
    )


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets, where this run has the rows to judge them."""

    def find(case: str, size: int) -> dict[str, Any] | None:
        return next((r for r in rows if r["case"] == case and r["size"] == size), None)

    out = []

    def add(name: str, measured: str, ok: bool) -> None:
        out.append({"target": name, "measured": measured, "met": bool(ok)})

    if (r := find("bgnbd_fit", M)) and r["lifetimes"]:
        add("BG/NBD fit 1M: >= 30x lifetimes", f"{r['ratio']:.1f}x", r["ratio"] >= 30)
        add("BG/NBD fit 1M: >= 100x lifetimes (issue 15)", f"{r['ratio']:.1f}x", r["ratio"] >= 100)
        add("BG/NBD fit 1M: params agree 1e-4", f"{r['agreement']:.1e}", r["agreement"] <= 1e-4)
    if r := find("bgnbd_fit_distinct", 10 * M):
        c = r["clvkit"]
        add(
            "BG/NBD fit 10M, all rows distinct: <= 1.5 s (issue 15)",
            f"{c['seconds']:.2f} s",
            c["seconds"] <= 1.5,
        )
    if r := find("bgnbd_fit", 10 * M):
        c = r["clvkit"]
        add("BG/NBD fit 10M: <= 5 s", f"{c['seconds']:.2f} s", c["seconds"] <= 5)
        add(
            "BG/NBD fit 10M: peak <= 2.5 GB above input",
            f"{c['peak_mib'] / 1024:.2f} GiB",
            c["peak_mib"] <= 2.5e9 / 2**20,
        )
    if (r := find("gammagamma_fit", M)) and r["lifetimes"]:
        add("Gamma-Gamma fit 1M: >= 20x lifetimes", f"{r['ratio']:.1f}x", r["ratio"] >= 20)
    if (r := find("rfm_summary", 10 * M)) and r["lifetimes"]:
        add("RFM summary 10M tx: >= 3x lifetimes", f"{r['ratio']:.1f}x", r["ratio"] >= 3)
        add("RFM summary 10M tx: identical", f"{r['agreement']:.1e}", r["agreement"] <= 1e-9)
    if (r := find("clv_predict", M)) and r["lifetimes"]:
        c = r["clvkit"]
        add("predict_clv 1M: <= 3 s", f"{c['seconds']:.2f} s", c["seconds"] <= 3)
        add("predict_clv 1M: >= 5x lifetimes", f"{r['ratio']:.1f}x", r["ratio"] >= 5)
    if r := find("clv_predict", 10 * M):
        c = r["clvkit"]
        add("predict_clv 10M: <= 3 s (issue 15)", f"{c['seconds']:.2f} s", c["seconds"] <= 3)
        add(
            "predict_clv 10M: peak < 1 GB above input (issue 15)",
            f"{c['peak_mib'] / 1024:.2f} GiB",
            c["peak_mib"] < 1e9 / 2**20,
        )
    if (r := find("pareto_fit", 100 * K)) and r["lifetimes"]:
        add(
            "Pareto/NBD fit 100k: >= 30x lifetimes (issue 11)",
            f"{r['ratio']:.1f}x",
            r["ratio"] >= 30,
        )
    if (r := find("mbgnbd_fit", M)) and r["lifetimes"]:
        add("MBG/NBD fit 1M: >= 30x lifetimes (issue 11)", f"{r['ratio']:.1f}x", r["ratio"] >= 30)
    if (r := find("bgbb_fit", M)) and r["lifetimes"]:
        add("BG/BB fit 1M: >= 50x lifetimes (issue 12)", f"{r['ratio']:.1f}x", r["ratio"] >= 50)
    if r := find("clv_predict_pareto", M):
        times = r["clvkit"]["seconds"] / r["baseline_seconds"]
        add(
            "predict_clv 1M with Pareto/NBD: <= 2x the BG/NBD time (issue 11)",
            f"{times:.2f}x",
            times <= 2,
        )
    if r := find("clv_one", 1):
        s = r["clvkit"]["seconds"]
        add("predict_clv one customer from file: median <= 1 ms", f"{s * 1e3:.3f} ms", s <= 1e-3)
        add(
            "predict_clv one customer from file: median <= 0.5 ms (issue 15)",
            f"{s * 1e3:.3f} ms",
            s <= 0.5e-3,
        )
    return out


def check(rows: list[dict[str, Any]], mode: str) -> list[str]:
    floors = json.loads(FLOORS.read_text())[mode]
    failures = []
    for key, floor in floors.items():
        case, size = key.split("/")
        row = next((r for r in rows if r["case"] == case and r["size"] == int(size)), None)
        if row is None or row["ratio"] is None:
            continue
        status = "ok" if row["ratio"] >= floor else "REGRESSION"
        print(f"  {key:<28} ratio {row['ratio']:7.3g}  floor {floor:6.3g}  {status}")
        if row["ratio"] < floor:
            failures.append(key)
    return failures


def _newest_published() -> Path:
    found = tables.latest_published(mode="full") or tables.latest_published(mode="quick")
    if found is None:
        raise SystemExit(f"No published run in {tables.PUBLISHED}; run with --publish first.")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (under 3 minutes)")
    parser.add_argument("--check", action="store_true", help="fail if a ratio is below its floor")
    parser.add_argument("--only", nargs="*", help="run only these cases")
    parser.add_argument("--output", type=Path, help="JSON path (default benchmarks/results/)")
    parser.add_argument(
        "--publish",
        action="store_true",
        help="keep the JSON in benchmarks/published/ (committed) and rewrite the README tables",
    )
    parser.add_argument(
        "--write-tables",
        nargs="?",
        const="",
        metavar="JSON",
        help="only rewrite the README tables, from JSON (default: the newest published run)",
    )
    parser.add_argument(
        "--engines",
        action="store_true",
        help="opt-in: 10M transactions in pandas, DuckDB and Spark (see benchmarks/engines.py)",
    )
    parser.add_argument(
        "--engines-100m",
        action="store_true",
        help="opt-in: 100M transactions in Parquet through DuckDB, fits on 10M summaries",
    )
    parser.add_argument(
        "--engines-fits",
        action="store_true",
        help="opt-in: only the fits on the 10M summaries left by --engines-100m",
    )
    args = parser.parse_args(argv)
    if args.write_tables is not None:
        source = Path(args.write_tables) if args.write_tables else _newest_published()
        tables.write_tables(source)
        print(f"{tables.README} tables written from {source}")
        return 0
    if args.engines or args.engines_100m or args.engines_fits:
        return engines_main(args)
    mode = "quick" if args.quick else "full"
    started = _dt.datetime.now(_dt.UTC)
    print(f"clvkit vs lifetimes, {mode} run; ratio = lifetimes s / clvkit s")
    print(HEADER, flush=True)
    rows = run_plan(mode, args.only)
    rows += uncertainty.run_plan(mode, args.only)  # intervals against the point prediction
    met = targets(rows) + uncertainty.targets(rows)
    if met:
        print("\ntargets:")
        for t in met:
            print(f"  [{'met' if t['met'] else 'MISSED'}] {t['target']}: {t['measured']}")
    failures: list[str] = []
    if args.check:
        print("\nratio floors (benchmarks/floors.json):")
        failures = check(rows, mode)
    result = {
        "mode": mode,
        "started": started.isoformat(timespec="seconds"),
        "seconds_total": (_dt.datetime.now(_dt.UTC) - started).total_seconds(),
        "machine": machine(),
        "results": rows,
        "targets": met,
        "check_failures": failures if args.check else None,
    }
    folder = tables.PUBLISHED if args.publish else RESULTS
    out = args.output or folder / f"{mode}-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=float) + "\n")
    print(f"\nJSON written to {out}")
    if args.publish:
        tables.write_tables(out)
        print(f"{tables.README} tables written from {out}")
    if failures:
        print(f"speed regression: {', '.join(failures)} below the floor", file=sys.stderr)
        return 1
    return 0


def engines_main(args: argparse.Namespace) -> int:
    """The opt-in engine benchmarks: table, targets, JSON, and ``benchmarks/engines.json``."""
    from benchmarks import engines

    groups = (["10m"] if args.engines else []) + (["100m"] if args.engines_100m else [])
    groups += ["fits"] if args.engines_fits and not args.engines_100m else []
    started = _dt.datetime.now(_dt.UTC)
    print(f"engines: {', '.join(groups)}; wall time and peak memory of the whole process")
    rows = engines.run(groups)
    met = engines.targets(rows)
    if met:
        print("\ntargets:")
        for t in met:
            print(f"  [{'met' if t['met'] else 'MISSED'}] {t['target']}: {t['measured']}")
    info = machine()
    result = {
        "mode": "engines-" + "+".join(groups),
        "started": started.isoformat(timespec="seconds"),
        "seconds_total": (_dt.datetime.now(_dt.UTC) - started).total_seconds(),
        "machine": info,
        "results": rows,
        "targets": met,
    }
    out = args.output or RESULTS / f"engines-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=float))
    engines.record(rows, info)
    print(f"\nJSON written to {out}; figures for the docs merged into {engines.RECORD}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
