"""Argument checks and labels shared by the model and value plots."""

from __future__ import annotations

from clvkit._time import unit_name
from clvkit.errors import InputError
from clvkit.models import PurchaseModel, check_is_fitted

__all__ = ["purchase_model", "unit_label", "unit_per"]


def purchase_model(model: object, caller: str) -> PurchaseModel:
    """The fitted purchase model of ``model`` (itself, or a CLVModel's)."""
    purchase = getattr(model, "purchase_model_", model)
    if not isinstance(purchase, PurchaseModel):
        raise InputError(
            f"The 'model' argument of {caller} must be a fitted purchase model (BetaGeo, "
            f"ModifiedBetaGeo, ParetoNBD, ...) or a CLVModel. Got {type(model).__name__} "
            "instead."
        )
    check_is_fitted(purchase)
    return purchase


def unit_label(time_unit: str | None) -> str:
    """Plural name of a time unit for axis labels ("weeks"); "time units" when unknown."""
    return unit_name(time_unit, plural=True)


def unit_per(time_unit: str | None) -> str:
    """Singular name of a time unit ("week"); "time unit" when unknown."""
    return unit_name(time_unit)
