"""The MBG/NBD kernel with the fitting driver: the CDNOW maximum likelihood (against
lifetimes 0.11.3 in the same run and BG/NBD), the observed information, parameter recovery
from the kernel's own simulator, and the predictive formulas against seeded simulations of
the model's story (Batislam, Denizel & Filiztekin 2007)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from clvkit.models._kernels import mbgnbd
from clvkit.models._optimize import maximize

TRUTH = np.array([0.525, 6.183, 0.891, 1.614])  # MBG/NBD on CDNOW, weeks


def _fit(data: mbgnbd.MBGData, **kwargs):
    return maximize(
        lambda p, order: mbgnbd.loglik_derivatives(p, data, order),
        mbgnbd.initial_params(data),
        total_weight=data.total_weight,
        model_name="MBG/NBD",
        **kwargs,
    )


def _cdnow_arrays(cdnow_rfm) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(cdnow_rfm[c].to_numpy(float) for c in ("frequency", "recency", "T"))  # type: ignore[return-value]


def test_cdnow_maximum_likelihood(cdnow_rfm, cdnow_bg):
    """LL close to lifetimes' -9582.1 (its fit in this run, scored by the kernel), at least
    as high as lifetimes', and above BG/NBD's -9582.4 on the same customers."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from lifetimes import ModifiedBetaGeoFitter

    x, t_x, T = _cdnow_arrays(cdnow_rfm)
    data = mbgnbd.prepare(x, t_x, T, np.ones_like(x))
    result = _fit(data)
    assert result.converged
    theirs = ModifiedBetaGeoFitter().fit(x, t_x, T)
    their_params = theirs.params_[["r", "alpha", "a", "b"]].to_numpy()
    their_ll = float(mbgnbd.loglik_rows(their_params, x, t_x, T).sum())
    assert result.log_likelihood == pytest.approx(-9582.1, abs=0.05)
    assert result.log_likelihood >= their_ll - 1e-6
    assert result.log_likelihood > cdnow_bg.log_likelihood_ + 0.2
    assert cdnow_bg.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)
    np.testing.assert_allclose(result.params, their_params, rtol=1e-4)
    np.testing.assert_allclose(result.params, TRUTH, rtol=1e-3)


def test_observed_information_matches_finite_differences(cdnow_rfm):
    """The Hessian the driver reports (the kernel's analytic one) against central second
    differences of the log-likelihood alone, at the CDNOW estimate."""
    x, t_x, T = _cdnow_arrays(cdnow_rfm)
    data = mbgnbd.prepare(x, t_x, T, np.ones_like(x))
    result = _fit(data)
    p = result.params

    def ll(q: np.ndarray) -> float:
        return mbgnbd.loglik_derivatives(q, data, 0)[0]

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
    """200,000 customers observed 20 to 80 weeks, drawn from the kernel's simulator at the
    CDNOW estimate: each parameter within 3 standard errors (inverse observed information)."""
    rng = np.random.default_rng(2024)
    T = rng.uniform(20.0, 80.0, size=200_000)
    x, t_x, _, _ = mbgnbd.simulate(rng, TRUTH, T, times=False)
    data = mbgnbd.prepare(x, t_x, T, np.ones_like(x))
    result = _fit(data)
    assert result.converged
    se = np.sqrt(np.diag(np.linalg.inv(-result.hessian)))
    assert np.all(np.abs(result.params - TRUTH) < 3 * se), (result.params, se)


def test_simulator_histories_are_consistent():
    rng = np.random.default_rng(5)
    T = rng.uniform(0.0, 60.0, size=20_000)
    x, t_x, alive, times = mbgnbd.simulate(rng, TRUTH, T, times=True)
    assert times is not None and times.size == int(x.sum())
    owner = np.repeat(np.arange(x.size), x.astype(int))
    assert np.all(times > 0) and np.all(times <= T[owner])
    # ascending within each customer, the last one the recency
    same = owner[1:] == owner[:-1]
    assert np.all(np.diff(times)[same] >= 0)
    np.testing.assert_array_equal(t_x[x > 0], times[np.cumsum(x.astype(int))[x > 0] - 1])
    assert np.all(t_x[x == 0] == 0)
    # drop-out at the first purchase: some customers are dead without a repeat purchase
    assert np.any(~alive & (x == 0))
    _, t_x2, _, none = mbgnbd.simulate(np.random.default_rng(5), TRUTH, T, times=False)
    assert none is None and np.all((t_x2 <= T) & (t_x2 >= 0))


