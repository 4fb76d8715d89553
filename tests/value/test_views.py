"""The model's views as tables: matrices and the P(alive) path, cell by cell."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.errors import DataWarning, InputError

CAL_END = "1997-09-30"


def test_probability_alive_matrix_cells_are_the_models(cdnow_bg, cdnow_rfm):
    m = ck.probability_alive_matrix(cdnow_bg, cdnow_rfm, max_frequency=6, resolution=20)
    assert m.shape == (7, 20)
    assert m.index.name == "frequency" and m.columns.name == "recency"
    T = float(cdnow_rfm["T"].max())
    assert m.attrs == {"quantity": "p_alive", "T": T, "time_unit": "W"}
    for x in (0, 3, 6):
        for t_x in m.columns[[0, 7, 19]]:
            cell = m.loc[x, t_x]
            if x == 0 and t_x > 0:
                assert np.isnan(cell)
                continue
            want = cdnow_bg.probability_alive(frequency=[x], recency=[t_x], T=[T])[0]
            assert cell == pytest.approx(want, rel=1e-14)


def test_expected_purchases_matrix_cells_are_the_models(cdnow_bg):
    m = ck.expected_purchases_matrix(cdnow_bg, horizon="26W", T=39.0, max_frequency=4)
    assert m.attrs["horizon"] == pytest.approx(26.0)
    want = cdnow_bg.expected_purchases(None, 26.0, frequency=[4], recency=[20.0], T=[39.0])[0]
    assert m.loc[4, 20.0] == pytest.approx(want, rel=1e-14)
    assert np.isnan(m.loc[0, 20.0])
    with pytest.raises(InputError, match="resolution"):
        ck.expected_purchases_matrix(cdnow_bg, resolution=1)


def test_probability_alive_path_follows_the_purchases(cdnow_bg, cdnow_transactions):
    with pytest.warns(DataWarning):
        path = ck.probability_alive_path(cdnow_bg, cdnow_transactions, 1516, end=CAL_END)
    assert list(path.columns) == ["p_alive", "purchase"]
    assert path.index[-1] == pd.Timestamp(CAL_END)
    days = path.index[path["purchase"].to_numpy()]
    assert days[0] == path.index[0]
    _, _, a, b = cdnow_bg.params_.to_numpy()
    x = np.arange(len(days))
    np.testing.assert_allclose(
        path.loc[days, "p_alive"], np.where(x > 0, (b + x - 1) / (a + b + x - 1), 1.0)
    )
    with pytest.raises(InputError, match="no transaction"):
        ck.probability_alive_path(cdnow_bg, cdnow_transactions, -1)
