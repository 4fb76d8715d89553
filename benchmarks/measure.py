"""One measurement, run in its own subprocess: ``python -m benchmarks.measure SPEC``.

``SPEC`` is JSON: ``{"case", "library", "data", "repeat"}``. The child loads the input,
resets the kernel's peak-RSS counter (``/proc/self/clear_refs``), runs the timed call
``repeat`` times (best wall time kept), and prints one JSON line: seconds, peak memory
above the loaded input, and what is needed to compare the two libraries' results
(parameters, or a digest of the output). A fresh process per measurement isolates both the
timings (no warm caches from the other library) and the peak memory.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import data

#: lifetimes' monthly CLV steps are 4.345 weeks; 12 of them cover the 52-week horizon
LIFETIMES_MONTHS = 12
YEARLY_DISCOUNT = 0.10
MONTHLY_DISCOUNT = (1.0 + YEARLY_DISCOUNT) ** (1.0 / 12.0) - 1.0
MARGIN = 1.0


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def _reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any, float]:
    """Best wall time of ``repeat`` calls, the first result, and peak MiB above the input."""
    import gc

    gc.collect()
    exact = _reset_peak()
    base = _status_kib("VmRSS")
    if not exact:  # pragma: no cover - kernels without clear_refs: fall back to tracemalloc
        import tracemalloc

        tracemalloc.start()
    best = np.inf
    result = None
    for i in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
        if i == 0:
            result = out
            if exact:
                peak = (_status_kib("VmHWM") - base) / 1024.0
            else:  # pragma: no cover
                peak = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
        del out
    return best, result, peak


def _lifetimes_models(bg: np.ndarray, gg: np.ndarray) -> tuple[Any, Any]:
    """lifetimes fitters at given parameters (their predict methods read ``params_``)."""
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    bgf, ggf = BetaGeoFitter(), GammaGammaFitter()
    bgf.params_ = pd.Series(bg, index=["r", "alpha", "a", "b"])
    ggf.params_ = pd.Series(gg, index=["p", "q", "v"])
    bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time  # set by fit()
    return bgf, ggf


def run(spec: dict[str, Any]) -> dict[str, Any]:
    case, lib, repeat = spec["case"], spec["library"], int(spec.get("repeat", 1))
    path = Path(spec["data"])
    out: dict[str, Any] = {}
    if case in ("bgnbd_fit", "gammagamma_fit", "clv_predict", "clv_one"):
        c = data.load_cohort(path)
        f, r, T, m = c["frequency"], c["recency"], c["T"], c["monetary_value"]
    if case == "bgnbd_fit":
        if lib == "clvkit":
            import clvkit as ck

            def fn() -> Any:
                return ck.BetaGeo().fit(frequency=f, recency=r, T=T).params_.to_numpy()
        else:
            from lifetimes import BetaGeoFitter

            def fn() -> Any:
                return BetaGeoFitter().fit(f, r, T).params_[["r", "alpha", "a", "b"]].to_numpy()

        seconds, params, peak = _timed(fn, repeat)
        out["params"] = [float(v) for v in params]
    elif case == "gammagamma_fit":
        rep = f > 0
        f, m = f[rep], m[rep]
        if lib == "clvkit":
            import clvkit as ck

            def fn() -> Any:
                return ck.GammaGamma().fit(frequency=f, monetary_value=m).params_.to_numpy()
        else:
            from lifetimes import GammaGammaFitter

            def fn() -> Any:
                return GammaGammaFitter().fit(f, m).params_[["p", "q", "v"]].to_numpy()

        seconds, params, peak = _timed(fn, repeat)
        out["params"] = [float(v) for v in params]
        out["n_rows"] = int(f.size)
    elif case == "rfm_summary":
        tx = data.load_log(path)
        if lib == "clvkit":
            import clvkit as ck

            def fn() -> Any:
                return ck.rfm_summary(
                    tx, monetary="amount", time_unit="W", observation_end=data.OBSERVATION_END
                )[["frequency", "recency", "T", "monetary_value"]]
        else:
            from lifetimes.utils import summary_data_from_transaction_data

            def fn() -> Any:
                return summary_data_from_transaction_data(
                    tx,
                    "customer_id",
                    "date",
                    monetary_value_col="amount",
                    observation_period_end=data.OBSERVATION_END,
                    freq="D",
                    freq_multiplier=7,
                )[["frequency", "recency", "T", "monetary_value"]]

        seconds, frame, peak = _timed(fn, repeat)
        frame = frame.sort_index()
        cache = path.with_name(f"{path.stem}.{lib}.out.npz")
        np.savez(cache, index=frame.index.to_numpy(), values=frame.to_numpy(dtype=float))
        out["output"] = str(cache)
        out["n_rows"] = len(tx)
    elif case in ("clv_predict", "clv_one"):
        bg, gg = np.array(spec["bg_params"]), np.array(spec["gg_params"])
        import pandas as pd

        frame = pd.DataFrame(
            {
                "frequency": f,
                "recency": r,
                "T": T,
                "monetary_value": m,
                "historical_value": c["historical_value"],
            }
        )
        frame.attrs["time_unit"] = "W"
        if case == "clv_one":
            frame = frame.iloc[:1]
        if lib == "clvkit":
            import clvkit as ck

            model = ck.CLVModel.from_models(
                ck.BetaGeo.from_params(
                    **dict(zip(("r", "alpha", "a", "b"), bg, strict=True)), time_unit="W"
                ),
                ck.GammaGamma.from_params(
                    **dict(zip(("p", "q", "v"), gg, strict=True)), time_unit="W"
                ),
            )
            if case == "clv_one":
                model_path = path.with_name("clv_model.json")
                model.save(model_path)
                record = {k: float(v) for k, v in frame.iloc[0].items()}

                def one() -> Any:
                    return ck.predict_clv(
                        model_path,
                        record,
                        horizon="52W",
                        discount_rate=YEARLY_DISCOUNT,
                        margin=MARGIN,
                    )

                one()  # the first call loads the file; the service keeps it cached
                times = []
                for _ in range(int(spec.get("calls", 1000))):
                    t0 = time.perf_counter()
                    one()
                    times.append(time.perf_counter() - t0)
                return {"seconds": float(np.median(times)), "peak_mib": None, "total": 0.0}

            def fn() -> Any:
                return ck.predict_clv(
                    model, frame, horizon="52W", discount_rate=YEARLY_DISCOUNT, margin=MARGIN
                )["expected_value"].to_numpy()
        else:
            bgf, ggf = _lifetimes_models(bg, gg)

            def fn() -> Any:
                return ggf.customer_lifetime_value(
                    bgf,
                    frame["frequency"],
                    frame["recency"],
                    frame["T"],
                    frame["monetary_value"],
                    time=LIFETIMES_MONTHS,
                    discount_rate=MONTHLY_DISCOUNT,
                    freq="W",
                ).to_numpy()

            if case == "clv_one":
                fn()
                times = []
                for _ in range(int(spec.get("calls", 200))):
                    t0 = time.perf_counter()
                    fn()
                    times.append(time.perf_counter() - t0)
                return {"seconds": float(np.median(times)), "peak_mib": None, "total": 0.0}
        seconds, values, peak = _timed(fn, repeat)
        out["total"] = float(np.sum(values))
    else:
        raise SystemExit(f"unknown case {case!r}")
    out["seconds"] = float(seconds)
    out["peak_mib"] = float(peak)
    return out


def main() -> None:
    spec = json.loads(sys.argv[1])
    warnings.simplefilter("ignore")
    result = run(spec)
    print("RESULT " + json.dumps(result))


if __name__ == "__main__":
    main()
