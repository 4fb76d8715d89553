"""One test per input rule: the clvkit error class, and a message naming the column or
argument, the rule and how many rows break it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clvkit.data import calibration_holdout, purchases, rfm_summary
from clvkit.errors import InputError, UnitError


def _log(**overrides: object) -> pd.DataFrame:
    columns: dict[str, object] = {
        "customer_id": [1, 1, 2, 3],
        "date": pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-02", "2024-01-09"]),
        "amount": [10.0, 5.0, 7.0, 1.0],
    }
    columns.update(overrides)
    return pd.DataFrame(columns)


# ---- the frame ----------------------------------------------------------------------------


def test_not_a_dataframe() -> None:
    with pytest.raises(InputError, match=r"'transactions' argument must be a pandas DataFrame"):
        rfm_summary(_log().to_dict())  # type: ignore[arg-type]


def test_missing_column() -> None:
    with pytest.raises(InputError, match=r"missing the column\(s\) \['amount'\]"):
        rfm_summary(_log().drop(columns="amount"), monetary="amount")


def test_duplicated_columns() -> None:
    tx = pd.concat([_log(), _log()[["amount"]]], axis=1)
    with pytest.raises(InputError, match=r"duplicated column names \['amount'\]"):
        rfm_summary(tx, monetary="amount")


def test_empty_log() -> None:
    with pytest.raises(InputError, match=r"'transactions' argument has no rows"):
        rfm_summary(_log().iloc[:0])


def test_one_column_for_two_roles() -> None:
    with pytest.raises(InputError, match=r"'datetime' and 'monetary' arguments both name"):
        rfm_summary(_log(), monetary="date")


# ---- customer ids -------------------------------------------------------------------------


def test_missing_customer_id() -> None:
    tx = _log(customer_id=[1.0, np.nan, 2.0, np.nan])
    with pytest.raises(InputError, match=r"Column 'customer_id' must not be missing.*2 of 4 rows"):
        rfm_summary(tx)


# ---- dates --------------------------------------------------------------------------------


def test_unparseable_date_strings_are_counted() -> None:
    tx = _log(date=["2024-01-01", "not a date", "2024-02-30", "2024-01-09"])
    with pytest.raises(InputError, match=r"Column 'date' must parse.*2 of 4 rows") as info:
        rfm_summary(tx)
    assert "'not a date'" in str(info.value)
    assert "customer ids: 1, 2" in str(info.value)


def test_unparseable_with_a_format() -> None:
    tx = _log(date=["20240101", "20240105", "2024-01-02", "20240109"])
    with pytest.raises(InputError, match=r"datetime_format='%Y%m%d'.*1 of 4 rows"):
        rfm_summary(tx, datetime_format="%Y%m%d")


def test_missing_dates() -> None:
    tx = _log(date=pd.to_datetime(["2024-01-01", None, "2024-01-02", None]))
    with pytest.raises(InputError, match=r"Column 'date' must not be missing.*2 of 4 rows"):
        rfm_summary(tx)
    strings = _log(date=["2024-01-01", None, "2024-01-02", "2024-01-03"])
    with pytest.raises(InputError, match=r"Column 'date' must not be missing.*1 of 4 rows"):
        rfm_summary(strings)


def test_several_formats_suggest_mixed() -> None:
    tx = _log(date=["2024-01-01", "01/05/2024", "2024-01-02", "2024-01-09"])
    with pytest.raises(InputError, match=r"Column 'date' must hold dates in one format.*'mixed'"):
        rfm_summary(tx)
    out = rfm_summary(tx, datetime_format="mixed")  # and it is accepted when asked for
    assert out.loc[1, "recency"] == 4.0


@pytest.mark.parametrize(
    "dates",
    [
        ["2024-01-01 10:00+01:00", "2024-01-05 10:00+02:00", "2024-01-02", "2024-01-09"],
        ["2024-01-01 10:00+01:00", "2024-01-05 10:00", "2024-01-02 10:00", "2024-01-09 10:00"],
        ["2024-01-01 10:00", "2024-01-05 10:00+01:00", "2024-01-02 10:00", "2024-01-09 10:00"],
        [
            pd.Timestamp("2024-01-01", tz="UTC"),
            pd.Timestamp("2024-01-05", tz="Asia/Tokyo"),
            pd.Timestamp("2024-01-02", tz="UTC"),
            pd.Timestamp("2024-01-09", tz="UTC"),
        ],
    ],
    ids=["offsets", "aware-then-naive", "naive-then-aware", "timestamps"],
)
def test_mixed_time_zones(dates: list[object]) -> None:
    tx = _log(date=pd.Series(dates, dtype=object))
    with pytest.raises(InputError, match=r"Column 'date' mixes time zones"):
        rfm_summary(tx)


def test_numeric_dates_are_refused() -> None:
    tx = _log(date=[20240101, 20240105, 20240102, 20240109])
    with pytest.raises(InputError, match=r"Column 'date' must hold datetimes.*dtype int64"):
        rfm_summary(tx)


# ---- amounts ------------------------------------------------------------------------------


def test_nan_amount() -> None:
    with pytest.raises(InputError, match=r"Column 'amount' must not be missing.*1 of 4 rows"):
        rfm_summary(_log(amount=[1.0, np.nan, 2.0, 3.0]), monetary="amount")


def test_infinite_amount() -> None:
    with pytest.raises(InputError, match=r"Column 'amount' must be finite.*2 of 4 rows"):
        rfm_summary(_log(amount=[np.inf, 1.0, -np.inf, 3.0]), monetary="amount")


def test_negative_amount_suggests_netting_returns() -> None:
    with pytest.raises(InputError, match=r"Column 'amount' must be >= 0.*returns.*1 of 4 rows"):
        rfm_summary(_log(amount=[10.0, -4.0, 2.0, 3.0]), monetary="amount")


@pytest.mark.parametrize(
    "amounts",
    [["10", "5", "7", "1"], [True, False, True, True], [1.0, "5", 7.0, 1.0]],
    ids=["strings", "booleans", "object"],
)
def test_non_numeric_amount(amounts: list[object]) -> None:
    with pytest.raises(InputError, match=r"Column 'amount' must hold numbers"):
        rfm_summary(_log(amount=amounts), monetary="amount")


def test_nullable_amount_with_na() -> None:
    amounts = pd.array([1.0, None, 2.0, None], dtype="Float64")
    with pytest.raises(InputError, match=r"Column 'amount' must not be missing.*2 of 4 rows"):
        rfm_summary(_log(amount=amounts), monetary="amount")


# ---- units --------------------------------------------------------------------------------


@pytest.mark.parametrize("unit", ["days", "m", 7, None])
def test_bad_time_unit(unit: object) -> None:
    with pytest.raises(UnitError, match=r"'time_unit' argument must be one of"):
        rfm_summary(_log(), time_unit=unit)  # type: ignore[arg-type]
    with pytest.raises(UnitError, match=r"'time_unit' argument must be one of"):
        calibration_holdout(_log(), calibration_end="2024-01-03", time_unit=unit)  # type: ignore[arg-type]


@pytest.mark.parametrize("grain", ["day", "2D", 1])
def test_bad_grain(grain: object) -> None:
    with pytest.raises(UnitError, match=r"'grain' argument must be one of"):
        rfm_summary(_log(), grain=grain)  # type: ignore[arg-type]
    with pytest.raises(UnitError, match=r"'grain' argument must be one of"):
        purchases(_log(), grain=grain)  # type: ignore[arg-type]


def test_bad_datetime_format() -> None:
    with pytest.raises(InputError, match=r"'datetime_format' argument must be a string"):
        rfm_summary(_log(), datetime_format=1)  # type: ignore[arg-type]


# ---- observation and calibration ends ------------------------------------------------------


def test_observation_end_before_every_transaction() -> None:
    with pytest.raises(InputError, match=r"'observation_end' argument.*every one of the 4"):
        rfm_summary(_log(), observation_end="2023-12-31")


@pytest.mark.parametrize("end", ["yesterday", 20240101, True, pd.NaT])
def test_unparseable_observation_end(end: object) -> None:
    with pytest.raises(InputError, match=r"'observation_end' argument must be a date"):
        rfm_summary(_log(), observation_end=end)


def test_observation_end_tz_aware_against_naive_column() -> None:
    """A zoned date cannot be placed on a naive log's clock (its zone is unknown). A naive
    date against a zoned log used to be refused here too; it is now read on the log's wall
    clock (tests/data/test_date_arguments.py)."""
    with pytest.raises(InputError, match=r"'observation_end' argument is tz-aware.*naive"):
        rfm_summary(_log(), observation_end="2024-01-09T00:00+01:00")
    with pytest.raises(InputError, match=r"'calibration_end' argument is tz-aware.*naive"):
        calibration_holdout(_log(), calibration_end=pd.Timestamp("2024-01-03", tz="UTC"))


def test_calibration_end_not_before_observation_end() -> None:
    with pytest.raises(InputError, match=r"'calibration_end' argument.*earlier 'D' period"):
        calibration_holdout(_log(), calibration_end="2024-01-09", observation_end="2024-01-09")
    with pytest.raises(InputError, match=r"'calibration_end' argument.*earlier 'D' period"):
        calibration_holdout(_log(), calibration_end="2024-01-10", observation_end="2024-01-09")
    # Same month: the holdout would be empty once both are floored to the month start.
    with pytest.raises(InputError, match=r"'calibration_end' argument.*earlier 'M' period"):
        calibration_holdout(
            _log(), calibration_end="2024-01-03", observation_end="2024-01-09", grain="M"
        )


def test_calibration_end_is_required() -> None:
    with pytest.raises(InputError, match=r"'calibration_end' argument.*Got None"):
        calibration_holdout(_log(), calibration_end=None)


def test_no_customer_before_calibration_end() -> None:
    with pytest.raises(InputError, match=r"No customer made a first purchase.*calibration_end"):
        calibration_holdout(_log(), calibration_end="2023-12-01")


# ---- the exclusion warning -------------------------------------------------------------------


def test_transactions_after_observation_end_are_excluded_and_counted() -> None:
    with pytest.warns(
        UserWarning,
        match=r"2 of 4 transactions fall after observation_end="
        r"2024-01-04 and were excluded",
    ):
        out = rfm_summary(_log(), monetary="amount", observation_end="2024-01-04")
    assert out.index.tolist() == [1, 2]  # customer 3 first bought on 2024-01-09
    assert out["historical_value"].tolist() == [10.0, 7.0]
    with pytest.warns(UserWarning, match=r"1 of 4 transactions"):
        bought = purchases(_log(), observation_end="2024-01-05")
    assert bought.n_excluded == 1


def test_warning_points_at_the_caller() -> None:
    with pytest.warns(UserWarning) as record:
        rfm_summary(_log(), observation_end="2024-01-04")
    assert record[0].filename == __file__
