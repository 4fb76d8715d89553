"""rfm_segments: quartile scores and named segments, checked rule by rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import clvkit as ck
from clvkit.errors import InputError


def _expected_score(values: np.ndarray, higher_is_better: bool) -> np.ndarray:
    q = np.quantile(values, [0.25, 0.5, 0.75])
    if higher_is_better:
        return 1 + np.array([(q < v).sum() for v in values])
    return 1 + np.array([(q > v).sum() for v in values])


def test_cdnow_scores_follow_the_quartiles_and_rules(cdnow_rfm):
    seg = ck.rfm_segments(cdnow_rfm)
    assert seg.index.equals(cdnow_rfm.index)
    silence = (cdnow_rfm["T"] - cdnow_rfm["recency"]).to_numpy()
    np.testing.assert_array_equal(seg["r_score"], _expected_score(silence, False))
    np.testing.assert_array_equal(
        seg["f_score"], _expected_score(cdnow_rfm["frequency"].to_numpy(), True)
    )
    np.testing.assert_array_equal(
        seg["m_score"], _expected_score(cdnow_rfm["historical_value"].to_numpy(), True)
    )
    r, f = seg["r_score"], seg["f_score"]
    want = np.select(
        [(r == 4) & (f == 4), (r >= 3) & (f >= 3), r >= 3, f >= 3],
        ["champions", "loyal", "promising", "at risk"],
        default="hibernating",
    )
    np.testing.assert_array_equal(seg["segment"].astype(str), want)
    assert seg["rfm_score"].iloc[0] == f"{r.iloc[0]}{f.iloc[0]}{seg['m_score'].iloc[0]}"
    assert list(seg["segment"].cat.categories) == list(ck.data.RFM_SEGMENTS)


def test_segments_work_as_by_in_segment_summary(cdnow_rfm):
    clv = ck.CLVModel().fit(cdnow_rfm).predict_clv(cdnow_rfm, horizon="52W")
    table = ck.segment_summary(clv, by=ck.rfm_segments(cdnow_rfm)["segment"])
    assert table["n_customers"].sum() == len(cdnow_rfm)
    assert table["actual_clv"].sum() == pytest.approx(clv["actual_clv"].sum())


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=60))
def test_scores_are_monotone_and_ties_share_a_score(values):
    v = np.array(values)
    frame = pd.DataFrame(
        {
            "frequency": np.floor(v / 1e5),
            "recency": np.zeros(v.size),
            "T": np.full(v.size, 10.0),
            "historical_value": v,
        }
    )
    frame.loc[frame["frequency"] > 0, "recency"] = 5.0
    seg = ck.rfm_segments(frame)
    order = np.argsort(v, kind="stable")
    assert np.all(np.diff(seg["m_score"].to_numpy()[order]) >= 0)
    for value in np.unique(v):
        scores = seg.loc[v == value, "m_score"].to_numpy()
        assert np.all(scores == scores[0])
    assert seg[["r_score", "f_score", "m_score"]].isin([1, 2, 3, 4]).all().all()


def test_bad_input_is_refused(cdnow_rfm):
    with pytest.raises(InputError, match="missing the column"):
        ck.rfm_segments(cdnow_rfm.drop(columns="T"))
    bad = cdnow_rfm.copy()
    bad.iloc[0, bad.columns.get_loc("recency")] = 1e6
    with pytest.raises(InputError, match="recency"):
        ck.rfm_segments(bad)
    with pytest.raises(InputError, match="missing the column"):
        ck.rfm_segments(cdnow_rfm, monetary="spend")
