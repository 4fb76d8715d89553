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

from clvkit.errors import InputError, ModelFileError
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


def _resolve(model: object) -> CLVModel:
    if isinstance(model, CLVModel):
        return model
    if isinstance(model, str | os.PathLike):
        path = os.path.abspath(os.fspath(model))
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
    period: float | str | None = None,
    lifecycle: LifecycleRules | None = None,
    interval: float | None = None,
    method: str = "delta",
    n_draws: int = DEFAULT_DRAWS,
    random_state: object = None,
    draws: pd.DataFrame | None = None,
    n_jobs: int = 1,
) -> pd.DataFrame | dict[str, Any] | list[dict[str, Any]]:
    """Actual and potential CLV of one or many customers, from a model or a model file.

    Parameters
    ----------
    model : CLVModel or path
        A fitted model, or the path of a file written by ``CLVModel.save``; a path is
        loaded once and cached until the file changes.
    customers : DataFrame, mapping or list of mappings
        Each customer's ``frequency``, ``recency``, ``T``, ``monetary_value`` and
        ``historical_value`` (in the model's time unit). A mapping may also carry
        ``customer_id``, echoed in the result, and the margin field if ``margin`` names
        one.
    horizon, discount_rate, margin, period, lifecycle
        As for :meth:`CLVModel.predict_clv`.
    interval, method, n_draws, random_state, draws, n_jobs
        Parameter intervals of every value column, as for :meth:`CLVModel.predict_clv`
        (a model file keeps the observed information, so the delta method and parametric
        draws work from a file).

    Returns
    -------
    DataFrame for a DataFrame, a dict for one mapping, a list of dicts for a list. Each
    dict holds the :data:`~clvkit.value.clv.CLV_COLUMNS` as floats (each followed by
    its ``_lower`` and ``_upper`` bound with ``interval``) and ``lifecycle_stage`` as a
    string.
    """
    clv_model = _resolve(model)
    bounds = interval_options(
        interval,
        method=method,
        n_draws=n_draws,
        random_state=random_state,
        draws=draws,
        caller="predict_clv",
    )
    options: dict[str, Any] = {
        "horizon": horizon,
        "discount_rate": discount_rate,
        "period": period,
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
            **options,
        )
    options["options"] = bounds
    options["n_jobs"] = check_n_jobs(n_jobs, "predict_clv")
    if isinstance(customers, Mapping):
        return _predict_records(clv_model, [customers], margin, options, "customers")[0]
    if isinstance(customers, Sequence) and not isinstance(customers, str | bytes):
        if len(customers) == 0:
            raise InputError("The 'customers' list is empty; pass at least one customer.")
        for i, item in enumerate(customers):
            if not isinstance(item, Mapping):
                raise InputError(
                    f"customers[{i}] must be a mapping of fields. Got {type(item).__name__}."
                )
        return _predict_records(clv_model, customers, margin, options, "customers")
    raise InputError(
        "The 'customers' argument must be a DataFrame, a mapping or a list of mappings. "
        f"Got {type(customers).__name__}."
    )


def _predict_records(
    model: CLVModel,
    records: Sequence[Mapping[str, Any]],
    margin: object,
    options: dict[str, Any],
    argument: str,
) -> list[dict[str, Any]]:
    wanted = list(model.input_columns)
    if isinstance(margin, str):
        wanted.append(margin)
    arrays: dict[str, object] = {}
    for name in wanted:
        missing = [i for i, rec in enumerate(records) if name not in rec]
        if missing:
            where = (
                ""
                if len(records) == 1
                else f" in {len(missing)} of {len(records)} records (positions {missing[:3]})"
            )
            raise InputError(f"The {argument!r} field {name!r} is missing{where}.")
        arrays[name] = [rec[name] for rec in records]
    margins = (
        margin_values(np.asarray(arrays.pop(margin)), None, len(records))
        if isinstance(margin, str)
        else margin_values(margin, None, len(records))
    )
    rfm = model.read_customers(None, arrays)
    columns, stages = model.predict_arrays(rfm, margin=margins, **options)
    # whole columns to Python floats at once (element-wise float(array[i]) cost most of a
    # 1,000-record call)
    n = len(records)
    names = list(columns)  # the value columns, with their bounds when asked for
    values = zip(
        *(
            np.broadcast_to(np.asarray(columns[name], dtype=np.float64), (n,)).tolist()
            for name in names
        ),
        strict=True,
    )
    labels = [STAGES[s] for s in np.asarray(stages, dtype=np.intp).tolist()]
    out: list[dict[str, Any]] = []
    for rec, row_values, label in zip(records, values, labels, strict=True):
        row: dict[str, Any] = {"customer_id": rec["customer_id"]} if "customer_id" in rec else {}
        row.update(zip(names, row_values, strict=True))
        row["lifecycle_stage"] = label
        out.append(row)
    return out
