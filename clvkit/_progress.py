"""Progress bars for long work, shown only where someone is watching.

Functions that can run for seconds on large data (log summaries, fits, the bootstrap,
scoring with intervals) take ``progress=None | True | False``:

- ``None`` (the default): a bar on a terminal (standard error is a TTY) or in a Jupyter
  notebook, and nothing when the output goes to a file, a pipe or a CI log;
- ``True``: a bar wherever standard error goes;
- ``False``: never a bar.

The bars are drawn by ``tqdm`` (``pip install "clvkit[progress]"``), imported only when
a bar is about to be drawn, so ``import clvkit`` never imports it and a service that
never asks for progress never pays for it. Without ``tqdm`` the default is silent;
an explicit ``progress=True`` warns once, in one line, naming the extra to install.

Inside the library::

    with progress_bar(progress, total=n_draws, desc="bootstrap", unit="fit") as bar:
        for ...:
            bar.update()

``delay`` keeps short work silent: the bar appears only once the work has run that many
seconds.
"""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from clvkit.errors import InputError

__all__ = ["Bar", "check_progress", "progress_bar", "wants_bar"]

_INSTALL = 'pip install "clvkit[progress]"'
_warned_missing = False
_lock = threading.Lock()
_exclusive = 0  # bars open that silence every bar opened while they are (in any thread)


class Bar(Protocol):
    """What library code may call on a bar (a tqdm bar, or the silent stand-in)."""

    def update(self, n: float = 1) -> Any:
        """Advance the bar by ``n`` units."""

    def set_description_str(self, desc: str) -> Any:
        """Replace the text in front of the bar."""


class _Silent:
    """The bar drawn when nobody is watching: every call does nothing."""

    def update(self, n: float = 1) -> None:
        return None

    def set_description_str(self, desc: str) -> None:
        return None


SILENT: Bar = _Silent()


def check_progress(progress: object, caller: str) -> bool | None:
    """Validate a ``progress`` argument: ``None``, ``True`` or ``False``."""
    if progress is None or isinstance(progress, bool):
        return progress
    raise InputError(
        f"The 'progress' argument of {caller} must be True, False or None (a bar on a "
        f"terminal or in a notebook). Got {progress!r} instead."
    )


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (IPython's ZMQ shell), without importing IPython."""
    if "ipykernel" not in sys.modules:
        return False
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    shell = get() if callable(get) else None
    return type(shell).__name__ == "ZMQInteractiveShell"


def _stderr_is_terminal() -> bool:
    stream = sys.stderr
    try:
        return stream is not None and bool(stream.isatty())
    except (AttributeError, ValueError):  # replaced by an object without isatty, or closed
        return False


def wants_bar(progress: bool | None) -> bool:
    """Whether ``progress`` asks for a bar here and now (before checking for tqdm)."""
    if progress is None:
        return _stderr_is_terminal() or _in_notebook()
    return bool(progress)


def _tqdm_class(explicit: bool) -> Any:
    """tqdm's bar class for this place (the widget in a notebook that has ipywidgets),
    or None when tqdm is not installed (warning once if the bar was asked for)."""
    global _warned_missing
    try:
        from tqdm import std
    except ImportError:
        if explicit and not _warned_missing:
            _warned_missing = True
            warnings.warn(
                f"progress=True needs the tqdm package: {_INSTALL}", UserWarning, stacklevel=4
            )
        return None
    if _in_notebook():
        try:
            import ipywidgets  # noqa: F401
            from tqdm import notebook
        except ImportError:
            return std.tqdm
        return notebook.tqdm
    return std.tqdm


@contextmanager
def progress_bar(
    progress: bool | None,
    *,
    total: float | None,
    desc: str,
    unit: str = "it",
    delay: float = 0.0,
    unit_scale: bool = False,
    exclusive: bool = False,
) -> Iterator[Bar]:
    """A bar for one piece of work, or the silent stand-in (see the module notes).

    Parameters
    ----------
    progress : bool or None
        The caller's ``progress`` argument (already checked).
    total : float or None
        Units of work in all; ``None`` when unknown (the bar counts without a percentage).
    desc : str
        Text in front of the bar.
    unit : str
        Name of one unit of work.
    delay : float
        Seconds of work before the bar appears (short work stays silent).
    unit_scale : bool
        Show large counts as 1.2M rather than 1200000.
    exclusive : bool
        Silence every bar opened while this one is (the fits inside a bootstrap, say),
        in any thread.
    """
    global _exclusive
    if exclusive:
        with _lock:
            _exclusive += 1
    try:
        silenced = _exclusive > int(exclusive)
        options = {"total": total, "desc": desc, "unit": unit, "delay": delay}
        with _one_bar(progress, silenced, unit_scale=unit_scale, **options) as bar:
            yield bar
    finally:
        if exclusive:
            with _lock:
                _exclusive -= 1


@contextmanager
def _one_bar(progress: bool | None, silenced: bool, **options: Any) -> Iterator[Bar]:
    if silenced or not wants_bar(progress):
        yield SILENT
        return
    cls = _tqdm_class(explicit=progress is True)
    if cls is None:
        yield SILENT
        return
    bar = cls(leave=False, dynamic_ncols=True, **options)
    try:
        yield bar
    finally:
        bar.close()
