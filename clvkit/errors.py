"""Exception and warning classes raised by clvkit.

Every error clvkit raises on purpose derives from :class:`ClvkitError`, itself a
:class:`ValueError`, so ``except ValueError`` keeps working for callers who do not care
which rule was broken, and ``except clvkit.errors.ClvkitError`` catches only ours.
"""

from __future__ import annotations

__all__ = [
    "ClvkitError",
    "ConvergenceWarning",
    "DataWarning",
    "InputError",
    "MissingDependencyError",
    "ModelFileError",
    "NotFittedError",
    "UncertaintyError",
    "UnitError",
]


class ClvkitError(ValueError):
    """Base class of every error clvkit raises on purpose."""


class InputError(ClvkitError):
    """An argument or a column breaks a documented rule (missing, NaN, negative, ...).

    The message names the argument or column, the rule, how many rows break it and a few
    example customer ids.
    """


class UnitError(ClvkitError):
    """A time unit, grain or horizon is unknown, or units are mixed."""


class NotFittedError(ClvkitError):
    """A model was asked for predictions or parameters before ``fit``."""


class UncertaintyError(ClvkitError):
    """An interval cannot be computed by the method asked for.

    Raised when the delta method or parametric draws are asked of a model without a usable
    parameter covariance (built with ``from_params``, or a fit whose observed information
    is not positive definite), or bootstrap intervals without bootstrap draws. The message
    says why and which methods still work.
    """


class ModelFileError(ClvkitError):
    """A model file is missing, malformed, of an unknown version or holds invalid values."""


class MissingDependencyError(ImportError):
    """An optional dependency is not installed; the message names the extra to install,
    e.g. ``pip install "clvkit[duckdb]"``."""


class ConvergenceWarning(UserWarning):
    """The optimiser stopped without meeting its convergence criterion."""


class DataWarning(UserWarning):
    """Something in the data was set aside on purpose (e.g. transactions after the end of
    observation), or looks like a mistake that would change the numbers (repeated rows,
    dates far from the rest of the log or in the future); the message counts the rows,
    names a few rows and customers, and says how to fix or silence it. Filter it with
    ``warnings.simplefilter("ignore", clvkit.errors.DataWarning)``."""
