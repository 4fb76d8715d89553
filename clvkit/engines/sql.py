"""One SQL definition of the summaries, for DuckDB and Spark SQL.

Every rule of the data layer that the engines apply is written once here, as SQL text built
from a small dialect table (:data:`DIALECTS`: the handful of functions whose spelling
differs between DuckDB and Spark). The pandas path (:mod:`clvkit.data`) is the reference;
each rule names the pandas function it mirrors, so a change there has one place to be
mirrored here:

========================  ====================================  ========================
rule                      here                                  pandas
========================  ====================================  ========================
wall clock of a time      :func:`hour_number`,                  ``dates.wall_times``
column                    :func:`day_number`
string dates              :func:`parsed_timestamp`              ``dates._parse_column``
date arguments            none: parsed in Python by             ``dates.parse_instant``
                          ``dates.parse_instant``
grain periods             :func:`period_key`                    ``period_start``
bad rows (ids, dates,     :func:`scan_sql` (:data:`RULES`)      ``_build``
amounts)
first and last period,    :func:`scan_sql` (rows per day), then ``_build``
rows after the end        ``period_start`` in numpy
far-off days, future      :func:`scan_sql` (rows per day), then ``_warn_about_dates``
days, far or future end   ``checks.main_stretch``,
                          ``checks.end_is_far``,
                          ``checks.future_cutoff`` in numpy
                          (:mod:`~clvkit.engines.suspicious`)
repeated transactions     :func:`repeats_sql`: GROUP BY         ``checks.repeated_``
                          customer, :func:`same_time`,          ``transactions``,
                          :func:`same_amount`                   ``_repeated_rows``
duplicates="drop"         :func:`without_repeats` (one row of   ``_merge(drop_repeats)``
                          each set)
rows and customers        :func:`dated_rows_cte`,               ``_LogView.describe``
named by a warning        :func:`repeated_rows_cte`,
                          :func:`named_customers_sql`
end of observation        ``pk <= end`` (:func:`purchases_cte`) ``_build``
purchases                 :func:`purchases_cte`                 ``_merge``
frequency, recency, T,    :func:`summary_sql`                   ``rfm._summarise``
monetary values
calibration / holdout     :func:`summary_sql`, ``cut < end``    ``calibration_holdout``
retention and cohort      :func:`activity_cte`,                 ``retention.activity``
tables                    :func:`retention_sql`,
                          :func:`cohort_sql`
========================  ====================================  ========================

The date rules of :mod:`clvkit.data.checks` are not written in SQL at all: they look at
the distinct transaction days, which the scan brings back (a few thousand for a log of
years), and run in numpy, so the engines and pandas apply the very same functions.

Times become integers before any calendar work: the wall-clock *hour number* or *day
number* since 1970-01-01 (floored, so times before 1970 are exact too), then a period key
(the hour or day number of the period's start). Spans are differences of keys, divided in
float64 by the same calendar-true constants as pandas (literals spelled with ``repr`` so
the engine parses the very same double), so recency and T are bit-for-bit the pandas
values; sums of amounts agree to rounding (the engines add in their own order).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from clvkit._time import DAYS_PER_UNIT

__all__ = ["DIALECTS", "Dialect"]

_MICROS_PER_HOUR = 3_600_000_000
_MICROS_PER_DAY = 86_400_000_000


@dataclass(frozen=True)
class Dialect:
    """The spellings that differ between engines; every other token is shared SQL."""

    name: str
    quote: str
    #: exact floor division of an integer expression by a positive integer constant
    floordiv: str
    #: day number (int) -> DATE, DATE -> day number
    day_to_date: str
    date_to_day: str
    #: first day of the month/quarter/year of a DATE, as a DATE ({unit}: see trunc_units)
    trunc: str
    trunc_units: dict[str, str]
    #: an instant (TIMESTAMPTZ) as a naive timestamp on the wall clock of {zone}; None
    #: when the engine cannot (Spark: see instant_micros)
    instant_wall: str | None
    #: wall-clock micros of an instant (Spark TIMESTAMP) in zone {zone}
    instant_micros: str
    #: a string parsed as a naive timestamp, NULL when it does not parse
    parse: str
    parse_with_format: str
    #: a string matches a regular expression
    regex: str
    #: the text type for CAST
    text: str
    #: the value at the smallest key within a group
    arg_min: str

    def ident(self, name: str) -> str:
        q = self.quote
        return q + str(name).replace(q, q + q) + q


DIALECTS: dict[str, Dialect] = {
    "duckdb": Dialect(
        name="duckdb",
        quote='"',
        floordiv="((({x}) - ((({x}) % {n}) + {n}) % {n}) // {n})",
        day_to_date="(DATE '1970-01-01' + CAST({x} AS INTEGER))",
        date_to_day="(CAST({d} AS DATE) - DATE '1970-01-01')",
        trunc="CAST(date_trunc('{unit}', {d}) AS DATE)",
        trunc_units={"M": "month", "Q": "quarter", "Y": "year"},
        instant_wall="timezone({zone}, {c})",
        instant_micros="epoch_us(timezone({zone}, {c}))",
        parse="TRY_CAST({c} AS TIMESTAMP)",
        parse_with_format="try_strptime({c}, {fmt})",
        regex="regexp_matches({c}, {pattern})",
        text="VARCHAR",
        arg_min="arg_min({value}, {key})",
    ),
    "spark": Dialect(
        name="spark",
        quote="`",
        floordiv="((({x}) - pmod({x}, {n})) div {n})",
        day_to_date="date_from_unix_date(CAST({x} AS INT))",
        date_to_day="unix_date(CAST({d} AS DATE))",
        trunc="trunc({d}, '{unit}')",
        trunc_units={"M": "MM", "Q": "QUARTER", "Y": "YEAR"},
        # a Spark TIMESTAMP cast to DATE or NTZ goes through the session's zone: read the
        # wall clock of {zone} from its micros instead
        instant_wall=None,
        instant_micros="unix_micros(from_utc_timestamp({c}, {zone}))",
        parse="try_cast({c} AS TIMESTAMP_NTZ)",
        parse_with_format="CAST(try_to_timestamp({c}, {fmt}) AS TIMESTAMP_NTZ)",
        regex="({c} RLIKE {pattern})",
        text="STRING",
        arg_min="min_by({value}, {key})",
    ),
}


def string(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def double(value: float) -> str:
    """A DOUBLE literal that parses to exactly ``value`` (shortest round-trip repr)."""
    return f"CAST({string(repr(float(value)))} AS DOUBLE)"


def nan() -> str:
    return "CAST('NaN' AS DOUBLE)"


def floordiv(d: Dialect, x: str, n: int) -> str:
    return d.floordiv.format(x=x, n=n)


# ---- the wall clock (mirrors clvkit.data.transactions._wall_times) ------------------------

#: kinds of time column: "naive" (TIMESTAMP / TIMESTAMP_NTZ, the log's wall clock),
#: "instant" (TIMESTAMPTZ / Spark TIMESTAMP, read on the wall clock of a zone), "date",
#: "string" (parsed as naive times)
TIME_KINDS = ("naive", "instant", "date", "string")

#: a string holding a time-zone offset or "Z" after a time: refused (see parsed_timestamp)
OFFSET_PATTERN = (
    r"[0-9]:[0-9][0-9](:[0-9][0-9]([.][0-9]+)?)? ?(Z|UTC|[+-][0-9][0-9](:?[0-9][0-9])?)$"
)


def parsed_timestamp(d: Dialect, c: str, fmt: str | None) -> str:
    """A string column parsed as naive wall-clock times (NULL where it does not parse).

    ``fmt`` is a strftime format (``"%Y%m%d"``); ``None``, ``"ISO8601"`` and ``"mixed"``
    parse ISO 8601 and the engine's usual forms.
    """
    if fmt is None or fmt in ("ISO8601", "mixed"):
        return d.parse.format(c=c)
    engine_fmt = fmt if d.name == "duckdb" else java_format(fmt)
    return d.parse_with_format.format(c=c, fmt=string(engine_fmt))


_JAVA = {
    "%Y": "yyyy",
    "%y": "yy",
    "%m": "MM",
    "%d": "dd",
    "%H": "HH",
    "%M": "mm",
    "%S": "ss",
    "%f": "SSSSSS",
    "%b": "MMM",
    "%j": "DDD",
    "%%": "%",
}


def java_format(fmt: str) -> str:
    """A strftime format as a Spark (Java) datetime pattern; ValueError if unsupported."""
    out = []
    for token in re.findall(r"%.|[^%]+", fmt):
        if token.startswith("%"):
            if token not in _JAVA:
                raise ValueError(token)
            out.append(_JAVA[token])
        else:
            out.append("'" + token.replace("'", "''") + "'" if token.strip() else token)
    return "".join(out)


def _wall(d: Dialect, c: str, kind: str, zone: str | None) -> str | None:
    """A naive wall-clock timestamp expression, or None (Spark instants: use micros)."""
    if kind == "naive":
        return c
    if kind == "instant" and d.instant_wall is not None:
        return d.instant_wall.format(c=c, zone=string(zone or "UTC"))
    return None


def hour_number(d: Dialect, c: str, kind: str, zone: str | None) -> str:
    """Wall-clock hours since 1970-01-01 00:00 (floored) of a parsed time expression."""
    if kind == "date":
        return f"({d.date_to_day.format(d=c)} * 24)"
    wall = _wall(d, c, kind, zone)
    if wall is None:
        micros = d.instant_micros.format(c=c, zone=string(zone or "UTC"))
        return floordiv(d, micros, _MICROS_PER_HOUR)
    return f"({d.date_to_day.format(d=wall)} * 24 + hour({wall}))"


def day_number(d: Dialect, c: str, kind: str, zone: str | None) -> str:
    """Wall-clock days since 1970-01-01 (floored: a timestamp cast to DATE keeps its
    calendar day, before 1970 too) of a parsed time expression."""
    if kind == "date":
        return d.date_to_day.format(d=c)
    wall = _wall(d, c, kind, zone)
    if wall is None:
        micros = d.instant_micros.format(c=c, zone=string(zone or "UTC"))
        return floordiv(d, micros, _MICROS_PER_DAY)
    return d.date_to_day.format(d=wall)


# ---- grain periods (mirrors clvkit.data.transactions.period_start) -----------------------


def period_key(d: Dialect, day: str, hour: str, grain: str) -> str:
    """Hour number (grain "h") or day number (other grains) of each period's start.

    Weeks start on Monday: 1970-01-01 (day 0) was a Thursday, so the Monday on or before
    day ``x`` is ``7 * floor((x + 3) / 7) - 3``.
    """
    if grain == "h":
        return hour
    if grain == "D":
        return day
    if grain == "W":
        return f"({floordiv(d, f'({day}) + 3', 7)} * 7 - 3)"
    date = d.day_to_date.format(x=day)
    start = d.trunc.format(d=date, unit=d.trunc_units[grain])
    return d.date_to_day.format(d=start)


def period_ordinal(d: Dialect, day: str, period: str) -> str:
    """Number of the calendar period (W/M/Q/Y) holding each day number; mirrors
    ``clvkit.data.retention._ordinal``."""
    if period == "W":
        return floordiv(d, f"({day}) + 3", 7)
    date = d.day_to_date.format(x=day)
    months = f"((year({date}) - 1970) * 12 + month({date}) - 1)"
    if period == "M":
        return months
    if period == "Q":
        return floordiv(d, months, 3)
    return f"(year({date}) - 1970)"


# ---- the source, typed (one row per transaction) -------------------------------------------


@dataclass(frozen=True)
class Columns:
    """How to read the log: identifiers and the kind of the time column."""

    customer_id: str  # the id column's name
    datetime: str
    monetary: str | None
    time_kind: str  # one of TIME_KINDS
    zone: str | None  # wall-clock zone of an "instant" column
    fmt: str | None  # strftime format of a "string" column


def _time(d: Dialect, cols: Columns) -> tuple[str, str]:
    """The time column as an expression and its kind; strings parsed as naive times."""
    c = d.ident(cols.datetime)
    if cols.time_kind == "string":
        return parsed_timestamp(d, c, cols.fmt), "naive"
    return c, cols.time_kind


def key_of(d: Dialect, c: str, kind: str, zone: str | None, grain: str) -> str:
    """The period key (at ``grain``) of a parsed time expression of kind ``kind``."""
    day = day_number(d, c, kind, zone)
    hour = hour_number(d, c, kind, zone) if grain == "h" else day
    return period_key(d, day, hour, grain)


def key_expr(d: Dialect, cols: Columns, grain: str) -> str:
    """The period key (at ``grain``) of each row's time; NULL where it does not parse."""
    c, kind = _time(d, cols)
    return key_of(d, c, kind, cols.zone, grain)


