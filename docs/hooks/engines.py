"""MkDocs hook: the measured figures of the "Scaling out" page.

The page holds the marker ``<!-- engines-benchmarks -->``; this hook replaces it with a
table built from ``benchmarks/engines.json``, which ``python -m benchmarks --engines`` and
``--engines-100m`` write (so no figure on the page is typed by hand). When the file is
missing, a short note says so and the build still succeeds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MARKER = "<!-- engines-benchmarks -->"
RECORD = Path(__file__).resolve().parents[2] / "benchmarks" / "engines.json"

#: row key -> what the row measured (the timed work)
_WORK = {
    "pandas_10m": "`rfm_summary` + `calibration_holdout` on a frame in memory",
    "duckdb_10m": "the same two calls on the Parquet file",
    "spark_10m": "Parquet → Spark → `rfm_summary`, `CLVModel.fit`, `predict_clv` → Parquet",
    "duckdb_100m": "`rfm_summary` + `calibration_holdout` on the Parquet file",
    "fit_memory_10m": "`BetaGeo` + `GammaGamma` fit on a frame in memory",
    "fit_duckdb_10m": "the same fits on the Parquet file (distinct rows from DuckDB)",
}


def _fmt_s(value: Any) -> str:
    return "" if value is None else f"{float(value):.1f} s"


def _fmt_gib(mib: Any) -> str:
    return "" if mib is None else f"{float(mib) / 1024:.2f} GiB"


def _table(record: dict[str, Any]) -> str:
    rows = record.get("rows", {})
    lines = [
        "| path | work | time | peak memory of the process |",
        "|---|---|---|---|",
    ]
    for key in _WORK:
        row = rows.get(key)
        if row is None:
            continue
        time = _fmt_s(row.get("seconds"))
        notes = []
        if row.get("load_seconds") is not None:
            notes.append(f"+ {_fmt_s(row['load_seconds'])} to read the Parquet file")
        if row.get("startup_seconds") is not None:
            notes.append(f"+ {_fmt_s(row['startup_seconds'])} to start Spark")
        if notes:
            time += " (" + "; ".join(notes) + ")"
        memory = _fmt_gib(row.get("peak_mib"))
        if row.get("jvm_peak_mib") is not None:
            memory += f" (Python driver) + {_fmt_gib(row['jvm_peak_mib'])} (JVM)"
        lines.append(f"| {row['label']} | {_WORK[key]} | {time} | {memory} |")
    targets = record.get("targets", [])
    if targets:
        lines += ["", "| target | measured | |", "|---|---|---|"]
        for t in targets:
            lines.append(f"| {t['target']} | {t['measured']} | {'met' if t['met'] else 'missed'} |")
    machine = next(iter(rows.values()), {}).get("machine", {})
    if machine:
        lines += [
            "",
            f"Machine: {machine.get('cpu_count')} cores ({machine.get('cpu')}), "
            f"{machine.get('memory_gib')} GiB, Python {machine.get('python')}, pandas "
            f"{machine.get('pandas')}, numpy {machine.get('numpy')}; git "
            f"`{str(machine.get('git_commit', ''))[:7]}`.",
        ]
    return "\n".join(lines)


def render() -> str:
    if not RECORD.is_file():
        return (
            "!!! note\n    No engine benchmark has been recorded in this checkout "
            "(`benchmarks/engines.json`). Run `python -m benchmarks --engines --engines-100m`."
        )
    return _table(json.loads(RECORD.read_text(encoding="utf-8")))


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    if MARKER in markdown:
        return markdown.replace(MARKER, render())
    return markdown
