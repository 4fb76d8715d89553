"""MkDocs hook: the "Command line" page shows a report made by this build, from a real run.

When the site is built, ``clvkit report`` runs on the CDNOW log (the 1/10 sample shipped
with ``lifetimes``); the report and its JSON are published with the site
(``assets/cli-report.html`` and ``.json``), and headless Chromium (Debian's ``chromium``,
the flags of the report tests) takes a screenshot of its top, ``assets/cli-report.png``.
The page holds the marker ``<!-- cli-report-screenshot -->``, replaced by the picture and
a link to the whole report, and the speed markers, filled from
``benchmarks/cli_report.json`` (written by ``python -m benchmarks.cli_report``).

Without Chromium the picture is left out with a note on the page; with
``CLVKIT_REQUIRE_BROWSER=1`` (set by ``.ci/run``) the build fails instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import warnings
from functools import cache
from pathlib import Path
from typing import Any

MARKER = "<!-- cli-report-screenshot -->"
SPEED = {"<!-- cli-speed-master -->": "cdnow_master", "<!-- cli-speed-10m -->": "simulated_10m"}
RECORD = Path(__file__).resolve().parents[2] / "benchmarks" / "cli_report.json"
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)
_COMMAND = [
    "report",
    "cdnow.csv",
    "--margin",
    "0.3",
    "--calibration-end",
    "1997-09-30",
    "-q",
    "-o",
    "report.html",
]


@cache
def _run() -> dict[str, bytes]:
    """The report, its JSON and (with Chromium) a screenshot of its top, as bytes."""
    import clvkit as ck
    from clvkit.cli import main
    from clvkit.errors import DataWarning

    folder = Path(tempfile.mkdtemp(prefix="clvkit-docs-"))
    try:
        ck.datasets.load_cdnow_transactions().to_csv(folder / "cdnow.csv", index=False)
        cwd = os.getcwd()
        os.chdir(folder)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DataWarning)
                status = main(_COMMAND)
        finally:
            os.chdir(cwd)
        if status != 0:
            raise RuntimeError(f"clvkit {' '.join(_COMMAND)} exited with {status}")
        files = {
            "assets/cli-report.html": (folder / "report.html").read_bytes(),
            "assets/cli-report.json": (folder / "report.json").read_bytes(),
        }
        shot = _screenshot(folder / "report.html", folder)
        if shot is not None:
            files["assets/cli-report.png"] = shot
        return files
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _screenshot(page: Path, folder: Path) -> bytes | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        if os.environ.get("CLVKIT_REQUIRE_BROWSER") == "1":
            raise RuntimeError("chromium is not installed (apt-get install chromium)")
        return None
    out = folder / "shot.png"
    subprocess.run(
        [
            browser,
            *_FLAGS,
            f"--user-data-dir={folder / 'profile'}",
            "--window-size=1280,1500",
            f"--screenshot={out}",
            page.resolve().as_uri(),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=180,
        check=True,
    )
    return out.read_bytes()


def on_files(files: Any, config: Any, **kwargs: Any) -> Any:
    from mkdocs.structure.files import File

    for path, content in _run().items():
        files.append(File.generated(config, path, content=content))
    return files


def _speed(case: str) -> str:
    import json

    if not RECORD.exists():
        return "(not measured yet: run python -m benchmarks.cli_report)"
    record = json.loads(RECORD.read_text(encoding="utf-8"))
    result = record["cases"].get(case)
    if result is None:
        return "(not measured yet)"
    runs = ", ".join(f"{s:.1f}" for s in result["runs"])
    return (
        f"took {result['best_seconds']:.1f} s (runs: {runs} s; target "
        f"{record['targets_seconds'][case]:.0f} s; commit {record['git_commit']}, "
        f"{record['started'][:10]})"
    )


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    for marker, case in SPEED.items():
        if marker in markdown:
            markdown = markdown.replace(marker, _speed(case))
    if MARKER not in markdown:
        return markdown
    files = _run()
    if "assets/cli-report.png" in files:
        picture = (
            "[![The top of the report clvkit made on CDNOW when this site was built]"
            "(assets/cli-report.png)](assets/cli-report.html)"
        )
    else:
        picture = "*(No screenshot: Chromium was not installed when this site was built.)*"
    links = (
        "The whole report made by this build: [cli-report.html](assets/cli-report.html) "
        "(one file, opens offline), and its numbers: [cli-report.json](assets/cli-report.json)."
    )
    return markdown.replace(MARKER, f"{picture}\n\n{links}")
