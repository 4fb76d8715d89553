"""Every bad input of the documented table, one test per row.

The table in ``docs/validation.md`` is generated from ``CASES`` below
(``python tests/reliability/test_bad_input_table.py`` rewrites it between its markers,
keeping the page's prose) and a test keeps the two identical, so the page always lists
exactly what is tested.
"""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.errors import (
    ClvkitError,
    DataWarning,
    InputError,
    ModelFileError,
    UncertaintyError,
    UnitError,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "validation.md"
BEGIN, END = "<!-- bad-input table: begin -->", "<!-- bad-input table: end -->"
#: midnight of the machine's UTC date, for the future-date case
TODAY = pd.Timestamp(pd.Timestamp.now(tz="UTC").date())


def log(**columns: object) -> pd.DataFrame:
    base: dict[str, object] = {
        "customer_id": [1, 1, 2, 3],
        "date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-05", "2024-01-09"]),
        "amount": [10.0, 12.0, 5.0, 7.5],
    }
    base.update(columns)
    return pd.DataFrame(base)


def rfm(**columns: object) -> pd.DataFrame:
    base: dict[str, object] = {
        "frequency": [0.0, 2.0, 1.0, 5.0],
        "recency": [0.0, 10.0, 3.0, 30.0],
        "T": [20.0, 30.0, 12.0, 40.0],
        "monetary_value": [0.0, 12.5, 8.0, 20.0],
        "historical_value": [9.0, 40.0, 17.0, 130.0],
    }
    base.update(columns)
    frame = pd.DataFrame(base, index=pd.Index([101, 102, 103, 104], name="customer_id"))
    frame.attrs["time_unit"] = "W"
    return frame


