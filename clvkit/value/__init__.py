"""Customer value: discounting, actual versus potential CLV, segments, lifecycle stages."""

from clvkit.value.clv import CLV_COLUMNS, CLVModel
from clvkit.value.io import load_model, save_model
from clvkit.value.lifecycle import STAGES, LifecycleRules, lifecycle_stage
from clvkit.value.segments import segment_summary
from clvkit.value.service import predict_clv

__all__ = [
    "CLV_COLUMNS",
    "STAGES",
    "CLVModel",
    "LifecycleRules",
    "lifecycle_stage",
    "load_model",
    "predict_clv",
    "save_model",
    "segment_summary",
]
