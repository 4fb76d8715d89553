"""Benchmark cohorts from clvkit's own simulator, cached under ``benchmarks/.cache/``.

Realistic cohorts: customers acquired uniformly over one year and observed for two, a
transaction log with times of day, purchases at a daily grain, time unit a week (CDNOW
parameters). The log is simulated with :func:`clvkit.datasets.simulate_transactions` and
summarised with :func:`clvkit.rfm_summary`, in chunks of customers so memory stays bounded
for 10 million customers; so recency and T sit on a 1/7-week grid as in real data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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


#: parameters of the kernels' simulators, weekly, all on CDNOW (BG/BB: the donations)
MODEL_PARAMS = {
    "bgnbd": [0.243, 4.414, 0.793, 2.426],  # Fader, Hardie & Lee (2005)
    "mbgnbd": [0.525, 6.183, 0.891, 1.614],  # Batislam, Denizel & Filiztekin (2007)
    "pareto_nbd": [0.553, 10.578, 0.606, 11.669],  # Fader, Hardie & Lee (2005), Pareto/NBD
    "bgbb": [1.204, 0.750, 0.657, 2.783],  # Fader, Hardie & Shang (2010), 11,104 donors
}
_DAY_S = 86_400
_WEEK_S = 7 * _DAY_S


def _kernel(model: str) -> Any:
    from clvkit.models._kernels import bgbb, bgnbd, mbgnbd, pareto_nbd

    return {"bgnbd": bgnbd, "mbgnbd": mbgnbd, "pareto_nbd": pareto_nbd, "bgbb": bgbb}[model]


def _simulated(n: int, model: str, resolution: int, seed: int) -> dict[str, np.ndarray]:
    """Customers acquired uniformly over a year, observed until the end of the second,
    drawn from a kernel's simulator; acquisition and the last purchase rounded up to
    ``resolution`` seconds (a day: daily grain; one: timestamps to the second)."""
    from clvkit.models.simulate import _spend

    rng = np.random.default_rng(seed)
    steps = 730 * _DAY_S // resolution
    T_steps = steps - rng.integers(0, 365 * _DAY_S // resolution, size=n)
    T = T_steps * resolution / _WEEK_S
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("x", "t_x", "m", "h")}
    params = np.array(MODEL_PARAMS[model])
    gg = ck.datasets.CDNOW_GG_PARAMS
    for lo in range(0, n, 4 * CHUNK):
        hi = min(n, lo + 4 * CHUNK)
        x, t_x, _, _ = _kernel(model).simulate(rng, params, T[lo:hi], False)
        t_steps = np.minimum(np.ceil(t_x * (_WEEK_S / resolution)), T_steps[lo:hi])
        m, h = _spend(rng, x, gg)
        parts["x"].append(x.astype(np.float64))
        parts["t_x"].append(np.where(x > 0, t_steps * resolution / _WEEK_S, 0.0))
        parts["m"].append(m)
        parts["h"].append(h)
    return {
        "frequency": np.concatenate(parts["x"]),
        "recency": np.concatenate(parts["t_x"]),
        "T": T,
        "monetary_value": np.concatenate(parts["m"]),
        "historical_value": np.concatenate(parts["h"]),
    }


def _cached(path: Path, make: Any) -> Path:
    CACHE.mkdir(exist_ok=True)
    if not path.exists():
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, **make())
        tmp.replace(path)
    return path


def distinct_cohort(n: int, model: str = "bgnbd", seed: int = 0) -> Path:
    """An ``.npz`` cohort whose rows are (almost) all distinct: times to the second.

    Customers acquired uniformly over a year and observed until the end of the second
    (weeks), drawn from the kernel of ``model`` (``"bgnbd"``, ``"mbgnbd"`` or
    ``"pareto_nbd"``, CDNOW parameters) with no daily grain: acquisition and the last
    purchase keep their second, as a log with timestamps summarised without merging days
    gives. Columns ``frequency``, ``recency``, ``T``, ``monetary_value`` and
    ``historical_value``.
    """
    path = CACHE / f"distinct_{model}_{n}_{seed}.npz"
    return _cached(path, lambda: _simulated(n, model, 1, seed))


def daily_cohort(n: int, model: str, seed: int = 0) -> Path:
    """As :func:`distinct_cohort`, at a daily grain (recency and T whole days, in weeks):
    many customers share a history, as in a log summarised by day."""
    path = CACHE / f"daily_{model}_{n}_{seed}.npz"
    return _cached(path, lambda: _simulated(n, model, _DAY_S, seed))


def donor_cohort(n: int, seed: int = 0) -> Path:
    """An ``.npz`` of BG/BB histories: ``n`` donors over 10 yearly occasions, drawn at the
    donations estimate of Fader, Hardie & Shang (2010) (``frequency``, ``recency``,
    ``T`` = 10)."""

    def make() -> dict[str, np.ndarray]:
        rng = np.random.default_rng(seed)
        T = np.full(n, 10.0)
        x, t_x, _, _ = _kernel("bgbb").simulate(rng, np.array(MODEL_PARAMS["bgbb"]), T, False)
        return {"frequency": x.astype(np.float64), "recency": t_x.astype(np.float64), "T": T}

    return _cached(CACHE / f"donors_{n}_{seed}.npz", make)
