"""Reading logs and summaries from CSV or Parquet, writing results without half-written files.

A customer summary written by ``clvkit rfm`` loses the ``attrs`` a frame carries in
memory (the time unit above all), so the command writes them into the file: in a
Parquet file's key-value metadata (key ``clvkit``), in a CSV file's first line
(``# clvkit {...}``, JSON). Reading it back restores them, so a summary in weeks is
never read as one in days; a file without them needs ``--time-unit``.

Parquet needs ``pyarrow`` (``pip install "clvkit[cli]"``); CSV needs nothing more than
pandas.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from clvkit.errors import InputError

__all__ = [
    "UsageError",
    "atomic_path",
    "check_input",
    "check_output",
    "file_format",
    "read_log",
    "read_summary",
    "write_frame",
]

_PARQUET = (".parquet", ".pq")
_CSV = (".csv", ".csv.gz", ".txt", ".tsv")
_META_KEY = b"clvkit"
_CSV_MARK = "# clvkit "
_INSTALL = 'pip install "clvkit[cli]"'


class UsageError(Exception):
    """The command line itself is wrong (exit status 2): a file that does not exist, an
    output folder that does not exist, a format the command cannot write."""


def file_format(path: Path, what: str) -> str:
    """``"parquet"`` or ``"csv"``, from the file name's ending."""
    name = path.name.lower()
    if name.endswith(_PARQUET):
        return "parquet"
    if name.endswith(_CSV):
        return "csv"
    raise UsageError(
        f"{what} {str(path)!r}: unknown file type; use a name ending in .parquet or .csv "
        "(.csv.gz, .tsv and .txt are read as CSV too)."
    )


def check_input(path: str, what: str) -> Path:
    """An existing input file (or a usage error naming it)."""
    p = Path(path)
    if not p.exists():
        raise UsageError(f"{what} {path!r} does not exist.")
    if p.is_dir():
        raise UsageError(f"{what} {path!r} is a folder, not a file.")
    file_format(p, what)
    return p


def check_output(path: str, what: str, formats: Sequence[str] | None = None) -> Path:
    """An output path whose folder exists, with a file type in ``formats``."""
    p = Path(path)
    if p.is_dir():
        raise UsageError(f"{what} {path!r} is a folder; give a file name.")
    folder = p.parent if str(p.parent) else Path(".")
    if not folder.is_dir():
        raise UsageError(f"{what} {path!r}: the folder {str(folder)!r} does not exist.")
    if formats is not None:
        kind = file_format(p, what)
        if kind not in formats:
            raise UsageError(f"{what} {path!r} must be one of: {', '.join(formats)}.")
    return p


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path``, renamed onto it only if the block succeeds, so
    a failed or interrupted command never leaves a half-written file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's file is private; the result is not
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _pyarrow(what: str) -> Any:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise UsageError(f"{what} is a Parquet file, which needs pyarrow: {_INSTALL}") from None
    return pa, pq


def _columns_error(path: Path, wanted: Sequence[str], have: Sequence[str]) -> InputError:
    missing = [c for c in wanted if c not in have]
    return InputError(
        f"{path.name}: no column {', '.join(repr(c) for c in missing)}; the columns are "
        f"{', '.join(repr(c) for c in have)}."
    )


def _csv_header(path: Path) -> tuple[dict[str, Any], int]:
    """The clvkit record of a CSV summary's first line, and the lines to skip."""
    opener: Callable[..., Any] = open
    if path.name.lower().endswith(".gz"):
        import gzip

        opener = gzip.open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:
        first = handle.readline()
    if first.startswith(_CSV_MARK):
        try:
            record = json.loads(first[len(_CSV_MARK) :])
        except json.JSONDecodeError:
            raise InputError(f"{path.name}: its first line is not a valid clvkit record.") from None
        if isinstance(record, dict):
            return record, 1
    return {}, 0


def _separator(path: Path) -> str:
    return "\t" if path.name.lower().endswith(".tsv") else ","


