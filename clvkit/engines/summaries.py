"""The four summaries of :mod:`clvkit.data`, computed in DuckDB or Spark.

Each function takes the same arguments as its pandas twin and follows the same steps:

1. check the arguments exactly as pandas does (same helpers, same messages);
2. open the source and check its columns and their types;
3. one pass over the log (:func:`clvkit.engines.sql.scan_sql`) counts every broken rule
   and the rows of every distinct day; from these few rows numpy finds the first and last
   period, the rows after the end of observation and the far-off and future days (the
   rules of :mod:`clvkit.data.checks`), and the engine looks for repeated transactions
   (:mod:`clvkit.engines.suspicious`), so every error and warning is raised before any
   result exists;
4. one query (:mod:`clvkit.engines.sql`) builds the result in the engine, from the log
   without its repeated transactions when ``duplicates="drop"``.

DuckDB results come back as pandas with the pandas path's index, columns, dtypes and
``attrs``. Spark results stay Spark DataFrames with the same columns (the customer id is
a column, named as in the log); what pandas keeps in ``attrs`` (``time_unit``, ``grain``,
``observation_end``, ...) is stored in every column's metadata under the key ``"clvkit"``
(``df.schema["T"].metadata["clvkit"]["time_unit"]``), which survives ``select``,
``filter`` and joins and is what a later ``fit`` reads.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clvkit._time import DAYS_PER_UNIT, check_grain, check_time_unit
from clvkit._validation import format_examples, rule_message
from clvkit.data.checks import DEFAULT_GAP_MULTIPLE
from clvkit.data.dates import parse_instant
from clvkit.data.retention import (
    _INCOMPLETE,
    check_period,
    period_first_day,
    period_ordinal,
)
from clvkit.data.transactions import (
    _check_column_arguments,
    check_duplicates_argument,
    check_gap_multiple,
    format_period,
    period_start,
)
from clvkit.engines import parts, sql, suspicious
from clvkit.engines.sources import Source, closed_on_error, is_source, open_source
from clvkit.engines.sources import _kind as source_kind
from clvkit.errors import DataWarning, InputError

__all__ = [
    "calibration_holdout",
    "cohort_table",
    "is_source",
    "retention_table",
    "rfm_summary",
]

#: the key under which Spark results carry what pandas keeps in ``attrs``
METADATA_KEY = "clvkit"


@dataclass
class Prepared:
    """A validated source and everything decided from the scan."""

    source: Source
    cols: sql.Columns
    grain: str
    timezone: str | None
    n_rows: int
    first_pk: int
    end_pk: int
    cut_pk: int | None
    n_holdout: int
    #: what the summaries read: the source, or (``duplicates="drop"``) the source without
    #: its repeated transactions, and how to read it
    table: str = ""
    table_cols: sql.Columns | None = None
    n_repeated: int = 0
    n_kept: int = 0  # rows on or before the end of observation
    #: smallest and largest customer id, when the ids are integers (DuckDB only)
    id_range: tuple[int, int] | None = None
    duplicates: str = "warn"
    #: repeated transactions still to look for (and warn about): the numpy merge of
    #: :mod:`clvkit.engines.parts` finds them
    repeats_pending: bool = False
    checks: suspicious.Log | None = None

    def warn_repeats(self, stacklevel: int, n_repeats: int | None = None) -> None:
        """Warn about the repeated transactions left pending, counting them in the
        engine unless ``n_repeats`` is given (as pandas does before its errors too)."""
        if not self.repeats_pending:
            return
        assert self.checks is not None
        self.repeats_pending = False
        self.n_repeated = suspicious.warn_about_repeats(
            self.checks,
            drop=self.duplicates == "drop",
            stacklevel=stacklevel + 1,
            n_repeats=n_repeats,
        )

    def log(self) -> tuple[str, sql.Columns]:
        """The table the summaries read and its columns."""
        return self.table or self.source.name, self.table_cols or self.cols

    def period(self, key: int) -> np.datetime64:
        return np.datetime64(int(key), "h" if self.grain == "h" else "D")


# ---- step 1-3: arguments, columns and types, the scan -------------------------------------


def _time_kind(source: Source, column: str) -> str | None:
    """ "naive", "instant", "date", "string", or None for a type clvkit refuses."""
    t = source.types[column]
    if source.engine == "duckdb":
        name = str(t).upper()
        if name in ("TIMESTAMP", "TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S", "DATETIME"):
            return "naive"
        if name in ("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ", "TIMESTAMPTZ_NS"):
            return "instant"
        return {"DATE": "date", "VARCHAR": "string"}.get(name)
    name = type(t).__name__
    return {
        "TimestampNTZType": "naive",
        "TimestampType": "instant",
        "DateType": "date",
        "StringType": "string",
        "VarcharType": "string",
        "CharType": "string",
    }.get(name)


_DUCKDB_NUMBERS = {
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "UTINYINT",
    "USMALLINT",
    "UINTEGER",
    "UBIGINT",
    "UHUGEINT",
    "FLOAT",
    "DOUBLE",
}
_SPARK_NUMBERS = {"ByteType", "ShortType", "IntegerType", "LongType", "FloatType", "DoubleType"}


def _is_number(source: Source, column: str) -> bool:
    t = source.types[column]
    if source.engine == "duckdb":
        name = str(t).upper()
        return name in _DUCKDB_NUMBERS or name.startswith("DECIMAL")
    name = type(t).__name__
    return name in _SPARK_NUMBERS or name == "DecimalType"


def _type_name(source: Source, column: str) -> str:
    t = source.types[column]
    return str(t) if source.engine == "duckdb" else t.simpleString()


def _check_arguments(
    customer_id: object, datetime: object, monetary: object, datetime_format: object
) -> None:
    _check_column_arguments(customer_id, datetime, monetary)
    if datetime_format is not None and not isinstance(datetime_format, str):
        raise InputError(
            "The 'datetime_format' argument must be a string such as '%Y-%m-%d' or None. "
            f"Got {type(datetime_format).__name__} {datetime_format!r} instead."
        )


def _open(
    transactions: object,
    *,
    customer_id: Hashable,
    datetime: Hashable,
    monetary: Hashable | None,
    datetime_format: str | None,
) -> tuple[Source, sql.Columns]:
    """Open the source and check that its columns exist and have usable types."""
    source = open_source(transactions, text_columns=(str(datetime),))
    required = [customer_id, datetime] + ([monetary] if monetary is not None else [])
    missing = [c for c in required if c not in source.columns]
    if missing:
        raise InputError(
            f"The 'transactions' frame is missing the column(s) {missing}; it has "
            f"{source.columns[:12]}."
        )
    subject = f"Column {datetime!r}"
    kind = _time_kind(source, str(datetime))
    if kind is None:
        raise InputError(
            f"{subject} must hold datetimes or date strings. Got type "
            f"{_type_name(source, str(datetime))} instead; convert it explicitly (for "
            "yyyymmdd integers: strptime(CAST(col AS VARCHAR), '%Y%m%d')), clvkit does not "
            "guess."
        )
    if monetary is not None and not _is_number(source, str(monetary)):
        raise InputError(
            f"Column {monetary!r} must hold numbers (integer or float). Got type "
            f"{_type_name(source, str(monetary))} instead; convert it explicitly, clvkit "
            "does not coerce."
        )
    zone = None
    if kind == "instant":
        zone = source.arrow_zones.get(str(datetime)) or source.session_zone()
    fmt = datetime_format
    if kind == "string" and source.engine == "spark" and fmt not in (None, "ISO8601", "mixed"):
        try:
            sql.java_format(str(fmt))
        except ValueError as exc:
            raise InputError(
                f"The 'datetime_format' argument {fmt!r} uses the directive {exc.args[0]} "
                "that clvkit cannot translate for Spark; use %Y %y %m %d %H %M %S %f %b %j."
            ) from None
    cols = sql.Columns(
        customer_id=str(customer_id),
        datetime=str(datetime),
        monetary=None if monetary is None else str(monetary),
        time_kind=kind,
        zone=zone,
        fmt=fmt,
    )
    return source, cols


@dataclass(frozen=True)
class _End:
    """An end argument read on the log's wall clock."""

    key: int  # the period key (hour or day number) of the grain period holding it
    day: int  # its wall-clock day number (what the far-end rule compares)


