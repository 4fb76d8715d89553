"""One measurement, run in its own subprocess: ``python -m benchmarks.measure SPEC``.

``SPEC`` is JSON: ``{"case", "library", "data", "repeat"}``. The child loads the input,
resets the kernel's peak-RSS counter (``/proc/self/clear_refs``), runs the timed call
up to ``repeat`` times within a time budget (best wall time kept), and prints one JSON
line: seconds, peak memory above the loaded input, and what is needed to compare the two
libraries' results (parameters, or a digest of the output). A fresh process per
measurement isolates both the timings (no warm caches from the other library) and the
peak memory.
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


#: repeats stop once the calls so far have taken this long (a lifetimes fit of 1M
#: customers takes 15 s, its BG/BB fit four minutes: those run fewer times)
BUDGET_SECONDS = 45.0


def _timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any, float]:
    """Best wall time of up to ``repeat`` calls (fewer once they have taken
    ``BUDGET_SECONDS``), the first result, and peak MiB above the input."""
    import gc

    gc.collect()
    exact = _reset_peak()
    base = _status_kib("VmRSS")
    if not exact:  # pragma: no cover - kernels without clear_refs: fall back to tracemalloc
        import tracemalloc

        tracemalloc.start()
    best = np.inf
    result = None
    spent = 0.0
    for i in range(repeat):
        if i and spent >= BUDGET_SECONDS:
            break
        t0 = time.perf_counter()
        out = fn()
        took = time.perf_counter() - t0
        best = min(best, took)
        spent += took
        if i == 0:
            result = out
            if exact:
                peak = (_status_kib("VmHWM") - base) / 1024.0
            else:  # pragma: no cover
                peak = tracemalloc.get_traced_memory()[1] / 2**20
                tracemalloc.stop()
        del out
    return best, result, peak


def _latency(fn: Callable[[], Any], calls: int, repeat: int) -> float:
    """Median seconds of one call, as the best of ``repeat`` batches of ``calls``
    back-to-back calls (after one call that loads and warms). Like the best of several
    calls elsewhere, the best batch keeps a slow moment of the machine out of the
    figure; within a batch the median keeps the slow calls in it."""
    fn()
    best = np.inf
    for _ in range(repeat):
        times = np.empty(calls)
        for i in range(calls):
            t0 = time.perf_counter()
            fn()
            times[i] = time.perf_counter() - t0
        best = min(best, float(np.median(times)))
    return best


def _lifetimes_models(bg: np.ndarray, gg: np.ndarray) -> tuple[Any, Any]:
    """lifetimes fitters at given parameters (their predict methods read ``params_``)."""
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter

    bgf, ggf = BetaGeoFitter(), GammaGammaFitter()
    bgf.params_ = pd.Series(bg, index=["r", "alpha", "a", "b"])
    ggf.params_ = pd.Series(gg, index=["p", "q", "v"])
    bgf.predict = bgf.conditional_expected_number_of_purchases_up_to_time  # set by fit()
    return bgf, ggf


#: purchase-model fits: clvkit class, lifetimes fitter, parameter names (one order for both)
FITS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "bgnbd_fit": ("BetaGeo", "BetaGeoFitter", ("r", "alpha", "a", "b")),
    "bgnbd_fit_distinct": ("BetaGeo", "BetaGeoFitter", ("r", "alpha", "a", "b")),
    "mbgnbd_fit": ("ModifiedBetaGeo", "ModifiedBetaGeoFitter", ("r", "alpha", "a", "b")),
    "mbgnbd_fit_distinct": ("ModifiedBetaGeo", "ModifiedBetaGeoFitter", ("r", "alpha", "a", "b")),
    "pareto_fit": ("ParetoNBD", "ParetoNBDFitter", ("r", "alpha", "s", "beta")),
    "pareto_fit_distinct": ("ParetoNBD", "ParetoNBDFitter", ("r", "alpha", "s", "beta")),
    "bgbb_fit": (
        "BetaGeoBeta",
        "BetaGeoBetaBinomFitter",
        ("alpha", "beta", "gamma", "delta"),
    ),
}


def _fit(case: str, lib: str, c: dict[str, np.ndarray], repeat: int) -> dict[str, Any]:
    """A purchase model's fit on ``frequency``, ``recency``, ``T`` (occasions for BG/BB)."""
    f, r, T = c["frequency"], c["recency"], c["T"]
    model, fitter, names = FITS[case]
    if lib == "clvkit":
        import clvkit as ck

        cls = getattr(ck, model)

        def fn() -> Any:
            return cls().fit(frequency=f, recency=r, T=T).params_[list(names)].to_numpy()
    else:
        import lifetimes

        lt_cls = getattr(lifetimes, fitter)

        def fn() -> Any:
            return lt_cls().fit(f, r, T).params_[list(names)].to_numpy()

    seconds, params, peak = _timed(fn, repeat)
    return {"seconds": seconds, "peak_mib": peak, "params": [float(v) for v in params]}


