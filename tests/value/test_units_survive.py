"""A frame's time unit cannot be lost silently (issue 17, item 1).

``rfm_summary`` records the unit of ``recency`` and ``T`` in ``frame.attrs``, which pandas
drops in a CSV round trip, a Parquet file written without pandas' metadata, ``merge``,
``concat`` with a frame that has none, or a frame rebuilt with ``groupby().apply``. On the
main branch before this change such a frame was read as if it were in the model's unit:
a CDNOW day-unit frame scored by a week-unit model counted every day as a week and gave
other numbers without a word. Now it is refused, with a message that says how to pass the
unit, and accepted with ``time_unit=``.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.errors import UnitError
from tests.conftest import CALIBRATION_END

MISSING = "records no time unit"


@pytest.fixture(scope="module")
def weeks(cdnow_transactions: pd.DataFrame) -> pd.DataFrame:
    return _summary(cdnow_transactions, "W")


@pytest.fixture(scope="module")
def days(cdnow_transactions: pd.DataFrame) -> pd.DataFrame:
    return _summary(cdnow_transactions, "D")


@pytest.fixture(scope="module")
def model(weeks: pd.DataFrame) -> ck.CLVModel:
    return ck.CLVModel().fit(weeks)


def _summary(tx: pd.DataFrame, unit: str) -> pd.DataFrame:
    calibration = tx[tx["date"] <= CALIBRATION_END]
    return ck.rfm_summary(
        calibration,
        monetary="amount",
        time_unit=unit,
        observation_end=CALIBRATION_END,
        duplicates="keep",  # the sample's repeated rows are real purchases
    )


# -- the ways pandas loses attrs -------------------------------------------------------------
def csv_round_trip(frame: pd.DataFrame) -> pd.DataFrame:
    text = io.StringIO(frame.to_csv())
    return pd.read_csv(text, index_col="customer_id")


def parquet_round_trip(frame: pd.DataFrame) -> pd.DataFrame:
    """A Parquet file written without pandas' metadata (as Spark, DuckDB or polars write
    one); pandas' own writer keeps attrs since pandas 2.1."""
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = pa.Table.from_pandas(frame.reset_index(), preserve_index=False)
    buffer = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(None), buffer)
    buffer.seek(0)
    return pd.read_parquet(buffer).set_index("customer_id")


def merge_with_regions(frame: pd.DataFrame) -> pd.DataFrame:
    regions = pd.DataFrame(
        {"customer_id": frame.index, "region": np.where(frame.index % 2 == 0, "east", "west")}
    )
    return regions.merge(frame.reset_index(), on="customer_id").set_index("customer_id")


def concat_with_a_file(frame: pd.DataFrame) -> pd.DataFrame:
    """The summary appended to customers read back from a file."""
    half = len(frame) // 2
    return pd.concat([csv_round_trip(frame.iloc[:half]), frame.iloc[half:]])


def groupby_apply(frame: pd.DataFrame) -> pd.DataFrame:
    """An RFM frame rebuilt per customer with groupby().apply, as people write by hand."""

    def one(rows: pd.DataFrame) -> pd.Series:
        return pd.Series({c: float(rows[c].iloc[0]) for c in frame.columns})

    grouped = frame.reset_index().groupby("customer_id")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # pandas' include_groups notice
        return grouped[list(frame.columns)].apply(one)


LOSSES: list[Callable[[pd.DataFrame], pd.DataFrame]] = [
    csv_round_trip,
    parquet_round_trip,
    merge_with_regions,
    concat_with_a_file,
    groupby_apply,
]