def _end_key(
    value: object, argument: str, cols: sql.Columns, source: Source, grain: str
) -> _End | None:
    """The period key holding an end argument and its day, parsed by the pandas path's
    :func:`clvkit.data.dates.parse_instant` (every date type, Periods as their end).

    A Spark TIMESTAMP is Spark's *local* time (shown on the session's wall clock): a naive
    end is read on that clock too, an aware one converted to it. Elsewhere the pandas rule
    holds: the end is tz-aware exactly when the column is.
    """
    if value is None:
        return None
    zone = cols.zone if cols.time_kind == "instant" else None
    lenient = source.engine == "spark" and cols.time_kind == "instant"
    try:
        wall = parse_instant(value, argument, cols.fmt, None if lenient else zone)
    except InputError:
        if not lenient:
            raise
        wall = parse_instant(value, argument, cols.fmt, zone)
    start = period_start(np.array([wall]), grain)[0]
    day = np.datetime64(wall, "D").view(np.int64)
    return _End(key=int(start.view(np.int64)), day=int(day))


def _raise_bad_rows(source: Source, cols: sql.Columns, counts: dict[str, Any]) -> None:
    """Raise the first broken rule, in the pandas order, with a few example ids."""
    n_rows = int(counts["n_rows"])
    role = {"customer_id": cols.customer_id, "datetime": cols.datetime}
    for name, column_role, text in sql.RULES:
        n_bad = int(counts.get(name) or 0)
        if not n_bad:
            continue
        column = role.get(column_role, cols.monetary)
        subject = f"Column {column!r}"
        if name == "id_missing":
            raise InputError(rule_message(subject, text, n_bad, n_rows, "(no customer id to show)"))
        rows = _fetch(source.query(sql.examples_sql(source.dialect, source.name, cols, name)))
        ids, raw = rows["cid"], rows["raw"]
        examples = format_examples(list(ids), n_bad)
        if name == "time_missing":
            missing = "NaN/None/NaT" if cols.time_kind == "string" else "NaT"
            text = text.format(missing=missing)
        elif name == "time_offset":
            shown = ", ".join(repr(v) for v in raw[:3])
            raise InputError(
                f"{subject} holds time-zone offsets ({shown}): the engines read date "
                "strings as wall-clock times and do not pick a zone for you. Store the "
                "column as timestamps with a time zone (DuckDB TIMESTAMPTZ, Spark "
                f"TIMESTAMP) or strip the offsets; {n_bad} of {n_rows} rows have one "
                f"{examples}."
            )
        elif name == "time_unparsed":
            how = f"with datetime_format={cols.fmt!r}" if cols.fmt is not None else "as dates"
            text = text.format(how=how, examples=", ".join(repr(v) for v in raw[:3]))
        raise InputError(rule_message(subject, text, n_bad, n_rows, examples))


