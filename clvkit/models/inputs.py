"""Validation of the per-customer inputs every model method takes.

Models accept a frame with the columns ``frequency``, ``recency``, ``T`` (and
``monetary_value`` where spend matters), as produced by :func:`clvkit.rfm_summary`, the
same quantities as keyword arrays, or an :class:`RFMInput` that :func:`read_rfm` already
validated (so a caller that asks a model several questions about the same customers, as
:class:`clvkit.CLVModel` does, checks them once). Everything is checked before any cast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from clvkit._time import check_time_unit
from clvkit._validation import (
    check_columns,
    check_frame,
    check_not_empty,
    check_rule,
    numeric_column,
)
from clvkit.errors import InputError
from clvkit.models._kernels.chunks import chunk_starts, for_chunks
from clvkit.models._kernels.compress import distinct_pairs

__all__ = ["RFMInput", "read_rfm", "read_weights"]


@dataclass(frozen=True)
class RFMInput:
    """Validated per-customer arrays and where they came from."""

    index: pd.Index | None  # the frame's index (customer ids), None for bare arrays
    arrays: dict[str, np.ndarray]  # float64 (n,) per requested column
    time_unit: str | None  # the unit recorded by rfm_summary in frame.attrs, if any
    is_distinct: bool = False  # every row differs from every other (see distinct_pairs)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    @property
    def n(self) -> int:
        return int(next(iter(self.arrays.values())).size)

    def wrap(self, values: np.ndarray, name: str, columns: np.ndarray | None = None) -> Any:
        """``values`` on the input's index: a Series for (n,) values, a DataFrame with
        ``columns`` (one per horizon, say) for (n, m) values; as-is for bare arrays."""
        if self.index is None:
            return values
        if values.ndim == 2:
            labels = pd.Index(columns if columns is not None else range(values.shape[1]))
            return pd.DataFrame(values, index=self.index, columns=labels.rename(name))
        return pd.Series(values, index=self.index, name=name)

    def subset(self, names: Sequence[str]) -> RFMInput:
        """The same customers with only the columns ``names``."""
        return RFMInput(
            self.index, {k: self.arrays[k] for k in names}, self.time_unit, self.is_distinct
        )

    def distinct_pairs(self, first: str, second: str) -> tuple[RFMInput, np.ndarray]:
        """The distinct ``(first, second)`` rows (no index) and each row's position among them.

        Quantities that depend on two columns only (a purchase model's expectation while
        alive depends on ``frequency`` and ``T``) are computed once per distinct pair.
        """
        u, v, inverse = distinct_pairs(self.arrays[first], self.arrays[second])
        return RFMInput(None, {first: u, second: v}, self.time_unit, True), inverse

    def take(self, rows: slice) -> RFMInput:
        """A block of rows (no index), e.g. to bound the memory of a computation."""
        return RFMInput(
            None, {k: v[rows] for k, v in self.arrays.items()}, self.time_unit, self.is_distinct
        )


def read_rfm(
    customers: object,
    arrays: dict[str, object],
    *,
    need: Sequence[str],
    caller: str,
    positive_monetary: bool = False,
) -> RFMInput:
    """Validate RFM input given as a frame or as keyword arrays.

    Parameters
    ----------
    customers : DataFrame or None
        A frame with the columns in ``need``.
    arrays : dict
        Keyword arrays by column name (``None`` where not given).
    need : sequence of str
        Columns required, among ``frequency``, ``recency``, ``T``, ``monetary_value``.
    caller : str
        Used in messages, e.g. ``"BetaGeo.fit"``.
    positive_monetary : bool
        Require ``monetary_value > 0`` where ``frequency > 0`` (the Gamma-Gamma rule).
    """
    given = {k: v for k, v in arrays.items() if v is not None}
    if isinstance(customers, RFMInput):
        if given:
            raise InputError(f"{caller} takes validated customers or keyword arrays, not both.")
        missing = [name for name in need if name not in customers.arrays]
        if missing:
            raise InputError(f"{caller} needs the columns {list(need)}; missing {missing}.")
        return customers.subset(need)
    index: pd.Index | None
    time_unit = None
    if customers is not None:
        if given:
            raise InputError(
                f"{caller} takes either a customers frame or the keyword arrays "
                f"{sorted(given)}, not both."
            )
        frame = check_frame(customers, "customers")
        check_columns(frame, need, "customers")
        check_not_empty(len(frame), "customers")
        index = frame.index
        if index.has_duplicates:
            dup = np.asarray(index.duplicated(keep=False))
            check_rule(dup, "The customers frame index (customer ids)", "must be unique", index)
        columns = {name: numeric_column(frame[name], f"Column {name!r}", index) for name in need}
        unit = frame.attrs.get("time_unit")
        time_unit = check_time_unit(unit, "customers.attrs['time_unit']") if unit else None
    else:
        missing = [name for name in need if name not in given]
        if missing:
            raise InputError(
                f"{caller} needs a customers frame or the keyword arrays {list(need)}; "
                f"missing {missing}."
            )
        index = None
        columns = {name: numeric_column(given[name], f"Argument {name!r}") for name in need}
        lengths = {name: a.size for name, a in columns.items()}
        if len(set(lengths.values())) > 1:
            raise InputError(f"{caller}: the arrays must have one length; got {lengths}.")
        check_not_empty(next(iter(lengths.values())), "frequency")
    _check_rfm_rules(
        columns, index, "Column" if customers is not None else "Argument", positive_monetary
    )
    return RFMInput(index=index, arrays=columns, time_unit=time_unit)


def _rules_hold(c: dict[str, np.ndarray], positive_monetary: bool) -> bool:
    """Whether every rule of :func:`_check_rfm_rules` holds, checked chunk by chunk.

    All rules are evaluated on one chunk of every column while it is in cache, on
    threads, without full-length masks; only when one fails does
    :func:`_check_rfm_rules` build the masks that name the rows.
    """
    x, t_x, T, m = (c.get(name) for name in ("frequency", "recency", "T", "monetary_value"))
    n = next(iter(c.values())).size
    ok = np.ones(len(chunk_starts(n)), dtype=bool)

    def one(i: int, start: int, stop: int) -> None:
        s = slice(start, stop)
        good = True
        if x is not None:
            xs = x[s]
            good = bool((xs >= 0).all()) and np.array_equal(np.floor(xs), xs)
        if good and T is not None:
            good = bool((T[s] >= 0).all())
        if good and t_x is not None:
            ts = t_x[s]
            good = bool((ts >= 0).all())
            if good and T is not None:
                good = bool((ts <= T[s]).all())
            if good and x is not None:
                good = bool(((x[s] != 0) | (ts == 0)).all())
        if good and m is not None:
            ms = m[s]
            good = bool((ms >= 0).all())
            if good and positive_monetary and x is not None:
                good = bool(((x[s] <= 0) | (ms > 0)).all())
        ok[i] = good

    for_chunks(one, n)
    return bool(ok.all())


def _check_rfm_rules(
    c: dict[str, np.ndarray],
    ids: pd.Index | None,
    kind: str,
    positive_monetary: bool,
) -> None:
    if _rules_hold(c, positive_monetary):
        return

    def check(bad: np.ndarray, name: str, rule: str) -> None:
        check_rule(bad, f"{kind} {name!r}", rule, ids)

    if "frequency" in c:
        x = c["frequency"]
        check(x < 0, "frequency", "must be >= 0 (number of repeat purchases)")
        check(x != np.floor(x), "frequency", "must be a whole number (repeat purchases)")
    if "T" in c:
        check(c["T"] < 0, "T", "must be >= 0")
    if "recency" in c:
        t_x = c["recency"]
        check(t_x < 0, "recency", "must be >= 0")
        if "T" in c:
            check(t_x > c["T"], "recency", "must be <= column 'T' (last purchase after the end)")
        if "frequency" in c:
            check(
                (c["frequency"] == 0) & (t_x != 0),
                "recency",
                "must be 0 where 'frequency' is 0 (no repeat purchase)",
            )
    if "monetary_value" in c:
        m = c["monetary_value"]
        check(m < 0, "monetary_value", "must be >= 0")
        if positive_monetary and "frequency" in c:
            check(
                (c["frequency"] > 0) & (m <= 0),
                "monetary_value",
                "must be > 0 for repeat buyers (frequency > 0) in the Gamma-Gamma model",
            )


def read_weights(weights: object, n: int, ids: Sequence[Any] | pd.Index | None) -> np.ndarray:
    """Validate optional per-customer weights (counts of identical customers)."""
    if weights is None:
        return np.ones(n)
    w = numeric_column(weights, "Argument 'weights'", ids)
    if w.size != n:
        raise InputError(f"Argument 'weights' has {w.size} entries for {n} customers.")
    check_rule(w < 0, "Argument 'weights'", "must be >= 0", ids)
    if not np.any(w > 0):
        raise InputError("Argument 'weights' must have at least one entry > 0.")
    return w
