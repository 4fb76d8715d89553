"""Suspicious transaction logs are flagged before they move a number: repeated rows,
dates far from the rest of the log or in the future, an end of observation far after the
last transaction.

Regression tests for issue 17 (item 2): the docstrings say what today's main did (in
every case: the numbers changed and nothing was said).
"""

from __future__ import annotations

import datetime as dt
import functools
import warnings
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import clvkit as ck
from clvkit.data import (
    calibration_holdout,
    checks,
    cohort_table,
    purchases,
    retention_table,
    rfm_summary,
)
from clvkit.data.checks import main_stretch, repeated_transactions, typical_spacing
from clvkit.errors import DataWarning, InputError

BERLIN = "Europe/Berlin"
COLUMNS = {"customer_id": "client", "datetime": "ts", "monetary": "revenue"}


@functools.cache
def _realistic() -> pd.DataFrame:
    """A log as a user brings it: string ids, Berlin times, its own column names, rows in
    no particular order with labels that are not positions. 2,000 simulated customers
    (seeded) over 2024-2025."""
    sim = ck.datasets.simulate_transactions(2_000, seed=17)
    log = pd.DataFrame(
        {
            "client": "C-" + sim["customer_id"].astype(str).str.zfill(5),
            "ts": sim["date"].dt.tz_localize("UTC").dt.tz_convert(BERLIN),
            "revenue": sim["amount"],
        }
    )
    shuffled = log.sample(frac=1.0, random_state=3)
    return shuffled.set_axis([f"tx{i:05d}" for i in range(len(log))])


def log() -> pd.DataFrame:
    return _realistic().copy()


def summary(frame: pd.DataFrame, **kwargs: object) -> pd.DataFrame:
    return rfm_summary(frame, **COLUMNS, time_unit="W", **kwargs)  # type: ignore[arg-type]


def caught(call, *args, **kwargs) -> tuple[object, list[str]]:
    """The result and the messages of every DataWarning raised by the call."""
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        out = call(*args, **kwargs)
    return out, [str(w.message) for w in record if issubclass(w.category, DataWarning)]


def with_repeats(frame: pd.DataFrame, n_rows: int, n_customers: int, seed: int) -> pd.DataFrame:
    """``frame`` with ``n_rows`` exact copies of rows of ``n_customers`` customers added
    (labelled dupNN), as an export run twice over part of a day would leave them."""
    rng = np.random.default_rng(seed)
    customers = rng.choice(frame["client"].unique(), size=n_customers, replace=False)
    picks = [frame.index[frame["client"] == c][0] for c in customers]
    picks += list(rng.choice(picks, size=n_rows - n_customers))
    extra = frame.loc[picks].set_axis([f"dup{i:02d}" for i in range(n_rows)])
    return pd.concat([frame, extra])


# ---- repeated transactions ---------------------------------------------------------------------


def test_the_base_log_has_no_repeats_and_no_other_warning() -> None:
    out, messages = caught(summary, log())
    assert messages == []
    assert len(out) == 2_000


def test_repeated_rows_are_flagged_with_rows_and_customers() -> None:
    """The issue's case: 30 repeated rows of 21 customers. Main summed them into the
    purchases (21 customers' spend changed) without a word."""
    frame = with_repeats(log(), 30, 21, seed=1)
    with pytest.warns(DataWarning) as record:
        summary(frame)
    (message,) = [str(w.message) for w in record]
    assert message.startswith(
        f"30 of {len(frame)} transactions in rfm_summary repeat an earlier row exactly "
        "(same customer, time and amount), for 21 customers (customer ids: 'C-"
    )
    assert "rows: 'dup" in message  # the log's own labels of the later copies
    assert "duplicates='drop'" in message and "duplicates='keep'" in message


