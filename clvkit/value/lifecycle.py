"""Lifecycle stages: where each customer stands in the retention process.

Five ordered stages, assigned in this order of precedence:

1. ``welcome`` — new: tenure ``T`` shorter than ``new_within``.
2. ``win-back`` — most likely lost: ``p_active < lost_below``.
3. ``revival`` — activity fading, at risk: ``p_active < fading_below``.
4. ``getting to know`` — active early repeaters: ``frequency <= early_max_frequency``.
5. ``development`` — active, established: worth cross-selling.

``p_active`` is the purchase model's probability that the customer makes at least one
purchase in the next ``activity_window`` (``probability_purchase`` of any purchase model).
It is used instead of P(alive) because BG/NBD reports P(alive) = 1 for every customer
without a repeat purchase, however long they have been silent; ``p_active`` falls with
that silence under every model (the posterior purchase rate shrinks as T grows without a
purchase), so a customer with one purchase long ago lands in revival or win-back, not in
a healthy stage, whichever model is used.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from clvkit._time import parse_horizon
from clvkit.errors import InputError
from clvkit.models import purchase_model_of

__all__ = ["STAGES", "LifecycleRules", "assign_stages", "lifecycle_stage"]

#: The stages in retention-process order (the categories of the stage column).
STAGES: tuple[str, ...] = ("welcome", "getting to know", "development", "revival", "win-back")
#: The ordered categorical dtype of stage columns.
STAGE_DTYPE = pd.CategoricalDtype(list(STAGES), ordered=True)


@dataclass(frozen=True)
class LifecycleRules:
    """Thresholds of the lifecycle stages; every field can be overridden.

    Parameters
    ----------
    new_within : float or str, default "13W"
        Customers whose first purchase is more recent than this are ``welcome``.
    activity_window : float or str, default "13W"
        Window of ``p_active``, the probability of at least one purchase in it.
    lost_below : float, default 0.10
        ``p_active`` below this: ``win-back``.
    fading_below : float, default 0.30
        ``p_active`` below this (and not lost): ``revival``.
    early_max_frequency : int, default 2
        Active customers with at most this many repeat purchases: ``getting to know``;
        more: ``development``.

    Notes
    -----
    The defaults suit a retailer whose customers buy a few times a year. On CDNOW's
    39-week calibration they put the customers who never bought again (60 %) in win-back:
    15 % of those buy in the following 39 weeks, against 54 % to 87 % of the customers
    with ``p_active >= 0.2``. Tune them to your purchase cycle.

    Examples
    --------
    >>> import clvkit as ck
    >>> rules = ck.LifecycleRules(activity_window="26W", lost_below=0.05)
    >>> rules.new_within, rules.activity_window, rules.lost_below
    ('13W', '26W', 0.05)
    """

    new_within: float | str = "13W"
    activity_window: float | str = "13W"
    lost_below: float = 0.10
    fading_below: float = 0.30
    early_max_frequency: int = 2

    def __post_init__(self) -> None:
        for name in ("lost_below", "fading_below"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not (0.0 <= value <= 1.0)
            ):
                raise InputError(
                    f"LifecycleRules.{name} must be a probability in [0, 1]. Got {value!r}."
                )
        if self.lost_below > self.fading_below:
            raise InputError(
                f"LifecycleRules.lost_below ({self.lost_below}) must be <= fading_below "
                f"({self.fading_below})."
            )
        emf = self.early_max_frequency
        if isinstance(emf, bool) or not isinstance(emf, int) or emf < 0:
            raise InputError(
                f"LifecycleRules.early_max_frequency must be an integer >= 0. Got {emf!r}."
            )

    def windows(self, time_unit: str | None, *, discrete: bool = False) -> tuple[float, float]:
        """``new_within`` and ``activity_window`` in model time units.

        For a discrete-time model (purchase occasions) both are rounded up to whole
        occasions, the activity window to at least one: "13W" of a yearly model is the
        next occasion.

        Examples
        --------
        >>> import clvkit as ck
        >>> ck.LifecycleRules().windows("W"), ck.LifecycleRules().windows("D")
        ((13.0, 13.0), (91.0, 91.0))
        """
        return _windows(self, time_unit, discrete)


@functools.lru_cache(maxsize=32, typed=True)
def _windows(rules: LifecycleRules, time_unit: str | None, discrete: bool) -> tuple[float, float]:
    """:meth:`LifecycleRules.windows`, kept per rules and unit (a service asks again and
    again)."""
    new = parse_horizon(rules.new_within, time_unit, argument="new_within")
    window = parse_horizon(
        rules.activity_window, time_unit, argument="activity_window", allow_zero=False
    )
    if discrete:
        new, window = float(math.ceil(new - 1e-9)), max(1.0, float(math.ceil(window - 1e-9)))
    return new, window


def assign_stages(
    rules: LifecycleRules,
    *,
    T: np.ndarray,
    frequency: np.ndarray,
    p_active: np.ndarray,
    new_within: float,
) -> np.ndarray:
    """Stage codes (indices into :data:`STAGES`) from validated arrays, shape (n,)."""
    codes = np.where(frequency <= rules.early_max_frequency, 1, 2)
    codes = np.where(p_active < rules.fading_below, 3, codes)
    codes = np.where(p_active < rules.lost_below, 4, codes)
    codes = np.where(new_within > T, 0, codes)
    return codes.astype(np.int8)


def stages_categorical(codes: np.ndarray) -> pd.Categorical:
    """Ordered categorical of stage names from codes."""
    return pd.Categorical.from_codes(codes, dtype=STAGE_DTYPE)


def lifecycle_stage(
    model: object,
    customers: pd.DataFrame,
    rules: LifecycleRules | None = None,
    *,
    time_unit: str | None = None,
) -> pd.Series:
    """Assign each customer one of the five ordered lifecycle stages.

    Parameters
    ----------
    model : purchase model or CLVModel
        A fitted purchase model (BetaGeo, ParetoNBD, ...) or a CLVModel, whose purchase
        model is used.
    customers : DataFrame
        Columns ``frequency``, ``recency``, ``T`` in the model's time unit.
    rules : LifecycleRules, optional
        Thresholds; default ``LifecycleRules()``.
    time_unit : str, optional
        The unit of ``recency`` and ``T`` when ``customers`` does not record it in
        ``attrs["time_unit"]`` (a CSV or Parquet round trip, ``merge`` or ``concat``
        loses it); a frame in no known unit, or in another unit than the model's, is
        refused.

    Returns
    -------
    Series
        Ordered categorical with categories :data:`STAGES`, indexed like ``customers``,
        named ``lifecycle_stage``.

    Examples
    --------
    >>> import pandas as pd
    >>> import clvkit as ck
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> customers = pd.DataFrame({"frequency": [0.0, 0.0, 3.0, 3.0],
    ...                           "recency": [0.0, 0.0, 30.0, 5.0],
    ...                           "T": [4.0, 150.0, 38.0, 38.0]},
    ...                          index=["new", "gone", "active", "fading"])
    >>> ck.lifecycle_stage(bg, customers, time_unit="W").astype(str).tolist()
    ['welcome', 'win-back', 'development', 'win-back']
    """
    purchase = purchase_model_of(model, "lifecycle_stage")
    rules = LifecycleRules() if rules is None else rules
    if not isinstance(rules, LifecycleRules):
        raise InputError("The 'rules' argument must be a clvkit LifecycleRules.")
    new_within, window = rules.windows(purchase.time_unit_, discrete=purchase.discrete)
    p_active = purchase.probability_purchase(customers, window, time_unit=time_unit)
    frame = customers
    codes = assign_stages(
        rules,
        T=frame["T"].to_numpy(dtype=float),
        frequency=frame["frequency"].to_numpy(dtype=float),
        p_active=np.asarray(p_active, dtype=float),
        new_within=new_within,
    )
    return pd.Series(stages_categorical(codes), index=customers.index, name="lifecycle_stage")
