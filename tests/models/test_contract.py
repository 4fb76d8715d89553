"""One contract battery over every model (the scikit-learn estimator contract)."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.errors import InputError, NotFittedError
from clvkit.models import BaseModel, model_kinds
from tests.models.family import (
    CONTRACTUAL_MODELS,
    PURCHASE_MODELS,
    SPEND_MODELS,
    contractual_class,
    purchase_class,
    simulated_cohort,
)


@dataclass
class Case:
    model: Callable[[], BaseModel]
    predict: Callable[[BaseModel, pd.DataFrame], pd.Series]
    params: dict[str, float]
    kind: str


def _cases() -> dict[str, Case]:
    cases = {}
    for kind, ref in PURCHASE_MODELS.items():
        cls = purchase_class(kind)
        cases[f"{kind}.expected_purchases"] = Case(
            cls, lambda m, df: m.expected_purchases(df, 10.0), ref.params, kind
        )
        cases[f"{kind}.probability_alive"] = Case(
            cls, lambda m, df: m.probability_alive(df), ref.params, kind
        )
    for kind, params in SPEND_MODELS.items():
        cases[kind] = Case(getattr(ck, kind), lambda m, df: m.expected_spend(df), params, "BetaGeo")
    # contractual models fit on one row per subscriber; their per-customer predictions
    # take each subscriber's tenure
    for kind, params in CONTRACTUAL_MODELS.items():
        cls = contractual_class(kind)
        cases[f"{kind}.derl"] = Case(
            cls, lambda m, df: m.derl(df["tenure"], discount_rate=0.10), params, kind
        )
        cases[f"{kind}.conditional_survival"] = Case(
            cls, lambda m, df: m.conditional_survival(df["tenure"], 4), params, kind
        )
    return cases


CASES = _cases()


def test_every_registered_model_runs_the_battery():
    # composite kinds (CLVModel, SubscriptionValue) hold registered models; every single
    # model (a BaseModel) must be in one of the families
    single = {kind for kind in model_kinds() if issubclass(getattr(ck, kind), BaseModel)}
    assert single == set(PURCHASE_MODELS) | set(SPEND_MODELS) | set(CONTRACTUAL_MODELS)


@pytest.fixture(params=list(CASES), scope="module")
def case(request) -> Case:
    return CASES[request.param]


_COHORTS: dict[str, pd.DataFrame] = {}


@pytest.fixture()
def cohort(case) -> pd.DataFrame:
    """Customers drawn from the case's own model (the spend model uses BG/NBD's)."""
    if case.kind not in _COHORTS:
        _COHORTS[case.kind] = simulated_cohort(case.kind)
    return _COHORTS[case.kind]


def test_constructor_stores_keywords_only(case):
    with pytest.raises(TypeError):
        case.model(0.1)  # type: ignore[misc]
    model = case.model()
    assert not [k for k in vars(model) if k.endswith("_")]


def test_fit_returns_self_and_sets_fitted_attributes(case, cohort):
    model = case.model()
    assert model.fit(cohort) is model
    assert list(model.params_.index) == list(model.param_names)
    assert np.all(model.params_ > 0)
    assert np.isfinite(model.log_likelihood_)
    assert model.time_unit_ == "W"
    assert model.diagnostics_.converged


def test_model_keeps_no_training_data(case, cohort):
    model = case.model().fit(cohort)
    blob = pickle.dumps(model)
    assert len(blob) < 5_000  # parameters and diagnostics only, not 3,000 rows
    for value in vars(model).values():
        assert not isinstance(value, pd.DataFrame)
        assert not (isinstance(value, np.ndarray) and value.size >= len(cohort))


def test_pickle_round_trip_predicts_identically(case, cohort):
    model = case.model().fit(cohort)
    clone = pickle.loads(pickle.dumps(model))
    pd.testing.assert_series_equal(case.predict(model, cohort), case.predict(clone, cohort))
    pd.testing.assert_frame_equal(model.summary(), clone.summary())


def test_inputs_are_never_modified(case, cohort):
    frame = cohort.copy(deep=True)
    model = case.model().fit(frame)
    case.predict(model, frame)
    pd.testing.assert_frame_equal(frame, cohort)
    assert frame.attrs == cohort.attrs


def test_predictions_keep_the_input_index(case, cohort):
    model = case.model().fit(cohort)
    shuffled = cohort.sample(frac=1.0, random_state=3)
    shuffled.index = [f"c{i}" for i in shuffled.index]
    result = case.predict(model, shuffled)
    assert result.index.equals(shuffled.index)
    np.testing.assert_array_equal(
        result.to_numpy(),
        case.predict(model, cohort).reindex([int(i[1:]) for i in shuffled.index]).to_numpy(),
    )


def test_refit_overwrites_all_fitted_state(case, cohort):
    model = case.model().fit(cohort.iloc[:500])
    first = model.params_.copy()
    model.fit(cohort)
    assert model.n_customers_ != 500 or not model.params_.equals(first)
    fresh = case.model().fit(cohort)
    pd.testing.assert_series_equal(model.params_, fresh.params_)


def test_predict_before_fit_raises(case, cohort):
    with pytest.raises(NotFittedError, match="not fitted"):
        case.predict(case.model(), cohort)


def test_from_params_predicts_like_a_fitted_model(case, cohort):
    fitted = case.model().fit(cohort)
    built = type(fitted).from_params(time_unit="W", **fitted.params_.to_dict())
    for name in ("penalizer", "initial_params", "tol", "max_iter"):
        assert built.get_params()[name] == type(fitted)().get_params()[name]
    pd.testing.assert_series_equal(case.predict(fitted, cohort), case.predict(built, cohort))
    assert built.summary()["std_error"].isna().all()


def test_from_params_refuses_bad_parameters(case):
    cls = case.model
    bad = dict(case.params)
    name = next(iter(bad))
    bad[name] = -1.0
    with pytest.raises(InputError, match=name):
        cls.from_params(**bad)  # type: ignore[attr-defined]
    with pytest.raises(InputError, match="exactly"):
        cls.from_params(**{**case.params, "extra": 1.0})  # type: ignore[attr-defined]


def test_summary_intervals_contain_estimate(case, cohort):
    summary = case.model().fit(cohort).summary(alpha=0.1)
    assert list(summary.columns) == ["estimate", "std_error", "lower", "upper"]
    assert np.all(summary["lower"] < summary["estimate"])
    assert np.all(summary["estimate"] < summary["upper"])
    assert np.all(summary["std_error"] > 0)
    wider = case.model().fit(cohort).summary(alpha=0.01)
    assert np.all(wider["upper"] > summary["upper"])


@pytest.mark.parametrize("penalizer", [-1.0, float("nan"), "0.1", True])
def test_bad_hyperparameters_are_refused_at_fit(case, cohort, penalizer):
    with pytest.raises(InputError, match="penalizer"):
        case.model(penalizer=penalizer).fit(cohort)


def test_penalizer_shrinks_parameters(case, cohort):
    plain = case.model().fit(cohort)
    shrunk = case.model(penalizer=0.1).fit(cohort)
    assert float((shrunk.params_**2).sum()) < float((plain.params_**2).sum())
    assert shrunk.log_likelihood_ < plain.log_likelihood_


def test_model_file_round_trip_predicts_identically(case, cohort, tmp_path):
    model = case.model().fit(cohort)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = type(model).load(path)
    assert ck.load_model(path).get_params() == model.get_params()
    pd.testing.assert_series_equal(case.predict(model, cohort), case.predict(loaded, cohort))
    pd.testing.assert_frame_equal(model.summary(), loaded.summary())
    assert loaded.time_unit_ == model.time_unit_ == "W"


def test_deepcopy_is_independent(case, cohort):
    model = case.model().fit(cohort)
    clone = copy.deepcopy(model)
    clone.fit(cohort.iloc[:800])
    assert not model.params_.equals(clone.params_)
