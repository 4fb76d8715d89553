"""Wall time of ``clvkit report``, end to end, on two logs.

Usage::

    python -m benchmarks.cli_report            # both logs; writes benchmarks/cli_report.json
    python -m benchmarks.cli_report --master   # the CDNOW master log only

- the CDNOW master log (69,659 transactions of 23,570 customers) as CSV, the whole
  command timed ``--repeat`` times (a fresh process each: imports included);
- a simulated log of about 10,000,000 transactions of 950,000 customers in Parquet
  (:func:`clvkit.datasets.simulate_transactions`, ten seeded cohorts of 95,000 customers
  with about ten purchases each over two years, rows shuffled as in a time-ordered log),
  generated once into ``benchmarks/results/cli/`` (git-ignored) and timed once.

Targets (issue 16): under 10 s and under 2 minutes. The record, with the commit and the
machine, is ``benchmarks/cli_report.json``, which the "Command line" documentation page
reads; its figures are never typed by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CACHE = HERE / "results" / "cli"
RECORD = HERE / "cli_report.json"
TARGETS = {"cdnow_master": 10.0, "simulated_10m": 120.0}

#: the generating model of the large log: BG/NBD purchases (about ten per customer over
#: two years) and Gamma-Gamma spend
BG_PARAMS = {"r": 1.2, "alpha": 5.5, "a": 0.6, "b": 6.0}
GG_PARAMS = {"p": 6.0, "q": 3.5, "v": 15.0}
COHORTS, PER_COHORT = 10, 95_000


def master_log() -> Path:
    path = CACHE / "cdnow_master.csv"
    if not path.exists():
        import clvkit as ck

        CACHE.mkdir(parents=True, exist_ok=True)
        ck.datasets.load_cdnow_master_transactions().to_csv(path, index=False)
    return path


def large_log() -> Path:
    path = CACHE / "simulated_10m.parquet"
    if path.exists():
        return path
    import numpy as np
    import pandas as pd

    import clvkit as ck

    CACHE.mkdir(parents=True, exist_ok=True)
    parts = []
    for k in range(COHORTS):
        tx = ck.datasets.simulate_transactions(
            PER_COHORT, seed=100 + k, bg_params=BG_PARAMS, gg_params=GG_PARAMS,
            observation_days=730,
        )  # fmt: skip
        tx = tx.drop(columns="alive")
        tx["customer_id"] += k * PER_COHORT
        parts.append(tx)
    log = pd.concat(parts, ignore_index=True)
    log = log.iloc[np.random.default_rng(0).permutation(len(log))].reset_index(drop=True)
    tmp = path.with_suffix(".tmp")
    log.to_parquet(tmp, index=False)
    tmp.replace(path)
    return path


def time_report(log: Path, out: Path, repeat: int) -> dict[str, Any]:
    script = Path(sys.executable).parent / "clvkit"
    seconds = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(
            [str(script), "report", str(log), "-q", "-o", str(out)], check=True, timeout=1200
        )
        seconds.append(time.perf_counter() - start)
    rows = None
    if log.suffix == ".parquet":
        import pyarrow.parquet as pq

        rows = pq.read_metadata(log).num_rows
    else:
        with open(log, encoding="utf-8") as handle:
            rows = sum(1 for _ in handle) - 1
    numbers = json.loads(out.with_suffix(".json").read_text())
    return {
        "transactions": rows,
        "customers": numbers["data"]["customers"],
        "runs": [round(s, 2) for s in seconds],
        "best_seconds": round(min(seconds), 2),
        "median_seconds": round(statistics.median(seconds), 2),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.cli_report")
    parser.add_argument("--master", action="store_true", help="the CDNOW master log only")
    parser.add_argument("--repeat", type=int, default=3, help="runs on the master log")
    args = parser.parse_args(argv)
    CACHE.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "git_commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
        ).stdout.strip(),
        "targets_seconds": TARGETS,
        "cases": {},
    }
    result["cases"]["cdnow_master"] = time_report(
        master_log(), CACHE / "report-master.html", args.repeat
    )
    print("cdnow_master", result["cases"]["cdnow_master"], flush=True)
    if not args.master:
        result["cases"]["simulated_10m"] = time_report(large_log(), CACHE / "report-10m.html", 1)
        print("simulated_10m", result["cases"]["simulated_10m"], flush=True)
        RECORD.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    failed = [
        name for name, case in result["cases"].items() if case["best_seconds"] > TARGETS[name]
    ]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
