"""The BG/BB kernel with the fitting driver: the donations estimate of Fader, Hardie &
Shang (2010), the observed information, parameter recovery from the kernel's own
simulator, and the predictive formulas against seeded simulations of the model's story."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from clvkit.models._kernels import bgbb
from clvkit.models._optimize import maximize

PAPER = np.array([1.204, 0.750, 0.657, 2.783])


@pytest.fixture(scope="module")
def donations() -> pd.DataFrame:
    """The 1995 donor cohort as lifetimes ships it (11,104 donors, 6 occasions)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import lifetimes.datasets
    return lifetimes.datasets.load_donations()


def _fit(data: bgbb.BGBBData):
    return maximize(
        lambda p, order: bgbb.loglik_derivatives(p, data, order),
        bgbb.initial_params(data),
        total_weight=data.total_weight,
        model_name="BG/BB",
    )


def _donations_data(donations: pd.DataFrame) -> bgbb.BGBBData:
    x, t_x, n, w = (
        donations[c].to_numpy(float) for c in ("frequency", "recency", "periods", "weights")
    )
    return bgbb.prepare(x, t_x, n, w)


def test_donations_estimate_matches_the_paper(donations):
    """The estimate Fader, Hardie & Shang (2010) report for these data: alpha 1.204,
    beta 0.750, gamma 0.657, delta 2.783, LL -33,225.6 (to the printed precision)."""
    data = _donations_data(donations)
    assert data.total_weight == 11_104 and data.n_distinct == 22
    result = _fit(data)
    assert result.converged
    np.testing.assert_allclose(np.round(result.params, 3), PAPER)
    assert round(result.log_likelihood, 1) == -33225.6


def test_observed_information_matches_finite_differences(donations):
    """The Hessian the driver reports (differences of the analytic gradient) against
    central second differences of the log-likelihood alone, at the estimate."""
    data = _donations_data(donations)
    result = _fit(data)
    p = result.params

    def ll(q: np.ndarray) -> float:
        return bgbb.loglik_derivatives(q, data, 0)[0]

    h = 1e-4 * p
    fd = np.empty((4, 4))
    for i in range(4):
        for j in range(4):
            ei, ej = np.eye(4)[i] * h[i], np.eye(4)[j] * h[j]
            fd[i, j] = (ll(p + ei + ej) - ll(p + ei - ej) - ll(p - ei + ej) + ll(p - ei - ej)) / (
                4 * h[i] * h[j]
            )
    np.testing.assert_allclose(result.hessian, fd, rtol=1e-5, atol=1e-5 * np.abs(fd).max())
    assert np.all(np.linalg.eigvalsh(-result.hessian) > 0)


def test_parameters_are_recovered_from_the_simulator():
    """200,000 donors over 10 occasions from the simulator at the paper's estimate: each
    parameter within 3 standard errors (inverse observed information)."""
    rng = np.random.default_rng(1995)
    n = np.full(200_000, 10.0)
    x, t_x, _, _ = bgbb.simulate(rng, PAPER, n, times=False)
    data = bgbb.prepare(x, t_x, n, np.ones_like(x))
    assert data.n_distinct <= 66
    result = _fit(data)
    assert result.converged
    se = np.sqrt(np.diag(np.linalg.inv(-result.hessian)))
    assert np.all(np.abs(result.params - PAPER) < 3 * se), (result.params, se)


def test_simulator_with_and_without_times_tell_the_same_story():
    """Occasion by occasion (times) and the backward shortcut (no times) draw the same
    distribution of (x, t_x); the times are the purchase occasions."""
    n_cust, n = 200_000, 8.0
    T = np.full(n_cust, n)
    x1, t1, alive1, times = bgbb.simulate(np.random.default_rng(1), PAPER, T, times=True)
    x2, t2, alive2, none = bgbb.simulate(np.random.default_rng(2), PAPER, T, times=False)
    assert none is None and times is not None and times.size == int(x1.sum())
    owner = np.repeat(np.arange(n_cust), x1.astype(int))
    assert np.all((times >= 1) & (times <= n) & (times == np.round(times)))
    assert np.all(np.diff(times)[owner[1:] == owner[:-1]] > 0)  # one purchase per occasion
    np.testing.assert_array_equal(t1[x1 > 0], times[np.cumsum(x1.astype(int))[x1 > 0] - 1])
    for x, t_x in ((x1, t1), (x2, t2)):
        assert np.all((x <= t_x) & (t_x <= n)) and np.all(t_x[x == 0] == 0)
    key1, key2 = x1 * 100 + t1, x2 * 100 + t2
    for k in np.unique(key1)[:20]:
        p1, p2 = np.mean(key1 == k), np.mean(key2 == k)
        se = np.sqrt(2 * max(p1, 1e-6) * (1 - p1) / n_cust)
        assert abs(p1 - p2) < 5 * se
    assert abs(alive1.mean() - alive2.mean()) < 5 * np.sqrt(2 * 0.25 / n_cust)


