"""asv benchmarks over the cases of ``python -m benchmarks`` (see the package docstring).

asv imports this file with ``benchmarks/`` on ``sys.path``; the repository root is
appended (last, so ``import clvkit`` still finds the commit asv installed, not this
checkout's source) so the data helpers (:mod:`benchmarks.data`) and the size plans
(:mod:`benchmarks.run`) are the same as the comparison script's. Each class loads (or
simulates once, then caches under ``benchmarks/.cache/``) its data in ``setup``; the
timed methods use only clvkit's public API, so the suite runs against older commits too.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, ClassVar

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))

from benchmarks import data  # noqa: E402
from benchmarks.run import PLANS  # noqa: E402

MODE = os.environ.get("CLVKIT_BENCH_SIZES", "full")
if MODE not in PLANS:
    raise ValueError(f"CLVKIT_BENCH_SIZES must be one of {sorted(PLANS)}. Got {MODE!r}.")
BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # Fader, Hardie & Lee (2005)
GG = {"p": 6.25, "q": 3.74, "v": 15.44}
ONE = {"frequency": 2, "recency": 30.43, "T": 38.86, "monetary_value": 22.35,
       "historical_value": 74.02}  # fmt: skip


def _sizes(case: str) -> list[int]:
    return list(PLANS[MODE][case][0])


def _clv_model() -> Any:
    import clvkit as ck

    return ck.CLVModel.from_models(
        ck.BetaGeo.from_params(**BG, time_unit="W"),
        ck.GammaGamma.from_params(**GG, time_unit="W"),
    )


class _Timed:
    timeout = 900.0  # the first setup at 10M simulates the cohort (about 2 minutes)
    param_names: ClassVar[list[str]] = ["customers"]


class BetaGeoFit(_Timed):
    """``BetaGeo().fit(frequency=, recency=, T=)`` on a daily-grain cohort."""

    params = _sizes("bgnbd_fit")

    def setup(self, n: int) -> None:
        self.c = data.load_cohort(data.cohort(n))

    def time_fit(self, n: int) -> None:
        import clvkit as ck

        ck.BetaGeo().fit(frequency=self.c["frequency"], recency=self.c["recency"], T=self.c["T"])

    def peakmem_fit(self, n: int) -> None:
        self.time_fit(n)


class BetaGeoFitDistinct(_Timed):
    """``BetaGeo().fit`` on a cohort whose rows are all distinct (times to the second)."""

    params = _sizes("bgnbd_fit_distinct")

    def setup(self, n: int) -> None:
        self.c = data.load_cohort(data.distinct_cohort(n))

    def time_fit(self, n: int) -> None:
        import clvkit as ck

        ck.BetaGeo().fit(frequency=self.c["frequency"], recency=self.c["recency"], T=self.c["T"])

    def peakmem_fit(self, n: int) -> None:
        self.time_fit(n)


class _PurchaseFit(_Timed):
    """A purchase model's ``fit`` on a daily-grain cohort drawn from its own simulator."""

    model = ""
    kernel = ""

    def setup(self, n: int) -> None:
        path = data.donor_cohort(n) if self.kernel == "bgbb" else data.daily_cohort(n, self.kernel)
        self.c = data.load_cohort(path)

    def time_fit(self, n: int) -> None:
        import clvkit as ck

        cls = getattr(ck, self.model)
        cls().fit(frequency=self.c["frequency"], recency=self.c["recency"], T=self.c["T"])


class ModifiedBetaGeoFit(_PurchaseFit):
    """``ModifiedBetaGeo().fit`` (MBG/NBD)."""

    params = _sizes("mbgnbd_fit")
    model, kernel = "ModifiedBetaGeo", "mbgnbd"


class ParetoNBDFit(_PurchaseFit):
    """``ParetoNBD().fit`` (Pareto/NBD)."""

    params = _sizes("pareto_fit")
    model, kernel = "ParetoNBD", "pareto_nbd"


