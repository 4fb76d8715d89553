"""Estimators: purchase models on one contract, the Gamma-Gamma spend model, contractual
(subscription) models on another, persistence.

Every purchase model is one module here (its kernel in ``_kernels/``) and one line below;
subclassing :class:`~clvkit.models.purchase.PurchaseModel` registers it for model files
and the contract tests.
"""

from clvkit.models.base import BaseModel, FitDiagnostics, check_is_fitted, clone
from clvkit.models.beta_geo import BetaGeo
from clvkit.models.beta_geo_beta import BetaGeoBeta
from clvkit.models.contractual import ContractualModel
from clvkit.models.gamma_gamma import GammaGamma
from clvkit.models.modified_beta_geo import ModifiedBetaGeo
from clvkit.models.pareto_nbd import ParetoNBD
from clvkit.models.persistence import load_model, model_kinds
from clvkit.models.purchase import MixingDistribution, PurchaseModel, purchase_model_of
from clvkit.models.shifted_beta_geo import ShiftedBetaGeo

__all__ = [
    "BaseModel",
    "BetaGeo",
    "BetaGeoBeta",
    "ContractualModel",
    "FitDiagnostics",
    "GammaGamma",
    "MixingDistribution",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "PurchaseModel",
    "ShiftedBetaGeo",
    "check_is_fitted",
    "clone",
    "load_model",
    "model_kinds",
    "purchase_model_of",
]