def test_new_customer_formulas_match_a_simulation():
    """400,000 donors over 12 occasions with every purchase occasion: the count
    distribution, its mean, P(alive at 12) and P(a purchase in a window of occasions)
    within 4.5 standard errors of the simulated frequencies."""
    rng = np.random.default_rng(12)
    size, n = 400_000, 12.0
    x, _, alive, times = bgbb.simulate(rng, PAPER, np.full(size, n), times=True)
    assert times is not None
    owner = np.repeat(np.arange(size), x.astype(int))

    def close(freq: float, prob: float) -> None:
        se = np.sqrt(max(prob * (1 - prob), 1e-12) / size)
        assert abs(freq - prob) < 4.5 * se + 1e-12, (freq, prob, se)

    for k in range(13):
        close(float(np.mean(x == k)), float(bgbb.probability_n_purchases_new(PAPER, k, n)))
    assert abs(x.mean() - float(bgbb.expected_purchases_new(PAPER, n))) < 4.5 * x.std() / np.sqrt(
        size
    )
    close(float(alive.mean()), float(bgbb.probability_alive_new(PAPER, n)))
    for t1, t2 in ((0, 1), (0, 6), (3, 4), (6, 12), (2, 9)):
        bought = np.zeros(size, dtype=bool)
        bought[owner[(times > t1) & (times <= t2)]] = True
        close(float(bought.mean()), float(bgbb.probability_purchase_new(PAPER, t1, t2)))


def test_conditional_counts_match_a_simulation():
    """Donors simulated over 6 + 5 occasions; the history is the first 6. For each of the
    most common histories (x, t_x), the frequency of k purchases in the next 5 occasions is
    ``(1 - P(alive)) [k = 0] + P(alive) P(k | alive)``."""
    rng = np.random.default_rng(6)
    size, n, m = 400_000, 6.0, 5.0
    x_all, _, _, times = bgbb.simulate(rng, PAPER, np.full(size, n + m), times=True)
    assert times is not None
    owner = np.repeat(np.arange(size), x_all.astype(int))
    before = times <= n
    x = np.bincount(owner[before], minlength=size).astype(float)
    t_x = np.zeros(size)
    np.maximum.at(t_x, owner[before], times[before])
    future = np.bincount(owner[~before], minlength=size)
    key = x * 10 + t_x
    values, counts = np.unique(key, return_counts=True)
    for k in values[np.argsort(-counts)][:6]:
        members = key == k
        hx, htx = divmod(k, 10)
        pa = float(bgbb.probability_alive(PAPER, hx, htx, n))
        for purchases in range(6):
            alive_part = float(bgbb.probability_n_purchases_alive(PAPER, purchases, hx, n, m))
            prob = (1 - pa) * (purchases == 0) + pa * alive_part
            freq = float(np.mean(future[members] == purchases))
            se = np.sqrt(max(prob * (1 - prob), 1e-9) / members.sum())
            assert abs(freq - prob) < 4.5 * se, (hx, htx, purchases, freq, prob)
        expected = pa * float(bgbb.expected_purchases_alive(PAPER, hx, n, m))
        spread = future[members].std() / np.sqrt(members.sum())
        assert abs(future[members].mean() - expected) < 4.5 * spread


def test_identifiability_problems_are_named():
    ones = np.ones(3)
    none = bgbb.prepare(np.zeros(3), np.zeros(3), np.zeros(3), ones)
    assert "0 occasions" in bgbb.identifiability_problem(none)
    no_purchase = bgbb.prepare(np.zeros(3), np.zeros(3), np.array([4.0, 6.0, 6.0]), ones)
    assert "at least one purchase" in bgbb.identifiability_problem(no_purchase)
    every = bgbb.prepare(np.array([4.0, 6.0]), np.array([4.0, 6.0]), np.array([4.0, 6.0]), ones[:2])
    assert "every occasion" in bgbb.identifiability_problem(every)
    single = bgbb.prepare(np.full(3, 2.0), np.full(3, 4.0), np.full(3, 6.0), ones)
    assert "single distinct history" in bgbb.identifiability_problem(single)
    fine = bgbb.prepare(np.array([0.0, 2.0]), np.array([0.0, 4.0]), np.array([6.0, 6.0]), ones[:2])
    assert bgbb.identifiability_problem(fine) is None
