"""``CLVModel.predict_clv`` on summaries that stay in their engine.

- A **Spark DataFrame** is scored by ``mapInPandas``: the model travels to the executors
  as its JSON document (the ``clvkit-model`` file format of :mod:`clvkit.value.io`, never
  a pickle), each executor rebuilds it once per task and scores its Arrow batches with
  the very same ``predict_clv``. The result is a Spark DataFrame (lazy, like any other).
- A **DuckDB relation or a Parquet/CSV path** is streamed in Arrow record batches; each
  batch is scored and, with ``output=``, appended to a Parquet file, so only one batch of
  results is in memory at a time. The file is written under a temporary name and renamed
  at the end: an error leaves no partial output behind.

Columns other than the model's inputs (the customer id, segment labels, ...) are carried
through beside the value columns.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from clvkit.engines._deps import require
from clvkit.engines.sources import Source, is_source, iter_batches, open_source
from clvkit.errors import InputError

__all__ = ["is_source", "predict_clv"]

#: rows per Arrow batch when streaming a DuckDB source
BATCH_ROWS = 500_000
_INPUTS = ("frequency", "recency", "T", "monetary_value", "historical_value")


def _document(model: Any) -> dict[str, Any]:
    """The model's JSON document, exactly as ``model.save`` writes it."""
    from clvkit.models.persistence import model_document

    return dict(json.loads(json.dumps(model_document(model))))


def _output_columns(model: Any) -> list[str]:
    from clvkit.value.clv import CLV_COLUMNS

    return [*CLV_COLUMNS, "lifecycle_stage"]


def _carried(columns: list[str], margin: object, produced: list[str]) -> list[str]:
    carried = [c for c in columns if c not in _INPUTS]
    clash = [c for c in carried if c in produced]
    if clash:
        raise InputError(
            f"The customers table has the column(s) {clash}, which predict_clv produces; "
            "rename them first."
        )
    missing = [c for c in _INPUTS if c not in columns]
    if missing:
        raise InputError(
            f"The 'customers' frame is missing the column(s) {missing}; it has {columns[:12]}."
        )
    if isinstance(margin, str) and margin not in columns:
        raise InputError(
            f"The 'margin' argument names column {margin!r}, which the customers frame does "
            "not have."
        )
    return carried


def _dry_run(model: Any, options: dict[str, Any]) -> None:
    """Check every scalar argument on the driver, before any batch is scored."""
    probe = pd.DataFrame(
        {"frequency": [0.0], "recency": [0.0], "T": [1.0], "monetary_value": [0.0]}
        | {"historical_value": [0.0]}
    )
    probe.attrs["time_unit"] = model.time_unit_
    margin = options["margin"]
    if isinstance(margin, str):
        probe[margin] = 1.0
    model.predict_clv(probe, **options)


def _score(model: Any, frame: pd.DataFrame, carried: list[str], options: dict[str, Any]) -> Any:
    """One batch: the carried columns, then the value columns and the stage as text."""
    frame.attrs["time_unit"] = model.time_unit_
    out = model.predict_clv(frame, **options)
    out["lifecycle_stage"] = out["lifecycle_stage"].astype(object)
    for i, name in enumerate(carried):
        out.insert(i, name, frame[name].to_numpy())
    return out.reset_index(drop=True)


def predict_clv(
    model: Any,
    customers: object,
    *,
    horizon: object,
    discount_rate: object,
    margin: object,
    step: object,
    lifecycle: object,
    output: str | os.PathLike[str] | None = None,
    batch_rows: int = BATCH_ROWS,
) -> Any:
    """Score a Spark DataFrame (returns one) or a DuckDB relation / file path (returns
    pandas, or writes Parquet to ``output`` and returns its path)."""
    options = {
        "horizon": horizon,
        "discount_rate": discount_rate,
        "margin": margin,
        "step": step,
        "lifecycle": lifecycle,
    }
    model._check_fitted()
    source = open_source(customers)
    produced = _output_columns(model)
    carried = _carried(source.columns, margin, produced)
    _dry_run(model, options)
    if source.engine == "spark":
        if output is not None:
            raise InputError(
                "The 'output' argument is for DuckDB sources; a Spark result is a DataFrame: "
                "write it with result.write.parquet(path)."
            )
        return _spark(model, source, carried, produced, options)
    return _duckdb(model, source, carried, options, output, int(batch_rows))


def _spark(
    model: Any, source: Source, carried: list[str], produced: list[str], options: dict[str, Any]
) -> Any:
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    fields = [source.handle.schema[c] for c in carried]
    fields += [StructField(c, DoubleType(), True) for c in produced[:-1]]
    fields.append(StructField("lifecycle_stage", StringType(), True))
    schema = StructType(fields)
    document = json.dumps(_document(model))

    def score(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        from clvkit.models.persistence import model_from_document

        rebuilt = model_from_document(json.loads(document), "the model sent to the executors")
        for batch in batches:
            if len(batch):
                yield _score(rebuilt, batch, carried, options)

    return source.handle.mapInPandas(score, schema)


def _pandas_index(source: Source) -> list[str]:
    """Index columns recorded by pandas in a Parquet file (``rfm.to_parquet(path)``)."""
    raw = source.schema_metadata.get(b"pandas")
    if not raw:
        return []
    try:
        names = json.loads(raw).get("index_columns", [])
    except (ValueError, AttributeError):
        return []
    return [n for n in names if isinstance(n, str) and n in source.columns]


def _duckdb(
    model: Any,
    source: Source,
    carried: list[str],
    options: dict[str, Any],
    output: str | os.PathLike[str] | None,
    batch_rows: int,
) -> Any:
    relation = source.query(f"SELECT * FROM {source.name}")
    if output is None:
        parts = [
            _score(model, batch.to_pandas(), carried, options)
            for batch in iter_batches(relation, batch_rows)
        ]
        frame = pd.concat(parts, ignore_index=True)
        frame["lifecycle_stage"] = _stages(frame["lifecycle_stage"])
        index = _pandas_index(source)
        if index:
            frame = frame.set_index(index)
        frame.attrs.update(time_unit=model.time_unit_, horizon=options["horizon"])
        frame.attrs["discount_rate"] = options["discount_rate"]
        return frame
    pa = require("pyarrow")
    pq = require("pyarrow.parquet")
    target = Path(output)
    if not target.parent.is_dir():
        raise InputError(f"The 'output' folder {str(target.parent)!r} does not exist.")
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(handle)
    writer = None
    try:
        for batch in iter_batches(relation, batch_rows):
            scored = _score(model, batch.to_pandas(), carried, options)
            table = pa.Table.from_pandas(scored, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(name, table.schema)
            writer.write_table(table)
        if writer is None:
            raise InputError("The 'customers' argument has no rows; at least one is needed.")
        writer.close()
        writer = None
        os.replace(name, target)
    finally:
        if writer is not None:
            writer.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
    return target


def _stages(values: pd.Series) -> pd.Series:
    """Stage names back to the pandas path's ordered categorical."""
    from clvkit.value.lifecycle import STAGE_DTYPE

    return values.astype(STAGE_DTYPE)
