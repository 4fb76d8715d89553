"""Random junk into the subscription entry points: only clvkit errors may come out.

Junk subscriber frames (tenure, churned, revenues of any dtype and value) and junk
survivor-count tables (NaN, inf, negatives, fractions, rises, booleans, text, empty)
go to every fit and prediction; each call must succeed or raise a ClvkitError.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

import clvkit as ck
from tests.reliability.test_fuzz import columns, junk_frames, only_clvkit_errors

SUBS = ("tenure", "churned", "revenue_per_period", "revenue_to_date")
VALUE = ck.SubscriptionValue.from_models(
    ck.ShiftedBetaGeo.from_params(gamma=0.668, delta=3.806, time_unit="M")
)


@st.composite
def count_tables(draw):
    """Survivor counts: mostly valid staircases, now and then a bad cell or a bad type."""
    rows = draw(st.integers(0, 5))
    cols = draw(st.integers(0, 6))
    kind = draw(st.sampled_from(["valid", "valid", "cell", "junk"]))
    if kind == "junk":
        data = {i: draw(columns(rows)) for i in range(cols)}
        return pd.DataFrame(data)
    table = np.full((rows, cols), np.nan)
    for r in range(rows):
        size = draw(st.integers(0, 50))
        drops = draw(st.lists(st.integers(0, 10), min_size=cols, max_size=cols))
        observed = draw(st.integers(0, cols))
        values = size - np.cumsum(np.concatenate(([0], drops[1:]))) if cols else np.array([])
        table[r, :observed] = np.maximum(values[:observed], 0)
    if kind == "cell" and rows and cols:
        r, c = draw(st.integers(0, rows - 1)), draw(st.integers(0, cols - 1))
        table[r, c] = draw(st.sampled_from([np.nan, np.inf, -1.0, 0.5, 1e300, 1e9]))
    return table if draw(st.booleans()) else pd.DataFrame(table)


@settings(max_examples=120)
@given(junk_frames(SUBS), st.sampled_from([12, "2Y", "all", 0, -1, "52W"]))
def test_subscriber_entry_points_raise_only_clvkit_errors(frame, horizon):
    only_clvkit_errors(lambda: ck.ShiftedBetaGeo().fit(frame))
    only_clvkit_errors(lambda: ck.SubscriptionValue().fit(frame))
    only_clvkit_errors(lambda: VALUE.predict_clv(frame, horizon=horizon, discount_rate=0.1))
    only_clvkit_errors(lambda: VALUE.retention_model_.derl(frame.get("tenure", frame), 0.1))
    only_clvkit_errors(
        lambda: VALUE.retention_model_.expected_renewals(frame.get("tenure", 3), horizon)
    )


@settings(max_examples=120)
@given(count_tables())
def test_survivor_counts_raise_only_clvkit_errors(table):
    only_clvkit_errors(lambda: ck.ShiftedBetaGeo().fit_survival(table))
    only_clvkit_errors(lambda: ck.ShiftedBetaGeo(penalizer=0.01).fit_survival(table))
