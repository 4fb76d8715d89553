"""Argument contracts as strict as margin's (issue 17, item 3).

Each test names what the main branch did before this change: a yearly discount rate of 10
(meaning 10 %) was accepted and discounted the value to almost nothing, a negative
historical value gave a negative actual CLV, a one-time buyer's non-zero monetary value
passed unnoticed, and a service record with a typo in a field name ("Frequency") was
scored as if the field were absent from the request's point of view.
"""

from __future__ import annotations

import pandas as pd
import pytest

import clvkit as ck
from clvkit.errors import InputError

BG = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
GG = ck.GammaGamma.from_params(p=6.25, q=3.74, v=15.44, time_unit="W")
MODEL = ck.CLVModel.from_models(BG, GG)
SBG = ck.ShiftedBetaGeo.from_params(gamma=0.704, delta=1.182, time_unit="Y")


def customers(**columns: object) -> pd.DataFrame:
    base: dict[str, object] = {
        "frequency": [0.0, 2.0, 5.0],
        "recency": [0.0, 10.0, 30.0],
        "T": [20.0, 30.0, 40.0],
        "monetary_value": [0.0, 12.5, 20.0],
        "historical_value": [9.0, 40.0, 130.0],
    }
    base.update(columns)
    frame = pd.DataFrame(base, index=pd.Index(["a", "b", "c"], name="customer_id"))
    frame.attrs["time_unit"] = "W"
    return frame


def subscribers() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "tenure": [1, 3, 4],
            "churned": [False, False, True],
            "revenue_per_period": [10.0, 10.0, 10.0],
            "revenue_to_date": [20.0, 40.0, 40.0],
        }
    )
    frame.attrs["time_unit"] = "Y"
    return frame


PERCENT = r"yearly rate in \[0, 1\] \(0.10 for 10 %\).*Pass 0.1 for 10 %"


@pytest.mark.parametrize(
    "call",
    [
        lambda: MODEL.predict_clv(customers(), horizon="52W", discount_rate=10),
        lambda: ck.predict_clv(MODEL, customers(), horizon="52W", discount_rate=10),
        lambda: ck.clv_cashflows(MODEL, customers(), horizon="52W", discount_rate=10),
        lambda: ck.SubscriptionValue.from_models(SBG).predict_clv(
            subscribers(), horizon=5, discount_rate=10
        ),
        lambda: SBG.derl(3, discount_rate=10),
        lambda: SBG.expected_renewals(3, 5, discount_rate=10),
    ],
    ids=["CLVModel", "service", "cash flows", "subscription value", "derl", "renewals"],
)
def test_a_discount_rate_given_in_percent_is_refused_everywhere(call) -> None:
    """Main accepted discount_rate=10 (1,000 % a year): the expected value fell to a
    fraction of what 0.10 gives, without a word."""
    with pytest.raises(InputError, match=PERCENT):
        call()


def test_a_rate_of_exactly_one_is_still_a_rate() -> None:
    clv = MODEL.predict_clv(customers(), horizon="52W", discount_rate=1.0)
    assert (clv["expected_value"] > 0).all()


def test_a_negative_historical_value_is_refused() -> None:
    """Main gave customer 'b' an actual_clv of -78.4 from a historical_value of -100."""
    with pytest.raises(InputError, match=r"'historical_value' must be >= 0.*1 of 3.*'b'"):
        MODEL.predict_clv(customers(historical_value=[9.0, -100.0, 130.0]), horizon="52W")


def test_a_one_time_buyers_monetary_value_must_be_zero() -> None:
    """Main accepted it (and ignored it): the mean was probably taken over all purchases."""
    with pytest.raises(InputError, match=r"'monetary_value' must be 0 where 'frequency' is 0.*'a'"):
        MODEL.predict_clv(customers(monetary_value=[15.0, 12.5, 20.0]), horizon="52W")
    with pytest.raises(InputError, match=r"'monetary_value' must be 0 where 'frequency' is 0"):
        ck.GammaGamma().fit(customers(monetary_value=[15.0, 12.5, 20.0]))


def test_value_columns_must_be_finite() -> None:
    with pytest.raises(InputError, match="'historical_value' must be finite"):
        MODEL.predict_clv(customers(historical_value=[9.0, float("inf"), 1.0]), horizon=5)
    with pytest.raises(InputError, match="'monetary_value' must not be missing"):
        MODEL.predict_clv(customers(monetary_value=[0.0, float("nan"), 1.0]), horizon=5)


def record(customer_id: str, **fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "customer_id": customer_id,
        "frequency": 2.0,
        "recency": 10.0,
        "T": 30.0,
        "monetary_value": 12.5,
        "historical_value": 40.0,
    }
    base.update(fields)
    return base


def test_an_unknown_field_is_refused_by_name() -> None:
    """Main scored {'Frequency': 2, 'frequency': 2, ...} and silently dropped the typo."""
    typo = record("b", Frequency=5)
    with pytest.raises(
        InputError,
        match=r"unknown field\(s\) \['Frequency'\], in 1 of 2 records \(customer ids: 'b'\)"
        r".*case-sensitive",
    ):
        ck.predict_clv(MODEL, [record("a"), typo], horizon="52W")
    with pytest.raises(InputError, match=r"unknown field\(s\) \['segment'\]"):
        ck.predict_clv(MODEL, record("a", segment="x"), horizon="52W")


def test_the_known_optional_fields_pass() -> None:
    plain = ck.predict_clv(MODEL, record("a"), horizon="52W")
    assert plain["customer_id"] == "a"
    assert ck.predict_clv(MODEL, record("a", time_unit="W", m=0.5), horizon="52W", margin="m")


def test_a_margin_field_is_checked_per_record() -> None:
    with pytest.raises(InputError, match=r"Field 'm' \(margin\) must be in \[0, 1\].*'b'"):
        ck.predict_clv(MODEL, [record("a", m=0.3), record("b", m=30.0)], horizon="52W", margin="m")
