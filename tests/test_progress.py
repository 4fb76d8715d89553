"""Progress bars: drawn where someone watches, silent elsewhere, never imported by
``import clvkit``; each long function advances its bar by the work it did."""

from __future__ import annotations

import subprocess
import sys
import warnings
from typing import Any, ClassVar

import pandas as pd
import pytest

import clvkit as ck
from clvkit import _progress
from clvkit.errors import DataWarning, InputError


class Recorder:
    """Stands in for tqdm's class: records every bar made and what it was told."""

    made: ClassVar[list[Recorder]] = []

    def __init__(self, **options: Any) -> None:
        self.options = options
        self.done = 0.0
        self.descriptions: list[str] = []
        self.closed = False
        Recorder.made.append(self)

    def update(self, n: float = 1) -> None:
        self.done += n

    def set_description_str(self, desc: str) -> None:
        self.descriptions.append(desc)

    def close(self) -> None:
        self.closed = True


@pytest.fixture()
def bars(monkeypatch: pytest.MonkeyPatch) -> list[Recorder]:
    Recorder.made = []
    monkeypatch.setattr(_progress, "_tqdm_class", lambda explicit: Recorder)
    return Recorder.made


@pytest.fixture(scope="module")
def small_rfm(cdnow_rfm: pd.DataFrame) -> pd.DataFrame:
    return cdnow_rfm.iloc[:600]


def test_import_clvkit_imports_no_progress_or_cli_library() -> None:
    # (pyarrow is not in the list: pandas 3 imports it itself when it is installed)
    names = ("tqdm", "clvkit.cli", "matplotlib", "ipywidgets")
    code = f"import sys, clvkit; print(sorted(m for m in {names!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("bad", [1, "yes", 0.5])
def test_progress_must_be_a_bool_or_none(bad: object, cdnow_rfm: pd.DataFrame) -> None:
    with pytest.raises(InputError, match=r"'progress' argument of BetaGeo\.fit"):
        ck.BetaGeo().fit(cdnow_rfm, progress=bad)  # type: ignore[arg-type]


def test_the_default_is_silent_off_a_terminal(
    bars: list[Recorder], monkeypatch: pytest.MonkeyPatch, cdnow_rfm: pd.DataFrame
) -> None:
    monkeypatch.setattr(_progress, "_stderr_is_terminal", lambda: False)
    ck.BetaGeo().fit(cdnow_rfm)
    assert bars == []
    monkeypatch.setattr(_progress, "_stderr_is_terminal", lambda: True)
    ck.BetaGeo().fit(cdnow_rfm)
    assert len(bars) == 1 and bars[0].options["delay"] == 1.0  # short fits stay silent
    ck.BetaGeo().fit(cdnow_rfm, progress=False)
    assert len(bars) == 1


def test_each_long_function_advances_its_bar(
    bars: list[Recorder], cdnow_transactions: pd.DataFrame, small_rfm: pd.DataFrame
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        ck.rfm_summary(cdnow_transactions, monetary="amount", time_unit="W", progress=True)
        ck.calibration_holdout(
            cdnow_transactions, calibration_end="1997-09-30", time_unit="W", progress=True
        )
    summary, split = bars
    assert summary.done == summary.options["total"] == 2 and summary.closed
    assert split.done == split.options["total"] == 1 and split.closed

    bg = ck.BetaGeo().fit(small_rfm, progress=True)
    fit = bars[2]
    assert fit.options["total"] is None and fit.done >= bg.diagnostics_.n_iter

    model = ck.CLVModel().fit(small_rfm, progress=False)
    assert len(bars) == 3
    model.predict_clv(small_rfm, horizon="52W", progress=True)
    assert bars[3].done == bars[3].options["total"] == 600
    model.predict_clv(small_rfm, horizon="52W", interval=0.9, progress=True)
    assert bars[4].done == bars[4].options["total"] == 1200  # values, then their bounds


def test_a_bootstrap_counts_its_refits_and_silences_theirs(
    bars: list[Recorder], small_rfm: pd.DataFrame
) -> None:
    bg = ck.BetaGeo().fit(small_rfm, progress=False)
    bg.bootstrap(small_rfm, n_draws=6, random_state=1, progress=True)
    assert len(bars) == 1  # the refits' own bars are silenced
    assert bars[0].done == bars[0].options["total"] == 6
    model = ck.CLVModel().fit(small_rfm, progress=False)
    model.bootstrap(small_rfm, n_draws=4, random_state=1, n_jobs=2, progress=True)
    assert len(bars) == 2 and bars[1].done == 4
    bg.bootstrap(small_rfm, n_draws=3, random_state=1, progress=False)
    assert len(bars) == 2


def test_a_real_bar_goes_to_stderr(
    capsys: pytest.CaptureFixture[str], small_rfm: pd.DataFrame
) -> None:
    pytest.importorskip("tqdm")
    bg = ck.BetaGeo().fit(small_rfm, progress=False)
    bg.bootstrap(small_rfm, n_draws=3, random_state=1, progress=True)
    out, err = capsys.readouterr()
    assert out == ""
    assert "BetaGeo.bootstrap" in err and "0/3 [" in err  # tqdm draws at once, then throttles


def test_without_tqdm_an_explicit_request_warns_once(
    monkeypatch: pytest.MonkeyPatch, small_rfm: pd.DataFrame
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now fails
    monkeypatch.setattr(_progress, "_warned_missing", False)
    monkeypatch.setattr(_progress, "_stderr_is_terminal", lambda: True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ck.BetaGeo().fit(small_rfm)  # the default: silent
        ck.BetaGeo().fit(small_rfm, progress=True)
        ck.BetaGeo().fit(small_rfm, progress=True)
    messages = [str(w.message) for w in caught]
    assert messages == ['progress=True needs the tqdm package: pip install "clvkit[progress]"']
