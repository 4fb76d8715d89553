"""MkDocs hook: the coverage table of the Uncertainty page, from ``benchmarks/coverage.json``.

The page holds the marker ``<!-- coverage-results -->``; this hook replaces it with a
table generated from the JSON that ``python -m benchmarks.coverage`` writes, so the page
shows the last full run's numbers and never typed ones. Without the file, a note says so
and the build still succeeds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

MARKER = "<!-- coverage-results -->"
RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "coverage.json"


def _percent(value: float) -> str:
    return f"{100 * value:.1f} %"


def _table(result: dict[str, Any]) -> str:
    low, high = result["target"]
    lines = [
        f"Run of {result['started']} (commit {result.get('git_commit', '?')}): "
        f"{result['fitted']} of {result['cohorts']} cohorts of "
        f"{result['customers_per_cohort']:,} customers fitted, nominal level "
        f"{_percent(result['level'])}, target {_percent(low)} to {_percent(high)}; "
        f"{result['parametric_draws']} parametric draws per cohort; "
        f"{result['seconds']:.0f} s.",
        "",
        "| interval | coverage | standard error | mean width / truth | within target |",
        "|---|---|---|---|---|",
    ]
    for name, s in result["parameters"].items():
        lines.append(
            f"| parameter `{name}` | {_percent(s['coverage'])} | {_percent(s['std_error'])} | "
            f"{s['mean_relative_width']:.3f} | {'yes' if s['within_target'] else 'no'} |"
        )
    for method, segments in result["segments"].items():
        for segment, s in segments.items():
            lines.append(
                f"| expected holdout purchases, {segment} ({method}) | "
                f"{_percent(s['coverage'])} | {_percent(s['std_error'])} | "
                f"{s['mean_relative_width']:.3f} | {'yes' if s['within_target'] else 'no'} |"
            )
    return "\n".join(lines)


def _include() -> str:
    if not RESULTS.is_file():
        return (
            "!!! note\n    No coverage results in this checkout "
            "(`benchmarks/coverage.json`); run `python -m benchmarks.coverage`."
        )
    return _table(json.loads(RESULTS.read_text(encoding="utf-8")))


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    if MARKER in markdown:
        return markdown.replace(MARKER, _include())
    return markdown
