"""clvkit: probabilistic customer lifetime value on a fast numpy core.

Purchase models (BG/NBD and its relatives: purchases and silent drop-out), Gamma-Gamma
(spend per purchase) and the shifted-beta-geometric model of subscriptions (observed
churn) fitted by maximum likelihood, behind an API for actual versus potential customer
value.

Layers, dependencies pointing down only::

    plotting/   matplotlib helpers, imported lazily
    value       CLV: discounting, actual vs potential, segments, evaluation
    models/     estimators on one purchase-model contract, the fitting driver,
                model files; models/_kernels: pure numpy
    data/       transaction log -> RFM, calibration/holdout, datasets
    engines/    optional: the same summaries in DuckDB or Spark; imported only when used
"""

from clvkit import datasets, errors
from clvkit._version import __version__
from clvkit.data import (
    calibration_holdout,
    cohort_table,
    occasion_summary,
    retention_table,
    rfm_segments,
    rfm_summary,
)
from clvkit.errors import ClvkitError, ConvergenceWarning
from clvkit.models import (
    BetaGeo,
    BetaGeoBeta,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    PurchaseModel,
    ShiftedBetaGeo,
    load_model,
)
from clvkit.value import (
    CLVModel,
    LifecycleRules,
    clv_cashflows,
    lifecycle_stage,
    modelled_cohort_retention,
    pivot_cashflows,
    predict_clv,
    retention_comparison,
    segment_summary,
)
from clvkit.value.compare import compare_models, holdout_deciles
from clvkit.value.evaluate import evaluate, holdout_predictions
from clvkit.value.subscription import SubscriptionValue
from clvkit.value.views import (
    expected_purchases_matrix,
    probability_alive_matrix,
    probability_alive_path,
)

__all__ = [
    "BetaGeo",
    "BetaGeoBeta",
    "CLVModel",
    "ClvkitError",
    "ConvergenceWarning",
    "GammaGamma",
    "LifecycleRules",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "PurchaseModel",
    "ShiftedBetaGeo",
    "SubscriptionValue",
    "__version__",
    "calibration_holdout",
    "clv_cashflows",
    "cohort_table",
    "compare_models",
    "datasets",
    "errors",
    "evaluate",
    "expected_purchases_matrix",
    "holdout_deciles",
    "holdout_predictions",
    "lifecycle_stage",
    "load_model",
    "modelled_cohort_retention",
    "occasion_summary",
    "pivot_cashflows",
    "predict_clv",
    "probability_alive_matrix",
    "probability_alive_path",
    "retention_comparison",
    "retention_table",
    "rfm_segments",
    "rfm_summary",
    "segment_summary",
]
