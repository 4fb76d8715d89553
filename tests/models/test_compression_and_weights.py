"""Fitting on compressed data equals fitting on raw rows; weights equal duplicated rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.models._kernels import bgnbd
from clvkit.models._kernels.compress import compress_rows


def test_compress_rows_keeps_every_row_once(rng):
    cols = tuple(rng.integers(0, 4, size=500).astype(float) for _ in range(3))
    w = rng.integers(0, 3, size=500).astype(float)
    rows = compress_rows(cols, w)
    assert rows.weights.sum() == pytest.approx(w.sum())
    restored = np.stack([f.values[f.codes] for f in rows.columns], axis=1)
    assert len(np.unique(restored, axis=0)) == rows.n_rows
    frame = pd.DataFrame({"a": cols[0], "b": cols[1], "c": cols[2], "w": w})
    expected = frame[frame["w"] > 0].groupby(["a", "b", "c"])["w"].sum()
    got = pd.Series(
        rows.weights, index=pd.MultiIndex.from_arrays(restored.T, names=["a", "b", "c"])
    )
    pd.testing.assert_series_equal(got.sort_index(), expected.sort_index(), check_names=False)


def test_compressed_likelihood_equals_row_sum(cdnow_rfm):
    x, t_x, T = (cdnow_rfm[c].to_numpy() for c in ("frequency", "recency", "T"))
    data = bgnbd.prepare(x, t_x, T, np.ones_like(x))
    assert data.n_distinct < len(x)  # CDNOW compresses (all T equal for early cohorts)
    params = np.array([0.243, 4.414, 0.793, 2.426])
    ll, _, _ = bgnbd.loglik_derivatives(params, data, order=0)
    assert ll == pytest.approx(bgnbd.loglik_rows(params, x, t_x, T).sum(), rel=1e-13)


def test_fit_on_compressed_rows_with_weights_equals_fit_on_raw_rows(cdnow_rfm):
    raw = ck.BetaGeo().fit(cdnow_rfm)
    grouped = cdnow_rfm.groupby(["frequency", "recency", "T"]).size().rename("weight").reset_index()
    assert len(grouped) < len(cdnow_rfm)
    compressed = ck.BetaGeo().fit(
        frequency=grouped["frequency"],
        recency=grouped["recency"],
        T=grouped["T"],
        weights=grouped["weight"],
    )
    np.testing.assert_allclose(compressed.params_, raw.params_, rtol=1e-7)
    assert compressed.log_likelihood_ == pytest.approx(raw.log_likelihood_, rel=1e-12)
    assert compressed.n_customers_ == raw.n_customers_


@pytest.mark.parametrize("model_cls", [ck.BetaGeo, ck.GammaGamma])
def test_weights_equal_duplicated_rows(model_cls):
    base = ck.datasets.simulate_rfm(800, T=np.linspace(30, 80, 800), seed=11)
    counts = np.random.default_rng(5).integers(1, 4, size=len(base))
    duplicated = base.loc[base.index.repeat(counts)].reset_index(drop=True)
    duplicated.attrs = dict(base.attrs)
    weighted = model_cls().fit(base, weights=counts)
    repeated = model_cls().fit(duplicated)
    np.testing.assert_allclose(weighted.params_, repeated.params_, rtol=1e-7)
    assert weighted.log_likelihood_ == pytest.approx(repeated.log_likelihood_, rel=1e-10)
    np.testing.assert_allclose(
        weighted.summary()["std_error"], repeated.summary()["std_error"], rtol=1e-6
    )


def test_zero_weight_rows_are_ignored():
    base = ck.datasets.simulate_rfm(600, seed=2)
    w = np.ones(len(base))
    w[:100] = 0.0
    with_zero = ck.BetaGeo().fit(base, weights=w)
    without = ck.BetaGeo().fit(base.iloc[100:])
    np.testing.assert_allclose(with_zero.params_, without.params_, rtol=1e-8)
