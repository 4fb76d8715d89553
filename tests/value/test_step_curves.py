"""The expected purchases at many parameter vectors behind the CLV intervals.

References:

- the Gauss rule against the plain weighted sum of polynomials it must integrate exactly;
- discounted sums against the model's own curve evaluated at every step end (the kernel
  at each time, no quadrature, no interpolation);
- parametric segment bounds against a loop over the same draws, each a model predicting
  every customer, segments summed in pandas, then ``numpy.quantile``.
"""

from __future__ import annotations

import numpy as np
import pytest

import clvkit as ck
from clvkit.models import uncertainty
from clvkit.value import propagate
from clvkit.value.discount import schedule
from clvkit.value.propagate import StepCurves, _gauss_rule

KW = {"horizon": "52W", "discount_rate": 0.1, "margin": 0.3}


def test_the_gauss_rule_integrates_polynomials_below_twice_its_degree():
    rng = np.random.default_rng(7)
    points = np.sort(rng.uniform(0.0, 3.0, (5, 40)), axis=1)
    mass = rng.uniform(0.1, 2.0, (5, 40))
    for n in (3, 4, 6):
        nodes, weights = _gauss_rule(points, mass, n)
        assert np.all(weights > 0)
        assert np.all((nodes > points[:, :1]) & (nodes < points[:, -1:]))
        for degree in range(2 * n):
            exact = np.sum(mass * points**degree, axis=1)
            np.testing.assert_allclose(
                np.sum(weights * nodes**degree, axis=1), exact, rtol=1e-11, err_msg=degree
            )
        below = np.sum(mass * points ** (2 * n), axis=1)
        assert not np.allclose(np.sum(weights * nodes ** (2 * n), axis=1), below, rtol=1e-11)


@pytest.fixture(scope="module")
def purchase_models(cdnow_rfm, cdnow_clv_model):
    return {
        "BetaGeo": cdnow_clv_model.purchase_model_,
        "ModifiedBetaGeo": ck.ModifiedBetaGeo().fit(cdnow_rfm),
        "ParetoNBD": ck.ParetoNBD().fit(cdnow_rfm),
    }


@pytest.mark.parametrize("name", ["BetaGeo", "ModifiedBetaGeo", "ParetoNBD"])
@pytest.mark.parametrize("n_draws", [4, 40])  # 40: interpolated in scaled time (BG, MBG)
@pytest.mark.parametrize(("horizon", "rate"), [("52W", 0.1), ("520W", 0.2)])
def test_the_discounted_sum_at_draws_matches_every_step_end(
    purchase_models, cdnow_rfm, name, n_draws, horizon, rate
):
    """CDNOW's parameter uncertainty is large (2,357 customers): a hard case; the grid
    adds customers a few days old, whose curves bend most over the horizon."""
    purchase = purchase_models[name]
    steps = schedule(horizon, time_unit="W", discount_rate=rate)
    options = uncertainty.interval_options(
        0.9, method="parametric", n_draws=n_draws, random_state=0, caller="test"
    )
    params = uncertainty.make_plan(options, {"": purchase}, "test").blocks[0].params
    pairs = cdnow_rfm[["frequency", "T"]].drop_duplicates()
    pairs = pairs.iloc[:: 4 if horizon == "52W" else 16]  # the reference costs 520 steps each
    grid_x, grid_T = np.meshgrid(np.arange(0.0, 30.0, 3.0), [0.3, 2.0, 10.0, 60.0, 200.0])
    curves = StepCurves(purchase, steps.ends, steps.factors)
    assert curves.n_gauss in (4, 6)
    for x, T, tolerance in (
        (pairs["frequency"].to_numpy(float), pairs["T"].to_numpy(float), 1e-9),
        (grid_x.ravel(), grid_T.ravel(), 1e-7 if name == "ParetoNBD" else 1e-8),
    ):
        total, disc, _ = curves.evaluate(params, x, T, steps=False)
        exact = purchase._alive_curve_at(params, x, T, steps.ends)
        exact_disc = np.diff(exact, axis=2, prepend=0.0) @ steps.factors
        np.testing.assert_allclose(total, exact[:, :, -1], rtol=1e-10)
        np.testing.assert_allclose(disc, exact_disc, rtol=tolerance)


def test_curves_are_interpolated_only_for_many_vectors_of_a_scaled_model(
    purchase_models, monkeypatch
):
    calls = []
    original = propagate._scaled_interpolation

    def spy(*args, **kwargs):
        calls.append(args[1].shape[1])
        return original(*args, **kwargs)

    monkeypatch.setattr(propagate, "_scaled_interpolation", spy)
    steps = schedule("52W", time_unit="W", discount_rate=0.1)
    x = np.repeat(np.arange(5.0), 40)
    T = np.tile(np.linspace(1.0, 80.0, 40), 5)
    for name, d, expected in (("BetaGeo", 40, [40]), ("BetaGeo", 8, []), ("ParetoNBD", 40, [])):
        calls.clear()
        purchase = purchase_models[name]
        params = purchase._check_fitted()[:, None] * np.exp(
            0.01 * np.random.default_rng(0).standard_normal((4, d))
        )
        StepCurves(purchase, steps.ends, steps.factors).evaluate(params, x, T, steps=False)
        assert calls == expected, name


def test_parametric_segment_bounds_are_quantiles_over_the_draws(cdnow_clv_model, cdnow_rfm):
    model = cdnow_clv_model
    clv = model.predict_clv(cdnow_rfm, **KW)
    n_draws = 24  # enough to interpolate the curves in scaled time
    seg = ck.segment_summary(
        clv,
        interval=0.8,
        model=model,
        customers=cdnow_rfm,
        method="parametric",
        n_draws=n_draws,
        random_state=5,
    )
    options = uncertainty.interval_options(
        0.8, method="parametric", n_draws=n_draws, random_state=5, caller="test"
    )
    plan = model._plan(options, model.read_customers(cdnow_rfm, None), "test")
    totals = []
    purchase_names, spend_names = model.purchase_model_.param_names, model.spend_model_.param_names
    for i in range(n_draws):
        at_p = dict(zip(purchase_names, plan.blocks[0].params[:, i], strict=True))
        at_s = dict(zip(spend_names, plan.blocks[1].params[:, i], strict=True))
        purchase = type(model.purchase_model_).from_params(time_unit="W", **at_p)
        spend = ck.GammaGamma.from_params(**at_s)
        per = ck.CLVModel.from_models(purchase, spend).predict_clv(cdnow_rfm, **KW)
        per["lifecycle_stage"] = clv["lifecycle_stage"]
        totals.append(ck.segment_summary(per))
    filled = seg["n_customers"].to_numpy() > 0
    for name in ("expected_purchases", "expected_value", "potential_value", "mean_p_alive"):
        stacked = np.stack([t[name].to_numpy() for t in totals])
        lo, hi = np.quantile(stacked[:, filled], [0.1, 0.9], axis=0)
        np.testing.assert_allclose(seg[f"{name}_lower"][filled], lo, rtol=1e-8, err_msg=name)
        np.testing.assert_allclose(seg[f"{name}_upper"][filled], hi, rtol=1e-8, err_msg=name)
