"""Fitted models to and from plain JSON-ready dicts, with a strict schema.

Only documented fields are written and only documented fields are accepted: an unknown
key, a missing key, a value of the wrong type or an invalid parameter raises
:class:`clvkit.errors.ModelFileError`. Nothing is ever executed or unpickled.

A model dict::

    {
      "kind": "BetaGeo",                       # or "GammaGamma"
      "params": {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43},
      "hyperparameters": {"penalizer": 0.0, "tol": 1e-10, "max_iter": 200},
      "time_unit": "W",                        # or null
      "fit": null | {
        "log_likelihood": -9582.43, "n_customers": 2357.0,
        "information": [[...], ...],           # k x k observed information, or null
        "diagnostics": {"converged": true, "n_iter": 6, "grad_norm": 1e-11,
                        "hessian_positive_definite": true, "method": "newton",
                        "n_distinct_rows": 1016}
      }
    }

Floats are written with Python's shortest round-trip repr, so a loaded model predicts
bit-identically.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from clvkit._time import DAYS_PER_UNIT
from clvkit.errors import ClvkitError, ModelFileError
from clvkit.models.base import BaseModel, FitDiagnostics
from clvkit.models.beta_geo import BetaGeo
from clvkit.models.gamma_gamma import GammaGamma

__all__ = ["MODEL_KINDS", "model_from_dict", "model_to_dict", "require_keys"]

MODEL_KINDS: dict[str, type[BaseModel]] = {"BetaGeo": BetaGeo, "GammaGamma": GammaGamma}

_DIAGNOSTIC_TYPES: dict[str, type | tuple[type, ...]] = {
    "converged": bool,
    "n_iter": int,
    "grad_norm": (int, float),
    "hessian_positive_definite": bool,
    "method": str,
    "n_distinct_rows": int,
}


def model_to_dict(model: BaseModel) -> dict[str, Any]:
    """The JSON-ready description of a fitted model (see the module docstring)."""
    params = model._check_fitted()
    fit: dict[str, Any] | None = None
    if model.diagnostics_ is not None:
        information = None if model._information is None else model._information.tolist()
        fit = {
            "log_likelihood": float(model.log_likelihood_),
            "n_customers": float(model.n_customers_),
            "information": information,
            "diagnostics": model.diagnostics_.to_dict(),
        }
    return {
        "kind": type(model).__name__,
        "params": dict(zip(model.param_names, map(float, params), strict=True)),
        "hyperparameters": {
            "penalizer": float(model.penalizer),
            "tol": float(model.tol),
            "max_iter": int(model.max_iter),
        },
        "time_unit": model.time_unit_,
        "fit": fit,
    }


def require_keys(obj: object, required: set[str], where: str) -> Mapping[str, Any]:
    """Require a JSON object with exactly the ``required`` keys."""
    if not isinstance(obj, dict):
        raise ModelFileError(f"{where} must be a JSON object. Got {type(obj).__name__}.")
    missing = sorted(required - set(obj))
    extra = sorted(set(obj) - required)
    if missing:
        raise ModelFileError(f"{where} is missing the field(s) {missing}.")
    if extra:
        raise ModelFileError(f"{where} has unknown field(s) {extra}; refusing the file.")
    return obj


def _number(value: object, where: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ModelFileError(f"{where} must be a number. Got {value!r}.")
    out = float(value)
    if not math.isfinite(out) or (positive and out <= 0):
        rule = "finite and > 0" if positive else "finite"
        raise ModelFileError(f"{where} must be {rule}. Got {value!r}.")
    return out


def check_time_unit_field(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in DAYS_PER_UNIT:
        raise ModelFileError(
            f"{where} must be null or one of {sorted(DAYS_PER_UNIT)}. Got {value!r}."
        )
    return value


def model_from_dict(obj: object, where: str = "model") -> BaseModel:
    """Rebuild a model from :func:`model_to_dict` output, validating every field."""
    data = require_keys(obj, {"kind", "params", "hyperparameters", "time_unit", "fit"}, where)
    kind = data["kind"]
    if not isinstance(kind, str) or kind not in MODEL_KINDS:
        raise ModelFileError(f"{where}.kind must be one of {sorted(MODEL_KINDS)}. Got {kind!r}.")
    cls = MODEL_KINDS[kind]
    params_in = require_keys(data["params"], set(cls.param_names), f"{where}.params")
    params = {
        k: _number(params_in[k], f"{where}.params.{k}", positive=True) for k in cls.param_names
    }
    hyper = require_keys(
        data["hyperparameters"], {"penalizer", "tol", "max_iter"}, f"{where}.hyperparameters"
    )
    penalizer = _number(hyper["penalizer"], f"{where}.hyperparameters.penalizer")
    tol = _number(hyper["tol"], f"{where}.hyperparameters.tol", positive=True)
    max_iter = hyper["max_iter"]
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ModelFileError(f"{where}.hyperparameters.max_iter must be an integer >= 1.")
    if penalizer < 0:
        raise ModelFileError(f"{where}.hyperparameters.penalizer must be >= 0.")
    time_unit = check_time_unit_field(data["time_unit"], f"{where}.time_unit")
    try:
        model = cls.from_params(time_unit=time_unit, **params)
    except ClvkitError as exc:  # pragma: no cover - every field was checked above
        raise ModelFileError(f"{where}: {exc}") from exc
    model.penalizer, model.tol, model.max_iter = penalizer, tol, max_iter
    if data["fit"] is not None:
        _restore_fit(model, data["fit"], f"{where}.fit")
    return model


def _restore_fit(model: BaseModel, obj: object, where: str) -> None:
    fit = require_keys(obj, {"log_likelihood", "n_customers", "information", "diagnostics"}, where)
    k = len(model.param_names)
    information = fit["information"]
    if information is not None:
        ok = (
            isinstance(information, list)
            and len(information) == k
            and all(isinstance(row, list) and len(row) == k for row in information)
        )
        if not ok:
            raise ModelFileError(f"{where}.information must be null or a {k}x{k} list of lists.")
        matrix = np.array(
            [[_number(v, f"{where}.information") for v in row] for row in information]
        )
        if not np.array_equal(matrix, matrix.T):
            raise ModelFileError(f"{where}.information must be symmetric.")
        model._information = matrix
    diag = require_keys(fit["diagnostics"], set(_DIAGNOSTIC_TYPES), f"{where}.diagnostics")
    for name, kind in _DIAGNOSTIC_TYPES.items():
        value = diag[name]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ModelFileError(f"{where}.diagnostics.{name} has the wrong type: {value!r}.")
    model.log_likelihood_ = _number(fit["log_likelihood"], f"{where}.log_likelihood")
    model.n_customers_ = _number(fit["n_customers"], f"{where}.n_customers", positive=True)
    model.diagnostics_ = FitDiagnostics(**{name: diag[name] for name in _DIAGNOSTIC_TYPES})