class BetaGeoBetaFit(_PurchaseFit):
    """``BetaGeoBeta().fit`` (BG/BB) on donors over 10 occasions."""

    params = _sizes("bgbb_fit")
    model, kernel = "BetaGeoBeta", "bgbb"


class GammaGammaFit(_Timed):
    """``GammaGamma().fit(frequency=, monetary_value=)`` on the cohort's repeat buyers."""

    params = _sizes("gammagamma_fit")

    def setup(self, n: int) -> None:
        c = data.load_cohort(data.cohort(n))
        repeat = c["frequency"] > 0
        self.f, self.m = c["frequency"][repeat], c["monetary_value"][repeat]

    def time_fit(self, n: int) -> None:
        import clvkit as ck

        ck.GammaGamma().fit(frequency=self.f, monetary_value=self.m)


class RFMSummary(_Timed):
    """``rfm_summary`` of a simulated transaction log (size = transactions)."""

    params = _sizes("rfm_summary")
    param_names: ClassVar[list[str]] = ["transactions"]

    def setup(self, n: int) -> None:
        self.tx = data.load_log(data.transaction_log(n))

    def time_rfm_summary(self, n: int) -> None:
        import clvkit as ck

        ck.rfm_summary(
            self.tx, monetary="amount", time_unit="W", observation_end=data.OBSERVATION_END
        )


class PredictCLV(_Timed):
    """``predict_clv(model, customers, horizon="52W", discount_rate=0.10)``: 52 steps."""

    params = _sizes("clv_predict")

    def setup(self, n: int) -> None:
        import pandas as pd

        c = data.load_cohort(data.cohort(n))
        self.frame = pd.DataFrame(c)
        self.frame.attrs["time_unit"] = "W"
        self.model = _clv_model()

    def time_predict_clv(self, n: int) -> None:
        import clvkit as ck

        ck.predict_clv(self.model, self.frame, horizon="52W", discount_rate=0.10)

    def peakmem_predict_clv(self, n: int) -> None:
        self.time_predict_clv(n)


class PredictCLVPareto(_Timed):
    """``predict_clv`` with a Pareto/NBD purchase model (52 weekly steps)."""

    params = _sizes("clv_predict_pareto")

    def setup(self, n: int) -> None:
        import pandas as pd

        import clvkit as ck

        c = data.load_cohort(data.cohort(n))
        self.frame = pd.DataFrame(c)
        self.frame.attrs["time_unit"] = "W"
        pareto = dict(
            zip(("r", "alpha", "s", "beta"), data.MODEL_PARAMS["pareto_nbd"], strict=True)
        )
        self.model = ck.CLVModel.from_models(
            ck.ParetoNBD.from_params(**pareto, time_unit="W"),
            ck.GammaGamma.from_params(**GG, time_unit="W"),
        )

    def time_predict_clv(self, n: int) -> None:
        import clvkit as ck

        ck.predict_clv(self.model, self.frame, horizon="52W", discount_rate=0.10)


_MODEL_FILE: list[str] = []


def _model_file() -> str:
    """One model file per process (asv may run ``setup`` before every timed call)."""
    if not _MODEL_FILE:
        folder = tempfile.mkdtemp(prefix="clvkit-asv-")
        atexit.register(shutil.rmtree, folder, True)
        path = os.path.join(folder, "model.json")
        _clv_model().save(path)
        _MODEL_FILE.append(path)
    return _MODEL_FILE[0]


class PredictOneFromFile:
    """One customer through ``clvkit.predict_clv("model.json", {...})`` (file cached).

    Each sample is the mean of 100 calls and 20 samples are taken per round, so that a
    shared, noisy machine still gives ``asv continuous`` a significant difference.
    """

    number = 100
    repeat = 20
    timeout = 300.0

    def setup(self) -> None:
        import clvkit as ck

        self.path = _model_file()
        ck.predict_clv(self.path, ONE, horizon="52W", discount_rate=0.10)  # loads the file

    def time_predict_clv_one(self) -> None:
        import clvkit as ck

        ck.predict_clv(self.path, ONE, horizon="52W", discount_rate=0.10)
