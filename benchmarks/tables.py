"""The README's benchmark tables, written from a run's JSON (never pasted by hand).

``python -m benchmarks --publish`` keeps a run's JSON in ``benchmarks/published/``
(committed) and rewrites the block of ``benchmarks/README.md`` between the markers
below; ``python -m benchmarks --write-tables [JSON]`` rewrites it from a given result, or
from the newest published one. ``tests/test_benchmark_tables.py`` checks that the README
holds exactly what the newest published result gives. The docs' Benchmarks page
includes the README (``docs/hooks/benchmarks.py``), so it shows the same tables.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
README = HERE / "README.md"
PUBLISHED = HERE / "published"
BEGIN = "<!-- tables:begin (python -m benchmarks --write-tables; do not edit by hand) -->"
END = "<!-- tables:end -->"

LABELS = {
    "bgnbd_fit": "BG/NBD fit",
    "gammagamma_fit": "Gamma-Gamma fit",
    "rfm_summary": "RFM summary",
    "clv_predict": "predict_clv",
    "clv_one": "predict_clv, one customer from a model file",
    "bgnbd_fit_distinct": "BG/NBD fit, all rows distinct",
    "mbgnbd_fit": "MBG/NBD fit",
    "mbgnbd_fit_distinct": "MBG/NBD fit, all rows distinct",
    "pareto_fit": "Pareto/NBD fit",
    "pareto_fit_distinct": "Pareto/NBD fit, all rows distinct",
    "bgbb_fit": "BG/BB fit, 10 occasions",
    "clv_predict_pareto": "predict_clv, Pareto/NBD purchase model",
}
#: rows timed against clvkit's own call with BG/NBD (shown in the lifetimes column)
OWN_BASELINE = {"clv_predict_pareto": "BG/NBD"}
#: interval cases (benchmarks/uncertainty.py), timed against clvkit's own baseline call:
#: their label and what the baseline is
INTERVALS = {
    "interval_delta": ("delta intervals on every CLV column, 52 steps", "point predict_clv"),
    "segments_parametric": ("parametric segment totals, 200 draws", "point predict_clv"),
    "bootstrap_cdnow": ("bootstrap, 200 refits on 2 threads", "200 single fits"),
}


def latest_published(folder: Path = PUBLISHED, mode: str = "full") -> Path | None:
    """The newest ``<mode>-<UTC stamp>.json`` in ``folder`` (names sort by time)."""
    runs = sorted(folder.glob(f"{mode}-*.json"))
    return runs[-1] if runs else None


def _size(n: int, case: str) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        text = f"{n // 1_000_000}M"
    elif n >= 1_000 and n % 1_000 == 0:
        text = f"{n // 1_000}k"
    else:
        text = str(n)
    return f"{text} tx" if case == "rfm_summary" else text


def _num(value: float | None, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, fmt)


def _sig3(value: float) -> str:
    """Three significant digits, trailing zeros kept (0.110, 3.60, 14.9, 123)."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:#.3g}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else _sig3(value)


def _row(row: dict[str, Any]) -> str:
    ck, lt, case = row["clvkit"], row["lifetimes"], row["case"]
    if case == "clv_one":
        cells = [
            LABELS[case],
            _size(row["size"], case),
            f"{_sig3(ck['seconds'] * 1e3)} ms median",
            "-" if not lt else f"{_sig3(lt['seconds'] * 1e3)} ms",
            _num(row.get("ratio"), ".0f"),
            "",
            "",
            "",
        ]
    else:
        agreement = row.get("agreement")
        other = _seconds(lt["seconds"]) if lt else "-"
        if case in OWN_BASELINE:
            other = f"{_seconds(row['baseline_seconds'])} ({OWN_BASELINE[case]})"
        cells = [
            LABELS.get(case, case),
            _size(row["size"], case),
            _seconds(ck["seconds"]),
            other,
            _num(row.get("ratio"), ".1f"),
            "-" if agreement is None else ("0" if agreement == 0 else f"{agreement:.1e}"),
            _num(ck.get("peak_mib"), ".0f"),
            _num(lt.get("peak_mib"), ".0f") if lt else "-",
        ]
    return "| " + " | ".join(cells) + " |"


def _interval_row(row: dict[str, Any]) -> str:
    label, baseline = INTERVALS[row["case"]]
    size = "CDNOW" if row["case"] == "bootstrap_cdnow" else _size(row["size"], row["case"])
    times = row["clvkit"]["seconds"] / row["baseline_seconds"]
    cells = [
        label,
        size,
        _seconds(row["clvkit"]["seconds"]),
        f"{_seconds(row['baseline_seconds'])} ({baseline})",
        f"{times:.1f}x",
        _num(row["clvkit"].get("peak_mib"), ".0f"),
    ]
    return "| " + " | ".join(cells) + " |"


def render(result: dict[str, Any], source: str) -> str:
    """The Markdown block for one run's JSON (``source`` names the file)."""
    m = result["machine"]
    load = m.get("load_average")
    lines = [
        f"Run `{source}` ({result['mode']} sizes, started {result['started']}, commit "
        f"`{(m.get('git_commit') or '?')[:10]}`).",
        "",
        f"Machine: {m['cpu_count']} cores ({m['cpu'] or 'unknown CPU'}), "
        f"{m['memory_gib']} GiB, {m['platform']}, Python {m['python']}, numpy {m['numpy']}, "
        f"pandas {m['pandas']}, scipy {m['scipy']}, lifetimes {m['lifetimes']}"
        + (f"; load average {load[0]:.1f} when the run started." if load else "."),
        "",
        "| case | size | clvkit s | lifetimes s | ratio | agreement | clvkit MiB | lifetimes MiB |",
        "|---|---|---|---|---|---|---|---|",
        *(_row(r) for r in result["results"] if r["case"] not in INTERVALS),
    ]
    intervals = [r for r in result["results"] if r["case"] in INTERVALS]
    if intervals:
        lines += [
            "",
            "| interval case | size | seconds | baseline s | times the baseline | MiB |",
            "|---|---|---|---|---|---|",
            *(_interval_row(r) for r in intervals),
        ]
    targets = result.get("targets") or []
    if targets:
        lines += ["", "| target | measured | |", "|---|---|---|"]
        lines += [
            f"| {t['target']} | {t['measured']} | {'met' if t['met'] else '**missed**'} |"
            for t in targets
        ]
    return "\n".join(lines)


def block(path: Path) -> str:
    """The README block (markers included) for the result in ``path``."""
    result = json.loads(path.read_text(encoding="utf-8"))
    try:
        source = path.resolve().relative_to(HERE.parent).as_posix()
    except ValueError:
        source = path.name
    return f"{BEGIN}\n{render(result, source)}\n{END}"


def readme_block(text: str) -> str:
    """The generated block currently in the README's ``text``."""
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[start:end]


def write_tables(path: Path, readme: Path = README) -> None:
    """Replace the README's generated block with the tables of ``path``."""
    text = readme.read_text(encoding="utf-8")
    readme.write_text(text.replace(readme_block(text), block(path)), encoding="utf-8")
