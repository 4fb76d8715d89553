"""Plots of clvkit's tables and models: ``plot_x(data_or_model, ..., *, ax=None) -> Axes``.

Importing this package does not import matplotlib; each function imports it when it
runs (see :mod:`clvkit.plotting._mpl`), so services that never draw never pay for it.
Every function draws with the Axes API into ``ax`` (a new figure when None), labels its
axes with units, passes ``**kwargs`` to its main artist and returns the Axes.

Retention (:mod:`clvkit.plotting.retention`):

- :func:`plot_cohort_heatmap`: a cohort table, unobserved cells in grey, not 0.
- :func:`plot_cohort_retention_curves`: one line per cohort, optionally with the model's.
- :func:`plot_retention_comparison`: observed versus modelled share buying, by age.
"""

from clvkit.plotting.retention import (
    plot_cohort_heatmap,
    plot_cohort_retention_curves,
    plot_retention_comparison,
)

__all__ = [
    "plot_cohort_heatmap",
    "plot_cohort_retention_curves",
    "plot_retention_comparison",
]
