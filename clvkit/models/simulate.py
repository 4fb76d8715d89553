"""Seeded simulation of cohorts from the BG/NBD and Gamma-Gamma generative stories.

BG/NBD (Fader, Hardie & Lee 2005, section 2): while alive, a customer buys as a Poisson
process of rate ``lambda ~ Gamma(r, alpha)`` (``alpha`` a rate, in the time unit); right
after each repeat purchase they drop out with probability ``p ~ Beta(a, b)``. So the
number of repeat purchases before drop-out is ``K ~ Geometric(p)`` and the observed count in
``(0, T]`` is ``x = min(K, N)`` with ``N ~ Poisson(lambda T)``. Given ``N``, the purchase
times are uniform order statistics on ``(0, T]``, generated here from exponential spacings.

Gamma-Gamma (Fader & Hardie 2013): each customer has ``nu ~ Gamma(q, v)`` (rate ``v``) and
each purchase is worth ``Gamma(p, nu)``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from clvkit._time import check_time_unit, unit_length_days
from clvkit.errors import InputError

__all__ = ["CDNOW_BG_PARAMS", "CDNOW_GG_PARAMS", "simulate_rfm", "simulate_transactions"]

#: Published CDNOW estimates, weekly time unit (Fader, Hardie & Lee 2005, "Counting your
#: customers the easy way", table 1).
CDNOW_BG_PARAMS: dict[str, float] = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
#: Published CDNOW Gamma-Gamma estimates (Fader, Hardie & Lee 2005, "RFM and CLV").
CDNOW_GG_PARAMS: dict[str, float] = {"p": 6.25, "q": 3.74, "v": 15.44}


def _params(
    given: Mapping[str, float] | None, default: Mapping[str, float], name: str
) -> dict[str, float]:
    out = dict(default if given is None else given)
    if set(out) != set(default):
        raise InputError(
            f"The {name!r} argument needs exactly {sorted(default)}; got {sorted(out)}."
        )
    for key, value in out.items():
        if not (np.isfinite(value) and value > 0):
            raise InputError(f"{name}[{key!r}] must be finite and > 0. Got {value!r}.")
    return out


def _check_count(n: object, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise InputError(f"The {name!r} argument must be an integer >= 1. Got {n!r} instead.")
    return int(n)


def _draw_counts(
    rng: np.random.Generator, T: np.ndarray, bg: dict[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Observed repeat purchases ``x`` and the latent Poisson count ``N`` on ``(0, T]``."""
    n = T.size
    lam = rng.gamma(shape=bg["r"], scale=1.0 / bg["alpha"], size=n)
    drop = rng.beta(bg["a"], bg["b"], size=n)
    K = rng.geometric(np.clip(drop, 1e-300, 1.0))
    N = rng.poisson(lam * T)
    return np.minimum(K, N), N


def simulate_rfm(
    n_customers: int,
    *,
    bg_params: Mapping[str, float] | None = None,
    gg_params: Mapping[str, float] | None = None,
    T: float | np.ndarray = 52.0,
    time_unit: str = "W",
    seed: int | None = 0,
) -> pd.DataFrame:
    """Simulate per-customer RFM statistics directly, without a transaction log.

    Purchase times are continuous (no grain), so this is an exact draw from the models;
    it is the fast path for cohorts of millions.

    Parameters
    ----------
    n_customers : int
    bg_params : mapping, optional
        ``r, alpha, a, b`` in ``time_unit``; default the published CDNOW estimates (weekly).
    gg_params : mapping, optional
        ``p, q, v``; default the published CDNOW estimates. Adds ``monetary_value``
        (mean of the repeat purchases, 0 without one).
    T : float or (n_customers,) array
        Observation length of each customer, in ``time_unit``.
    time_unit : str
        Recorded in ``attrs["time_unit"]``.
    seed : int or None
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    DataFrame
        Index ``customer_id`` 0..n-1; columns ``frequency``, ``recency``, ``T``,
        ``monetary_value``.
    """
    n = _check_count(n_customers, "n_customers")
    check_time_unit(time_unit)
    bg = _params(bg_params, CDNOW_BG_PARAMS, "bg_params")
    gg = _params(gg_params, CDNOW_GG_PARAMS, "gg_params")
    T_arr = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    if not np.all(np.isfinite(T_arr) & (T_arr > 0)):
        raise InputError("The 'T' argument must be finite and > 0 for every customer.")
    rng = np.random.default_rng(seed)
    x, N = _draw_counts(rng, T_arr, bg)
    # the x-th of N uniform order statistics on (0, T] is T * Beta(x, N - x + 1)
    recency = np.zeros(n)
    rep = x > 0
    recency[rep] = T_arr[rep] * rng.beta(x[rep], N[rep] - x[rep] + 1)
    nu = rng.gamma(shape=gg["q"], scale=1.0 / gg["v"], size=n)
    monetary = np.zeros(n)
    # the mean of x Gamma(p, nu) values is Gamma(p x, x nu)
    monetary[rep] = rng.gamma(shape=gg["p"] * x[rep], scale=1.0 / (x[rep] * nu[rep]))
    out = pd.DataFrame(
        {"frequency": x.astype(float), "recency": recency, "T": T_arr, "monetary_value": monetary},
        index=pd.RangeIndex(n, name="customer_id"),
    )
    out.attrs["time_unit"] = time_unit
    return out


