"""Intervals of every model's predictions, one battery over the registered models.

- The covariance the intervals start from is the inverse of the observed information;
  here it is checked against a numerical Hessian of the public log-likelihood (central
  second differences with Richardson extrapolation), for every purchase model of the
  family and for Gamma-Gamma.
- The delta method's standard error equals one computed in the test from central
  differences of the prediction in the log-parameters (an independent step and formula).
- Intervals bracket the estimate, stay in the quantity's range, do not change the
  estimate, and the three methods agree.
- Bootstrap draws are reproducible and do not depend on the number of threads.
- Purchase-count prediction intervals are the quantiles of the predictive distribution.
- Bad arguments are refused with clvkit errors that say what to do.
"""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtri

import clvkit as ck
from clvkit.errors import InputError, UncertaintyError
from tests.models.family import PURCHASE_MODELS, SPEND_MODELS, simulated_cohort

KINDS = list(PURCHASE_MODELS)


@pytest.fixture(params=KINDS, scope="module")
def kind(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def cohort(kind) -> pd.DataFrame:
    return simulated_cohort(kind, n=4000, seed=3)


@pytest.fixture(scope="module")
def fitted(kind, cohort):
    return getattr(ck, kind)().fit(cohort)


def _h(model, weeks: float) -> float:
    return float(np.floor(weeks)) if model.discrete else weeks


def _numerical_hessian(loglik, params: np.ndarray, rel: float = 5e-3) -> np.ndarray:
    """Central second differences of ``loglik`` with steps ``rel * params``, Richardson
    extrapolated from steps h and h/2 (truncation O(h^4); the step is large enough that
    the rounding of a log-likelihood of thousands of customers stays below 1e-8)."""
    k = params.size

    def second(h: np.ndarray) -> np.ndarray:
        out = np.zeros((k, k))
        for i in range(k):
            for j in range(i, k):

                def at(si: int, sj: int, i: int = i, j: int = j) -> float:
                    q = params.copy()
                    q[i] += si * h[i]
                    q[j] += sj * h[j]
                    return loglik(q)

                value = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h[i] * h[j])
                out[i, j] = out[j, i] = value
        return out

    h = rel * params
    return (4.0 * second(h / 2) - second(h)) / 3.0