def _fetch(result: Any) -> dict[str, np.ndarray]:
    """A small query result as numpy columns (DuckDB relation or Spark DataFrame)."""
    if hasattr(result, "fetchnumpy"):
        return {k: np.asarray(v) for k, v in result.fetchnumpy().items()}
    rows = result.collect()
    names = result.columns
    return {n: np.array([r[i] for r in rows], dtype=object) for i, n in enumerate(names)}


def prepare(
    transactions: object,
    *,
    customer_id: Hashable,
    datetime: Hashable,
    monetary: Hashable | None,
    grain: str,
    observation_end: object,
    datetime_format: str | None,
    caller: str,
    stacklevel: int,
    calibration_end: object = None,
    duplicates: object = "warn",
    gap_multiple: object = DEFAULT_GAP_MULTIPLE,
    repeats_later: bool = False,
) -> Prepared:
    """Steps 1-3: everything the pandas ``_build`` checks, warns and decides.

    ``stacklevel`` is the one that makes a warning issued by the caller point at the
    user's line. With ``repeats_later`` the repeated transactions are left to the caller
    (``Prepared.repeats_pending``), whose merge finds them.
    """
    _check_arguments(customer_id, datetime, monetary, datetime_format)
    duplicates = check_duplicates_argument(duplicates, caller)
    multiple = check_gap_multiple(gap_multiple, caller)
    source, cols = _open(
        transactions,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        datetime_format=datetime_format,
    )
    with closed_on_error(source):  # a Spark view is dropped whatever happens
        return _scan(
            source,
            cols,
            grain,
            observation_end,
            calibration_end,
            caller,
            stacklevel + 1,
            duplicates=duplicates,
            gap_multiple=multiple,
            repeats_later=repeats_later,
        )


