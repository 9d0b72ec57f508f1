"""Operations: each API view declares its input and output models once, with ``@operation``.

The decorator validates the query string and the body against the models before the
view runs, passes them in as ``query`` and ``body``, and after a write commits the
request's one transaction (with its idempotency record, see ``idempotency``). The
same declarations generate the OpenAPI 3.1 document (``document``), so what the
document says is what the code checks.
"""
from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, current_app, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import BaseModel, ValidationError
from pydantic.json_schema import models_json_schema

from ..db import begin_writing
from ..extensions import db
from . import idempotency
from .schemas import MAX_INT, Body, Error, MalformedBody, invalid_input

REF = "#/components/schemas/{model}"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class NoBody(Body):
    """Actions without fields accept an empty body or ``{}``."""


@dataclass
class Operation:
    summary: Any
    tags: tuple[str, ...]
    query: type[BaseModel] | None = None
    body: type[BaseModel] | None = None
    body_required: bool = True
    response: type[BaseModel] | tuple[type[BaseModel], ...] | None = None  # a tuple: one of them
    status: int = 200
    errors: tuple[int, ...] = ()
    scope: str | None = None  # None: read for GET, write otherwise
    idempotent: bool = False
    etag: bool = False
    public: bool = False
    media_type: str = "application/json"
    description: Any = ""
    headers: dict[str, str] = field(default_factory=dict)  # response headers: name -> description

    @property
    def response_models(self) -> tuple[type[BaseModel], ...]:
        if self.response is None:
            return ()
        return self.response if isinstance(self.response, tuple) else (self.response,)

    def needed_scope(self, method: str) -> str:
        return self.scope or ("read" if method in SAFE_METHODS else "write")


def operation(summary: Any, *, tags: Iterable[str], query: type[BaseModel] | None = None,
              body: type[BaseModel] | None = None, body_required: bool = True,
              response: type[BaseModel] | tuple[type[BaseModel], ...] | None = None, status: int = 200,
              errors: Iterable[int] = (),
              scope: str | None = None, idempotent: bool = False, etag: bool = False, public: bool = False,
              media_type: str = "application/json", description: Any = "",
              headers: dict[str, str] | None = None) -> Callable:
    """Declare an API view. ``errors``: the statuses beyond those every operation may answer
    (401, 403, 429; 404 with an id in the path; 422 with input; 400 with a body)."""
    op = Operation(summary, tuple(tags), query, body, body_required, response, status, tuple(errors), scope,
                   idempotent, etag, public, media_type, description, dict(headers or {}))

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def run(**kwargs):
            if op.query is not None:
                kwargs["query"] = read_query(op.query)
            if op.body is not None:
                kwargs["body"] = read_body(op.body, required=op.body_required)
            elif request.method not in SAFE_METHODS:
                read_body(NoBody, required=False)
            if request.method not in SAFE_METHODS:
                begin_writing(db.session)
            key = idempotency.begin() if op.idempotent else None
            if isinstance(key, Response):  # a retry: the first answer again
                return key
            response = current_app.make_response(view(**kwargs))
            if current_app.config.get("API_CHECK_RESPONSES"):
                check_response(op, response)
            if op.etag and response.status_code == 200:
                response.add_etag()
                response.make_conditional(request)
            if request.method not in SAFE_METHODS:
                if key is not None:
                    idempotency.finish(key, response)
                db.session.commit()
            return response

        run.operation = op
        return run

    return decorate


def check_response(op: Operation, response: Response) -> None:
    """Tests: the answer must be what the document says (raises, hence a 500, if not)."""
    if response.status_code != op.status or not op.response_models or response.mimetype != "application/json":
        return
    problems = []
    for model in op.response_models:
        try:
            model.model_validate_json(response.get_data(), strict=True)
            return
        except ValidationError as error:
            problems.append(error)
    raise AssertionError(f"{request.method} {request.path} answered outside its schema: {problems}")


