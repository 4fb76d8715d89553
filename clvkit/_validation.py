"""Input checks shared by every public entry point.

Each check runs *before* any cast, so nothing is silently coerced, and raises
:class:`clvkit.errors.InputError` with a message that names the argument or column, the
rule, how many rows break it and a few example ids::

    Column 'recency' must be <= column 'T'; 3 of 2357 rows break this rule
    (customer ids: 17, 204, 1093).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn, TypeVar

import numpy as np
import pandas as pd

from clvkit.errors import InputError

__all__ = [
    "check_columns",
    "check_discount_rate",
    "check_errors",
    "check_rule",
    "numeric_column",
    "renamed_argument",
]

_N_EXAMPLES = 3
_T = TypeVar("_T")


def _examples(bad: np.ndarray, ids: Sequence[Any] | pd.Index | None) -> str:
    positions = np.flatnonzero(bad)[:_N_EXAMPLES]
    if ids is None:
        shown = ", ".join(str(int(p)) for p in positions)
        label = "row positions"
    else:
        shown = ", ".join(repr(_plain(ids[int(p)])) for p in positions)
        label = "customer ids"
    more = ", ..." if bad.sum() > _N_EXAMPLES else ""
    return f"({label}: {shown}{more})"


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def raise_rule(
    subject: str,
    rule: str,
    bad: np.ndarray,
    ids: Sequence[Any] | pd.Index | None = None,
) -> NoReturn:
    """Raise an :class:`InputError` for the rows flagged in the boolean mask ``bad``."""
    n_bad = int(np.count_nonzero(bad))
    raise InputError(rule_message(subject, rule, n_bad, bad.size, _examples(bad, ids)))


def rule_message(subject: str, rule: str, n_bad: int, n_rows: int, examples: str) -> str:
    """The text of every broken-rule error; ``examples`` is ``"(customer ids: 1, 2)"``."""
    return f"{subject} {rule}; {n_bad} of {n_rows} rows break this rule {examples}."


def format_examples(values: Sequence[Any], n_bad: int, label: str = "customer ids") -> str:
    """``"(customer ids: 17, 204, ...)"`` from up to three example values."""
    shown = ", ".join(repr(_plain(v)) for v in list(values)[:_N_EXAMPLES])
    more = ", ..." if n_bad > _N_EXAMPLES else ""
    return f"({label}: {shown}{more})"


def check_rule(
    bad: np.ndarray,
    subject: str,
    rule: str,
    ids: Sequence[Any] | pd.Index | None = None,
) -> None:
    """Raise if any entry of the boolean mask ``bad`` is true."""
    if bad.any():
        raise_rule(subject, rule, bad, ids)


def check_frame(frame: object, argument: str) -> pd.DataFrame:
    """Require a DataFrame with unique column names."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(
            f"The {argument!r} argument must be a pandas DataFrame. "
            f"Got {type(frame).__name__} instead."
        )
    duplicated = frame.columns[frame.columns.duplicated()].unique().tolist()
    if duplicated:
        raise InputError(
            f"The {argument!r} frame has duplicated column names {duplicated}; "
            "each column must appear once."
        )
    return frame


def check_columns(frame: pd.DataFrame, required: Iterable[str], argument: str) -> None:
    """Require that ``frame`` (already checked by :func:`check_frame`) holds ``required``."""
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(
            f"The {argument!r} frame is missing the column(s) {missing}; it has "
            f"{list(map(str, frame.columns))[:12]}."
        )


def check_not_empty(n_rows: int, argument: str) -> None:
    """Refuse an input with zero rows."""
    if n_rows == 0:
        raise InputError(f"The {argument!r} argument has no rows; at least one is needed.")


