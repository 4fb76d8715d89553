"""Reading dates: the datetime column of a transaction log and the date arguments.

A log's times are kept on its own wall clock (naive ``datetime64``) together with its time
zone; a naive date argument is read on that same clock, a zoned one converted to it.
Whether a column mixes time zones is read from its values (:func:`time_zone_of`), never
from the text of a pandas error, which differs between pandas versions.
"""

from __future__ import annotations

import datetime as _dt
import re
import warnings
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clvkit._validation import check_rule, raise_rule
from clvkit.errors import InputError

__all__ = ["Times", "parse_instant", "time_zone_of", "wall_times"]

_UNPARSEABLE = "unparseable"
# A month, quarter or year written as a string: "1997-09", "1997Q3", "1997-Q3", "1997".
_WHOLE_PERIOD = re.compile(r"^\d{4}(?:-(?:0[1-9]|1[0-2])|-?Q[1-4])?$")


@dataclass(frozen=True)
class Times:
    """A checked datetime column: naive wall-clock times, their zone, and the instants."""

    wall: np.ndarray
    timezone: str | None
    aware: pd.Series | None  # the tz-aware values when the column has a zone

    def instants(self, positions: np.ndarray) -> np.ndarray:
        """int64 ticks of the rows at ``positions`` of the log: UTC instants for a
        zoned column (two rows at 02:30 either side of a fall-back differ), else the wall
        times. One fixed resolution per log."""
        if self.aware is None:
            return self.wall[positions].view(np.int64)
        utc = self.aware.iloc[positions].dt.tz_convert("UTC").dt.tz_localize(None)
        return utc.to_numpy().view(np.int64)


def wall_times(values: pd.Series, column: Hashable, fmt: str | None, ids: Any) -> Times:
    """Check a datetime column; its naive wall-clock times, time zone and instants."""
    subject = f"Column {column!r}"
    dtype = values.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        check_rule(np.asarray(values.isna()), subject, "must not be missing (NaT)", ids)
        return Times(values.dt.tz_localize(None).to_numpy(), str(dtype.tz), values)
    if isinstance(dtype, np.dtype) and dtype.kind == "M":
        wall = values.to_numpy()
        check_rule(np.isnat(wall), subject, "must not be missing (NaT)", ids)
        return Times(wall, None, None)
    if (
        pd.api.types.is_bool_dtype(dtype)
        or pd.api.types.is_numeric_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype)
    ):
        raise InputError(
            f"{subject} must hold datetimes or date strings. Got dtype {dtype} instead; "
            "convert it explicitly (for yyyymmdd integers: pd.to_datetime(col.astype(str), "
            "format='%Y%m%d'); for periods: col.dt.start_time), clvkit does not guess."
        )
    check_rule(np.asarray(values.isna()), subject, "must not be missing (NaN/None/NaT)", ids)
    parsed = _parse_column(values, subject, fmt, ids)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return Times(parsed.dt.tz_localize(None).to_numpy(), str(parsed.dtype.tz), parsed)
    return Times(parsed.to_numpy(), None, None)


def _parse_column(values: pd.Series, subject: str, fmt: str | None, ids: Any) -> pd.Series:
    """Parse strings or datetime objects, explaining every way it can fail.

    Whether the values mix time zones is read from the values themselves
    (:func:`time_zone_of`), not from pandas' error messages, which differ between pandas
    versions (pandas 2 even parses mixed offsets into objects, with a FutureWarning).
    """
    parsed = _to_datetime(values, fmt, errors="raise")
    if parsed is not None and _is_datetime(parsed):
        return parsed
    # The column did not parse into one datetime column: find out why, from the data.
    zones = _zones(values)
    known = zones != _UNPARSEABLE
    if known.any():
        first = zones[np.argmax(known)]
        check_rule(
            known & (zones != first),
            subject,
            "mixes time zones (or zoned and naive times): every value must be in the "
            f"zone of the first one ({first}); clvkit does not pick one for you. Convert "
            "the column to one zone first, e.g. pd.to_datetime(col, utc=True)"
            ".dt.tz_convert('Europe/Paris')",
            ids,
        )
    coerced = _to_datetime(values, fmt, errors="coerce")
    if coerced is None or not _is_datetime(coerced):
        raise InputError(f"{subject} could not be parsed as dates.")
    bad = np.asarray(coerced.isna())
    if fmt is None and bad.any():
        # Do the values parse one by one (several formats)?
        one_by_one = _to_datetime(values[bad], "mixed", errors="coerce")
        if one_by_one is not None and not one_by_one.isna().any():
            raise_rule(
                subject,
                "must hold dates in one format (the format was inferred from the first "
                "value); pass datetime_format='mixed' or 'ISO8601' to parse each value "
                "on its own",
                bad,
                ids,
            )
    if not bad.any():  # pragma: no cover - pandas raised without producing NaT
        raise InputError(f"{subject} could not be parsed as dates.")
    examples = ", ".join(repr(v) for v in values[bad].head(3).tolist())
    how = f"with datetime_format={fmt!r}" if fmt is not None else "as dates"
    raise_rule(subject, f"must parse {how} (unparseable values: {examples})", bad, ids)


