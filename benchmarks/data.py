"""Benchmark cohorts from clvkit's own simulator, cached under ``benchmarks/.cache/``.

Realistic cohorts: customers acquired uniformly over one year and observed for two, a
transaction log with times of day, purchases at a daily grain, time unit a week (CDNOW
parameters). The log is simulated with :func:`clvkit.datasets.simulate_transactions` and
summarised with :func:`clvkit.rfm_summary`, in chunks of customers so memory stays bounded
for 10 million customers; so recency and T sit on a 1/7-week grid as in real data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import clvkit as ck

CACHE = Path(__file__).resolve().parent / ".cache"
START = "2024-01-01"
#: the simulator observes for 730 days from START; the last purchase day is 2025-12-30
OBSERVATION_END = "2025-12-31"
CHUNK = 500_000
#: transactions per customer in the simulated log (CDNOW parameters, 2-year window)
TX_PER_CUSTOMER = 2.85


def _chunk_rfm(n: int, seed: int) -> dict[str, np.ndarray]:
    tx = ck.datasets.simulate_transactions(n, start=START, seed=seed)
    rfm = ck.rfm_summary(tx, monetary="amount", time_unit="W", observation_end=OBSERVATION_END)
    columns = ("frequency", "recency", "T", "monetary_value", "historical_value")
    return {c: rfm[c].to_numpy() for c in columns}


def cohort(n: int, seed: int = 0) -> Path:
    """An ``.npz`` of the RFM columns (with monetary and historical value), ``n`` customers."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"cohort_{n}_{seed}.npz"
    if path.exists():
        return path
    parts: list[dict[str, np.ndarray]] = []
    done = 0
    chunk_no = 0
    while done < n:
        size = min(CHUNK, n - done)
        parts.append(_chunk_rfm(size, seed * 100_003 + chunk_no))
        done += size
        chunk_no += 1
    arrays = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    tmp = path.with_suffix(".tmp.npz")
    np.savez(tmp, **arrays)
    tmp.replace(path)
    return path


def transaction_log(n_transactions: int, seed: int = 0) -> Path:
    """An ``.npz`` log (``customer_id``, ``date`` as int64 ns, ``amount``) of about
    ``n_transactions`` rows."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"log_ns_{n_transactions}_{seed}.npz"  # dates as int64 nanoseconds
    if path.exists():
        return path
    n_customers = max(1, round(n_transactions / TX_PER_CUSTOMER))
    tx = ck.datasets.simulate_transactions(n_customers, start=START, seed=seed)
    tmp = path.with_suffix(".tmp.npz")
    np.savez(
        tmp,
        customer_id=tx["customer_id"].to_numpy(),
        date=tx["date"].to_numpy().astype("datetime64[ns]").view(np.int64),
        amount=tx["amount"].to_numpy(),
    )
    tmp.replace(path)
    return path


def load_log(path: Path) -> pd.DataFrame:
    with np.load(path) as z:
        return pd.DataFrame(
            {
                "customer_id": z["customer_id"],
                "date": z["date"].view("datetime64[ns]"),
                "amount": z["amount"],
            }
        )


def load_cohort(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as z:
        return {k: z[k] for k in z.files}