def simulate_transactions(
    n_customers: int,
    *,
    bg_params: Mapping[str, float] | None = None,
    gg_params: Mapping[str, float] | None = None,
    start: str = "2024-01-01",
    acquisition_days: int = 365,
    observation_days: int = 730,
    time_unit: str = "W",
    seed: int | None = 0,
) -> pd.DataFrame:
    """Simulate a transaction log ``customer_id, date, amount``.

    Customers are acquired uniformly over the first ``acquisition_days`` days after
    ``start`` (first purchase at their acquisition time) and observed until
    ``start + observation_days``. Dates keep the time of day, so a daily grain merges
    purchases that fall on one day, as in a real log.

    Parameters
    ----------
    n_customers : int
    bg_params, gg_params : mapping, optional
        Model parameters; ``alpha`` is a rate per ``time_unit``. Default: published CDNOW
        estimates (weekly).
    start : str
        Calendar start of the acquisition window.
    acquisition_days, observation_days : int
        Length of the acquisition window and of the whole observation, in days.
    time_unit : str
        The unit ``bg_params`` are expressed in.
    seed : int or None

    Returns
    -------
    DataFrame
        One row per transaction, sorted by customer and date; ``amount`` in currency.
    """
    n = _check_count(n_customers, "n_customers")
    acq = _check_count(acquisition_days, "acquisition_days")
    obs = _check_count(observation_days, "observation_days")
    if obs < acq:
        raise InputError("'observation_days' must be >= 'acquisition_days'.")
    unit_days = unit_length_days(time_unit)
    bg = _params(bg_params, CDNOW_BG_PARAMS, "bg_params")
    gg = _params(gg_params, CDNOW_GG_PARAMS, "gg_params")
    rng = np.random.default_rng(seed)
    first_day = rng.uniform(0.0, acq, size=n)
    T_units = (obs - first_day) / unit_days
    x, N = _draw_counts(rng, T_units, bg)
    # purchase times: the first x of N uniform order statistics on (0, T], from spacings
    owner = np.repeat(np.arange(n), x)
    csum = np.cumsum(rng.exponential(size=owner.size))
    ends = np.cumsum(x)
    starts = ends - x
    before = np.zeros(n)
    later = starts > 0
    before[later] = csum[starts[later] - 1]
    partial = csum - before[owner]  # S_1..S_x of each customer's spacings
    totals = np.zeros(n)
    has = x > 0
    totals[has] = partial[ends[has] - 1]
    totals += rng.gamma(shape=(N - x + 1).astype(float), scale=1.0)  # S_(N+1)
    repeat_time = T_units[owner] * partial / totals[owner]
    nu = rng.gamma(shape=gg["q"], scale=1.0 / gg["v"], size=n)
    ids = np.concatenate([np.arange(n), owner])
    t_days = np.concatenate([first_day, first_day[owner] + repeat_time * unit_days])
    amount = rng.gamma(shape=gg["p"], scale=1.0 / nu[ids])
    order = np.lexsort((t_days, ids))
    origin = pd.Timestamp(start)
    dates = origin + pd.to_timedelta(np.round(t_days[order] * 86400.0), unit="s")
    return pd.DataFrame(
        {
            "customer_id": ids[order],
            "date": dates,
            "amount": np.maximum(np.round(amount[order], 2), 0.01),
        }
    ).reset_index(drop=True)
