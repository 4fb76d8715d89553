"""The clvkit command end to end on CDNOW in a temporary folder: the files each
subcommand writes hold what the Python API computes on the same data, and bad input gets
one clear line, the right exit status and no output file."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.cli import main
from clvkit.errors import DataWarning


def run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    status = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return status, out, err


def api_rfm(log: pd.DataFrame, **options: object) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return ck.rfm_summary(log, monetary="amount", time_unit="W", **options)  # type: ignore[arg-type]


def test_rfm_fit_score_give_the_api_numbers(
    tmp_path: Path, cdnow_csv: Path, cdnow_log: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    rfm_file, model_file, clv_file = (
        tmp_path / "rfm.parquet",
        tmp_path / "m.json",
        tmp_path / "c.parquet",
    )

    status, _, err = run(capsys, "rfm", cdnow_csv, "--amount", "amount", "-o", rfm_file)
    assert status == 0, err
    assert "repeat an earlier row exactly" in err  # the log's DataWarning, as a warning line
    expected = api_rfm(cdnow_log)
    written = pd.read_parquet(rfm_file).set_index("customer_id")
    pd.testing.assert_frame_equal(written, expected, check_like=False, check_names=False)
    import pyarrow.parquet as pq

    record = json.loads(pq.read_schema(rfm_file).metadata[b"clvkit"])
    assert record["attrs"]["time_unit"] == "W"
    assert record["kind"] == "rfm_summary"

    status, out, err = run(capsys, "fit", rfm_file, "--model", "pnbd", "-o", model_file)
    assert status == 0, err
    assert "Pareto/NBD fitted on 2,357 customers" in out
    assert all(name in out for name in ("r", "alpha", "s", "beta", "Gamma-Gamma", "lower"))
    model = ck.load_model(model_file)
    direct = ck.CLVModel(purchase_model=ck.ParetoNBD()).fit(expected)
    np.testing.assert_allclose(
        model.purchase_model_.params_, direct.purchase_model_.params_, rtol=1e-10
    )
    np.testing.assert_allclose(model.spend_model_.params_, direct.spend_model_.params_, rtol=1e-10)

    status, out, err = run(
        capsys, "score", model_file, rfm_file, "--horizon", "52W", "--discount-rate", "0.1",
        "--margin", "0.3", "--interval", "0.9", "-o", clv_file,
    )  # fmt: skip
    assert status == 0, err
    assert "scored 2,357 customers" in out
    scores = pd.read_parquet(clv_file).set_index("customer_id")
    api = model.predict_clv(expected, horizon="52W", discount_rate=0.1, margin=0.3, interval=0.9)
    numeric = [c for c in api.columns if c != "lifecycle_stage"]
    np.testing.assert_allclose(scores[numeric].to_numpy(), api[numeric].to_numpy(), rtol=1e-12)
    assert (scores["lifecycle_stage"].astype(str) == api["lifecycle_stage"].astype(str)).all()


def test_csv_summary_carries_its_unit_and_a_unit_mismatch_is_refused(
    tmp_path: Path, cdnow_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    weeks, months = tmp_path / "w.csv", tmp_path / "m.csv"
    model = tmp_path / "model.json"
    assert run(capsys, "rfm", cdnow_csv, "--amount", "amount", "-o", weeks, "-q")[0] == 0
    first = weeks.read_text().splitlines()[0]
    assert first.startswith("# clvkit ") and '"time_unit":"W"' in first
    assert run(capsys, "fit", weeks, "-o", model, "-q")[0] == 0
    assert ck.load_model(model).time_unit_ == "W"
    opts = ("--amount", "amount", "--time-unit", "M", "-q")
    assert run(capsys, "rfm", cdnow_csv, *opts, "-o", months)[0] == 0
    status, _, err = run(
        capsys, "score", model, months, "--horizon", "12M", "-o", tmp_path / "s.csv"
    )
    assert status == 1
    assert "UnitError" in err and "'W'" in err and "'M'" in err
    assert not (tmp_path / "s.csv").exists()


def test_a_summary_without_a_recorded_unit_needs_time_unit(
    tmp_path: Path, cdnow_log: pd.DataFrame, capsys: pytest.CaptureFixture[str]
) -> None:
    plain = tmp_path / "plain.csv"
    api_rfm(cdnow_log).to_csv(plain)  # written by pandas: no unit recorded
    model = tmp_path / "m.json"
    status, _, err = run(capsys, "fit", plain, "-o", model)
    assert status == 2
    assert "--time-unit" in err and "does not record its time unit" in err
    assert not model.exists()
    status, _, err = run(capsys, "fit", plain, "--time-unit", "W", "-o", model, "-q")
    assert status == 0, err
    assert ck.load_model(model).time_unit_ == "W"


def test_fit_on_a_calibration_summary_checks_the_holdout(
    tmp_path: Path, cdnow_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cal = tmp_path / "cal.parquet"
    opts = ("--amount", "amount", "--calibration-end", "1997-09-30", "-q")
    assert run(capsys, "rfm", cdnow_csv, *opts, "-o", cal)[0] == 0
    status, out, _ = run(capsys, "fit", cal, "-o", tmp_path / "m.json", "-q")
    assert status == 0
    # the published BG/NBD estimates on the CDNOW calibration period (Fader, Hardie & Lee 2005)
    assert "BG/NBD fitted on 2,357 customers" in out and "-9,582.4" in out
    assert "Holdout check" in out and "mae" in out


LOG_ROWS = "customer_id,date,amount\n1,2020-01-01,3\n1,2020-02-01,4\n2,2020-01-05,5\n"


@pytest.mark.parametrize(
    ("log_text", "extra", "status", "message"),
    [
        (None, ("--date", "day"), 1, "no column 'day'; the columns are 'customer_id', 'date'"),
        ("customer_id,date,amount\n1,notadate,3\n2,2020-01-01,4\n", (), 1, "must parse"),
        ("customer_id,date,amount\n", (), 1, "has no transactions"),
        (LOG_ROWS, ("--amount", "amount", "--time-unit", "fortnight"), 2, "invalid choice"),
        (LOG_ROWS, ("--observation-end", "2019-01-01"), 1, "InputError"),
        ("a;b\n1;2\n", (), 1, "no column"),
    ],
    ids=[
        "missing-column",
        "unparseable-date",
        "empty-log",
        "bad-option",
        "end-before-log",
        "not-csv",
    ],
)
def test_bad_logs_get_one_line_and_no_output(
    tmp_path: Path,
    cdnow_csv: Path,
    capsys: pytest.CaptureFixture[str],
    log_text: str | None,
    extra: tuple[str, ...],
    status: int,
    message: str,
) -> None:
    log = cdnow_csv
    if log_text is not None:
        log = tmp_path / "log.csv"
        log.write_text(log_text)
    out = tmp_path / "rfm.parquet"
    got, _, err = run(capsys, "rfm", log, *extra, "-o", out)
    assert got == status
    assert message in err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 or status == 2  # argparse adds its usage line
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name != "log.csv"] == []  # no temp files


def test_missing_files_and_folders_are_usage_errors(
    tmp_path: Path, cdnow_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, "rfm", tmp_path / "nope.csv", "-o", tmp_path / "r.parquet")
    assert status == 2 and "does not exist" in err
    status, _, err = run(capsys, "rfm", cdnow_csv, "-o", tmp_path / "no" / "r.parquet")
    assert status == 2 and "the folder" in err and "does not exist" in err
    status, _, err = run(capsys, "rfm", cdnow_csv, "-o", tmp_path / "r.xlsx")
    assert status == 2 and "unknown file type" in err
    status, _, err = run(capsys, "report", cdnow_csv, "-o", tmp_path / "no" / "r.html")
    assert status == 2 and "does not exist" in err
    status, _, err = run(
        capsys, "score", tmp_path / "m.json", cdnow_csv, "--horizon", "1Y", "-o", tmp_path / "c.csv"
    )
    assert status == 2 and "model file" in err
    status, _, err = run(capsys, "fit")
    assert status == 2 and "required" in err
    assert list(tmp_path.iterdir()) == []


def test_a_failed_run_leaves_an_existing_output_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "log.csv"
    log.write_text("customer_id,date,amount\n1,notadate,3\n")
    out = tmp_path / "rfm.csv"
    out.write_text("previous result\n")
    assert run(capsys, "rfm", log, "-o", out)[0] == 1
    assert out.read_text() == "previous result\n"


def test_errors_show_a_traceback_only_with_debug(
    tmp_path: Path, cdnow_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("rfm", cdnow_csv, "--amount", "amt", "-o", tmp_path / "r.csv")
    status, _, err = run(capsys, *args)
    assert status == 1 and "Traceback" not in err and "InputError" in err
    status, _, err = run(capsys, *args, "--debug")
    assert status == 1 and "Traceback" in err


@pytest.mark.parametrize("command", ["rfm", "fit", "score", "report"])
def test_help_shows_an_example(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, command, "--help")
    assert status == 0
    assert "example:" in out and f"clvkit {command} " in out


def test_the_console_script_is_installed() -> None:
    script = shutil.which("clvkit", path=str(Path(sys.executable).parent))
    assert script is not None, "pip install -e . declares the clvkit console script"
    result = subprocess.run(
        [script, "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"clvkit {ck.__version__}"
    result = subprocess.run(
        [script, "rfm"], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2 and "required" in result.stderr


def test_quiet_success_prints_nothing_on_stderr(
    tmp_path: Path, cdnow_csv: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, _, err = run(capsys, "rfm", cdnow_csv, "-q", "-o", tmp_path / "r.parquet")
    assert status == 0 and err == ""
