"""E[X(t)] of the BG/NBD family where the short-horizon series hands over to the closed
form, against mpmath at 40 digits.

``expected_count`` sums the power series of ``Q = (1 - G)/(a-1)`` where ``1 - G`` (about
``(a-1) r u / c``) is below ``nbd_dropout._CLOSED_FROM`` and takes ``-expm1(log G)/(a-1)``
above it, where the closed form's relative error is scipy's 2F1 error over ``1 - G``. The
reference is FHL 2005, eq. 9, with the untransformed 2F1 of a negative argument
(``G = 2F1(r, a-1; c; -u)``), which shares no transformation with the kernel.
"""

from __future__ import annotations

import numpy as np
import pytest

from clvkit.models._kernels import nbd_dropout

mp = pytest.importorskip("mpmath")


def _reference(r, alpha, a, b, t):
    with mp.workdps(40):
        r, alpha, a, b, t = map(mp.mpf, (r, alpha, a, b, t))
        c = a + b - 1
        return c / (a - 1) * (1 - mp.hyp2f1(r, a - 1, c, -t / alpha))


def _cells_near_the_boundary(seed: int, n: int, low: float, high: float):
    """Random parameters (r, alpha, a, b over four decades, ``a`` off the bridged band
    around 1) and horizons whose leading term of ``1 - G`` is ``10**U(low, high)``, kept
    where the series would converge (the cells that take either form)."""
    rng = np.random.default_rng(seed)
    r, alpha = 10 ** rng.uniform(-2, 2, n), 10 ** rng.uniform(-2, 3, n)
    a, b = 10 ** rng.uniform(-2, 2, n), 10 ** rng.uniform(-2, 2, n)
    c = a + b - 1.0
    lead = 10 ** rng.uniform(low, high, n)
    with np.errstate(all="ignore"):
        u = lead * c / (np.abs(a - 1.0) * r)
        bound = u * np.maximum(1.0, r / c) * np.maximum(1.0, a - 1.0)
    keep = (c > 0) & (np.abs(a - 1.0) > 1.5e-3) & (bound <= nbd_dropout._SERIES_RATIO)
    return r[keep], alpha[keep], a[keep], b[keep], (u * alpha)[keep], lead[keep]


def test_both_forms_match_mpmath_across_the_handover():
    r, alpha, a, b, t, lead = _cells_near_the_boundary(5, 900, -4.5, -1.5)
    closed = lead >= nbd_dropout._CLOSED_FROM
    assert 100 < np.count_nonzero(closed) < closed.size - 100  # both forms are exercised
    got = nbd_dropout.expected_count(r, alpha, a, b, t)
    want = np.array([float(_reference(*cell)) for cell in zip(r, alpha, a, b, t, strict=True)])
    rel = np.abs(got / want - 1.0)
    # the series: a few ulps; the closed form: scipy's 2F1 error over at least 1e-3
    assert rel[~closed].max() < 1e-13
    assert rel[closed].max() < 1e-9


def test_the_series_below_the_handover_is_needed():
    # the closed form on cells far below the handover loses the digits the series keeps:
    # the threshold is where it is for a reason (the test fails if it is set far lower)
    r, alpha, a, b, t, _ = _cells_near_the_boundary(6, 400, -9.0, -7.0)
    c, eps = a + b - 1.0, a - 1.0
    z = t / (alpha + t)
    closed = c * nbd_dropout._q_closed(r, eps, c, z)
    used = nbd_dropout.expected_count(r, alpha, a, b, t)
    want = np.array([float(_reference(*cell)) for cell in zip(r, alpha, a, b, t, strict=True)])
    assert np.abs(used / want - 1.0).max() < 1e-13
    assert np.abs(closed / want - 1.0).max() > 1e-9


def test_one_customers_weekly_curve_takes_one_form():
    # a CDNOW-like customer with two repeat purchases: every weekly step end is past the
    # handover, so the curve is the closed form throughout (what makes one call cheap)
    r, alpha, a, b = 0.243 + 2, 4.414 + 71.14, 0.793, 2.426 + 2
    t = np.arange(1.0, 53.0)
    c = a + b - 1.0
    lead = abs(a - 1.0) * r * (t / alpha) / c
    assert lead.min() > nbd_dropout._CLOSED_FROM
    curve = nbd_dropout.expected_count(r, alpha, a, b, t)
    closed = c * nbd_dropout._q_closed(
        np.full(t.size, r), np.full(t.size, a - 1.0), np.full(t.size, c), t / (alpha + t)
    )
    np.testing.assert_array_equal(curve, closed)