def day_expr(d: Dialect, cols: Columns) -> str:
    """The wall-clock day number of each row's time; NULL where it does not parse."""
    c, kind = _time(d, cols)
    return day_number(d, c, kind, cols.zone)


def unit_expr(d: Dialect, cols: Columns, grain: str) -> str:
    """What the scan groups by: the wall-clock hour number for the hour grain, else the
    day number. Every period key, and the day of every row, is a function of it."""
    c, kind = _time(d, cols)
    return hour_number(d, c, kind, cols.zone) if grain == "h" else day_number(d, c, kind, cols.zone)


def typed_cte(d: Dialect, source: str, cols: Columns, grain: str) -> str:
    """``tx``: customer id, period key ``pk`` (and ``amt`` as DOUBLE) of every row."""
    amount = f", CAST({d.ident(cols.monetary)} AS DOUBLE) AS amt" if cols.monetary else ""
    return (
        f"tx AS (SELECT {d.ident(cols.customer_id)} AS cid, "
        f"{key_expr(d, cols, grain)} AS pk{amount} FROM {source})"
    )


# ---- validation: one pass counting every broken rule (mirrors data.transactions._build) --

#: rule name -> (column role, SQL condition on the raw row, message rule text); the
#: pandas path raises in this order, and so do the engines.
RULES: tuple[tuple[str, str, str], ...] = (
    ("id_missing", "customer_id", "must not be missing (NaN/None)"),
    ("time_missing", "datetime", "must not be missing ({missing})"),
    ("time_offset", "datetime", ""),
    ("time_unparsed", "datetime", "must parse {how} (unparseable values: {examples})"),
    ("amount_missing", "monetary", "must not be missing (NaN)"),
    ("amount_infinite", "monetary", "must be finite (no inf)"),
    (
        "amount_negative",
        "monetary",
        "must be >= 0 (clvkit does not guess how to treat negative amounts: net "
        "returns and refunds against the purchases they reverse, then pass the net "
        "amounts)",
    ),
)


