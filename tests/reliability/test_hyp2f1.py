"""The kernel's Gaussian hypergeometric function against mpmath (40 significant digits).

The grid is every argument triple the BG/NBD conditional expectation feeds it, in its
Euler-transformed form 2F1(a+b-1-r, a-1; a+b+x-1; t/(alpha+T+t)), over tiny to huge
parameters, x up to 2,000 repeat purchases and horizons up to a century of weeks. scipy's
own hyp2f1 returns NaN at 42 of these points (the logarithmic case c - a - b integer with
z near 1); the kernel repairs them.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.special import hyp2f1 as scipy_hyp2f1

from clvkit.models._kernels.hyp2f1 import hyp2f1

mp = pytest.importorskip("mpmath")

PARAMS = list(
    itertools.product(
        [0.01, 0.25, 5.0], [0.1, 4.0, 300.0], [0.05, 0.8, 1.3, 2.0, 20.0], [0.05, 2.5, 50.0]
    )
)
HISTORIES = [(0, 40.0), (3, 40.0), (200, 40.0), (2000, 400.0)]
HORIZONS = [1.0, 52.0, 520.0, 5200.0]


def _grid() -> np.ndarray:
    rows = []
    for (r, alpha, a, b), (x, T), t in itertools.product(PARAMS, HISTORIES, HORIZONS):
        rows.append((a + b - 1 - r, a - 1, a + b + x - 1, t / (alpha + T + t)))
    return np.array(rows)


def test_matches_mpmath_to_1e10_over_the_bgnbd_grid():
    grid = _grid()
    ours = hyp2f1(grid[:, 0], grid[:, 1], grid[:, 2], grid[:, 3])
    with mp.workdps(40):
        ref = np.array([float(mp.hyp2f1(*map(mp.mpf, row))) for row in grid])
    rel = np.abs(ours - ref) / np.abs(ref)
    assert np.all(np.isfinite(ours))
    assert rel.max() < 1e-10, grid[np.argmax(rel)]
    # the repair is needed: scipy alone fails on part of this grid
    assert (~np.isfinite(scipy_hyp2f1(grid[:, 0], grid[:, 1], grid[:, 2], grid[:, 3]))).sum() > 0


@pytest.mark.parametrize(
    ("a", "b", "c", "z"),
    [
        (14.05, 19.0, 219.05, 0.9923474742848418),  # scipy: NaN (c - a - b = 186)
        (64.0, 19.0, 72.0, 0.9386281588447654),  # scipy: finite but 2.5e-9 off (c-a-b = -11)
        (0.5, 1.5, 2.0, 0.999),  # c - a - b = 0: slow series, scipy's value kept
        (2.0, 3.0, 4.5, 0.3),  # ordinary
    ],
)
def test_hard_points(a, b, c, z):
    with mp.workdps(40):
        ref = float(mp.hyp2f1(a, b, c, z))
    assert hyp2f1(a, b, c, z) == pytest.approx(ref, rel=1e-10)
