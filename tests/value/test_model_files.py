"""Model files: JSON round trip, bit-identical predictions in a new process, tampering refused."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.errors import ModelFileError


@pytest.fixture()
def model_file(tmp_path: Path, cdnow_clv_model: ck.CLVModel) -> Path:
    path = tmp_path / "model.json"
    cdnow_clv_model.save(path)
    return path


def test_file_holds_the_documented_fields(model_file):
    doc = json.loads(model_file.read_text())
    assert doc["format"] == "clvkit-model"
    assert doc["format_version"] == 2
    assert doc["clvkit_version"] == ck.__version__
    assert doc["kind"] == "CLVModel"
    assert doc["time_unit"] == "W"
    assert doc["grain"] == "D"
    assert set(doc["components"]) == {"purchase", "spend"}
    purchase = doc["components"]["purchase"]
    assert purchase["params"]["r"] == pytest.approx(0.2426, abs=1e-4)
    assert purchase["fit"]["diagnostics"]["converged"] is True
    # every hyper-parameter of the model, read from its constructor
    assert purchase["hyperparameters"] == {
        "penalizer": 0.0,
        "initial_params": None,
        "tol": 1e-10,
        "max_iter": 200,
    }
    assert set(doc["components"]["spend"]["hyperparameters"]) == {
        "penalizer",
        "initial_params",
        "tol",
        "max_iter",
        "q_constraint",
    }
    assert b"pickle" not in model_file.read_bytes()


def test_round_trip_restores_an_identical_model(model_file, cdnow_clv_model, cdnow_rfm):
    loaded = ck.load_model(model_file)
    assert isinstance(loaded, ck.CLVModel)
    pd.testing.assert_series_equal(
        loaded.purchase_model_.params_, cdnow_clv_model.purchase_model_.params_
    )
    pd.testing.assert_frame_equal(
        loaded.purchase_model_.summary(), cdnow_clv_model.purchase_model_.summary()
    )
    assert loaded.purchase_model_.log_likelihood_ == cdnow_clv_model.purchase_model_.log_likelihood_
    assert loaded.purchase_model_.diagnostics_ == cdnow_clv_model.purchase_model_.diagnostics_
    assert loaded.grain_ == "D"
    args = {"horizon": "52W", "discount_rate": 0.1, "margin": 0.3}
    pd.testing.assert_frame_equal(
        loaded.predict_clv(cdnow_rfm, **args),
        cdnow_clv_model.predict_clv(cdnow_rfm, **args),
        check_exact=True,
    )


def test_single_models_round_trip(tmp_path, cdnow_bg, cdnow_gg, cdnow_rfm):
    for model in (cdnow_bg, cdnow_gg):
        path = tmp_path / f"{type(model).__name__}.json"
        model.save(path)
        loaded = ck.load_model(path)
        assert type(loaded) is type(model)
        pd.testing.assert_series_equal(loaded.params_, model.params_, check_exact=True)
        again = type(model).load(path)
        pd.testing.assert_frame_equal(again.summary(), model.summary(), check_exact=True)


def test_a_file_of_another_kind_is_refused_by_name(tmp_path, cdnow_gg):
    path = tmp_path / "gg.json"
    cdnow_gg.save(path)
    with pytest.raises(ModelFileError, match=r"gg\.json.*holds a GammaGamma, not a BetaGeo"):
        ck.BetaGeo.load(path)


def test_version_1_files_of_clvkit_0_1_still_load(model_file, cdnow_clv_model, cdnow_rfm):
    # clvkit 0.1 wrote format_version 1 with three hyper-parameters per component
    doc = json.loads(model_file.read_text())
    doc["format_version"] = 1
    doc["clvkit_version"] = "0.1.0"
    for part in doc["components"].values():
        part["hyperparameters"] = {"penalizer": 0.0, "tol": 1e-10, "max_iter": 200}
    model_file.write_text(json.dumps(doc))
    loaded = ck.load_model(model_file)
    args = {"horizon": "52W", "discount_rate": 0.1, "margin": 0.3}
    pd.testing.assert_frame_equal(
        loaded.predict_clv(cdnow_rfm, **args),
        cdnow_clv_model.predict_clv(cdnow_rfm, **args),
        check_exact=True,
    )
    assert loaded.spend_model_.q_constraint is False


def test_saving_is_atomic_and_leaves_no_temporary_file(tmp_path, cdnow_clv_model):
    path = tmp_path / "model.json"
    for _ in range(3):
        cdnow_clv_model.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]
    with pytest.raises(ModelFileError, match="no folder"):
        cdnow_clv_model.save(tmp_path / "missing" / "model.json")


def test_new_process_gives_bit_identical_output(model_file, cdnow_clv_model, cdnow_rfm, tmp_path):
    out = tmp_path / "clv.pkl"
    script = textwrap.dedent(
        f"""
        import pickle, clvkit as ck
        tx = ck.datasets.load_cdnow_transactions()
        tx = tx[tx["date"] <= "1997-09-30"]
        rfm = ck.rfm_summary(tx, monetary="amount", time_unit="W", observation_end="1997-09-30")
        model = ck.load_model({str(model_file)!r})
        clv = model.predict_clv(rfm, horizon="52W", discount_rate=0.1, margin=0.3)
        with open({str(out)!r}, "wb") as f:
            pickle.dump(clv, f)
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True)
    with open(out, "rb") as f:
        theirs = pickle.load(f)
    ours = cdnow_clv_model.predict_clv(cdnow_rfm, horizon="52W", discount_rate=0.1, margin=0.3)
    pd.testing.assert_frame_equal(theirs, ours, check_exact=True)
    for col in ck.value.CLV_COLUMNS:
        assert np.array_equal(theirs[col].to_numpy(), ours[col].to_numpy())