def rule_conditions(d: Dialect, cols: Columns) -> dict[str, str]:
    """SQL condition (true on a bad row) of each rule in :data:`RULES` that applies."""
    cid, t = d.ident(cols.customer_id), d.ident(cols.datetime)
    out = {"id_missing": f"{cid} IS NULL", "time_missing": f"{t} IS NULL"}
    if cols.time_kind == "string":
        pattern = string(OFFSET_PATTERN)
        offset = d.regex.format(c=f"trim({t})", pattern=pattern)
        out["time_offset"] = f"({t} IS NOT NULL AND {offset})"
        out["time_unparsed"] = f"({t} IS NOT NULL AND {parsed_timestamp(d, t, cols.fmt)} IS NULL)"
    if cols.monetary is not None:
        a = f"CAST({d.ident(cols.monetary)} AS DOUBLE)"
        out["amount_missing"] = f"({a} IS NULL OR isnan({a}))"
        inf = "CAST('Infinity' AS DOUBLE)"
        out["amount_infinite"] = f"(abs({a}) = {inf})"
        out["amount_negative"] = f"({a} < 0)"
    return out


def scan_sql(d: Dialect, source: str, cols: Columns, grain: str) -> str:
    """One pass over the log, grouped by :func:`unit_expr` (the hour number for the hour
    grain, else the day number): per group, the row count and the rows breaking each rule.

    A log has few distinct days (hours), so the groups are small; the caller sums the
    counts and finds, in numpy with the pandas path's own functions, the first and last
    period, the rows after the end of observation or in the holdout, and the distinct
    transaction days the date rules of :mod:`clvkit.data.checks` look at. The unit is NULL
    where a time does not parse, so the pass never fails on bad data.
    """
    conditions = rule_conditions(d, cols)
    counts = [f"count_if({cond}) AS {name}" for name, cond in conditions.items()]
    parts = [f"{unit_expr(d, cols, grain)} AS unit", "COUNT(*) AS n_rows", *counts]
    return f"SELECT {', '.join(parts)} FROM {source} GROUP BY 1"


