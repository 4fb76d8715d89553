"""Date arguments and time zones: every date type means the same, naive dates are read on
the log's wall clock (across daylight-saving changes), and mixed zones are found in the
data whatever the pandas version.

Regression tests for issue 17 (item 6) and issue 15 (item 2); each docstring says what
today's main did instead.
"""

from __future__ import annotations

import datetime as dt
import warnings
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from clvkit.data import calibration_holdout, cohort_table, purchases, retention_table, rfm_summary
from clvkit.errors import DataWarning, InputError

BERLIN = "Europe/Berlin"


def _log() -> pd.DataFrame:
    """Three customers over January and February 2024 (naive times)."""
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2, 3],
            "date": pd.to_datetime(
                [
                    "2024-01-02 10:00",
                    "2024-01-20 18:30",
                    "2024-02-10 09:00",
                    "2024-01-05 12:00",
                    "2024-01-31 23:50",
                    "2024-02-02 08:00",
                ]
            ),
            "amount": [10.0, 20.0, 30.0, 5.0, 6.0, 7.0],
        }
    )


def _quiet(call, *args, **kwargs):
    """Call, ignoring the warning about transactions after the end (the point here is the
    end itself)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return call(*args, **kwargs)


# ---- every date type means the same ---------------------------------------------------------

END_OF_JANUARY = [
    "2024-01-31",
    "2024-01-31T17:45",
    "2024-01",  # a whole month, as a string: its end
    pd.Timestamp("2024-01-31"),
    dt.datetime(2024, 1, 31, 23, 59),
    dt.date(2024, 1, 31),
    np.datetime64("2024-01-31"),
    np.datetime64("2024-01-31T06:00:00.000000000"),
    pd.Period("2024-01", "M"),
    pd.Period("2024-01-31", "D"),
    pd.Period("2024-01-31 13:00", "h"),
]


@pytest.mark.parametrize("end", END_OF_JANUARY, ids=[repr(e) for e in END_OF_JANUARY])
def test_every_date_type_gives_the_same_summary(end: object) -> None:
    """Timestamp, datetime, date, datetime64, ISO string and Period alike. On main a Period
    was refused ("must be a date such as ...") and "2024-01" meant 2024-01-01, keeping only
    the first day of the month."""
    expected = _quiet(rfm_summary, _log(), monetary="amount", observation_end="2024-01-31")
    out = _quiet(rfm_summary, _log(), monetary="amount", observation_end=end)
    pd.testing.assert_frame_equal(out, expected)
    assert out.attrs["observation_end"] == "2024-01-31"


@pytest.mark.parametrize(
    ("end", "last_day"),
    [
        (pd.Period("2024-01", "M"), "2024-01-31"),
        ("2024-01", "2024-01-31"),
        ("2024Q1", "2024-03-31"),
        (pd.Period("2024Q1", "Q"), "2024-03-31"),
        ("2024", "2024-12-31"),
        (pd.Period("2024-02-05", "W"), "2024-02-11"),
    ],
    ids=["Period M", "ISO month", "ISO quarter", "Period Q", "ISO year", "Period W"],
)
def test_a_period_stands_for_its_end(end: object, last_day: str) -> None:
    """On main, "2024-01" meant its first instant and a Period was refused."""
    bought = _quiet(purchases, _log(), observation_end=end)
    assert str(bought.observation_end) == last_day


def test_calibration_end_takes_every_date_type() -> None:
    """On main calibration_end=pd.Period(...) was refused."""
    expected = calibration_holdout(_log(), calibration_end="2024-01-31", time_unit="W")
    for cal in (pd.Period("2024-01", "M"), dt.date(2024, 1, 31), np.datetime64("2024-01-31")):
        pd.testing.assert_frame_equal(
            calibration_holdout(_log(), calibration_end=cal, time_unit="W"), expected
        )


def test_retention_and_cohort_tables_take_a_period() -> None:
    """On main observation_end=pd.Period(...) was refused by both tables."""
    table = _quiet(retention_table, _log(), observation_end=pd.Period("2024-01", "M"))
    assert table.attrs["observation_end"] == "2024-01-31"
    assert table.attrs["incomplete_period"] is None  # January is observed to its last day
    cohorts = _quiet(cohort_table, _log(), observation_end=pd.Period("2024-01", "M"))
    assert cohorts.attrs["observation_end"] == "2024-01-31"


@pytest.mark.parametrize("end", [pd.NaT, np.datetime64("NaT"), "2024-13", 3.5, [2024, 1, 31]])
def test_what_is_not_a_date_is_still_refused(end: object) -> None:
    with pytest.raises(InputError, match=r"'observation_end' argument must be a date"):
        rfm_summary(_log(), observation_end=end)


# ---- naive dates against a zoned log: the log's wall clock -----------------------------------


def _berlin(local_times: list[str], customers: list[int]) -> pd.DataFrame:
    stamps = pd.DatetimeIndex(pd.to_datetime(local_times)).tz_localize(BERLIN)
    return pd.DataFrame(
        {"customer_id": customers, "date": stamps, "amount": np.arange(1.0, len(customers) + 1)}
    )


# 2024-03-31 is Berlin's spring-forward day: 02:00 CET jumps to 03:00 CEST.
SPRING = _berlin(
    [
        "2024-03-30 12:00",
        "2024-03-31 01:30",
        "2024-03-31 03:30",
        "2024-03-31 23:30",  # 21:30 UTC
        "2024-04-01 00:30",  # 22:30 UTC on March 31
    ],
    [1, 1, 1, 2, 2],
)


def test_naive_end_of_day_is_the_logs_calendar_day() -> None:
    """The date 2024-03-31 keeps everything dated March 31 in Berlin and nothing of April 1, the
    same as the zoned date. On main the naive date was refused ("both must be tz-aware or
    both naive")."""
    with pytest.warns(DataWarning, match="1 of 5 transactions fall after"):
        naive = rfm_summary(SPRING, monetary="amount", observation_end="2024-03-31")
    with pytest.warns(DataWarning, match="1 of 5 transactions fall after"):
        aware = rfm_summary(
            SPRING, monetary="amount", observation_end=pd.Timestamp("2024-03-31", tz=BERLIN)
        )
    pd.testing.assert_frame_equal(naive, aware)
    assert naive.loc[2, "historical_value"] == 4.0  # 23:30 kept, 00:30 on April 1 not
    assert naive.attrs["timezone"] == BERLIN


def test_naive_time_in_the_spring_forward_gap() -> None:
    """02:30 does not exist in Berlin on 2024-03-31; on the wall clock it is simply inside
    the 02:00 hour, so 01:30 is kept and 03:30 is not. T is measured on the wall clock
    (14 wall-clock hours from 12:00 the day before to 02:00, though 13 hours elapsed).
    On main: refused."""
    with pytest.warns(DataWarning, match="3 of 5 transactions fall after"):
        out = rfm_summary(
            SPRING,
            monetary="amount",
            grain="h",
            time_unit="h",
            observation_end="2024-03-31 02:30",
        )
    assert out.index.tolist() == [1]
    assert out.loc[1, "frequency"] == 1.0
    assert out.loc[1, "T"] == pytest.approx(14.0, rel=1e-12)
    assert out.attrs["observation_end"] == "2024-03-31T02:00:00"


def test_a_naive_late_evening_is_not_read_as_utc() -> None:
    """23:00 on the Berlin clock: the 23:00 hour of March 31 (23:30) is kept, 00:30 on
    April 1 is not. Read as UTC (01:00 in Berlin), the 00:30 purchase would have been
    kept. On main: refused."""
    with pytest.warns(DataWarning, match="1 of 5 transactions fall after"):
        out = rfm_summary(
            SPRING, grain="h", time_unit="h", observation_end=dt.datetime(2024, 3, 31, 23, 0)
        )
    assert out.loc[2, "frequency"] == 0.0


# 2024-10-27 is Berlin's fall-back day: 03:00 CEST goes back to 02:00 CET, so 02:30
# happens twice, an hour apart.
FALL = pd.DataFrame(
    {
        "customer_id": [1, 1, 1, 2],
        "date": pd.DatetimeIndex(
            pd.to_datetime(
                [
                    "2024-10-27 00:30Z",  # 02:30 CEST
                    "2024-10-27 01:30Z",  # 02:30 CET, the same wall time an hour later
                    "2024-10-27 02:30Z",  # 03:30 CET
                    "2024-10-26 09:00Z",
                ]
            )
        ).tz_convert(BERLIN),
        "amount": [5.0, 5.0, 5.0, 8.0],
    }
)


def test_naive_time_in_the_repeated_fall_back_hour() -> None:
    """The time 02:45 is ambiguous in Berlin on 2024-10-27, but on the wall clock both 02:30s are
    in the 02:00 hour: both are kept and merge into one hourly purchase, 03:30 is not
    (read as UTC, 02:45 would be 03:45 CET and keep it). They are two instants, so they
    are not repeats of each other even with equal amounts. On main: refused."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        bought = purchases(FALL, monetary="amount", grain="h", observation_end="2024-10-27 02:45")
    assert [str(w.message)[:30] for w in caught] == ["1 of 4 transactions fall after"]
    assert bought.n_repeated == 0
    frame = bought.to_frame()
    assert frame["n_transactions"].tolist() == [2, 1]
    assert frame["amount"].tolist() == [10.0, 8.0]
    # the repeated hour starts at its first occurrence (summer time); main gave NaT here
    assert frame.loc[0, "period_start"] == pd.Timestamp("2024-10-27 00:00Z")


def test_naive_calibration_end_against_a_zoned_log() -> None:
    """The case a ported CLVTools script hit: a naive calibration end, a zoned log. On
    main: refused."""
    out = calibration_holdout(SPRING, calibration_end="2024-03-31", time_unit="D")
    assert out.attrs["calibration_end"] == "2024-03-31"
    assert out["frequency_holdout"].tolist() == [0.0, 1.0]


def test_zoned_dates_are_converted_to_the_logs_zone() -> None:
    """A zoned date of any type is the same instant, read on the log's clock."""
    expected = _quiet(rfm_summary, SPRING, grain="h", observation_end="2024-03-31 23:00")
    for end in (
        pd.Timestamp("2024-03-31 21:00", tz="UTC"),
        dt.datetime(2024, 3, 31, 21, 0, tzinfo=dt.UTC),
        dt.datetime(2024, 3, 31, 23, 0, tzinfo=ZoneInfo(BERLIN)),
        "2024-03-31T21:00Z",
        "2024-03-31T23:00+02:00",
    ):
        pd.testing.assert_frame_equal(
            _quiet(rfm_summary, SPRING, grain="h", observation_end=end), expected
        )


# ---- mixed time zones, found in the data -----------------------------------------------------


def _strings(dates: list[object]) -> pd.DataFrame:
    return pd.DataFrame(
        {"customer_id": ["a", "b", "c", "d"], "date": pd.Series(dates, dtype=object)}
    )


@pytest.mark.parametrize(
    ("dates", "n_bad", "first_zone", "named"),
    [
        (
            ["2024-01-01 10:00+01:00", "2024-01-05 10:00+02:00", "2024-01-02", "2024-01-09"],
            3,
            "UTC+01:00",
            "'b', 'c', 'd'",
        ),
        (
            ["2024-01-01 10:00", "2024-01-05 10:00+01:00", "2024-01-02 10:00", "2024-01-09"],
            1,
            "naive",
            "'b'",
        ),
        (
            ["2024-01-01T10:00Z", "2024-01-05T10:00Z", "2024-01-02T10:00+00:00", "2024-01-09"],
            1,
            "UTC",
            "'d'",
        ),
        (
            [
                pd.Timestamp("2024-01-01", tz="UTC"),
                pd.Timestamp("2024-01-05", tz="Asia/Tokyo"),
                pd.Timestamp("2024-01-02", tz="UTC"),
                pd.Timestamp("2024-01-09", tz="UTC"),
            ],
            1,
            "UTC",
            "'b'",
        ),
    ],
    ids=["offsets and naive", "naive then zoned", "UTC then naive", "timestamps"],
)
def test_mixed_zones_are_counted_and_named(
    dates: list[object], n_bad: int, first_zone: str, named: str
) -> None:
    """The rows whose zone differs from the first row's, counted and named. On main the
    detection matched the text of pandas' error, so on pandas 2.3.3 (allowed by
    pyproject) these logs got "must hold dates in one format" instead."""
    with pytest.raises(InputError) as info:
        rfm_summary(_strings(dates))
    message = str(info.value)
    assert "Column 'date' mixes time zones" in message
    assert f"zone of the first one ({first_zone})" in message
    assert f"{n_bad} of 4 rows break this rule (customer ids: {named})" in message


def test_one_zone_in_strings_parses() -> None:
    out = rfm_summary(
        _strings(["2024-01-01T10:00+01:00", "2024-01-05T10:00+01:00"] * 2), time_unit="D"
    )
    assert out.attrs["timezone"] == "UTC+01:00"


def test_one_format_error_is_not_taken_for_a_zone_mix() -> None:
    with pytest.raises(InputError, match="must hold dates in one format"):
        rfm_summary(_strings(["2024-01-01", "01/05/2024", "2024-01-02", "2024-01-09"]))
