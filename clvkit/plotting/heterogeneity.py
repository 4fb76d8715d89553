"""The fitted heterogeneity of a purchase model: how purchase rates and drop-out vary
across customers.

Each model describes its latent traits with :meth:`~clvkit.PurchaseModel.mixing_distributions`
(BG/NBD: purchase rates ``lambda ~ Gamma(r, alpha)`` per model time unit and drop-out
probabilities ``p ~ Beta(a, b)``, Fader, Hardie & Lee 2005, section 3). matplotlib is
imported when a function runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from clvkit.plotting._common import purchase_model
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


def _draw_mixing(model: object, which: str, caller: str, ax: Any, kwargs: dict[str, Any]) -> Any:
    purchase = purchase_model(model, caller)
    mixing = purchase.mixing_distributions()[which]
    dist = mixing.distribution
    top = float(dist.support()[1])
    upper = top if np.isfinite(top) else float(dist.ppf(0.99))
    ax = axes(ax)
    _draw_density(ax, dist, upper, float(dist.mean()), kwargs)
    what = mixing.description[0].upper() + mixing.description[1:]
    ax.set_xlabel(f"{what}, {mixing.symbol} ({mixing.unit})")
    ax.set_ylabel(f"Density (per {mixing.density_unit})")
    ax.set_title(f"{purchase.display_name}: {mixing.symbol} ~ {mixing.label}")
    return ax


def plot_purchase_rate_heterogeneity(
    model: object, *, ax: Axes | None = None, **kwargs: Any
) -> Axes:
    """Density of the purchase rate (or probability) across customers.

    BG/NBD, MBG/NBD and Pareto/NBD: ``lambda ~ Gamma(r, alpha)``, drawn from 0 to the
    99th percentile, the mean ``r / alpha`` marked; a small ``r`` (CDNOW: 0.24) means most
    customers buy rarely and a few buy often. BG/BB: the purchase probability at each
    occasion, ``Beta(alpha, beta)`` over (0, 1).

    Parameters
    ----------
    model : purchase model or CLVModel
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot` for the density.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import clvkit as ck
    >>> import clvkit.plotting as ckp
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> ckp.plot_purchase_rate_heterogeneity(bg).get_title()
    'BG/NBD: lambda ~ Gamma(r=0.243, alpha=4.41)'
    """
    return _draw_mixing(model, "purchase", "plot_purchase_rate_heterogeneity", ax, kwargs)


def plot_dropout_heterogeneity(model: object, *, ax: Axes | None = None, **kwargs: Any) -> Axes:
    """Density of the drop-out probability (or rate) across customers.

    BG/NBD and MBG/NBD: the probability ``p`` of dropping out after a purchase,
    ``Beta(a, b)``; BG/BB: the probability between occasions, ``Beta(gamma, delta)``;
    Pareto/NBD: the drop-out rate ``mu ~ Gamma(s, beta)`` per time unit. The mean is marked.

    Parameters
    ----------
    model : purchase model or CLVModel
    ax : matplotlib Axes, optional
    **kwargs
        Passed to :meth:`matplotlib.axes.Axes.plot` for the density.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import clvkit as ck
    >>> import clvkit.plotting as ckp
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> ckp.plot_dropout_heterogeneity(bg).get_title()
    'BG/NBD: p ~ Beta(a=0.793, b=2.43)'
    """
    return _draw_mixing(model, "dropout", "plot_dropout_heterogeneity", ax, kwargs)
