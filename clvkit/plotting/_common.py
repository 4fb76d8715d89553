"""Argument checks and labels shared by the model and value plots."""

from __future__ import annotations

from clvkit._time import unit_name
from clvkit.models import purchase_model_of as purchase_model

__all__ = ["purchase_model", "unit_label", "unit_per"]


def unit_label(time_unit: str | None) -> str:
    """Plural name of a time unit for axis labels ("weeks"); "time units" when unknown."""
    return unit_name(time_unit, plural=True)


def unit_per(time_unit: str | None) -> str:
    """Singular name of a time unit ("week"); "time unit" when unknown."""
    return unit_name(time_unit)
