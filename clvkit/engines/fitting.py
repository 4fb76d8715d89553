"""Fits on summaries that stay in their engine: distinct rows with counts.

A purchase model's likelihood depends on a customer only through a few summary columns
(BG/NBD: frequency, recency, T; Gamma-Gamma: frequency, monetary_value), and a fit with
weight k on a row equals a fit on k copies of it. So the engine groups the table by those
columns and counts (``GROUP BY ... COUNT(*)``); only the distinct rows and their counts
reach Python, and the exact fit runs there on them. The models' ``fit`` calls
:func:`fit_input` when handed a file, a DuckDB relation or a Spark DataFrame.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clvkit.engines._deps import require
from clvkit.engines.sources import Source, is_source, open_source
from clvkit.errors import InputError

__all__ = ["DistinctRows", "distinct_rows", "fit_input", "is_source", "recorded_attrs"]

_COUNT = "__clvkit_count"


@dataclass(frozen=True)
class DistinctRows:
    """Distinct rows of some summary columns and how many customers each stands for.

    Attributes
    ----------
    frame : pandas.DataFrame, shape (n_distinct, n_columns)
        The distinct rows, float64 columns in the order asked, sorted (so the same table
        always gives the same fit, to the last bit); a RangeIndex.
        ``attrs`` holds what the source recorded (``time_unit``, ``grain``, ...).
    weights : numpy.ndarray of float64, shape (n_distinct,)
        Number of customers of each row (or the sum of the ``weights`` column).
    time_unit : str or None
        The time unit recorded with the summaries, if any.
    """

    frame: pd.DataFrame
    weights: np.ndarray
    time_unit: str | None

    @property
    def n_customers(self) -> float:
        return float(self.weights.sum())


def recorded_attrs(summaries: object) -> dict[str, Any]:
    """What a source of summaries recorded about itself (pandas' ``attrs``), or ``{}``.

    Spark DataFrames made by clvkit carry it in their columns' metadata (key
    ``"clvkit"``); Parquet files written by pandas in the Arrow schema
    (``PANDAS_ATTRS``). A DuckDB relation records nothing: pass ``time_unit=`` to fit.
    """
    if not is_source(summaries):
        return {}
    module = type(summaries).__module__
    if module.startswith("pyspark."):
        for field in summaries.schema.fields:  # type: ignore[attr-defined]
            found = (field.metadata or {}).get("clvkit")
            if isinstance(found, dict):
                return dict(found)
        return {}
    if module.split(".")[0] in ("duckdb", "_duckdb"):
        return {}
    return _parquet_attrs(open_source(summaries))


def _parquet_attrs(source: Source) -> dict[str, Any]:
    raw = source.schema_metadata.get(b"PANDAS_ATTRS")
    if not raw:
        return {}
    try:
        attrs = json.loads(raw)
    except ValueError:
        return {}
    return attrs if isinstance(attrs, dict) else {}


def distinct_rows(
    summaries: object, columns: Sequence[str], *, weights: str | None = None
) -> DistinctRows:
    """Group a table of customer summaries by ``columns`` in its engine and count.

    Parameters
    ----------
    summaries : path, DuckDB relation or Spark DataFrame
        One row per customer (e.g. the result of :func:`clvkit.rfm_summary` on a Spark
        DataFrame, or a Parquet file of summaries).
    columns : sequence of str
        The columns to keep, e.g. ``["frequency", "recency", "T"]``.
    weights : str, optional
        A column of weights (customers per row) to sum instead of counting rows.

    Returns
    -------
    DistinctRows
        The distinct rows, their counts and the recorded time unit. Only these reach
        Python: the group-by runs in DuckDB or Spark.

    Raises
    ------
    clvkit.errors.InputError
        If a column is missing or not numeric, or the table has no rows.
    clvkit.errors.MissingDependencyError
        If the engine's package is not installed.
    """
    columns = [str(c) for c in columns]
    source = open_source(summaries)
    attrs = recorded_attrs(summaries) if source.engine == "spark" else _parquet_attrs(source)
    wanted = [*columns, weights] if weights is not None else columns
    missing = [c for c in wanted if c not in source.columns]
    if missing:
        raise InputError(
            f"The 'customers' frame is missing the column(s) {missing}; it has "
            f"{source.columns[:12]}."
        )
    d = source.dialect
    keys = ", ".join(f"CAST({d.ident(c)} AS DOUBLE) AS {d.ident(c)}" for c in columns)
    group = ", ".join(str(i + 1) for i in range(len(columns)))
    count = f"SUM(CAST({d.ident(weights)} AS DOUBLE))" if weights is not None else "COUNT(*)"
    query = (
        f"SELECT {keys}, CAST({count} AS DOUBLE) AS {_COUNT} FROM {source.name} GROUP BY {group}"
    )
    result = source.query(query)
    arrays = _to_numpy(result, source)
    source.close()
    counts = arrays.pop(_COUNT)
    if counts.size == 0:
        raise InputError("The 'customers' argument has no rows; at least one is needed.")
    frame = pd.DataFrame({c: arrays[c] for c in columns})
    frame.attrs.update(attrs)
    unit = attrs.get("time_unit")
    return DistinctRows(
        frame=frame, weights=counts, time_unit=unit if isinstance(unit, str) else None
    )


def _to_numpy(result: Any, source: Source) -> dict[str, np.ndarray]:
    """Every column as a float64 array, NULL as NaN (so the models' checks see it)."""
    if source.engine == "duckdb":
        raw = result.fetchnumpy()
    else:
        raw = {n: col.to_numpy(zero_copy_only=False) for n, col in _spark_arrow(result).items()}
    out = {}
    for name, values in raw.items():
        if isinstance(values, np.ma.MaskedArray):
            values = np.ma.filled(values.astype(np.float64), np.nan)
        out[name] = np.asarray(values, dtype=np.float64)
    return out


def _spark_arrow(df: Any) -> dict[str, Any]:
    require("pyarrow", extra="spark")
    table = df.toArrow()
    return {name: table.column(name) for name in table.column_names}


def fit_input(
    customers: object,
    columns: Sequence[str],
    weights: object,
    time_unit: str | None,
    caller: str,
) -> tuple[object, object, str | None]:
    """What a model's ``fit`` works on when handed an engine source.

    Returns ``(frame of distinct rows, their counts, time unit)``; anything that is not
    an engine source comes back unchanged, for the model's own checks.
    """
    if not is_source(customers):
        return customers, weights, time_unit
    if weights is not None and not isinstance(weights, str):
        raise InputError(
            f"{caller} on a file, DuckDB relation or Spark DataFrame takes weights as the "
            f"name of a column of it (summed per distinct row). Got {type(weights).__name__}."
        )
    rows = distinct_rows(customers, columns, weights=weights)
    return rows.frame, rows.weights, time_unit
