"""Subscriber value: the CLV columns for subscribers, computed independently here.

Expected values are rebuilt in the tests from the survival function written as products
of retention rates (Fader & Hardie 2007, eq. 9), so they do not share the library's code
path; DERL is checked against mpmath in tests/models/test_shifted_beta_geo.py.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.errors import InputError, ModelFileError, NotFittedError, UnitError
from clvkit.value import CLV_COLUMNS

GAMMA, DELTA = 0.668, 3.806


@pytest.fixture(scope="module")
def value() -> ck.SubscriptionValue:
    sbg = ck.ShiftedBetaGeo.from_params(gamma=GAMMA, delta=DELTA, time_unit="M")
    return ck.SubscriptionValue.from_models(sbg)


@pytest.fixture()
def subs() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "tenure": [0, 1, 5, 24, 3, 12],
            "churned": [False, False, False, False, True, True],
            "revenue_per_period": [10.0, 20.0, 10.0, 15.0, 10.0, 30.0],
            "revenue_to_date": [10.0, 40.0, 60.0, 375.0, 30.0, 360.0],
        },
        index=pd.Index(["a", "b", "c", "d", "e", "f"], name="customer_id"),
    )
    frame.attrs["time_unit"] = "M"
    return frame


def _renewals(n: int, K: int, per_period: float) -> tuple[float, float]:
    """Undiscounted and discounted sums of S(n+k)/S(n) for k = 1..K, from the retention
    rates (delta + n + j - 1) / (gamma + delta + n + j - 1)."""
    ratio, plain, worth = 1.0, 0.0, 0.0
    for k in range(1, K + 1):
        ratio *= (DELTA + n + k - 1) / (GAMMA + DELTA + n + k - 1)
        plain += ratio
        worth += ratio / (1 + per_period) ** (k - 1)
    return plain, worth


def test_columns_match_the_clv_model_and_are_computed_as_documented(value, subs):
    clv = value.predict_clv(subs, horizon="2Y", discount_rate=0.10, margin=0.8)
    assert list(clv.columns) == [*CLV_COLUMNS, "lifecycle_stage"]
    assert clv.index.equals(subs.index)
    d = 1.1 ** (1 / 12) - 1
    full = sum(1 / (1 + d) ** (k - 1) for k in range(1, 25))
    for cid, row in subs.iterrows():
        out = clv.loc[cid]
        rev = row["revenue_per_period"]
        assert out["historical_value"] == pytest.approx(0.8 * row["revenue_to_date"])
        assert out["expected_spend"] == rev
        assert out["potential_value"] == pytest.approx(0.8 * rev * full, rel=1e-12)
        if row["churned"]:
            assert out["p_alive"] == 0 and out["expected_value"] == 0
            assert out["expected_purchases"] == 0
            assert out["lifecycle_stage"] == "win-back"
        else:
            plain, worth = _renewals(int(row["tenure"]), 24, d)
            assert out["p_alive"] == 1
            assert out["expected_purchases"] == pytest.approx(plain, rel=1e-12)
            assert out["expected_value"] == pytest.approx(0.8 * rev * worth, rel=1e-12)
    np.testing.assert_allclose(clv["value_at_risk"], clv["potential_value"] - clv["expected_value"])
    np.testing.assert_allclose(clv["actual_clv"], clv["historical_value"] + clv["expected_value"])
    np.testing.assert_allclose(
        clv["potential_clv"], clv["historical_value"] + clv["potential_value"]
    )
    assert (clv["value_at_risk"] >= 0).all()


def test_segment_summary_reads_it_unchanged(value, subs):
    clv = value.predict_clv(subs, horizon=12, discount_rate=0.1)
    seg = ck.segment_summary(clv, by="lifecycle")
    assert seg["n_customers"].sum() == len(subs)
    assert seg.loc["win-back", "n_customers"] == 2
    assert seg["expected_value"].sum() == pytest.approx(clv["expected_value"].sum())
    by_col = ck.segment_summary(clv.assign(plan=["x", "y", "x", "y", "x", "y"]), by="plan")
    assert by_col["actual_clv"].sum() == pytest.approx(clv["actual_clv"].sum())


def test_horizon_all_is_derl_times_margin_and_revenue(value, subs):
    clv = value.predict_clv(subs, horizon="all", discount_rate=0.10, margin=0.5)
    active = ~subs["churned"]
    derl = value.retention_model_.derl(subs.loc[active, "tenure"], 0.10)
    np.testing.assert_allclose(
        clv.loc[active, "expected_value"],
        0.5 * subs.loc[active, "revenue_per_period"] * derl,
        rtol=1e-13,
    )
    np.testing.assert_allclose(clv.loc[active, "expected_purchases"], derl, rtol=1e-13)
    d = 1.1 ** (1 / 12) - 1
    np.testing.assert_allclose(
        clv["potential_value"], 0.5 * subs["revenue_per_period"] * (1 + d) / d, rtol=1e-12
    )
    # a long finite horizon converges to it
    long = value.predict_clv(subs, horizon=5000, discount_rate=0.10, margin=0.5)
    np.testing.assert_allclose(long["expected_value"], clv["expected_value"], rtol=1e-9)
    with pytest.raises(InputError, match="discount_rate > 0"):
        value.predict_clv(subs, horizon="all")


def test_undiscounted_value_is_spend_times_renewals_and_linear_in_margin(value, subs):
    plain = value.predict_clv(subs, horizon=36)
    np.testing.assert_allclose(
        plain["expected_value"], plain["expected_spend"] * plain["expected_purchases"]
    )
    half = value.predict_clv(subs, horizon=36, margin=0.5)
    for column in ("historical_value", "expected_value", "potential_value", "actual_clv"):
        np.testing.assert_allclose(half[column], 0.5 * plain[column], rtol=1e-14)
    per_row = value.predict_clv(subs.assign(m=0.5), horizon=36, margin="m")
    pd.testing.assert_frame_equal(per_row, half)


def test_calendar_horizons_count_renewals(value, subs):
    a = value.predict_clv(subs, horizon="52W", discount_rate=0.05)
    b = value.predict_clv(subs, horizon=12, discount_rate=0.05)
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(UnitError, match="> 0"):
        value.predict_clv(subs, horizon=0)


def test_lifecycle_stages_of_subscribers(value, subs):
    rules = ck.LifecycleRules(new_within="2M", early_max_frequency=6, fading_below=0.82)
    clv = value.predict_clv(subs, horizon=12, lifecycle=rules)
    stages = clv["lifecycle_stage"].astype(str).to_dict()
    # a: tenure 0 and b: tenure 1 are new; c: 5 renewals, P(3 more months) at tenure 5 is
    # 0.80 < 0.82: at risk; d: 24 renewals, established; e, f churned
    p_c = value.retention_model_.conditional_survival(5, 3)
    assert p_c < 0.82 < value.retention_model_.conditional_survival(24, 3)
    assert stages == {
        "a": "welcome",
        "b": "welcome",
        "c": "revival",
        "d": "development",
        "e": "win-back",
        "f": "win-back",
    }
    early = value.predict_clv(subs, horizon=12, lifecycle=ck.LifecycleRules(new_within="1M"))
    assert early.loc["b", "lifecycle_stage"] == "getting to know"


def test_expected_renewals_match_simulated_futures():
    """Subscribers drawn with their latent lifetimes: the renewals the model expects over
    the next 12 months equal, on average, those the simulation holds (within 4 SE)."""
    subs = ck.datasets.simulate_subscribers(200_000, periods=24, seed=11)
    model = ck.SubscriptionValue().fit(subs)
    clv = model.predict_clv(subs, horizon=12)
    active = ~subs["churned"]
    future = np.clip(subs["lifetime"] - subs["tenure"] - 1, 0, 12)[active]
    expected = clv.loc[active, "expected_purchases"]
    se = float(np.sqrt(np.var(future - expected) / active.sum()))
    assert abs(float(future.mean() - expected.mean())) < 4 * se


def test_model_files_round_trip(value, subs, tmp_path):
    path = tmp_path / "subs.json"
    value.save(path)
    loaded = ck.load_model(path)
    assert isinstance(loaded, ck.SubscriptionValue)
    pd.testing.assert_frame_equal(
        loaded.predict_clv(subs, horizon="all", discount_rate=0.1),
        value.predict_clv(subs, horizon="all", discount_rate=0.1),
    )
    fitted = ck.SubscriptionValue().fit(ck.datasets.simulate_subscribers(3000, seed=2))
    fitted.save(path)
    again = ck.load_model(path)
    pd.testing.assert_frame_equal(
        again.retention_model_.summary(), fitted.retention_model_.summary()
    )
    with pytest.raises(ModelFileError, match="holds a SubscriptionValue"):
        ck.ShiftedBetaGeo.load(path)
    # a purchase model where the contractual model belongs is refused
    other = tmp_path / "other.json"
    ck.GammaGamma.from_params(p=6.25, q=3.74, v=15.44, time_unit="M").save(other)
    doc = json.loads(path.read_text())
    doc["components"]["retention"] = json.loads(other.read_text())["components"]["model"]
    path.write_text(json.dumps(doc))
    with pytest.raises(ModelFileError, match="holds a contractual model; got GammaGamma"):
        ck.load_model(path)


def test_inputs_are_checked_and_never_modified(value, subs):
    before = subs.copy(deep=True)
    value.predict_clv(subs, horizon=12)
    pd.testing.assert_frame_equal(subs, before)
    with pytest.raises(InputError, match=r"'revenue_per_period' must be >= 0.*'c'"):
        value.predict_clv(subs.assign(revenue_per_period=[1, 1, -1, 1, 1, 1.0]), horizon=12)
    with pytest.raises(InputError, match="'tenure' must be >= 1 where the customer churned"):
        value.predict_clv(subs.assign(tenure=[0, 1, 5, 24, 0, 12]), horizon=12)
    with pytest.raises(InputError, match="no column 'revenue'"):
        value.predict_clv(subs, horizon=12, revenue="revenue")
    yearly = subs.copy()
    yearly.attrs["time_unit"] = "Y"
    with pytest.raises(UnitError, match="'Y' periods but the model was fitted in 'M'"):
        value.predict_clv(yearly, horizon=12)
    with pytest.raises(NotFittedError):
        ck.SubscriptionValue().predict_clv(subs, horizon=12)
    with pytest.raises(InputError, match="contractual model"):
        ck.SubscriptionValue(retention_model=ck.BetaGeo()).fit(subs)


def test_fit_clones_the_template():
    subs = ck.datasets.simulate_subscribers(3000, seed=4)
    template = ck.ShiftedBetaGeo(penalizer=0.001)
    model = ck.SubscriptionValue(retention_model=template).fit(subs)
    assert not template.is_fitted
    assert model.retention_model_.penalizer == 0.001
    assert model.time_unit_ == "M" and model.n_customers_ == 3000
    assert math.isfinite(model.retention_model_.log_likelihood_)
