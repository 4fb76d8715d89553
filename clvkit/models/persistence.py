"""Model files: JSON with a format name and version, a strict schema, atomic writes.

File layout (format version 2)::

    {
      "format": "clvkit-model",
      "format_version": 2,
      "clvkit_version": "0.2.0",
      "kind": "CLVModel",            # or any registered model: "BetaGeo", "ParetoNBD", ...
      "time_unit": "W",
      "grain": "D",                  # null when unknown
      "components": {"purchase": {...}, "spend": {...}}   # or {"model": {...}}
    }

and each component, one fitted model::

    {
      "kind": "BetaGeo",
      "params": {"r": 0.24, "alpha": 4.41, "a": 0.79, "b": 2.43},
      "hyperparameters": {"penalizer": 0.0, "initial_params": null, "tol": 1e-10,
                          "max_iter": 200},      # exactly the model's get_params()
      "time_unit": "W",                           # or null
      "fit": null | {
        "log_likelihood": -9582.43, "n_customers": 2357.0,
        "information": [[...], ...],              # k x k observed information, or null
        "diagnostics": {"converged": true, "n_iter": 6, "grad_norm": 1e-11,
                        "hessian_positive_definite": true, "method": "newton",
                        "n_distinct_rows": 1016}
      }
    }

Version 1 files (clvkit 0.1) are read too: their components carry only ``penalizer``,
``tol`` and ``max_iter``, the other hyper-parameters take their defaults.

Only documented fields are written and only documented fields are accepted: an unknown
key, a missing key, a value of the wrong type or an invalid parameter raises
:class:`clvkit.errors.ModelFileError` naming the file. Nothing is ever executed or
unpickled. Floats are written with Python's shortest round-trip repr, so a loaded model
predicts bit-identically.

Writes are atomic: the document goes to a temporary file in the target's folder, is
flushed and fsynced, then renamed over the target with :func:`os.replace`, so a reader
sees the old file or the new one, never a torn one.

Every model kind registers itself here (:func:`register_kind`: estimators by subclassing
:class:`clvkit.models.base.BaseModel`, :class:`clvkit.CLVModel` explicitly); a registered
class provides ``_to_components()`` and
``_from_components(components, grain=, where=, version=)``.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, TypeVar

import numpy as np

from clvkit._time import DAYS_PER_UNIT, GRAINS
from clvkit._version import __version__
from clvkit.errors import ClvkitError, ModelFileError
from clvkit.models._optimize import FitDiagnostics

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "load_model",
    "model_from_dict",
    "model_kinds",
    "model_to_dict",
    "register_kind",
    "require_keys",
    "save_model",
]

FORMAT = "clvkit-model"
FORMAT_VERSION = 2
_READABLE_VERSIONS = (1, 2)
_MAX_BYTES = 1_000_000  # a model file is a few kB; refuse anything absurdly large
_TOP_KEYS = {"format", "format_version", "clvkit_version", "kind", "time_unit", "grain"}
_V1_HYPERPARAMETERS = {"penalizer", "tol", "max_iter"}
_DIAGNOSTIC_TYPES: dict[str, type | tuple[type, ...]] = {
    "converged": bool,
    "n_iter": int,
    "grad_norm": (int, float),
    "hessian_positive_definite": bool,
    "method": str,
    "n_distinct_rows": int,
}


class _Storable(Protocol):
    time_unit_: str | None

    def _to_components(self) -> dict[str, Any]: ...


_K = TypeVar("_K", bound=type)
_KINDS: dict[str, Any] = {}


def register_kind(cls: _K) -> _K:
    """Make ``cls`` loadable from model files under its class name (a decorator)."""
    _KINDS[cls.__name__] = cls
    return cls


def model_kinds() -> list[str]:
    """The kinds of model a model file may hold, sorted.

    Examples
    --------
    >>> import clvkit as ck
    >>> kinds = ck.models.model_kinds()
    >>> "BetaGeo" in kinds and "CLVModel" in kinds
    True
    """
    return sorted(_KINDS)


# -- one model <-> dict ------------------------------------------------------------------
def model_to_dict(model: Any) -> dict[str, Any]:
    """The JSON-ready description of one fitted model (see the module docstring)."""
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
    hyper = {
        name: dict(value) if isinstance(value, Mapping) else value
        for name, value in model.get_params().items()
    }
    return {
        "kind": type(model).__name__,
        "params": dict(zip(model.param_names, map(float, params), strict=True)),
        "hyperparameters": hyper,
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


def _time_unit_field(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in DAYS_PER_UNIT:
        raise ModelFileError(
            f"{where} must be null or one of {sorted(DAYS_PER_UNIT)}. Got {value!r}."
        )
    return value


def _model_class(kind: object, where: str) -> Any:
    if not isinstance(kind, str) or kind not in _KINDS:
        raise ModelFileError(
            f"{where} names the model kind {kind!r}, which this clvkit does not know; the "
            f"kinds that exist are {model_kinds()}."
        )
    return _KINDS[kind]


def model_from_dict(obj: object, where: str = "model", version: int = FORMAT_VERSION) -> Any:
    """Rebuild one model from :func:`model_to_dict` output, validating every field."""
    data = require_keys(obj, {"kind", "params", "hyperparameters", "time_unit", "fit"}, where)
    cls = _model_class(data["kind"], f"{where}.kind")
    if not hasattr(cls, "param_names"):
        raise ModelFileError(f"{where}.kind {data['kind']!r} is not a single model.")
    params_in = require_keys(data["params"], set(cls.param_names), f"{where}.params")
    params = {
        k: _number(params_in[k], f"{where}.params.{k}", positive=True) for k in cls.param_names
    }
    expected = set(cls._hyperparameter_names()) if version >= 2 else _V1_HYPERPARAMETERS
    hyper = dict(require_keys(data["hyperparameters"], expected, f"{where}.hyperparameters"))
    time_unit = _time_unit_field(data["time_unit"], f"{where}.time_unit")
    try:
        model = cls.from_params(time_unit=time_unit, **params)
        model.set_params(**hyper)
        model._check_hyperparameters()
    except ClvkitError as exc:
        raise ModelFileError(f"{where}.hyperparameters: {exc}") from exc
    if data["fit"] is not None:
        _restore_fit(model, data["fit"], f"{where}.fit")
    return model


def _restore_fit(model: Any, obj: object, where: str) -> None:
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


# -- files -------------------------------------------------------------------------------
def model_document(model: Any) -> dict[str, Any]:
    """The whole file document of a registered model (what :func:`save_model` writes)."""
    if type(model).__name__ not in _KINDS or not hasattr(model, "_to_components"):
        raise ModelFileError(f"Only clvkit models can be saved. Got {type(model).__name__}.")
    components = model._to_components()
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "clvkit_version": __version__,
        "kind": type(model).__name__,
        "time_unit": model.time_unit_,
        "grain": getattr(model, "grain_", None),
        "components": components,
    }


def save_model(model: _Storable, path: str | os.PathLike[str]) -> None:
    """Write ``model`` to ``path`` as JSON (UTF-8), atomically. The folder must exist."""
    text = json.dumps(model_document(model), indent=2) + "\n"
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise ModelFileError(f"Cannot write model file {str(path)!r}: no folder {str(folder)!r}.")
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems that refuse it
        pass
    finally:
        os.close(fd)


def read_model_text(path: str | os.PathLike[str]) -> tuple[str, os.stat_result]:
    """The text of a model file and the identity (stat) of exactly what was read.

    The file is opened once and ``fstat`` describes that open file, so a cache keyed on
    the result never pairs one version's identity with another version's content.
    """
    name = os.fspath(path)
    try:
        with open(name, "rb") as handle:
            stat = os.fstat(handle.fileno())
            if stat.st_size > _MAX_BYTES:
                raise ModelFileError(
                    f"Model file {name!r} is {stat.st_size:,} bytes; a clvkit model file "
                    f"is at most {_MAX_BYTES:,}."
                )
            raw = handle.read(_MAX_BYTES + 1)
    except IsADirectoryError as exc:
        raise ModelFileError(f"Cannot read model file {name!r}: it is a directory.") from exc
    except OSError as exc:
        raise ModelFileError(f"Cannot read model file {name!r}: {exc.strerror}.") from exc
    if not raw.strip():
        raise ModelFileError(f"Model file {name!r} is empty.")
    try:
        return raw.decode("utf-8"), stat
    except UnicodeDecodeError as exc:
        raise ModelFileError(
            f"Model file {name!r} is not valid JSON (not UTF-8 text: {exc})."
        ) from exc


def load_model(path: str | os.PathLike[str]) -> Any:
    """Read a model file written by ``save`` and return an identical model.

    Parameters
    ----------
    path : str or path-like
        A file written by ``model.save(path)`` (any model: ``CLVModel``, ``BetaGeo``,
        ``ParetoNBD``, ``GammaGamma``, ...).

    Returns
    -------
    The model, of the kind the file names.

    Raises
    ------
    clvkit.errors.ModelFileError
        If the file is missing, empty, a directory, not JSON, of another format or
        version, lacks a field, has an unknown field, names an unknown kind of model or
        holds an invalid value. The message names the file.

    Examples
    --------
    >>> import clvkit as ck, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> ck.GammaGamma.from_params(p=6.25, q=3.74, v=15.44).save(path)
    >>> ck.load_model(path)
    GammaGamma(p=6.25, q=3.74, v=15.44)
    """
    text, _ = read_model_text(path)
    return model_from_text(text, os.fspath(path))


def model_from_text(text: str, source: str) -> Any:
    """Parse and validate a model document given as text (``source`` names it)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"Model file {source!r} is not valid JSON: {exc}.") from exc
    return model_from_document(document, f"Model file {source!r}")


def model_from_document(document: Any, source: str = "model document") -> Any:
    """Validate a parsed model document and rebuild the model."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{source} is not a clvkit model file (format {FORMAT!r} expected).")
    version = document.get("format_version")
    if isinstance(version, bool) or version not in _READABLE_VERSIONS:
        raise ModelFileError(
            f"{source} has format_version {version!r}; this clvkit reads versions "
            f"{list(_READABLE_VERSIONS)}."
        )
    top = require_keys(document, _TOP_KEYS | {"components"}, source)
    if not isinstance(top["clvkit_version"], str):
        raise ModelFileError(f"{source}: clvkit_version must be a string.")
    time_unit = _time_unit_field(top["time_unit"], f"{source}: time_unit")
    grain = top["grain"]
    if grain is not None and (not isinstance(grain, str) or grain not in GRAINS):
        raise ModelFileError(f"{source}: grain must be null or one of {sorted(GRAINS)}.")
    cls = _model_class(top["kind"], f"{source}: kind")
    model = cls._from_components(top["components"], grain=grain, where=source, version=version)
    if model.time_unit_ != time_unit:
        raise ModelFileError(
            f"{source}: time_unit {time_unit!r} does not match the model's {model.time_unit_!r}."
        )
    return model
