"""One battery over every purchase model: the same method names with the same meaning.

Each check is a relation between the contract's methods that holds for any purchase
model (probabilities sum to one, an expectation is the mean of its distribution,
P(alive) times the alive part is the conditional expectation, ...), run at the model's
reference parameters on customers drawn from the model itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.errors import InputError, ModelFileError, NotFittedError
from tests.models.family import PURCHASE_MODELS, reference_model, simulated_cohort

KINDS = list(PURCHASE_MODELS)


@pytest.fixture(params=KINDS, scope="module")
def kind(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def model(kind):
    return reference_model(kind)


@pytest.fixture(scope="module")
def customers(kind) -> pd.DataFrame:
    return simulated_cohort(kind, n=400, seed=11)


def _h(model, weeks: float) -> float:
    return float(np.floor(weeks)) if model.discrete else weeks


def test_probability_alive_is_a_probability(model, customers):
    p = model.probability_alive(customers)
    assert p.name == "p_alive" and p.index.equals(customers.index)
    assert np.all((p >= 0) & (p <= 1))


def test_expectation_is_p_alive_times_the_alive_part(model, customers):
    h = _h(model, 26)
    got = model.expected_purchases(customers, h)
    parts = model.probability_alive(customers) * model.expected_purchases_if_alive(customers, h)
    np.testing.assert_allclose(got.to_numpy(), parts.to_numpy(), rtol=1e-12)
    assert got.name == "expected_purchases"


def test_zero_horizon_means_no_purchase(model, customers):
    np.testing.assert_allclose(model.expected_purchases(customers, 0), 0.0, atol=1e-12)
    np.testing.assert_allclose(model.probability_purchase(customers, 0), 0.0, atol=1e-12)
    np.testing.assert_allclose(model.probability_n_purchases(customers, 0, 0), 1.0, rtol=1e-12)
    assert model.expected_purchases_new_customer(0) == pytest.approx(0.0, abs=1e-12)
    # 1 for most models; MBG/NBD customers may leave right after the first purchase
    at_zero = model.probability_alive_new_customer(0)
    assert 0 < at_zero <= 1
    if not model.discrete:
        assert at_zero == pytest.approx(model.probability_alive_new_customer(1e-9), rel=1e-6)


def test_several_horizons_equal_one_call_each(model, customers):
    horizons = [_h(model, 4), _h(model, 13), _h(model, 52)]
    table = model.expected_purchases(customers, horizons)
    assert list(table.columns) == horizons and table.index.equals(customers.index)
    for h in horizons:
        np.testing.assert_allclose(table[h], model.expected_purchases(customers, h), rtol=1e-13)
    assert np.all(np.diff(table.to_numpy(), axis=1) >= -1e-12)  # grows with the horizon
    curve = model.expected_purchases_new_customer(horizons)
    assert list(curve.index) == horizons
    assert curve.iloc[1] == pytest.approx(model.expected_purchases_new_customer(horizons[1]))


def test_calendar_horizons_convert_with_calendar_lengths(model, customers):
    # the reference models are weekly (for a discrete model: one occasion a week)
    np.testing.assert_allclose(
        model.expected_purchases(customers, "364D"), model.expected_purchases(customers, 52.0)
    )


def test_conditional_counts_are_a_distribution_with_the_right_mean(model, customers):
    h = _h(model, 26)
    head = customers.iloc[:60]
    n = np.arange(400)
    probs = model.probability_n_purchases(head, n, h)
    assert list(probs.columns) == list(n)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, atol=1e-8)
    mean = probs.to_numpy() @ n
    np.testing.assert_allclose(mean, model.expected_purchases(head, h), rtol=1e-6, atol=1e-9)
    # at least one purchase is the complement of none
    np.testing.assert_allclose(
        model.probability_purchase(head, h), 1.0 - probs[0], rtol=1e-10, atol=1e-12
    )


def test_new_customer_counts_are_a_distribution_with_the_right_mean(model):
    h = _h(model, 39)
    n = np.arange(600)
    probs = model.probability_n_purchases_new_customer(n, h)
    assert probs.sum() == pytest.approx(1.0, abs=1e-8)
    assert float(probs.to_numpy() @ n) == pytest.approx(
        model.expected_purchases_new_customer(h), rel=1e-6
    )
    # several horizons at once: one row per horizon
    table = model.probability_n_purchases_new_customer(n[:5], [h, 2 * h])
    np.testing.assert_allclose(table.loc[h], probs.iloc[:5], rtol=1e-13)
    assert model.probability_purchase_new_customer(h) == pytest.approx(1.0 - probs.iloc[0])


def test_new_customer_survival_falls_and_bounds_activity(model):
    ages = np.array([_h(model, w) for w in (1, 5, 13, 26, 52, 104)])
    alive = np.asarray(model.probability_alive_new_customer(ages))
    assert np.all(np.diff(alive) <= 1e-12) and np.all((alive > 0) & (alive <= 1))
    window = _h(model, 4) or 1.0
    active = model.probability_purchase_new_customer(window, age=ages)
    assert np.all(active <= alive + 1e-12)  # to buy in a window one must be alive at its start


def test_log_likelihood_at_the_fit_equals_the_fitted_value(kind, customers):
    model = type(reference_model(kind))().fit(customers)
    assert model.log_likelihood(customers) == pytest.approx(model.log_likelihood_, rel=1e-12)
    other = {**model.params_.to_dict()}
    first = next(iter(other))
    other[first] *= 1.5
    assert model.log_likelihood(customers, params=other) < model.log_likelihood_
    w = np.full(len(customers), 2.0)
    assert model.log_likelihood(customers, weights=w) == pytest.approx(2 * model.log_likelihood_)


def test_fit_recovers_its_own_simulation(kind):
    cohort = simulated_cohort(kind, n=20_000, seed=5)
    truth = reference_model(kind)
    fitted = type(truth)().fit(cohort)
    summary = fitted.summary()
    z = (summary["estimate"] - truth.params_) / summary["std_error"]
    assert np.all(np.abs(z) < 4), z


def test_simulated_alive_state_matches_p_alive_on_average(model, kind):
    cohort = simulated_cohort(kind, n=20_000, seed=9)
    p = model.probability_alive(cohort)
    # P(alive) is the model's own posterior: its mean equals the share alive
    share = cohort["alive"].mean()
    se = np.sqrt(np.sum(p * (1 - p))) / len(p)
    assert abs(p.mean() - share) < 5 * se


def test_mixing_distributions_describe_purchase_and_dropout(model):
    mixing = model.mixing_distributions()
    assert set(mixing) == {"purchase", "dropout"}
    for part in mixing.values():
        assert np.isfinite(part.distribution.mean()) and part.label


def test_clv_model_files_and_service_work_with_every_model(kind, customers, tmp_path):
    purchase = type(reference_model(kind))()
    model = ck.CLVModel(purchase_model=purchase).fit(customers)
    assert type(model.purchase_model_) is type(purchase)
    clv = model.predict_clv(customers, horizon=_h(model.purchase_model_, 26), margin=0.3)
    assert np.all(clv["value_at_risk"] >= -1e-9)
    np.testing.assert_allclose(
        clv["actual_clv"], clv["historical_value"] + clv["expected_value"], rtol=1e-12
    )
    path = tmp_path / "model.json"
    model.save(path)
    loaded = ck.load_model(path)
    assert type(loaded.purchase_model_) is type(purchase)
    served = ck.predict_clv(path, customers, horizon=_h(model.purchase_model_, 26), margin=0.3)
    pd.testing.assert_frame_equal(served, clv, check_exact=True)
    record = {k: float(customers.iloc[0][k]) for k in model.input_columns}
    one = ck.predict_clv(path, record, horizon=_h(model.purchase_model_, 26), margin=0.3)
    assert one["actual_clv"] == pytest.approx(float(clv["actual_clv"].iloc[0]), rel=1e-12)


def test_a_model_file_of_one_kind_is_refused_as_another(kind, tmp_path):
    model = reference_model(kind)
    path = tmp_path / "m.json"
    model.save(path)
    others = [k for k in PURCHASE_MODELS if k != kind] + ["GammaGamma"]
    with pytest.raises(ModelFileError, match=f"holds a {kind}"):
        getattr(ck, others[0]).load(path)


def test_unfitted_and_bad_arguments_are_refused(kind, customers):
    cls = type(reference_model(kind))
    with pytest.raises(NotFittedError):
        cls().probability_alive(customers)
    model = reference_model(kind)
    with pytest.raises(InputError, match="'n'"):
        model.probability_n_purchases(customers, -1, 5)
    with pytest.raises(InputError, match="window"):
        model.probability_purchase(customers)
    with pytest.raises(InputError):
        model.expected_purchases(customers, [[1, 2]])