def _tamper(path: Path, edit) -> Path:
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))
    return path


TAMPERING = [
    (
        "negative parameter",
        lambda d: d["components"]["purchase"]["params"].update(r=-0.2),
        r"params\.r must be finite and > 0",
    ),
    (
        "string parameter",
        lambda d: d["components"]["spend"]["params"].update(p="6.25"),
        r"params\.p must be a number",
    ),
    ("wrong version", lambda d: d.update(format_version=3), "format_version 3"),
    ("other format", lambda d: d.update(format="pickle"), "not a clvkit model file"),
    (
        "unknown kind",
        lambda d: d.update(kind="os.system"),
        r"model\.json.*model kind 'os\.system'.*kinds that exist are \[.*'BetaGeo'",
    ),
    (
        "unknown model kind",
        lambda d: d["components"]["purchase"].update(kind="Pareto"),
        r"model\.json.*model kind 'Pareto', which this clvkit does not know",
    ),
    (
        "extra field",
        lambda d: d.update(payload="__import__('os')"),
        r"unknown field\(s\) \['payload'\]",
    ),
    ("missing field", lambda d: d["components"]["purchase"].pop("params"), "missing the field"),
    (
        "missing parameter",
        lambda d: d["components"]["purchase"]["params"].pop("b"),
        r"missing the field\(s\) \['b'\]",
    ),
    ("unit mismatch", lambda d: d.update(time_unit="D"), "does not match"),
    ("bad time unit", lambda d: d.update(time_unit="fortnight"), "time_unit"),
    (
        "bad diagnostics type",
        lambda d: d["components"]["purchase"]["fit"]["diagnostics"].update(converged="yes"),
        "converged has the wrong type",
    ),
    (
        "non-square information",
        lambda d: d["components"]["purchase"]["fit"].update(information=[[1.0]]),
        "4x4",
    ),
]


@pytest.mark.parametrize(("case", "edit", "message"), TAMPERING, ids=[t[0] for t in TAMPERING])
def test_tampered_files_are_refused(model_file, case, edit, message):
    with pytest.raises(ModelFileError, match=message):
        ck.load_model(_tamper(model_file, edit))


def test_not_json_missing_and_pickle_files_are_refused(tmp_path, cdnow_clv_model):
    with pytest.raises(ModelFileError, match="Cannot read"):
        ck.load_model(tmp_path / "absent.json")
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\x80\x04not json")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        ck.load_model(garbage)
    pickled = tmp_path / "model.pkl"
    pickled.write_bytes(pickle.dumps(cdnow_clv_model))
    with pytest.raises(ModelFileError):
        ck.load_model(pickled)
