"""From a transaction log to the model's inputs.

- :func:`purchases` validates a log and merges it into purchases (one per customer and
  grain period), the common ground of every summary and retention table.
- :func:`rfm_summary` and :func:`calibration_holdout` give one row per customer:
  frequency, recency, T (and monetary and holdout columns).
- :func:`occasion_summary` counts purchase occasions (years, quarters, ...) for
  discrete-time models.
- :func:`rfm_segments` scores a summary by quartiles of recency, frequency and spend and
  names the segments.
- :func:`load_cdnow_transactions` and :func:`load_cdnow_master_transactions` read the
  real CDNOW logs shipped with ``lifetimes``.
"""

from clvkit.data.cdnow import load_cdnow_master_transactions, load_cdnow_transactions
from clvkit.data.occasions import occasion_summary
from clvkit.data.retention import cohort_table, retention_table
from clvkit.data.rfm import calibration_holdout, rfm_summary
from clvkit.data.rfm_segments import RFM_SEGMENTS, rfm_segments
from clvkit.data.transactions import Purchases, purchases

__all__ = [
    "RFM_SEGMENTS",
    "Purchases",
    "calibration_holdout",
    "cohort_table",
    "load_cdnow_master_transactions",
    "load_cdnow_transactions",
    "occasion_summary",
    "purchases",
    "retention_table",
    "rfm_segments",
    "rfm_summary",
]
