"""The chunked, threaded likelihood passes and the cohort split give the plain answers.

Compressed and uncompressed cohorts give the same log-likelihood, gradient and Hessian;
one thread and several give the same bits; the split keeps every row's weight exactly;
the distinct-share estimate tells repeating cohorts from distinct ones. No timings here.
"""

from __future__ import annotations

import numpy as np
import pytest

from clvkit.models._kernels import bgbb, bgnbd, chunks, compress, mbgnbd

BG = np.array([0.243, 4.414, 0.793, 2.426])  # Fader, Hardie & Lee (2005), CDNOW
MBG = np.array([0.525, 6.183, 0.891, 1.614])


def _cohort(n: int, seed: int, daily: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BG/NBD histories over one to two years; recency and T to the day or to the second."""
    rng = np.random.default_rng(seed)
    scale = 7.0 if daily else 7.0 * 86_400.0
    T = (730 - rng.integers(0, 365, n)) / 7.0
    if not daily:
        T = (730 * 86_400 - rng.integers(0, 365 * 86_400, n)) / scale
    x, t_x, _, _ = bgnbd.simulate(rng, BG, T, times=False)
    t_x = np.minimum(np.ceil(t_x * scale), T * scale) / scale
    return x, np.where(x > 0, t_x, 0.0), T


@pytest.fixture(scope="module")
def daily() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _cohort(60_000, 1, daily=True)


@pytest.fixture(scope="module")
def distinct() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return _cohort(60_000, 2, daily=False)


def _assert_same_derivatives(one, two, weight):
    """Equal to rounding: 1e-12 relative for the log-likelihood; the gradient and Hessian
    are differences of sums of size ~ the total weight, so to 1e-11 of it."""
    assert one[0] == pytest.approx(two[0], rel=1e-12)
    np.testing.assert_allclose(one[1], two[1], rtol=0, atol=1e-11 * weight)
    np.testing.assert_allclose(one[2], two[2], rtol=1e-12, atol=1e-11 * weight)


@pytest.mark.parametrize("kernel, params", [(bgnbd, BG), (mbgnbd, MBG)])
@pytest.mark.parametrize("shape", ["daily", "distinct"])
@pytest.mark.parametrize("weighted", [False, True])
def test_uncompressed_rows_give_the_compressed_derivatives(
    kernel, params, shape, weighted, request
):
    x, t_x, T = request.getfixturevalue(shape)
    w = np.random.default_rng(3).integers(0, 4, x.size).astype(float) if weighted else None
    packed = kernel.prepare(x, t_x, T, w, compress=True)
    plain = kernel.prepare(x, t_x, T, w, compress=False)
    assert packed.rows.compressed and not plain.rows.compressed
    assert packed.total_weight == plain.total_weight == (x.size if w is None else w.sum())
    _assert_same_derivatives(
        kernel.loglik_derivatives(params, packed, 2),
        kernel.loglik_derivatives(params, plain, 2),
        packed.total_weight,
    )
    # and both equal the row-by-row formula
    rows = kernel.loglik_rows(params, x, t_x, T)
    expected = float(rows.sum() if w is None else w @ rows)
    assert kernel.loglik_derivatives(params, plain, 0)[0] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("kernel, params", [(bgnbd, BG), (mbgnbd, MBG)])
def test_threads_give_the_same_bits(kernel, params, distinct, monkeypatch):
    monkeypatch.setattr(chunks, "CHUNK", 1024)  # ~30 chunks: every thread gets some
    x, t_x, T = distinct
    w = np.random.default_rng(4).uniform(0.5, 2.0, x.size)
    data = kernel.prepare(x, t_x, T, w, compress=False)
    results = []
    try:
        for threads in (1, 2, 3):
            chunks.set_threads(threads)
            results.append(kernel.loglik_derivatives(params, data, 2))
    finally:
        chunks.set_threads(None)
    for other in results[1:]:
        assert other[0] == results[0][0]
        np.testing.assert_array_equal(other[1], results[0][1])
        np.testing.assert_array_equal(other[2], results[0][2])


def test_chunk_sums_are_added_in_chunk_order(rng):
    values = rng.normal(size=100_003) * 10.0 ** rng.integers(-8, 8, 100_003)

    def fn(start, stop, out):
        out[0] = values[start:stop].sum()
        out[1] = stop - start

    one = chunks.chunk_sums(fn, values.size, 2, chunk=1000, threads=1)
    many = chunks.chunk_sums(fn, values.size, 2, chunk=1000, threads=4)
    np.testing.assert_array_equal(one, many)
    assert one[1] == values.size
    assert one[0] == pytest.approx(values.sum(), rel=1e-12, abs=1e-6)


def test_a_failing_chunk_raises_in_the_caller():
    def fn(i, start, stop):
        if i == 7:
            raise ValueError("chunk 7")

    with pytest.raises(ValueError, match="chunk 7"):
        chunks.for_chunks(fn, 20 * 1000, chunk=1000, threads=2)


def test_set_threads_rejects_zero():
    with pytest.raises(ValueError, match=">= 1"):
        chunks.set_threads(0)


def _reference_rows(x, t_x, T, w):
    rows = compress.compress_rows((x, t_x, T), np.ones(x.size) if w is None else w)
    got = np.stack([f.values[f.codes] for f in rows.columns], axis=1)
    return got, rows.weights


@pytest.mark.parametrize("shape", ["daily", "distinct"])
@pytest.mark.parametrize("weighted", [False, True])
def test_split_cohort_keeps_every_row_exactly(shape, weighted, request):
    x, t_x, T = request.getfixturevalue(shape)
    w = np.random.default_rng(5).integers(0, 3, x.size).astype(float) if weighted else None
    ref_rows, ref_w = _reference_rows(x, t_x, T, w)
    for mode in (True, False):
        rows = compress.split_cohort(x, t_x, T, w, compress=mode)
        got = np.concatenate(
            [
                np.stack([np.zeros(rows.zero_T.size), np.zeros(rows.zero_T.size), rows.zero_T], 1),
                np.stack([rows.rep_x(), rows.rep_tx, rows.rep_T], 1),
            ]
        )
        got_w = np.concatenate(
            [
                np.ones(rows.zero_T.size) if rows.zero_w is None else rows.zero_w,
                np.ones(rows.rep_T.size) if rows.rep_w is None else rows.rep_w,
            ]
        )
        keep = got_w > 0
        got, got_w = got[keep], got_w[keep]
        order = np.lexsort(got.T[::-1])
        if mode:  # merged: exactly the distinct rows with their summed weights
            np.testing.assert_array_equal(got[order], ref_rows)
            np.testing.assert_array_equal(got_w[order], ref_w)
        else:  # every row kept: the same rows once grouped
            uniq, inverse = np.unique(got, axis=0, return_inverse=True)
            np.testing.assert_array_equal(uniq, ref_rows)
            np.testing.assert_allclose(np.bincount(inverse.ravel(), weights=got_w), ref_w)
        assert rows.total_x == pytest.approx(float(ref_w @ ref_rows[:, 0]), rel=1e-12)
        assert rows.total_T == pytest.approx(float(ref_w @ ref_rows[:, 2]), rel=1e-12)


def test_off_lattice_values_are_never_merged():
    """A step guessed from a sample can be wrong; the rows must still stay apart."""
    rng = np.random.default_rng(6)
    n = 300_000
    T = rng.integers(100, 400, n) / 7.0
    T[::1000] += 1e-9  # a few values just off the daily lattice
    x = rng.integers(1, 4, n).astype(float)
    t_x = np.floor(T * 7.0 * rng.uniform(0, 1, n)) / 7.0
    rows = compress.split_cohort(x, t_x, T, None, compress=True)
    ref_rows, ref_w = _reference_rows(x, t_x, T, None)
    got = np.stack([rows.rep_x(), rows.rep_tx, rows.rep_T], 1)
    order = np.lexsort(got.T[::-1])
    np.testing.assert_array_equal(got[order], ref_rows)
    np.testing.assert_array_equal(rows.rep_w[order], ref_w)


@pytest.fixture(scope="module")
def large() -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Cohorts with more repeat buyers than are always compressed (2**17)."""
    return {shape: _cohort(400_000, 7, daily=shape == "daily") for shape in ("daily", "distinct")}


def test_distinct_share_tells_repeating_rows_from_distinct_ones(large):
    x, t_x, T = large["distinct"]
    rep = x > 0
    assert compress.distinct_share((x[rep], t_x[rep], T[rep])) == pytest.approx(1.0, abs=0.01)
    # daily grain: the exact share among repeat buyers, estimated within a few points
    x, t_x, T = large["daily"]
    rep = x > 0
    cols = (x[rep], t_x[rep], T[rep])
    exact = len(np.unique(np.stack(cols, 1), axis=0)) / rep.sum()
    estimate = compress.distinct_share(cols)
    assert estimate is not None
    assert estimate == pytest.approx(exact, abs=0.05)
    # a tiny cohort gives no estimate
    assert compress.distinct_share((x[:100], t_x[:100], T[:100])) is None


def test_large_distinct_cohorts_are_not_compressed_and_repeating_ones_are(large):
    assert not bgnbd.prepare(*large["distinct"], None).rows.compressed
    # one year observed for everyone, recency in whole weeks: a few thousand histories
    rng = np.random.default_rng(9)
    T = np.full(400_000, 52.0)
    x, t_x, _, _ = bgnbd.simulate(rng, BG, T, times=False)
    data = bgnbd.prepare(x, np.ceil(t_x), T, None)
    assert data.rows.compressed and data.n_distinct < 10_000


@pytest.mark.parametrize("weighted", [False, True])
def test_count_rows_equals_compress_rows(weighted):
    rng = np.random.default_rng(8)
    n = 50_000
    occasions = rng.integers(0, 11, n).astype(float)
    t_x = np.floor(rng.uniform(0, 1, n) * (occasions + 1))
    x = np.floor(rng.uniform(0, 1, n) * (t_x + 1))
    w = rng.integers(0, 3, n).astype(float) if weighted else None
    rows, summed = compress.count_rows((x, t_x, occasions), w)
    ref = compress.compress_rows((x, t_x, occasions), np.ones(n) if w is None else w)
    np.testing.assert_array_equal(
        np.stack(rows, 1), np.stack([f.values[f.codes] for f in ref.columns], 1)
    )
    np.testing.assert_array_equal(summed, ref.weights)
    # BG/BB's preparation on top of it
    data = bgbb.prepare(x, t_x, occasions, w)
    assert data.total_weight == (n if w is None else w.sum())


def test_count_rows_falls_back_for_fractions():
    x = np.array([0.0, 1.5, 1.5, 2.0])
    rows, summed = compress.count_rows((x, x), None)
    np.testing.assert_array_equal(rows[0], [0.0, 1.5, 2.0])
    np.testing.assert_array_equal(summed, [1.0, 2.0, 1.0])