def _clv_frame(c: dict[str, np.ndarray]) -> Any:
    import pandas as pd

    frame = pd.DataFrame(
        {k: c[k] for k in ("frequency", "recency", "T", "monetary_value", "historical_value")}
    )
    frame.attrs["time_unit"] = "W"
    return frame


def _clv_pareto(c: dict[str, np.ndarray], spec: dict[str, Any], repeat: int) -> dict[str, Any]:
    """``predict_clv`` with a Pareto/NBD purchase model, and with BG/NBD (the baseline), on
    the same customers, at the published CDNOW estimates of each."""
    import clvkit as ck

    frame = _clv_frame(c)
    gg = ck.GammaGamma.from_params(
        **dict(zip(("p", "q", "v"), spec["gg_params"], strict=True)), time_unit="W"
    )
    models = {
        "pareto": ck.ParetoNBD.from_params(
            **dict(zip(("r", "alpha", "s", "beta"), data.MODEL_PARAMS["pareto_nbd"], strict=True)),
            time_unit="W",
        ),
        "bgnbd": ck.BetaGeo.from_params(
            **dict(zip(("r", "alpha", "a", "b"), spec["bg_params"], strict=True)), time_unit="W"
        ),
    }
    out: dict[str, Any] = {}
    for name, purchase in models.items():
        model = ck.CLVModel.from_models(purchase, gg)
        seconds, values, peak = _timed(
            lambda model=model: model.predict_clv(
                frame, horizon="52W", discount_rate=YEARLY_DISCOUNT, margin=MARGIN
            )["expected_value"].to_numpy(),
            repeat,
        )
        if name == "pareto":
            out.update(seconds=seconds, peak_mib=peak, total=float(np.sum(values)))
        else:
            out["baseline"] = seconds
    return out


def run(spec: dict[str, Any]) -> dict[str, Any]:
    case, lib, repeat = spec["case"], spec["library"], int(spec.get("repeat", 1))
    path = Path(spec["data"])
    out: dict[str, Any] = {}
    if case in FITS:
        return _fit(case, lib, data.load_cohort(path), repeat)
    if case == "clv_predict_pareto":
        return _clv_pareto(data.load_cohort(path), spec, repeat)
    if case in ("gammagamma_fit", "clv_predict", "clv_one"):
        c = data.load_cohort(path)
        f, r, T, m = c["frequency"], c["recency"], c["T"], c["monetary_value"]
    if case == "gammagamma_fit":
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

                # the first call loads the file; the service keeps it cached
                seconds = _latency(one, int(spec.get("calls", 1000)), repeat)
                return {"seconds": seconds, "peak_mib": None, "total": 0.0}

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
                seconds = _latency(fn, int(spec.get("calls", 200)), repeat)
                return {"seconds": seconds, "peak_mib": None, "total": 0.0}
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