def _grouped_scan(source: Source, cols: sql.Columns, grain: str) -> dict[str, np.ndarray]:
    """The scan's rows as numpy columns: ``unit`` (int64 hour or day number; the rows
    whose time is missing or does not parse are left out of it) and ``unit_rows`` (the
    rows of each unit), plus the total of every column over all rows (``n_rows``, each
    rule's count)."""
    scan = source.query(sql.scan_sql(source.dialect, source.name, cols, grain))
    names = list(scan.columns)
    rows = suspicious.rows_of(scan)
    out: dict[str, Any] = {
        name: sum(int(row[i] or 0) for row in rows) for i, name in enumerate(names) if i > 0
    }
    timed = [row for row in rows if row[0] is not None]
    out["unit"] = np.array([row[0] for row in timed], dtype=np.int64)
    out["unit_rows"] = np.array([row[1] for row in timed], dtype=np.int64)
    return out


_DUCKDB_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}


def _scan(
    source: Source,
    cols: sql.Columns,
    grain: str,
    observation_end: object,
    calibration_end: object,
    caller: str,
    stacklevel: int,
    *,
    duplicates: str,
    gap_multiple: float | None,
    repeats_later: bool,
) -> Prepared:
    """The scan and every decision made from it (see :func:`prepare`), in the order of the
    pandas path: errors of the rows, of observation_end, the rows after the end, the date
    warnings, the repeated transactions; then an error of calibration_end."""
    # Parse the ends first; a bad end is reported after the column rules, in the pandas
    # order.
    end_error: InputError | None = None
    cut_error: InputError | None = None
    end = cut = None
    try:
        end = _end_key(observation_end, "observation_end", cols, source, grain)
    except InputError as exc:
        end_error = exc
    try:
        cut = _end_key(calibration_end, "calibration_end", cols, source, grain)
    except InputError as exc:
        cut_error = exc
    counts = _grouped_scan(source, cols, grain)
    n_rows = int(counts["n_rows"])
    if n_rows == 0:
        raise InputError("The 'transactions' argument has no rows; at least one is needed.")
    _raise_bad_rows(source, cols, counts)
    if end_error is not None:
        raise end_error
    # Every row has a time: each unit's period key and day, in numpy (pandas' functions).
    unit, unit_rows = counts["unit"], counts["unit_rows"]
    if grain == "h":
        pk, day = unit, unit // 24
    else:
        day = unit
        pk = period_start(unit.view("datetime64[D]"), grain).view(np.int64)
    first_pk, last_pk = int(pk.min()), int(pk.max())
    end_pk = last_pk if end is None else end.key
    kept = pk <= end_pk
    n_excluded = n_rows - int(unit_rows[kept].sum())
    cut_pk = None if cut is None else cut.key
    n_holdout = 0 if cut_pk is None else int(unit_rows[kept & (pk > cut_pk)].sum())
    prepared = Prepared(
        source=source,
        cols=cols,
        grain=grain,
        timezone=cols.zone if cols.time_kind == "instant" else None,
        n_rows=n_rows,
        first_pk=first_pk,
        end_pk=end_pk,
        cut_pk=cut_pk,
        n_holdout=n_holdout,
        n_kept=n_rows - n_excluded,
        duplicates=duplicates,
    )
    if repeats_later and str(source.types[cols.customer_id]).upper() in _DUCKDB_INTEGERS:
        # integer ids of a log merged in numpy: their range, to split the log into parts
        found = suspicious.rows_of(
            source.query(sql.id_range_sql(source.dialect, source.name, cols))
        )
        if found and found[0][0] is not None:
            prepared.id_range = (int(found[0][0]), int(found[0][1]))
    end_text = format_period(prepared.period(end_pk), grain)
    if n_excluded == n_rows:
        raise InputError(
            f"The 'observation_end' argument of {caller} is {end_text} (floored to its "
            f"{grain!r} period), but every one of the {n_rows} transactions falls after it "
            f"(the first on {format_period(prepared.period(first_pk), grain)}); nothing is "
            "left to summarise."
        )
    if n_excluded:
        warnings.warn(
            f"{n_excluded} of {n_rows} transactions fall after observation_end={end_text} "
            "and were excluded. Filter the log first to silence this warning.",
            DataWarning,
            stacklevel=stacklevel + 1,
        )
    log = suspicious.Log(source, cols, grain, end_pk, n_rows - n_excluded, caller)
    prepared.checks = log
    days, inverse = np.unique(day[kept], return_inverse=True)
    day_rows = np.bincount(inverse, weights=unit_rows[kept], minlength=days.size)
    suspicious.warn_about_dates(
        log,
        days,
        day_rows.astype(np.int64),
        None if end is None else end.day,
        gap_multiple,
        stacklevel + 1,
    )
    if cols.monetary is not None and duplicates != "keep":
        prepared.repeats_pending = True
        if not repeats_later or cut_error is not None:
            prepared.warn_repeats(stacklevel + 1)
        if duplicates == "drop" and prepared.n_repeated:
            prepared.table, prepared.table_cols = sql.without_repeats(
                source.dialect, source.name, cols
            )
    if cut_error is not None:
        raise cut_error
    return prepared


