"""Data to learn and test with: the real CDNOW logs, the donations cohort and seeded
model simulations.

The CDNOW and donations files ship inside the installed ``lifetimes`` package (a
dependency); clvkit commits no copy. Simulated cohorts (of buyers, of subscribers) come
from the models' own generative stories.
"""

from clvkit.data.cdnow import load_cdnow_master_transactions, load_cdnow_transactions
from clvkit.data.donations import load_donations
from clvkit.models.simulate import (
    CDNOW_BG_PARAMS,
    CDNOW_GG_PARAMS,
    simulate_rfm,
    simulate_transactions,
)
from clvkit.models.simulate_subscriptions import (
    SBG_HIGH_END_PARAMS,
    SBG_REGULAR_PARAMS,
    simulate_subscribers,
    simulate_subscription_payments,
    simulate_survival_counts,
)

__all__ = [
    "CDNOW_BG_PARAMS",
    "CDNOW_GG_PARAMS",
    "SBG_HIGH_END_PARAMS",
    "SBG_REGULAR_PARAMS",
    "load_cdnow_master_transactions",
    "load_cdnow_transactions",
    "load_donations",
    "simulate_rfm",
    "simulate_subscribers",
    "simulate_subscription_payments",
    "simulate_survival_counts",
    "simulate_transactions",
]
