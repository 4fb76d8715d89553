"""BetaGeoBeta on the donations data of Fader, Hardie & Shang (2010)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.errors import InputError


@pytest.fixture(scope="module")
def donors() -> pd.DataFrame:
    return ck.datasets.load_donations()


def test_donations_file(donors):
    assert len(donors) == 22 and int(donors["count"].sum()) == 11_104
    assert set(donors["T"]) == {6.0}
    assert donors.attrs["time_unit"] == "Y"


def test_fit_matches_the_paper(donors):
    # Fader, Hardie & Shang (2010), table 2: alpha 1.204, beta 0.750, gamma 0.657,
    # delta 2.783, LL = -33,225.6
    model = ck.BetaGeoBeta().fit(donors, weights=donors["count"])
    np.testing.assert_allclose(model.params_, [1.204, 0.750, 0.657, 2.783], atol=6e-4)
    assert model.log_likelihood_ == pytest.approx(-33225.6, abs=0.05)
    assert model.time_unit_ == "Y" and model.n_customers_ == 11_104
    # expanded to one row per donor: the same fit
    expanded = donors.loc[donors.index.repeat(donors["count"])].reset_index(drop=True)
    expanded.attrs = donors.attrs
    again = ck.BetaGeoBeta().fit(expanded)
    np.testing.assert_allclose(again.params_, model.params_, rtol=1e-8)


def test_predictions_count_occasions(donors):
    model = ck.BetaGeoBeta().fit(donors, weights=donors["count"])
    five = model.expected_purchases(donors, 5)
    assert five.index.equals(donors.index)
    np.testing.assert_allclose(model.expected_purchases(donors, "5Y"), five)
    with pytest.raises(InputError, match="whole number"):
        model.expected_purchases(donors, 2.5)
    p = model.probability_alive(donors)
    # a donor who gave at all six occasions is as alive as a donor can be
    best = p[(donors["frequency"] == 6)].iloc[0]
    assert best == pytest.approx(p.max())


def test_bad_occasion_histories_are_refused(donors):
    bad = donors.copy()
    bad.loc[3, "frequency"] = 5.0  # five gifts by occasion 3
    with pytest.raises(InputError, match=r"frequency.*<= column 'recency'"):
        ck.BetaGeoBeta().fit(bad, weights=bad["count"])
    bad = donors.copy()
    bad.loc[3, "T"] = 6.5
    with pytest.raises(InputError, match="whole number of purchase occasions"):
        ck.BetaGeoBeta().fit(bad, weights=bad["count"])
    bad = donors.copy()
    bad.loc[3, "recency"] = 7.0
    with pytest.raises(InputError, match="recency"):
        ck.BetaGeoBeta().fit(bad, weights=bad["count"])


def test_clv_model_with_occasions(donors):
    """A CLVModel with BG/BB and Gamma-Gamma on simulated yearly donors with amounts."""
    truth = ck.BetaGeoBeta.from_params(
        alpha=1.204, beta=0.750, gamma=0.657, delta=2.783, time_unit="Y"
    )
    rfm = ck.datasets.simulate_rfm(5000, model=truth, T=6.0, time_unit="Y", seed=2)
    model = ck.CLVModel(purchase_model=ck.BetaGeoBeta()).fit(rfm)
    clv = model.predict_clv(rfm, horizon="5Y", discount_rate=0.1, margin=0.5)
    assert np.all(clv["value_at_risk"] >= -1e-9)
    seg = ck.segment_summary(clv)
    assert seg["n_customers"].sum() == 5000