def test_drop_gives_the_numbers_of_the_log_without_the_copies() -> None:
    """Bit for bit: the dropped rows' amounts never enter the sums."""
    frame = with_repeats(log(), 30, 21, seed=2)
    with pytest.warns(DataWarning, match=r"30 of .* They were dropped \(duplicates='drop'\)"):
        dropped = summary(frame, duplicates="drop")
    pd.testing.assert_frame_equal(dropped, summary(log()), check_exact=True)
    with pytest.warns(DataWarning, match="repeat an earlier row"):
        bought = purchases(frame, **COLUMNS, duplicates="drop")  # type: ignore[arg-type]
    assert bought.n_repeated == 30
    assert bought.n_transactions.sum() == len(log())


def test_drop_never_writes_into_the_callers_frame() -> None:
    """A log already in (customer, day) order is summed without a sort, straight from the
    caller's amount column; dropping must not zero the repeats there (pandas 2) nor fail
    on a read-only column (pandas 3)."""
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2],
            "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-03", "2024-01-02"]),
            "amount": [4.0, 4.0, 1.0, 2.0],
        }
    )
    before = tx.copy()
    with pytest.warns(DataWarning, match="1 of 4 transactions in purchases repeat"):
        bought = purchases(tx, monetary="amount", duplicates="drop")
    pd.testing.assert_frame_equal(tx, before)
    assert bought.amount.tolist() == [4.0, 1.0, 2.0]
    assert bought.n_transactions.tolist() == [1, 1, 1]


def test_keep_is_silent_and_sums_the_copies() -> None:
    frame = with_repeats(log(), 30, 21, seed=1)
    kept, messages = caught(summary, frame, duplicates="keep")
    assert messages == []
    added = frame.loc[frame.index.str.startswith("dup")].groupby("client")["revenue"].sum()
    grew = kept["historical_value"] - summary(log())["historical_value"]
    np.testing.assert_allclose(grew[added.index], added, rtol=1e-12)
    assert (grew.drop(added.index) == 0).all()


def test_near_repeats_are_not_flagged() -> None:
    frame = log()
    row = frame.iloc[[0]]
    other_customer = frame.loc[frame["client"] != row["client"].iloc[0], "client"].iloc[0]
    near = pd.concat(
        [
            row.assign(revenue=row["revenue"] + 0.01),  # another amount
            row.assign(ts=row["ts"] + pd.Timedelta(seconds=1)),  # one second later
            row.assign(client=other_customer),  # another customer
        ]
    ).set_axis(["near0", "near1", "near2"])
    _, messages = caught(summary, pd.concat([frame, near]))
    assert messages == []


def test_repeats_are_found_anywhere_inside_a_purchase() -> None:
    """Copies that are not next to each other, three copies of one row, inside purchases
    that merge many rows (a year grain)."""
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 1, 2, 2, 2],
            "date": pd.to_datetime(
                [
                    *["2024-01-01 10:00", "2024-03-01", "2024-01-01 10:00", "2024-05-01"],
                    *["2024-01-01 10:00", "2024-02-01", "2024-02-01", "2024-02-01"],
                ],
                format="ISO8601",
            ),
            "amount": [10.0, 1.0, 10.0, 2.0, 10.0, 3.0, 3.0, 3.0],
        }
    )
    for grain in ("D", "Y"):
        with pytest.warns(DataWarning) as record:
            bought = purchases(tx, monetary="amount", grain=grain)
        assert bought.n_repeated == 4
        assert "(customer ids: 1, 2; rows: 2, 4, 6, ...)" in str(record[0].message)


def test_without_amounts_there_is_nothing_to_check() -> None:
    """Without amounts a copy merges into the same purchase and changes nothing."""
    frame = with_repeats(log(), 30, 21, seed=1)
    out, messages = caught(rfm_summary, frame, customer_id="client", datetime="ts")
    assert messages == []
    assert out["frequency"].equals(summary(log())["frequency"])