def numeric_column(
    values: object,
    subject: str,
    ids: Sequence[Any] | pd.Index | None = None,
) -> np.ndarray:
    """Return ``values`` as a 1-d float64 array after checking dtype and finiteness.

    Integer and float dtypes (numpy or pandas nullable) are accepted; booleans, strings,
    objects and datetimes are refused rather than coerced. Missing values and infinities
    are refused.
    """
    if isinstance(values, list | tuple):  # first: a service's fields, checked per call
        if len(values) == 1 and type(values[0]) is float and math.isfinite(values[0]):
            return np.array(values)  # one finite float (a record): nothing else to check
        arr = np.asarray(values)
    elif isinstance(values, pd.Series | pd.Index):
        dtype = values.dtype
        if (
            isinstance(dtype, pd.api.extensions.ExtensionDtype)
            and not pd.api.types.is_bool_dtype(dtype)
            and pd.api.types.is_numeric_dtype(dtype)
        ):
            check_rule(np.asarray(values.isna()), subject, "must not be missing (NaN/NA)", ids)
            values = values.to_numpy(dtype="float64")
        arr = np.asarray(values)
    elif isinstance(values, np.ndarray):
        arr = values
    elif np.isscalar(values):
        arr = np.asarray(values)
    else:
        raise InputError(
            f"{subject} must be array-like numbers. Got {type(values).__name__} instead."
        )
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise InputError(f"{subject} must be one-dimensional. Got shape {arr.shape} instead.")
    if arr.dtype.kind not in "iuf":
        kind = "booleans" if arr.dtype.kind == "b" else f"dtype {arr.dtype}"
        raise InputError(
            f"{subject} must hold numbers (integer or float). Got {kind} instead; "
            "convert it explicitly, clvkit does not coerce."
        )
    out = arr.astype(np.float64, copy=False)
    if not _all_finite(out):
        check_rule(np.isnan(out), subject, "must not be missing (NaN)", ids)
        check_rule(np.isinf(out), subject, "must be finite (no inf)", ids)
    return out


_STEP = 1 << 16


def _all_finite(values: np.ndarray) -> bool:
    """Whether every entry is finite, in cache-sized pieces (no full-length mask)."""
    if values.size <= _STEP:  # one piece (a service's few records): no slicing
        return bool(np.count_nonzero(np.isfinite(values)) == values.size)
    pieces = (values[start : start + _STEP] for start in range(0, values.size, _STEP))
    return all(np.count_nonzero(np.isfinite(piece)) == piece.size for piece in pieces)


def renamed_argument(
    caller: str,
    old: str,
    old_value: _T,
    new: str,
    new_value: _T,
    *,
    stacklevel: int = 3,
) -> _T:
    """The value of an argument renamed from ``old`` to ``new``, the old name still taken.

    Passing the old name warns with a :class:`FutureWarning` that names the new one;
    passing both refuses. Returns whichever was given (``new_value`` when neither).
    """
    if old_value is None:
        return new_value
    if new_value is not None:
        raise InputError(f"{caller} got both {new}= and its old name {old}=; pass {new}= only.")
    warnings.warn(
        f"The {old!r} argument of {caller} is deprecated and will be removed: it is now "
        f"called {new!r} (pass {new}={old_value!r}).",
        FutureWarning,
        stacklevel=stacklevel,
    )
    return old_value


#: the choices of an ``errors=`` argument
ERRORS = ("raise", "mark")


def check_errors(errors: object, caller: str) -> str:
    """The ``errors`` argument checked: ``"raise"`` or ``"mark"``."""
    if not isinstance(errors, str) or errors not in ERRORS:
        raise InputError(
            f"The 'errors' argument of {caller} must be one of {list(ERRORS)} ('mark' "
            f"scores the good rows and gives each bad row its message). Got {errors!r}."
        )
    return errors


def check_discount_rate(rate: object, argument: str = "discount_rate") -> float:
    """A yearly discount rate checked: a finite number in [0, 1] (0.10 for 10 %).

    A rate above 1 (100 % a year) is refused as a percentage given by mistake, as a
    margin of 30 is: ``discount_rate=10`` almost always meant 0.10.
    """
    if isinstance(rate, bool) or not isinstance(rate, int | float | np.integer | np.floating):
        raise InputError(f"The {argument!r} argument must be a number. Got {rate!r} instead.")
    value = float(rate)
    if not (math.isfinite(value) and value >= 0):
        raise InputError(
            f"The {argument!r} argument must be finite and >= 0 (a yearly rate, 0.10 for "
            f"10 %). Got {rate!r} instead."
        )
    if value > 1:
        raise InputError(
            f"The {argument!r} argument is a yearly rate in [0, 1] (0.10 for 10 %). Got "
            f"{rate!r}: a percentage? Pass {value / 100:g} for {value:g} %."
        )
    return value