def _to_datetime(values: pd.Series, fmt: str | None, *, errors: str) -> pd.Series | None:
    """:func:`pandas.to_datetime`, or None where it raises.

    pandas 2 parses strings with several UTC offsets into objects and says so with a
    FutureWarning; the caller sees the object dtype, so the warning is not passed on.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*mixed time ?zones", category=FutureWarning)
        try:
            return pd.to_datetime(values, format=fmt, errors=errors)  # type: ignore[call-overload]
        except (ValueError, TypeError, OverflowError):
            return None


def _is_datetime(values: pd.Series) -> bool:
    dtype = values.dtype
    return isinstance(dtype, pd.DatetimeTZDtype) or (
        isinstance(dtype, np.dtype) and dtype.kind == "M"
    )


def _zones(values: pd.Series) -> np.ndarray:
    """The time zone of every value (:func:`time_zone_of`), one look per distinct value."""
    codes, uniques = pd.factorize(values)
    zones = np.array([time_zone_of(value) for value in uniques], dtype=object)
    return zones[np.asarray(codes)]


def time_zone_of(value: object) -> str:
    """The time zone a single date value is written in.

    ``"naive"`` for a time without a zone, the zone's name (``"Europe/Berlin"``,
    ``"UTC"``) or UTC offset (``"UTC+02:00"``) for a zoned one, and ``"unparseable"``
    for a value that is not a date. Strings are read as ISO 8601 first, then as pandas
    reads a single date.
    """
    if isinstance(value, _dt.datetime):  # pandas.Timestamp too
        return _zone_name(value.tzinfo)
    if isinstance(value, np.datetime64 | _dt.date):
        return "naive"
    if isinstance(value, str):
        try:
            return _zone_name(_dt.datetime.fromisoformat(value.strip()).tzinfo)
        except ValueError:
            pass
        try:
            stamp = pd.Timestamp(value)
        except (ValueError, TypeError, OverflowError):
            return _UNPARSEABLE
        if not pd.isna(stamp):
            return _zone_name(stamp.tzinfo)
    return _UNPARSEABLE


def _zone_name(tz: _dt.tzinfo | None) -> str:
    if tz is None:
        return "naive"
    name = getattr(tz, "key", None) or getattr(tz, "zone", None) or str(tz)
    return "UTC" if name in ("UTC", "UTC+00:00", "Z") else str(name)


def parse_instant(value: object, argument: str, fmt: str | None, timezone: str | None) -> Any:
    """Parse a scalar date argument to a naive wall-clock numpy datetime64.

    Accepts a Timestamp, datetime, date, numpy datetime64, ISO string or Period (its end;
    a string naming a whole month, quarter or year too). A naive value is read on the
    log's wall clock; a zoned one is converted to the log's zone, and refused for a
    naive log.
    """
    if isinstance(value, bool | int | float | np.number):
        raise InputError(
            f"The {argument!r} argument must be a date (string or datetime-like). Got "
            f"{type(value).__name__} {value!r} instead."
        )
    stamp = _to_timestamp(value, fmt)
    if stamp is None or pd.isna(stamp):
        raise InputError(
            f"The {argument!r} argument must be a date such as '1997-09-30', a datetime, "
            f"a numpy datetime64 or a pandas Period. Got {type(value).__name__} {value!r}, "
            "which does not parse."
        )
    if stamp.tzinfo is not None:
        if timezone is None:
            raise InputError(
                f"The {argument!r} argument is tz-aware ({value!r}) but the datetime column "
                "is naive, so the zone its wall clock runs in is unknown. Pass a naive "
                "date (read on the column's wall clock), or localize the column first "
                "(col.dt.tz_localize(...))."
            )
        stamp = stamp.tz_convert(timezone).tz_localize(None)
    return stamp.to_datetime64()


def _to_timestamp(value: object, fmt: str | None) -> pd.Timestamp | None:
    if isinstance(value, pd.Period):
        return value.end_time
    if isinstance(value, _dt.date | np.datetime64):  # datetime and Timestamp too
        return pd.Timestamp(value)
    if not isinstance(value, str):
        return None
    if fmt is not None:
        try:
            return pd.to_datetime(value, format=fmt)
        except (ValueError, TypeError, OverflowError):
            pass
    try:
        if _WHOLE_PERIOD.match(value.strip()):
            return pd.Period(value.strip()).end_time
        return pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        return None