def test_repeats_after_observation_end_are_not_counted() -> None:
    tx = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-05", "2024-01-05", "2024-01-02", "2024-01-02"]
            ),
            "amount": [1.0, 2.0, 2.0, 3.0, 3.0],
        }
    )
    _, messages = caught(purchases, tx, monetary="amount", observation_end="2024-01-04")
    assert len(messages) == 2
    assert messages[0].startswith("2 of 5 transactions fall after")
    assert messages[1].startswith("1 of 3 transactions in purchases repeat")


HASHES = {
    "the real hash": checks._hash_rows,
    "every row collides": lambda g, t, v: np.zeros(g.size, dtype=np.uint64),
    "two hashes": lambda g, t, v: (t.view(np.uint64) % np.uint64(2)) << np.uint64(62),
}


@pytest.mark.parametrize("hashing", list(HASHES))
@given(
    st.lists(
        st.tuples(st.integers(0, 2), st.integers(-2, 2), st.sampled_from([0.0, -0.0, 1.5, 2.0])),
        min_size=0,
        max_size=40,
    )
)
def test_repeated_transactions_equals_pandas_duplicated(hashing: str, rows: list[tuple]) -> None:
    """The hash-and-sort rule against pandas' own exact check (``DataFrame.duplicated``),
    on tiny alphabets where almost everything repeats; with hashes that collide on
    purpose, the exact fallback must give the same answer."""
    frame = pd.DataFrame(rows, columns=["g", "t", "a"]).astype({"g": "int64", "t": "int64"})
    frame["a"] = frame["a"].astype("float64") + 0.0
    with mock.patch.object(checks, "_hash_rows", HASHES[hashing]):
        mine = repeated_transactions(
            frame["g"].to_numpy(), frame["t"].to_numpy(), frame["a"].to_numpy()
        )
    np.testing.assert_array_equal(mine, frame.duplicated().to_numpy())


def test_the_cdnow_sample_has_21_repeated_rows() -> None:
    """A fact of the shipped data (counted with ``DataFrame.duplicated`` over customer,
    date and amount): 21 rows of 15 customers repeat a row of the same day. The published
    estimates count them as purchases, which duplicates="keep" reproduces silently."""
    tx = ck.datasets.load_cdnow_transactions()
    with pytest.warns(DataWarning, match=r"^21 of 6919 transactions .* for 15 customers"):
        rfm_summary(tx, monetary="amount")
    _, messages = caught(rfm_summary, tx, monetary="amount", duplicates="keep")
    assert messages == []


# ---- far-off dates -------------------------------------------------------------------------


def with_date(frame: pd.DataFrame, label: str, local_time: str) -> pd.DataFrame:
    out = frame.copy()
    out.loc[label, "ts"] = pd.Timestamp(local_time, tz=BERLIN)
    return out


def test_a_typo_far_in_the_future_is_flagged() -> None:
    """The issue's case: one row typed 2052. Main let observation end in 2052, so every
    customer's T grew by 26 years and the total actual CLV fell by a fifth, silently."""
    label = log().index[10]
    customer = log().loc[label, "client"]
    frame = with_date(log(), label, "2052-03-04 12:00")
    with pytest.warns(DataWarning) as record:
        out = summary(frame)
    (message,) = [str(w.message) for w in record]
    assert message.startswith(
        f"1 of {len(frame)} transactions in rfm_summary are dated far from the rest of "
        "the log, on 2052-03-04: more than 100 days (100 times the typical 1-day spacing"
    )
    assert f"(customer ids: {customer!r}; rows: {label!r})" in message
    assert "With observation_end=None, observation ends on 2052-03-04" in message
    assert out.attrs["observation_end"] == "2052-03-04"  # flagged, not changed


def test_a_typo_far_in_the_past_is_flagged() -> None:
    """1907 for 1997-style typos make one customer's T a century long. Main: silent."""
    label = log().index[99]
    frame = with_date(log(), label, "1924-06-01 09:00")
    with pytest.warns(DataWarning, match=r"^1 of .* on 1924-06-01: more than 100 days"):
        summary(frame)


