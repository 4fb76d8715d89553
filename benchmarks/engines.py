"""Engine benchmarks: the same summaries and fits in pandas, DuckDB and Spark.

Usage (opt-in, never part of ``--quick``)::

    python -m benchmarks --engines        # 10M transactions: pandas vs DuckDB vs Spark
    python -m benchmarks --engines-100m   # 100M transactions in Parquet through DuckDB,
                                          # then fits on its 10M customer summaries

Every case runs in a fresh subprocess (``python -m benchmarks.engines SPEC``) and reports
its wall time and the peak resident memory of the *whole process* (Linux ``VmHWM``:
interpreter, libraries, engine buffers and result together, not the increase over a
loaded input). Logs are generated once, in chunks, straight to Parquet under
``benchmarks/.cache/engines/``: customer ids drawn uniformly (so one customer's
transactions are spread over the whole file, as in a time-ordered log), times of day
uniform over two years, amounts from a gamma distribution in cents.

The rows of a run are written to ``benchmarks/results/engines-*.json`` and merged into
``benchmarks/engines.json`` (committed), which the documentation's "Scaling out" page
renders (``docs/hooks/engines.py``), so its figures are never typed by hand.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CACHE = HERE / ".cache" / "engines"
RECORD = HERE / "engines.json"

START = np.datetime64("2024-01-01T00:00:00", "s")
DAYS = 730
CALIBRATION_END = "2025-06-30"
OBSERVATION_END = "2025-12-31"
M = 1_000_000

#: name -> (about this many transactions, customers)
LOGS = {"10m": (10 * M, 1 * M), "100m": (100 * M, 10 * M)}


# ---- data -----------------------------------------------------------------------------------


#: the generating model: BG/NBD purchases (gamma purchase rates, beta drop-out) and
#: Gamma-Gamma spend, so that the fits on the summaries are well posed
RATE_SHAPE, RATE_SCALE = 1.2, 0.026  # purchase rate per day ~ Gamma(1.2, 0.026): mean 0.031
DROP_A, DROP_B = 0.6, 6.0  # drop-out probability after each purchase ~ Beta(0.6, 6)
SPEND_P, SPEND_Q, SPEND_V = 6.0, 3.5, 15.0  # Gamma-Gamma spend (mean p v / (q - 1) = 36)
CUSTOMERS_PER_CHUNK = 500_000


def _chunk(rng: np.random.Generator, first_id: int, n: int) -> dict[str, np.ndarray]:
    """The log of customers ``first_id .. first_id + n - 1``: acquired uniformly over the
    first year, observed to the end of the second."""
    birth = rng.uniform(0.0, 365.0, n)
    window = DAYS - birth
    rate = rng.gamma(RATE_SHAPE, RATE_SCALE, n)
    drop = rng.beta(DROP_A, DROP_B, n)
    possible = rng.geometric(drop) - 1  # repeat purchases before dropping out
    arrivals = rng.poisson(rate * window)
    repeats = np.minimum(possible, arrivals)
    # the first `repeats` of `arrivals` uniform times: sort each customer's arrivals
    owner = np.repeat(np.arange(n), arrivals)
    when = rng.uniform(0.0, 1.0, owner.size)
    order = np.lexsort((when, owner))
    owner, when = owner[order], when[order]
    rank = np.arange(owner.size) - np.repeat(np.cumsum(arrivals) - arrivals, arrivals)
    keep = rank < repeats[owner]
    owner, when = owner[keep], when[keep]
    customer = np.concatenate([np.arange(n), owner])
    day = np.concatenate([birth, birth[owner] + when * window[owner]])
    nu = rng.gamma(SPEND_Q, 1.0 / SPEND_V, n)  # spend rate per customer
    amount = np.round(rng.gamma(SPEND_P, 1.0 / nu[customer]), 2)
    shuffle = rng.permutation(customer.size)
    seconds = (day[shuffle] * 86_400).astype(np.int64)
    return {
        "customer_id": customer[shuffle] + first_id,
        "date": (START + seconds.astype("timedelta64[s]")).astype("datetime64[us]"),
        "amount": amount[shuffle],
    }


def log_file(name: str) -> Path:
    """The Parquet log ``name`` (generated on first use, 500k customers at a time)."""
    _, n_customers = LOGS[name]
    path = CACHE / f"log_{name}_v2.parquet"
    if path.exists():
        return path
    import pyarrow as pa
    import pyarrow.parquet as pq

    CACHE.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261201)
    tmp = path.with_suffix(".tmp")
    schema = pa.schema(
        [("customer_id", pa.int64()), ("date", pa.timestamp("us")), ("amount", pa.float64())]
    )
    with pq.ParquetWriter(tmp, schema) as writer:
        for first in range(0, n_customers, CUSTOMERS_PER_CHUNK):
            n = min(CUSTOMERS_PER_CHUNK, n_customers - first)
            writer.write_table(
                pa.table(_chunk(rng, first, n), schema=schema), row_group_size=1_000_000
            )
    tmp.replace(path)
    return path


# ---- one measurement (in its own process) ---------------------------------------------------


def _kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def _peak_mib() -> float:
    return _kib("VmHWM") / 1024.0


def _summaries(source: Any) -> dict[str, Any]:
    """RFM plus calibration/holdout, weeks, daily grain, amounts: the timed work."""
    import clvkit as ck

    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    rfm = ck.rfm_summary(source, monetary="amount", time_unit="W", observation_end=OBSERVATION_END)
    out["rfm_seconds"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    cal = ck.calibration_holdout(
        source,
        monetary="amount",
        time_unit="W",
        calibration_end=CALIBRATION_END,
        observation_end=OBSERVATION_END,
    )
    out["calibration_seconds"] = time.perf_counter() - t1
    out["seconds"] = time.perf_counter() - t0
    out["customers"] = len(rfm)
    out["calibration_customers"] = len(cal)
    out["rfm"] = rfm
    return out


def run_case(spec: dict[str, Any]) -> dict[str, Any]:
    case = spec["case"]
    warnings.simplefilter("ignore")
    result: dict[str, Any] = {"case": case}
    if case in ("pandas", "duckdb"):
        path = Path(spec["data"])
        if case == "pandas":
            import pandas as pd

            t0 = time.perf_counter()
            source: Any = pd.read_parquet(path)
            result["load_seconds"] = time.perf_counter() - t0
        else:
            import clvkit.engines

            clvkit.engines.configure(memory_limit=spec.get("memory_limit", "2GB"))
            source = str(path)
        out = _summaries(source)
        rfm = out.pop("rfm")
        result.update(out)
        result["peak_mib"] = _peak_mib()
        if spec.get("save_rfm"):  # untimed: the summaries for the fit cases
            rfm.to_parquet(spec["save_rfm"])
        result["checksum"] = float(rfm["T"].sum() + rfm["historical_value"].sum())
    elif case in ("fit_memory", "fit_duckdb"):
        import clvkit as ck

        path = spec["data"]
        if case == "fit_memory":
            import pandas as pd

            frame = pd.read_parquet(path)
            base = _peak_mib()
            t0 = time.perf_counter()
            bg = ck.BetaGeo().fit(frame)
            gg = ck.GammaGamma().fit(frame)
        else:
            base = _peak_mib()
            t0 = time.perf_counter()
            bg = ck.BetaGeo().fit(path)
            gg = ck.GammaGamma().fit(path)
        result["seconds"] = time.perf_counter() - t0
        result["peak_mib"] = _peak_mib()
        result["peak_before_fit_mib"] = base
        result["diagnostics"] = [
            [m.diagnostics_.method, m.diagnostics_.n_iter, m.diagnostics_.converged]
            for m in (bg, gg)
        ]
        result["bg_params"] = bg.params_.tolist()
        result["gg_params"] = gg.params_.tolist()
        result["distinct_rows"] = [bg.diagnostics_.n_distinct_rows, gg.n_customers_]
        result["customers"] = bg.n_customers_
    elif case == "spark":
        result.update(_spark(spec))
    else:
        raise SystemExit(f"unknown case {case!r}")
    return result


def _spark(spec: dict[str, Any]) -> dict[str, Any]:
    """Parquet -> Spark: summaries, fit on distinct rows, scoring to Parquet; end to end."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    t0 = time.perf_counter()
    from pyspark.sql import SparkSession

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "4g")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    out: dict[str, Any] = {"startup_seconds": time.perf_counter() - t0}
    import clvkit as ck

    t1 = time.perf_counter()
    log = spark.read.parquet(spec["data"])
    rfm = ck.rfm_summary(log, monetary="amount", time_unit="W", observation_end=OBSERVATION_END)
    rfm = rfm.cache()
    out["customers"] = rfm.count()
    out["rfm_seconds"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    model = ck.CLVModel().fit(rfm)
    out["fit_seconds"] = time.perf_counter() - t2
    t3 = time.perf_counter()
    scored = model.predict_clv(rfm, horizon="52W", discount_rate=0.10, margin=0.30)
    target = CACHE / "spark_clv.parquet"
    scored.write.mode("overwrite").parquet(str(target))
    out["score_seconds"] = time.perf_counter() - t3
    out["seconds"] = time.perf_counter() - t1
    out["bg_params"] = model.purchase_model_.params_.tolist()
    out["peak_mib"] = _peak_mib()  # the Python driver; the JVM is a separate process
    out["jvm_peak_mib"] = _jvm_peak_mib()
    spark.stop()
    return out


def _jvm_peak_mib() -> float | None:
    """Peak RSS of the JVM child of this process (the Spark driver and executors)."""
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(os.getpid()) and "java" in fields.get("Name", ""):
            return int(fields["VmHWM"].split()[0]) / 1024.0
    return None


# ---- the plan -------------------------------------------------------------------------------


def _measure(spec: dict[str, Any]) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PYSPARK_PYTHON"] = sys.executable
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.engines", json.dumps(spec)],
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
        f"engine case {spec} failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    )


def _line(row: dict[str, Any]) -> str:
    parts = [f"{row['label']:<44}", f"{row['seconds']:8.2f} s", f"{row['peak_mib']:8.0f} MiB"]
    return " ".join(parts)


def run(groups: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def add(label: str, key: str, spec: dict[str, Any]) -> dict[str, Any]:
        row = _measure(spec)
        row.update(label=label, key=key)
        rows.append(row)
        print(_line(row), flush=True)
        return row

    if "10m" in groups:
        data = str(log_file("10m"))
        add("pandas, 10M transactions (in memory)", "pandas_10m", {"case": "pandas", "data": data})
        add("DuckDB, 10M transactions (Parquet)", "duckdb_10m", {"case": "duckdb", "data": data})
        add(
            "Spark local[2], 10M transactions, end to end",
            "spark_10m",
            {"case": "spark", "data": data},
        )
    summaries = CACHE / "rfm_100m.parquet"
    if "100m" in groups:
        data = str(log_file("100m"))
        add(
            "DuckDB, 100M transactions (Parquet)",
            "duckdb_100m",
            {"case": "duckdb", "data": data, "save_rfm": str(summaries)},
        )
    if "100m" in groups or "fits" in groups:
        if not summaries.exists():
            raise SystemExit("no 10M summaries yet: run --engines-100m first")
        for key, label, case in [
            ("fit_memory_10m", "fit, 10M summaries in memory", "fit_memory"),
            ("fit_duckdb_10m", "fit, 10M summaries from DuckDB", "fit_duckdb"),
        ]:  # three processes each: the median, and every time recorded
            runs = [_measure({"case": case, "data": str(summaries)}) for _ in range(3)]
            runs.sort(key=lambda r: r["seconds"])
            row = dict(runs[1], label=label, key=key)
            row["all_seconds"] = [r["seconds"] for r in runs]
            rows.append(row)
            print(
                _line(row), " (median of", ", ".join(f"{t:.1f}" for t in row["all_seconds"]), "s)"
            )
    return rows


def targets(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets, where the run has the rows to judge them."""
    by = {r["key"]: r for r in rows}
    out = []
    if "duckdb_100m" in by:
        r = by["duckdb_100m"]
        out.append(
            {
                "target": "100M transactions through DuckDB: peak of the whole process < 4 GB",
                "measured": f"{r['peak_mib'] / 1024:.2f} GiB, {r['seconds']:.0f} s",
                "met": r["peak_mib"] * 2**20 < 4e9,
            }
        )
    if "pandas_10m" in by and "duckdb_10m" in by:
        p, d = by["pandas_10m"], by["duckdb_10m"]
        out.append(
            {
                "target": "10M transactions: DuckDB (from Parquet) not slower than pandas",
                "measured": f"DuckDB {d['seconds']:.2f} s vs pandas {p['seconds']:.2f} s "
                f"(+ {p['load_seconds']:.2f} s to load the Parquet file)",
                "met": d["seconds"] <= p["seconds"],
            }
        )
    if "fit_memory_10m" in by and "fit_duckdb_10m" in by:
        m, d = by["fit_memory_10m"], by["fit_duckdb_10m"]
        diff = max(
            float(np.max(np.abs(np.array(d[k]) / np.array(m[k]) - 1)))
            for k in ("bg_params", "gg_params")
        )
        out.append(
            {
                "target": "fit on 10M summaries from DuckDB within 2x of the in-memory fit",
                "measured": f"{d['seconds']:.2f} s vs {m['seconds']:.2f} s "
                f"({d['seconds'] / m['seconds']:.2f}x); parameters agree to {diff:.1e}",
                "met": d["seconds"] <= 2 * m["seconds"],
            }
        )
    return out


def record(rows: list[dict[str, Any]], machine: dict[str, Any]) -> None:
    """Merge the rows into ``benchmarks/engines.json`` (what the docs render)."""
    current: dict[str, Any] = {"rows": {}}
    if RECORD.exists():
        current = json.loads(RECORD.read_text())
    for row in rows:
        current["rows"][row["key"]] = {**row, "machine": machine}
    current["targets"] = targets(list(current["rows"].values()))
    RECORD.write_text(json.dumps(current, indent=2, default=float) + "\n")


def main() -> None:
    spec = json.loads(sys.argv[1])
    result = run_case(spec)
    print("RESULT " + json.dumps(result, default=float))


if __name__ == "__main__":
    main()
