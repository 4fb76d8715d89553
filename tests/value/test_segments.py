"""Segments and lifecycle stages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.errors import InputError
from clvkit.value import CLV_COLUMNS, STAGES


@pytest.fixture(scope="module")
def clv(cdnow_rfm, cdnow_clv_model) -> pd.DataFrame:
    return cdnow_clv_model.predict_clv(cdnow_rfm, horizon="52W", discount_rate=0.1, margin=0.3)


@pytest.mark.parametrize("by", ["lifecycle", "channel", "series"])
def test_segment_sums_equal_customer_sums(clv, by):
    frame = clv.assign(channel=np.where(clv.index % 3 == 0, "web", "store"))
    labels = {
        "lifecycle": "lifecycle",
        "channel": "channel",
        "series": pd.Series(clv.index % 4, index=clv.index, name="quartile"),
    }[by]
    seg = ck.segment_summary(frame, by=labels)
    assert seg["n_customers"].sum() == len(clv)
    assert seg["customer_share"].sum() == pytest.approx(1.0)
    for name in (
        "historical_value",
        "expected_value",
        "potential_value",
        "value_at_risk",
        "actual_clv",
        "potential_clv",
        "expected_purchases",
    ):
        assert seg[name].sum() == pytest.approx(clv[name].sum(), rel=1e-12), name
    assert seg["share_of_value_at_risk"].sum() == pytest.approx(1.0)
    nonempty = seg["n_customers"] > 0
    np.testing.assert_allclose(
        seg.loc[nonempty, "at_risk_share"],
        seg.loc[nonempty, "value_at_risk"] / seg.loc[nonempty, "potential_value"],
    )


def test_segment_means_equal_direct_pandas(clv):
    seg = ck.segment_summary(clv)
    assert list(seg.index) == list(STAGES)
    direct = clv.groupby("lifecycle_stage", observed=True)["p_alive"].mean()
    np.testing.assert_allclose(seg.loc[direct.index, "mean_p_alive"], direct)
    counts = clv["lifecycle_stage"].value_counts()
    assert seg.loc[counts.index, "n_customers"].tolist() == counts.tolist()


def test_bad_by_is_refused(clv):
    with pytest.raises(InputError, match="'by' argument"):
        ck.segment_summary(clv, by="region")
    with pytest.raises(InputError, match=r"label for every customer.*2 of 2357"):
        ck.segment_summary(clv, by=pd.Series(1, index=clv.index[2:]))
    with pytest.raises(InputError, match=r"must not be missing.*1 of 2357"):
        ck.segment_summary(clv, by=pd.Series([np.nan] + [1.0] * (len(clv) - 1), index=clv.index))
    with pytest.raises(InputError, match="missing the column"):
        ck.segment_summary(clv.drop(columns="value_at_risk"))


def test_silent_one_time_buyers_are_not_healthy(cdnow_bg):
    # frequency 0 gives P(alive) = 1 whatever the tenure; the stage must still see the silence
    customers = pd.DataFrame(
        {"frequency": [0.0, 0.0, 0.0], "recency": [0.0, 0.0, 0.0], "T": [4.0, 39.0, 150.0]},
        index=["new", "quiet", "gone"],
    )
    stages = ck.lifecycle_stage(cdnow_bg, customers, time_unit="W")
    assert np.all(cdnow_bg.probability_alive(customers, time_unit="W") == 1.0)
    assert stages["new"] == "welcome"
    assert stages["quiet"] in ("revival", "win-back")
    assert stages["gone"] == "win-back"


def test_stages_follow_documented_rules(cdnow_rfm, cdnow_bg):
    rules = ck.LifecycleRules(
        new_within="30W",
        activity_window="26W",
        lost_below=0.05,
        fading_below=0.2,
        early_max_frequency=1,
    )
    stages = ck.lifecycle_stage(cdnow_bg, cdnow_rfm, rules)
    p = cdnow_bg.probability_purchase(cdnow_rfm, "26W")
    x, T = cdnow_rfm["frequency"], cdnow_rfm["T"]
    expected = np.select(
        [T < 30, p < 0.05, p < 0.2, x <= 1],
        ["welcome", "win-back", "revival", "getting to know"],
        "development",
    )
    assert (stages.astype(str).to_numpy() == expected).all()
    assert set(stages.unique()) == set(STAGES)


def test_clv_frame_uses_the_same_stages(clv, cdnow_rfm, cdnow_bg):
    pd.testing.assert_series_equal(clv["lifecycle_stage"], ck.lifecycle_stage(cdnow_bg, cdnow_rfm))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lost_below": 1.5},
        {"lost_below": 0.5, "fading_below": 0.2},
        {"early_max_frequency": -1},
        {"early_max_frequency": 1.5},
    ],
)
def test_bad_rules_are_refused(kwargs):
    with pytest.raises(InputError, match="LifecycleRules"):
        ck.LifecycleRules(**kwargs)


def test_columns_constant_lists_every_value_column():
    assert CLV_COLUMNS[0] == "p_alive" and CLV_COLUMNS[-1] == "potential_clv"