@pytest.mark.parametrize("lose", LOSSES, ids=lambda f: f.__name__)
def test_a_day_frame_that_lost_its_unit_is_refused_not_scored_as_weeks(
    lose: Callable[[pd.DataFrame], pd.DataFrame], days: pd.DataFrame, model: ck.CLVModel
) -> None:
    """Main scored the day frame as weeks: total actual_clv changed without an error."""
    lost = lose(days)
    if "time_unit" in lost.attrs:  # this pandas keeps attrs through it (groupby().apply)
        assert lost.attrs["time_unit"] == "D"
        with pytest.raises(UnitError, match="in time unit 'D' but the CLVModel was fitted"):
            model.predict_clv(lost, horizon="52W")
        return
    with pytest.raises(UnitError, match=rf"{MISSING}.*pass time_unit='W'"):
        model.predict_clv(lost, horizon="52W", discount_rate=0.1, margin=0.3)
    with pytest.raises(UnitError, match=MISSING):
        model.purchase_model_.probability_alive(lost)
    # stating the truth is refused too: nothing is rescaled
    with pytest.raises(UnitError, match="in time unit 'D' but the CLVModel was fitted in 'W'"):
        model.predict_clv(lost, horizon="52W", time_unit="D")


@pytest.mark.parametrize("lose", LOSSES, ids=lambda f: f.__name__)
def test_a_frame_that_lost_its_unit_is_accepted_with_time_unit(
    lose: Callable[[pd.DataFrame], pd.DataFrame], weeks: pd.DataFrame, model: ck.CLVModel
) -> None:
    lost = lose(weeks)
    if "time_unit" not in lost.attrs:
        with pytest.raises(UnitError, match=MISSING):
            model.predict_clv(lost, horizon="52W")
    kept = model.predict_clv(weeks, horizon="52W", discount_rate=0.1, margin=0.3)
    again = model.predict_clv(lost, horizon="52W", discount_rate=0.1, margin=0.3, time_unit="W")
    pd.testing.assert_frame_equal(
        again.loc[kept.index, list(ck.value.CLV_COLUMNS)],
        kept[list(ck.value.CLV_COLUMNS)],
        check_exact=False,
        rtol=1e-12,
    )


def test_these_operations_lose_the_unit_on_every_supported_pandas(weeks: pd.DataFrame) -> None:
    for lose in (csv_round_trip, merge_with_regions, concat_with_a_file):
        assert "time_unit" not in lose(weeks).attrs, lose.__name__


def test_pandas_parquet_keeps_the_unit(weeks: pd.DataFrame, model: ck.CLVModel) -> None:
    pytest.importorskip("pyarrow")
    buffer = io.BytesIO()
    weeks.to_parquet(buffer)
    buffer.seek(0)
    back = pd.read_parquet(buffer)
    assert back.attrs.get("time_unit") == "W"
    model.predict_clv(back, horizon="52W")


def test_every_fit_on_a_frame_without_a_unit_says_how_to_give_one(weeks: pd.DataFrame) -> None:
    """Main fitted a unitless model on it, whose calendar horizons and discounting then
    failed far from the cause (or read a day frame's numbers as any unit)."""
    lost = csv_round_trip(weeks)
    for model in (ck.BetaGeo(), ck.ParetoNBD(), ck.ModifiedBetaGeo()):
        name = type(model).__name__
        with pytest.raises(UnitError, match=rf"{name}.fit: .*{MISSING}.*time_unit="):
            model.fit(lost)
    with pytest.raises(UnitError, match=MISSING):
        ck.CLVModel().fit(lost)
    assert ck.CLVModel().fit(lost, time_unit="W").time_unit_ == "W"
    assert ck.BetaGeo().fit(lost, time_unit="W").time_unit_ == "W"
    # spend has no time unit: the Gamma-Gamma model fits on any frame
    assert ck.GammaGamma().fit(lost).time_unit_ is None


def test_bare_arrays_are_in_the_models_unit(weeks: pd.DataFrame, model: ck.CLVModel) -> None:
    bg = model.purchase_model_
    arrays = {c: weeks[c].to_numpy() for c in ("frequency", "recency", "T")}
    np.testing.assert_array_equal(bg.probability_alive(**arrays), bg.probability_alive(weeks))
    with pytest.raises(UnitError, match="in time unit 'D'"):
        bg.probability_alive(**arrays, time_unit="D")