def _scaled_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Largest |a_ij - b_ij| / sqrt(b_ii b_jj): relative on the scale of the entries."""
    scale = np.sqrt(np.outer(np.diag(b), np.diag(b)))
    return float(np.max(np.abs(a - b) / scale))


# -- the covariance -------------------------------------------------------------------------
def test_covariance_is_the_inverse_numerical_hessian(fitted, cohort):
    names = fitted.param_names

    def loglik(q: np.ndarray) -> float:
        return fitted.log_likelihood(cohort, params=dict(zip(names, q, strict=True)))

    hessian = _numerical_hessian(loglik, fitted.params_.to_numpy())
    covariance = fitted.covariance().to_numpy()
    assert _scaled_difference(np.linalg.inv(-hessian), covariance) < 1e-5


@pytest.mark.parametrize("spend_kind", list(SPEND_MODELS))
def test_spend_covariance_is_the_inverse_numerical_hessian(spend_kind):
    cohort = ck.datasets.simulate_rfm(4000, gg_params=SPEND_MODELS[spend_kind], seed=3)
    model = getattr(ck, spend_kind)().fit(cohort)
    names = model.param_names

    def loglik(q: np.ndarray) -> float:
        return model.log_likelihood(cohort, params=dict(zip(names, q, strict=True)))

    hessian = _numerical_hessian(loglik, model.params_.to_numpy())
    assert _scaled_difference(np.linalg.inv(-hessian), model.covariance().to_numpy()) < 1e-5


# -- the delta method -----------------------------------------------------------------------
def _central_se(model, predict, scale: str) -> np.ndarray:
    """Standard error on ``scale`` from central differences (step 1e-4) in the
    log-parameters, at parameters set directly on a copy of the model."""
    est = model.params_.to_numpy()
    cov_log = model.covariance().to_numpy() / np.outer(est, est)
    transform = np.log if scale == "log" else (lambda p: np.log(p) - np.log1p(-p))
    grads = []
    for j in range(est.size):
        values = []
        for sign in (1, -1):
            moved = copy.deepcopy(model)
            params = est.copy()
            params[j] *= np.exp(sign * 1e-4)
            moved.params_ = pd.Series(params, index=model.params_.index, name="estimate")
            with np.errstate(divide="ignore", invalid="ignore"):
                values.append(transform(np.asarray(predict(moved), dtype=float)))
        with np.errstate(invalid="ignore"):
            grads.append((values[0] - values[1]) / 2e-4)
    g = np.array(grads)
    return np.sqrt(np.einsum("i...,ij,j...->...", g, cov_log, g))


def test_delta_standard_errors_match_central_differences(fitted, cohort):
    head = cohort.iloc[:300]
    z = float(ndtri(0.95))
    h = _h(fitted, 26)
    cases = {  # column: (the prediction, its delta-method scale)
        "p_alive": (lambda m, **kw: m.probability_alive(head, **kw), "logit"),
        "expected_purchases": (lambda m, **kw: m.expected_purchases(head, h, **kw), "log"),
        "p_active": (lambda m, **kw: m.probability_purchase(head, h, **kw), "logit"),
    }
    for name, (predict, scale) in cases.items():
        table = predict(fitted, interval=0.9)
        point, upper = table[name].to_numpy(), table[f"{name}_upper"].to_numpy()
        if scale == "log":
            inside = point > 0
            se = np.log(upper[inside] / point[inside]) / z
        else:  # P(alive) = 1 exactly (no repeat purchase) has no uncertainty
            inside = (point > 1e-12) & (point < 1 - 1e-9)
            with np.errstate(divide="ignore", invalid="ignore"):
                logit = np.log(upper / (1 - upper)) - np.log(point / (1 - point))
            se = logit[inside] / z
        expected = _central_se(fitted, predict, scale)[inside]
        np.testing.assert_allclose(se, expected, rtol=1e-4, atol=1e-10, err_msg=name)


def test_new_customer_intervals_match_central_differences(fitted):
    h = _h(fitted, 39)
    z = float(ndtri(0.95))
    out = fitted.expected_purchases_new_customer(h, interval=0.9)
    se = np.log(out["expected_purchases_upper"] / out["expected_purchases"]) / z
    expected = _central_se(fitted, lambda m: m.expected_purchases_new_customer(h), "log")
    assert se == pytest.approx(float(expected), rel=1e-4)


# -- shapes and invariants ------------------------------------------------------------------
def test_an_interval_adds_bounds_beside_an_unchanged_estimate(fitted, cohort):
    head = cohort.iloc[:200]
    h = _h(fitted, 13)
    plain = fitted.expected_purchases(head, h)
    table = fitted.expected_purchases(head, h, interval=0.8)
    assert list(table.columns) == [
        "expected_purchases",
        "expected_purchases_lower",
        "expected_purchases_upper",
    ]
    assert table.index.equals(head.index)
    pd.testing.assert_series_equal(table["expected_purchases"], plain)
    assert np.all(table["expected_purchases_lower"] <= plain + 1e-15)
    assert np.all(plain <= table["expected_purchases_upper"] + 1e-15)
    p = fitted.probability_alive(head, interval=0.95, method="parametric", random_state=1)
    assert np.all((p["p_alive_lower"] >= 0) & (p["p_alive_upper"] <= 1))
    pd.testing.assert_series_equal(p["p_alive"], fitted.probability_alive(head))


def test_several_horizons_give_two_column_levels(fitted, cohort):
    head = cohort.iloc[:50]
    horizons = [_h(fitted, 4), _h(fitted, 26)]
    table = fitted.expected_purchases(head, horizons, interval=0.9)
    assert list(table.columns.get_level_values(0).unique()) == [
        "expected_purchases",
        "expected_purchases_lower",
        "expected_purchases_upper",
    ]
    pd.testing.assert_frame_equal(
        table["expected_purchases"], fitted.expected_purchases(head, horizons)
    )
    one = fitted.expected_purchases(head, horizons[1], interval=0.9)
    np.testing.assert_allclose(
        table["expected_purchases_upper"][horizons[1]], one["expected_purchases_upper"]
    )


def test_every_prediction_takes_an_interval(fitted, cohort):
    head = cohort.iloc[:40]
    h = _h(fitted, 13)
    x, t_x, T = (head[c].to_numpy() for c in fitted.columns)
    results = {
        "p_alive": fitted.probability_alive(head, interval=0.9),
        "expected_purchases": fitted.expected_purchases(head, h, interval=0.9),
        "expected_purchases_if_alive": fitted.expected_purchases_if_alive(head, h, interval=0.9),
        "p_active": fitted.probability_purchase(head, h, interval=0.9),
        "p_n_purchases": fitted.probability_n_purchases(head, [0, 1, 2], h, interval=0.9),
    }
    for name, table in results.items():
        assert f"{name}_lower" in table.columns.get_level_values(0), name
        assert table.index.equals(head.index)
    arrays = fitted.probability_alive(frequency=x, recency=t_x, T=T, interval=0.9)
    assert list(arrays.columns) == ["p_alive", "p_alive_lower", "p_alive_upper"]
    np.testing.assert_allclose(arrays["p_alive"], results["p_alive"]["p_alive"])
    several = fitted.expected_purchases(
        frequency=x, recency=t_x, T=T, horizon=[h, 2 * h], interval=0.9
    )
    assert list(several["expected_purchases_upper"].columns) == [h, 2 * h]
    new = {
        "expected_purchases": fitted.expected_purchases_new_customer([h, 2 * h], interval=0.9),
        "p_alive": fitted.probability_alive_new_customer(h, interval=0.9),
        "probability": fitted.probability_n_purchases_new_customer(
            [0, 1], [h, 2 * h], interval=0.9
        ),
        "p_active": fitted.probability_purchase_new_customer(h, interval=0.9),
    }
    for name, table in new.items():
        labels = table.index if isinstance(table, pd.Series) else table.columns
        assert f"{name}_upper" in labels.get_level_values(0), name
    assert new["p_alive"]["p_alive_lower"] <= new["p_alive"]["p_alive"]


def test_parametric_and_bootstrap_agree_with_the_delta_method(kind):
    # asymptotic intervals agree once the cohort is large enough for the likelihood to be
    # close to quadratic in the log-parameters: Pareto/NBD's is flat in s and beta, and at
    # 4,000 customers some widths differ by 13 %; at 20,000 all agree within 10 %
    cohort = simulated_cohort(kind, n=20_000, seed=3)
    fitted = getattr(ck, kind)().fit(cohort)
    head = cohort.iloc[:400]
    h = _h(fitted, 26)

    def widths(**kw) -> np.ndarray:
        t = fitted.expected_purchases(head, h, interval=0.9, **kw)
        return (t["expected_purchases_upper"] - t["expected_purchases_lower"]).to_numpy()

    delta = widths()
    parametric = widths(method="parametric", n_draws=4000, random_state=0)
    assert np.all(np.abs(parametric / delta - 1) < 0.1)
    draws = fitted.bootstrap(cohort, n_draws=100, random_state=0)
    boot = widths(method="bootstrap", draws=draws)
    ratio = boot / delta
    assert 0.75 < np.median(ratio) < 1.33  # 100 refits: quantiles of a small sample


# -- the bootstrap ----------------------------------------------------------------------------
def test_bootstrap_is_reproducible_and_independent_of_threads(fitted, cohort):
    one = fitted.bootstrap(cohort, n_draws=12, random_state=7)
    two = fitted.bootstrap(cohort, n_draws=12, random_state=7, n_jobs=2)
    pd.testing.assert_frame_equal(one, two)
    assert list(one.columns) == list(fitted.param_names) and one.index.name == "draw"
    assert not one.equals(fitted.bootstrap(cohort, n_draws=12, random_state=8))
    # the refits scatter around the estimate by about the standard errors
    spread = one.std().to_numpy() / fitted.summary()["std_error"].to_numpy()
    assert np.all((spread > 0.3) & (spread < 3.0))


def test_bootstrap_resamples_weights_on_distinct_rows(kind):
    """Duplicated customers and weights are the same population to resample."""
    cohort = simulated_cohort(kind, n=800, seed=2)
    model = getattr(ck, kind)().fit(cohort)
    doubled = pd.concat([cohort, cohort], ignore_index=True)
    doubled.attrs = cohort.attrs
    weights = np.full(len(cohort), 2.0)
    a = model.bootstrap(doubled, n_draws=5, random_state=3)
    b = model.bootstrap(cohort, n_draws=5, random_state=3, weights=weights)
    pd.testing.assert_frame_equal(a, b)


# -- purchase-count prediction intervals ------------------------------------------------------
def test_count_prediction_bounds_are_quantiles_of_the_predictive_distribution(fitted, cohort):
    head = cohort.iloc[:150]
    h = _h(fitted, 26)
    table = fitted.expected_purchases(head, h, prediction_interval=0.8)
    assert list(table.columns) == [
        "expected_purchases",
        "purchases_prediction_lower",
        "purchases_prediction_upper",
    ]
    n = np.arange(300)
    cdf = np.cumsum(fitted.probability_n_purchases(head, n, h).to_numpy(), axis=1)
    lo = table["purchases_prediction_lower"].to_numpy().astype(int)
    hi = table["purchases_prediction_upper"].to_numpy().astype(int)
    rows = np.arange(len(head))
    assert np.all(cdf[rows, lo] >= 0.1 - 1e-12)
    assert np.all((lo == 0) | (cdf[rows, lo - 1] < 0.1))
    assert np.all(cdf[rows, hi] >= 0.9 - 1e-12)
    assert np.all((hi == 0) | (cdf[rows, hi - 1] < 0.9))
    # at least 80 % of the probability lies inside
    inside = cdf[rows, hi] - np.where(lo > 0, cdf[rows, lo - 1], 0.0)
    assert np.all(inside >= 0.8 - 1e-12)


def test_count_prediction_with_draws_is_the_mixture_over_draws(fitted, cohort):
    head = cohort.iloc[:20]
    h = _h(fitted, 26)
    draws = pd.DataFrame(
        fitted.params_.to_numpy()[None, :] * np.exp(np.linspace(-0.05, 0.05, 6))[:, None],
        columns=list(fitted.param_names),
    )
    table = fitted.expected_purchases(
        head, h, prediction_interval=0.9, method="bootstrap", draws=draws
    )
    n = np.arange(200)
    cdf = 0.0
    for _, row in draws.iterrows():
        at = type(fitted).from_params(time_unit=fitted.time_unit_, **row.to_dict())
        cdf = cdf + np.cumsum(at.probability_n_purchases(head, n, h).to_numpy(), axis=1)
    cdf = cdf / len(draws)
    expected_hi = np.argmax(cdf >= 0.95 - 1e-12, axis=1)
    expected_lo = np.argmax(cdf >= 0.05 - 1e-12, axis=1)
    np.testing.assert_array_equal(table["purchases_prediction_upper"], expected_hi)
    np.testing.assert_array_equal(table["purchases_prediction_lower"], expected_lo)


# -- refused ------------------------------------------------------------------------------------
@pytest.mark.parametrize("interval", [0, 1, 1.5, -0.1, True, "0.9", np.nan])
def test_an_interval_outside_zero_one_is_refused(fitted, cohort, interval):
    with pytest.raises(InputError, match=r"'interval'.*strictly between 0 and 1"):
        fitted.probability_alive(cohort.iloc[:5], interval=interval)


@pytest.mark.parametrize("method", ["Delta", "sandwich", None])
def test_an_unknown_method_is_refused(fitted, cohort, method):
    with pytest.raises(InputError, match=r"'method'.*delta.*parametric.*bootstrap"):
        fitted.expected_purchases(cohort.iloc[:5], 4, interval=0.9, method=method)
    with pytest.raises(InputError, match="'method'"):  # even without an interval
        fitted.expected_purchases(cohort.iloc[:5], 4, method=method)


@pytest.mark.parametrize("n_draws", [1, 0, -5, 2.5, True])
def test_fewer_than_two_draws_are_refused(fitted, cohort, n_draws):
    with pytest.raises(InputError, match=r"'n_draws'.*>= 2"):
        fitted.probability_alive(
            cohort.iloc[:5], interval=0.9, method="parametric", n_draws=n_draws
        )
    with pytest.raises(InputError, match="'n_draws'"):
        fitted.bootstrap(cohort, n_draws=n_draws)


def test_a_model_built_from_parameters_has_no_covariance_to_use(fitted, cohort):
    known = type(fitted).from_params(time_unit="W", **fitted.params_.to_dict())
    for method in ("delta", "parametric"):
        with pytest.raises(UncertaintyError, match=r"from_params.*method='bootstrap'"):
            known.probability_alive(cohort.iloc[:5], interval=0.9, method=method)
    draws = fitted.bootstrap(cohort, n_draws=4, random_state=0)
    out = known.probability_alive(cohort.iloc[:5], interval=0.9, method="bootstrap", draws=draws)
    assert out.shape == (5, 3)
    np.testing.assert_allclose(known.probability_alive(cohort.iloc[:5]), out["p_alive"])


def test_an_information_matrix_that_is_not_positive_definite_is_refused(fitted, cohort):
    broken = copy.deepcopy(fitted)
    broken.diagnostics_ = replace(broken.diagnostics_, hessian_positive_definite=False)
    with pytest.raises(UncertaintyError, match=r"not positive definite.*bootstrap"):
        broken.expected_purchases(cohort.iloc[:5], 4, interval=0.9)
    with pytest.raises(UncertaintyError, match="not positive definite"):
        broken.expected_purchases_new_customer(4, interval=0.9, method="parametric")


def test_bootstrap_without_draws_and_draws_without_bootstrap_are_refused(fitted, cohort):
    with pytest.raises(UncertaintyError, match=r"draws = model.bootstrap"):
        fitted.probability_alive(cohort.iloc[:5], interval=0.9, method="bootstrap")
    draws = fitted.bootstrap(cohort, n_draws=3, random_state=0)
    with pytest.raises(InputError, match="method='bootstrap'"):
        fitted.probability_alive(cohort.iloc[:5], interval=0.9, draws=draws)
    with pytest.raises(InputError, match="columns"):
        fitted.probability_alive(
            cohort.iloc[:5], interval=0.9, method="bootstrap", draws=draws.iloc[:, :2]
        )
    with pytest.raises(InputError, match="finite and > 0"):
        fitted.probability_alive(cohort.iloc[:5], interval=0.9, method="bootstrap", draws=-draws)


def test_bad_random_state_and_n_jobs_are_refused(fitted, cohort):
    with pytest.raises(InputError, match="'random_state'"):
        fitted.probability_alive(
            cohort.iloc[:5], interval=0.9, method="parametric", random_state="seed"
        )
    with pytest.raises(InputError, match="'n_jobs'"):
        fitted.bootstrap(cohort, n_draws=3, n_jobs=0)


def test_spend_intervals():
    cohort = ck.datasets.simulate_rfm(4000, seed=3)
    gg = ck.GammaGamma().fit(cohort)
    plain = gg.expected_spend(cohort)
    table = gg.expected_spend(cohort, interval=0.9)
    pd.testing.assert_series_equal(table["expected_spend"], plain)
    assert np.all(table["expected_spend_lower"] < plain) and np.all(
        plain < table["expected_spend_upper"]
    )
    z = float(ndtri(0.95))
    se = np.log(table["expected_spend_upper"] / plain).to_numpy() / z
    np.testing.assert_allclose(
        se, _central_se(gg, lambda m: m.expected_spend(cohort), "log"), rtol=1e-4
    )
    par = gg.expected_spend(cohort, interval=0.9, method="parametric", n_draws=4000, random_state=0)
    ratio = (par["expected_spend_upper"] - par["expected_spend_lower"]) / (
        table["expected_spend_upper"] - table["expected_spend_lower"]
    )
    assert np.all(np.abs(ratio - 1) < 0.1)
    draws = gg.bootstrap(cohort, n_draws=6, random_state=0)
    assert list(draws.columns) == ["p", "q", "v"]
    with pytest.raises(UncertaintyError, match="from_params"):
        ck.GammaGamma.from_params(p=6.0, q=3.0, v=15.0).expected_spend(cohort, interval=0.9)
