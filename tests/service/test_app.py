"""The reference HTTP service (examples/service/app.py), in process with FastAPI's TestClient.

Answers are compared exactly with :func:`clvkit.predict_clv` on the same model (JSON
carries floats by their shortest repr, so they survive the trip bit for bit).
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import clvkit as ck
from clvkit.errors import ModelFileError
from examples.service.app import MAX_CUSTOMERS, create_app

FIELDS = ("frequency", "recency", "T", "monetary_value", "historical_value")


def _model(v: float) -> ck.CLVModel:
    return ck.CLVModel.from_models(
        ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W"),
        ck.GammaGamma.from_params(p=6.25, q=3.74, v=v, time_unit="W"),
    )


MODEL_A, MODEL_B = _model(15.44), _model(18.12)


@pytest.fixture()
def model_path(tmp_path: Path) -> Path:
    path = tmp_path / "model.json"
    MODEL_A.save(path)
    return path


@pytest.fixture()
def client(model_path: Path) -> TestClient:
    return TestClient(create_app(model_path, horizon="52W", discount_rate=0.1, margin=0.3))


@pytest.fixture(scope="module")
def records(cdnow_rfm: pd.DataFrame) -> list[dict[str, Any]]:
    head = cdnow_rfm.iloc[:40]
    return [
        {"customer_id": f"c-{cid}", **{k: float(row[k]) for k in FIELDS}}
        for cid, row in head.iterrows()
    ]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _expected(model: ck.CLVModel, records: list[dict[str, Any]], **options: Any) -> list[dict]:
    return ck.predict_clv(model, records, **options)  # type: ignore[return-value]


def test_a_batch_gets_exactly_clvkits_columns(client, model_path, records):
    got = client.post("/predict", json={"customers": records, "horizon": "26W"})
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["model_sha256"] == _sha(model_path)
    assert (body["horizon"], body["discount_rate"], body["margin"]) == ("26W", 0.1, 0.3)
    want = _expected(MODEL_A, records, horizon="26W", discount_rate=0.1, margin=0.3)
    assert body["customers"] == want
    assert [c["customer_id"] for c in body["customers"]] == [r["customer_id"] for r in records]
    assert set(body["customers"][0]) == {"customer_id", *ck.value.CLV_COLUMNS, "lifecycle_stage"}


def test_one_customer_without_id_and_the_service_defaults(client, records):
    one = {k: records[3][k] for k in FIELDS}
    got = client.post("/predict", json={"customers": [one]})
    assert got.status_code == 200, got.text
    want = _expected(MODEL_A, [one], horizon="52W", discount_rate=0.1, margin=0.3)
    assert got.json()["customers"] == want
    assert "customer_id" not in got.json()["customers"][0]


def test_health_reports_the_files_fingerprint(client, model_path):
    health = client.get("/health").json()
    assert health["status"] == "ok"
    assert health["serving_last_good_model"] is False
    assert health["reload_error"] is None
    model = health["model"]
    assert model["sha256"] == _sha(model_path)
    assert model["path"] == str(model_path)
    assert model["input_fields"] == list(FIELDS)
    assert (model["purchase_model"], model["spend_model"]) == ("BetaGeo", "GammaGamma")


def test_a_new_model_file_is_served_on_the_next_request(client, model_path, records):
    before = client.post("/predict", json={"customers": records[:3]}).json()
    MODEL_B.save(model_path)
    after = client.post("/predict", json={"customers": records[:3]}).json()
    assert after["model_sha256"] == _sha(model_path) != before["model_sha256"]
    assert after["customers"] == _expected(
        MODEL_B, records[:3], horizon="52W", discount_rate=0.1, margin=0.3
    )
    assert client.get("/health").json()["model"]["sha256"] == after["model_sha256"]


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _directory(path: Path) -> None:
    path.unlink()
    path.mkdir()


def _missing(path: Path) -> None:
    path.unlink()


def _not_clvkit(path: Path) -> None:
    path.write_text(json.dumps({"weights": [1, 2, 3]}))


def _another_kind(path: Path) -> None:
    MODEL_B.purchase_model_.save(path)  # a valid file, but a BetaGeo alone


def _bad_value(path: Path) -> None:
    doc = json.loads(path.read_text())
    doc["components"]["spend"]["params"]["v"] = -1.0
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (_truncate, "not valid JSON"),
        (_empty, "is empty"),
        (_directory, "is a directory"),
        (_missing, "No such file"),
        (_not_clvkit, "not a clvkit model file"),
        (_another_kind, "holds a BetaGeo"),
        (_bad_value, "must be finite and > 0"),
    ],
)
def test_a_bad_replacement_is_refused_and_the_last_good_model_answers(
    client, model_path, records, spoil, message
):
    good_sha = _sha(model_path)
    spoil(model_path)
    for _ in range(2):  # refused once, remembered, still answering
        got = client.post("/predict", json={"customers": records[:5]})
        assert got.status_code == 200, got.text
        assert got.json()["model_sha256"] == good_sha
        assert got.json()["customers"] == _expected(
            MODEL_A, records[:5], horizon="52W", discount_rate=0.1, margin=0.3
        )
    health = client.get("/health").json()
    assert health["status"] == "degraded"
    assert health["serving_last_good_model"] is True
    assert health["model"]["sha256"] == good_sha
    assert message in health["reload_error"]["message"]
    assert str(model_path) in health["reload_error"]["message"]
    # a good file replaces it: served, and health is clear again
    if model_path.is_dir():
        model_path.rmdir()
    MODEL_B.save(model_path)
    assert client.post("/predict", json={"customers": records[:1]}).json()["model_sha256"] == (
        _sha(model_path)
    )
    health = client.get("/health").json()
    assert (health["status"], health["serving_last_good_model"]) == ("ok", False)
    assert health["model"]["sha256"] == _sha(model_path)


def test_the_good_file_coming_back_clears_the_refusal(client, model_path, tmp_path):
    keep = tmp_path / "keep.json"
    model_path.rename(keep)  # the same inode, size and mtime come back below
    assert client.get("/health").json()["status"] == "degraded"
    keep.rename(model_path)
    assert client.get("/health").json()["status"] == "ok"


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "is empty"), (b'{"format": "clvkit-model"', "not valid JSON")],
)
def test_the_service_does_not_start_on_a_bad_file(tmp_path, content, message):
    path = tmp_path / "model.json"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message) as info:
        create_app(path)
    assert str(path) in str(info.value)


def _refusal(client: TestClient, body: Any, **kwargs: Any) -> dict[str, Any]:
    got = (
        client.post("/predict", json=body, **kwargs)
        if body is not None
        else client.post("/predict", **kwargs)
    )
    assert got.status_code == 422, got.text
    return dict(got.json()["error"])


def _with(records: list[dict[str, Any]], i: int, **changes: Any) -> list[dict[str, Any]]:
    out = [dict(r) for r in records[:4]]
    out[i].update(changes)
    return out


def test_unknown_and_missing_customer_fields_are_named(client, records):
    err = _refusal(client, {"customers": _with(records, 2, monetary=3.0)})
    assert err["field"] == "customers[2].monetary"
    assert "not a customer field" in err["message"] and err["customers"] == [2]
    batch = [dict(r) for r in records[:4]]
    del batch[1]["recency"]
    err = _refusal(client, {"customers": batch})
    assert err["field"] == "customers[1].recency"
    assert "missing in 1 of 4" in err["message"]


@pytest.mark.parametrize(
    ("value", "field"),
    [("2", "frequency"), (True, "frequency"), (None, "T"), ([1.0], "monetary_value")],
)
def test_a_field_that_is_not_a_number_is_named(client, records, value, field):
    err = _refusal(client, {"customers": _with(records, 0, **{field: value})})
    assert err["field"] == f"customers[0].{field}"
    assert "must be a number" in err["message"]


def test_a_bad_customer_id_is_named(client, records):
    err = _refusal(client, {"customers": _with(records, 3, customer_id=1.5)})
    assert err["field"] == "customers[3].customer_id"


def test_clvkits_value_rules_come_back_naming_field_and_customers(client, records):
    batch = _with(records, 1, recency=records[1]["T"] + 1.0)
    err = _refusal(client, {"customers": batch})
    assert (err["type"], err["field"]) == ("InputError", "customers[1].recency")
    assert err["customers"] == [1]
    assert "must be <= column 'T'" in err["message"]
    batch[3].update(frequency=1.5)
    batch[1].update(frequency=2.5)
    err = _refusal(client, {"customers": batch})
    assert (err["field"], err["customers"]) == ("customers.frequency", [1, 3])
    assert "whole number" in err["message"]


@pytest.mark.parametrize(
    ("options", "field", "kind"),
    [
        ({"horizon": "52X"}, "horizon", "UnitError"),
        ({"horizon": -3}, "horizon", "UnitError"),
        ({"step": "1Z"}, "step", "UnitError"),
        ({"discount_rate": -0.5}, "discount_rate", "InputError"),
        ({"margin": 1.5}, "margin", "InputError"),
        ({"discount_rate": "0.1"}, "discount_rate", "RequestValidationError"),
        ({"horizn": "52W"}, "horizn", "RequestValidationError"),
    ],
)
def test_bad_options_are_named(client, records, options, field, kind):
    err = _refusal(client, {"customers": records[:2], **options})
    assert (err["field"], err["type"]) == (field, kind)


def test_bad_envelopes_are_named(client, records):
    assert _refusal(client, {"customers": []})["field"] == "customers"
    assert _refusal(client, {"customers": {"frequency": 1}})["field"] == "customers"
    assert _refusal(client, {"customers": [records[0], 7]})["field"] == "customers[1]"
    assert _refusal(client, {"horizon": "52W"})["field"] == "customers"
    too_many = {"customers": [records[0]] * (MAX_CUSTOMERS + 1)}
    err = _refusal(client, too_many)
    assert err["field"] == "customers" and f"{MAX_CUSTOMERS}" in err["message"]
    err = _refusal(
        client, None, content=b'{"customers": [', headers={"content-type": "application/json"}
    )
    assert err["field"] == "body" and "not valid JSON" in err["message"]


def test_import_clvkit_imports_no_service_or_benchmark_package():
    code = (
        "import sys, clvkit\n"
        "bad = [m for m in ('fastapi', 'uvicorn', 'starlette', 'asv', 'asv_runner', 'httpx')"
        " if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