def test_every_reader_of_customer_frames_takes_time_unit(
    weeks: pd.DataFrame, model: ck.CLVModel
) -> None:
    lost = csv_round_trip(weeks)
    bg = model.purchase_model_
    calls: dict[str, Callable[..., object]] = {
        "expected_purchases": lambda **k: bg.expected_purchases(lost, 10, **k),
        "expected_purchases_if_alive": lambda **k: bg.expected_purchases_if_alive(lost, 10, **k),
        "probability_purchase": lambda **k: bg.probability_purchase(lost, 10, **k),
        "probability_n_purchases": lambda **k: bg.probability_n_purchases(lost, 1, 10, **k),
        "log_likelihood": lambda **k: bg.log_likelihood(lost, **k),
        "read_customers": lambda **k: bg.read_customers(lost, **k),
        "clv_cashflows": lambda **k: ck.clv_cashflows(model, lost, horizon=4, **k),
        "lifecycle_stage": lambda **k: ck.lifecycle_stage(model, lost, **k),
        "probability_alive_matrix": lambda **k: ck.probability_alive_matrix(model, lost, **k),
        "expected_purchases_matrix": lambda **k: ck.expected_purchases_matrix(model, lost, **k),
        "bootstrap": lambda **k: bg.bootstrap(lost, n_draws=2, random_state=0, **k),
    }
    for name, call in calls.items():
        with pytest.raises(UnitError, match=MISSING):
            call()
        call(time_unit="W")  # accepted
        assert name


def test_holdout_scoring_takes_time_unit(cdnow_transactions: pd.DataFrame) -> None:
    cal = ck.calibration_holdout(
        cdnow_transactions,
        calibration_end=CALIBRATION_END,
        observation_end="1998-06-30",
        time_unit="W",
        duplicates="keep",
    )
    bg = ck.BetaGeo().fit(cal)
    lost = csv_round_trip(cal)
    for call in (
        lambda **k: ck.evaluate(bg, lost, **k),
        lambda **k: ck.holdout_predictions(bg, lost, **k),
        lambda **k: ck.holdout_deciles(bg, lost, **k),
        lambda **k: ck.compare_models({"bg": bg}, lost, **k),
    ):
        with pytest.raises(UnitError, match=MISSING):
            call()
    pd.testing.assert_frame_equal(ck.evaluate(bg, lost, time_unit="W"), ck.evaluate(bg, cal))


def test_service_records_read_in_the_models_unit_unless_told(
    weeks: pd.DataFrame, model: ck.CLVModel
) -> None:
    """Main accepted no unit at all for mappings; a day-unit record was scored as weeks."""
    row = weeks.iloc[5]
    record = {"customer_id": int(weeks.index[5]), **{c: float(row[c]) for c in model.input_columns}}
    plain = ck.predict_clv(model, record, horizon="52W")
    assert ck.predict_clv(model, record, horizon="52W", time_unit="W") == plain
    assert ck.predict_clv(model, {**record, "time_unit": "W"}, horizon="52W") == {**plain}
    with pytest.raises(UnitError, match="time_unit='D', but the model was fitted in 'W'"):
        ck.predict_clv(model, record, horizon="52W", time_unit="D")
    with pytest.raises(UnitError, match=r"customer \d+.*time unit 'D'"):
        ck.predict_clv(model, [record, {**record, "time_unit": "D"}], horizon="52W")
    # a frame given to the service is read as by CLVModel.predict_clv
    with pytest.raises(UnitError, match=MISSING):
        ck.predict_clv(model, csv_round_trip(weeks), horizon="52W")
    ck.predict_clv(model, csv_round_trip(weeks), horizon="52W", time_unit="W")


def test_subscriber_frames_need_their_period() -> None:
    subs = ck.datasets.simulate_subscribers(500, time_unit="M", seed=1)
    value = ck.SubscriptionValue().fit(subs)
    lost = subs.copy()
    lost.attrs = {}
    with pytest.raises(UnitError, match=r"records no period.*time_unit='M'"):
        value.predict_clv(lost, horizon=12)
    pd.testing.assert_frame_equal(
        value.predict_clv(lost, horizon=12, time_unit="M"), value.predict_clv(subs, horizon=12)
    )
