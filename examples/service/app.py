"""A reference HTTP service over a clvkit model file (FastAPI).

Install the extra and run it from the repository root::

    pip install "clvkit[service]"          # or: pip install -e ".[service]"
    CLVKIT_MODEL=model.json uvicorn --factory examples.service.app:app_from_env

Endpoints:

``POST /predict``
    A batch of customers in, their CLV columns out::

        {"customers": [{"customer_id": "c-17", "frequency": 2, "recency": 30.43,
                        "T": 38.86, "monetary_value": 22.35, "historical_value": 74.02}],
         "horizon": "52W", "discount_rate": 0.10, "margin": 0.30}

    answers ``{"model_sha256": ..., "customers": [{"customer_id": "c-17", "p_alive":
    ..., "expected_value": ..., ..., "lifecycle_stage": "development"}]}``, in the order
    given. ``horizon``, ``discount_rate``, ``margin`` and ``step`` are optional (the
    service's defaults); a customer's fields are the model's ``input_columns`` and an
    optional ``customer_id`` (a string or an integer), nothing else.

``GET /health``
    The model being served (its file, the SHA-256 of the file's bytes, when it was
    loaded), whether that is the last good model because the file now holds something
    that was refused, and the refusal's message.

Hot reload: before answering, the service compares the file's identity (inode,
modification time, size) with the one it loaded; a changed file is read once and
swapped in only when it is a complete, valid ``CLVModel`` file. A bad replacement
(truncated, empty, a directory, missing, not a clvkit model, another kind of model) is
refused with clvkit's message naming the file; the service keeps answering with the last
good model and ``/health`` says so, until a good file replaces it.

Bad input gets a 422 answer naming the field: ``{"error": {"type": ..., "field": ...,
"message": ..., "customers": [positions]}}``. The field is, for example,
``customers[3].recency``, ``customers.frequency`` (a rule broken by several customers,
listed by position; clvkit's message names them by ``customer_id``) or ``horizon``.

The service layer is thin on purpose: every number comes from :func:`clvkit.predict_clv`
on the loaded model, and every rule about the values from clvkit's own checks.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

import clvkit as ck
from clvkit.errors import ClvkitError, InputError, ModelFileError, UnitError
from clvkit.models.persistence import model_from_text, read_model_text

__all__ = ["ModelWatcher", "app_from_env", "create_app"]

#: the most customers one request may carry
MAX_CUSTOMERS = 10_000
#: the request fields that are arguments of predict_clv
OPTION_FIELDS = ("horizon", "discount_rate", "margin", "step")
_QUOTED = re.compile(r"'([A-Za-z_][A-Za-z0-9_]*)'")
_POSITIONS = re.compile(r"(?:row positions|positions): ([0-9, ]+)")
_IDS = re.compile(r"customer ids: ([^)]*)\)")


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")


# -- the model file, watched -----------------------------------------------------------
@dataclass(frozen=True)
class LoadedModel:
    """One good model and where it came from."""

    model: ck.CLVModel
    path: str
    sha256: str
    identity: tuple[int, int, int]
    loaded_at: str

    def describe(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "kind": type(self.model).__name__,
            "purchase_model": type(self.model.purchase_model_).__name__,
            "spend_model": type(self.model.spend_model_).__name__,
            "time_unit": self.model.time_unit_,
            "input_fields": list(self.model.input_columns),
            "loaded_at": self.loaded_at,
        }


@dataclass(frozen=True)
class Refusal:
    """A version of the file that was refused (``identity`` None: it could not be seen)."""

    identity: tuple[int, int, int] | None
    message: str
    at: str


def _identity(stat: os.stat_result) -> tuple[int, int, int]:
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


def load_clv_model(path: str) -> LoadedModel:
    """Read, fingerprint and validate a CLVModel file; ModelFileError names the file."""
    text, stat = read_model_text(path)
    model = model_from_text(text, path)
    if not isinstance(model, ck.CLVModel):
        raise ModelFileError(
            f"Model file {path!r} holds a {type(model).__name__}; the service needs a "
            "CLVModel file (CLVModel().fit(rfm).save(path))."
        )
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LoadedModel(model, path, digest, _identity(stat), _now())


class ModelWatcher:
    """The last good model of a file, reloaded when the file changes.

    :meth:`current` costs one ``stat`` when nothing changed. A changed file is loaded
    once (under a lock, so concurrent requests do not load it twice); a version that is
    refused is remembered by its identity and not read again.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.path.abspath(os.fspath(path))
        self._lock = threading.Lock()
        self._good = load_clv_model(self.path)  # a service does not start on a bad file
        self._refused: Refusal | None = None

    def _look(self) -> tuple[tuple[int, int, int] | None, str | None]:
        try:
            return _identity(os.stat(self.path)), None
        except OSError as exc:
            return None, f"Cannot read model file {self.path!r}: {exc.strerror}."

    def current(self) -> LoadedModel:
        """The model to answer with (the file's, or the last good one)."""
        identity, _ = self._look()
        good, refused = self._good, self._refused
        if identity == good.identity and refused is None:
            return good
        if refused is not None and identity == refused.identity:
            return good
        with self._lock:
            identity, problem = self._look()
            if identity == self._good.identity:
                self._refused = None  # the good file is back
            elif self._refused is None or identity != self._refused.identity:
                if problem is not None:
                    self._refused = Refusal(None, problem, _now())
                else:
                    try:
                        self._good = load_clv_model(self.path)
                        self._refused = None
                    except ClvkitError as exc:
                        self._refused = Refusal(identity, str(exc), _now())
            return self._good

    def health(self) -> dict[str, Any]:
        good = self.current()
        refused = self._refused
        return {
            "status": "ok" if refused is None else "degraded",
            "model": good.describe(),
            "serving_last_good_model": refused is not None,
            "reload_error": None
            if refused is None
            else {"message": refused.message, "at": refused.at},
        }


