"""The fast paths of the numerical core give the same answers as the plain ones.

Lattice/dense factorisation against ``numpy.unique``; compression against a row-wise
``unique(axis=0)`` reference; the compressed likelihood against the row-by-row formula on
daily-grain data; subsample-started and moment-started fits against plain fits; the
optimiser's reuse of its last evaluation. No timings here: speed lives in ``benchmarks/``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import clvkit as ck
from clvkit.models import purchase
from clvkit.models._kernels import bgnbd, gammagamma, linalg
from clvkit.models._kernels.compress import compress_rows, distinct_keys, factorize
from clvkit.models._optimize import maximize


def _reference_compress(columns, weights):
    """The former implementation: row-wise unique over stacked columns, then a bincount."""
    keep = weights > 0
    stacked = np.stack([c[keep] for c in columns], axis=1)
    rows, inverse = np.unique(stacked, axis=0, return_inverse=True)
    return rows, np.bincount(inverse.reshape(-1), weights=weights[keep])


def _assert_factor_matches_unique(column):
    f = factorize(column)
    values, codes = np.unique(column, return_inverse=True)
    np.testing.assert_array_equal(f.values, values)
    np.testing.assert_array_equal(f.codes, codes.reshape(-1))


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: rng.integers(0, 200, 5000).astype(float),  # counts: dense table
        lambda rng: rng.integers(0, 731, 5000) / 7.0,  # days in weeks: lattice
        lambda rng: (rng.integers(0, 731, 5000) / 7.0)[::-1] + 3.5,  # shifted lattice
        lambda rng: rng.integers(-50, 50, 5000) * 0.1,  # negative lattice, inexact step
        lambda rng: rng.uniform(0, 100, 5000),  # continuous: numpy.unique fallback
        lambda rng: np.append(rng.integers(0, 100, 4999) / 7.0, 1.0 / 3.0),  # off-lattice
        lambda rng: np.full(10, 2.5),  # constant
        lambda rng: np.array([1e300, 0.0, 1e300]),  # span far beyond any table
        lambda rng: rng.integers(0, 3, 200_000) * 1e9,  # huge integers: not dense
    ],
)
def test_factorize_equals_numpy_unique(rng, make):
    _assert_factor_matches_unique(make(rng))


@given(
    st.lists(
        st.one_of(
            st.integers(0, 60).map(lambda d: d / 7.0),
            st.floats(0, 10, allow_nan=False, allow_infinity=False),
        ),
        min_size=1,
        max_size=80,
    )
)
def test_factorize_equals_numpy_unique_on_any_column(values):
    _assert_factor_matches_unique(np.array(values, dtype=float))


@pytest.mark.parametrize("unit", [True, False])
def test_compress_rows_equals_the_former_implementation(rng, unit):
    n = 20_000
    x = rng.poisson(2.0, n).astype(float)
    T = rng.integers(1, 365, n) / 7.0
    t_x = np.where(x > 0, np.floor(rng.uniform(0, 1, n) * T * 7.0) / 7.0, 0.0)
    w = np.ones(n) if unit else rng.integers(0, 4, n).astype(float)
    rows = compress_rows((x, t_x, T), w)
    got = np.stack([f.values[f.codes] for f in rows.columns], axis=1)
    ref_rows, ref_w = _reference_compress((x, t_x, T), w)
    np.testing.assert_array_equal(got, ref_rows)  # same rows in the same (sorted) order
    np.testing.assert_allclose(rows.weights, ref_w, rtol=0, atol=1e-9)


def test_distinct_keys_with_and_without_unit_weights(rng):
    key = rng.integers(0, 50, 1000).astype(np.int64)
    k1, w1 = distinct_keys(key, np.ones(1000))
    k2, w2 = distinct_keys(key, np.ones(1000), unit_weights=False)
    np.testing.assert_array_equal(k1, k2)
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(w1, np.bincount(key)[k1])


@pytest.fixture(scope="module")
def daily_cohort() -> pd.DataFrame:
    """A realistic cohort: daily grain, weekly unit, acquisition over a year."""
    tx = ck.datasets.simulate_transactions(30_000, seed=1)
    return ck.rfm_summary(tx, monetary="amount", time_unit="W", observation_end="2025-12-31")


def test_prepare_on_daily_grain_data_matches_row_sums(daily_cohort, rng):
    x, t_x, T = (daily_cohort[c].to_numpy() for c in ("frequency", "recency", "T"))
    w = rng.integers(0, 3, x.size).astype(float)
    data = bgnbd.prepare(x, t_x, T, w)
    ref_rows, _ = _reference_compress((x, t_x, T), w)
    assert data.n_distinct == len(ref_rows)
    assert data.total_weight == w.sum()
    params = np.array([0.243, 4.414, 0.793, 2.426])
    ll, _, _ = bgnbd.loglik_derivatives(params, data, order=0)
    assert ll == pytest.approx(w @ bgnbd.loglik_rows(params, x, t_x, T), rel=1e-12)


def test_non_blas_dot_equals_numpy_dot(rng):
    u, v = rng.normal(size=100_003), rng.normal(size=100_003)
    assert linalg.dot(u, v) == pytest.approx(float(u @ v), rel=1e-12)


def test_fit_started_from_a_subsample_equals_a_plain_fit(daily_cohort, monkeypatch):
    monkeypatch.setattr(purchase, "_PRESTART_ROWS", 100)
    monkeypatch.setattr(purchase, "_PRESTART_SAMPLE", 3_000)
    fast = ck.BetaGeo().fit(daily_cohort)
    start = {"r": 1.0, "alpha": 10.0, "a": 1.0, "b": 1.0}  # initial_params: no subsample
    plain = ck.BetaGeo(initial_params=start).fit(daily_cohort)
    np.testing.assert_allclose(fast.params_, plain.params_, rtol=1e-8)
    assert fast.log_likelihood_ == pytest.approx(plain.log_likelihood_, rel=1e-12)
    np.testing.assert_allclose(fast.summary()["std_error"], plain.summary()["std_error"], rtol=1e-6)
    assert fast.diagnostics_.converged and plain.diagnostics_.converged


def test_subsample_start_is_used_on_large_cohorts():
    rfm = ck.datasets.simulate_rfm(120_000, T=np.linspace(1, 104, 120_000), seed=3)
    bg = ck.BetaGeo().fit(rfm)
    plain = ck.BetaGeo(initial_params=dict(bg.params_ * 1.5)).fit(rfm)
    np.testing.assert_allclose(bg.params_, plain.params_, rtol=1e-8)
    assert bg.diagnostics_.n_iter <= 4  # full-data Newton steps only after the subsample


def test_gamma_gamma_moment_start_equals_a_plain_fit(daily_cohort):
    repeat = daily_cohort[daily_cohort["frequency"] > 0]
    x, m = repeat["frequency"].to_numpy(), repeat["monetary_value"].to_numpy()
    w = np.ones_like(x)
    start = gammagamma.moment_start(x, m, w, gammagamma.prepare(x, m, w))
    assert start is not None
    np.testing.assert_allclose(start, list(ck.datasets.CDNOW_GG_PARAMS.values()), rtol=0.5)
    fast = ck.GammaGamma().fit(repeat)
    plain = ck.GammaGamma(initial_params={"p": 1.0, "q": 2.0, "v": 20.0}).fit(repeat)
    np.testing.assert_allclose(fast.params_, plain.params_, rtol=1e-8)


def test_moment_start_declines_a_single_frequency():
    x, m = np.ones(50), np.linspace(1, 50, 50)
    w = np.ones(50)
    assert gammagamma.moment_start(x, m, w, gammagamma.prepare(x, m, w)) is None


def test_optimizer_reports_its_last_evaluation_without_another_pass():
    calls = []
    target = np.array([2.0, 0.5])

    def loglik(p, order):
        calls.append(p.copy())
        d = p - target
        return -float(d @ d), -2.0 * d, -2.0 * np.eye(2)

    result = maximize(loglik, np.array([1.0, 1.0]), total_weight=1.0)
    np.testing.assert_allclose(result.params, target, rtol=1e-9)
    # the final parameters were evaluated exactly once
    assert sum(np.array_equal(c, result.params) for c in calls) == 1
    ll, _, H = loglik(result.params, 2)
    assert result.log_likelihood == ll
    np.testing.assert_array_equal(result.hessian, H)


def _full_passes(monkeypatch, model, n_rows):
    """Count the second-order passes over the whole cohort (``n_rows`` distinct rows)."""
    calls = []
    kernel = model.kernel
    original = kernel.loglik_derivatives

    def counting(params, data, order=2):
        if data.n_distinct == n_rows:
            calls.append(order)
        return original(params, data, order)

    monkeypatch.setattr(kernel, "loglik_derivatives", counting)
    return calls


def test_surrogate_corrected_steps_save_a_full_pass(monkeypatch):
    # continuous T: every row distinct, so the full passes are told apart by their size
    rfm = ck.datasets.simulate_rfm(120_000, T=np.linspace(1, 104, 120_000), seed=3)
    monkeypatch.setattr(purchase, "_PRESTART_SAMPLE", 12_000)
    n_rows = ck.BetaGeo().fit(rfm).diagnostics_.n_distinct_rows
    bg = ck.BetaGeo()
    calls = _full_passes(monkeypatch, bg, n_rows)
    bg.fit(rfm)
    with_surrogate = len(calls)
    # the same start without the surrogate: plain Newton needs one pass more
    monkeypatch.setattr(
        ck.BetaGeo,
        "_prestart",
        lambda self, *args: (purchase.PurchaseModel._prestart(self, *args)[0], None),
    )
    plain = ck.BetaGeo()
    calls_plain = _full_passes(monkeypatch, plain, n_rows)
    plain.fit(rfm)
    assert with_surrogate == 3 and len(calls_plain) == 4
    np.testing.assert_allclose(bg.params_, plain.params_, rtol=1e-9)
    assert bg.diagnostics_.converged and bg.diagnostics_.grad_norm <= 1e-10


def _curved(shift):
    """A smooth log-likelihood with a cubic part, its maximum at ``log p = shift``:
    ``-sum[cosh(u) - 1 + 0.2 u^2 sin(u)]`` with ``u = log p - shift``."""

    def loglik(p, order):
        u = np.log(p) - shift
        ll = -float(np.sum(np.cosh(u) - 1.0 + 0.2 * u**2 * np.sin(u)))
        du = np.sinh(u) + 0.2 * (2 * u * np.sin(u) + u**2 * np.cos(u))
        d2u = np.cosh(u) + 0.2 * (2 * np.sin(u) + 4 * u * np.cos(u) - u**2 * np.sin(u))
        # in p: d/dp = (d/du) / p, d2/dp2 = (d2/du2 - d/du) / p^2
        return ll, -du / p, np.diag(-(d2u - du) / p**2)

    return loglik


def test_a_surrogate_that_cannot_be_evaluated_leaves_the_plain_steps():
    target = np.array([0.3, -0.2, 1.1])

    def broken(p, order):
        return np.nan, np.full(p.size, np.nan), np.full((p.size, p.size), np.nan)

    start = np.exp(target + 0.05)
    plain = maximize(_curved(target), start, total_weight=1.0, tol=1e-12)
    helped = maximize(_curved(target), start, total_weight=1.0, tol=1e-12, surrogate=(broken, 1.0))
    assert helped.converged and helped.n_iter == plain.n_iter
    np.testing.assert_array_equal(helped.params, plain.params)


@pytest.mark.parametrize("surrogate_shift", [0.02, 0.5, -3.0])
def test_a_surrogate_changes_steps_not_the_answer(surrogate_shift):
    target = np.array([0.3, -0.2, 1.1])
    full = _curved(target)
    start = np.exp(target + 0.05)
    plain = maximize(full, start, total_weight=1.0, tol=1e-12)
    helped = maximize(
        full, start, total_weight=1.0, tol=1e-12, surrogate=(_curved(target + surrogate_shift), 1.0)
    )
    # near or misleading, the surrogate only proposes steps: the full objective decides
    assert plain.converged and helped.converged
    np.testing.assert_allclose(helped.params, np.exp(target), rtol=1e-10)
    np.testing.assert_allclose(plain.params, np.exp(target), rtol=1e-10)
