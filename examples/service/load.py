"""Load test of the reference service: p50/p99 latency from concurrent clients.

Starts the service (``examples/service/app.py``) under uvicorn on loopback, then for each
scenario (one customer per request; batches of 1,000 customers) runs ``--clients``
concurrent clients, each sending its next request as soon as the previous one is
answered, for ``--seconds`` after a one-second warm-up. Latency is measured by the
client, from sending a request to having its whole answer. A sample of the answers is
checked against :func:`clvkit.predict_clv` in process, value for value.

Customers are the 2,357 of the CDNOW calibration period (a CLVModel fitted on them is
saved to a temporary model file); batches are drawn from them with a seeded generator.

    pip install -e ".[service]"
    python examples/service/load.py                  # writes benchmarks/published/serving-*.json
    python examples/service/load.py --seconds 3 --output /tmp/load.json

The docs page "Serving predictions" shows the newest ``benchmarks/published/serving-*.json``
(``docs/hooks/benchmarks.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as _dt
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import clvkit as ck  # noqa: E402

PUBLISHED = ROOT / "benchmarks" / "published"
FIELDS = ("frequency", "recency", "T", "monetary_value", "historical_value")
OPTIONS: dict[str, Any] = {"horizon": "52W", "discount_rate": 0.10, "margin": 0.30}
CHECK_EVERY = 25  # check one answer in this many against clvkit in process


def cdnow_customers() -> tuple[ck.CLVModel, list[dict[str, Any]]]:
    tx = ck.datasets.load_cdnow_transactions()
    cal = tx[tx["date"] <= "1997-09-30"]
    # dates without times: the sample's repeated rows are real purchases
    rfm = ck.rfm_summary(
        cal, monetary="amount", time_unit="W", observation_end="1997-09-30", duplicates="keep"
    )
    model = ck.CLVModel().fit(rfm)
    records = [
        {"customer_id": int(cid), **{k: float(row[k]) for k in FIELDS}}
        for cid, row in rfm.iterrows()
    ]
    return model, records


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(model_path: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, CLVKIT_MODEL=model_path)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "examples.service.app:app_from_env",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with code {server.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    server.terminate()
    raise SystemExit("the server did not answer /health within 60 s")


async def _client(
    http: httpx.AsyncClient,
    bodies: list[tuple[bytes, list[dict[str, Any]]]],
    first: int,
    warm_until: float,
    stop_at: float,
    model: ck.CLVModel,
    out: dict[str, Any],
) -> None:
    i = first
    while True:
        body, customers = bodies[i % len(bodies)]
        t0 = time.perf_counter()
        if t0 >= stop_at:
            return
        response = await http.post(
            "/predict", content=body, headers={"content-type": "application/json"}
        )
        content = response.content
        elapsed = time.perf_counter() - t0
        if response.status_code != 200:
            out["errors"] += 1
            out["error_samples"] = [*(out.get("error_samples") or [])[:4], content[:300]]
        elif t0 >= warm_until:
            out["latencies"].append(elapsed)
            if len(out["latencies"]) % CHECK_EVERY == 1:
                got = json.loads(content)["customers"]
                if got != ck.predict_clv(model, customers, **OPTIONS):
                    out["wrong"] += 1
                out["checked"] += 1
        i += 1


async def run_scenario(
    base_url: str,
    bodies: list[tuple[bytes, list[dict[str, Any]]]],
    clients: int,
    seconds: float,
    model: ck.CLVModel,
) -> dict[str, Any]:
    out: dict[str, Any] = {"latencies": [], "errors": 0, "wrong": 0, "checked": 0}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as http:
        start = time.perf_counter()
        warm_until, stop_at = start + 1.0, start + 1.0 + seconds
        await asyncio.gather(
            *(
                _client(http, bodies, k * 7919, warm_until, stop_at, model, out)
                for k in range(clients)
            )
        )
    return out


def _summary(name: str, size: int, clients: int, seconds: float, out: dict[str, Any]) -> dict:
    ms = np.asarray(out["latencies"]) * 1e3
    n = int(ms.size)
    return {
        "scenario": name,
        "customers_per_request": size,
        "clients": clients,
        "seconds": seconds,
        "requests": n,
        "errors": out["errors"],
        "answers_checked": out["checked"],
        "answers_wrong": out["wrong"],
        "requests_per_second": n / seconds,
        "customers_per_second": n * size / seconds,
        "latency_ms": {
            "p50": float(np.percentile(ms, 50)),
            "p90": float(np.percentile(ms, 90)),
            "p99": float(np.percentile(ms, 99)),
            "max": float(ms.max()),
            "mean": float(ms.mean()),
        },
    }


def _in_process_ms(model: ck.CLVModel, customers: list[dict[str, Any]], calls: int) -> float:
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        ck.predict_clv(model, customers, **OPTIONS)
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e3)


def _versions() -> dict[str, str]:
    import fastapi
    import uvicorn

    return {
        "clvkit": ck.__version__,
        "fastapi": fastapi.__version__,
        "uvicorn": uvicorn.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def _git_commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return done.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (8)")
    parser.add_argument("--seconds", type=float, default=10.0, help="per scenario (10)")
    parser.add_argument("--batch", type=int, default=1000, help="customers per batch (1000)")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (1)")
    parser.add_argument("--output", type=Path, help="JSON path (default benchmarks/published/)")
    args = parser.parse_args(argv)

    started = _dt.datetime.now(_dt.UTC)
    model, records = cdnow_customers()
    rng = np.random.default_rng(20261201)
    singles = [[records[i]] for i in rng.permutation(len(records))]
    batches = [[records[i] for i in rng.choice(len(records), args.batch)] for _ in range(32)]
    scenarios = [("one customer", 1, singles), (f"batch of {args.batch:,}", args.batch, batches)]
    in_process = {
        1: _in_process_ms(model, singles[0], 500),
        args.batch: _in_process_ms(model, batches[0], 50),
    }

    load_before = os.getloadavg()
    results = []
    with tempfile.TemporaryDirectory() as folder:
        model_path = os.path.join(folder, "model.json")
        model.save(model_path)
        port = _free_port()
        server = start_server(model_path, port, args.workers)
        try:
            for name, size, groups in scenarios:
                bodies = [(json.dumps({"customers": g, **OPTIONS}).encode(), g) for g in groups]
                out = asyncio.run(
                    run_scenario(
                        f"http://127.0.0.1:{port}", bodies, args.clients, args.seconds, model
                    )
                )
                summary = _summary(name, size, args.clients, args.seconds, out)
                summary["in_process_median_ms"] = in_process[size]
                results.append(summary)
                lat = summary["latency_ms"]
                print(
                    f"{name:>16}: {summary['requests']:>6} requests, "
                    f"{summary['requests_per_second']:8.1f}/s, p50 {lat['p50']:7.2f} ms, "
                    f"p99 {lat['p99']:7.2f} ms, errors {summary['errors']}, "
                    f"wrong {summary['answers_wrong']} of {summary['answers_checked']} checked",
                    flush=True,
                )
        finally:
            server.terminate()
            server.wait(timeout=30)

    cpu = ""
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    result = {
        "kind": "serving-load",
        "started": started.isoformat(timespec="seconds"),
        "git_commit": _git_commit(),
        "options": OPTIONS,
        "server": {"workers": args.workers, "host": "127.0.0.1"},
        "client": "httpx2 AsyncClient, one event loop, keep-alive connections",
        "machine": {
            "cpu": cpu,
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "load_average_before": [round(v, 2) for v in load_before],
            "load_average_after": [round(v, 2) for v in os.getloadavg()],
        },
        "versions": _versions(),
        "scenarios": results,
    }
    out_path = args.output or PUBLISHED / f"serving-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"JSON written to {out_path}")
    failed = any(s["errors"] or s["answers_wrong"] for s in results)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