# ---- step 4: the results -------------------------------------------------------------------


def _spark_with_attrs(df: Any, attrs: dict[str, object]) -> Any:
    """Store ``attrs`` in every column's metadata under :data:`METADATA_KEY`."""
    for name in df.columns:
        metadata = dict(df.schema[name].metadata or {})
        metadata[METADATA_KEY] = attrs
        df = df.withMetadata(name, metadata)
    return df


def _merged_in_numpy(transactions: object) -> bool:
    """Whether the purchases of a log are merged by the pandas path's numpy code
    (:mod:`clvkit.engines.parts`): every log DuckDB reads; Spark keeps its SQL."""
    return source_kind(transactions) != "spark"


def _numpy_frame(
    ids: pd.Index, columns: dict[str, np.ndarray], attrs: dict[str, object]
) -> pd.DataFrame:
    """The frame of :func:`clvkit.engines.parts.summary`'s columns, as the pandas path
    builds it."""
    out = pd.DataFrame(columns, index=ids)
    out.attrs.update(attrs)
    return out


def rfm_summary(
    transactions: object,
    *,
    customer_id: Hashable,
    datetime: Hashable,
    monetary: Hashable | None,
    time_unit: str,
    grain: str,
    observation_end: object,
    datetime_format: str | None,
    duplicates: object = "warn",
    gap_multiple: object = DEFAULT_GAP_MULTIPLE,
    stacklevel: int = 2,
) -> Any:
    """:func:`clvkit.rfm_summary` of a file, DuckDB relation or Spark DataFrame."""
    unit = check_time_unit(time_unit)
    grain = check_grain(grain)
    in_numpy = _merged_in_numpy(transactions)
    p = prepare(
        transactions,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        grain=grain,
        observation_end=observation_end,
        datetime_format=datetime_format,
        caller="rfm_summary",
        stacklevel=stacklevel + 1,
        duplicates=duplicates,
        gap_multiple=gap_multiple,
        repeats_later=in_numpy,
    )
    attrs: dict[str, object] = {
        "time_unit": unit,
        "grain": grain,
        "observation_end": format_period(p.period(p.end_pk), grain),
        "timezone": p.timezone,
    }
    if in_numpy:
        ids, columns, n_repeated = parts.summary(
            p, unit=unit, cut_pk=None, duplicates=p.duplicates, caller="rfm_summary"
        )
        p.warn_repeats(stacklevel + 1, n_repeated)
        return _numpy_frame(ids, columns, attrs)
    table, cols = p.log()
    query = sql.summary_sql(
        p.source.dialect, table, cols, grain=grain, time_unit=unit, end=p.end_pk
    )
    out = _spark_with_attrs(p.source.query(query), attrs)
    p.source.close()
    return out


