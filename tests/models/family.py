"""The registered models and the reference parameters the shared batteries use.

Every model registered in clvkit (by subclassing) must appear here; a test checks it, so
a new model cannot skip the contract battery. Parameters are published estimates where
they exist (source in the comment), so simulated cohorts look like real ones.

Three families: purchase models (fitted on frequency, recency, T), spend models (fitted
on the repeat buyers of a purchase model's cohort) and contractual models (fitted on one
row per subscriber: tenure, churned). ``simulated_cohort(kind)`` gives each the data it
fits on, and every cohort records the weekly unit the battery expects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

import clvkit as ck
from clvkit.models import ContractualModel, PurchaseModel


@dataclass(frozen=True)
class Reference:
    params: dict[str, float]
    #: observation lengths of a simulated cohort (weeks; occasions for discrete models)
    T_low: float = 20.0
    T_high: float = 60.0


PURCHASE_MODELS: dict[str, Reference] = {
    # Fader, Hardie & Lee (2005), "Counting your customers the easy way", CDNOW, weeks
    "BetaGeo": Reference({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}),
    # MBG/NBD fitted on the same CDNOW calibration (lifetimes 0.11.3 and clvkit agree)
    "ModifiedBetaGeo": Reference({"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}),
    # Fader, Hardie & Lee (2005), "RFM and CLV" / "Counting your customers", Pareto/NBD
    "ParetoNBD": Reference({"r": 0.5534, "alpha": 10.5802, "s": 0.6061, "beta": 11.6562}),
    # Fader, Hardie & Shang (2010), the donations cohort; occasions instead of weeks
    "BetaGeoBeta": Reference(
        {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}, T_low=4, T_high=12
    ),
}

SPEND_MODELS: dict[str, dict[str, float]] = {
    # Fader, Hardie & Lee (2005), "RFM and CLV", CDNOW
    "GammaGamma": {"p": 6.25, "q": 3.74, "v": 15.44},
}

CONTRACTUAL_MODELS: dict[str, dict[str, float]] = {
    # Fader & Hardie (2007), "How to project customer retention", the "high end" segment
    "ShiftedBetaGeo": {"gamma": 0.668, "delta": 3.806},
}


def purchase_class(kind: str) -> type[PurchaseModel]:
    cls = getattr(ck, kind)
    assert issubclass(cls, PurchaseModel)
    return cls


def reference_model(kind: str) -> PurchaseModel:
    return purchase_class(kind).from_params(time_unit="W", **PURCHASE_MODELS[kind].params)


def contractual_class(kind: str) -> type[ContractualModel]:
    cls = getattr(ck, kind)
    assert issubclass(cls, ContractualModel)
    return cls


def simulated_subscribers(kind: str, n: int = 3000, seed: int = 7) -> pd.DataFrame:
    """Subscribers drawn from a contractual model at its reference parameters, observed
    over 24 periods (weeks, the battery's unit)."""
    model = contractual_class(kind).from_params(time_unit="W", **CONTRACTUAL_MODELS[kind])
    subs = ck.datasets.simulate_subscribers(n, model=model, periods=24, time_unit="W", seed=seed)
    return subs.drop(columns=["lifetime"])


def simulated_cohort(kind: str, n: int = 3000, seed: int = 7) -> pd.DataFrame:
    """Customers drawn from the model itself at its reference parameters."""
    if kind in CONTRACTUAL_MODELS:
        return simulated_subscribers(kind, n, seed)
    ref = PURCHASE_MODELS[kind]
    model = reference_model(kind)
    T = np.linspace(ref.T_low, ref.T_high, n)
    if model.discrete:
        T = np.round(T)
    return ck.datasets.simulate_rfm(n, model=model, T=T, seed=seed)