def no_unit(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame as a CSV round trip (or a merge, a concat) leaves it: no attrs."""
    out = frame.copy()
    out.attrs = {}
    return out


def record(customer_id: str, **fields: object) -> dict[str, object]:
    """One customer as a service sends it."""
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


def subscribers() -> pd.DataFrame:
    """Two subscriber rows built by hand (no recorded period)."""
    return pd.DataFrame(
        {
            "tenure": [2, 5],
            "churned": [False, True],
            "revenue_per_period": [9.0, 9.0],
            "revenue_to_date": [27.0, 45.0],
        }
    )


MODEL = ck.CLVModel.from_models(
    ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W"),
    ck.GammaGamma.from_params(p=6.25, q=3.74, v=15.44, time_unit="W"),
)


def _fitted() -> ck.CLVModel:
    """A CLVModel fitted on a small simulated cohort (it has parameter covariances)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ck.CLVModel().fit(ck.datasets.simulate_rfm(300, seed=1))


FITTED = _fitted()


def saddle_model() -> ck.CLVModel:
    """FITTED with its purchase model's information flagged not positive definite, as a
    fit that ends on a saddle or a ridge records it."""
    purchase = copy.deepcopy(FITTED.purchase_model_)
    assert purchase.diagnostics_ is not None
    purchase.diagnostics_ = replace(purchase.diagnostics_, hessian_positive_definite=False)
    return ck.CLVModel.from_models(purchase, FITTED.spend_model_)


def model_file(tmp: Path, edit: Callable[[dict], None]) -> Path:
    path = tmp / "model.json"
    MODEL.save(path)
    doc = json.loads(path.read_text())
    edit(doc)
    path.write_text(json.dumps(doc))
    return path


@dataclass(frozen=True)
class Case:
    entry: str
    bad_input: str
    call: Callable[[Path], object]
    outcome: type[Exception] | type[Warning]
    says: str  # a regular expression the message must match


CASES = [
    # transaction logs: rfm_summary, calibration_holdout, retention_table, cohort_table
    Case(
        "rfm_summary",
        "not a DataFrame",
        lambda _: ck.rfm_summary([1, 2]),
        InputError,
        "must be a pandas DataFrame",
    ),
    Case(
        "rfm_summary",
        "missing column",
        lambda _: ck.rfm_summary(log().drop(columns="date")),
        InputError,
        r"missing the column\(s\) \['date'\]",
    ),
    Case(
        "rfm_summary",
        "duplicated column names",
        lambda _: ck.rfm_summary(pd.concat([log(), log()[["date"]]], axis=1)),
        InputError,
        "duplicated column names",
    ),
    Case(
        "rfm_summary", "empty log", lambda _: ck.rfm_summary(log().iloc[:0]), InputError, "no rows"
    ),
    Case(
        "rfm_summary",
        "missing customer id",
        lambda _: ck.rfm_summary(log(customer_id=[1, None, 2, 3])),
        InputError,
        r"'customer_id' must not be missing.*1 of 4",
    ),
    Case(
        "rfm_summary",
        "unparseable dates",
        lambda _: ck.rfm_summary(log(date=["2024-01-01", "not a date", "2024-13-01", "x"])),
        InputError,
        r"'date' must parse as dates.*3 of 4",
    ),
    Case(
        "rfm_summary",
        "mixed time zones",
        lambda _: ck.rfm_summary(
            log(
                date=[
                    "2024-01-01T10:00+02:00",
                    "2024-01-02T10:00+05:00",
                    "2024-01-03",
                    "2024-01-04",
                ]
            )
        ),
        InputError,
        "mixes time zones",
    ),
    Case(
        "rfm_summary",
        "NaN amount",
        lambda _: ck.rfm_summary(log(amount=[1.0, np.nan, 2.0, 3.0]), monetary="amount"),
        InputError,
        r"'amount' must not be missing.*1 of 4",
    ),
    Case(
        "rfm_summary",
        "negative amount",
        lambda _: ck.rfm_summary(log(amount=[1.0, -2.0, 2.0, 3.0]), monetary="amount"),
        InputError,
        r"'amount' must be >= 0.*1 of 4",
    ),
    Case(
        "rfm_summary",
        "text amounts",
        lambda _: ck.rfm_summary(log(amount=["1", "2", "3", "4"]), monetary="amount"),
        InputError,
        "'amount' must hold numbers",
    ),
    Case(
        "rfm_summary",
        "transactions after observation_end",
        lambda _: ck.rfm_summary(log(), observation_end="2024-01-06"),
        DataWarning,
        "2 of 4 transactions fall after observation_end",
    ),
    Case(
        "rfm_summary",
        "observation_end before every transaction",
        lambda _: ck.rfm_summary(log(), observation_end="2023-01-01"),
        InputError,
        "every one of the 4 transactions falls after it",
    ),
    Case(
        "rfm_summary",
        "unknown time unit",
        lambda _: ck.rfm_summary(log(), time_unit="week"),
        UnitError,
        "'time_unit' argument must be one of",
    ),
    Case(
        "rfm_summary",
        "unknown grain",
        lambda _: ck.rfm_summary(log(), grain="fortnight"),
        UnitError,
        "'grain' argument must be one of",
    ),
    Case(
        "rfm_summary",
        "tz-aware observation_end for a naive log",
        lambda _: ck.rfm_summary(log(), observation_end="2024-01-06T00:00+01:00"),
        InputError,
        "argument is tz-aware.*the datetime column is naive",
    ),
    Case(
        "rfm_summary",
        "repeated transaction (same customer, time and amount as an earlier row)",
        lambda _: ck.rfm_summary(pd.concat([log(), log().iloc[[0]]]), monetary="amount"),
        DataWarning,
        "1 of 5 transactions in rfm_summary repeat an earlier row exactly",
    ),
    Case(
        "rfm_summary",
        "a date far from the rest of the log (a typo such as 2052)",
        lambda _: ck.rfm_summary(
            log(date=pd.to_datetime(["2024-01-01", "2052-02-01", "2024-01-05", "2024-01-09"]))
        ),
        DataWarning,
        "1 of 4 transactions in rfm_summary are dated far from the rest of the log",
    ),
    Case(
        "rfm_summary",
        "a date in the future of the machine's clock",
        lambda _: ck.rfm_summary(log(date=[TODAY - pd.Timedelta(days=k) for k in (3, 2, -30, 1)])),
        DataWarning,
        "1 of 4 transactions in rfm_summary are dated in the future",
    ),
    Case(
        "rfm_summary",
        "observation_end far after the last transaction",
        lambda _: ck.rfm_summary(log(), observation_end="2026-01-31"),
        DataWarning,
        r"'observation_end' argument of rfm_summary \(2026-01-31\) is 730 days after",
    ),
    Case(
        "rfm_summary",
        "unknown duplicates option",
        lambda _: ck.rfm_summary(log(), duplicates="remove"),
        InputError,
        "'duplicates' argument of rfm_summary must be one of",
    ),
    Case(
        "rfm_summary",
        "gap_multiple <= 1",
        lambda _: ck.rfm_summary(log(), gap_multiple=0.5),
        InputError,
        "'gap_multiple' argument of rfm_summary must be a finite number > 1",
    ),
    Case(
        "calibration_holdout",
        "holdout end far after the last transaction",
        lambda _: ck.calibration_holdout(
            log(), calibration_end="2024-01-06", observation_end="2026-01-31"
        ),
        DataWarning,
        r"'observation_end' argument of calibration_holdout \(2026-01-31\) is 730 days",
    ),
    Case(
        "calibration_holdout",
        "calibration_end not before observation_end",
        lambda _: ck.calibration_holdout(
            log(), calibration_end="2024-02-01", observation_end="2024-01-20"
        ),
        InputError,
        "must fall in an earlier",
    ),
    Case(
        "retention_table",
        "missing column",
        lambda _: ck.retention_table(log().drop(columns="customer_id")),
        InputError,
        r"missing the column\(s\) \['customer_id'\]",
    ),
    Case(
        "retention_table",
        "repeated transaction",
        lambda _: ck.retention_table(pd.concat([log(), log().iloc[[1]]]), monetary="amount"),
        DataWarning,
        "1 of 5 transactions in retention_table repeat an earlier row exactly",
    ),
    Case(
        "cohort_table",
        "a date far from the rest of the log",
        lambda _: ck.cohort_table(
            log(date=pd.to_datetime(["1924-01-01", "2024-02-01", "2024-01-05", "2024-01-09"]))
        ),
        DataWarning,
        "1 of 4 transactions in cohort_table are dated far from the rest of the log",
    ),
    # RFM frames: every fit and prediction, predict_clv
    Case(
        "BetaGeo.fit",
        "missing column",
        lambda _: ck.BetaGeo().fit(rfm().drop(columns="T")),
        InputError,
        r"missing the column\(s\) \['T'\]",
    ),
    Case(
        "BetaGeo.fit",
        "NaN",
        lambda _: ck.BetaGeo().fit(rfm(T=[20.0, np.nan, 12.0, 40.0])),
        InputError,
        r"'T' must not be missing.*1 of 4.*102",
    ),
    Case(
        "BetaGeo.fit",
        "infinity",
        lambda _: ck.BetaGeo().fit(rfm(T=[20.0, np.inf, 12, 40])),
        InputError,
        r"'T' must be finite.*1 of 4",
    ),
    Case(
        "BetaGeo.fit",
        "negative recency",
        lambda _: ck.BetaGeo().fit(rfm(recency=[0.0, -1.0, 3.0, 30.0])),
        InputError,
        r"'recency' must be >= 0.*1 of 4",
    ),
    Case(
        "BetaGeo.probability_alive",
        "recency > T",
        lambda _: MODEL.purchase_model_.probability_alive(rfm(recency=[0.0, 31.0, 13.0, 30.0])),
        InputError,
        r"'recency' must be <= column 'T'.*2 of 4.*102, 103",
    ),
    Case(
        "BetaGeo.fit",
        "non-integer frequency",
        lambda _: ck.BetaGeo().fit(rfm(frequency=[0.0, 2.5, 1.0, 5.0])),
        InputError,
        r"'frequency' must be a whole number.*1 of 4",
    ),
    Case(
        "BetaGeo.fit",
        "recency without a repeat purchase",
        lambda _: ck.BetaGeo().fit(rfm(recency=[1.0, 10.0, 3.0, 30.0])),
        InputError,
        r"'recency' must be 0 where 'frequency' is 0.*101",
    ),
    Case(
        "BetaGeo.fit",
        "numbers as text",
        lambda _: ck.BetaGeo().fit(rfm(T=["20", "30", "12", "40"])),
        InputError,
        "'T' must hold numbers",
    ),
    Case(
        "BetaGeo.fit",
        "booleans",
        lambda _: ck.BetaGeo().fit(rfm(frequency=[False, True] * 2)),
        InputError,
        "'frequency' must hold numbers.*booleans",
    ),
    Case(
        "BetaGeo.fit",
        "zero customers",
        lambda _: ck.BetaGeo().fit(rfm().iloc[:0]),
        InputError,
        "no rows",
    ),
    Case(
        "BetaGeo.expected_purchases",
        "duplicate customer ids",
        lambda _: MODEL.purchase_model_.expected_purchases(rfm().set_axis([1, 1, 2, 3]), 10),
        InputError,
        r"customer ids\) must be unique.*2 of 4",
    ),
    Case(
        "BetaGeo.fit",
        "negative weights",
        lambda _: ck.BetaGeo().fit(rfm(), weights=[1, -1, 1, 1]),
        InputError,
        r"'weights' must be >= 0.*1 of 4",
    ),
    Case(
        "BetaGeo.probability_alive",
        "frame in another time unit",
        lambda _: MODEL.purchase_model_.probability_alive(
            rfm().pipe(lambda f: f.attrs.update(time_unit="D") or f)
        ),
        UnitError,
        "time unit 'D'.*fitted in 'W'",
    ),
    Case(
        "GammaGamma.fit",
        "monetary value 0 for a repeat buyer (returns, free items)",
        lambda _: ck.GammaGamma(penalizer=0.01).fit(rfm(monetary_value=[0.0, 0.0, 8.0, 20.0])),
        DataWarning,
        r"left out 1 of 3 repeat buyers whose monetary_value is 0 \(customer ids: 102\)",
    ),
    Case(
        "GammaGamma.fit",
        "negative monetary value",
        lambda _: ck.GammaGamma().fit(rfm(monetary_value=[0.0, -1.0, 8.0, 20.0])),
        InputError,
        r"'monetary_value' must be >= 0.*1 of 4.*102",
    ),
    Case(
        "BetaGeo.fit",
        "frame without a time unit (a CSV round trip, merge, concat)",
        lambda _: ck.BetaGeo().fit(no_unit(rfm())),
        UnitError,
        r"records no time unit.*BetaGeo.fit\(customers, time_unit='W'\)",
    ),
    Case(
        "BetaGeo.probability_alive",
        "frame without a time unit",
        lambda _: MODEL.purchase_model_.probability_alive(no_unit(rfm())),
        UnitError,
        "records no time unit.*fitted in 'W'.*pass time_unit='W'",
    ),
    Case(
        "BetaGeo.fit",
        "time_unit= contradicting the frame's",
        lambda _: ck.BetaGeo().fit(rfm(), time_unit="D"),
        UnitError,
        "time_unit='D' contradicts the customers frame.*records 'W'",
    ),
    Case(
        "BetaGeo.fit",
        "no repeat buyers",
        lambda _: ck.BetaGeo().fit(rfm(frequency=[0.0] * 4, recency=[0.0] * 4)),
        InputError,
        "at least one repeat purchase",
    ),
    Case(
        "BetaGeo.fit",
        "all customers identical",
        lambda _: ck.BetaGeo().fit(frequency=[2] * 9, recency=[5] * 9, T=[9] * 9),
        InputError,
        "single distinct history",
    ),
    Case(
        "GammaGamma.fit",
        "identical spend of every repeat buyer",
        lambda _: ck.GammaGamma().fit(frequency=[1, 1], monetary_value=[5.0, 5.0]),
        InputError,
        "one and the same",
    ),
    # predict_clv arguments and the service entry point
    Case(
        "predict_clv",
        "horizon <= 0",
        lambda _: MODEL.predict_clv(rfm(), horizon=-3),
        UnitError,
        "'horizon' argument must be finite and > 0",
    ),
    Case(
        "predict_clv",
        "unparseable horizon",
        lambda _: MODEL.predict_clv(rfm(), horizon="52X"),
        UnitError,
        "is not a horizon",
    ),
    Case(
        "predict_clv",
        "negative discount rate",
        lambda _: MODEL.predict_clv(rfm(), horizon=10, discount_rate=-0.1),
        InputError,
        "'discount_rate' argument must be finite and >= 0",
    ),
    Case(
        "predict_clv",
        "frame without a time unit",
        lambda _: MODEL.predict_clv(no_unit(rfm()), horizon=10),
        UnitError,
        "CLVModel.predict_clv: the customers frame records no time unit.*time_unit='W'",
    ),
    Case(
        "predict_clv",
        "discount rate as a percentage",
        lambda _: MODEL.predict_clv(rfm(), horizon=10, discount_rate=10),
        InputError,
        "yearly rate in \\[0, 1\\] \\(0.10 for 10 %\\).*Pass 0.1 for 10 %",
    ),
    Case(
        "predict_clv",
        "negative historical value",
        lambda _: MODEL.predict_clv(rfm(historical_value=[9.0, -100.0, 17.0, 130.0]), horizon=10),
        InputError,
        r"'historical_value' must be >= 0.*1 of 4.*102",
    ),
    Case(
        "predict_clv",
        "monetary value of a one-time buyer",
        lambda _: MODEL.predict_clv(rfm(monetary_value=[15.0, 12.5, 8.0, 20.0]), horizon=10),
        InputError,
        r"'monetary_value' must be 0 where 'frequency' is 0.*1 of 4.*101",
    ),
    Case(
        "predict_clv",
        "unknown errors option",
        lambda _: MODEL.predict_clv(rfm(), horizon=10, errors="ignore"),
        InputError,
        r"'errors' argument of CLVModel.predict_clv must be one of \['raise', 'mark'\]",
    ),
    Case(
        "predict_clv",
        "period= (the old name of step=)",
        lambda _: MODEL.predict_clv(rfm(), horizon=10, period=2),
        FutureWarning,
        "'period' argument of CLVModel.predict_clv is deprecated.*now called 'step'",
    ),
    Case(
        "clv_cashflows",
        "discount rate as a percentage",
        lambda _: ck.clv_cashflows(MODEL, rfm(), horizon=10, discount_rate=12.5),
        InputError,
        "Pass 0.125 for 12.5 %",
    ),
    Case(
        "predict_clv",
        "margin as a percentage",
        lambda _: MODEL.predict_clv(rfm(), horizon=10, margin=30),
        InputError,
        "0.30 for 30 %",
    ),
    Case(
        "predict_clv",
        "missing historical_value",
        lambda _: MODEL.predict_clv(rfm().drop(columns="historical_value"), horizon=10),
        InputError,
        r"missing the column\(s\) \['historical_value'\]",
    ),
    Case(
        "clvkit.predict_clv",
        "mapping without a field",
        lambda _: ck.predict_clv(MODEL, {"frequency": 1, "recency": 2, "T": 9}, horizon=5),
        InputError,
        "field 'monetary_value' is missing",
    ),
    Case(
        "clvkit.predict_clv",
        "unknown field (a typo such as 'Frequency')",
        lambda _: ck.predict_clv(MODEL, [record("a"), record("b", Frequency=2)], horizon=5),
        InputError,
        r"unknown field\(s\) \['Frequency'\], in 1 of 2 records \(customer ids: 'b'\)",
    ),
    Case(
        "clvkit.predict_clv",
        "one bad record among good ones",
        lambda _: ck.predict_clv(MODEL, [record("a"), record("b", recency=50.0)], horizon=5),
        InputError,
        r"'recency' must be <= column 'T'.*1 of 2 rows.*customer ids: 'b'",
    ),
    Case(
        "clvkit.predict_clv",
        "a record in another time unit",
        lambda _: ck.predict_clv(MODEL, [record("a", time_unit="D")], horizon=5),
        UnitError,
        "record of customer 'a' is in time unit 'D' but the model was fitted in 'W'",
    ),
    Case(
        "clvkit.predict_clv",
        "time_unit= other than the model's",
        lambda _: ck.predict_clv(MODEL, [record("a")], horizon=5, time_unit="D"),
        UnitError,
        "time_unit='D', but the model was fitted in 'W'",
    ),
    Case(
        "segment_summary",
        "unknown segment column",
        lambda _: ck.segment_summary(MODEL.predict_clv(rfm(), horizon=5), by="region"),
        InputError,
        "'by' argument must be",
    ),
    # subscriptions: survivor counts and subscriber rows
    Case(
        "ShiftedBetaGeo.fit_survival",
        "survivor counts that increase",
        lambda _: ck.ShiftedBetaGeo().fit_survival([1000, 631, 650, 382]),
        InputError,
        "must not increase from one period to the next.*cohort 0 at period 2: 650 after 631",
    ),
    Case(
        "ShiftedBetaGeo.fit_survival",
        "negative survivor counts",
        lambda _: ck.ShiftedBetaGeo().fit_survival([1000, 631, -1]),
        InputError,
        "must be >= 0.*cohort 0 at period 2: -1",
    ),
    Case(
        "ShiftedBetaGeo.fit_survival",
        "survivor counts that are not whole numbers",
        lambda _: ck.ShiftedBetaGeo().fit_survival([1000, 631.5, 468]),
        InputError,
        "must be whole numbers.*cohort 0 at period 1: 631.5",
    ),
    Case(
        "ShiftedBetaGeo.fit_survival",
        "a count after a missing period",
        lambda _: ck.ShiftedBetaGeo().fit_survival([1000, np.nan, 468]),
        InputError,
        "must not resume after a missing period",
    ),
    Case(
        "ShiftedBetaGeo.fit_survival",
        "a cohort table of shares",
        lambda _: ck.ShiftedBetaGeo().fit_survival(ck.cohort_table(log(), period="M")),
        InputError,
        "metric='customers'",
    ),
    Case(
        "ShiftedBetaGeo.fit",
        "a churned customer with tenure 0",
        lambda _: ck.ShiftedBetaGeo().fit(
            pd.DataFrame({"tenure": [0, 2], "churned": [True, False]}, index=[7, 8])
        ),
        InputError,
        "'tenure' must be >= 1 where the customer churned.*customer ids: 7",
    ),
    Case(
        "ShiftedBetaGeo.fit",
        "a churn flag other than 0/1",
        lambda _: ck.ShiftedBetaGeo().fit(
            pd.DataFrame({"tenure": [1, 2], "churned": [1, 2]}, index=[7, 8])
        ),
        InputError,
        "'churned' must be True/False or 0/1.*customer ids: 8",
    ),
    Case(
        "SubscriptionValue.predict_clv",
        "horizon 'all' without discounting",
        lambda _: ck.SubscriptionValue.from_models(
            ck.ShiftedBetaGeo.from_params(gamma=0.7, delta=1.2, time_unit="M")
        ).predict_clv(
            pd.DataFrame(
                {
                    "tenure": [2],
                    "churned": [False],
                    "revenue_per_period": [9.0],
                    "revenue_to_date": [27.0],
                }
            ),
            horizon="all",
            time_unit="M",
        ),
        InputError,
        "horizon='all' needs a discount_rate > 0",
    ),
    Case(
        "SubscriptionValue.predict_clv",
        "subscriber frame without a period",
        lambda _: ck.SubscriptionValue.from_models(
            ck.ShiftedBetaGeo.from_params(gamma=0.7, delta=1.2, time_unit="M")
        ).predict_clv(subscribers(), horizon=12),
        UnitError,
        "records no period.*pass time_unit='M'",
    ),
    Case(
        "SubscriptionValue.predict_clv",
        "discount rate as a percentage",
        lambda _: ck.SubscriptionValue.from_models(
            ck.ShiftedBetaGeo.from_params(gamma=0.7, delta=1.2, time_unit="M")
        ).predict_clv(subscribers(), horizon=12, discount_rate=8, time_unit="M"),
        InputError,
        "Pass 0.08 for 8 %",
    ),
    Case(
        "ShiftedBetaGeo.derl",
        "discount rate as a percentage",
        lambda _: ck.ShiftedBetaGeo.from_params(gamma=0.7, delta=1.2, time_unit="Y").derl(
            3, discount_rate=10
        ),
        InputError,
        "Pass 0.1 for 10 %",
    ),
    # intervals (uncertainty)
    Case(
        "predict_clv",
        "interval outside (0, 1)",
        lambda _: FITTED.predict_clv(rfm(), horizon=5, interval=90),
        InputError,
        "'interval' argument of CLVModel.predict_clv must be a probability strictly between",
    ),
    Case(
        "predict_clv",
        "unknown interval method",
        lambda _: FITTED.predict_clv(rfm(), horizon=5, interval=0.9, method="exact"),
        InputError,
        r"'method' argument .* must be one of \['delta', 'parametric', 'bootstrap'\]",
    ),
    Case(
        "predict_clv",
        "fewer than 2 draws",
        lambda _: FITTED.predict_clv(
            rfm(), horizon=5, interval=0.9, method="parametric", n_draws=1
        ),
        InputError,
        "'n_draws' argument .* must be a whole number >= 2",
    ),
    Case(
        "predict_clv",
        "interval of a model built from parameters",
        lambda _: MODEL.predict_clv(rfm(), horizon=5, interval=0.9),
        UncertaintyError,
        "no parameter covariance: it was built with from_params.*'bootstrap' still works",
    ),
    Case(
        "predict_clv",
        "information matrix not positive definite",
        lambda _: saddle_model().predict_clv(rfm(), horizon=5, interval=0.9),
        UncertaintyError,
        "not positive definite.*'bootstrap' still works",
    ),
    Case(
        "predict_clv",
        "bootstrap without draws",
        lambda _: FITTED.predict_clv(rfm(), horizon=5, interval=0.9, method="bootstrap"),
        UncertaintyError,
        r"draws = model\.bootstrap\(customers",
    ),
    Case(
        "segment_summary",
        "interval without the model",
        lambda _: ck.segment_summary(FITTED.predict_clv(rfm(), horizon=5), interval=0.9),
        InputError,
        "needs model=",
    ),
    Case(
        "clv_cashflows",
        "total without segments",
        lambda _: ck.clv_cashflows(FITTED, rfm(), horizon=5, total=True),
        InputError,
        "total=True needs segments",
    ),
    # model files
    Case(
        "load_model",
        "negative parameter",
        lambda tmp: ck.load_model(
            model_file(tmp, lambda d: d["components"]["purchase"]["params"].update(r=-1.0))
        ),
        ModelFileError,
        r"params\.r must be finite and > 0",
    ),
    Case(
        "load_model",
        "unknown format version",
        lambda tmp: ck.load_model(model_file(tmp, lambda d: d.update(format_version=99))),
        ModelFileError,
        "format_version 99",
    ),
    Case(
        "load_model",
        "unknown field",
        lambda tmp: ck.load_model(model_file(tmp, lambda d: d.update(code="__import__('os')"))),
        ModelFileError,
        r"unknown field\(s\) \['code'\]",
    ),
    Case(
        "load_model",
        "unknown model kind",
        lambda tmp: ck.load_model(model_file(tmp, lambda d: d.update(kind="Pickle"))),
        ModelFileError,
        "model kind 'Pickle', which this clvkit does not know",
    ),
]


def markdown_table() -> str:
    lines = ["| entry point | bad input | outcome | the message says |", "|---|---|---|---|"]
    for case in CASES:
        says = case.says.replace("\\", "").replace("|", "\\|").replace(".*", " … ")
        lines.append(f"| `{case.entry}` | {case.bad_input} | `{case.outcome.__name__}` | {says} |")
    return "\n".join(lines)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.entry}: {c.bad_input}" for c in CASES])
def test_bad_input_gets_what_the_table_says(case, tmp_path):
    if issubclass(case.outcome, Warning):
        with pytest.warns(case.outcome, match=case.says):
            case.call(tmp_path)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        with pytest.raises(case.outcome, match=case.says) as info:
            case.call(tmp_path)
    assert isinstance(info.value, ClvkitError) and isinstance(info.value, ValueError)


def test_docs_table_lists_exactly_the_tested_cases():
    text = DOCS.read_text(encoding="utf-8")
    table = text.split(BEGIN)[1].split(END)[0].strip()
    assert table == markdown_table(), (
        "docs/validation.md is out of date: regenerate the table with "
        "`python tests/reliability/test_bad_input_table.py`"
    )


def write_table() -> None:
    """Rewrite the table of docs/validation.md between its markers, prose untouched."""
    text = DOCS.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN)
    _, tail = rest.split(END)
    DOCS.write_text(f"{head}{BEGIN}\n{markdown_table()}\n{END}{tail}", encoding="utf-8")


if __name__ == "__main__":
    write_table()
