"""Seeded simulation of cohorts from any purchase model with the Gamma-Gamma spend story.

A purchase model draws each customer's history from its own generative story (its
kernel's ``simulate``: BG/NBD, MBG/NBD, Pareto/NBD, BG/BB), including whether the customer
is still alive at the end (a latent state no real log shows: the ``alive`` column, for
P(alive) calibration and recovery tests).

Gamma-Gamma (Fader & Hardie 2013): each customer has ``nu ~ Gamma(q, v)`` (rate ``v``)
and each purchase, the first included, is worth ``Gamma(p, nu)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from clvkit._time import check_time_unit, unit_length_days
from clvkit.data.retention import period_first_day, period_ordinal
from clvkit.errors import InputError, UnitError
from clvkit.models.beta_geo import BetaGeo
from clvkit.models.purchase import PurchaseModel

__all__ = ["CDNOW_BG_PARAMS", "CDNOW_GG_PARAMS", "simulate_rfm", "simulate_transactions"]

#: Published CDNOW estimates, weekly time unit (Fader, Hardie & Lee 2005, "Counting your
#: customers the easy way", table 1).
CDNOW_BG_PARAMS: dict[str, float] = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
#: Published CDNOW Gamma-Gamma estimates (Fader, Hardie & Lee 2005, "RFM and CLV").
CDNOW_GG_PARAMS: dict[str, float] = {"p": 6.25, "q": 3.74, "v": 15.44}


def _purchase_model(
    model: object, bg_params: Mapping[str, float] | None, time_unit: str
) -> PurchaseModel:
    """The purchase model to draw from: ``model``, or BG/NBD at ``bg_params`` (CDNOW)."""
    if model is not None:
        if bg_params is not None:
            raise InputError("Pass either 'model' or 'bg_params', not both.")
        if not isinstance(model, PurchaseModel) or not model.is_fitted:
            raise InputError(
                "The 'model' argument must be a purchase model with parameters, e.g. "
                f"ck.ParetoNBD.from_params(...). Got {model!r}."
            )
        if model.time_unit_ is not None and model.time_unit_ != time_unit:
            raise UnitError(
                f"The model's parameters are in time unit {model.time_unit_!r}, but "
                f"time_unit={time_unit!r} was asked for; nothing is rescaled silently."
            )
        return model
    params = _params(bg_params, CDNOW_BG_PARAMS, "bg_params")
    return BetaGeo.from_params(time_unit=time_unit, **params)


def _spend(
    rng: np.random.Generator, x: np.ndarray, gg: dict[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Mean repeat spend (0 without a repeat purchase) and total spend, first included.

    The mean of ``x`` Gamma(p, nu) values is Gamma(p x, x nu).
    """
    n = x.size
    nu = rng.gamma(shape=gg["q"], scale=1.0 / gg["v"], size=n)
    monetary = np.zeros(n)
    rep = x > 0
    monetary[rep] = rng.gamma(shape=gg["p"] * x[rep], scale=1.0 / (x[rep] * nu[rep]))
    first = rng.gamma(shape=gg["p"], scale=1.0 / nu)
    return monetary, first + x * monetary


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


