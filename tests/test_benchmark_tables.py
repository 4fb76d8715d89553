"""The benchmark README's tables are what the newest published run's JSON gives."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import tables


def _newest() -> Path:
    newest = tables.latest_published(mode="full") or tables.latest_published(mode="quick")
    assert newest is not None, f"no published benchmark run in {tables.PUBLISHED}"
    return newest


def test_readme_tables_equal_the_newest_published_run():
    readme = tables.README.read_text(encoding="utf-8")
    assert tables.readme_block(readme) == tables.block(_newest()), (
        "benchmarks/README.md is out of date: run python -m benchmarks --write-tables"
    )


def test_the_tables_follow_the_json(tmp_path):
    result = json.loads(_newest().read_text(encoding="utf-8"))
    row = next(r for r in result["results"] if r["case"] == "bgnbd_fit")
    row["clvkit"]["seconds"] = 123.456
    changed = tmp_path / "full-29990101T000000Z.json"
    changed.write_text(json.dumps(result))
    readme = tmp_path / "README.md"
    readme.write_text(f"# notes\n\n{tables.BEGIN}\nold\n{tables.END}\n\nafter\n")
    tables.write_tables(changed, readme)
    text = readme.read_text()
    assert "| BG/NBD fit | " in text and "| 123 |" in text
    assert text.startswith("# notes\n\n") and text.endswith(f"{tables.END}\n\nafter\n")
    assert tables.latest_published(tmp_path) == changed


def _docs_hook():
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "docs" / "hooks" / "benchmarks.py"
    spec = importlib.util.spec_from_file_location("docs_hook_benchmarks", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_serving_page_shows_the_newest_load_test():
    hook = _docs_hook()
    runs = sorted(tables.PUBLISHED.glob("serving-*.json"))
    assert runs, "no load-test result in benchmarks/published/ (examples/service/load.py)"
    page = (Path(__file__).resolve().parents[1] / "docs" / "serving.md").read_text()
    assert hook.SERVING_MARKER in page
    shown = hook.on_page_markdown(page, page=None)
    assert hook.SERVING_MARKER not in shown and runs[-1].name in shown
    run = json.loads(runs[-1].read_text())
    for scenario in run["scenarios"]:
        lat = scenario["latency_ms"]
        assert f"| {lat['p50']:.2f} | {lat['p90']:.2f} | {lat['p99']:.2f} |" in shown
