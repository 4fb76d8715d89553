"""Bad input to fit and predict raises a clvkit error naming the column, rule and count."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clvkit as ck
from clvkit.errors import ClvkitError, InputError, UnitError
from clvkit.models import inputs

BG = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")


def frame(**overrides) -> pd.DataFrame:
    base = {
        "frequency": [0.0, 2.0, 1.0, 5.0],
        "recency": [0.0, 10.0, 3.0, 30.0],
        "T": [20.0, 30.0, 12.0, 40.0],
        "monetary_value": [0.0, 12.5, 8.0, 20.0],
    }
    base.update(overrides)
    return pd.DataFrame(base, index=pd.Index([101, 102, 103, 104], name="customer_id"))


BAD_FRAMES = [
    ("missing column", frame().drop(columns="recency"), "missing the column.*recency"),
    ("NaN", frame(T=[20.0, np.nan, 12.0, 40.0]), r"'T' must not be missing.*1 of 4.*102"),
    ("inf", frame(T=[20.0, np.inf, 12.0, 40.0]), r"'T' must be finite.*1 of 4"),
    ("negative", frame(recency=[0.0, -1.0, 3.0, 30.0]), r"'recency' must be >= 0.*1 of 4"),
    (
        "recency > T",
        frame(recency=[0.0, 31.0, 13.0, 30.0]),
        r"'recency' must be <= .*'T'.*2 of 4.*102, 103",
    ),
    (
        "fractional",
        frame(frequency=[0.0, 2.5, 1.0, 5.0]),
        r"'frequency' must be a whole number.*1 of 4",
    ),
    (
        "recency without repeat",
        frame(recency=[1.0, 10.0, 3.0, 30.0]),
        r"'recency' must be 0 where 'frequency' is 0.*101",
    ),
    ("strings", frame(T=["20", "30", "12", "40"]), r"'T' must hold numbers"),
    (
        "booleans",
        frame(frequency=[False, True, True, True]),
        r"'frequency' must hold numbers.*booleans",
    ),
    ("empty", frame().iloc[:0], "no rows"),
    (
        "duplicated ids",
        frame().set_axis([1, 1, 2, 3]),
        r"index \(customer ids\) must be unique.*2 of 4",
    ),
]


@pytest.mark.parametrize(("case", "bad", "message"), BAD_FRAMES, ids=[c[0] for c in BAD_FRAMES])
@pytest.mark.parametrize("call", ["fit", "probability_alive", "expected_purchases"])
def test_betageo_refuses_bad_frames(case, bad, message, call):
    with pytest.raises(InputError, match=message):
        if call == "fit":
            ck.BetaGeo().fit(bad)
        elif call == "probability_alive":
            BG.probability_alive(bad)
        else:
            BG.expected_purchases(bad, 10)


def test_duplicated_columns_are_refused():
    bad = pd.concat([frame(), frame()[["T"]]], axis=1)
    with pytest.raises(InputError, match=r"duplicated column names.*'T'"):
        ck.BetaGeo().fit(bad)


def test_gammagamma_refuses_negative_spend():
    # zero spend of a repeat buyer is no longer refused (tests/value/test_zero_spend.py)
    bad = frame(monetary_value=[0.0, -1.0, 8.0, 20.0])
    with pytest.raises(InputError, match=r"'monetary_value' must be >= 0.*1 of 4.*102"):
        ck.GammaGamma().fit(bad)


def test_gammagamma_needs_repeat_buyers():
    with pytest.raises(InputError, match="at least 2 repeat buyers"):
        ck.GammaGamma().fit(frame(frequency=[0.0] * 4, recency=[0.0] * 4, monetary_value=[0.0] * 4))


def test_frame_and_arrays_together_are_refused():
    with pytest.raises(InputError, match="not both"):
        ck.BetaGeo().fit(frame(), frequency=[1, 2, 3, 4])


def test_arrays_of_different_lengths_are_refused():
    with pytest.raises(InputError, match="one length"):
        ck.BetaGeo().fit(frequency=[1, 2], recency=[1, 2], T=[3, 4, 5])


def test_array_errors_name_positions():
    with pytest.raises(InputError, match=r"Argument 'recency' must be <= .*row positions: 1"):
        ck.BetaGeo().fit(frequency=[0, 1], recency=[0, 9], T=[5, 5])


@pytest.mark.parametrize("weights", [[1, -1, 1, 1], [0, 0, 0, 0], [1, 1, np.nan, 1], [1, 2]])
def test_bad_weights_are_refused(weights):
    with pytest.raises(InputError, match="weights"):
        ck.BetaGeo().fit(frame(), weights=weights)


@pytest.mark.parametrize(
    "horizon", [-1, "52X", "W52", None, True, float("inf"), [[52]], [], ["52W", "W52"]]
)
def test_bad_horizons_are_refused(horizon):
    with pytest.raises(ClvkitError, match="horizon"):
        BG.expected_purchases(frame(), horizon)


def test_frame_in_another_time_unit_is_refused():
    days = frame()
    days.attrs["time_unit"] = "D"
    with pytest.raises(UnitError, match=r"time unit 'D'.*fitted in 'W'"):
        BG.probability_alive(days)


def test_fit_time_unit_contradicting_the_frame_is_refused():
    weeks = frame()
    weeks.attrs["time_unit"] = "W"
    with pytest.raises(UnitError, match="contradicts"):
        ck.BetaGeo().fit(weeks, time_unit="D")


def test_calendar_horizon_needs_a_model_time_unit():
    unitless = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
    with pytest.raises(UnitError, match="without a time unit"):
        unitless.expected_purchases(frame(), "52W")
    assert unitless.expected_purchases(frame(), 52.0).shape == (4,)


def test_errors_are_value_errors():
    assert issubclass(InputError, ValueError)
    assert issubclass(UnitError, ValueError)


# -- the one-record shortcuts of a service call ----------------------------------------------
_ROW_VALUES = st.sampled_from([0.0, -0.0, 1.0, 2.0, 2.5, -1.0, 38.4, 71.1, 1e-300, -1e-300])


@settings(max_examples=300, deadline=None)
@given(
    x=_ROW_VALUES,
    t_x=_ROW_VALUES,
    T=_ROW_VALUES,
    m=_ROW_VALUES,
    h=_ROW_VALUES,
    positive=st.booleans(),
)
def test_one_rows_rules_on_floats_agree_with_the_masks(x, t_x, T, m, h, positive):
    # a one-row call checks the rules on Python floats; the verdict must be the masks'
    one = {
        "frequency": np.array([x]),
        "recency": np.array([t_x]),
        "T": np.array([T]),
        "monetary_value": np.array([m]),
        "historical_value": np.array([h]),
    }
    masks = not any(np.count_nonzero(bad) for bad, _, _ in inputs.rfm_rules(one, positive))
    assert inputs._rules_hold(one, positive) == masks
    two = {name: np.repeat(values, 2) for name, values in one.items()}  # the masks' path
    assert inputs._rules_hold(two, positive) == masks


def test_parameters_follow_edits_in_place_and_replacement():
    model = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    first = model._check_fitted()
    assert model._check_fitted() is first  # kept between calls
    model.params_["r"] = 0.5
    np.testing.assert_array_equal(model._check_fitted(), [0.5, 4.414, 0.793, 2.426])
    model.params_ = pd.Series([1.0, 2.0, 3.0, 4.0], index=list(model.param_names))
    np.testing.assert_array_equal(model._check_fitted(), [1.0, 2.0, 3.0, 4.0])
    copied = copy.deepcopy(model)
    copied.params_["a"] = 9.0  # the copy's edit is the copy's
    np.testing.assert_array_equal(copied._check_fitted(), [1.0, 2.0, 9.0, 4.0])
    np.testing.assert_array_equal(model._check_fitted(), [1.0, 2.0, 3.0, 4.0])
    restored = pickle.loads(pickle.dumps(model))
    restored.params_["b"] = 7.0
    np.testing.assert_array_equal(restored._check_fitted(), [1.0, 2.0, 3.0, 7.0])
    with pytest.raises(ValueError):
        model._check_fitted()[0] = 5.0  # read-only: a caller cannot change the model
