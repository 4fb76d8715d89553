"""Estimators: BG/NBD purchases, Gamma-Gamma spend, their shared fitting driver."""

from clvkit.models.base import BaseModel, FitDiagnostics
from clvkit.models.beta_geo import BetaGeo
from clvkit.models.gamma_gamma import GammaGamma

__all__ = ["BaseModel", "BetaGeo", "FitDiagnostics", "GammaGamma"]
