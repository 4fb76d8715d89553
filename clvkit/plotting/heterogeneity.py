"""The fitted heterogeneity of the BG/NBD: how purchase rates and drop-out probabilities
vary across customers.

The BG/NBD draws each customer's purchase rate ``lambda`` from Gamma(r, alpha) (shape
``r``, rate ``alpha``, in purchases per model time unit) and their probability ``p`` of
dropping out after each purchase from Beta(a, b) (Fader, Hardie & Lee 2005, section 3).
matplotlib is imported when a function runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import stats

from clvkit.plotting._common import purchase_model, unit_per
from clvkit.plotting._mpl import axes

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot_dropout_heterogeneity", "plot_purchase_rate_heterogeneity"]

_POINTS = 400


def _draw_density(ax: Any, dist: Any, upper: float, mean: float, kwargs: dict[str, Any]) -> None:
    """The density on (0, upper) with its mean marked; a density unbounded at 0 is cut at
    its largest value beyond the first 2 % of the range, so the body of the distribution
    stays visible."""
    grid = np.linspace(0.0, upper, _POINTS + 2)[1:-1]
    density = dist.pdf(grid)
    kwargs.setdefault("label", "density")
    ax.plot(grid, density, **kwargs)
    ax.axvline(mean, color="grey", linestyle="--", label=f"mean {mean:.3g}")
    ax.set_xlim(0.0, upper)
    if not np.isfinite(dist.pdf(0.0)):
        ax.set_ylim(0.0, 1.1 * float(density[grid >= 0.02 * upper].max()))
    else:
        ax.set_ylim(bottom=0.0)
    ax.legend()


def plot_purchase_rate_heterogeneity(
    model: object, *, ax: Axes | None = None, **kwargs: Any
) -> Axes:
    """Density of the purchase rate ``lambda`` across customers: Gamma(r, alpha).

    Drawn from 0 to the 99th percentile, the mean ``r / alpha`` marked. A small ``r``
    (CDNOW: 0.24) means most customers buy rarely and a few buy often.

    Parameters
    ----------
    model : BetaGeo or CLVModel
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot` for the density.

    Returns
    -------
    matplotlib.axes.Axes
    """
    purchase, params = purchase_model(model, "plot_purchase_rate_heterogeneity")
    r, alpha = float(params[0]), float(params[1])
    dist = stats.gamma(r, scale=1.0 / alpha)
    ax = axes(ax)
    _draw_density(ax, dist, float(dist.ppf(0.99)), r / alpha, kwargs)
    per = unit_per(purchase.time_unit_)
    ax.set_xlabel(f"Purchase rate while alive, lambda (purchases per {per})")
    ax.set_ylabel(f"Density (per purchase per {per})")
    ax.set_title(f"Purchase rates: Gamma(r={r:.3g}, alpha={alpha:.3g})")
    return ax


def plot_dropout_heterogeneity(model: object, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Density of the drop-out probability ``p`` after each purchase: Beta(a, b).

    Drawn over (0, 1], the mean ``a / (a + b)`` marked.

    Parameters
    ----------
    model : BetaGeo or CLVModel
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot` for the density.

    Returns
    -------
    matplotlib.axes.Axes
    """
    _, params = purchase_model(model, "plot_dropout_heterogeneity")
    a, b = float(params[2]), float(params[3])
    dist = stats.beta(a, b)
    ax = axes(ax)
    _draw_density(ax, dist, 1.0, a / (a + b), kwargs)
    ax.set_xlabel("Probability of dropping out after a purchase, p (probability)")
    ax.set_ylabel("Density (per unit of probability)")
    ax.set_title(f"Drop-out probabilities: Beta(a={a:.3g}, b={b:.3g})")
    return ax
