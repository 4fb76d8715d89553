"""Model files: JSON with a format name and version, never pickle.

File layout::

    {
      "format": "clvkit-model",
      "format_version": 1,
      "clvkit_version": "0.1.0",
      "kind": "CLVModel",            # or "BetaGeo" / "GammaGamma"
      "time_unit": "W",
      "grain": "D",                  # null when unknown
      "components": {"purchase": {...}, "spend": {...}}   # or {"model": {...}}
    }

Each component follows :mod:`clvkit.models.persistence`. Loading reads JSON only, checks
every field against this schema and refuses anything else with
:class:`clvkit.errors.ModelFileError`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from clvkit._time import GRAINS
from clvkit._version import __version__
from clvkit.errors import ModelFileError
from clvkit.models.base import BaseModel
from clvkit.models.persistence import (
    check_time_unit_field,
    model_from_dict,
    model_to_dict,
    require_keys,
)
from clvkit.value.clv import CLVModel

__all__ = ["FORMAT", "FORMAT_VERSION", "load_model", "save_model"]

FORMAT = "clvkit-model"
FORMAT_VERSION = 1
_MAX_BYTES = 1_000_000  # a model file is a few kB; refuse anything absurdly large
_TOP_KEYS = {
    "format",
    "format_version",
    "clvkit_version",
    "kind",
    "time_unit",
    "grain",
    "components",
}


def save_model(model: CLVModel | BaseModel, path: str | os.PathLike[str]) -> None:
    """Write ``model`` to ``path`` as JSON (UTF-8). The parent folder must exist."""
    if isinstance(model, CLVModel):
        model._check_fitted()
        components = {
            "purchase": model_to_dict(model.purchase_model_),
            "spend": model_to_dict(model.spend_model_),
        }
        kind, time_unit, grain = "CLVModel", model.time_unit_, model.grain_
    elif isinstance(model, BaseModel):
        components = {"model": model_to_dict(model)}
        kind, time_unit, grain = type(model).__name__, model.time_unit_, None
    else:
        raise ModelFileError(f"Only clvkit models can be saved. Got {type(model).__name__}.")
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "clvkit_version": __version__,
        "kind": kind,
        "time_unit": time_unit,
        "grain": grain,
        "components": components,
    }
    Path(path).write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def load_model(path: str | os.PathLike[str]) -> CLVModel | BaseModel:
    """Read a model file written by ``save`` and return an identical model.

    Raises
    ------
    clvkit.errors.ModelFileError
        If the file is missing, not JSON, of another format or version, lacks a field,
        has an unknown field or holds an invalid value.
    """
    file = Path(path)
    try:
        size = file.stat().st_size
    except OSError as exc:
        raise ModelFileError(f"Cannot read model file {str(path)!r}: {exc.strerror}.") from exc
    if size > _MAX_BYTES:
        raise ModelFileError(
            f"Model file {str(path)!r} is {size:,} bytes; a clvkit model file "
            f"is at most {_MAX_BYTES:,}."
        )
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"Model file {str(path)!r} is not valid JSON: {exc}.") from exc
    return model_from_document(document, str(path))


def model_from_document(document: Any, source: str = "model file") -> CLVModel | BaseModel:
    """Validate a parsed model document and rebuild the model."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ModelFileError(f"{source} is not a clvkit model file (format {FORMAT!r} expected).")
    version = document.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise ModelFileError(
            f"{source} has format_version {version!r}; this clvkit reads version "
            f"{FORMAT_VERSION} only."
        )
    top = require_keys(document, _TOP_KEYS, source)
    if not isinstance(top["clvkit_version"], str):
        raise ModelFileError(f"{source}: clvkit_version must be a string.")
    time_unit = check_time_unit_field(top["time_unit"], f"{source}: time_unit")
    grain = top["grain"]
    if grain is not None and (not isinstance(grain, str) or grain not in GRAINS):
        raise ModelFileError(f"{source}: grain must be null or one of {sorted(GRAINS)}.")
    kind = top["kind"]
    if kind == "CLVModel":
        parts = require_keys(top["components"], {"purchase", "spend"}, f"{source}: components")
        purchase = model_from_dict(parts["purchase"], f"{source}: components.purchase")
        spend = model_from_dict(parts["spend"], f"{source}: components.spend")
        if type(purchase).__name__ != "BetaGeo" or type(spend).__name__ != "GammaGamma":
            raise ModelFileError(
                f"{source}: a CLVModel holds a BetaGeo purchase model and a GammaGamma spend model."
            )
        model: CLVModel | BaseModel = CLVModel.from_models(purchase, spend, grain=grain)  # type: ignore[arg-type]
        unit = purchase.time_unit_
    elif kind in ("BetaGeo", "GammaGamma"):
        parts = require_keys(top["components"], {"model"}, f"{source}: components")
        model = model_from_dict(parts["model"], f"{source}: components.model")
        if type(model).__name__ != kind:
            raise ModelFileError(f"{source}: kind {kind!r} does not match its component.")
        unit = model.time_unit_
    else:
        raise ModelFileError(
            f"{source}: unknown kind {kind!r}; expected CLVModel, BetaGeo or GammaGamma."
        )
    if unit != time_unit:
        raise ModelFileError(
            f"{source}: time_unit {time_unit!r} does not match the model's {unit!r}."
        )
    return model
