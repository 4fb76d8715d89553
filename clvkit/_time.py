"""Time units, purchase grains and horizons.

A *time unit* is the ruler recency, T and horizons are measured with; a *grain* is the
calendar period inside which transactions merge into one purchase. Lengths are
calendar-true: a year is 365.2425 days (the Gregorian mean), a month a twelfth of that,
never 30 days.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from numbers import Real

from clvkit.errors import UnitError

__all__ = [
    "DAYS_PER_UNIT",
    "GRAINS",
    "check_grain",
    "check_time_unit",
    "parse_horizon",
    "unit_name",
]

DAYS_PER_YEAR = 365.2425

#: Length of each supported time unit, in days.
DAYS_PER_UNIT: dict[str, float] = {
    "h": 1.0 / 24.0,
    "D": 1.0,
    "W": 7.0,
    "M": DAYS_PER_YEAR / 12.0,
    "Q": DAYS_PER_YEAR / 4.0,
    "Y": DAYS_PER_YEAR,
}

#: Singular and plural names of each time unit, for labels and messages.
UNIT_NAMES: dict[str, tuple[str, str]] = {
    "h": ("hour", "hours"),
    "D": ("day", "days"),
    "W": ("week", "weeks"),
    "M": ("month", "months"),
    "Q": ("quarter", "quarters"),
    "Y": ("year", "years"),
}

#: Supported grains and the pandas period/frequency alias each maps to.
GRAINS: dict[str, str] = {"h": "h", "D": "D", "W": "W", "M": "M", "Q": "Q", "Y": "Y"}

_HORIZON_RE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]+)\s*$")


def check_time_unit(unit: object, argument: str = "time_unit") -> str:
    """Return ``unit`` if it is a supported time unit, else raise :class:`UnitError`."""
    if not isinstance(unit, str) or unit not in DAYS_PER_UNIT:
        raise UnitError(
            f"The {argument!r} argument must be one of {sorted(DAYS_PER_UNIT)} "
            f"(h=hour, D=day, W=week, M=month, Q=quarter, Y=year). Got {unit!r} instead."
        )
    return unit


def check_grain(grain: object) -> str:
    """Return ``grain`` if it is a supported purchase grain, else raise :class:`UnitError`."""
    if not isinstance(grain, str) or grain not in GRAINS:
        raise UnitError(
            f"The 'grain' argument must be one of {sorted(GRAINS)}: transactions of one "
            f"customer inside one such calendar period merge into one purchase. Got {grain!r}."
        )
    return grain


def unit_name(unit: str | None, *, plural: bool = False) -> str:
    """``"week"`` / ``"weeks"`` for ``"W"``; ``"time unit(s)"`` when the unit is unknown."""
    if unit in UNIT_NAMES:
        return UNIT_NAMES[unit][1 if plural else 0]
    return "time units" if plural else "time unit"


def unit_length_days(unit: str) -> float:
    """Length of ``unit`` in days (calendar-true)."""
    return DAYS_PER_UNIT[check_time_unit(unit)]


def parse_horizon(
    horizon: object,
    time_unit: str | None,
    *,
    argument: str = "horizon",
    allow_zero: bool = True,
) -> float:
    """Convert a horizon to a number of ``time_unit`` steps.

    Parameters
    ----------
    horizon : float, str or datetime.timedelta
        A number is taken to be in ``time_unit`` already. A string such as ``"52W"``,
        ``"12M"``, ``"365D"`` or ``"1Y"`` is converted with calendar-true lengths
        (a month is 365.2425/12 days). A :class:`datetime.timedelta` (or pandas
        ``Timedelta``) is converted from its length in days.
    time_unit : str or None
        The unit the model was fitted in. ``None`` (a model fitted on bare arrays without
        a unit) accepts only plain numbers.
    argument : str
        The argument's name, used in error messages.
    allow_zero : bool
        Whether a horizon of 0 is accepted.

    Returns
    -------
    float
        The horizon in ``time_unit``.
    """
    if isinstance(horizon, bool):
        raise UnitError(
            f"The {argument!r} argument must be a number or a string like '52W'. "
            f"Got {horizon!r} instead."
        )
    if isinstance(horizon, Real):
        value = float(horizon)
    elif isinstance(horizon, _dt.timedelta):
        value = _convert_days(horizon.total_seconds() / 86400.0, time_unit, argument, horizon)
    elif isinstance(horizon, str):
        match = _HORIZON_RE.match(horizon)
        if match is None or match.group(2) not in DAYS_PER_UNIT:
            raise UnitError(
                f"The {argument!r} argument {horizon!r} is not a horizon: write a number "
                f"followed by one of {sorted(DAYS_PER_UNIT)}, such as '52W', '12M' or '365D'."
            )
        days = float(match.group(1)) * DAYS_PER_UNIT[match.group(2)]
        value = _convert_days(days, time_unit, argument, horizon)
    else:
        raise UnitError(
            f"The {argument!r} argument must be a number, a string like '52W' or a "
            f"timedelta. Got {type(horizon).__name__} {horizon!r} instead."
        )
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        rule = ">= 0" if allow_zero else "> 0"
        raise UnitError(
            f"The {argument!r} argument must be finite and {rule}. Got {horizon!r} instead."
        )
    return value


def _convert_days(days: float, time_unit: str | None, argument: str, given: object) -> float:
    if time_unit is None:
        raise UnitError(
            f"The {argument!r} argument {given!r} is a calendar span, but the model was "
            "fitted without a time unit; pass a plain number of model time units, or fit "
            "with time_unit=... (an rfm_summary frame carries its unit)."
        )
    return days / unit_length_days(time_unit)
