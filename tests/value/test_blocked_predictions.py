"""predict_clv's blocked, threaded path gives the plain answers.

Distinct (frequency, T) pairs from lattice indices equal numpy.unique's; predictions in
blocks of customers on threads equal one block on one thread, bit for bit, and equal the
purchase and spend models' own methods; the short-horizon series gives a customer alone
the bits it gives them inside a cohort. No timings here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.models._kernels import chunks, compress, nbd_dropout
from clvkit.value import clv as clv_module


def _reference_pairs(x, T):
    pairs, inverse = np.unique(np.stack([x, T], 1), axis=0, return_inverse=True)
    return pairs[:, 0], pairs[:, 1], inverse.reshape(-1)


@pytest.mark.parametrize(
    "make",
    [
        lambda rng, n: (rng.integers(0, 30, n) / 1.0, rng.integers(0, 365, n) / 7.0),  # daily
        lambda rng, n: (rng.integers(0, 30, n) / 1.0, rng.uniform(1, 100, n)),  # continuous T
        lambda rng, n: (np.full(n, 3.0), np.full(n, 52.0)),  # one pair
        lambda rng, n: (rng.integers(0, 5, n) * 2.0, rng.integers(0, 9, n) * 0.1),  # sparse
    ],
)
def test_distinct_pairs_equal_numpy_unique(rng, make):
    x, T = make(rng, 20_000)
    ux, uT, inverse = compress.distinct_pairs(x, T)
    np.testing.assert_array_equal(ux[inverse], x)
    np.testing.assert_array_equal(uT[inverse], T)
    rx, rT, _ = _reference_pairs(x, T)
    np.testing.assert_array_equal(np.sort(ux * 1e6 + uT), np.sort(rx * 1e6 + rT))
    assert ux.size == rx.size


def test_distinct_pairs_of_mostly_distinct_rows_are_the_rows(rng):
    n = 300_000
    x, T = rng.integers(0, 30, n) / 1.0, rng.uniform(1, 100, n)
    ux, uT, inverse = compress.distinct_pairs(x, T)
    np.testing.assert_array_equal(ux[inverse], x)
    np.testing.assert_array_equal(uT[inverse], T)


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    tx = ck.datasets.simulate_transactions(40_000, seed=7)
    return ck.rfm_summary(tx, monetary="amount", time_unit="W", observation_end="2025-12-31")


@pytest.fixture(scope="module")
def model(cohort) -> ck.CLVModel:
    return ck.CLVModel().fit(cohort)


def test_blocks_and_threads_give_the_same_bits(cohort, model, monkeypatch):
    kw = {"horizon": "52W", "discount_rate": 0.1, "margin": 0.3}
    whole = model.predict_clv(cohort, **kw)
    monkeypatch.setattr(clv_module, "_CUSTOMER_BLOCK", 1000)  # 40 blocks
    try:
        for threads in (1, 3):
            chunks.set_threads(threads)
            pd.testing.assert_frame_equal(model.predict_clv(cohort, **kw), whole)
    finally:
        chunks.set_threads(None)


def test_columns_equal_the_models_own_predictions(cohort, model):
    clv = model.predict_clv(cohort, horizon=26, discount_rate=0.0)
    purchase = model.purchase_model_
    np.testing.assert_array_equal(clv["p_alive"], purchase.probability_alive(cohort))
    np.testing.assert_allclose(
        clv["expected_purchases"], purchase.expected_purchases(cohort, 26), rtol=1e-12
    )
    np.testing.assert_array_equal(clv["expected_spend"], model.spend_model_.expected_spend(cohort))
    stages = ck.lifecycle_stage(model, cohort)
    np.testing.assert_array_equal(clv["lifecycle_stage"].astype(str), stages.astype(str))
    # no discounting, margin 1: value is spend times purchases
    np.testing.assert_allclose(
        clv["expected_value"], clv["expected_spend"] * clv["expected_purchases"], rtol=1e-12
    )


def test_a_customer_alone_gets_the_bits_of_the_cohort(cohort, model):
    clv = model.predict_clv(cohort, horizon="52W", discount_rate=0.1)
    for cid in cohort.index[:: len(cohort) // 7]:
        alone = model.predict_clv(cohort.loc[[cid]], horizon="52W", discount_rate=0.1)
        pd.testing.assert_frame_equal(alone, clv.loc[[cid]], check_exact=True)


def test_short_horizon_series_in_a_table_equals_the_loop():
    rng = np.random.default_rng(11)
    n = 30_000
    r, a = 10 ** rng.uniform(-2, 2, n), 10 ** rng.uniform(-2, 2, n)
    c = a + 10 ** rng.uniform(-2, 2, n)
    u = rng.uniform(0, 1, n)
    short = u * np.maximum(1, r / c) * np.maximum(1, np.abs(a - 1)) <= 0.5
    r, a, c, u = r[short], a[short], c[short], u[short]
    looped = nbd_dropout._q_series(r, a, c, u)  # more cells than the table takes
    assert r.size > nbd_dropout._SERIES_SMALL
    for start in range(0, r.size, 97):
        part = slice(start, start + 97)
        np.testing.assert_array_equal(
            nbd_dropout._q_series(r[part], a[part], c[part], u[part]), looped[part]
        )
