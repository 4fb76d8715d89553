"""Per-row outcomes for services (issue 17, item 5).

On the main branch before this change one bad row out of 1,000 failed the whole batch,
and the error named it by its position in the list, not by the ``customer_id`` the caller
sent. ``errors="raise"`` (the default) keeps refusing the batch but names customers by id;
``errors="mark"`` scores the good rows and gives each bad row its message.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.errors import InputError, UnitError
from clvkit.value import CLV_COLUMNS


@pytest.fixture(scope="module")
def rfm() -> pd.DataFrame:
    return ck.datasets.simulate_rfm(1000, seed=7, time_unit="W")


@pytest.fixture(scope="module")
def model(rfm: pd.DataFrame) -> ck.CLVModel:
    return ck.CLVModel().fit(rfm)


@pytest.fixture()
def records(rfm: pd.DataFrame, model: ck.CLVModel) -> list[dict[str, object]]:
    columns = list(model.input_columns)
    return [
        {"customer_id": f"c-{cid}", **dict(zip(columns, map(float, row), strict=True))}
        for cid, row in zip(rfm.index, rfm[columns].to_numpy(), strict=True)
    ]


def test_raise_names_the_customer_by_the_id_sent(model, records) -> None:
    """Main: "... (row positions: 417)" for the 418th record."""
    records[417]["recency"] = float(records[417]["T"]) + 1.0
    with pytest.raises(
        InputError, match=r"'recency' must be <= column 'T'.*1 of 1000 rows.*'c-\d+'"
    ):
        ck.predict_clv(model, records, horizon="52W")
    with pytest.raises(InputError, match=rf"customer ids: {records[417]['customer_id']!r}"):
        ck.predict_clv(model, records, horizon="52W")


def test_missing_fields_are_named_by_id(model, records) -> None:
    del records[3]["T"]
    with pytest.raises(
        InputError, match=r"field 'T' is missing in 1 of 1000 records \(customer ids: 'c-\d+'\)"
    ):
        ck.predict_clv(model, records, horizon="52W")


def test_positions_when_records_carry_no_id(model, records) -> None:
    for rec in records:
        rec.pop("customer_id")
    records[2]["frequency"] = -1.0
    with pytest.raises(InputError, match=r"row positions: 2\)"):
        ck.predict_clv(model, records, horizon="52W")


def test_mark_scores_the_good_rows_and_marks_the_bad(model, records) -> None:
    """Main refused the whole batch of 1,000 for three bad records."""
    good = ck.predict_clv(model, records, horizon="52W", discount_rate=0.1)
    records[10]["recency"] = float(records[10]["T"]) + 1.0
    records[500]["Frequency"] = 3.0
    records[999]["monetary_value"] = "12"
    out = ck.predict_clv(model, records, horizon="52W", discount_rate=0.1, errors="mark")
    assert len(out) == 1000
    bad = {i: row for i, row in enumerate(out) if row["error"] is not None}
    assert sorted(bad) == [10, 500, 999]
    assert bad[10] == {
        "customer_id": records[10]["customer_id"],
        "error": "Field 'recency' must be <= column 'T' (last purchase after the end)",
    }
    assert "unknown field(s) ['Frequency']" in bad[500]["error"]
    assert bad[999]["error"].startswith("Field 'monetary_value' must hold numbers")
    for i, row in enumerate(out):
        if i not in bad:
            assert row == {**good[i], "error": None}  # the good rows' numbers are unchanged


def test_mark_with_nothing_wrong_equals_raise_plus_error_none(model, records) -> None:
    plain = ck.predict_clv(model, records[:5], horizon="52W")
    marked = ck.predict_clv(model, records[:5], horizon="52W", errors="mark")
    assert marked == [{**row, "error": None} for row in plain]


def test_mark_one_mapping(model, records) -> None:
    records[0]["historical_value"] = -5.0
    out = ck.predict_clv(model, records[0], horizon="52W", errors="mark")
    assert out == {
        "customer_id": records[0]["customer_id"],
        "error": "Field 'historical_value' must be >= 0 (the value of the purchases made so far)",
    }


def test_mark_a_frame(model, rfm) -> None:
    frame = rfm.copy()
    frame.loc[frame.index[4], "T"] = np.nan
    one_time = frame.index[frame["frequency"] == 0][3]
    frame.loc[one_time, "monetary_value"] = 3.0
    out = model.predict_clv(frame, horizon="52W", errors="mark")
    good = model.predict_clv(rfm, horizon="52W")
    assert list(out.columns) == [*CLV_COLUMNS, "lifecycle_stage", "error"]
    assert out.index.equals(rfm.index)
    bad = out["error"].notna()
    assert out.loc[frame.index[4], "error"] == "Column 'T' must not be missing (NaN)"
    assert "must be 0 where 'frequency' is 0" in out.loc[one_time, "error"]
    assert bad.sum() == 2
    assert out.loc[bad, list(CLV_COLUMNS)].isna().all().all()
    assert out.loc[bad, "lifecycle_stage"].isna().all()
    pd.testing.assert_frame_equal(out.loc[~bad, [*CLV_COLUMNS, "lifecycle_stage"]], good.loc[~bad])
    # through the service too
    via_service = ck.predict_clv(model, frame, horizon="52W", errors="mark")
    pd.testing.assert_frame_equal(via_service, out)


def test_mark_every_row_bad(model, rfm) -> None:
    frame = rfm.head(3).copy()
    frame["frequency"] = -1.0
    out = model.predict_clv(frame, horizon="52W", errors="mark")
    assert out["error"].notna().all() and out["actual_clv"].isna().all()


def test_mark_a_frame_with_a_margin_column(model, rfm) -> None:
    frame = rfm.head(4).assign(m=[0.3, 30.0, 0.3, 0.3])
    out = model.predict_clv(frame, horizon="52W", margin="m", errors="mark")
    assert out["error"].notna().tolist() == [False, True, False, False]
    assert "Column 'm' (margin) must be in [0, 1]" in out["error"].iloc[1]


def test_problems_of_the_whole_call_still_raise(model, records, rfm) -> None:
    with pytest.raises(UnitError, match="'horizon'"):
        ck.predict_clv(model, records, horizon="52X", errors="mark")
    with pytest.raises(InputError, match=r"0\.1 for 10 %"):
        ck.predict_clv(model, records, horizon="52W", discount_rate=10, errors="mark")
    with pytest.raises(InputError, match="missing the column"):
        model.predict_clv(rfm.drop(columns="T"), horizon="52W", errors="mark")
    lost = rfm.copy()
    lost.attrs = {}
    with pytest.raises(UnitError, match="records no time unit"):
        model.predict_clv(lost, horizon="52W", errors="mark")
    with pytest.raises(InputError, match="'errors' argument"):
        ck.predict_clv(model, records, horizon="52W", errors="skip")


def test_mark_with_intervals(model, records) -> None:
    records[1]["frequency"] = 2.5
    out = ck.predict_clv(model, records[:4], horizon="52W", interval=0.9, errors="mark")
    assert out[1]["error"].startswith("Field 'frequency' must be a whole number")
    assert {"actual_clv_lower", "actual_clv_upper"} <= set(out[0])


def test_a_field_of_mixed_types_names_the_records(model, records) -> None:
    """Main: "Argument 'recency' must hold numbers ... Got dtype <U32", naming no one."""
    records[7]["recency"] = "10"
    with pytest.raises(
        InputError,
        match=rf"Field 'recency' must hold numbers.*1 of 1000 records \(customer ids: "
        rf"{records[7]['customer_id']!r}\).*the first: '10'.*does not coerce",
    ):
        ck.predict_clv(model, records, horizon="52W")