def calibration_holdout(
    transactions: object,
    *,
    calibration_end: object,
    observation_end: object,
    customer_id: Hashable,
    datetime: Hashable,
    monetary: Hashable | None,
    time_unit: str,
    grain: str,
    datetime_format: str | None,
    duplicates: object = "warn",
    gap_multiple: object = DEFAULT_GAP_MULTIPLE,
    stacklevel: int = 2,
) -> Any:
    """:func:`clvkit.calibration_holdout` of a file, DuckDB relation or Spark DataFrame."""
    unit = check_time_unit(time_unit)
    grain = check_grain(grain)
    if calibration_end is None:
        raise InputError(
            "The 'calibration_end' argument of calibration_holdout must be a date such as "
            "'1997-09-30'. Got None instead."
        )
    in_numpy = _merged_in_numpy(transactions)
    p = prepare(
        transactions,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        grain=grain,
        observation_end=observation_end,
        datetime_format=datetime_format,
        caller="calibration_holdout",
        stacklevel=stacklevel + 1,
        calibration_end=calibration_end,
        duplicates=duplicates,
        gap_multiple=gap_multiple,
        repeats_later=in_numpy,
    )
    assert p.cut_pk is not None
    cut, end = p.period(p.cut_pk), p.period(p.end_pk)
    if p.cut_pk >= p.end_pk or p.first_pk > p.cut_pk:
        p.warn_repeats(stacklevel + 1)  # pandas warns before these errors
    if p.cut_pk >= p.end_pk:
        raise InputError(
            f"The 'calibration_end' argument ({calibration_end!r}, period "
            f"{format_period(cut, grain)}) must fall in an earlier {grain!r} period than "
            f"observation_end (period {format_period(end, grain)}); the holdout period "
            "would be empty."
        )
    if p.first_pk > p.cut_pk:
        raise InputError(
            f"No customer made a first purchase on or before calibration_end="
            f"{format_period(cut, grain)}; the first purchase in the log is on "
            f"{format_period(p.period(p.first_pk), grain)}."
        )
    # mirrors rfm.calibration_holdout: days between the period starts, calendar-true unit
    days = (end - cut) / np.timedelta64(1, "D")
    duration = float(np.float64(days) / DAYS_PER_UNIT[unit])
    empty_holdout = (
        f"No purchase falls in the holdout period ({format_period(cut, grain)}, "
        f"{format_period(end, grain)}]; check calibration_end and observation_end."
    )
    if p.source.engine == "spark" and p.n_holdout == 0:
        # Spark stays lazy: judged on every customer's holdout rows (the pandas rule counts
        # only the customers of the calibration, so Spark may stay silent where it warns)
        warnings.warn(empty_holdout, DataWarning, stacklevel=stacklevel + 1)
    attrs: dict[str, object] = {
        "time_unit": unit,
        "grain": grain,
        "calibration_end": format_period(cut, grain),
        "observation_end": format_period(end, grain),
        "timezone": p.timezone,
    }
    if in_numpy:
        ids, columns, n_repeated = parts.summary(
            p, unit=unit, cut_pk=p.cut_pk, duplicates=p.duplicates, caller="calibration_holdout"
        )
        p.warn_repeats(stacklevel + 1, n_repeated)
        frame = _numpy_frame(ids, columns, attrs)
    else:
        table, cols = p.log()
        query = sql.summary_sql(
            p.source.dialect,
            table,
            cols,
            grain=grain,
            time_unit=unit,
            end=p.end_pk,
            cut=p.cut_pk,
        )
        from pyspark.sql import functions as F

        result = p.source.query(query)
        result = result.withColumn("duration_holdout", F.lit(duration).cast("double"))
        out = _spark_with_attrs(result, attrs)
        p.source.close()
        return out
    if not frame["frequency_holdout"].any():
        warnings.warn(empty_holdout, DataWarning, stacklevel=stacklevel + 1)
    return frame


