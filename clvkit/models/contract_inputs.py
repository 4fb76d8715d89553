"""Validation of contractual (subscription) data: survivor counts and subscriber rows.

Two shapes of data describe customers whose departure is observed:

- **survivor counts** of one or several cohorts: ``counts[0]`` is the cohort's size and
  ``counts[t]`` the number still active after ``t`` periods (the counts of
  :func:`clvkit.cohort_table` with ``metric="customers"`` on a log of subscription
  payments, or the ``customers_end`` of a one-cohort :func:`clvkit.retention_table`);
  NaN after each cohort's last observed period;
- **one row per subscriber**: ``tenure``, the whole periods completed (for a churned
  customer the number of periods paid for, at least 1; for an active one the renewals
  made so far, 0 in the first period), and ``churned``, whether the customer has left.

Both reduce to the same sufficient statistics (who left after how many periods, who was
still active after how many when observation stopped), :class:`SurvivalData`. Every
check runs before any cast and names the row (cohort or customer), the column or period
and the rule.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clvkit._time import check_time_unit
from clvkit._validation import check_frame, check_not_empty, check_rule, numeric_column
from clvkit.errors import DataWarning, InputError, UnitError

__all__ = [
    "SubscriberInput",
    "SurvivalCounts",
    "SurvivalData",
    "read_churned",
    "read_subscribers",
    "read_survival_counts",
]

_N_EXAMPLES = 3
#: the columns of a retention table that show it can hold one closed cohort
_RETENTION_TABLE = ("customers_end", "new", "reactivated")


@dataclass(frozen=True)
class SurvivalData:
    """Customers by the period their lifetime ended or their observation stopped.

    Attributes
    ----------
    deaths : (t_max + 1,) float array
        ``deaths[t]``: weight of the customers who left after exactly ``t`` periods
        (``deaths[0] == 0``).
    censored : (t_max + 1,) float array
        ``censored[t]``: weight of the customers still active after ``t`` periods when
        observation stopped.
    """

    deaths: np.ndarray
    censored: np.ndarray

    @property
    def total(self) -> float:
        return float(self.deaths.sum() + self.censored.sum())


@dataclass(frozen=True)
class SurvivalCounts:
    """Validated survivor counts, one row per cohort.

    Attributes
    ----------
    counts : (n_cohorts, n_periods + 1) float array
        Survivors by period, NaN after each cohort's last observed period.
    last : (n_cohorts,) int array
        Index of each cohort's last observed period.
    labels : pandas.Index
        The cohorts (the frame's index, or 0 .. n_cohorts - 1).
    time_unit : str or None
        The period the counts are in, when the input records it (``attrs["period"]`` of
        the clvkit tables, or ``attrs["time_unit"]``).
    """

    counts: np.ndarray
    last: np.ndarray
    labels: pd.Index
    time_unit: str | None

    def survival_data(self) -> SurvivalData:
        """Deaths per period over all cohorts, each cohort censored at its last period."""
        c = self.counts
        n_t = c.shape[1]
        deaths = np.zeros(n_t)
        if n_t > 1:
            drops = c[:, :-1] - c[:, 1:]
            deaths[1:] = np.nansum(drops, axis=0)
        rows = np.arange(c.shape[0])
        censored = np.bincount(self.last, weights=c[rows, self.last], minlength=n_t)
        return SurvivalData(deaths=deaths, censored=censored.astype(np.float64))


@dataclass(frozen=True)
class SubscriberInput:
    """Validated subscriber rows.

    Attributes
    ----------
    index : pandas.Index or None
        The frame's index (customer ids), None for bare arrays.
    arrays : dict of (n,) float arrays
        ``tenure`` (whole periods), ``churned`` (0.0 or 1.0) and any other column read.
    time_unit : str or None
        ``attrs["time_unit"]`` of the frame, if recorded.
    """

    index: pd.Index | None
    arrays: dict[str, np.ndarray]
    time_unit: str | None

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    @property
    def n(self) -> int:
        return int(self.arrays["tenure"].size)

    def survival_data(self, weights: np.ndarray) -> SurvivalData:
        """Deaths and censored customers by tenure, weighted."""
        tenure = self.arrays["tenure"].astype(np.int64)
        left = self.arrays["churned"] > 0
        n_t = int(tenure.max()) + 1
        deaths = np.bincount(tenure[left], weights=weights[left], minlength=n_t)
        censored = np.bincount(tenure[~left], weights=weights[~left], minlength=n_t)
        return SurvivalData(deaths=deaths.astype(np.float64), censored=censored.astype(float))

    def wrap(self, values: np.ndarray, name: str) -> Any:
        """``values`` on the input's index as a Series, as-is for bare arrays."""
        if self.index is None:
            return values
        return pd.Series(values, index=self.index, name=name)


# -- survivor counts ---------------------------------------------------------------------
def read_survival_counts(counts: object, caller: str) -> SurvivalCounts:
    """Validate survivor counts given as a 1-D or 2-D array or a DataFrame.

    A frame holding a :func:`clvkit.retention_table` (columns ``customers_end``, ``new``,
    ``reactivated``) is read as one cohort, its ``customers_end``, provided nobody joins
    after the first period. A :func:`clvkit.cohort_table` must hold counts
    (``metric="customers"``). When such a table flags an incomplete last period
    (``attrs["incomplete_period"]``), the cells of that period are understated and are
    dropped (each cohort then ends one period earlier), with a
    :class:`~clvkit.errors.DataWarning`.

    Raises
    ------
    clvkit.errors.InputError
        Naming the cohort(s), the period and the rule broken: counts that increase, are
        negative, are not whole numbers, a cohort size that is not > 0, a number after a
        NaN, no period beyond the first.
    """
    time_unit: str | None = None
    labels: pd.Index
    incomplete = None
    if isinstance(counts, pd.DataFrame | pd.Series):
        frame = counts.to_frame().T if isinstance(counts, pd.Series) else counts
        if isinstance(counts, pd.DataFrame):
            check_frame(frame, "counts")
        attrs = counts.attrs
        time_unit = _unit_of(attrs, caller)
        incomplete = attrs.get("incomplete_period")
        if isinstance(counts, pd.DataFrame) and all(c in frame.columns for c in _RETENTION_TABLE):
            values, labels = _retention_table_counts(frame, caller)
        else:
            metric = attrs.get("metric")
            if metric is not None and metric != "customers":
                raise InputError(
                    f"{caller} needs counts of customers; this cohort table holds "
                    f"metric={metric!r}. Build it with cohort_table(..., metric='customers')."
                )
            values = _numeric_matrix(frame, caller)
            labels = frame.index if isinstance(counts, pd.DataFrame) else pd.RangeIndex(1)
    else:
        arr = np.asarray(counts) if not isinstance(counts, np.ndarray) else counts
        if arr.ndim not in (1, 2):
            raise InputError(
                f"The 'counts' argument of {caller} must be 1-D (one cohort) or 2-D (one row "
                f"per cohort). Got shape {arr.shape}."
            )
        values = _numeric_matrix(arr.reshape(1, -1) if arr.ndim == 1 else arr, caller)
        labels = pd.RangeIndex(values.shape[0])
    if values.shape[0] == 0 or values.shape[1] == 0:
        raise InputError(f"The 'counts' argument of {caller} is empty.")
    last = _check_counts(values, labels, caller)
    if incomplete is not None:
        values, last, labels = _drop_incomplete(values, last, labels, incomplete, caller)
    if not np.any(last >= 1):
        raise InputError(
            f"The 'counts' argument of {caller} holds cohort sizes only (period 0); at least "
            "one cohort must be observed for one period or more."
        )
    n_t = int(last.max()) + 1
    return SurvivalCounts(counts=values[:, :n_t], last=last, labels=labels, time_unit=time_unit)


def _unit_of(attrs: dict[Hashable, Any], caller: str) -> str | None:
    unit = attrs.get("period", attrs.get("time_unit"))
    if unit is None:
        return None
    try:
        return check_time_unit(unit, "counts.attrs['period']")
    except UnitError as exc:
        raise UnitError(f"{caller}: {exc}") from exc


def _numeric_matrix(values: Any, caller: str) -> np.ndarray:
    """A 2-D float64 array from a frame or array, refusing booleans, text and datetimes."""
    if isinstance(values, pd.DataFrame):
        bad = [
            str(c)
            for c, dt in values.dtypes.items()
            if pd.api.types.is_bool_dtype(dt) or not pd.api.types.is_numeric_dtype(dt)
        ]
        if bad:
            raise InputError(
                f"The 'counts' argument of {caller} must hold numbers; column(s) {bad[:5]} "
                "do not (booleans, text and dates are refused, not coerced)."
            )
        return np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    if values.dtype.kind not in "iuf":
        kind = "booleans" if values.dtype.kind == "b" else f"dtype {values.dtype}"
        raise InputError(
            f"The 'counts' argument of {caller} must hold numbers (integer or float). Got "
            f"{kind}; clvkit does not coerce."
        )
    return np.asarray(values, dtype=np.float64)


def _retention_table_counts(frame: pd.DataFrame, caller: str) -> tuple[np.ndarray, pd.Index]:
    """One cohort's survivors from a retention table of a closed cohort."""
    new = _numeric_matrix(frame[["new"]], caller)[:, 0]
    reactivated = _numeric_matrix(frame[["reactivated"]], caller)[:, 0]
    joined = np.zeros(new.size, dtype=bool)
    joined[1:] = new[1:] > 0
    if joined.any() or np.any(reactivated > 0):
        rows = np.flatnonzero(joined | (reactivated > 0))
        shown = ", ".join(str(frame.index[i]) for i in rows[:_N_EXAMPLES])
        raise InputError(
            f"{caller} reads a retention table as the survivors of one cohort, which needs "
            "no new customer after the first period and no reactivated customer; "
            f"{rows.size} of {new.size} periods break this rule (periods: {shown}). The "
            "table mixes cohorts: use cohort_table(..., metric='customers') instead."
        )
    survivors = _numeric_matrix(frame[["customers_end"]], caller)[:, 0]
    return survivors.reshape(1, -1), pd.Index(["cohort"])


def _cell_examples(bad: np.ndarray, values: np.ndarray, labels: pd.Index, prev: bool) -> str:
    rows, cols = np.nonzero(bad)
    shown = []
    for r, t in list(zip(rows, cols, strict=True))[:_N_EXAMPLES]:
        text = f"cohort {_label(labels[int(r)])} at period {t}: {_num(values[r, t])}"
        if prev and t > 0:
            text += f" after {_num(values[r, t - 1])}"
        shown.append(text)
    more = ", ..." if rows.size > _N_EXAMPLES else ""
    return "; ".join(shown) + more


def _label(value: object) -> str:
    return repr(value.item()) if isinstance(value, np.generic) else repr(value)


def _num(value: float) -> str:
    return f"{value:g}"


def _raise_cells(
    bad: np.ndarray,
    values: np.ndarray,
    labels: pd.Index,
    rule: str,
    caller: str,
    prev: bool = False,
) -> None:
    if not bad.any():
        return
    n_rows = int(np.count_nonzero(bad.any(axis=1)))
    raise InputError(
        f"Survivor counts of {caller} {rule}; {n_rows} of {bad.shape[0]} cohorts break this "
        f"rule ({_cell_examples(bad, values, labels, prev)})."
    )


def _check_counts(values: np.ndarray, labels: pd.Index, caller: str) -> np.ndarray:
    """Check every rule; return each cohort's last observed period."""
    missing = np.isnan(values)
    _raise_cells(np.isinf(values), values, labels, "must be finite", caller)
    size_bad = missing[:, :1] | (values[:, :1] <= 0)
    _raise_cells(
        size_bad,
        values,
        labels,
        "must start with the cohort's size (period 0), a number > 0",
        caller,
    )
    after_gap = ~missing[:, 1:] & missing[:, :-1]
    gap = np.zeros_like(missing)
    gap[:, 1:] = after_gap
    _raise_cells(
        gap,
        values,
        labels,
        "must not resume after a missing period (NaN marks the periods a cohort has not "
        "reached yet, so it may only trail)",
        caller,
    )
    seen = np.where(missing, 0.0, values)
    _raise_cells(~missing & (seen < 0), values, labels, "must be >= 0", caller)
    _raise_cells(
        ~missing & (seen != np.floor(seen)),
        values,
        labels,
        "must be whole numbers (customers, not shares: use cohort_table(..., metric='customers'))",
        caller,
    )
    rises = np.zeros_like(missing)
    rises[:, 1:] = ~missing[:, 1:] & (seen[:, 1:] > seen[:, :-1])
    _raise_cells(
        rises,
        values,
        labels,
        "must not increase from one period to the next (a customer who left does not "
        "come back in a contractual setting; counts[t] <= counts[t - 1])",
        caller,
        prev=True,
    )
    return np.asarray((~missing).sum(axis=1) - 1, dtype=np.int64)


def _drop_incomplete(
    values: np.ndarray, last: np.ndarray, labels: pd.Index, incomplete: object, caller: str
) -> tuple[np.ndarray, np.ndarray, pd.Index]:
    """Leave out each cohort's last observed cell (the incomplete calendar period)."""
    values = values.copy()
    rows = np.arange(values.shape[0])
    values[rows, last] = np.nan
    last = last - 1
    keep = last >= 0
    warnings.warn(
        f"{caller}: the last period of the table, {incomplete}, is incomplete (observed only "
        "in part), so its counts are understated; it is left out of the fit (each cohort "
        "ends one period earlier). Build the table with incomplete='drop' or an "
        "observation_end on the last day of a period to silence this.",
        DataWarning,
        stacklevel=4,
    )
    if not keep.all():
        values, last, labels = values[keep], last[keep], labels[keep]
    return values, last, labels


# -- one row per subscriber --------------------------------------------------------------
def read_churned(values: object, subject: str, ids: Sequence[Any] | pd.Index | None) -> np.ndarray:
    """A churn flag: booleans, or numbers 0 and 1; returned as 0.0 / 1.0."""
    if isinstance(values, pd.Series):
        if values.isna().any():
            check_rule(np.asarray(values.isna()), subject, "must not be missing", ids)
        if pd.api.types.is_bool_dtype(values.dtype):
            return values.to_numpy(dtype=np.float64)
        arr = values.to_numpy()
    else:
        arr = np.asarray(values)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.dtype.kind == "b":
        return arr.astype(np.float64)
    out = numeric_column(arr, subject, ids)
    check_rule((out != 0) & (out != 1), subject, "must be True/False or 0/1 (churned or not)", ids)
    return out


def read_subscribers(
    customers: object,
    columns: dict[str, object],
    *,
    caller: str,
    nonnegative: Sequence[str] = (),
) -> SubscriberInput:
    """Validate subscriber rows given as a frame (columns named) or as arrays.

    Parameters
    ----------
    customers : DataFrame or None
        One row per subscriber.
    columns : dict
        For each quantity (``"tenure"``, ``"churned"``, ...), the column name in
        ``customers`` (a string) or, without a frame, the values (array-like).
    caller : str
        Used in messages.
    nonnegative : sequence of str
        Quantities (other than tenure and churned) that must be >= 0 (revenues).
    """
    index: pd.Index | None = None
    time_unit = None
    frame: pd.DataFrame | None = None
    if customers is not None:
        frame = check_frame(customers, "customers")
        check_not_empty(len(frame), "customers")
        index = frame.index
        if index.has_duplicates:
            dup = np.asarray(index.duplicated(keep=False))
            check_rule(dup, "The customers frame index (customer ids)", "must be unique", index)
        unit = frame.attrs.get("time_unit")
        time_unit = check_time_unit(unit, "customers.attrs['time_unit']") if unit else None
    raw: dict[str, tuple[object, str]] = {}
    for name, given in columns.items():
        if frame is not None:
            if not isinstance(given, Hashable) or given not in frame.columns:
                raise InputError(
                    f"{caller}: the customers frame has no column {given!r} for {name!r} "
                    f"(pass {name}='<column name>'); it has {list(map(str, frame.columns))[:12]}."
                )
            raw[name] = (frame[given], f"Column {given!r}")
        else:
            if given is None or isinstance(given, str):
                raise InputError(
                    f"{caller} needs a customers frame, or the values of {name!r} as an array."
                )
            raw[name] = (given, f"Argument {name!r}")
    arrays: dict[str, np.ndarray] = {}
    for name, (values, subject) in raw.items():
        if name == "churned":
            arrays[name] = read_churned(values, subject, index)
        else:
            arrays[name] = numeric_column(values, subject, index)
    lengths = {k: v.size for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise InputError(f"{caller}: the arrays must have one length; got {lengths}.")
    check_not_empty(next(iter(lengths.values())), "customers")
    tenure_subject = raw["tenure"][1]
    tenure = arrays["tenure"]
    check_rule(tenure < 0, tenure_subject, "must be >= 0 (whole periods completed)", index)
    check_rule(
        tenure != np.floor(tenure),
        tenure_subject,
        "must be a whole number of periods (renewals made, or periods paid for by a "
        "customer who left)",
        index,
    )
    if "churned" in arrays:
        check_rule(
            (arrays["churned"] > 0) & (tenure == 0),
            tenure_subject,
            "must be >= 1 where the customer churned (a customer who left paid for at least "
            "one period; tenure 0 means still in the first period)",
            index,
        )
    for name in nonnegative:
        check_rule(arrays[name] < 0, raw[name][1], "must be >= 0", index)
    return SubscriberInput(index=index, arrays=arrays, time_unit=time_unit)
