"""``clvkit.predict_clv``: the entry point for services.

Takes a fitted :class:`~clvkit.CLVModel` or the path of a model file (loaded once per path
and file version, then cached), and customers as a DataFrame, one mapping, or a list of
mappings. It imports no plotting code, keeps no mutable state besides the read-only model
cache, and is safe to call from many threads.

Model files are written atomically (:func:`clvkit.models.persistence.save_model`), so a
service reading a file while a job re-saves it sees the old model or the new one; the
cache key is the file's identity (inode, size, modification time), so a replaced file is
loaded afresh, and the cache holds a model only once it has loaded completely. The key is
checked against the ``fstat`` of the file actually read: when a writer replaces the file
between the ``stat`` and the read, the identity seen first is never paired with the
content read after it (a pairing that would outlive the race if a later file came back
with the same inode, size and modification time).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from clvkit._time import check_time_unit
from clvkit._validation import check_errors, check_rule, numeric_column, renamed_argument
from clvkit.errors import InputError, ModelFileError, UnitError
from clvkit.models.inputs import fine, first, flagged, mark_rfm, parse_numbers
from clvkit.models.persistence import model_from_text, read_model_text
from clvkit.models.uncertainty import DEFAULT_DRAWS, check_n_jobs, interval_options
from clvkit.value.clv import CLVModel, margin_values
from clvkit.value.lifecycle import STAGES, LifecycleRules

__all__ = ["predict_clv"]


class _Replaced(Exception):
    """The model file was replaced between its ``stat`` and its read."""


def _identity(stat: os.stat_result) -> tuple[int, int, int]:
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def _clv_model(text: str, path: str) -> CLVModel:
    model = model_from_text(text, path)
    if not isinstance(model, CLVModel):
        raise ModelFileError(
            f"{path!r} holds a {type(model).__name__}; predict_clv needs a CLVModel file "
            "(CLVModel().fit(rfm).save(path))."
        )
    return model


@functools.lru_cache(maxsize=32)
def _cached(path: str, inode: int, mtime_ns: int, size: int) -> CLVModel:
    text, stat = read_model_text(path)
    if _identity(stat) != (inode, mtime_ns, size):
        raise _Replaced  # not cached: the caller looks again
    return _clv_model(text, path)


@functools.lru_cache(maxsize=256)
def _normalised(path: str) -> str:
    return os.path.normpath(path)


def _resolve(model: object) -> CLVModel:
    if isinstance(model, CLVModel):
        return model
    if isinstance(model, str | os.PathLike):
        name = os.fspath(model)
        # an absolute name is its own normal form, remembered; a relative one depends on
        # the working directory at the time of the call
        path = _normalised(name) if os.path.isabs(name) else os.path.abspath(name)
        for _ in range(3):
            try:
                stat = os.stat(path)
            except OSError as exc:
                raise ModelFileError(f"Cannot read model file {path!r}: {exc.strerror}.") from exc
            # the file's identity is part of the key: a rewritten file is loaded afresh
            try:
                return _cached(path, *_identity(stat))
            except _Replaced:
                continue
        # replaced on every look: use what one read gives, without caching it
        return _clv_model(read_model_text(path)[0], path)
    raise InputError(
        "The 'model' argument of predict_clv must be a CLVModel or the path of a model "
        f"file. Got {type(model).__name__}."
    )


def predict_clv(
    model: CLVModel | str | os.PathLike[str],
    customers: pd.DataFrame | Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    horizon: float | str,
    discount_rate: float = 0.0,
    margin: float | str = 1.0,
    step: float | str | None = None,
    lifecycle: LifecycleRules | None = None,
    interval: float | None = None,
    method: str = "delta",
    n_draws: int = DEFAULT_DRAWS,
    random_state: object = None,
    draws: pd.DataFrame | None = None,
    n_jobs: int = 1,
    time_unit: str | None = None,
    errors: str = "raise",
    period: float | str | None = None,
) -> pd.DataFrame | dict[str, Any] | list[dict[str, Any]]:
    """Actual and potential CLV of one or many customers, from a model or a model file.

    Parameters
    ----------
    model : CLVModel or path
        A fitted model, or the path of a file written by ``CLVModel.save``; a path is
        loaded once and cached until the file changes.
    customers : DataFrame, mapping or list of mappings
        Each customer's ``frequency``, ``recency``, ``T``, ``monetary_value`` and
        ``historical_value``. A mapping may also carry ``customer_id`` (echoed in the
        result and named in messages), ``time_unit`` (the unit of its ``recency`` and
        ``T``, which must be the model's) and the margin field if ``margin`` names one;
        any other field is refused by name (a typo such as ``"Frequency"`` must not pass
        unnoticed).
    horizon, discount_rate, margin, step, lifecycle
        As for :meth:`CLVModel.predict_clv`.
    interval, method, n_draws, random_state, draws, n_jobs
        Parameter intervals of every value column, as for :meth:`CLVModel.predict_clv`
        (a model file keeps the observed information, so the delta method and parametric
        draws work from a file).
    time_unit : str, optional
        The unit of ``recency`` and ``T``. Mappings are bare numbers, read in the model's
        unit (``model.time_unit_``) by default; stating it here (or in a record's
        ``time_unit`` field) makes a unit other than the model's an error instead of a
        wrong number. A DataFrame is read as by :meth:`CLVModel.predict_clv`: its
        ``attrs["time_unit"]``, or this argument when a file round trip lost it.
    errors : {"raise", "mark"}, default "raise"
        ``"raise"``: one bad customer raises for the whole call, naming the customers by
        their ``customer_id`` (row positions when the records have none).
        ``"mark"``: the good customers are scored and each bad one gets its message:
        see Returns.
    period : float or str, optional
        Deprecated name of ``step``.

    Returns
    -------
    DataFrame for a DataFrame, a dict for one mapping, a list of dicts for a list. Each
    dict holds the :data:`~clvkit.value.clv.CLV_COLUMNS` as floats (each followed by
    its ``_lower`` and ``_upper`` bound with ``interval``), ``lifecycle_stage`` as a
    string and ``customer_id`` first when the record has one.

    With ``errors="mark"``, every dict also has ``error``: ``None`` when scored, else the
    message, and then the dict holds only ``customer_id`` (when sent) and ``error``; a
    list keeps the order and length of the input. A DataFrame gets an ``error`` column
    and NaN values on its bad rows (see :meth:`CLVModel.predict_clv`). Problems of the
    whole call (an unknown model file, a bad horizon, an unknown time unit) still raise.

    Examples
    --------
    >>> import clvkit as ck
    >>> bg = ck.BetaGeo.from_params(r=0.243, alpha=4.414, a=0.793, b=2.426, time_unit="W")
    >>> gg = ck.GammaGamma.from_params(p=6.25, q=3.74, v=15.44)
    >>> model = ck.CLVModel.from_models(bg, gg)
    >>> one = {"customer_id": "c-17", "frequency": 2, "recency": 30.43, "T": 38.86,
    ...        "monetary_value": 22.35, "historical_value": 74.02}
    >>> out = ck.predict_clv(model, one, horizon="52W", discount_rate=0.10)
    >>> out["customer_id"], round(out["actual_clv"], 2)
    ('c-17', 110.78)
    >>> typo = {"customer_id": "c-18", "Frequency": 2, "recency": 0, "T": 10,
    ...         "monetary_value": 0, "historical_value": 5.0}
    >>> rows = ck.predict_clv(model, [one, typo], horizon="52W", errors="mark")
    >>> [row["error"] is None for row in rows]
    [True, False]
    >>> print(rows[1]["error"][:68])
    The 'customers' record of customer 'c-18' has the unknown field(s) [
    """
    caller = "predict_clv"
    step = renamed_argument(caller, "period", period, "step", step)
    mode = check_errors(errors, caller)
    clv_model = _resolve(model)
    bounds = interval_options(
        interval,
        method=method,
        n_draws=n_draws,
        random_state=random_state,
        draws=draws,
        caller=caller,
    )
    options: dict[str, Any] = {
        "horizon": horizon,
        "discount_rate": discount_rate,
        "step": step,
        "lifecycle": lifecycle,
    }
    if isinstance(customers, pd.DataFrame):
        return clv_model.predict_clv(
            customers,
            margin=margin,
            interval=interval,
            method=method,
            n_draws=n_draws,
            random_state=random_state,
            draws=draws,
            n_jobs=n_jobs,
            time_unit=time_unit,
            errors=mode,
            **options,
        )
    if time_unit is not None:
        check_time_unit(time_unit)
    options["options"] = bounds
    options["n_jobs"] = check_n_jobs(n_jobs, caller)
    if isinstance(customers, Mapping):
        records = [customers]
    elif isinstance(customers, Sequence) and not isinstance(customers, str | bytes):
        if len(customers) == 0:
            raise InputError("The 'customers' list is empty; pass at least one customer.")
        records = list(customers)
    else:
        raise InputError(
            "The 'customers' argument must be a DataFrame, a mapping or a list of mappings. "
            f"Got {type(customers).__name__}."
        )
    out = _Records(clv_model, records, margin, time_unit, mode).predict(options)
    return out[0] if isinstance(customers, Mapping) else out


class _Records:
    """A batch of customer records: their fields checked, scored, and per-row outcomes."""

    def __init__(
        self,
        model: CLVModel,
        records: list[Any],
        margin: object,
        time_unit: str | None,
        mode: str,
    ) -> None:
        self.model = model
        self.records = records
        self.margin = margin
        self.time_unit = time_unit
        self.mode = mode
        self.n = len(records)
        self.wanted = list(model.input_columns)
        if isinstance(margin, str):
            self.wanted.append(margin)
        self.known = {*self.wanted, "customer_id", "time_unit"}
        # the usual batch, checked in a few passes at C speed: plain dicts holding exactly
        # the wanted fields and maybe customer_id (each record's length then says that
        # none is missing)
        plain = {type(r) for r in records} == {dict}
        fields = set().union(*records) if plain else set()
        n_ids = sum("customer_id" in r for r in records) if plain else -1
        self.usual = (
            plain
            and fields <= {*self.wanted, "customer_id"}
            and sum(map(len, records)) == self.n * len(self.wanted) + n_ids
        )
        # a record's id, or its position when it has none (or is not a mapping)
        self.has_ids = n_ids == self.n or (
            not plain and all(isinstance(r, Mapping) and "customer_id" in r for r in records)
        )
        self.ids: list[Any] | None = [r["customer_id"] for r in records] if self.has_ids else None

    def who(self, i: int) -> str:
        rec = self.records[i]
        if isinstance(rec, Mapping) and "customer_id" in rec:
            return f"customer {rec['customer_id']!r}"
        return f"position {i}"

    def named(self, rows: list[int]) -> str:
        """Which records, by customer id when they have one (as check_rule names them)."""
        label = "customer ids" if self.has_ids else "positions"
        shown = [repr(self.records[i]["customer_id"]) if self.has_ids else str(i) for i in rows]
        more = ", ..." if len(rows) > 3 else ""
        return f"{len(rows)} of {self.n} records ({label}: {', '.join(shown[:3])}{more})"

    # -- problems of single records (every one is found; raise names the first kind) -----
    def record_problems(self) -> np.ndarray:
        """Each record's first structural problem: not a mapping, an unknown or missing
        field, a time unit other than the model's."""
        problems = np.empty(self.n, dtype=object)  # all None
        model_unit = self.model.time_unit_
        if self.time_unit is not None and model_unit is not None and self.time_unit != model_unit:
            raise UnitError(
                f"predict_clv got time_unit={self.time_unit!r}, but the model was fitted in "
                f"{model_unit!r}; send recency and T in {model_unit!r}. Nothing is rescaled "
                "silently."
            )
        if self.usual:
            return problems  # every record has exactly the known fields
        for i, rec in enumerate(self.records):
            if not isinstance(rec, Mapping):
                problems[i] = (
                    f"customers[{i}] must be a mapping of fields. Got {type(rec).__name__}."
                )
                continue
            unknown = sorted(str(k) for k in rec if k not in self.known)
            if unknown:
                problems[i] = (
                    f"The 'customers' record of {self.who(i)} has the unknown field(s) "
                    f"{unknown}; the fields are {sorted(self.known)} (names are "
                    "case-sensitive)."
                )
                continue
            missing = [name for name in self.wanted if name not in rec]
            if missing:
                problems[i] = f"The 'customers' field {missing[0]!r} is missing ({self.who(i)})."
                continue
            unit = rec.get("time_unit", self.time_unit)
            if unit is not None and "time_unit" in rec:
                try:
                    check_time_unit(unit, "time_unit")
                except UnitError as exc:
                    problems[i] = f"{exc} ({self.who(i)})"
                    continue
            if unit is not None and model_unit is not None and unit != model_unit:
                problems[i] = (
                    f"The record of {self.who(i)} is in time unit {unit!r} but the model "
                    f"was fitted in {model_unit!r}; send recency and T in {model_unit!r}. "
                    "Nothing is rescaled silently."
                )
        return problems

    def raise_first(self, problems: np.ndarray) -> None:
        """Raise for the first kind of structural problem (not a mapping, unknown fields,
        a missing field, another time unit), naming every record that has it."""
        bad = [i for i in range(self.n) if problems[i] is not None]
        if not bad:
            return
        records = self.records
        for i in bad:
            if not isinstance(records[i], Mapping):
                raise InputError(str(problems[i]))
        rows = [i for i in bad if records[i].keys() - self.known]
        if rows:
            names = sorted({str(k) for i in rows for k in records[i].keys() - self.known})
            raise InputError(
                f"The 'customers' records have the unknown field(s) {names}, in "
                f"{self.named(rows)}; the fields are {sorted(self.known)} (names are "
                "case-sensitive)."
            )
        for name in self.wanted:
            rows = [i for i in bad if name not in records[i]]
            if rows:
                where = "" if self.n == 1 else f" in {self.named(rows)}"
                raise InputError(f"The 'customers' field {name!r} is missing{where}.")
        raise UnitError(str(problems[bad[0]]))

    def raise_by_record(self, arrays: dict[str, list[Any]]) -> None:
        """Raise for the first field entry that is not a number, naming the records that
        have such an entry in that field (a column check names no one: the column as a
        whole is not numeric)."""
        for name, values in arrays.items():
            _, found = parse_numbers(values, f"Field {name!r}", self.n)
            rows = np.flatnonzero(~fine(found)).tolist()
            if rows:
                rule = str(found[rows[0]]).split(";")[0]
                advice = (
                    " Convert them explicitly: clvkit does not coerce."
                    if "must hold numbers" in rule
                    else ""
                )
                raise InputError(
                    f"{rule}; {self.named(rows)} break this rule (the first: "
                    f"{self.records[rows[0]][name]!r}).{advice}"
                )

    # -- scoring ------------------------------------------------------------------------
    def predict(self, options: dict[str, Any]) -> list[dict[str, Any]]:
        if not isinstance(self.margin, str):
            margin_values(self.margin, None, 1)  # a bad margin number fails the whole call
        problems = self.record_problems()
        if self.mode == "raise":
            self.raise_first(problems)
            arrays = {name: [rec[name] for rec in self.records] for name in self.wanted}
            margins = self.margins(
                arrays.pop(self.margin) if isinstance(self.margin, str) else None
            )
            try:
                rfm = self.model.read_customers(
                    None, arrays, ids=self.ids, kind="Field", caller="predict_clv"
                )
            except InputError:
                self.raise_by_record(arrays)  # a field of mixed types: which records
                raise
            columns, stages = self.model.predict_arrays(rfm, margin=margins, **options)
            return self.rows(list(range(self.n)), columns, stages)
        # mark: every record's first problem, then the good ones scored together
        structural = ~fine(problems)
        arrays = {
            name: [0.0 if structural[i] else rec[name] for i, rec in enumerate(self.records)]
            for name in self.wanted
        }
        given_margins = arrays.pop(self.margin) if isinstance(self.margin, str) else None
        floats, found = mark_rfm(arrays, "Field", self.n)
        first(problems, found)
        margin_numbers = None
        if given_margins is not None:
            subject = f"Field {self.margin!r} (margin)"
            margin_numbers, found = parse_numbers(given_margins, subject, self.n)
            first(problems, found)
            outside = (margin_numbers < 0) | (margin_numbers > 1)
            first(problems, flagged(outside, f"{subject} must be in [0, 1] (0.30 for 30 %)"))
        good = np.flatnonzero(fine(problems))
        scored: list[dict[str, Any]] = []
        if good.size:
            rfm = self.model.read_customers(
                None,
                {name: floats[name][good] for name in self.model.input_columns},
                ids=None if self.ids is None else [self.ids[i] for i in good],
                kind="Field",
                caller="predict_clv",
            )
            margins = margin_values(
                self.margin if margin_numbers is None else margin_numbers[good], None, good.size
            )
            columns, stages = self.model.predict_arrays(rfm, margin=margins, **options)
            scored = self.rows(good.tolist(), columns, stages)
        out: list[dict[str, Any]] = []
        it = iter(scored)
        for i, problem in enumerate(problems.tolist()):
            if problem is None:
                row = next(it)
            else:
                rec = self.records[i]
                has_id = isinstance(rec, Mapping) and "customer_id" in rec
                row = {"customer_id": rec["customer_id"]} if has_id else {}
            row["error"] = problem
            out.append(row)
        return out

    def margins(self, given: list[Any] | None) -> np.ndarray | float:
        """The margins: the call's number, or each record's margin field."""
        if given is None:
            return margin_values(self.margin, None, self.n)
        subject = f"Field {self.margin!r} (margin)"
        values = numeric_column(given, subject, self.ids)
        check_rule(
            (values < 0) | (values > 1), subject, "must be in [0, 1] (0.30 for 30 %)", self.ids
        )
        return margin_values(values, None, self.n)

    def rows(
        self, positions: list[int], columns: dict[str, np.ndarray], stages: np.ndarray
    ) -> list[dict[str, Any]]:
        """One dict per scored record, in ``positions`` order."""
        names = list(columns)  # the value columns, with their bounds when asked for
        # one table to Python floats at once (element-wise float(array[i]) cost most of a
        # 1,000-record call, a conversion per column most of a one-record call)
        table = np.empty((len(positions), len(names)))
        for j, name in enumerate(names):
            table[:, j] = columns[name]
        values = table.tolist()
        labels = [STAGES[s] for s in np.asarray(stages, dtype=np.intp).tolist()]
        out: list[dict[str, Any]] = []
        for i, row_values, label in zip(positions, values, labels, strict=True):
            rec = self.records[i]
            row: dict[str, Any] = (
                {"customer_id": rec["customer_id"]} if "customer_id" in rec else {}
            )
            row.update(zip(names, row_values, strict=True))
            row["lifecycle_stage"] = label
            out.append(row)
        return out