# ---- retention and cohort tables -----------------------------------------------------------


@dataclass
class _Activity:
    """What the tables need besides the engine's rows (mirrors retention.Activity)."""

    prepared: Prepared
    period: str
    periods: pd.PeriodIndex
    first_ordinal: int
    last_ordinal: int
    observation_end: np.datetime64  # last observed day, inclusive
    complete: bool

    def attrs(self, **extra: object) -> dict[str, object]:
        return {
            "period": self.period,
            "observation_end": format_period(self.observation_end, "D"),
            "incomplete_period": None if self.complete else str(self.periods[-1]),
            **extra,
        }

    def act_sql(self) -> str:
        p = self.prepared
        table, cols = p.log()
        return sql.activity_cte(
            p.source.dialect,
            table,
            cols,
            period=self.period,
            end=p.end_pk,
            first_ordinal=self.first_ordinal,
            last_ordinal=self.last_ordinal,
        )

    @property
    def labels(self) -> list[str]:
        return [str(x) for x in self.periods]


def _activity(
    transactions: object,
    *,
    period: object,
    customer_id: Hashable,
    datetime: Hashable,
    monetary: Hashable | None,
    observation_end: object,
    datetime_format: str | None,
    incomplete: object,
    caller: str,
    stacklevel: int,
    duplicates: object,
    gap_multiple: object,
) -> _Activity:
    """Validate as :func:`clvkit.data.retention.activity` does and lay out the periods."""
    period = check_period(period)
    if not isinstance(incomplete, str) or incomplete not in _INCOMPLETE:
        raise InputError(
            f"The 'incomplete' argument of {caller} must be 'flag' or 'drop'. "
            f"Got {incomplete!r} instead."
        )
    p = prepare(
        transactions,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        grain="D",
        observation_end=observation_end,
        datetime_format=datetime_format,
        caller=caller,
        stacklevel=stacklevel + 1,
        duplicates=duplicates,
        gap_multiple=gap_multiple,
    )
    last_day = p.period(p.end_pk)
    first_ordinal = int(period_ordinal(np.array([p.period(p.first_pk)]), period)[0])
    last_ordinal = int(period_ordinal(np.array([last_day]), period)[0])
    end = last_day + np.timedelta64(1, "D")
    next_start = period_first_day(np.array([last_ordinal + 1]), period)[0]
    complete = bool(end == next_start)
    if not complete and incomplete == "drop":
        if last_ordinal == first_ordinal:
            start = period_first_day(np.array([last_ordinal]), period)[0]
            raise InputError(
                f"Every purchase of the log falls in one {period!r} period, "
                f"{pd.Timestamp(start).to_period(period)}, which is observed only up to "
                f"{format_period(last_day, 'D')}; with incomplete='drop' nothing is left. "
                "Use incomplete='flag' or a finer period."
            )
        last_ordinal -= 1
        end = next_start = period_first_day(np.array([last_ordinal + 1]), period)[0]
        complete = True
    n_periods = last_ordinal - first_ordinal + 1
    first_start = period_first_day(np.array([first_ordinal]), period)[0]
    periods = pd.period_range(
        pd.Timestamp(first_start).to_period(period), periods=n_periods, freq=period
    )
    if not complete:
        start = period_first_day(np.array([last_ordinal]), period)[0]
        observed = int((end - start) / np.timedelta64(1, "D"))
        length = int((next_start - start) / np.timedelta64(1, "D"))
        warnings.warn(
            f"The last period of {caller}, {periods[-1]}, is observed only up to "
            f"{format_period(last_day, 'D')} ({observed} of {length} days): fewer "
            "customers had time to buy in it, so its counts and rates are understated, "
            "not a real fall in retention. It is kept and flagged "
            "(attrs['incomplete_period']); pass incomplete='drop' to leave it out, or an "
            "observation_end on the last day of a period.",
            DataWarning,
            stacklevel=stacklevel + 1,
        )
    return _Activity(
        prepared=p,
        period=period,
        periods=periods,
        first_ordinal=first_ordinal,
        last_ordinal=last_ordinal,
        observation_end=np.datetime64(end - np.timedelta64(1, "D")),
        complete=complete,
    )


