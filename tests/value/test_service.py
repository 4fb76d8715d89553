"""clvkit.predict_clv: the service entry point (paths, mappings, lists, threads)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.errors import InputError, ModelFileError
from clvkit.value import CLV_COLUMNS


@pytest.fixture()
def model_path(tmp_path, cdnow_clv_model):
    path = tmp_path / "model.json"
    cdnow_clv_model.save(path)
    return path


def _record(rfm: pd.DataFrame, cid: int) -> dict:
    row = rfm.loc[cid]
    return {
        "customer_id": cid,
        **{
            k: float(row[k])
            for k in ("frequency", "recency", "T", "monetary_value", "historical_value")
        },
    }


def test_one_mapping_returns_a_dict_equal_to_the_frame_row(model_path, cdnow_rfm, cdnow_clv_model):
    result = ck.predict_clv(model_path, _record(cdnow_rfm, 1), horizon="52W", discount_rate=0.1)
    assert isinstance(result, dict)
    assert result["customer_id"] == 1
    frame = cdnow_clv_model.predict_clv(cdnow_rfm, horizon="52W", discount_rate=0.1)
    for name in CLV_COLUMNS:
        assert result[name] == frame.loc[1, name]
        assert type(result[name]) is float
    assert result["lifecycle_stage"] == frame.loc[1, "lifecycle_stage"]


def test_list_of_mappings_returns_a_list(model_path, cdnow_rfm, cdnow_clv_model):
    ids = [1, 2, 3, 1516]
    results = ck.predict_clv(str(model_path), [_record(cdnow_rfm, i) for i in ids], horizon=52)
    frame = cdnow_clv_model.predict_clv(cdnow_rfm.loc[ids], horizon=52)
    assert [r["customer_id"] for r in results] == ids
    np.testing.assert_array_equal([r["expected_value"] for r in results], frame["expected_value"])


def test_frame_and_model_object_inputs(model_path, cdnow_rfm, cdnow_clv_model):
    by_path = ck.predict_clv(model_path, cdnow_rfm, horizon="26W")
    by_model = ck.predict_clv(cdnow_clv_model, cdnow_rfm, horizon="26W")
    pd.testing.assert_frame_equal(by_path, by_model)


def test_margin_field_of_a_mapping(model_path, cdnow_rfm):
    record = {**_record(cdnow_rfm, 1), "margin": 0.25}
    named = ck.predict_clv(model_path, record, horizon=10, margin="margin")
    plain = ck.predict_clv(model_path, _record(cdnow_rfm, 1), horizon=10, margin=0.25)
    assert named["expected_value"] == plain["expected_value"]


def test_file_is_loaded_once_and_reloaded_when_it_changes(model_path, cdnow_rfm, cdnow_clv_model):
    from clvkit.value import service

    service._cached.cache_clear()
    for _ in range(5):
        ck.predict_clv(model_path, _record(cdnow_rfm, 1), horizon=10)
    assert service._cached.cache_info().misses == 1
    doubled = ck.CLVModel.from_models(
        ck.BetaGeo.from_params(**cdnow_clv_model.purchase_model_.params_, time_unit="W"),
        ck.GammaGamma.from_params(
            **(cdnow_clv_model.spend_model_.params_ * [1, 1, 2]).to_dict(), time_unit="W"
        ),
    )
    before = ck.predict_clv(model_path, _record(cdnow_rfm, 1), horizon=10)
    doubled.save(model_path)
    after = ck.predict_clv(model_path, _record(cdnow_rfm, 1), horizon=10)
    assert after["expected_spend"] != before["expected_spend"]


def test_many_threads_get_the_same_answers(model_path, cdnow_rfm):
    records = [_record(cdnow_rfm, i) for i in cdnow_rfm.index[:200]]
    expected = [ck.predict_clv(model_path, r, horizon="52W", discount_rate=0.1) for r in records]
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(
            pool.map(
                lambda r: ck.predict_clv(model_path, r, horizon="52W", discount_rate=0.1),
                records * 5,
            )
        )
    assert got == expected * 5


@pytest.mark.parametrize(
    ("customers", "message"),
    [
        ({"frequency": 1, "recency": 2.0, "T": 10.0, "monetary_value": 5.0}, "historical_value"),
        (
            {
                "frequency": 1.5,
                "recency": 2.0,
                "T": 10.0,
                "monetary_value": 5.0,
                "historical_value": 9.0,
            },
            "whole number",
        ),
        (
            {
                "frequency": 1,
                "recency": 12.0,
                "T": 10.0,
                "monetary_value": 5.0,
                "historical_value": 9.0,
            },
            "recency",
        ),
        (
            {
                "frequency": "1",
                "recency": 2.0,
                "T": 10.0,
                "monetary_value": 5.0,
                "historical_value": 9.0,
            },
            "must hold numbers",
        ),
        ([], "empty"),
        ([{"frequency": 1}, 3], r"customers\[1\] must be a mapping"),
        ("customer 1", "DataFrame, a mapping or a list"),
    ],
)
def test_bad_customers_are_refused(model_path, customers, message):
    with pytest.raises(InputError, match=message):
        ck.predict_clv(model_path, customers, horizon=10)


def test_bad_model_argument(tmp_path, cdnow_bg):
    with pytest.raises(InputError, match="CLVModel or the path"):
        ck.predict_clv(42, {}, horizon=1)  # type: ignore[arg-type]
    with pytest.raises(ModelFileError, match="Cannot read"):
        ck.predict_clv(tmp_path / "missing.json", {}, horizon=1)
    path = tmp_path / "bg.json"
    cdnow_bg.save(path)
    with pytest.raises(ModelFileError, match="needs a CLVModel file"):
        ck.predict_clv(path, {}, horizon=1)


def test_service_path_imports_no_plotting(model_path):
    script = textwrap.dedent(
        f"""
        import sys
        import clvkit
        r = clvkit.predict_clv({str(model_path)!r}, {{"frequency": 2, "recency": 30.43,
            "T": 38.86, "monetary_value": 22.35, "historical_value": 74.02}}, horizon="52W")
        assert r["expected_purchases"] > 0, r
        assert "matplotlib" not in sys.modules, "matplotlib was imported"
        print("ok")
        """
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
