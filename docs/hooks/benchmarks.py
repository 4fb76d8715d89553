"""MkDocs hook: measured figures into the docs, from the files that hold them.

- ``<!-- benchmarks-readme -->`` (Benchmarks page) becomes the text of
  ``benchmarks/README.md`` (its first heading dropped, links to repository files turned
  into code spans, since they are not documentation pages); the README's tables are
  themselves written from a published run's JSON (``python -m benchmarks --publish``).
- ``<!-- serving-load -->`` (Serving predictions page) becomes a table of the newest
  ``benchmarks/published/serving-*.json``, written by ``examples/service/load.py``.

When a source is missing, a short note says so and the build still succeeds.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

MARKER = "<!-- benchmarks-readme -->"
SERVING_MARKER = "<!-- serving-load -->"
ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "benchmarks" / "README.md"
PUBLISHED = ROOT / "benchmarks" / "published"
_LINK = re.compile(r"\[([^\]]+)\]\((?!https?://|#)([^)]+)\)")


def _include() -> str:
    if not README.is_file():
        return (
            "!!! note\n    The benchmark notes (`benchmarks/README.md`) are not in this "
            "checkout. Run `python -m benchmarks` from the repository root."
        )
    text = README.read_text(encoding="utf-8")
    lines = text.splitlines()
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    body = "\n".join(lines)
    body = re.sub(r"^(#+) ", r"#\1 ", body, flags=re.MULTILINE)  # one level down
    return _LINK.sub(lambda m: f"{m.group(1)} (`{m.group(2)}`)", body)


def _serving_table() -> str:
    runs = sorted(PUBLISHED.glob("serving-*.json"))
    if not runs:
        return (
            "!!! note\n    No load-test result is in this checkout "
            "(`benchmarks/published/serving-*.json`). Run `python examples/service/load.py`."
        )
    run = json.loads(runs[-1].read_text(encoding="utf-8"))
    machine, server = run["machine"], run["server"]
    before, after = machine["load_average_before"][0], machine["load_average_after"][0]
    lines = [
        f"Run `{runs[-1].name}` (commit `{run['git_commit'][:10]}`, started {run['started']}): "
        f"uvicorn with {server['workers']} worker process(es) on {server['host']}, "
        f"{run['client']}; {machine['cpu_count']} cores ({machine['cpu'] or 'unknown CPU'}), "
        f"load average {before:.1f} before and {after:.1f} after; "
        f"clvkit {run['versions']['clvkit']}, FastAPI {run['versions']['fastapi']}, "
        f"uvicorn {run['versions']['uvicorn']}, Python {run['versions']['python']}.",
        "",
        "| request | clients | requests | requests/s | customers/s | p50 ms | p90 ms "
        "| p99 ms | errors | in process, median ms |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in run["scenarios"]:
        lat = s["latency_ms"]
        lines.append(
            f"| {s['scenario']} | {s['clients']} | {s['requests']:,} "
            f"| {s['requests_per_second']:,.0f} | {s['customers_per_second']:,.0f} "
            f"| {lat['p50']:.2f} | {lat['p90']:.2f} | {lat['p99']:.2f} | {s['errors']} "
            f"| {s['in_process_median_ms']:.2f} |"
        )
    return "\n".join(lines)


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, _include())
    if SERVING_MARKER in markdown:
        markdown = markdown.replace(SERVING_MARKER, _serving_table())
    return markdown