def id_range_sql(d: Dialect, source: str, cols: Columns) -> str:
    """The smallest and largest customer id (DuckDB reads them from a Parquet file's
    statistics)."""
    cid = d.ident(cols.customer_id)
    return f"SELECT MIN({cid}) AS id_min, MAX({cid}) AS id_max FROM {source}"


def examples_sql(d: Dialect, source: str, cols: Columns, rule: str, limit: int = 3) -> str:
    """A few (customer id, raw value) pairs of the rows breaking ``rule``."""
    cond = rule_conditions(d, cols)[rule]
    role = {"customer_id": cols.customer_id, "datetime": cols.datetime}
    column = role.get(dict((r[0], r[1]) for r in RULES)[rule], cols.monetary)
    return (
        f"SELECT {d.ident(cols.customer_id)} AS cid, CAST({d.ident(str(column))} AS {d.text}) "
        f"AS raw FROM {source} WHERE {cond} LIMIT {limit}"
    )


# ---- suspicious logs (mirrors data.transactions._warn_about_dates and _repeated_rows) ------
#
# The date rules (far-off days, future days, a far or future end) look at the distinct
# transaction days only, which :func:`scan_sql` brings back; they run in numpy with the
# functions of :mod:`clvkit.data.checks`. What stays in the engine is the repeated-
# transaction rule (a group-by over every row) and the few queries that name the rows and
# customers a warning is about.

