"""Horizons: numbers in the model unit, calendar strings with calendar-true lengths."""

from __future__ import annotations

import datetime as dt

import pytest

from clvkit._time import parse_horizon
from clvkit.errors import UnitError


@pytest.mark.parametrize(
    ("horizon", "unit", "expected"),
    [
        (52, "W", 52.0),
        ("52W", "W", 52.0),
        ("364D", "W", 52.0),
        ("12M", "W", 365.2425 / 7),  # a month is 365.2425/12 days, never 30
        ("1Y", "D", 365.2425),
        ("1M", "D", 365.2425 / 12),
        ("2Q", "M", 6.0),
        ("36h", "D", 1.5),
        (dt.timedelta(days=14), "W", 2.0),
        (" 1.5 W ", "D", 10.5),
    ],
)
def test_parse_horizon(horizon, unit, expected):
    assert parse_horizon(horizon, unit) == pytest.approx(expected, rel=1e-15)


@pytest.mark.parametrize("horizon", ["", "W", "12", "12 months", "-3W", "3w"])
def test_unparseable_horizons(horizon):
    with pytest.raises(UnitError, match="horizon"):
        parse_horizon(horizon, "W")


def test_zero_horizon_can_be_refused():
    assert parse_horizon(0, "W") == 0.0
    with pytest.raises(UnitError, match="> 0"):
        parse_horizon(0, "W", allow_zero=False)
