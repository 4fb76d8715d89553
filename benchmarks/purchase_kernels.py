"""Fit speed of the MBG/NBD and BG/BB kernels with the fitting driver, against lifetimes
0.11.3 on the same input, in the same run.

Usage::

    python -m benchmarks.purchase_kernels            # MBG/NBD 100k, 1M, 10M; BG/BB 1M
    python -m benchmarks.purchase_kernels --quick    # MBG/NBD 100k; BG/BB 100k

What is timed on the clvkit side is what an estimator's ``fit`` does after validating its
input: ``prepare`` (compression), ``initial_params`` and :func:`clvkit.models._optimize.maximize`
with the kernel's analytic derivatives. lifetimes gets the same arrays
(``ModifiedBetaGeoFitter().fit(frequency, recency, T)``,
``BetaGeoBetaBinomFitter().fit(frequency, recency, n_periods)``).

Data come from the kernels' own simulators, seeded:

- MBG/NBD at the CDNOW estimate (weeks): customers acquired uniformly over a year and
  observed until the end of the second, recency and T at a daily grain (multiples of 1/7
  week), as a transaction log summarised by day would give;
- BG/BB at the donations estimate of Fader, Hardie & Shang (2010), 10 occasions each.

The table gives seconds, the ratio (lifetimes / clvkit) and the largest relative
difference of the two estimates. lifetimes is run up to 1M customers.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # ``python benchmarks/purchase_kernels.py``
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from clvkit.models._kernels import bgbb, mbgnbd
from clvkit.models._optimize import maximize

MBG_PARAMS = np.array([0.525, 6.183, 0.891, 1.614])
BGBB_PARAMS = np.array([1.204, 0.750, 0.657, 2.783])


def mbg_cohort(size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    T_days = 730 - rng.integers(0, 365, size=size)
    T = T_days / 7.0
    x, t_x, _, _ = mbgnbd.simulate(rng, MBG_PARAMS, T, times=False)
    t_x = np.minimum(np.ceil(t_x * 7.0), T_days) / 7.0  # the day of the last purchase
    return x, np.where(x > 0, t_x, 0.0), T


def bgbb_cohort(size: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = np.full(size, 10.0)
    x, t_x, _, _ = bgbb.simulate(rng, BGBB_PARAMS, n, times=False)
    return x, t_x, n


def fit_clvkit(kernel: Any, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    data = kernel.prepare(x, t_x, T, np.ones_like(x))
    result = maximize(
        lambda p, order: kernel.loglik_derivatives(p, data, order),
        kernel.initial_params(data),
        total_weight=data.total_weight,
    )
    if not result.converged:
        raise RuntimeError(f"clvkit fit did not converge: {result.message}")
    return result.params


def fit_lifetimes(case: str, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import BetaGeoBetaBinomFitter, ModifiedBetaGeoFitter

        if case == "mbgnbd":
            fitted = ModifiedBetaGeoFitter().fit(x, t_x, T)
            return fitted.params_[["r", "alpha", "a", "b"]].to_numpy()
        fitted = BetaGeoBetaBinomFitter().fit(x, t_x, T)
        return fitted.params_[["alpha", "beta", "gamma", "delta"]].to_numpy()


def timed(fn: Any, *args: Any, repeat: int = 1) -> tuple[float, Any]:
    best, out = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(*args)
        best = min(best, time.perf_counter() - start)
    return best, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    K, M = 1_000, 1_000_000
    plan = (
        [("mbgnbd", 100 * K, True), ("bgbb", 100 * K, True)]
        if args.quick
        else [
            ("mbgnbd", 100 * K, True),
            ("mbgnbd", 1 * M, True),
            ("mbgnbd", 10 * M, False),
            ("bgbb", 1 * M, True),
        ]
    )
    kernels = {"mbgnbd": mbgnbd, "bgbb": bgbb}
    cohorts = {"mbgnbd": mbg_cohort, "bgbb": bgbb_cohort}
    header = ("case", "customers", "clvkit s", "lifetimes s", "ratio", "param diff")
    print("{:8} {:>10} {:>9} {:>12} {:>7} {:>10}".format(*header))
    for case, size, with_lifetimes in plan:
        x, t_x, T = cohorts[case](size)
        repeat = 3 if size <= 100 * K else 1
        ck_s, ck_params = timed(fit_clvkit, kernels[case], x, t_x, T, repeat=repeat)
        if with_lifetimes:
            lt_s, lt_params = timed(fit_lifetimes, case, x, t_x, T)
            diff = float(np.max(np.abs(ck_params / lt_params - 1)))
            print(
                f"{case:8} {size:>10,} {ck_s:>9.3f} {lt_s:>12.2f} {lt_s / ck_s:>7.1f} {diff:>10.1e}"
            )
        else:
            print(f"{case:8} {size:>10,} {ck_s:>9.3f} {'-':>12} {'-':>7} {'-':>10}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
