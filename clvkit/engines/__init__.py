"""Optional engines: the summaries of :mod:`clvkit.data` in DuckDB or Spark, fits on
distinct summary rows, and scoring in batches.

Nothing here imports duckdb, pyarrow or pyspark until a function needs it, and
``import clvkit`` does not import this package at all: the public functions of
:mod:`clvkit.data`, the models' ``fit`` and ``CLVModel.predict_clv`` hand a file path, a
DuckDB relation or a Spark DataFrame over to it.

- :func:`distinct_rows`: the distinct rows of some summary columns with their counts,
  grouped in the engine (what a fit needs; the table never reaches Python whole).
- :func:`configure`: memory limit, threads and spill folder of the embedded DuckDB.
- :func:`is_source`: whether an object is one of the sources above.

Install with ``pip install "clvkit[duckdb]"`` (DuckDB and Arrow) or
``pip install "clvkit[spark]"`` (PySpark and Arrow).
"""

from clvkit.engines.fitting import distinct_rows
from clvkit.engines.sources import configure, is_source

__all__ = ["configure", "distinct_rows", "is_source"]
