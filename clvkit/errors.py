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
    """Base class of every error clvkit raises on purpose.

    Examples
    --------
    >>> import clvkit as ck
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> try:
    ...     bg.probability_alive(frequency=[2], recency=[30], T=[20])
    ... except ck.errors.ClvkitError as error:  # every error clvkit raises on purpose
    ...     print(type(error).__name__, isinstance(error, ValueError))
    InputError True
    """


class InputError(ClvkitError):
    """An argument or a column breaks a documented rule (missing, NaN, negative, ...).

    The message names the argument or column, the rule, how many rows break it and a few
    example customer ids.

    Examples
    --------
    >>> import clvkit as ck
    >>> ck.BetaGeo().fit(frequency=[1.5, 2], recency=[1, 2], T=[3, 4])
    Traceback (most recent call last):
        ...
    clvkit.errors.InputError: Argument 'frequency' must be a whole number ...; 1 of 2 rows ...
    """


class UnitError(ClvkitError):
    """A time unit, grain or horizon is unknown, or units are mixed.

    Examples
    --------
    >>> import clvkit as ck
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> bg.expected_purchases_new_customer("52X")
    Traceback (most recent call last):
        ...
    clvkit.errors.UnitError: The 'horizon' argument '52X' is not a horizon: ...
    """


class NotFittedError(ClvkitError):
    """A model was asked for predictions or parameters before ``fit``.

    Examples
    --------
    >>> import clvkit as ck
    >>> ck.GammaGamma().mean_spend()
    Traceback (most recent call last):
        ...
    clvkit.errors.NotFittedError: This GammaGamma is not fitted yet; call fit(...) ...
    """


class UncertaintyError(ClvkitError):
    """An interval cannot be computed by the method asked for.

    Raised when the delta method or parametric draws are asked of a model without a usable
    parameter covariance (built with ``from_params``, or a fit whose observed information
    is not positive definite), or bootstrap intervals without bootstrap draws. The message
    says why and which methods still work.

    Examples
    --------
    >>> import clvkit as ck
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> try:
    ...     bg.expected_purchases_new_customer(52, interval=0.9)
    ... except ck.errors.UncertaintyError as error:
    ...     print(str(error)[:70])
    BetaGeo.expected_purchases_new_customer: this BetaGeo has no parameter
    """


class ModelFileError(ClvkitError):
    """A model file is missing, malformed, of an unknown version or holds invalid values.

    Examples
    --------
    >>> import clvkit as ck
    >>> try:
    ...     ck.load_model("no-such-model.json")
    ... except ck.errors.ModelFileError as error:
    ...     print(str(error).startswith("Cannot read model file"))
    True
    """


class MissingDependencyError(ImportError):
    """An optional dependency is not installed; the message names the extra to install,
    e.g. ``pip install "clvkit[duckdb]"``.

    Examples
    --------
    >>> from clvkit.errors import MissingDependencyError
    >>> issubclass(MissingDependencyError, ImportError)  # caught like any failed import
    True
    """


class ConvergenceWarning(UserWarning):
    """The optimiser stopped without meeting its convergence criterion.

    Examples
    --------
    >>> import warnings
    >>> import clvkit as ck
    >>> rfm = ck.datasets.simulate_rfm(500, seed=1)
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     bg = ck.BetaGeo(max_iter=1).fit(rfm)  # far too few iterations
    >>> [w.category.__name__ for w in seen], bg.diagnostics_.converged
    (['ConvergenceWarning'], False)
    """


class DataWarning(UserWarning):
    """Something in the data was set aside on purpose (e.g. transactions after the end of
    observation), or looks like a mistake that would change the numbers (repeated rows,
    dates far from the rest of the log or in the future); the message counts the rows,
    names a few rows and customers, and says how to fix or silence it. Filter it with
    ``warnings.simplefilter("ignore", clvkit.errors.DataWarning)``.

    Examples
    --------
    >>> import warnings
    >>> import pandas as pd
    >>> import clvkit as ck
    >>> tx = pd.DataFrame({"customer_id": [1, 1, 2],
    ...                    "date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-05"]),
    ...                    "amount": [10.0, 10.0, 7.0]})
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     rfm = ck.rfm_summary(tx, monetary="amount")  # the same row twice
    >>> str(seen[0].message)[:60]
    '1 of 3 transactions in rfm_summary repeat an earlier row exa'
    """