#: the column of a numbered source (see ``Source.numbered``) holding each row's 0-based
#: position in the log
ROW = "__clvkit_row"


def same_time(d: Dialect, cols: Columns) -> str:
    """The time the repeated-transaction rule compares: the instant of a zoned time, the
    wall clock of a naive one, a string as parsed (pandas compares parsed values)."""
    return _time(d, cols)[0]


def same_amount(d: Dialect, cols: Columns) -> str:
    """The amount the rule compares, as DOUBLE; ``+ 0`` makes -0.0 and 0.0 one amount."""
    return f"(CAST({d.ident(str(cols.monetary))} AS DOUBLE) + CAST(0 AS DOUBLE))"


def without_repeats(d: Dialect, source: str, cols: Columns) -> tuple[str, Columns]:
    """The log with each set of repeated transactions reduced to one row
    (``duplicates="drop"``), and how to read it (a string time comes out parsed).

    Rows of one set are equal in every column the summaries read, so which one is kept
    does not change a number.
    """
    cid, t, amt = (d.ident(str(c)) for c in (cols.customer_id, cols.datetime, cols.monetary))
    table = (
        f"(SELECT DISTINCT {cid}, {same_time(d, cols)} AS {t}, {same_amount(d, cols)} AS {amt} "
        f"FROM {source}) AS kept"
    )
    kind = "naive" if cols.time_kind == "string" else cols.time_kind
    return table, Columns(cols.customer_id, cols.datetime, cols.monetary, kind, cols.zone, None)


def repeat_sets_cte(d: Dialect, source: str, cols: Columns, grain: str, end: int) -> str:
    """``sets``: each set of two or more transactions with the same customer, time and
    amount (``n`` rows), among the rows whose period key is at most ``end``."""
    _, kind = _time(d, cols)
    rows = (
        f"SELECT {d.ident(cols.customer_id)} AS cid, {same_time(d, cols)} AS t, "
        f"{same_amount(d, cols)} AS amt FROM {source}"
    )
    return (
        f"sets AS (SELECT cid, t, amt, n FROM (SELECT cid, t, amt, COUNT(*) AS n FROM ({rows}) "
        "AS r GROUP BY cid, t, amt HAVING COUNT(*) > 1) AS s "
        f"WHERE {key_of(d, 't', kind, cols.zone, grain)} <= {end})"
    )


def repeats_sql(d: Dialect, source: str, cols: Columns, grain: str, end: int) -> str:
    """The repeated transactions (every row of a set but one): per customer with repeats,
    their number, with the totals over all customers on every row; the three smallest
    ids come first. No row when nothing repeats."""
    return (
        f"WITH {repeat_sets_cte(d, source, cols, grain, end)}, "
        "per AS (SELECT cid, SUM(n - 1) AS n_rep FROM sets GROUP BY cid) "
        "SELECT cid, COUNT(*) OVER () AS n_customers, SUM(n_rep) OVER () AS n_repeats "
        "FROM per ORDER BY cid LIMIT 3"
    )


def repeated_rows_cte(
    d: Dialect, source: str, numbered: str, cols: Columns, grain: str, end: int
) -> str:
    """``flagged (cid, pos)``: the repeated transactions by position in the log (every row
    of a set but its first); ``numbered`` is the source with the column :data:`ROW`."""
    rows = (
        f"SELECT {d.ident(cols.customer_id)} AS cid, {same_time(d, cols)} AS t, "
        f"{same_amount(d, cols)} AS amt, {ROW} AS pos FROM {numbered}"
    )
    ranked = (
        "SELECT x.cid, x.pos, ROW_NUMBER() OVER (PARTITION BY x.cid, x.t, x.amt ORDER BY x.pos) "
        f"AS k FROM ({rows}) AS x JOIN sets s ON x.cid = s.cid AND x.t = s.t AND x.amt = s.amt"
    )
    return (
        f"{repeat_sets_cte(d, source, cols, grain, end)}, "
        f"flagged AS (SELECT cid, pos FROM ({ranked}) AS ranked WHERE k > 1)"
    )


def days_outside(first: int, last: int) -> str:
    """Rows dated before day ``first`` or after day ``last`` (far from the main stretch)."""
    return f"(daynum < {first} OR daynum > {last})"


def days_after(cutoff: int, stretch: tuple[int, int] | None) -> str:
    """Rows dated after day ``cutoff`` and not already far from the main ``stretch``."""
    inside = "" if stretch is None else f" AND daynum >= {stretch[0]} AND daynum <= {stretch[1]}"
    return f"(daynum > {cutoff}{inside})"


