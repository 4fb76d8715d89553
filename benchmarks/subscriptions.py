"""Speed of the contractual side: the sBG fit and subscriber value.

Usage::

    python -m benchmarks.subscriptions           # print the table and the targets
    python -m benchmarks.subscriptions --check   # exit 1 if a target is missed by 3x

No other library fits the sBG or values subscribers, so the cases are judged against the
absolute targets of the subscriptions issue (best wall time of several calls, data
prepared beforehand and not timed):

- ``sbg_fit_cohorts``: ``ShiftedBetaGeo().fit_survival`` on 1,000 cohorts x 36 monthly
  periods (1,000 customers each, observed for 1 to 36 periods, NaN after): < 0.1 s;
- ``subscription_value``: ``SubscriptionValue.predict_clv`` for 1,000,000 subscribers
  over 36 monthly renewals with discounting, every CLV column and the lifecycle stage:
  < 1 s;
- ``sbg_fit_subscribers`` (no target): ``ShiftedBetaGeo().fit`` on the same 1,000,000
  subscribers, one row each.

Machines are shared and noisy, so ``--check`` fails only when a case takes more than three
times its target (a real regression of the numerical core, not noise).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # ``python benchmarks/subscriptions.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import pandas as pd

import clvkit as ck

RESULTS = Path(__file__).resolve().parent / "results"
N_COHORTS, COHORT_SIZE, N_PERIODS = 1000, 1000, 36
N_SUBSCRIBERS = 1_000_000
TARGETS = {"sbg_fit_cohorts": 0.1, "subscription_value": 1.0}
CHECK_FACTOR = 3.0


def _best(fn: Callable[[], Any], repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return float(best)


def cohort_counts(seed: int = 0) -> pd.DataFrame:
    """1,000 cohorts of 1,000 customers drawn from the sBG (the paper's high-end
    parameters, monthly), each observed for 1 to 36 periods."""
    model = ck.ShiftedBetaGeo.from_params(**ck.datasets.SBG_HIGH_END_PARAMS, time_unit="M")
    rng = np.random.default_rng(seed)
    lifetimes = model._simulate_lifetimes(rng, N_COHORTS * COHORT_SIZE)
    lifetimes = lifetimes.reshape(N_COHORTS, COHORT_SIZE)
    ages = np.arange(N_PERIODS + 1)
    survivors = np.stack([(lifetimes > t).sum(axis=1) for t in ages], axis=1).astype(float)
    observed = rng.integers(1, N_PERIODS + 1, size=N_COHORTS)
    survivors[ages[None, :] > observed[:, None]] = np.nan
    table = pd.DataFrame(survivors)
    table.attrs["period"] = "M"
    return table


def run() -> list[dict[str, Any]]:
    rows = []
    table = cohort_counts()
    seconds = _best(lambda: ck.ShiftedBetaGeo().fit_survival(table), 7)
    fitted = ck.ShiftedBetaGeo().fit_survival(table)
    rows.append(
        {
            "case": "sbg_fit_cohorts",
            "size": f"{N_COHORTS} cohorts x {N_PERIODS} periods",
            "seconds": seconds,
            "note": f"gamma {fitted.params_['gamma']:.3f}, delta {fitted.params_['delta']:.3f}",
        }
    )
    subs = ck.datasets.simulate_subscribers(N_SUBSCRIBERS, periods=N_PERIODS, seed=1)
    subs = subs.drop(columns="lifetime")
    value = ck.SubscriptionValue().fit(subs)
    seconds = _best(
        lambda: value.predict_clv(subs, horizon=N_PERIODS, discount_rate=0.10, margin=0.8), 3
    )
    clv = value.predict_clv(subs, horizon=N_PERIODS, discount_rate=0.10, margin=0.8)
    rows.append(
        {
            "case": "subscription_value",
            "size": f"{N_SUBSCRIBERS:,} subscribers x {N_PERIODS} renewals",
            "seconds": seconds,
            "note": f"total actual CLV {clv['actual_clv'].sum():,.0f}",
        }
    )
    seconds = _best(lambda: ck.ShiftedBetaGeo().fit(subs), 3)
    rows.append(
        {
            "case": "sbg_fit_subscribers",
            "size": f"{N_SUBSCRIBERS:,} subscriber rows",
            "seconds": seconds,
            "note": "",
        }
    )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.subscriptions", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="fail if a target is missed 3x")
    parser.add_argument("--output", type=Path, help="JSON path (default benchmarks/results/)")
    args = parser.parse_args(argv)
    started = _dt.datetime.now(_dt.UTC)
    rows = run()
    print(f"{'case':<22} {'size':<38} {'seconds':>9}  target  note")
    failures = []
    for row in rows:
        target = TARGETS.get(row["case"])
        met = "" if target is None else ("met" if row["seconds"] <= target else "MISSED")
        print(
            f"{row['case']:<22} {row['size']:<38} {row['seconds']:>9.4f}  "
            f"{'' if target is None else f'< {target:g} s':<7} {met:<6} {row['note']}"
        )
        if target is not None and row["seconds"] > CHECK_FACTOR * target:
            failures.append(row["case"])
    out = args.output or RESULTS / f"subscriptions-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"started": started.isoformat(), "results": rows}, indent=2))
    print(f"\nJSON written to {out}")
    if args.check and failures:
        print(f"speed regression: {', '.join(failures)} above 3x the target", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
