"""examples/service/load.py keeps working: a real uvicorn server, a short run, its JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_load_script_runs_a_real_server_and_writes_its_figures(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "service" / "load.py"),
            *("--seconds", "0.5", "--clients", "2", "--batch", "50", "--output", str(out)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads(out.read_text())
    assert [s["customers_per_request"] for s in result["scenarios"]] == [1, 50]
    for s in result["scenarios"]:
        assert s["requests"] > 0 and s["errors"] == 0 and s["answers_wrong"] == 0
        assert s["answers_checked"] >= 1
        lat = s["latency_ms"]
        assert 0 < lat["p50"] <= lat["p90"] <= lat["p99"] <= lat["max"]