def read_log(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """The columns ``columns`` of a transaction log (nothing else is read).

    A column that does not exist is an :class:`~clvkit.errors.InputError` listing the
    columns that do; a file that cannot be read (not a CSV or Parquet file, say) too.
    """
    kind = file_format(path, "The log")
    wanted = list(dict.fromkeys(columns))
    try:
        if kind == "parquet":
            _, pq = _pyarrow(f"The log {str(path)!r}")
            have = list(pq.read_schema(path).names)
            if any(c not in have for c in wanted):
                raise _columns_error(path, wanted, have)
            frame = pq.read_table(path, columns=wanted).to_pandas()
        else:
            _, skip = _csv_header(path)
            sep = _separator(path)
            have = list(pd.read_csv(path, nrows=0, skiprows=skip, sep=sep).columns)
            if any(c not in have for c in wanted):
                raise _columns_error(path, wanted, have)
            frame = pd.read_csv(path, usecols=wanted, skiprows=skip, sep=sep)
    except (InputError, UsageError):
        raise
    except Exception as exc:  # pandas' and pyarrow's parse errors have many classes
        raise InputError(f"{path.name} could not be read as {kind.upper()}: {exc}") from None
    if frame.empty:
        raise InputError(f"{path.name} has no transactions (no rows).")
    return frame


def parse_dates(frame: pd.DataFrame, column: str, datetime_format: str | None) -> pd.DataFrame:
    """``frame`` with its date column parsed once, as clvkit's summaries would parse it.

    Parsing here, once, saves every later summary of the same log from parsing the
    strings again. A column that does not parse into one datetime column is left as it
    is, so that the summary's own check explains what is wrong with it.
    """
    values = frame[column]
    if isinstance(values.dtype, pd.DatetimeTZDtype) or values.dtype.kind == "M":
        return frame
    if values.dtype.kind not in "OSU" and not pd.api.types.is_string_dtype(values.dtype):
        return frame
    try:
        parsed = pd.to_datetime(values, format=datetime_format)
    except (ValueError, TypeError, OverflowError):
        return frame
    if not (isinstance(parsed.dtype, pd.DatetimeTZDtype) or parsed.dtype.kind == "M"):
        return frame
    if parsed.isna().any():
        return frame
    out = frame.copy(deep=False)
    out[column] = parsed
    return out


def read_summary(path: Path, id_column: str | None) -> pd.DataFrame:
    """A customer summary written by ``clvkit rfm`` (or any frame with the columns),
    indexed by customer id, with the recorded ``attrs`` restored."""
    kind = file_format(path, "The summary")
    try:
        if kind == "parquet":
            _, pq = _pyarrow(f"The summary {str(path)!r}")
            table = pq.read_table(path)
            meta = (table.schema.metadata or {}).get(_META_KEY)
            record = json.loads(meta) if meta else {}
            frame = table.to_pandas()
        else:
            record, skip = _csv_header(path)
            frame = pd.read_csv(path, skiprows=skip, sep=_separator(path))
    except (InputError, UsageError):
        raise
    except Exception as exc:
        raise InputError(f"{path.name} could not be read as {kind.upper()}: {exc}") from None
    attrs = record.get("attrs", {}) if isinstance(record, dict) else {}
    index = id_column or record.get("customer_id") or frame.index.name
    if index is not None and index in frame.columns:
        frame = frame.set_index(index)
    elif id_column is not None:
        raise _columns_error(path, [id_column], list(frame.columns))
    frame.index.name = frame.index.name or "customer_id"
    if frame.empty:
        raise InputError(f"{path.name} has no customers (no rows).")
    frame.attrs.update({k: v for k, v in attrs.items() if v is not None})
    return frame


def write_frame(frame: pd.DataFrame, path: Path, record: dict[str, Any]) -> None:
    """Write ``frame`` with its index as the first column and ``record`` (JSON) in the
    file: Parquet key-value metadata, or the first line of a CSV file. Atomic."""
    kind = file_format(path, "The output")
    data = frame.reset_index()
    text = json.dumps(record, default=str, separators=(",", ":"))
    if kind == "parquet":
        pa, pq = _pyarrow(f"The output {str(path)!r}")
        table = pa.Table.from_pandas(data, preserve_index=False)
        table = table.replace_schema_metadata(
            {**(table.schema.metadata or {}), _META_KEY: text.encode()}
        )
        with atomic_path(path) as tmp:
            pq.write_table(table, tmp)
    else:
        compression = "gzip" if path.name.lower().endswith(".gz") else None
        with atomic_path(path) as tmp:
            if compression is None:
                with open(tmp, "w", encoding="utf-8", newline="") as handle:
                    handle.write(_CSV_MARK + text + "\n")
                    data.to_csv(handle, index=False, sep=_separator(path))
            else:
                import gzip

                with gzip.open(tmp, "wt", encoding="utf-8", newline="") as handle:
                    handle.write(_CSV_MARK + text + "\n")
                    data.to_csv(handle, index=False, sep=_separator(path))
