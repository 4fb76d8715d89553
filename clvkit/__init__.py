"""clvkit: probabilistic customer lifetime value on a fast numpy core.

BG/NBD (purchases and silent drop-out) and Gamma-Gamma (spend per purchase) fitted by
maximum likelihood, behind an API for actual versus potential customer value.

Layers, dependencies pointing down only::

    plotting/   matplotlib helpers, imported lazily
    value       CLV: discounting, actual vs potential, segments
    models/     estimators, the fitting driver, persistence; models/_kernels: pure numpy
    data/       transaction log -> RFM, calibration/holdout, datasets
"""

from clvkit import datasets, errors
from clvkit.data import calibration_holdout, rfm_summary
from clvkit.errors import ClvkitError, ConvergenceWarning
from clvkit.models import BetaGeo, GammaGamma

__version__ = "0.1.0"

__all__ = [
    "BetaGeo",
    "ClvkitError",
    "ConvergenceWarning",
    "GammaGamma",
    "__version__",
    "calibration_holdout",
    "datasets",
    "errors",
    "rfm_summary",
]