def test_the_far_check_can_be_widened_or_turned_off() -> None:
    frame = with_date(log(), log().index[10], "2052-03-04 12:00")
    for multiple in (None, 1e5):
        _, messages = caught(summary, frame, gap_multiple=multiple)
        assert not any("far from the rest" in m for m in messages)
    _, messages = caught(summary, frame, gap_multiple=2.0)
    assert any("more than 2 days (2 times the typical" in m for m in messages)


def test_a_quiet_stretch_shorter_than_the_threshold_is_not_flagged() -> None:
    """Two quiet months in a daily log: 60 days, under 100 typical spacings."""
    frame = log()
    local = frame["ts"].dt.tz_localize(None)
    quiet = (local >= "2025-03-01") & (local < "2025-05-01")
    _, messages = caught(summary, frame.loc[~quiet])
    assert messages == []


def test_the_smaller_side_of_a_long_closure_is_flagged() -> None:
    """A shop closed for eight months: the stretch with fewer transactions is named, and a
    larger multiple says the closure is real."""
    frame = log()
    local = frame["ts"].dt.tz_localize(None)
    frame = frame.loc[(local < "2025-04-01") | (local >= "2025-12-01")]
    n_december = int((frame["ts"].dt.tz_localize(None) >= "2025-12-01").sum())
    with pytest.warns(DataWarning, match=rf"^{n_december} of {len(frame)} transactions"):
        summary(frame)
    _, messages = caught(summary, frame, gap_multiple=300)
    assert messages == []


def test_future_dates_are_flagged_against_the_machines_clock() -> None:
    """Rows dated after tomorrow (UTC) are flagged; today and tomorrow are not, whatever
    the log's zone. Main: silent."""
    today = pd.Timestamp(dt.datetime.now(dt.UTC).date())
    days = [today - pd.Timedelta(days=k) for k in range(30, -2, -1)]  # up to tomorrow
    days += [today + pd.Timedelta(days=10), today + pd.Timedelta(days=12)]
    tx = pd.DataFrame({"customer_id": np.arange(len(days)) % 5, "date": days})
    with pytest.warns(DataWarning) as record:
        rfm_summary(tx)
    (message,) = [str(w.message) for w in record]
    first = (today + pd.Timedelta(days=10)).date().isoformat()
    assert message.startswith(
        f"2 of {len(days)} transactions in rfm_summary are dated in the future of this "
        f"machine's clock (after {(today + pd.Timedelta(days=1)).date()}, the first on {first})"
    )
    _, messages = caught(rfm_summary, tx, observation_end=today)
    assert len(messages) == 1 and "fall after observation_end" in messages[0]


# ---- an end of observation far after the log ---------------------------------------------------


def test_observation_end_years_after_the_log_is_flagged() -> None:
    """The issue's case: observation_end in 2030 for a log that ends in 2025. Main:
    silent, T grew for everyone."""
    with pytest.warns(DataWarning) as record:
        summary(log(), observation_end="2030-06-30")
    (message,) = [str(w.message) for w in record]
    assert message.startswith(
        "The 'observation_end' argument of rfm_summary (2030-06-30) is 1643 days after "
        "the last transaction (2025-12-30), more than 100 times the typical 1-day spacing "
        "between transaction days"
    )


def test_observation_end_in_the_future_is_flagged() -> None:
    """An end of observation that has not come yet, even with the gap check off."""
    later = (pd.Timestamp(dt.datetime.now(dt.UTC).date()) + pd.Timedelta(days=3)).date()
    _, messages = caught(summary, log(), observation_end=later, gap_multiple=None)
    assert len(messages) == 1
    assert messages[0].startswith(
        f"The 'observation_end' argument of rfm_summary ({later}) is in the future of this "
        "machine's clock"
    )