def retention_table(
    transactions: object,
    period: object = "M",
    *,
    customer_id: Hashable,
    datetime: Hashable,
    monetary: Hashable | None,
    observation_end: object,
    datetime_format: str | None,
    incomplete: object,
    duplicates: object = "warn",
    gap_multiple: object = DEFAULT_GAP_MULTIPLE,
    stacklevel: int = 2,
) -> Any:
    """:func:`clvkit.retention_table` of a file, DuckDB relation or Spark DataFrame."""
    act = _activity(
        transactions,
        period=period,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        observation_end=observation_end,
        datetime_format=datetime_format,
        incomplete=incomplete,
        caller="retention_table",
        stacklevel=stacklevel + 1,
        duplicates=duplicates,
        gap_multiple=gap_multiple,
    )
    src = act.prepared.source
    query = (
        "WITH "
        + act.act_sql()
        + ", "
        + sql.retention_sql(
            src.dialect, "act", act.labels, monetary=monetary is not None, complete=act.complete
        )
    )
    result = src.query(query)
    if src.engine == "spark":
        out = _spark_with_attrs(result, act.attrs())
        src.close()
        return out
    arrays = result.fetchnumpy()
    arrays.pop("period")
    frame = pd.DataFrame(
        {k: np.asarray(v) for k, v in arrays.items()}, index=act.periods.rename("period")
    )
    frame.attrs.update(act.attrs())
    return frame


def cohort_table(
    transactions: object,
    period: object = "M",
    metric: str = "retention",
    *,
    customer_id: Hashable,
    datetime: Hashable,
    monetary: Hashable | None,
    observation_end: object,
    datetime_format: str | None,
    incomplete: object,
    duplicates: object = "warn",
    gap_multiple: object = DEFAULT_GAP_MULTIPLE,
    stacklevel: int = 2,
) -> Any:
    """:func:`clvkit.cohort_table` of a file, DuckDB relation or Spark DataFrame (``metric``
    already checked by :func:`clvkit.cohort_table`)."""
    act = _activity(
        transactions,
        period=period,
        customer_id=customer_id,
        datetime=datetime,
        monetary=monetary,
        observation_end=observation_end,
        datetime_format=datetime_format,
        incomplete=incomplete,
        caller="cohort_table",
        stacklevel=stacklevel + 1,
        duplicates=duplicates,
        gap_multiple=gap_multiple,
    )
    src = act.prepared.source
    query = "WITH " + act.act_sql() + ", " + sql.cohort_sql(src.dialect, act.labels, metric)
    result = src.query(query)
    attrs = act.attrs(metric=metric)
    if src.engine == "spark":
        out = _spark_with_attrs(result, attrs)
        src.close()
        return out
    arrays = result.fetchnumpy()
    labels = [str(v) for v in arrays.pop("cohort")]
    by_label = {label: k for k, label in enumerate(act.labels)}
    n = len(act.labels)
    values = np.column_stack([np.asarray(arrays[str(j)], dtype=np.float64) for j in range(n)])
    frame = pd.DataFrame(
        values,
        index=act.periods[[by_label[label] for label in labels]].rename("cohort"),
        columns=pd.RangeIndex(n, name="age"),
    )
    frame.attrs.update(attrs)
    return frame
