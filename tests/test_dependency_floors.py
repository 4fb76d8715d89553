"""The oldest numpy, scipy and pandas that pyproject.toml allows are the ones CI tests.

``.ci/run`` runs the suite a second time in a fresh environment built with
``.ci/oldest-constraints.txt``; these tests keep that file equal to the floors declared in
``pyproject.toml`` and, inside that run (``CLVKIT_OLDEST_DEPENDENCIES=1``), check that the
floors are what is really installed.
"""

from __future__ import annotations

import os
import re
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PINNED = ("numpy", "scipy", "pandas")


def _release(text: str) -> tuple[int, ...]:
    """'2.1' and '2.1.0' are one release."""
    parts = [int(p) for p in text.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))


def _floors() -> dict[str, tuple[int, ...]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    floors = {}
    for requirement in project["dependencies"]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", requirement.replace(" ", ""))
        if match and match.group(1) in PINNED:
            floors[match.group(1)] = _release(match.group(2))
    return floors


def _constraints() -> dict[str, tuple[int, ...]]:
    pins = {}
    for line in (ROOT / ".ci" / "oldest-constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and "==" in line:  # pins of our floors; caps on others ("<") are not floors
            name, _, pinned = line.partition("==")
            pins[name.strip()] = _release(pinned.strip())
    return pins


def test_every_floor_is_declared_and_pinned_for_ci() -> None:
    assert sorted(_floors()) == sorted(PINNED)
    assert _constraints() == _floors()


@pytest.mark.skipif(
    os.environ.get("CLVKIT_OLDEST_DEPENDENCIES") != "1",
    reason="only in the CI run on the oldest dependencies",
)
def test_the_oldest_run_really_has_the_floors() -> None:
    assert {name: _release(version(name)) for name in PINNED} == _floors()
