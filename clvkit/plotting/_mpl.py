"""Lazy matplotlib access shared by every plot function.

matplotlib is imported inside these helpers, never at module import, so ``import clvkit``
and ``import clvkit.plotting`` stay cheap for services that never draw.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from clvkit.errors import InputError

__all__ = ["axes", "integer_axis", "percent_axis", "pyplot"]

_MISSING = (
    "clvkit.plotting needs matplotlib, which is not installed. Install it with "
    "`pip install matplotlib` to draw; the rest of clvkit works without it."
)


def pyplot() -> ModuleType:
    """Return :mod:`matplotlib.pyplot`, importing it now; a clear ImportError if missing."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:  # pragma: no cover - matplotlib is installed in the test env
        raise ImportError(_MISSING) from exc
    return plt


def axes(ax: Any = None) -> Any:
    """Return ``ax``, or a new Axes from ``plt.subplots()`` when ``ax`` is None.

    Raises
    ------
    clvkit.errors.InputError
        If ``ax`` is neither None nor a matplotlib Axes.
    """
    if ax is None:
        _, ax = pyplot().subplots()
        return ax
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise InputError(f"The 'ax' argument must be a matplotlib Axes or None. Got {ax!r}.")
    return ax


def percent_axis(axis: Any) -> None:
    """Format a matplotlib Axis holding shares in [0, 1] as percentages."""
    from matplotlib.ticker import PercentFormatter

    axis.set_major_formatter(PercentFormatter(xmax=1.0))


def integer_axis(axis: Any) -> None:
    """Put ticks of a matplotlib Axis on whole numbers only."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))
