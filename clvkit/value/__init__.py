"""Customer value: discounting, actual versus potential CLV (of buyers and of subscribers),
segments, lifecycle stages."""

from clvkit.value.cashflows import CASHFLOW_COLUMNS, clv_cashflows, pivot_cashflows
from clvkit.value.clv import CLV_COLUMNS, CLVModel
from clvkit.value.cohorts import modelled_cohort_retention, retention_comparison
from clvkit.value.evaluate import holdout_predictions, repeat_purchases_over_time
from clvkit.value.lifecycle import STAGES, LifecycleRules, lifecycle_stage
from clvkit.value.segments import segment_summary
from clvkit.value.service import predict_clv
from clvkit.value.subscription import SubscriptionValue

__all__ = [
    "CASHFLOW_COLUMNS",
    "CLV_COLUMNS",
    "STAGES",
    "CLVModel",
    "LifecycleRules",
    "SubscriptionValue",
    "clv_cashflows",
    "holdout_predictions",
    "lifecycle_stage",
    "modelled_cohort_retention",
    "pivot_cashflows",
    "predict_clv",
    "repeat_purchases_over_time",
    "retention_comparison",
    "segment_summary",
]
