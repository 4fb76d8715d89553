"""Argument checks and labels shared by the model and value plots."""

from __future__ import annotations

import numpy as np

from clvkit.errors import InputError
from clvkit.models import BetaGeo

__all__ = ["purchase_model", "unit_label", "unit_per"]

_UNIT_NAMES = {
    "h": ("hours", "hour"),
    "D": ("days", "day"),
    "W": ("weeks", "week"),
    "M": ("months", "month"),
    "Q": ("quarters", "quarter"),
    "Y": ("years", "year"),
}


def purchase_model(model: object, caller: str) -> tuple[BetaGeo, np.ndarray]:
    """The fitted BetaGeo of ``model`` (itself, or a CLVModel's) and its parameters."""
    purchase = getattr(model, "purchase_model_", model)
    if not isinstance(purchase, BetaGeo):
        raise InputError(
            f"The 'model' argument of {caller} must be a fitted clvkit.BetaGeo or "
            f"CLVModel. Got {type(model).__name__} instead."
        )
    return purchase, purchase._check_fitted()


def unit_label(time_unit: str | None) -> str:
    """Plural name of a time unit for axis labels ("weeks"); "time units" when unknown."""
    return _UNIT_NAMES[time_unit][0] if time_unit in _UNIT_NAMES else "time units"


def unit_per(time_unit: str | None) -> str:
    """Singular name of a time unit ("week"); "time unit" when unknown."""
    return _UNIT_NAMES[time_unit][1] if time_unit in _UNIT_NAMES else "time unit"
