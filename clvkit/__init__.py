"""clvkit: probabilistic customer lifetime value on a fast numpy core.

BG/NBD (purchases and silent drop-out) and Gamma-Gamma (spend per purchase) fitted by
maximum likelihood, behind an API for actual versus potential customer value.

Layers, dependencies pointing down only::

    plotting/   matplotlib helpers, imported lazily
    value       CLV: discounting, actual vs potential, segments
    models/     estimators, the fitting driver, persistence; models/_kernels: pure numpy
    data/       transaction log -> RFM, calibration/holdout, datasets
    engines/    optional: the same summaries in DuckDB or Spark; imported only when used
"""

from clvkit import datasets, errors
from clvkit._version import __version__
from clvkit.data import calibration_holdout, cohort_table, retention_table, rfm_summary
from clvkit.errors import ClvkitError, ConvergenceWarning
from clvkit.models import BetaGeo, GammaGamma
from clvkit.value import (
    CLVModel,
    LifecycleRules,
    lifecycle_stage,
    load_model,
    modelled_cohort_retention,
    predict_clv,
    retention_comparison,
    segment_summary,
)
from clvkit.value.evaluate import evaluate

__all__ = [
    "BetaGeo",
    "CLVModel",
    "ClvkitError",
    "ConvergenceWarning",
    "GammaGamma",
    "LifecycleRules",
    "__version__",
    "calibration_holdout",
    "cohort_table",
    "datasets",
    "errors",
    "evaluate",
    "lifecycle_stage",
    "load_model",
    "modelled_cohort_retention",
    "predict_clv",
    "retention_comparison",
    "retention_table",
    "rfm_summary",
    "segment_summary",
]
