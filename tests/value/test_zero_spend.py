"""Repeat purchases worth nothing (issue 17, item 4).

A repeat buyer whose ``monetary_value`` is 0 (returns netted out, free items) has no
likelihood under the Gamma-Gamma model. On the main branch before this change
``GammaGamma.fit``, ``CLVModel.fit`` and every prediction refused the whole frame ("must
be > 0 for repeat buyers"), so the full CDNOW log could not be fitted as it ships
(customer 10244 has one repeat purchase of $0) and a service batch holding such a
customer failed. The policy now: the spend model fits on the others and says how many it
left out; predictions give those customers the population mean spend ``p v / (q - 1)``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.errors import DataWarning


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    """A simulated cohort where four repeat buyers' purchases were worth nothing."""
    rfm = ck.datasets.simulate_rfm(3000, seed=11, time_unit="W")
    zero = rfm.index[rfm["frequency"] > 0][[0, 5, 9, 40]]
    rfm.loc[zero, "monetary_value"] = 0.0
    rfm.attrs["zero"] = list(zero)
    return rfm


@pytest.fixture(scope="module")
def model(cohort: pd.DataFrame) -> ck.CLVModel:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return ck.CLVModel().fit(cohort)


def test_the_spend_fit_leaves_them_out_and_says_so(cohort: pd.DataFrame) -> None:
    """Main: InputError "'monetary_value' must be > 0 for repeat buyers", nothing fitted."""
    zero = cohort.attrs["zero"]
    n_repeat = int((cohort["frequency"] > 0).sum())
    with pytest.warns(DataWarning, match=rf"left out 4 of {n_repeat} repeat buyers") as seen:
        gg = ck.GammaGamma().fit(cohort)
    message = str(seen[0].message)
    assert f"customer ids: {zero[0]}, {zero[1]}, {zero[2]}, ..." in message
    assert "population mean spend" in message
    # exactly the fit on the frame without them
    rest = ck.GammaGamma().fit(cohort.drop(index=zero))
    pd.testing.assert_series_equal(gg.params_, rest.params_)
    assert gg.n_customers_ == n_repeat - 4
    # and the log-likelihood counts the same customers
    assert gg.log_likelihood(cohort) == pytest.approx(rest.log_likelihood(rest_frame(cohort)))


def rest_frame(cohort: pd.DataFrame) -> pd.DataFrame:
    return cohort.drop(index=cohort.attrs["zero"])


def test_they_get_the_population_mean_spend(cohort: pd.DataFrame, model: ck.CLVModel) -> None:
    """Main refused every prediction of a batch holding one of them."""
    gg = model.spend_model_
    zero = cohort.attrs["zero"]
    spend = gg.expected_spend(cohort)
    np.testing.assert_allclose(spend.loc[zero], gg.mean_spend(), rtol=1e-14)
    one_time = cohort.index[cohort["frequency"] == 0][0]
    with_bounds = gg.expected_spend(cohort, interval=0.9)
    for column in ("expected_spend_lower", "expected_spend_upper"):
        np.testing.assert_allclose(
            with_bounds.loc[zero, column], with_bounds.loc[one_time, column], rtol=1e-12
        )
    clv = model.predict_clv(cohort, horizon="52W", discount_rate=0.1, margin=0.3)
    np.testing.assert_allclose(clv.loc[zero, "expected_spend"], gg.mean_spend(), rtol=1e-14)
    assert clv.loc[zero, "expected_purchases"].gt(0).all()  # still buyers to the BG/NBD
    expected = 0.3 * gg.mean_spend() * clv.loc[zero, "expected_purchases"]
    assert (clv.loc[zero, "expected_value"] <= expected + 1e-9).all()  # discounted


@pytest.mark.parametrize("method", ["delta", "parametric"])
def test_their_intervals_follow_the_population_spend(
    cohort: pd.DataFrame, model: ck.CLVModel, method: str
) -> None:
    """Per customer, inside segments and inside cash flows, the interval machinery gives
    them the population spend at every parameter draw: with every draw at the estimate,
    the bounds collapse onto the point values."""
    zero = cohort.attrs["zero"]
    clv = model.predict_clv(cohort, horizon=26, interval=0.9, method=method, random_state=1)
    np.testing.assert_allclose(
        clv.loc[zero, "expected_spend_lower"],
        clv.loc[cohort.index[cohort["frequency"] == 0][0], "expected_spend_lower"],
        rtol=1e-12,
    )
    at_estimate = pd.DataFrame(
        [
            [*model.purchase_model_.params_, *model.spend_model_.params_],
            [*model.purchase_model_.params_, *model.spend_model_.params_],
        ],
        columns=pd.MultiIndex.from_tuples(
            [("purchase_model", p) for p in model.purchase_model_.param_names]
            + [("spend_model", p) for p in model.spend_model_.param_names]
        ),
    )
    point = model.predict_clv(cohort, horizon=26, discount_rate=0.1)
    seg = ck.segment_summary(
        point, interval=0.9, model=model, customers=cohort, method="bootstrap", draws=at_estimate
    )
    for column in ("expected_value", "potential_value", "mean_expected_spend"):
        np.testing.assert_allclose(seg[f"{column}_lower"], seg[column], rtol=1e-10)
        np.testing.assert_allclose(seg[f"{column}_upper"], seg[column], rtol=1e-10)
    flows = ck.clv_cashflows(
        model,
        cohort,
        horizon=26,
        discount_rate=0.1,
        by="lifecycle",
        interval=0.9,
        method="bootstrap",
        draws=at_estimate,
    )
    np.testing.assert_allclose(flows["expected_value_lower"], flows["expected_value"], rtol=1e-10)
    np.testing.assert_allclose(flows["expected_value_upper"], flows["expected_value"], rtol=1e-10)


def test_a_service_batch_with_one_of_them_is_scored(model: ck.CLVModel) -> None:
    record = {
        "customer_id": "c-1",
        "frequency": 1.0,
        "recency": 4.0,
        "T": 33.6,
        "monetary_value": 0.0,
        "historical_value": 15.96,
    }
    out = ck.predict_clv(model, record, horizon="52W", discount_rate=0.1)
    assert out["expected_spend"] == pytest.approx(model.spend_model_.mean_spend(), rel=1e-14)


def test_the_full_cdnow_log_goes_through_as_it_ships() -> None:
    """Main: CLVModel.fit refused the whole frame because of customer 10244's $0 repeat
    purchase, and predict_clv refused every batch containing that customer."""
    tx = ck.datasets.load_cdnow_master_transactions()
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        rfm = ck.rfm_summary(
            tx, monetary="amount", time_unit="W", duplicates="keep"
        )  # dates without times: the repeated rows are real purchases
        model = ck.CLVModel().fit(rfm)
        clv = model.predict_clv(rfm, horizon="52W", discount_rate=0.10, margin=0.30)
    spend_warnings = [str(w.message) for w in seen if issubclass(w.category, DataWarning)]
    assert spend_warnings == [
        next(m for m in spend_warnings if "left out 1 of" in m and "customer ids: 10244" in m)
    ]
    assert model.purchase_model_.diagnostics_.converged
    assert model.spend_model_.diagnostics_.converged
    assert len(clv) == 23_570 and clv.notna().all().all()
    assert clv.loc[10244, "expected_spend"] == pytest.approx(
        model.spend_model_.mean_spend(), rel=1e-14
    )