# -- requests ------------------------------------------------------------------------------
class PredictRequest(BaseModel):
    """The body of ``POST /predict``."""

    model_config = ConfigDict(strict=True, extra="forbid")

    customers: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_CUSTOMERS,
        description="One object per customer: the model's input fields (GET /health lists "
        "them) and an optional customer_id.",
    )
    horizon: str | float | None = Field(
        None, description='A number of model time units or "52W", "12M", "365D", "1Y".'
    )
    discount_rate: float | None = Field(None, description="Yearly discount rate, 0.10 = 10 %.")
    margin: float | None = Field(None, description="Profit margin in [0, 1].")
    step: str | float | None = Field(None, description="Discounting step (default one unit).")


def _positions(rows: Sequence[int]) -> str:
    head = ", ".join(map(str, rows[:5]))
    return head + (", ..." if len(rows) > 5 else "")


class RequestRefused(Exception):
    """A 4xx answer: which field, what rule, which customers."""

    def __init__(
        self, field: str, message: str, kind: str = "InputError", rows: Sequence[int] = ()
    ) -> None:
        super().__init__(message)
        self.field, self.message, self.kind, self.rows = field, message, kind, list(rows)

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.kind, "field": self.field, "message": self.message}
        if self.rows:
            error["customers"] = self.rows
        return {"error": error}


def _field_of(rule: str, rows: Sequence[int], n: int) -> str:
    if len(rows) == 1 or n == 1:
        return f"customers[{rows[0] if rows else 0}].{rule}"
    return f"customers.{rule}"


def check_customers(customers: list[dict[str, Any]], fields: Sequence[str]) -> None:
    """Names, presence and JSON types of the customers' fields (values: clvkit's rules)."""
    allowed = {*fields, "customer_id"}
    n = len(customers)
    for name in sorted({key for c in customers for key in c} - allowed):
        rows = [i for i, c in enumerate(customers) if name in c]
        raise RequestRefused(
            _field_of(name, rows, n),
            f"Field {name!r} is not a customer field (the fields are {sorted(allowed)}); "
            f"{len(rows)} of {n} customers have it (positions {_positions(rows)}).",
            rows=rows,
        )
    for name in fields:
        rows = [i for i, c in enumerate(customers) if name not in c]
        if rows:
            raise RequestRefused(
                _field_of(name, rows, n),
                f"Field {name!r} is missing in {len(rows)} of {n} customers "
                f"(positions {_positions(rows)}).",
                rows=rows,
            )
        rows = [
            i
            for i, c in enumerate(customers)
            if isinstance(c[name], bool) or not isinstance(c[name], int | float)
        ]
        if rows:
            raise RequestRefused(
                _field_of(name, rows, n),
                f"Field {name!r} must be a number; {len(rows)} of {n} customers have "
                f"something else (positions {_positions(rows)}; "
                f"first: {customers[rows[0]][name]!r}).",
                rows=rows,
            )
    rows = [
        i
        for i, c in enumerate(customers)
        if "customer_id" in c
        and (isinstance(c["customer_id"], bool) or not isinstance(c["customer_id"], int | str))
    ]
    if rows:
        raise RequestRefused(
            _field_of("customer_id", rows, n),
            f"Field 'customer_id' must be a string or an integer; {len(rows)} of {n} "
            f"customers have something else (positions {_positions(rows)}).",
            rows=rows,
        )