def dated_rows_cte(
    d: Dialect, source: str, cols: Columns, grain: str, end: int, condition: str, numbered: bool
) -> str:
    """``flagged (cid[, pos])``: the rows whose period key is at most ``end`` and whose
    wall-clock day number ``daynum`` meets ``condition`` (:func:`days_outside`,
    :func:`days_after`)."""
    pos = f", {ROW} AS pos" if numbered else ""
    rows = (
        f"SELECT {d.ident(cols.customer_id)} AS cid{pos}, {day_expr(d, cols)} AS daynum, "
        f"{key_expr(d, cols, grain)} AS pk FROM {source}"
    )
    kept = ", pos" if numbered else ""
    return f"flagged AS (SELECT cid{kept} FROM ({rows}) AS r WHERE pk <= {end} AND {condition})"


def named_customers_sql(flagged: str, numbered: bool) -> str:
    """Three customers of the ``flagged`` rows, with the number of distinct customers on
    every row: the first three in the log's order when rows are numbered, else the three
    smallest ids."""
    if numbered:
        return (
            f"WITH {flagged} SELECT cid, COUNT(*) OVER () AS n_customers FROM flagged "
            "GROUP BY cid ORDER BY MIN(pos) LIMIT 3"
        )
    return (
        f"WITH {flagged} SELECT cid, COUNT(*) OVER () AS n_customers FROM flagged "
        "GROUP BY cid ORDER BY cid LIMIT 3"
    )


def named_rows_sql(flagged: str) -> str:
    """The first three ``flagged`` rows in the log's order (0-based positions)."""
    return f"WITH {flagged} SELECT pos FROM flagged ORDER BY pos LIMIT 3"


# ---- purchases and per-customer summaries (mirrors data.rfm) ------------------------------


def purchases_cte(d: Dialect, source: str, cols: Columns, grain: str, end: int) -> str:
    """``tx``, then ``pur``: one row per customer and grain period up to ``end`` (the
    transactions of one period merged, amounts summed)."""
    amount = ", SUM(amt) AS amt" if cols.monetary else ""
    return (
        f"{typed_cte(d, source, cols, grain)}, "
        f"pur AS (SELECT cid, pk{amount} FROM tx WHERE pk <= {end} GROUP BY cid, pk)"
    )


def summary_sql(
    d: Dialect,
    source: str,
    cols: Columns,
    *,
    grain: str,
    time_unit: str,
    end: int,
    cut: int | None = None,
) -> str:
    """RFM per customer (``cut`` None), or calibration up to ``cut`` and holdout
    ``(cut, end]`` per customer whose first purchase is on or before ``cut``.

    Columns, in the pandas order: the id (under its own name), frequency, recency, T
    [, monetary_value, historical_value] [, frequency_holdout[, monetary_value_holdout]].
    ``duration_holdout`` is left to the caller (a constant).

    Two aggregations: purchases (customer x period), then customers. The value of the
    repeat purchases is the customer's total less the first purchase (``arg_min`` of the
    amount by period), so no join is needed; it equals the pandas sum of the repeat
    purchases up to the rounding of the total (about 1e-16 of the customer's total spend,
    whatever the order the engine adds in).
    """
    holdout = cut is not None
    last = cut if holdout else end
    per_day = f" / {double(24.0)}" if grain == "h" else ""
    scale = double(DAYS_PER_UNIT[time_unit])

    def span(later: str) -> str:
        return f"CAST({later} - first_pk AS DOUBLE){per_day} / {scale}"

    def when_cal(value: str, other: str = "0") -> str:
        return f"CASE WHEN pk <= {last} THEN {value} ELSE {other} END" if holdout else value

    aggregates = [
        "MIN(pk) AS first_pk",
        f"MAX({when_cal('pk', 'NULL')}) AS last_pk",
        (f"SUM({when_cal('1')})" if holdout else "COUNT(*)") + " AS n_cal",
    ]
    select = [
        f"cid AS {d.ident(cols.customer_id)}",
        "CAST(n_cal - 1 AS DOUBLE) AS frequency",
        f"{span('last_pk')} AS recency",
        f"{span(str(last))} AS {d.ident('T')}",
    ]
    if cols.monetary:
        aggregates += [
            f"SUM({when_cal('amt')}) AS total_cal",
            f"{d.arg_min.format(value='amt', key='pk')} AS first_amt",
        ]
        select += [
            "CASE WHEN n_cal > 1 THEN (total_cal - first_amt) / CAST(n_cal - 1 AS DOUBLE) "
            "ELSE CAST(0 AS DOUBLE) END AS monetary_value",
            "total_cal AS historical_value",
        ]
    if holdout:
        aggregates.append(f"SUM(CASE WHEN pk > {cut} THEN 1 ELSE 0 END) AS n_hold")
        select.append("CAST(n_hold AS DOUBLE) AS frequency_holdout")
        if cols.monetary:
            aggregates.append(f"SUM(CASE WHEN pk > {cut} THEN amt ELSE 0 END) AS total_hold")
            select.append(
                "CASE WHEN n_hold > 0 THEN total_hold / CAST(n_hold AS DOUBLE) "
                "ELSE CAST(0 AS DOUBLE) END AS monetary_value_holdout"
            )
    having = f" HAVING MIN(pk) <= {cut}" if holdout else ""
    query = (
        f"WITH {purchases_cte(d, source, cols, grain, end)}, "
        f"customers AS (SELECT cid, {', '.join(aggregates)} FROM pur GROUP BY cid{having}) "
        f"SELECT {', '.join(select)} FROM customers"
    )
    return query


