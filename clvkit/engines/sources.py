"""Where a log or a table of summaries lives: files, a DuckDB relation, a Spark DataFrame.

:func:`is_source` recognises one without importing duckdb or pyspark (it looks at the
object's class), so the pandas path never pays for the engines. :func:`open_source` opens
it: Parquet or CSV files (a path, a glob or a list of them) and DuckDB relations run in
DuckDB, Spark DataFrames in their own session. Queries are run with :meth:`Source.query`,
which gives back a DuckDB relation or a Spark DataFrame.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clvkit.engines._deps import require
from clvkit.engines.sql import DIALECTS, ROW, Dialect, string
from clvkit.errors import InputError

__all__ = ["Source", "configure", "is_source", "open_source"]

_PARQUET = (".parquet", ".pq", ".parq")
_CSV = (".csv", ".tsv", ".txt", ".csv.gz", ".tsv.gz", ".txt.gz")

#: settings of the DuckDB connections clvkit opens for files (see :func:`configure`)
_SETTINGS: dict[str, Any] = {
    "memory_limit": os.environ.get("CLVKIT_DUCKDB_MEMORY_LIMIT", "2GB"),
    "threads": None,
    "temp_directory": None,
}
_VIEW_IDS = itertools.count()


def configure(
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Settings of the embedded DuckDB that reads files; returns the settings in force.

    Parameters
    ----------
    memory_limit : str, optional
        DuckDB's ``memory_limit``, e.g. ``"2GB"`` (the default, or the environment variable
        ``CLVKIT_DUCKDB_MEMORY_LIMIT``). Beyond it DuckDB spills to ``temp_directory``.
    threads : int, optional
        Worker threads (DuckDB's default: one per core).
    temp_directory : path, optional
        Where DuckDB spills; default a ``clvkit-duckdb`` folder in the system temp folder.

    Returns
    -------
    dict
        The settings in force after the call.

    Notes
    -----
    These apply to the connections clvkit opens for file paths. A DuckDB relation passed
    by the caller runs on the caller's connection, with its settings.
    """
    if memory_limit is not None:
        _SETTINGS["memory_limit"] = str(memory_limit)
    if threads is not None:
        _SETTINGS["threads"] = int(threads)
    if temp_directory is not None:
        _SETTINGS["temp_directory"] = str(temp_directory)
    return dict(_SETTINGS)


def _kind(obj: object) -> str | None:
    """ "files", "duckdb", "spark" or None, from the object's type alone (no imports)."""
    if isinstance(obj, str | os.PathLike):
        return "files"
    if isinstance(obj, list | tuple) and obj and all(isinstance(p, str | os.PathLike) for p in obj):
        return "files"
    module = type(obj).__module__ or ""
    name = type(obj).__name__
    if module.split(".")[0] in ("duckdb", "_duckdb") and name == "DuckDBPyRelation":
        return "duckdb"
    if module.startswith("pyspark.") and name == "DataFrame":
        return "spark"
    return None


def is_source(obj: object) -> bool:
    """Whether ``obj`` is a path, a DuckDB relation or a Spark DataFrame."""
    return _kind(obj) is not None


@dataclass
class Source:
    """An opened source: its engine, columns and types, and how to query it."""

    engine: str  # "duckdb" or "spark"
    dialect: Dialect
    columns: list[str]
    types: dict[str, Any]  # column -> engine type (DuckDBPyType or a Spark DataType)
    handle: Any  # DuckDB relation or Spark DataFrame
    description: str  # for messages: "3 Parquet files", "a DuckDB relation", ...
    arrow_zones: dict[str, str] = field(default_factory=dict)  # tz of Arrow timestamp columns
    schema_metadata: dict[bytes, bytes] = field(default_factory=dict)
    #: the source with each row's 0-based position in the log (column ``sql.ROW``), as a
    #: table expression for :meth:`query`; None when the source has no row order (a
    #: DuckDB relation, a Spark DataFrame, CSV files)
    numbered: str | None = None
    _views: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The table name the source has in the SQL of :meth:`query`."""
        if self.engine == "duckdb":
            return "src"
        if not self._views:
            view = f"clvkit_src_{os.getpid()}_{next(_VIEW_IDS)}"
            self.handle.createOrReplaceTempView(view)
            self._views.append(view)
        return self._views[0]

    def query(self, sql: str) -> Any:
        """Run ``sql``, in which the source is the table :attr:`name`; a DuckDB relation or
        a Spark DataFrame (lazy in both engines)."""
        if self.engine == "duckdb":
            return self.handle.query("src", sql)
        return self.handle.sparkSession.sql(sql)

    def session_zone(self) -> str:
        """The engine's session time zone (the wall clock of instants without a zone)."""
        if self.engine == "duckdb":
            return str(
                self.handle.query("src", "SELECT current_setting('TimeZone')").fetchall()[0][0]
            )
        return str(self.handle.sparkSession.conf.get("spark.sql.session.timeZone"))

    def close(self) -> None:
        """Drop the temporary views (the DataFrames built from them keep their plans)."""
        if self.engine == "spark":
            catalog = self.handle.sparkSession.catalog
            for view in self._views:
                catalog.dropTempView(view)
            self._views.clear()