def simulate_rfm(
    n_customers: int,
    *,
    model: PurchaseModel | None = None,
    bg_params: Mapping[str, float] | None = None,
    gg_params: Mapping[str, float] | None = None,
    T: float | np.ndarray = 52.0,
    time_unit: str = "W",
    seed: int | None = 0,
) -> pd.DataFrame:
    """Simulate per-customer summaries directly, without a transaction log.

    Purchase times are continuous (no grain), so this is an exact draw from the models;
    it is the fast path for cohorts of millions. The result has every column
    :meth:`clvkit.CLVModel.predict_clv` needs.

    Parameters
    ----------
    n_customers : int
    model : purchase model, optional
        Any purchase model with parameters (fitted, loaded or ``from_params``):
        ``ck.ParetoNBD.from_params(...)``, ``ck.ModifiedBetaGeo.from_params(...)``, ...
        Default: BG/NBD at ``bg_params``.
    bg_params : mapping, optional
        ``r, alpha, a, b`` of a BG/NBD in ``time_unit`` when ``model`` is not given;
        default the published CDNOW estimates (weekly).
    gg_params : mapping, optional
        Gamma-Gamma ``p, q, v``; default the published CDNOW estimates.
    T : float or (n_customers,) array
        Observation length of each customer, in ``time_unit`` (occasions for BG/BB).
    time_unit : str
        Recorded in ``attrs["time_unit"]``; must match the model's unit when it has one.
    seed : int or None
        Seed of :func:`numpy.random.default_rng`.

    Returns
    -------
    DataFrame
        Index ``customer_id`` 0..n-1; columns ``frequency``, ``recency``, ``T``,
        ``monetary_value`` (mean of the repeat purchases, 0 without one),
        ``historical_value`` (all purchases, the first included) and ``alive`` (the
        latent state at T, bool).

    Examples
    --------
    >>> import clvkit as ck
    >>> rfm = ck.datasets.simulate_rfm(1000, seed=3)
    >>> list(rfm.columns)
    ['frequency', 'recency', 'T', 'monetary_value', 'historical_value', 'alive']
    >>> pnbd = ck.ParetoNBD.from_params(r=0.55, alpha=10.58, s=0.61, beta=11.67, time_unit="W")
    >>> ck.datasets.simulate_rfm(1000, model=pnbd, seed=3).shape
    (1000, 6)
    """
    n = _check_count(n_customers, "n_customers")
    check_time_unit(time_unit)
    purchase = _purchase_model(model, bg_params, time_unit)
    gg = _params(gg_params, CDNOW_GG_PARAMS, "gg_params")
    T_arr = np.broadcast_to(np.asarray(T, dtype=float), (n,)).copy()
    if not np.all(np.isfinite(T_arr) & (T_arr > 0)):
        raise InputError("The 'T' argument must be finite and > 0 for every customer.")
    if purchase.discrete and np.any(T_arr != np.floor(T_arr)):
        raise InputError(
            f"The 'T' argument counts purchase occasions for a {purchase.display_name} "
            "model and must hold whole numbers."
        )
    rng = np.random.default_rng(seed)
    x, recency, alive, _ = purchase._simulate(rng, T_arr, times=False)
    monetary, historical = _spend(rng, x, gg)
    out = pd.DataFrame(
        {
            "frequency": x.astype(float),
            "recency": recency,
            "T": T_arr,
            "monetary_value": monetary,
            "historical_value": historical,
            "alive": alive.astype(bool),
        },
        index=pd.RangeIndex(n, name="customer_id"),
    )
    out.attrs["time_unit"] = time_unit
    return out


def _calendar_occasions(
    origin: pd.Timestamp, first_day: np.ndarray, obs: int, unit: str
) -> tuple[np.ndarray, Any]:
    """Occasions of a discrete-time model as calendar periods of ``unit``.

    A customer's first purchase falls in their occasion 0, the calendar period holding
    it; occasion ``j`` is the ``j``-th period after it, and only whole periods before the
    end of observation are observed. Returns the number of observed occasions after the
    first (``T``) and a function placing each repeat purchase at a uniform moment of its
    occasion's period (days since ``origin``).
    """
    if unit not in ("D", "W", "M", "Q", "Y"):
        raise UnitError(
            "A discrete-time model simulates one occasion per calendar period: time_unit "
            f"must be one of ['D', 'W', 'M', 'Q', 'Y']. Got {unit!r}."
        )
    day0 = np.datetime64(origin.date(), "D")
    first = day0 + np.floor(first_day).astype(np.int64).astype("timedelta64[D]")
    k0 = period_ordinal(first, unit)
    end = day0 + np.timedelta64(obs, "D")  # the first day no longer observed
    last_whole = int(period_ordinal(np.array([end]), unit)[0]) - 1
    T = np.maximum(last_whole - k0, 0).astype(np.float64)

    def place(rng: np.random.Generator, owner: np.ndarray, occasion: np.ndarray) -> np.ndarray:
        k = k0[owner] + occasion.astype(np.int64)
        begin = period_first_day(k, unit)
        length = (period_first_day(k + 1, unit) - begin).astype(np.float64)
        return np.asarray((begin - day0).astype(np.float64) + rng.uniform(0.0, length))

    return T, place


