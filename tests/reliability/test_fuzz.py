"""Random junk into every public entry point: only clvkit errors may come out.

Hypothesis builds frames whose columns have the right or wrong names and arbitrary dtypes
and values (NaN, inf, negatives, strings, booleans, datetimes, None, mixed objects, empty).
Each call must either succeed or raise a :class:`clvkit.errors.ClvkitError`; any other
exception type (a raw numpy/pandas traceback) fails the test.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import clvkit as ck
from clvkit.errors import ClvkitError

NAMES = [
    "customer_id",
    "date",
    "amount",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "historical_value",
    "other",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.text(max_size=6),
    st.sampled_from(
        [
            "1997-01-01",
            "2024-02-30",
            "yesterday",
            "1997-01-01T10:00+02:00",
            "1997-01-01T10:00+05:00",
            "19970101",
        ]
    ),
    st.datetimes(
        min_value=pd.Timestamp("1990-01-01").to_pydatetime(),
        max_value=pd.Timestamp("2030-01-01").to_pydatetime(),
    ),
)


@st.composite
def columns(draw, n: int):
    kind = draw(
        st.sampled_from(
            ["int", "int", "float", "float", "datetime", "datetime", "mixed", "string", "bool"]
        )
    )
    if kind == "int":
        values = st.integers(-1, 60) if draw(st.booleans()) else st.integers(0, 4)
        return np.array(draw(st.lists(values, min_size=n, max_size=n)), dtype=np.int64)
    if kind == "float":
        return np.array(
            draw(
                st.lists(
                    st.one_of(st.floats(-5, 80), st.just(np.nan), st.just(np.inf)),
                    min_size=n,
                    max_size=n,
                )
            )
        )
    if kind == "datetime":
        days = draw(st.lists(st.integers(0, 800), min_size=n, max_size=n))
        return pd.Timestamp("2023-01-01") + pd.to_timedelta(days, unit="D")
    if kind == "string":
        return np.array(draw(st.lists(st.text(max_size=4), min_size=n, max_size=n)), dtype=object)
    if kind == "bool":
        return np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    return pd.Series(draw(st.lists(scalars, min_size=n, max_size=n)), dtype=object)


@st.composite
def plausible(draw, n: int, name: str):
    """A column of the right type for ``name``, with values that are valid most of the time."""
    if name == "customer_id":
        return np.array(draw(st.lists(st.integers(1, 4), min_size=n, max_size=n)))
    if name == "date":
        days = draw(st.lists(st.integers(0, 400), min_size=n, max_size=n))
        return pd.Timestamp("2023-01-01") + pd.to_timedelta(days, unit="D")
    if name == "frequency":
        return np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=float)
    low = -0.5 if draw(st.integers(0, 9)) == 0 else 0.0  # now and then a negative
    values = st.one_of(st.floats(low, 60.0), st.just(0.0))
    return np.array(draw(st.lists(values, min_size=n, max_size=n)))


@st.composite
def junk_frames(draw, required: tuple[str, ...]):
    """Mostly the required columns (often well-typed), sometimes one dropped, duplicated
    or joined by a stray column, so calls get past the first check and into the maths."""
    n = draw(st.integers(0, 12))
    names = list(required)
    mutation = draw(st.sampled_from(["none", "none", "none", "drop", "duplicate", "extra"]))
    if mutation == "drop" and names:
        names.pop(draw(st.integers(0, len(names) - 1)))
    elif mutation == "duplicate" and names:
        names.append(draw(st.sampled_from(names)))
    elif mutation == "extra":
        names.append("other")
    data = {
        f"{name}#{i}": draw(st.one_of(plausible(n, name), plausible(n, name), columns(n)))
        for i, name in enumerate(names)
    }
    frame = pd.DataFrame(data)
    frame.columns = [c.split("#")[0] for c in frame.columns]
    if draw(st.booleans()) and n:
        frame.index = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    return frame


@st.composite
def rfm_frames(draw):
    """A consistent RFM frame (degenerate ones included), now and then with one bad cell."""
    n = draw(st.integers(1, 12))
    x = np.array(draw(st.lists(st.integers(0, 4), min_size=n, max_size=n)), dtype=float)
    T = np.array(draw(st.lists(st.floats(0.0, 60.0), min_size=n, max_size=n)))
    u = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n)))
    m = np.array(draw(st.lists(st.floats(0.01, 500.0), min_size=n, max_size=n)))
    frame = pd.DataFrame(
        {
            "frequency": x,
            "recency": np.where(x > 0, u * T, 0.0),
            "T": T,
            "monetary_value": np.where(x > 0, m, 0.0),
            "historical_value": m * (x + 1),
        }
    )
    if draw(st.booleans()):
        column = draw(st.sampled_from(list(frame.columns)))
        row = draw(st.integers(0, n - 1))
        frame.loc[row, column] = draw(st.sampled_from([np.nan, np.inf, -1.0, 0.5, 1e300]))
    return frame


TX = ("customer_id", "date", "amount")
RFM = ("frequency", "recency", "T", "monetary_value", "historical_value")


def only_clvkit_errors(call) -> None:
    with warnings.catch_warnings(), contextlib.suppress(ClvkitError):
        warnings.simplefilter("ignore")
        call()


MODEL = ck.CLVModel.from_models(
    ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W"),
    ck.GammaGamma.from_params(p=6.25, q=3.74, v=15.44, time_unit="W"),
)


@settings(max_examples=150)
@given(
    junk_frames(TX),
    st.sampled_from(["D", "W", "M", "X"]),
    st.sampled_from([None, "2023-06-01", "bad"]),
)
def test_rfm_summary_raises_only_clvkit_errors(frame, unit, end):
    only_clvkit_errors(
        lambda: ck.rfm_summary(frame, monetary="amount", time_unit=unit, observation_end=end)
    )
    only_clvkit_errors(lambda: ck.rfm_summary(frame))
    only_clvkit_errors(
        lambda: ck.calibration_holdout(frame, calibration_end="2023-06-01", monetary="amount")
    )


@settings(max_examples=150)
@given(st.one_of(junk_frames(RFM), rfm_frames()))
def test_fit_raises_only_clvkit_errors(frame):
    only_clvkit_errors(lambda: ck.BetaGeo().fit(frame))
    only_clvkit_errors(lambda: ck.GammaGamma().fit(frame))
    only_clvkit_errors(lambda: ck.CLVModel().fit(frame))


@settings(max_examples=150)
@given(
    st.one_of(junk_frames(RFM), rfm_frames()),
    st.sampled_from(["52W", 10, -1, "12X", 0]),
    st.sampled_from([0.0, 0.3, 2, "m"]),
)
def test_predictions_raise_only_clvkit_errors(frame, horizon, margin):
    only_clvkit_errors(lambda: MODEL.predict_clv(frame, horizon=horizon, margin=margin))
    only_clvkit_errors(lambda: MODEL.purchase_model_.probability_alive(frame))
    only_clvkit_errors(lambda: MODEL.purchase_model_.expected_purchases(frame, horizon))
    only_clvkit_errors(lambda: MODEL.spend_model_.expected_spend(frame))
    only_clvkit_errors(lambda: ck.segment_summary(frame))


@settings(max_examples=150)
@given(st.dictionaries(st.sampled_from(NAMES), scalars, max_size=7))
def test_service_mappings_raise_only_clvkit_errors(record):
    only_clvkit_errors(lambda: ck.predict_clv(MODEL, record, horizon="52W"))
    only_clvkit_errors(lambda: ck.predict_clv(MODEL, [record, record], horizon=5))
