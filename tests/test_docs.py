"""The documentation site: every public name is rendered in the API reference from its
docstring, and the site builds in strict mode (broken references fail)."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import clvkit
import clvkit.errors
import clvkit.plotting

ROOT = Path(__file__).resolve().parents[1]
API = ROOT / "docs" / "api"
_DIRECTIVE = re.compile(r"^::: *([\w.]+)((?:\n[ \t]+.*)*)", re.MULTILINE)
_MEMBER = re.compile(r"^[ \t]+- +(\w+)\s*$", re.MULTILINE)


def _resolve(path: str) -> Any:
    """The object at a dotted path: the longest importable module, then attributes."""
    parts = path.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise ImportError(path)


def _rendered() -> list[Any]:
    """Objects rendered by the ``::: identifier`` directives of the API pages, with the
    members they list (or, for ``members: true`` on a module, its ``__all__``)."""
    objects = []
    for page in sorted(API.glob("*.md")):
        for match in _DIRECTIVE.finditer(page.read_text(encoding="utf-8")):
            target, options = match.group(1), match.group(2)
            obj = _resolve(target)
            objects.append(obj)
            members = _MEMBER.findall(options)
            if isinstance(obj, ModuleType) and not members and "members: true" in options:
                members = list(obj.__all__)
            objects.extend(getattr(obj, name) for name in members)
    return objects


PUBLIC = sorted(
    {f"clvkit.{n}" for n in clvkit.__all__ if not n.startswith("__")}
    | {f"clvkit.plotting.{n}" for n in clvkit.plotting.__all__}
    | {f"clvkit.errors.{n}" for n in clvkit.errors.__all__}
    | {"clvkit.value.evaluate.evaluate"}
)


@pytest.mark.parametrize("path", PUBLIC)
def test_every_public_name_is_in_the_api_reference(path: str) -> None:
    obj = _resolve(path)
    assert any(obj is rendered for rendered in _rendered()), f"{path} is not on an API page"
    assert (obj.__doc__ or "").strip(), f"{path} has no docstring"


def test_the_version_is_mentioned() -> None:
    assert "clvkit.__version__" in (API / "index.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_site_builds_in_strict_mode(tmp_path: Path) -> None:
    pytest.importorskip("mkdocstrings")
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or shutil.which("mkdocs")
    if mkdocs is None:
        pytest.skip("mkdocs is not installed (pip install '.[docs]')")
    result = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": str(Path(sys.executable).parent)},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "site" / "api" / "plotting" / "index.html").is_file()