def test_a_313_week_holdout_is_flagged() -> None:
    """The issue's case: a holdout of 313 weeks where the log holds 52. Main: silent, every
    holdout count compared with six years of predictions."""
    with pytest.warns(DataWarning, match=r"argument of calibration_holdout \(2030-12-31\)"):
        calibration_holdout(
            log(),
            **COLUMNS,  # type: ignore[arg-type]
            calibration_end="2024-12-31",
            observation_end=pd.Timestamp("2024-12-31") + pd.Timedelta(weeks=313),
        )


def test_a_near_end_of_observation_is_not_flagged() -> None:
    _, messages = caught(summary, log(), observation_end="2026-03-31")
    assert messages == []
    _, messages = caught(summary, log(), observation_end="2029-06-30", gap_multiple=None)
    assert not any("2029-06-30) is" in m and "days after" in m for m in messages)


# ---- every reader checks, the arguments are checked, warnings point at the caller -------------


READERS = {
    "purchases": lambda frame, **kw: purchases(frame, **COLUMNS, **kw),
    "rfm_summary": lambda frame, **kw: rfm_summary(frame, **COLUMNS, **kw),
    "calibration_holdout": lambda frame, **kw: calibration_holdout(
        frame, **COLUMNS, calibration_end="2025-06-30", **kw
    ),
    "retention_table": lambda frame, **kw: retention_table(frame, **COLUMNS, **kw),
    "cohort_table": lambda frame, **kw: cohort_table(frame, "M", "revenue", **COLUMNS, **kw),
}


@pytest.mark.parametrize("reader", list(READERS))
def test_every_reader_of_a_log_runs_the_checks(reader: str) -> None:
    call = READERS[reader]
    frame = with_repeats(with_date(log(), log().index[10], "2052-03-04 12:00"), 3, 2, seed=5)
    _, messages = caught(call, frame)
    assert any(m.startswith(f"3 of {len(frame)} transactions in {reader} repeat") for m in messages)
    assert any(f"in {reader} are dated far from the rest" in m for m in messages)
    _, messages = caught(call, frame, duplicates="keep", gap_multiple=None)
    assert not any("repeat" in m or "far from" in m for m in messages)


@pytest.mark.parametrize("value", ["remove", None, True, 1])
def test_unknown_duplicates_option(value: object) -> None:
    with pytest.raises(InputError, match=r"'duplicates' argument of rfm_summary must be one of"):
        rfm_summary(log(), **COLUMNS, duplicates=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [1, 0.5, -3, np.nan, np.inf, "100", True])
def test_bad_gap_multiple(value: object) -> None:
    with pytest.raises(InputError, match=r"'gap_multiple' argument of retention_table"):
        retention_table(log(), **COLUMNS, gap_multiple=value)  # type: ignore[arg-type]


def test_warnings_point_at_the_callers_line() -> None:
    frame = with_repeats(with_date(log(), log().index[10], "2052-03-04 12:00"), 3, 2, seed=5)
    for call in (summary, lambda f: cohort_table(f, **COLUMNS)):
        with pytest.warns(DataWarning) as record:
            call(frame)
        assert {w.filename for w in record} == {__file__}


# ---- the rules on their own --------------------------------------------------------------------


def test_typical_spacing_and_main_stretch_by_hand() -> None:
    days = np.array([0, 1, 2, 3, 5, 6, 400, 401])
    counts = np.array([5, 5, 5, 5, 5, 5, 1, 1])
    assert typical_spacing(days) == 1.0
    assert main_stretch(days, counts, 100.0) == (0, 6, 100.0)
    assert main_stretch(days, counts, 500.0) is None
    assert main_stretch(days, np.array([1, 1, 1, 1, 1, 1, 50, 1]), 100.0) == (400, 401, 100.0)
    assert typical_spacing(np.array([7])) is None
    assert main_stretch(np.array([7]), np.array([3]), 2.0) is None
