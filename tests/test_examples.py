"""Every public function, class and method has an Examples section, and every example runs.

The public names are those of ``clvkit``, ``clvkit.plotting``, ``clvkit.datasets``,
``clvkit.models`` and ``clvkit.errors`` (their ``__all__``), with the public methods and
properties of each public class; a new public callable without an example fails
:func:`test_every_public_callable_has_an_example`. The examples of every module of the
package run as doctests (:func:`test_the_examples_of_a_module_run`), plots on the Agg
backend, so a docstring that no longer matches the code fails here.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import matplotlib
import pytest

import clvkit
import clvkit.datasets
import clvkit.errors
import clvkit.models
import clvkit.plotting

matplotlib.use("Agg")

PUBLIC_MODULES: tuple[ModuleType, ...] = (
    clvkit,
    clvkit.plotting,
    clvkit.datasets,
    clvkit.models,
    clvkit.errors,
)
FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _own(obj: Any) -> bool:
    """Defined in clvkit (not inherited from a builtin such as Exception.add_note)."""
    return getattr(obj, "__module__", "").startswith("clvkit")


def public_callables() -> Iterator[tuple[str, Any]]:
    """``(dotted name, object)`` for every public function, class, method and property."""
    seen: set[int] = set()
    for module in PUBLIC_MODULES:
        for name in module.__all__:
            obj = getattr(module, name)
            if name.startswith("_") or inspect.ismodule(obj) or not callable(obj):
                continue
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            path = f"{module.__name__}.{name}"
            yield path, obj
            if not inspect.isclass(obj):
                continue
            for member_name in dir(obj):
                if member_name.startswith("_"):
                    continue
                static = inspect.getattr_static(obj, member_name)
                if isinstance(static, property):
                    if _own(static.fget):
                        yield f"{path}.{member_name}", static
                    continue
                member = getattr(obj, member_name)
                if callable(member) and _own(member) and not inspect.isclass(member):
                    yield f"{path}.{member_name}", member


PUBLIC = sorted(public_callables(), key=lambda item: item[0])


def _docstring(obj: Any) -> str:
    return inspect.getdoc(obj) or ""


@pytest.mark.parametrize(("path", "obj"), PUBLIC, ids=[path for path, _ in PUBLIC])
def test_every_public_callable_has_an_example(path: str, obj: Any) -> None:
    doc = _docstring(obj)
    assert "Examples\n--------" in doc, f"{path} has no Examples section"
    assert ">>> " in doc.split("Examples\n--------", 1)[1], f"{path}: an Examples section runs code"


def test_the_collection_sees_methods_and_plots() -> None:
    paths = {path for path, _ in PUBLIC}
    assert "clvkit.plotting.plot_cohort_heatmap" in paths
    assert "clvkit.BetaGeo.probability_alive" in paths
    assert "clvkit.CLVModel.predict_clv" in paths
    assert "clvkit.errors.UnitError" in paths
    assert "clvkit.GammaGamma.is_fitted" in paths
    assert "clvkit.models.ContractualModel.retention_rate" in paths
    assert not any(path.endswith(".add_note") for path in paths)


def package_modules() -> list[str]:
    names = [clvkit.__name__]
    for info in pkgutil.walk_packages(clvkit.__path__, prefix="clvkit."):
        names.append(info.name)
    return sorted(names)


MODULES = package_modules()


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_of_a_module_run(name: str) -> None:
    import matplotlib.pyplot as plt

    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    failures: list[str] = []
    for test in finder.find(module, name):
        if not test.examples:
            continue
        # a docstring inherited into another module is run where it is defined
        if (
            test.filename
            and not test.filename.endswith(name.replace(".", "/") + ".py")
            and not test.filename.endswith(name.replace(".", "/") + "/__init__.py")
        ):
            continue
        out: list[str] = []
        result = runner.run(test, out=out.append, clear_globs=True)
        plt.close("all")
        if result.failed:
            failures.append("".join(out))
    assert not failures, "\n".join(failures)
