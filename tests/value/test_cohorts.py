"""The model's cohort view: the P(buy in a window) formula against a seeded simulation of
the BG/NBD story, observed vs modelled tables built from the same cohorts, CDNOW."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import clvkit as ck
from clvkit.data.retention import cohort_table
from clvkit.errors import InputError, NotFittedError, UnitError
from clvkit.models._kernels.bgnbd import probability_purchase_new
from clvkit.models.simulate import CDNOW_BG_PARAMS, simulate_transactions
from clvkit.value.cohorts import modelled_cohort_retention, retention_comparison

PARAMS = np.array([CDNOW_BG_PARAMS[k] for k in ("r", "alpha", "a", "b")])


def _binomial_bound(p: np.ndarray, n: np.ndarray | int, z: float = 4.5) -> np.ndarray:
    return z * np.sqrt(p * (1.0 - p) / n)


def test_probability_purchase_new_matches_simulation() -> None:
    """Reference: 100,000 customers simulated from the BG/NBD story (weekly CDNOW
    parameters, seed 11), all acquired on one day; the share with a transaction in
    (acquisition + t1, acquisition + t2]."""
    n = 100_000
    tx = simulate_transactions(n, acquisition_days=1, observation_days=400, seed=11)
    acquired = tx.groupby("customer_id")["date"].transform("min")
    weeks = ((tx["date"] - acquired) / pd.Timedelta(days=7)).to_numpy()
    ids = tx["customer_id"].to_numpy()
    windows = [(0.0, 4.0), (4.0, 8.7), (10.0, 11.0), (20.0, 30.0), (40.0, 52.0)]
    for t1, t2 in windows:
        inside = (weeks > t1) & (weeks <= t2)
        share = np.unique(ids[inside]).size / n
        want = float(probability_purchase_new(PARAMS, np.array(t1), np.array(t2)))
        assert abs(share - want) < _binomial_bound(want, n), (t1, t2, share, want)


def test_probability_purchase_new_limits() -> None:
    r, alpha = PARAMS[:2]
    t = np.array([0.5, 3.0, 40.0, 400.0])
    # an empty window: no purchase; a window from acquisition: 1 - P(no purchase in (0, t])
    np.testing.assert_allclose(probability_purchase_new(PARAMS, t, t), 0.0, atol=1e-13)
    np.testing.assert_allclose(
        probability_purchase_new(PARAMS, np.zeros(4), t), 1.0 - (alpha / (alpha + t)) ** r
    )
    # buying in a window needs being alive at its start
    bg = ck.BetaGeo.from_params(time_unit="W", **CDNOW_BG_PARAMS)
    alive = np.array([bg.probability_alive_new_customer(v) for v in t])
    assert (probability_purchase_new(PARAMS, t, t + 52.0) < alive).all()


@pytest.fixture(scope="module")
def simulated_log() -> pd.DataFrame:
    """60,000 customers acquired over Jan-Mar 2024 (monthly cohorts of ~20,000), observed
    to 2025-06-30, from the weekly CDNOW parameters (seed 5)."""
    return simulate_transactions(
        60_000, start="2024-01-01", acquisition_days=91, observation_days=547, seed=5
    )


def test_modelled_cohorts_agree_with_a_simulated_log(simulated_log: pd.DataFrame) -> None:
    bg = ck.BetaGeo.from_params(time_unit="W", **CDNOW_BG_PARAMS)
    observed = cohort_table(simulated_log, "M", observation_end="2025-06-30")
    active = modelled_cohort_retention(bg, simulated_log, "M", observation_end="2025-06-30")
    alive = modelled_cohort_retention(
        bg, simulated_log, "M", quantity="alive", observation_end="2025-06-30"
    )
    size = cohort_table(simulated_log, "M", "customers", observation_end="2025-06-30")[0]
    assert observed.shape == (3, 18)
    mask = observed.notna()
    assert (active.notna() == mask).all().all() and (alive.notna() == mask).all().all()
    gap = (observed - active).abs().to_numpy()[mask.to_numpy()]
    bound = _binomial_bound(active.to_numpy(), size.to_numpy()[:, None])[mask.to_numpy()]
    assert (gap <= bound).all(), np.max(gap / np.maximum(bound, 1e-12))
    # alive is not what the observed table measures: it is far above it after age 0
    assert (alive.iloc[:, 1:] > active.iloc[:, 1:] + 0.4).where(mask.iloc[:, 1:], True).all().all()


# ---- CDNOW: observed and modelled, from the same cohorts -------------------------------------


def test_cdnow_modelled_table_has_the_observed_cells(
    cdnow_transactions: pd.DataFrame, cdnow_bg: ck.BetaGeo
) -> None:
    observed = cohort_table(cdnow_transactions, "M")
    for quantity in ("active", "alive"):
        modelled = modelled_cohort_retention(cdnow_bg, cdnow_transactions, "M", quantity=quantity)
        pd.testing.assert_index_equal(modelled.index, observed.index)
        pd.testing.assert_index_equal(modelled.columns, observed.columns)
        pd.testing.assert_frame_equal(modelled.isna(), observed.isna())
        assert (modelled[0] == 1.0).all()
        assert modelled.attrs["quantity"] == quantity and modelled.attrs["time_unit"] == "W"


def test_cdnow_alive_uses_the_model_clock(
    cdnow_transactions: pd.DataFrame, cdnow_bg: ck.BetaGeo
) -> None:
    """Cell (1997-02, age 3) of the alive table is the mean over the February cohort of
    probability_alive_new_customer at the start of May 1997, measured in days from midday
    of each acquisition day (the public method converts days to the model's weeks)."""
    alive = modelled_cohort_retention(cdnow_bg, cdnow_transactions, "M", quantity="alive")
    first = cdnow_transactions.groupby("customer_id")["date"].min()
    february = first[first.dt.to_period("M") == pd.Period("1997-02", "M")]
    days = (pd.Timestamp("1997-05-01") - february).dt.days - 0.5
    want = np.mean([cdnow_bg.probability_alive_new_customer(f"{d}D") for d in days])
    assert alive.loc[pd.Period("1997-02", "M"), 3] == pytest.approx(want, rel=1e-12)


def test_cdnow_comparison_pools_the_same_cells(
    cdnow_transactions: pd.DataFrame, cdnow_bg: ck.BetaGeo
) -> None:
    comparison = retention_comparison(cdnow_bg, cdnow_transactions, "M")
    observed = cohort_table(cdnow_transactions, "M")
    size = cohort_table(cdnow_transactions, "M", "customers")[0]
    active = modelled_cohort_retention(cdnow_bg, cdnow_transactions, "M")
    alive = modelled_cohort_retention(cdnow_bg, cdnow_transactions, "M", quantity="alive")
    for age in comparison.index:
        lived = observed[age].notna()
        assert comparison.loc[age, "cohorts"] == lived.sum()
        assert comparison.loc[age, "customers"] == size[lived].sum()
        for column, table in (
            ("observed", observed),
            ("modelled_active", active),
            ("modelled_alive", alive),
        ):
            pooled = np.average(table.loc[lived, age], weights=size[lived])
            assert comparison.loc[age, column] == pytest.approx(pooled, rel=1e-12)
    # CDNOW customers 2,357, all acquired in 1997-Q1; 18 months observed
    assert comparison["customers"].iloc[0] == 2357 and len(comparison) == 18
    # the model, fitted on the first 39 weeks, tracks the observed monthly activity
    tail = comparison.iloc[1:]
    assert (tail["modelled_active"] - tail["observed"]).abs().max() < 0.02


def test_incomplete_period_is_understated_in_the_model_too(
    cdnow_transactions: pd.DataFrame, cdnow_bg: ck.BetaGeo
) -> None:
    log = cdnow_transactions[cdnow_transactions["date"] <= "1998-06-15"]
    with pytest.warns(UserWarning, match=r"1998-06, is observed only up to 1998-06-15"):
        half = modelled_cohort_retention(cdnow_bg, log, "M", observation_end="1998-06-15")
    full = modelled_cohort_retention(cdnow_bg, cdnow_transactions, "M")
    assert half.attrs["incomplete_period"] == "1998-06"
    last = [(pd.Period("1997-01", "M"), 17), (pd.Period("1997-02", "M"), 16)]
    for cell in last:
        assert half.loc[cell] < 0.7 * full.loc[cell]
    pd.testing.assert_frame_equal(half.iloc[:, :15], full.iloc[:, :15])


# ---- errors ---------------------------------------------------------------------------------


def test_model_errors(cdnow_transactions: pd.DataFrame) -> None:
    with pytest.raises(InputError, match=r"'model' argument of modelled_cohort_retention"):
        modelled_cohort_retention(ck.GammaGamma(), cdnow_transactions)  # type: ignore[arg-type]
    with pytest.raises(NotFittedError, match=r"BetaGeo is not fitted"):
        retention_comparison(ck.BetaGeo(), cdnow_transactions)
    unitless = ck.BetaGeo.from_params(**CDNOW_BG_PARAMS)
    with pytest.raises(UnitError, match=r"fitted without a time unit"):
        modelled_cohort_retention(unitless, cdnow_transactions)
    bg = ck.BetaGeo.from_params(time_unit="W", **CDNOW_BG_PARAMS)
    with pytest.raises(InputError, match=r"'quantity' argument.*'active'.*Got 'dead'"):
        modelled_cohort_retention(bg, cdnow_transactions, quantity="dead")  # type: ignore[arg-type]
    bad = cdnow_transactions.assign(amount=-1.0)
    with pytest.raises(InputError) as expected:
        ck.rfm_summary(bad.assign(date=pd.NaT))
    with pytest.raises(InputError) as got:
        modelled_cohort_retention(bg, bad.assign(date=pd.NaT))
    assert str(got.value) == str(expected.value)