# ---- the kept rows, for a merge in numpy (DuckDB; mirrors data.transactions._build) --------


def rows_sql(
    d: Dialect,
    source: str,
    cols: Columns,
    grain: str,
    end: int,
    *,
    instants: bool,
    part: str | None = None,
) -> str:
    """The rows on or before ``end``, typed for :func:`clvkit.data.transactions._merge`:
    customer id ``cid``, period key ``pk``, amount ``amt`` (DOUBLE) and, with
    ``instants``, the time ``t`` the repeated-transaction rule compares
    (:func:`same_time`). With ``part`` (a condition on ``cid``: :func:`id_range_part`,
    :func:`id_hash_part`) only the rows of some customers."""
    select = [f"{d.ident(cols.customer_id)} AS cid", f"{key_expr(d, cols, grain)} AS pk"]
    if cols.monetary:
        select.append(f"CAST({d.ident(cols.monetary)} AS DOUBLE) AS amt")
    if instants:
        select.append(f"{same_time(d, cols)} AS t")
    where = f"pk <= {end}"
    if part is not None:
        where += f" AND {part}"
    return f"SELECT * FROM (SELECT {', '.join(select)} FROM {source}) AS r WHERE {where}"


def id_range_part(lo: int, hi: int) -> str:
    """The customers with an (integer) id in ``[lo, hi)``; a range filter that DuckDB's
    Parquet reader applies before it decodes the other columns."""
    return f"(cid >= {int(lo)} AND cid < {int(hi)})"


def id_hash_part(k: int, n: int) -> str:
    """The customers whose id hashes to ``k`` modulo ``n`` (DuckDB's ``hash``)."""
    return f"(hash(cid) % {int(n)} = {int(k)})"


# ---- retention and cohort tables (mirrors data.retention) ----------------------------------


def activity_cte(
    d: Dialect,
    source: str,
    cols: Columns,
    *,
    period: str,
    end: int,
    first_ordinal: int,
    last_ordinal: int,
) -> str:
    """``act``: one row per customer and calendar period with a purchase day: period index
    ``k`` (from the log's first period), purchase days ``n_days``, amount, the customer's
    previous active period ``prev_k`` (NULL on their first) and cohort ``cohort_k``.

    Purchases are merged at a daily grain; periods after ``last_ordinal`` (an incomplete
    last period dropped) are left out.
    """
    amount_pur = ", SUM(amt) AS amt" if cols.monetary else ""
    amount = ", SUM(amt) AS amt" if cols.monetary else ", CAST(NULL AS DOUBLE) AS amt"
    ordinal = period_ordinal(d, "pk", period)
    window = "OVER (PARTITION BY cid ORDER BY k)"
    return (
        f"{typed_cte(d, source, cols, 'D')}, "
        f"pur AS (SELECT cid, pk{amount_pur} FROM tx WHERE pk <= {end} GROUP BY cid, pk), "
        f"per AS (SELECT cid, {ordinal} - {first_ordinal} AS k, COUNT(*) AS n_days{amount} "
        f"FROM pur WHERE {ordinal} <= {last_ordinal} GROUP BY cid, {ordinal}), "
        f"act AS (SELECT cid, k, n_days, amt, LAG(k) {window} AS prev_k, "
        f"MIN(k) OVER (PARTITION BY cid) AS cohort_k FROM per)"
    )


def periods_values(labels: Sequence[str]) -> str:
    """``periods (k, label)``: every period index of the table and its label."""
    rows = ", ".join(f"({k}, {string(label)})" for k, label in enumerate(labels))
    return f"periods AS (SELECT * FROM (VALUES {rows}) AS v(k, label))"