def simulate_transactions(
    n_customers: int,
    *,
    model: PurchaseModel | None = None,
    bg_params: Mapping[str, float] | None = None,
    gg_params: Mapping[str, float] | None = None,
    start: str = "2024-01-01",
    acquisition_days: int = 365,
    observation_days: int = 730,
    time_unit: str = "W",
    seed: int | None = 0,
) -> pd.DataFrame:
    """Simulate a transaction log ``customer_id, date, amount`` (and the latent ``alive``).

    Customers are acquired uniformly over the first ``acquisition_days`` days after
    ``start`` (first purchase at their acquisition time) and observed until
    ``start + observation_days``. Dates keep the time of day, so a daily grain merges
    purchases that fall on one day, as in a real log. For a discrete-time model (BG/BB)
    the occasions are calendar periods of ``time_unit`` (years, quarters, months, weeks
    or days): occasion 0 is the period of the first purchase, a purchase at occasion
    ``j`` falls at a uniform moment of the ``j``-th period after it, and only whole
    periods before the end of observation are observed, so
    :func:`clvkit.occasion_summary` gives back the histories drawn.

    Parameters
    ----------
    n_customers : int
    model, bg_params, gg_params
        As in :func:`simulate_rfm`; ``alpha`` (or the model's rates) per ``time_unit``.
    start : str
        Calendar start of the acquisition window.
    acquisition_days, observation_days : int
        Length of the acquisition window and of the whole observation, in days.
    time_unit : str
        The unit the model's parameters are expressed in.
    seed : int or None

    Returns
    -------
    DataFrame
        One row per transaction, sorted by customer and date; ``amount`` in currency;
        ``alive`` the customer's latent state at the end of observation (the same on
        every row of a customer; no real log has it).

    Examples
    --------
    >>> import clvkit as ck
    >>> tx = ck.datasets.simulate_transactions(200, seed=1)
    >>> list(tx.columns)
    ['customer_id', 'date', 'amount', 'alive']
    """
    n = _check_count(n_customers, "n_customers")
    acq = _check_count(acquisition_days, "acquisition_days")
    obs = _check_count(observation_days, "observation_days")
    if obs < acq:
        raise InputError("'observation_days' must be >= 'acquisition_days'.")
    unit_days = unit_length_days(time_unit)
    purchase = _purchase_model(model, bg_params, time_unit)
    gg = _params(gg_params, CDNOW_GG_PARAMS, "gg_params")
    rng = np.random.default_rng(seed)
    first_day = rng.uniform(0.0, acq, size=n)
    origin = pd.Timestamp(start)
    if purchase.discrete:
        T_units, place = _calendar_occasions(origin, first_day, obs, time_unit)
    else:
        T_units = (obs - first_day) / unit_days
    x, _, alive, repeat_time = purchase._simulate(rng, T_units, times=True)
    assert repeat_time is not None
    counts = x.astype(np.int64)
    owner = np.repeat(np.arange(n), counts)
    if purchase.discrete:
        repeat_day = place(rng, owner, repeat_time)
    else:
        repeat_day = first_day[owner] + repeat_time * unit_days
    nu = rng.gamma(shape=gg["q"], scale=1.0 / gg["v"], size=n)
    ids = np.concatenate([np.arange(n), owner])
    t_days = np.concatenate([first_day, repeat_day])
    amount = rng.gamma(shape=gg["p"], scale=1.0 / nu[ids])
    order = np.lexsort((t_days, ids))
    dates = origin + pd.to_timedelta(np.round(t_days[order] * 86400.0), unit="s")
    return pd.DataFrame(
        {
            "customer_id": ids[order],
            "date": dates,
            "amount": np.maximum(np.round(amount[order], 2), 0.01),
            "alive": alive[ids[order]].astype(bool),
        }
    ).reset_index(drop=True)