def _files(paths: str | os.PathLike[str] | list[Any] | tuple[Any, ...]) -> list[str]:
    items = list(paths) if isinstance(paths, list | tuple) else [paths]
    found: list[str] = []
    for item in items:
        text = os.fspath(item)
        path = Path(text)
        if path.is_dir():
            found.extend(sorted(str(p) for p in path.rglob("*") if p.is_file() and _format(str(p))))
        elif glob.has_magic(text):
            found.extend(sorted(p for p in glob.glob(text, recursive=True) if Path(p).is_file()))
        elif path.is_file():
            found.append(text)
    if not found:
        shown = ", ".join(repr(os.fspath(p)) for p in items[:3])
        raise InputError(
            f"The 'transactions' path {shown} matches no file; give a Parquet or CSV file, "
            "a folder of them or a glob such as 'logs/*.parquet'."
        )
    return found


def _format(path: str) -> str | None:
    lower = path.lower()
    if lower.endswith(_PARQUET):
        return "parquet"
    if lower.endswith(_CSV):
        return "csv"
    return None


def duckdb_connection() -> Any:
    """A new in-memory DuckDB connection with clvkit's settings (memory limit, spill)."""
    duckdb = require("duckdb")
    temp = _SETTINGS["temp_directory"] or str(Path(tempfile.gettempdir()) / "clvkit-duckdb")
    config: dict[str, Any] = {"memory_limit": _SETTINGS["memory_limit"], "temp_directory": temp}
    if _SETTINGS["threads"]:
        config["threads"] = _SETTINGS["threads"]
    # Results come back sorted where it matters; keeping the scan order costs memory.
    config["preserve_insertion_order"] = False
    return duckdb.connect(config=config)


