"""MkDocs hook: put ``benchmarks/README.md`` into the Benchmarks page.

The page holds the marker ``<!-- benchmarks-readme -->``; this hook replaces it with the
README's text (its first heading dropped, links to repository files turned into code
spans, since they are not documentation pages). When the README is missing, a short
note says so and the build still succeeds.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

MARKER = "<!-- benchmarks-readme -->"
README = Path(__file__).resolve().parents[2] / "benchmarks" / "README.md"
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


def on_page_markdown(markdown: str, page: Any, **kwargs: Any) -> str:
    if MARKER in markdown:
        return markdown.replace(MARKER, _include())
    return markdown
