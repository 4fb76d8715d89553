"""Validation of the per-customer inputs every model method takes.

Models accept a frame with the columns ``frequency``, ``recency``, ``T`` (and
``monetary_value`` where spend matters), as produced by :func:`clvkit.rfm_summary`, the
same quantities as keyword arrays, or an :class:`RFMInput` that :func:`read_rfm` already
validated (so a caller that asks a model several questions about the same customers, as
:class:`clvkit.CLVModel` does, checks them once). Everything is checked before any cast.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from clvkit._time import check_time_unit, unit_name
from clvkit._validation import (
    check_columns,
    check_frame,
    check_not_empty,
    check_rule,
    numeric_column,
)
from clvkit.errors import InputError, UnitError
from clvkit.models._kernels.chunks import CHUNK, chunk_starts, for_chunks
from clvkit.models._kernels.compress import distinct_pairs

__all__ = ["RFMInput", "check_model_unit", "read_rfm", "read_weights", "resolve_fit_unit"]

#: where a frame's time unit goes missing; said in every message about a missing unit
UNIT_LOST_BY = (
    "rfm_summary records it in frame.attrs['time_unit'], which a CSV or Parquet round "
    "trip, merge, concat or groupby().apply can lose"
)


@dataclass(frozen=True)
class RFMInput:
    """Validated per-customer arrays and where they came from."""

    index: pd.Index | None  # the frame's index (customer ids), None for bare arrays
    arrays: dict[str, np.ndarray]  # float64 (n,) per requested column
    time_unit: str | None  # the unit given as time_unit= or recorded in frame.attrs, if any
    is_distinct: bool = False  # every row differs from every other (see distinct_pairs)
    #: a frame whose time unit could not be established (no attrs, no time_unit=);
    #: bare arrays are in the model's unit by definition and never unit_unknown
    unit_unknown: bool = False

    def __getitem__(self, name: str) -> np.ndarray:
        return self.arrays[name]

    @functools.cached_property
    def n(self) -> int:
        """The number of customers (rows)."""
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
        arrays = {k: self.arrays[k] for k in names}
        return RFMInput(self.index, arrays, self.time_unit, self.is_distinct, self.unit_unknown)

    def distinct_pairs(self, first: str, second: str) -> tuple[RFMInput, np.ndarray]:
        """The distinct ``(first, second)`` rows (no index) and each row's position among them.

        Quantities that depend on two columns only (a purchase model's expectation while
        alive depends on ``frequency`` and ``T``) are computed once per distinct pair.
        """
        u, v, inverse = distinct_pairs(self.arrays[first], self.arrays[second])
        pairs = RFMInput(None, {first: u, second: v}, self.time_unit, True, self.unit_unknown)
        return pairs, inverse

    def take(self, rows: slice) -> RFMInput:
        """A block of rows (no index), e.g. to bound the memory of a computation."""
        arrays = {k: v[rows] for k, v in self.arrays.items()}
        return RFMInput(None, arrays, self.time_unit, self.is_distinct, self.unit_unknown)


def read_rfm(
    customers: object,
    arrays: dict[str, object],
    *,
    need: Sequence[str],
    caller: str,
    positive_monetary: bool = False,
    time_unit: str | None = None,
    ids: Sequence[Any] | pd.Index | None = None,
    kind: str | None = None,
    allow_empty: bool = False,
) -> RFMInput:
    """Validate RFM input given as a frame or as keyword arrays.

    Parameters
    ----------
    customers : DataFrame or None
        A frame with the columns in ``need``.
    arrays : dict
        Keyword arrays by column name (``None`` where not given).
    need : sequence of str
        Columns required, among ``frequency``, ``recency``, ``T``, ``monetary_value``,
        ``historical_value``.
    caller : str
        Used in messages, e.g. ``"BetaGeo.fit"``.
    positive_monetary : bool
        Require ``monetary_value > 0`` where ``frequency > 0``.
    time_unit : str, optional
        The unit of ``recency`` and ``T`` as the caller states it; checked against the
        frame's ``attrs["time_unit"]`` (a contradiction raises :class:`UnitError`). A
        frame with neither is marked ``unit_unknown``, which models with a unit refuse.
    ids : sequence, optional
        Customer ids of the keyword arrays (a service's ``customer_id`` fields), named in
        messages instead of row positions.
    kind : str, optional
        How messages call a column: ``"Column"`` for a frame, ``"Argument"`` for keyword
        arrays by default (a service says ``"Field"``).
    allow_empty : bool, default False
        Accept a frame without rows (the good rows of a batch that has none).
    """
    given = {k: v for k, v in arrays.items() if v is not None}
    stated = None if time_unit is None else check_time_unit(time_unit)
    if isinstance(customers, RFMInput):
        if given:
            raise InputError(f"{caller} takes validated customers or keyword arrays, not both.")
        missing = [name for name in need if name not in customers.arrays]
        if missing:
            raise InputError(f"{caller} needs the columns {list(need)}; missing {missing}.")
        out = customers.subset(need)
        if stated is not None:
            if out.time_unit is not None and out.time_unit != stated:
                raise UnitError(
                    f"{caller}: time_unit={stated!r} contradicts the customers, which are "
                    f"in {out.time_unit!r}."
                )
            out = replace(out, time_unit=stated, unit_unknown=False)
        return out
    index: pd.Index | None
    unit_unknown = False
    if customers is not None:
        if given:
            raise InputError(
                f"{caller} takes either a customers frame or the keyword arrays "
                f"{sorted(given)}, not both."
            )
        frame = check_frame(customers, "customers")
        check_columns(frame, need, "customers")
        if not allow_empty:
            check_not_empty(len(frame), "customers")
        index = frame.index
        if index.has_duplicates:
            dup = np.asarray(index.duplicated(keep=False))
            check_rule(dup, "The customers frame index (customer ids)", "must be unique", index)
        columns = {name: numeric_column(frame[name], f"Column {name!r}", index) for name in need}
        recorded = frame_unit(frame)
        if stated is not None and recorded is not None and stated != recorded:
            raise UnitError(
                f"{caller}: time_unit={stated!r} contradicts the customers frame, whose "
                f"attrs['time_unit'] records {recorded!r} (rfm_summary built it in "
                f"{unit_name(recorded, plural=True)}). Nothing is rescaled silently."
            )
        unit = stated if stated is not None else recorded
        unit_unknown = unit is None
        rows: Sequence[Any] | pd.Index | None = index
    else:
        missing = [name for name in need if name not in given]
        if missing:
            raise InputError(
                f"{caller} needs a customers frame or the keyword arrays {list(need)}; "
                f"missing {missing}."
            )
        index = None
        rows = ids
        word = kind or "Argument"
        columns = {name: numeric_column(given[name], f"{word} {name!r}", ids) for name in need}
        lengths = {name: a.size for name, a in columns.items()}
        if len(set(lengths.values())) > 1:
            raise InputError(f"{caller}: the arrays must have one length; got {lengths}.")
        check_not_empty(next(iter(lengths.values())), "frequency")
        unit = stated
    kind = kind or ("Column" if customers is not None else "Argument")
    if not _rules_hold(columns, positive_monetary):
        for bad, name, rule in rfm_rules(columns, positive_monetary):
            check_rule(bad, f"{kind} {name!r}", rule, rows)
    return RFMInput(index=index, arrays=columns, time_unit=unit, unit_unknown=unit_unknown)


def frame_unit(frame: pd.DataFrame) -> str | None:
    """The time unit a frame records in ``attrs["time_unit"]`` (checked), or None."""
    unit = frame.attrs.get("time_unit")
    return check_time_unit(unit, "customers.attrs['time_unit']") if unit else None


def _rules_hold(c: dict[str, np.ndarray], positive_monetary: bool) -> bool:
    """Whether every rule of :func:`rfm_rules` holds, checked chunk by chunk.

    The rules run on one cache-sized chunk of every column at a time, on threads, so no
    full-length mask is built; only when one fails are the full masks that name the rows
    built.
    """

    def holds(piece: dict[str, np.ndarray]) -> bool:
        return not any(np.count_nonzero(bad) for bad, _, _ in rfm_rules(piece, positive_monetary))

    n = next(iter(c.values())).size
    if n == 1:  # a service's record: the same rules on Python floats (a numpy call per
        # rule costs more than the comparisons)
        row = {name: values[0].item() for name, values in c.items()}
        return not any(bad for bad, _, _ in rfm_rules(row, positive_monetary))
    if n <= CHUNK:  # one chunk: no threads to hand it to
        return holds(c)
    ok = np.ones(len(chunk_starts(n)), dtype=bool)

    def one(i: int, start: int, stop: int) -> None:
        ok[i] = holds({name: values[start:stop] for name, values in c.items()})

    for_chunks(one, n)
    return bool(ok.all())


def rfm_rules(
    c: dict[str, np.ndarray], positive_monetary: bool = False
) -> Iterator[tuple[np.ndarray, str, str]]:
    """Each rule of the per-customer columns in ``c``: ``(rows breaking it, column, rule)``.

    Rules are yielded in the order they are checked, so a row's first broken rule is the
    one a one-row call would report. Each mask is computed when the rule is reached. The
    columns may also be one row's Python floats (each "mask" is then one bool).
    """
    x = c.get("frequency")
    if x is not None:
        yield x < 0, "frequency", "must be >= 0 (number of repeat purchases)"
        yield x != np.floor(x), "frequency", "must be a whole number (repeat purchases)"
    if "T" in c:
        yield c["T"] < 0, "T", "must be >= 0"
    if "recency" in c:
        t_x = c["recency"]
        yield t_x < 0, "recency", "must be >= 0"
        if "T" in c:
            yield t_x > c["T"], "recency", "must be <= column 'T' (last purchase after the end)"
        if x is not None:
            yield (
                (x == 0) & (t_x != 0),
                "recency",
                "must be 0 where 'frequency' is 0 (no repeat purchase)",
            )
    if "monetary_value" in c:
        m = c["monetary_value"]
        yield m < 0, "monetary_value", "must be >= 0"
        if x is not None:
            yield (
                (x == 0) & (m != 0),
                "monetary_value",
                "must be 0 where 'frequency' is 0 (the mean of the repeat purchases; a "
                "one-time buyer has none)",
            )
            if positive_monetary:
                yield (
                    (x > 0) & (m <= 0),
                    "monetary_value",
                    "must be > 0 for repeat buyers (frequency > 0)",
                )
    if "historical_value" in c:
        yield (
            c["historical_value"] < 0,
            "historical_value",
            "must be >= 0 (the value of the purchases made so far)",
        )


def missing_unit_error(caller: str, owner: str, model_unit: str, *, fit: bool = False) -> UnitError:
    """The error for a frame whose time unit cannot be established."""
    named = unit_name(model_unit, plural=True)
    if fit:
        how = (
            f"pass the unit its recency and T are in, e.g. {caller}(customers, "
            f"time_unit={model_unit!r}) for {named}, or fit on the frame rfm_summary returns"
        )
    else:
        how = (
            f"the {owner} was fitted in {model_unit!r} ({named}): pass "
            f"time_unit={model_unit!r} if the frame is in {named} (or set "
            f"customers.attrs['time_unit']), or rebuild it with rfm_summary(..., "
            f"time_unit={model_unit!r})"
        )
    return UnitError(
        f"{caller}: the customers frame records no time unit, so its recency and T could "
        f"be in days or in weeks ({UNIT_LOST_BY}); {how}. Nothing is rescaled silently."
    )


def check_model_unit(rfm: RFMInput, model_unit: str | None, owner: str, caller: str) -> None:
    """Refuse customers in another time unit than the model's, or in an unknown one.

    Keyword arrays (bare numbers) are in the model's unit by definition; a frame must
    record its unit (``attrs["time_unit"]``) or be given one (``time_unit=``) whenever
    the model has one.
    """
    if model_unit is None:
        return
    if rfm.unit_unknown:
        raise missing_unit_error(caller, owner, model_unit)
    if rfm.time_unit is not None and rfm.time_unit != model_unit:
        raise UnitError(
            f"{caller}: the customers are in time unit {rfm.time_unit!r} but the {owner} "
            f"was fitted in {model_unit!r}; rebuild the frame with rfm_summary(..., "
            f"time_unit={model_unit!r}). Nothing is rescaled silently."
        )


def resolve_fit_unit(rfm: RFMInput, caller: str) -> str | None:
    """The unit a fit adopts: the stated or recorded one; refuse a frame without one."""
    if rfm.unit_unknown:
        raise missing_unit_error(caller, "", "W", fit=True)
    return rfm.time_unit


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


# -- per-row outcomes (errors="mark") ------------------------------------------------------
def parse_numbers(values: object, subject: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``values`` as float64 with each entry's problem: ``(numbers, problems)``.

    The per-row counterpart of :func:`clvkit._validation.numeric_column`: instead of
    refusing the whole column, each entry that is not a finite number gets the message
    that column's rule gives (``problems`` holds ``None`` for good entries), and its
    number is 0 so that later rules run on the rest.
    """
    problems = np.full(n, None, dtype=object)
    arr: np.ndarray
    if isinstance(values, pd.Series | pd.Index) and pd.api.types.is_numeric_dtype(values.dtype):
        if pd.api.types.is_bool_dtype(values.dtype):
            problems[:] = f"{subject} must hold numbers (integer or float), not booleans"
            return np.zeros(n), problems
        arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        items: list[Any]
        if isinstance(values, pd.Series | pd.Index | np.ndarray | list | tuple):
            items = list(values)
        else:
            items = [values] * n
        arr = np.asarray(items) if isinstance(values, list | tuple | np.ndarray) else np.array([])
        if arr.shape != (n,) or arr.dtype.kind not in "iuf":
            arr = np.zeros(n)
            for i, v in enumerate(items):
                if v is None or v is pd.NA:
                    arr[i] = np.nan
                elif isinstance(v, bool | np.bool_) or not isinstance(
                    v, int | float | np.integer | np.floating
                ):
                    problems[i] = (
                        f"{subject} must hold numbers (integer or float); got "
                        f"{type(v).__name__} {v!r}"
                    )
                else:
                    arr[i] = float(v)
        else:
            arr = arr.astype(np.float64)
    with np.errstate(invalid="ignore"):
        nan, inf = np.isnan(arr), np.isinf(arr)
    problems[nan & fine(problems)] = f"{subject} must not be missing (NaN)"
    problems[inf] = f"{subject} must be finite (no inf)"
    arr = np.where(nan | inf, 0.0, arr)
    return arr, problems


def mark_rfm(
    columns: dict[str, Any], kind: str, n: int, positive_monetary: bool = False
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Each row's first problem among the per-customer columns (``None`` if it has none),
    and the columns as float64 (0 where an entry is not a number).

    The rules and their order are those of :func:`read_rfm`, so a row's message is the
    rule a call with that row alone would report.
    """
    problems = np.full(n, None, dtype=object)
    floats: dict[str, np.ndarray] = {}
    for name, values in columns.items():
        floats[name], found = parse_numbers(values, f"{kind} {name!r}", n)
        first(problems, found)
    for bad, name, rule in rfm_rules(floats, positive_monetary):
        first(problems, flagged(bad, f"{kind} {name!r} {rule}"))
    return floats, problems


def flagged(bad: np.ndarray, message: str) -> np.ndarray:
    """``message`` where ``bad``, None elsewhere (an object array of problems)."""
    out = np.full(bad.shape, None, dtype=object)
    out[bad] = message
    return out


def fine(problems: np.ndarray) -> np.ndarray:
    """The rows without a problem (True where ``problems`` holds None)."""
    return np.asarray(pd.isna(problems), dtype=bool)


def first(problems: np.ndarray, found: np.ndarray) -> None:
    """Keep each row's first problem: fill ``problems`` where it is None from ``found``."""
    new = fine(problems) & ~fine(found)
    problems[new] = found[new]