def refusal_of(
    exc: ClvkitError, fields: Sequence[str], customers: list[dict[str, Any]]
) -> RequestRefused:
    """Turn clvkit's message into a 422 naming the field it is about and the positions of
    the customers it names (clvkit names them by ``customer_id`` when they have one)."""
    message = str(exc)
    n = len(customers)
    named = next((m for m in _QUOTED.findall(message) if m in fields or m in OPTION_FIELDS), None)
    found = _POSITIONS.search(message)
    rows = [int(p) for p in found.group(1).replace(" ", "").split(",") if p] if found else []
    by_id = _IDS.search(message)
    if by_id:
        position = {repr(c.get("customer_id")): i for i, c in enumerate(customers)}
        shown = [t.strip() for t in by_id.group(1).split(", ")]
        rows = [position[t] for t in shown if t in position]
    if named is None:
        field = "body"
    elif named in OPTION_FIELDS:
        field = named
    else:
        field = _field_of(named, rows, n)
    return RequestRefused(field, message, type(exc).__name__, rows)


def _validation_refusal(exc: RequestValidationError) -> RequestRefused:
    errors = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":  # its location is a character position
            errors.append(("body", str(err.get("ctx", {}).get("error", "")), "json_invalid"))
            continue
        loc = [part for part in err.get("loc", ()) if part != "body"]
        field = ""
        for part in loc:
            field += f"[{part}]" if isinstance(part, int) else (f".{part}" if field else part)
        errors.append((field or "body", str(err.get("msg", "invalid")), err.get("type", "")))
    field, msg, kind = errors[0]
    if kind == "extra_forbidden":
        msg = f"unknown field; the fields are {sorted(PredictRequest.model_fields)}"
    elif kind == "json_invalid":
        msg = f"the body is not valid JSON ({msg})"
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return RequestRefused(field, f"Field {field!r}: {msg}{more}.", "RequestValidationError")


# -- the app -------------------------------------------------------------------------------
def create_app(
    model_path: str | os.PathLike[str],
    *,
    horizon: str | float = "52W",
    discount_rate: float = 0.0,
    margin: float = 1.0,
) -> FastAPI:
    """The service over ``model_path`` (loaded now: a bad file raises ModelFileError)."""
    watcher = ModelWatcher(model_path)
    defaults: dict[str, Any] = {
        "horizon": horizon,
        "discount_rate": discount_rate,
        "margin": margin,
        "step": None,
    }
    app = FastAPI(
        title="clvkit reference service",
        summary="Actual and potential CLV of customers from a clvkit model file.",
    )
    app.state.watcher = watcher

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(_validation_refusal(exc).body(), status_code=422)

    @app.exception_handler(RequestRefused)
    async def _refused(request: Request, exc: RequestRefused) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=422)

    @app.get("/health")
    def health() -> dict[str, Any]:
        return {**watcher.health(), "defaults": defaults, "max_customers": MAX_CUSTOMERS}

    @app.post("/predict")
    def predict(request: PredictRequest) -> Response:
        loaded = watcher.current()
        fields = loaded.model.input_columns
        check_customers(request.customers, fields)
        options = {
            name: defaults[name] if getattr(request, name) is None else getattr(request, name)
            for name in OPTION_FIELDS
        }
        try:
            rows = ck.predict_clv(loaded.model, request.customers, **options)
        except (InputError, UnitError) as exc:
            raise refusal_of(exc, fields, request.customers) from exc
        body = {"model_sha256": loaded.sha256, **options, "customers": rows}
        # plain floats and strings: serialised directly (NaN would be refused, not sent)
        return Response(json.dumps(body, allow_nan=False), media_type="application/json")

    return app


def app_from_env() -> FastAPI:
    """The app for ``uvicorn --factory``: ``CLVKIT_MODEL`` (the file, required) and
    ``CLVKIT_HORIZON``, ``CLVKIT_DISCOUNT_RATE``, ``CLVKIT_MARGIN`` (the defaults)."""
    path = os.environ.get("CLVKIT_MODEL")
    if not path:
        raise SystemExit("Set CLVKIT_MODEL to the path of a CLVModel file.")
    horizon: str | float = os.environ.get("CLVKIT_HORIZON", "52W")
    return create_app(
        path,
        horizon=horizon,
        discount_rate=float(os.environ.get("CLVKIT_DISCOUNT_RATE", "0")),
        margin=float(os.environ.get("CLVKIT_MARGIN", "1")),
    )
