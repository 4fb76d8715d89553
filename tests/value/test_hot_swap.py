"""A model file re-saved while services read it: every call answers, with the old or new model.

Issue 15 found about 4,300 of 15,000 ``predict_clv(path, ...)`` calls failing with "not
valid JSON" while a job re-saved the file in place. Here a writer process re-saves the
file in a loop, alternating two models (of equal file size, so inode reuse could make
their cache keys collide), while readers in threads of this process and in two other
processes call ``ck.predict_clv(path, {...})``. Every call must succeed and equal, exactly,
the answer of one of the two models; when the writer stops, the cache must serve the
model the file holds.

This file is also the worker: ``python test_hot_swap.py read|write SPEC``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import clvkit as ck

READ_SECONDS = 3.0
RECORD = {
    "frequency": 2,
    "recency": 30.43,
    "T": 38.86,
    "monetary_value": 22.35,
    "historical_value": 74.02,
}
OPTIONS: dict[str, Any] = {"horizon": "52W", "discount_rate": 0.1}


def two_models() -> tuple[ck.CLVModel, ck.CLVModel]:
    """The CDNOW estimates, and a model whose parameters differ but print as long."""
    a = ck.CLVModel.from_models(
        ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W"),
        ck.GammaGamma.from_params(p=6.25, q=3.74, v=15.44, time_unit="W"),
    )
    b = ck.CLVModel.from_models(
        ck.BetaGeo.from_params(r=0.251, alpha=4.125, a=0.707, b=2.612, time_unit="W"),
        ck.GammaGamma.from_params(p=6.53, q=3.47, v=17.08, time_unit="W"),
    )
    return a, b


def read_loop(path: str, answers: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    """Call ``predict_clv(path, RECORD)`` for ``seconds``; count answers by model."""
    counts = {"calls": 0, "a": 0, "b": 0, "other": 0, "failed": 0}
    samples: list[str] = []
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        counts["calls"] += 1
        try:
            got = ck.predict_clv(path, RECORD, **OPTIONS)
        except Exception as exc:
            counts["failed"] += 1
            if len(samples) < 5:
                samples.append(f"{type(exc).__name__}: {exc}")
            continue
        if got == answers[0]:
            counts["a"] += 1
        elif got == answers[1]:
            counts["b"] += 1
        else:
            counts["other"] += 1
            if len(samples) < 5:
                samples.append(f"unexpected answer {got}")
    return {"counts": counts, "samples": samples}


def write_loop(path: str, stop: str) -> dict[str, Any]:
    """Re-save the two models alternately until the file ``stop`` exists.

    The file ``stop + ".ready"`` appears after the first two saves.
    """
    models = two_models()
    saves = 0
    while not Path(stop).exists():
        models[saves % 2].save(path)
        saves += 1
        if saves == 2:
            Path(stop + ".ready").touch()
    return {"saves": saves, "last": "ab"[(saves - 1) % 2]}


def _spawn(role: str, spec: dict[str, Any]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, __file__, role, json.dumps(spec)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(proc: subprocess.Popen[str]) -> dict[str, Any]:
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return dict(json.loads(out.strip().splitlines()[-1]))


@pytest.mark.slow
def test_readers_see_the_old_or_the_new_model_never_a_failure(tmp_path: Path) -> None:
    path = str(tmp_path / "model.json")
    stop = str(tmp_path / "stop")
    model_a, model_b = two_models()
    model_a.save(path)
    size_a = Path(path).stat().st_size
    model_b.save(path)
    assert Path(path).stat().st_size == size_a  # equal sizes: keys may differ by inode only
    answers = [ck.predict_clv(m, RECORD, **OPTIONS) for m in (model_a, model_b)]
    assert answers[0]["expected_value"] != answers[1]["expected_value"]

    writer = _spawn("write", {"path": path, "stop": stop})
    deadline = time.monotonic() + 60
    while not Path(stop + ".ready").exists():  # the writer is saving before anyone reads
        assert writer.poll() is None and time.monotonic() < deadline, "the writer did not start"
        time.sleep(0.02)
    spec = {"path": path, "answers": answers, "seconds": READ_SECONDS}
    processes = [_spawn("read", spec) for _ in range(2)]
    thread_results: list[dict[str, Any]] = []
    threads = [
        threading.Thread(
            target=lambda: thread_results.append(read_loop(path, answers, READ_SECONDS))
        )
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    process_results = [_result(p) for p in processes]
    Path(stop).touch()
    written = _result(writer)

    assert written["saves"] >= 20, written
    for kind, results in (("thread", thread_results), ("process", process_results)):
        assert len(results) == 2
        for res in results:
            counts = res["counts"]
            assert counts["failed"] == 0, (kind, counts, res["samples"])
            assert counts["other"] == 0, (kind, counts, res["samples"])
            assert counts["calls"] == counts["a"] + counts["b"] > 50, (kind, counts)
        # the swap was exercised: this kind of reader saw both models
        assert sum(r["counts"]["a"] for r in results) > 0, (kind, results)
        assert sum(r["counts"]["b"] for r in results) > 0, (kind, results)
    # once the writer stops, the cache serves exactly what the file holds
    last = answers["ab".index(written["last"])]
    assert ck.predict_clv(path, RECORD, **OPTIONS) == last


def test_a_file_replaced_between_stat_and_read_is_not_cached_under_the_first_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clvkit.models import persistence
    from clvkit.value import service

    path = str(tmp_path / "model.json")
    model_a, model_b = two_models()
    model_a.save(path)
    stat_a = Path(path).stat()
    identity_a = (stat_a.st_ino, stat_a.st_mtime_ns, stat_a.st_size)
    calls = []

    def racing_read(name: str) -> Any:
        if not calls:  # a writer replaces the file after the reader's stat
            model_b.save(path)
        calls.append(name)
        return persistence.read_model_text(name)

    service._cached.cache_clear()
    monkeypatch.setattr(service, "read_model_text", racing_read)
    got = ck.predict_clv(path, RECORD, **OPTIONS)
    assert got == ck.predict_clv(model_b, RECORD, **OPTIONS)
    # A's identity was seen but B's bytes were read: that pair must not be cached, or a
    # later file with A's inode, size and mtime would be answered with model B
    with pytest.raises(service._Replaced):
        service._cached(path, *identity_a)
    service._cached.cache_clear()


def _main() -> None:
    role, spec = sys.argv[1], json.loads(sys.argv[2])
    if role == "read":
        print(json.dumps(read_loop(spec["path"], spec["answers"], spec["seconds"])))
    else:
        print(json.dumps(write_loop(spec["path"], spec["stop"])))


if __name__ == "__main__":
    _main()