def read_query(model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as error:
        raise invalid_input(error) from None


def read_body(model: type[BaseModel], *, required: bool = True) -> BaseModel:
    raw = request.get_data(cache=True)
    if not required and not raw.strip():
        raw = b"{}"
    try:
        return model.model_validate_json(raw)
    except ValidationError as error:
        raise invalid_input(error) from None
    except RecursionError:  # nested deeper than the parser goes
        raise MalformedBody(_("The request body must be a JSON object.")) from None


# --- the OpenAPI document --------------------------------------------------------------------

# The groups of operations, in the document's order.
TAGS = {
    "resources": _l("Facilities: their rules, hours, closures and free time"),
    "bookings": _l("Bookings: request, read, decide, cancel"),
    "series": _l("Recurring bookings"),
    "usage": _l("Actual use: check-in, check-out, usage records"),
    "waitlist": _l("Waiting list"),
    "quotas": _l("Quotas"),
    "reports": _l("Reports: utilization, savings and fairness"),
    "calendar": _l("Calendar: iCalendar files and subscribable feeds"),
    "organisation": _l("Enterprises and members"),
    "tokens": _l("API tokens"),
}
_PATH_PARAM = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
_ERROR_TEXT = {
    304: _l("Not modified: the representation still has the `ETag` sent in `If-None-Match`."),
    400: _l("The body is not a JSON object (code invalid_json)."),
    401: _l("No valid API token (code `unauthorized`)."),
    403: _l("The token's user or scope may not do this (codes `forbidden`, `insufficient_scope`)."),
    404: _l("No such object, or none the caller may see (code not_found)."),
    409: _l("The state or the calendar does not allow this (codes `conflict`, `invalid_state`, …)."),
    422: _l("A field or parameter is missing or not valid; `details.field` names it."),
    429: _l("Too many requests (code `rate_limited`); `Retry-After` says when to try again."),
}


def operations(app: Flask) -> list[tuple[str, str, str, Operation, str]]:
    """(path template, method, endpoint, operation, Werkzeug rule) of every declared API view, in path order."""
    found = []
    for rule in app.url_map.iter_rules():
        op = getattr(app.view_functions.get(rule.endpoint), "operation", None)
        if op is None:
            continue
        path = _PATH_PARAM.sub(lambda m: "{" + m["name"] + "}", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((path, method.lower(), rule.endpoint, op, rule.rule))
    return sorted(found, key=lambda item: (item[0], item[1]))


def document(app: Flask) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API, in the request's language."""
    ops = operations(app)
    wanted: set[tuple[type[BaseModel], str]] = {(Error, "serialization")}
    for *_rest, op, _rule in ops:
        if op.body is not None:
            wanted.add((op.body, "validation"))
        wanted.update((model, "serialization") for model in op.response_models)
    ordered = sorted(wanted, key=lambda item: (item[0].__name__, item[1]))
    refs, defs = models_json_schema(ordered, ref_template=REF)
    schemas = _translated(defs.get("$defs", {}))
    paths: dict[str, dict] = {}
    for path, method, endpoint, op, rule in ops:
        paths.setdefault(path, {})[method] = _operation_json(endpoint, method, op, rule, refs, schemas)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": str(_l("Lianxiang shared-facility booking API")),
            "version": "1.0.0",
            "description": str(_l(
                "Book shared facilities, decide and record their use, and read the committee's reports. "
                "Authenticate with an API token: Authorization: Bearer <token>. Instants are ISO 8601: "
                "responses give UTC (Z) and the facility's local time with its offset; requests must carry "
                "an offset. Money and quantities are decimal strings. Errors are "
                "{\"error\": {\"code\", \"message\", \"details\"}} with stable codes. Lists are paged with "
                "page and per_page and Link headers. POST requests that create something accept an "
                "Idempotency-Key header: a retry with the same key returns the first answer.")),
        },
        "servers": [{"url": request.host_url.rstrip("/")}],
        "tags": [{"name": name, "description": str(text)} for name, text in TAGS.items()],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": str(_l("An API token created on the API tokens "
                                                                     "page or with POST /api/v1/tokens."))}},
        },
        "security": [{"bearerAuth": []}],
    }


