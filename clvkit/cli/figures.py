"""The report's figures: clvkit's plots drawn on matplotlib Figures, as inline PNG.

Figures are made with :class:`matplotlib.figure.Figure` directly (no pyplot, no
backend, no global state) and encoded as base64 ``data:`` URLs, so the HTML file needs
nothing beside it.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clvkit.cli.analysis import Analysis

__all__ = ["FIGURES", "Figure", "draw_figures"]

_SIZE = (7.6, 4.2)
_DPI = 110


@dataclass(frozen=True)
class Figure:
    """One figure of the report: an id (for tests and links), a title, one sentence on
    how to read it, and the PNG as a ``data:`` URL."""

    key: str
    title: str
    caption: str
    data_url: str


#: the figures every report holds, by id
FIGURES = (
    "value_by_lifecycle",
    "value_by_segment",
    "value_concentration",
    "cohort_heatmap",
    "decile_calibration",
    "calibration_vs_holdout",
    "cumulative_transactions",
    "period_transactions",
)


def _png(draw: Callable[[Any], object], size: tuple[float, float] = _SIZE) -> str:
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=size, layout="constrained")
    draw(fig.subplots())
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=_DPI)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def draw_figures(a: Analysis, log: Any) -> dict[str, Figure]:
    """Every figure of :data:`FIGURES`, drawn by :mod:`clvkit.plotting`."""
    import clvkit.plotting as ckp

    s = a.settings
    chosen = a.fits[a.chosen]
    n_cohorts = len(a.cohorts)
    heat_size = (_SIZE[0], max(_SIZE[1], min(12.0, 1.5 + 0.28 * n_cohorts)))
    specs: list[tuple[str, str, str, Callable[[Any], object], tuple[float, float]]] = [
        (
            "value_by_lifecycle",
            "Actual and potential value per lifecycle stage",
            "Each bar stacks what customers have already brought in (historical), what "
            "they are expected to bring over the horizon (expected) and what would be "
            "added if every one of them stayed (value at risk).",
            lambda ax: ckp.plot_value_by_segment(a.by_lifecycle, ax=ax),
            _SIZE,
        ),
        (
            "value_by_segment",
            f"Actual and potential value per {a.segment_name}",
            "The same split of value for each segment.",
            lambda ax: ckp.plot_value_by_segment(a.by_segment, ax=ax),
            _SIZE,
        ),
        (
            "value_concentration",
            "How concentrated value is",
            "Customers from the most to the least valuable against their share of all "
            "value: the higher the curve, the more value sits with a few customers.",
            lambda ax: ckp.plot_value_concentration(
                a.clv, columns=["actual_clv", "potential_clv"], ax=ax
            ),
            _SIZE,
        ),
        (
            "cohort_heatmap",
            "Share of each acquisition cohort buying, by age",
            "One row per cohort of customers acquired in the same period; each cell is the "
            "share of the cohort buying that many periods after its first purchase (grey: "
            "not yet observed).",
            lambda ax: ckp.plot_cohort_heatmap(a.cohorts, ax=ax),
            heat_size,
        ),
        (
            "decile_calibration",
            "Predicted against actual purchases in the holdout, by decile",
            "Customers are ranked by the purchases each model predicted for the holdout "
            "period and cut into ten groups; a good model stays on the diagonal.",
            lambda ax: ckp.plot_decile_calibration(a.fits, a.calibration, ax=ax),
            _SIZE,
        ),
        (
            "calibration_vs_holdout",
            f"Holdout purchases by past purchases ({a.chosen})",
            "Mean purchases in the holdout period for customers with 0, 1, 2, ... repeat "
            "purchases before it: actual against the model's prediction.",
            lambda ax: ckp.plot_calibration_vs_holdout(chosen, a.calibration, ax=ax),
            _SIZE,
        ),
        (
            "cumulative_transactions",
            f"Repeat purchases over time, actual and predicted ({a.chosen})",
            "Cumulative repeat purchases of the customers acquired in the calibration "
            "period; after the dashed line the model predicts data it never saw.",
            lambda ax: ckp.plot_cumulative_transactions(
                chosen,
                log,
                calibration_end=a.calibration_end,
                observation_end=a.observation_end,
                period="W",
                customer_id=s.customer_id,
                datetime=s.date,
                datetime_format=s.datetime_format,
                ax=ax,
            ),
            _SIZE,
        ),
        (
            "period_transactions",
            f"Customers by number of repeat purchases ({a.chosen})",
            "How many customers made 0, 1, 2, ... repeat purchases in the calibration "
            "period, observed against the model: the bars should be level.",
            lambda ax: ckp.plot_period_transactions(chosen, a.calibration, ax=ax),
            _SIZE,
        ),
    ]
    return {
        key: Figure(key, title, caption, _png(draw, size))
        for key, title, caption, draw, size in specs
    }
