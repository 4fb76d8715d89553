"""Plots of clvkit's tables and models: ``plot_x(data_or_model, ..., *, ax=None) -> Axes``.

Importing this package does not import matplotlib; each function imports it when it
runs (see :mod:`clvkit.plotting._mpl`), so services that never draw never pay for it.
Every function draws with the Axes API into ``ax`` (a new figure when None), labels its
axes with units, passes ``**kwargs`` to its main artist and returns the Axes.

Model checks (:mod:`clvkit.plotting.diagnostics`, :mod:`clvkit.plotting.matrices`,
:mod:`clvkit.plotting.heterogeneity`):

- :func:`plot_period_transactions`: customers by calibration repeat purchases, observed
  versus expected.
- :func:`plot_calibration_vs_holdout`: mean holdout purchases by calibration frequency,
  actual versus predicted.
- :func:`plot_cumulative_transactions`, :func:`plot_incremental_transactions`: repeat
  purchases over calendar time, actual versus model, the end of calibration marked.
- :func:`plot_expected_purchases_matrix`, :func:`plot_probability_alive_matrix`: the
  model's view of every (frequency, recency) history.
- :func:`plot_probability_alive_path`: one customer's P(alive) over time.
- :func:`plot_purchase_rate_heterogeneity`, :func:`plot_dropout_heterogeneity`: the
  fitted mixing distributions of purchase rates and drop-out.

Model comparison and the customer base (:mod:`clvkit.plotting.comparison`):

- :func:`plot_decile_calibration`: predicted versus actual holdout purchases by decile
  of predicted purchases, one line per model.
- :func:`plot_expected_purchases_new_customer`: a new customer's expected repeat
  purchases over time, one line per model.
- :func:`plot_customer_exposure`: each customer's first purchase, last purchase and end
  of observation on one time line.

Value (:mod:`clvkit.plotting.value`):

- :func:`plot_value_by_segment`: historical, expected and at-risk value stacked per
  segment (actual versus potential CLV).
- :func:`plot_value_concentration`: share of customers against share of value.
- :func:`plot_probability_alive_vs_time_since_purchase`: P(alive) against silence.

Subscriptions (:mod:`clvkit.plotting.subscriptions`), the two figures of Fader & Hardie
(2007):

- :func:`plot_survival_curves`: share of a cohort still active, observed versus model.
- :func:`plot_retention_rates`: period-to-period retention rate, observed versus model.

Cash flows (:mod:`clvkit.plotting.cashflows`):

- :func:`plot_cashflows`: value per step stacked by segment, the interval of the total as
  a band (a fan chart for cumulative value).

Retention (:mod:`clvkit.plotting.retention`):

- :func:`plot_cohort_heatmap`: a cohort table, unobserved cells in grey, not 0.
- :func:`plot_cohort_retention_curves`: one line per cohort, optionally with the model's.
- :func:`plot_retention_comparison`: observed versus modelled share buying, by age.
"""

from clvkit.plotting.cashflows import plot_cashflows
from clvkit.plotting.comparison import (
    plot_customer_exposure,
    plot_decile_calibration,
    plot_expected_purchases_new_customer,
)
from clvkit.plotting.diagnostics import (
    plot_calibration_vs_holdout,
    plot_cumulative_transactions,
    plot_incremental_transactions,
    plot_period_transactions,
)
from clvkit.plotting.heterogeneity import (
    plot_dropout_heterogeneity,
    plot_purchase_rate_heterogeneity,
)
from clvkit.plotting.matrices import (
    plot_expected_purchases_matrix,
    plot_probability_alive_matrix,
    plot_probability_alive_path,
)
from clvkit.plotting.retention import (
    plot_cohort_heatmap,
    plot_cohort_retention_curves,
    plot_retention_comparison,
)
from clvkit.plotting.subscriptions import plot_retention_rates, plot_survival_curves
from clvkit.plotting.value import (
    plot_probability_alive_vs_time_since_purchase,
    plot_value_by_segment,
    plot_value_concentration,
)

__all__ = [
    "plot_calibration_vs_holdout",
    "plot_cashflows",
    "plot_cohort_heatmap",
    "plot_cohort_retention_curves",
    "plot_cumulative_transactions",
    "plot_customer_exposure",
    "plot_decile_calibration",
    "plot_dropout_heterogeneity",
    "plot_expected_purchases_matrix",
    "plot_expected_purchases_new_customer",
    "plot_incremental_transactions",
    "plot_period_transactions",
    "plot_probability_alive_matrix",
    "plot_probability_alive_path",
    "plot_probability_alive_vs_time_since_purchase",
    "plot_purchase_rate_heterogeneity",
    "plot_retention_comparison",
    "plot_retention_rates",
    "plot_survival_curves",
    "plot_value_by_segment",
    "plot_value_concentration",
]
