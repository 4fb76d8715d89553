"""The published CDNOW estimates, and agreement with lifetimes 0.11.3 on the same data.

Reference values:
- BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way", section 5:
  r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4 on the 2,357-customer CDNOW
  sample, 39-week calibration period in weeks.
- Gamma-Gamma: Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves", section 4
  (p = 6.25, q = 3.74, v = 15.44 on the 946 repeat buyers).
- Conditional expectation 1.226 for x = 2, t_x = 30.43, T = 38.86 over 39 weeks: Hardie's
  note "Implementing the BG/NBD model in Excel" (customer 1 of the CDNOW sample).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvkit as ck

lifetimes = pytest.importorskip("lifetimes")


def test_betageo_matches_published_cdnow_estimates(cdnow_bg):
    expected = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    for name, value in expected.items():
        assert cdnow_bg.params_[name] == pytest.approx(value, abs=5e-4), name
    assert cdnow_bg.log_likelihood_ == pytest.approx(-9582.43, abs=0.01)
    assert cdnow_bg.n_customers_ == 2357
    assert cdnow_bg.time_unit_ == "W"
    assert cdnow_bg.diagnostics_.converged
    assert cdnow_bg.diagnostics_.hessian_positive_definite


def test_gammagamma_matches_published_cdnow_estimates(cdnow_gg):
    assert cdnow_gg.n_customers_ == 946
    assert cdnow_gg.params_.round(2).to_dict() == {"p": 6.25, "q": 3.74, "v": 15.44}


def test_conditional_expectation_of_customer_one():
    bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    value = bg.expected_purchases(frequency=[2], recency=[30.43], T=[38.86], horizon=39)
    assert value[0] == pytest.approx(1.226, abs=1e-3)


def _lifetimes_bg(params: pd.Series):
    fitter = lifetimes.BetaGeoFitter()
    fitter.params_ = params.copy()
    return fitter


def _rel(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))


@pytest.mark.parametrize("horizon", [1.0, 10.0, 39.0, 52.0, 260.0])
def test_predictions_agree_with_lifetimes_on_every_customer(cdnow_rfm, cdnow_bg, horizon):
    ref = _lifetimes_bg(cdnow_bg.params_)
    x, t_x, T = (cdnow_rfm[c].to_numpy() for c in ("frequency", "recency", "T"))
    ours = cdnow_bg.expected_purchases(cdnow_rfm, horizon)
    theirs = ref.conditional_expected_number_of_purchases_up_to_time(horizon, x, t_x, T)
    assert _rel(ours, theirs) < 1e-8
    assert ours.index.equals(cdnow_rfm.index)
    assert (
        _rel(
            cdnow_bg.expected_purchases_new_customer(horizon),
            ref.expected_number_of_purchases_up_to_time(horizon),
        )
        < 1e-8
    )


def test_probability_alive_agrees_with_lifetimes(cdnow_rfm, cdnow_bg):
    ref = _lifetimes_bg(cdnow_bg.params_)
    x, t_x, T = (cdnow_rfm[c].to_numpy() for c in ("frequency", "recency", "T"))
    assert (
        _rel(cdnow_bg.probability_alive(cdnow_rfm), ref.conditional_probability_alive(x, t_x, T))
        < 1e-8
    )


def test_expected_spend_agrees_with_lifetimes(cdnow_rfm, cdnow_gg):
    ref = lifetimes.GammaGammaFitter()
    ref.params_ = cdnow_gg.params_.copy()
    theirs = ref.conditional_expected_average_profit(
        cdnow_rfm["frequency"], cdnow_rfm["monetary_value"]
    )
    assert _rel(cdnow_gg.expected_spend(cdnow_rfm), theirs) < 1e-8


def test_fitted_parameters_agree_with_lifetimes_fit(cdnow_rfm, cdnow_bg, cdnow_gg):
    # lifetimes stops at a looser tolerance, so agreement is to its optimiser's precision
    bg = lifetimes.BetaGeoFitter().fit(cdnow_rfm["frequency"], cdnow_rfm["recency"], cdnow_rfm["T"])
    assert (
        _rel(cdnow_bg.params_[["r", "alpha", "a", "b"]], bg.params_[["r", "alpha", "a", "b"]])
        < 1e-4
    )
    rep = cdnow_rfm[cdnow_rfm["frequency"] > 0]
    gg = lifetimes.GammaGammaFitter().fit(rep["frequency"], rep["monetary_value"])
    assert _rel(cdnow_gg.params_[["p", "q", "v"]], gg.params_[["p", "q", "v"]]) < 1e-4
    # and our standard errors agree with lifetimes' (both from the observed information)
    np.testing.assert_allclose(
        cdnow_bg.summary()["std_error"].to_numpy(), bg.summary["se(coef)"].to_numpy(), rtol=1e-2
    )