def retention_sql(
    d: Dialect, act: str, labels: Sequence[str], *, monetary: bool, complete: bool
) -> str:
    """The retention table, one row per period (see :func:`clvkit.retention_table`)."""
    n = len(labels)

    def rate(num: str, den: str) -> str:
        return f"CASE WHEN {den} > 0 THEN CAST({num} AS DOUBLE) / {den} ELSE {nan()} END"

    revenue = ", SUM(amt) AS revenue" if monetary else ""
    counts = (
        "counts AS (SELECT k, COUNT(*) AS active, "
        "SUM(CASE WHEN prev_k IS NULL THEN 1 ELSE 0 END) AS new, "
        "SUM(CASE WHEN prev_k = k - 1 THEN 1 ELSE 0 END) AS retained, "
        "SUM(CASE WHEN prev_k < k - 1 THEN 1 ELSE 0 END) AS reactivated, "
        "SUM(CASE WHEN prev_k IS NOT NULL OR n_days >= 2 THEN 1 ELSE 0 END) AS repeaters"
        f"{revenue} FROM act GROUP BY k)"
    )
    filled = (
        "filled AS (SELECT p.k, p.label, "
        "CAST(COALESCE(c.active, 0) AS BIGINT) AS active, "
        "CAST(COALESCE(c.new, 0) AS BIGINT) AS new, "
        "CAST(COALESCE(c.retained, 0) AS BIGINT) AS retained, "
        "CAST(COALESCE(c.reactivated, 0) AS BIGINT) AS reactivated, "
        "CAST(COALESCE(c.repeaters, 0) AS BIGINT) AS repeaters"
        + (", COALESCE(c.revenue, CAST(0 AS DOUBLE)) AS revenue" if monetary else "")
        + " FROM periods p LEFT JOIN counts c ON p.k = c.k)"
    )
    start = "COALESCE(LAG(active) OVER (ORDER BY k), CAST(0 AS BIGINT))"
    based = f"based AS (SELECT *, {start} AS customers_start FROM filled)"
    columns = [
        "label AS period",
        "customers_start",
        "new",
        "retained",
        "reactivated",
        "customers_start - retained AS churned",
        "active AS customers_end",
        f"{rate('retained', 'customers_start')} AS retention_rate",
        f"1.0 - {rate('retained', 'customers_start')} AS churn_rate",
        f"{rate('active - new', 'customers_start')} AS classic_retention_rate",
        f"{rate('repeaters', 'active')} AS repeat_purchase_rate",
    ]
    if monetary:
        columns.append("revenue")
    last_complete = "TRUE" if complete else "FALSE"
    columns.append(f"CASE WHEN k < {n - 1} THEN TRUE ELSE {last_complete} END AS complete")
    return (
        f"{periods_values(labels)}, {counts}, {filled}, {based} "
        f"SELECT {', '.join(columns)} FROM based ORDER BY k"
    )


def cohort_sql(d: Dialect, labels: Sequence[str], metric: str) -> str:
    """The cohort table: one row per acquisition cohort, one column per age (named
    ``"0"``, ``"1"``, ...); cells not yet lived through are NaN."""
    n = len(labels)
    value = "revenue" if metric in ("revenue", "clv") else "customers"
    cells = (
        "cells AS (SELECT cohort_k, k - cohort_k AS age, COUNT(*) AS customers, "
        "SUM(amt) AS revenue FROM act GROUP BY cohort_k, k - cohort_k)"
    )
    sizes = (
        "sizes AS (SELECT cohort_k, COUNT(*) AS size FROM act WHERE prev_k IS NULL "
        "GROUP BY cohort_k)"
    )
    columns = []
    for age in range(n):
        match = f"c.age <= {age}" if metric == "clv" else f"c.age = {age}"
        total = f"COALESCE(SUM(CASE WHEN {match} THEN c.{value} END), 0)"
        cell = f"CAST({total} AS DOUBLE)"
        if metric in ("retention", "clv"):
            cell = f"{cell} / s.size"
        observed = f"s.cohort_k + {age} <= {n - 1}"
        columns.append(f"CASE WHEN {observed} THEN {cell} ELSE {nan()} END AS {d.ident(str(age))}")
    return (
        f"{periods_values(labels)}, {cells}, {sizes} "
        f"SELECT p.label AS cohort, {', '.join(columns)} "
        "FROM sizes s JOIN periods p ON p.k = s.cohort_k "
        "LEFT JOIN cells c ON c.cohort_k = s.cohort_k "
        "GROUP BY s.cohort_k, p.label, s.size ORDER BY s.cohort_k"
    )