def test_new_customer_formulas_match_a_simulation():
    """400,000 customers from the simulator, each observed for 78 weeks with every purchase
    time: the count distribution, the mean, P(alive at 78) and P(a purchase in a window)
    within 4.5 standard errors of the simulated frequencies."""
    rng = np.random.default_rng(77)
    n, horizon = 400_000, 78.0
    T = np.full(n, horizon)
    x, _, alive, times = mbgnbd.simulate(rng, TRUTH, T, times=True)
    assert times is not None
    owner = np.repeat(np.arange(n), x.astype(int))

    def close(freq: float, prob: float) -> None:
        se = np.sqrt(max(prob * (1 - prob), 1e-12) / n)
        assert abs(freq - prob) < 4.5 * se + 1e-12, (freq, prob, se)

    for k in range(8):
        close(float(np.mean(x == k)), float(mbgnbd.probability_n_purchases_new(TRUTH, k, horizon)))
    model_mean = float(mbgnbd.expected_purchases_new(TRUTH, horizon))
    assert abs(x.mean() - model_mean) < 4.5 * x.std() / np.sqrt(n)
    close(float(alive.mean()), float(mbgnbd.probability_alive_new(TRUTH, horizon)))
    for t1, t2 in ((0.0, 4.0), (10.0, 20.0), (39.0, 78.0), (60.0, 61.0)):
        bought = np.zeros(n, dtype=bool)
        bought[owner[(times > t1) & (times <= t2)]] = True
        close(float(bought.mean()), float(mbgnbd.probability_purchase_new(TRUTH, t1, t2)))


def test_conditional_counts_match_a_simulation():
    """Customers simulated over 39 + 26 weeks; the history is what happened up to 39. For
    the group without a repeat purchase (which under MBG/NBD may be dead from the start)
    and for the group with x = 2, the frequency of n purchases in the next 26 weeks equals
    the group's mean of ``(1 - P(alive)) [n = 0] + P(alive) P(n | alive)``."""
    rng = np.random.default_rng(39)
    n, T, t = 300_000, 39.0, 26.0
    x_all, _, _, times = mbgnbd.simulate(rng, TRUTH, np.full(n, T + t), times=True)
    assert times is not None
    owner = np.repeat(np.arange(n), x_all.astype(int))
    before = times <= T
    x = np.bincount(owner[before], minlength=n).astype(float)
    t_x = np.zeros(n)
    np.maximum.at(t_x, owner[before], times[before])
    future = np.bincount(owner[~before], minlength=n)
    for group in (x == 0, x == 2):
        members = np.flatnonzero(group)
        pa = mbgnbd.probability_alive(TRUTH, x[members], t_x[members], np.full(members.size, T))
        for k in range(5):
            alive_part = mbgnbd.probability_n_purchases_alive(TRUTH, k, x[members], T, t)
            prob = float(np.mean((1 - pa) * (k == 0) + pa * alive_part))
            freq = float(np.mean(future[members] == k))
            se = np.sqrt(prob * (1 - prob) / members.size)
            assert abs(freq - prob) < 4.5 * se, (k, freq, prob, se)
        expected = float(np.mean(pa * mbgnbd.expected_purchases_alive(TRUTH, x[members], T, t)))
        spread = future[members].std() / np.sqrt(members.size)
        assert abs(future[members].mean() - expected) < 4.5 * spread


def test_identifiability_problems_are_named():
    ones = np.ones(3)
    no_time = mbgnbd.prepare(np.zeros(3), np.zeros(3), np.zeros(3), ones)
    assert "T = 0" in mbgnbd.identifiability_problem(no_time)
    no_repeat = mbgnbd.prepare(np.zeros(3), np.zeros(3), np.array([5.0, 9.0, 9.0]), ones)
    assert "repeat purchase" in mbgnbd.identifiability_problem(no_repeat)
    single = mbgnbd.prepare(np.full(3, 2.0), np.full(3, 4.0), np.full(3, 9.0), ones)
    assert "single distinct history" in mbgnbd.identifiability_problem(single)
    fine = mbgnbd.prepare(
        np.array([0.0, 2.0]), np.array([0.0, 4.0]), np.array([9.0, 9.0]), ones[:2]
    )
    assert mbgnbd.identifiability_problem(fine) is None
