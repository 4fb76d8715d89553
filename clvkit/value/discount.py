"""Discounting schedules: the horizon cut into steps, each step's purchases discounted.

The horizon ``H`` (model time units) is cut into steps of ``step`` units ending at
``t_1 < t_2 < ... < t_K = H`` (the last step is shorter when ``H`` is not a multiple). The
purchases expected in step k are discounted by ``(1 + rate) ** (t_k / one year)``, with a
year of 365.2425 days, so the result does not depend on the unit the model was fitted in.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from clvkit._time import DAYS_PER_YEAR, parse_horizon, unit_length_days
from clvkit._validation import check_discount_rate
from clvkit.errors import InputError, UnitError

__all__ = ["Schedule", "check_discount_rate", "schedule"]

_MAX_STEPS = 100_000


@dataclass(frozen=True)
class Schedule:
    """Step ends and their discount factors.

    Attributes
    ----------
    horizon : float
        ``H`` in model time units.
    ends : (K,) array
        Step ends ``t_k`` in model time units, the last equal to ``H``.
    factors : (K,) array
        ``(1 + rate) ** -(t_k in years)``; all 1 when the rate is 0.
    """

    horizon: float
    ends: np.ndarray
    factors: np.ndarray


def schedule(
    horizon: object,
    *,
    time_unit: str | None,
    discount_rate: object = 0.0,
    step: object = None,
) -> Schedule:
    """Build the discounting schedule of a CLV horizon.

    A service asks for the same schedule call after call: schedules of hashable arguments
    are kept (the last few, their arrays read-only), so they are built once.

    Parameters
    ----------
    horizon : float or str
        A number of model time units or a calendar span ("52W", "12M", "365D", "1Y").
    time_unit : str or None
        The model's time unit; ``None`` allows plain numbers and a zero rate only.
    discount_rate : float
        Yearly rate in [0, 1] (0.10 for 10 % a year).
    step : float or str, optional
        Step length; default one model time unit.
    """
    args = (horizon, time_unit, discount_rate, step)
    try:
        hash(args)
    except TypeError:  # an array or another unhashable value: built each time
        return _build(*args)
    return _cached(*args)


def _build(horizon: object, time_unit: str | None, discount_rate: object, step: object) -> Schedule:
    H = parse_horizon(horizon, time_unit, argument="horizon", allow_zero=False)
    rate = check_discount_rate(discount_rate)
    length = (
        1.0 if step is None else parse_horizon(step, time_unit, argument="step", allow_zero=False)
    )
    n_steps = math.ceil(H / length - 1e-9)
    if n_steps > _MAX_STEPS:
        raise InputError(
            f"The horizon is {n_steps:,} discounting steps long (more than {_MAX_STEPS:,}); "
            "pass a longer 'step'."
        )
    ends = np.minimum(length * np.arange(1, n_steps + 1, dtype=float), H)
    ends[-1] = H
    if rate == 0.0:
        factors = np.ones_like(ends)
    elif time_unit is None:
        raise UnitError(
            "A discount_rate is yearly, but the model was fitted without a time unit, so "
            "its steps cannot be converted to years; fit with time_unit=... ."
        )
    else:
        years = ends * unit_length_days(time_unit) / DAYS_PER_YEAR
        factors = np.exp(-years * math.log1p(rate))
    ends.flags.writeable = False
    factors.flags.writeable = False
    return Schedule(horizon=H, ends=ends, factors=factors)


# typed: 1, 1.0 and True are different keys (True is refused, 1 is not)
_cached = functools.lru_cache(maxsize=32, typed=True)(_build)