def _operation_json(endpoint: str, method: str, op: Operation, rule: str, refs: dict,
                    schemas: dict) -> dict[str, Any]:
    body: dict[str, Any] = {
        "operationId": endpoint.removeprefix("api.") + ("" if method in ("get", "post") else f"_{method}"),
        "summary": str(op.summary),
        "tags": list(op.tags),
    }
    if op.description:
        body["description"] = str(op.description)
    scope = op.needed_scope(method.upper())
    if op.public:
        body["security"] = []
    else:
        body["x-scope"] = scope
    parameters = [_path_parameter(m["name"], m["converter"]) for m in _PATH_PARAM.finditer(rule)]
    if op.query is not None:
        parameters += _query_parameters(op.query, schemas)
    if op.idempotent:
        parameters.append({"name": "Idempotency-Key", "in": "header", "required": False,
                           "description": str(_l("Any unique string of up to 255 characters; a retry with the "
                                                 "same key and body returns the first answer, once.")),
                           "schema": {"type": "string", "minLength": 1, "maxLength": 255}})
    if parameters:
        body["parameters"] = parameters
    if op.body is not None:
        body["requestBody"] = {"required": op.body_required, "content": {
            "application/json": {"schema": refs[(op.body, "validation")]}}}
    body["responses"] = _responses(op, method, rule, refs)
    return body


def _path_parameter(name: str, converter: str | None) -> dict[str, Any]:
    schema = ({"type": "integer", "minimum": 0, "maximum": MAX_INT} if converter == "int"
              else {"type": "string"})
    return {"name": name, "in": "path", "required": True, "schema": schema}


def _query_parameters(model: type[BaseModel], schemas: dict) -> list[dict[str, Any]]:
    schema = _translated(model.model_json_schema(ref_template=REF))
    schemas.update(schema.get("$defs", {}))
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = _without_null(prop)
        prop.pop("title", None)
        description = prop.pop("description", None)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if prop.pop("x-comma-separated", False):
            parameter.update(style="form", explode=False)
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _translated(node: Any) -> Any:
    """The schemas with their descriptions (marked N_) in the reader's language."""
    if isinstance(node, dict):
        return {key: _(value) if key == "description" and isinstance(value, str) and value else _translated(value)
                for key, value in node.items()}
    if isinstance(node, list):
        return [_translated(item) for item in node]
    return node


def _without_null(schema: dict) -> dict:
    """A query parameter is absent or a value: the ``null`` of an optional field does not apply."""
    schema = dict(schema)
    if schema.get("default", 0) is None:
        del schema["default"]
    branches = [b for b in schema.get("anyOf", ()) if b != {"type": "null"}]
    if "anyOf" in schema and len(branches) == 1:
        del schema["anyOf"]
        schema = {**branches[0], **schema}
    return schema


def _responses(op: Operation, method: str, rule: str, refs: dict) -> dict[str, Any]:
    success: dict[str, Any] = {"description": str(op.summary)}
    schemas = [refs[(model, "serialization")] for model in op.response_models]
    if schemas:
        success["content"] = {op.media_type: {"schema": schemas[0] if len(schemas) == 1 else {"anyOf": schemas}}}
    elif op.media_type != "application/json":
        success["content"] = {op.media_type: {"schema": {"type": "string"}}}
    if op.headers:
        success["headers"] = {name: {"description": str(text), "schema": {"type": "string"}}
                              for name, text in op.headers.items()}
    responses: dict[str, Any] = {str(op.status): success}
    codes = set(op.errors)
    if not op.public:
        codes |= {401, 403, 429}
    if "<" in rule:
        codes.add(404)
    if op.query is not None or op.body is not None:
        codes.add(422)
    if method not in ("get", "delete"):
        codes |= {400, 422}
    if op.etag:
        codes.add(304)
    if op.idempotent:  # the same key sent twice at the same moment: idempotency_in_progress
        codes.add(409)
    for code in sorted(codes):
        entry: dict[str, Any] = {"description": str(_ERROR_TEXT[code])}
        if code != 304:
            entry["content"] = {"application/json": {"schema": refs[(Error, "serialization")]}}
        if code == 429:
            entry["headers"] = {"Retry-After": {"schema": {"type": "integer"}}}
        responses[str(code)] = entry
    return responses