def open_source(obj: object, *, text_columns: tuple[str, ...] = ()) -> Source:
    """Open a path/glob of Parquet or CSV files, a DuckDB relation or a Spark DataFrame.

    ``text_columns`` are read as text from CSV files (the time column: clvkit parses it,
    not the CSV sniffer, so both engines and pandas read the same dates).
    """
    kind = _kind(obj)
    if kind == "spark":
        df: Any = obj
        fields = df.schema.fields
        return Source(
            engine="spark",
            dialect=DIALECTS["spark"],
            columns=[f.name for f in fields],
            types={f.name: f.dataType for f in fields},
            handle=df,
            description="a Spark DataFrame",
        )
    if kind == "duckdb":
        rel: Any = obj
        return Source(
            engine="duckdb",
            dialect=DIALECTS["duckdb"],
            columns=list(rel.columns),
            types=dict(zip(rel.columns, rel.types, strict=True)),
            handle=rel,
            description="a DuckDB relation",
        )
    if kind != "files":
        raise InputError(
            "The 'transactions' argument must be a pandas DataFrame, a path or glob of "
            "Parquet or CSV files, a DuckDB relation or a Spark DataFrame. Got "
            f"{type(obj).__name__} instead."
        )
    files = _files(obj)  # type: ignore[arg-type]
    formats = {_format(f) for f in files}
    if None in formats or len(formats) > 1:
        odd = [f for f in files if _format(f) is None][:3] or files[:3]
        raise InputError(
            f"The 'transactions' path holds {sorted(map(str, formats))} files ({odd}); clvkit "
            "reads Parquet (.parquet, .pq) or CSV (.csv, .tsv, .txt, optionally .gz), one "
            "format at a time."
        )
    con = duckdb_connection()
    file_list = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
    zones: dict[str, str] = {}
    metadata: dict[bytes, bytes] = {}
    numbered = None
    if formats == {"parquet"}:
        rel = con.sql(f"SELECT * FROM read_parquet({file_list}, union_by_name = true)")
        zones, metadata = _arrow_schema(files[0])
        what = "Parquet"
        numbered = _numbered_parquet(con, files, file_list, list(rel.columns))
    else:
        probe = con.sql(f"SELECT * FROM read_csv({file_list}, union_by_name = true) LIMIT 0")
        types = ", ".join(
            f"'{c.replace(chr(39), chr(39) * 2)}': 'VARCHAR'"
            for c in probe.columns
            if c in text_columns
        )
        option = f", types = {{{types}}}" if types else ""
        rel = con.sql(f"SELECT * FROM read_csv({file_list}, union_by_name = true{option})")
        what = "CSV"
    return Source(
        engine="duckdb",
        dialect=DIALECTS["duckdb"],
        columns=list(rel.columns),
        types=dict(zip(rel.columns, rel.types, strict=True)),
        handle=rel,
        description=f"{len(files)} {what} file{'s' if len(files) > 1 else ''}",
        arrow_zones=zones,
        schema_metadata=metadata,
        numbered=numbered,
    )


def _numbered_parquet(con: Any, files: list[str], file_list: str, columns: list[str]) -> str | None:
    """Parquet files with each row's position in the log: the files read one after the
    other in the order of ``files``, rows in file order, counted from 0 (for a file
    written from a pandas frame with a default index, the frame's index labels).

    None when the log has a column of the name DuckDB gives the file or row number.
    """
    if "file_row_number" in columns or "filename" in columns:
        return None
    options = "union_by_name = true, file_row_number = true"
    if len(files) == 1:
        return (
            f"(SELECT *, file_row_number AS {ROW} FROM read_parquet({file_list}, {options})) "
            "AS numbered"
        )
    sizes = dict(
        con.sql(f"SELECT file_name, num_rows FROM parquet_file_metadata({file_list})").fetchall()
    )
    if set(sizes) != set(files):  # pragma: no cover - DuckDB spelled a path its own way
        return None
    offsets, offset = [], 0
    for f in files:
        offsets.append(f"WHEN {string(f)} THEN {offset}")
        offset += int(sizes[f])
    position = f"CASE filename {' '.join(offsets)} END + file_row_number"
    return (
        f"(SELECT *, {position} AS {ROW} FROM read_parquet({file_list}, {options}, "
        "filename = true)) AS numbered"
    )


def _arrow_schema(path: str) -> tuple[dict[str, str], dict[bytes, bytes]]:
    """Time zones of timestamp columns and key-value metadata of a Parquet file's Arrow
    schema (pandas and Arrow writers record the zone there; Parquet itself keeps only
    "adjusted to UTC")."""
    try:
        pq = require("pyarrow.parquet")
        schema = pq.read_schema(path)
    except Exception:  # no pyarrow, or not an Arrow-written file: fall back to the session
        return {}, {}
    zones = {}
    for f in schema:
        tz = getattr(f.type, "tz", None)
        if tz:
            zones[f.name] = str(tz)
    return zones, dict(schema.metadata or {})


@contextlib.contextmanager
def closed_on_error(source: Source) -> Iterator[None]:
    """Close ``source`` (drop its Spark view) when the block raises."""
    try:
        yield
    except BaseException:
        source.close()
        raise


def iter_batches(relation: Any, rows: int) -> Iterator[Any]:
    """Arrow record batches of a DuckDB relation, ``rows`` at a time."""
    reader = relation.to_arrow_reader(rows) if hasattr(relation, "to_arrow_reader") else None
    if reader is None:  # pragma: no cover - older duckdb
        reader = relation.fetch_record_batch(rows)
    yield from reader
