"""Optional dependencies, imported only when an engine is used.

A missing one raises :class:`clvkit.errors.MissingDependencyError` with one line naming
the extra that installs it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from clvkit.errors import MissingDependencyError

#: module -> (extra that installs it, what needs it)
_EXTRAS: dict[str, tuple[str, str]] = {
    "duckdb": ("duckdb", "Parquet/CSV files and DuckDB relations"),
    "pyarrow": ("duckdb", "Arrow record batches and Parquet output"),
    "pyspark": ("spark", "Spark DataFrames"),
}


def require(module: str, extra: str | None = None) -> ModuleType:
    """Import ``module`` or raise one line saying which clvkit extra installs it
    (``extra`` overrides the usual one, e.g. "spark" for pyarrow under Spark)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        default, purpose = _EXTRAS.get(module.split(".")[0], ("duckdb", module))
        extra = extra or default
        raise MissingDependencyError(
            f"{purpose} need the optional package {module.split('.')[0]!r}: "
            f'pip install "clvkit[{extra}]"'
        ) from None
