"""``GET /api/openapi.json``: the API described from the app itself (OpenAPI 3).

Every rule of ``app.url_map`` under ``/api`` is listed, so a new route is documented
the moment it is registered. What a view reads comes from its ``@uses(...)``
declaration (``builder.requests.uses``, which ``body()`` and ``query()`` enforce);
who may call it from ``roles()``, ``tokens_allowed`` and ``public``; its summary from
its docstring. Schemas are converted by apispec's marshmallow plugin.
"""

from __future__ import annotations

import re
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, jsonify
from werkzeug.routing import Rule

from builder.auth import STATE_CHANGING, public
from builder.extensions import real_app
from builder.requests import MAX_LIMIT, CommaSeparated, Uses

bp = Blueprint("openapi", __name__, url_prefix="/api")

PREFIX = "/api/"
_ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\([^)]*\))?:)?(?P<name>\w+)>")
_TYPES = {"int": {"type": "integer"}, "float": {"type": "number"}}
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string", "example": "invalid"},
                "message": {"type": "string"},
                "details": {"description": "what is wrong and where (e.g. marshmallow's messages per field)"},
            },
        }
    },
}
#: What a list answers (``builder.requests.paginate``).
PAGE = {
    "type": "object",
    "required": ["items", "next_cursor"],
    "properties": {
        "items": {"type": "array", "items": {"type": "object"}},
        "next_cursor": {"type": "string", "nullable": True, "description": "give it as cursor for the next page; null on the last"},
        "total": {"type": "integer", "description": "how many items match in all, when asked with total=1 (work items)"},
    },
}
#: The statuses an operation may answer with an error, and when.
ERRORS = {
    "400": "malformed JSON or query string",
    "401": "not signed in, an unknown bearer token, or (signing in) a wrong user name or password",
    "403": "the caller's role (or a bearer token) may not do this, or a missing X-CSRF-Token",
    "404": "no such thing, or one the caller may not see",
    "409": "a conflict with what someone else did meanwhile",
    "413": "the body is larger than the server takes (the message says how large it may be)",
    "415": "the body is not JSON",
    "422": "the body does not fit: every problem in details",
    "429": "too many wrong passwords from this address: try again after Retry-After seconds",
}
#: Sign-in answers a wrong password with 401 although it needs no session.
ANONYMOUS_401 = {"session.login"}
PAGING = [
    {"in": "query", "name": "cursor", "schema": {"type": "string"}, "description": "next_cursor of the previous page"},
    {"in": "query", "name": "limit", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": 50}},
]


def _path(rule: Rule) -> tuple[str, list[dict[str, Any]]]:
    """``/api/runs/<run_id>`` -> ``/api/runs/{run_id}`` and its path parameters."""
    parameters = [
        {"in": "path", "name": m["name"], "required": True, "schema": _TYPES.get(m["converter"] or "", {"type": "string"})}
        for m in _ARGUMENT.finditer(rule.rule)
    ]
    return _ARGUMENT.sub(r"{\g<name>}", rule.rule), parameters


def _security(view: Any, method: str) -> list[dict[str, list[str]]]:
    if getattr(view, "public", False):
        return []
    cookie: dict[str, list[str]] = {"session": []}
    if method in STATE_CHANGING:
        cookie["csrf"] = []
    return [cookie, {"bearer": []}] if getattr(view, "tokens_allowed", False) else [cookie]


def _operation(rule: Rule, method: str, view: Any) -> dict[str, Any]:
    declared: Uses = getattr(view, "uses", Uses())
    doc = (view.__doc__ or "").strip()
    operation: dict[str, Any] = {
        "operationId": rule.endpoint,
        "tags": [rule.endpoint.split(".", 1)[0]],
        "summary": doc.splitlines()[0] if doc else rule.endpoint.rsplit(".", 1)[-1].replace("_", " "),
        "security": _security(view, method),
        "parameters": [],
        "responses": {"204": {"description": "done (no body)"}}
        if declared.empty
        else {
            "2XX": {
                "description": "a page of the list" if declared.paged else "done",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Page"} if declared.paged else {"type": "object"}}
                },
            }
        },
    }
    if doc:
        operation["description"] = doc
    roles = getattr(view, "allowed_roles", None)
    if roles is not None:
        operation["x-roles"] = list(roles)
        operation["x-bearer-tokens"] = bool(getattr(view, "tokens_allowed", False))
    if declared.query is not None:
        operation["parameters"].append({"in": "query", "schema": declared.query})
    if declared.paged:
        operation["parameters"].extend(PAGING)
    if not operation["parameters"]:
        del operation["parameters"]
    if declared.body is not None:
        operation["requestBody"] = {"required": not declared.optional, "content": {"application/json": {"schema": declared.body}}}
    # A view that reads or answers another format than JSON (``builder/api/bpmn.py``: XML) says so.
    media = getattr(view, "media", None) or {}
    if media.get("body"):
        text = {"type": "string", "minLength": 1}
        operation["requestBody"] = {"required": True, "content": {kind: {"schema": text} for kind in media["body"]}}
    if media.get("response"):
        operation["responses"]["2XX"]["content"] = {media["response"]: {"schema": {"type": "string"}}}
    errors = {"400", "404"} | ({"409"} if method in STATE_CHANGING else set())
    if operation["security"]:
        errors |= {"401", "403"}
    if declared.body is not None or media.get("body"):
        errors |= {"413", "415", "422"}
    if rule.endpoint in ANONYMOUS_401:
        errors |= {"401"}
    if getattr(view, "throttled", False):  # builder.auth.throttled
        errors |= {"429"}
    operation["responses"].update({status: {"$ref": f"#/components/responses/{status}"} for status in sorted(errors)})
    return operation


def build(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of ``app``'s routes under /api."""
    plugin = MarshmallowPlugin()
    spec = APISpec(
        title="Overture",
        version="1",
        openapi_version="3.0.3",
        plugins=[plugin],
        info={
            "description": "Flow orchestration builder and runtime (docs/ARCHITECTURE.md §4). Errors are "
            '{"error": {"code", "message", "details"}}.'
        },
    )
    plugin.map_to_openapi_type(CommaSeparated, "string", None)
    spec.components.schema("Error", ERROR)
    spec.components.schema("Page", PAGE)
    for status, description in ERRORS.items():
        spec.components.response(
            status, {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        )
    spec.components.security_scheme(
        "session",
        {
            "type": "apiKey",
            "in": "cookie",
            "name": app.config.get("SESSION_COOKIE_NAME", "session"),
            "description": "people: sign in with POST /api/session",
        },
    )
    spec.components.security_scheme(
        "csrf",
        {
            "type": "apiKey",
            "in": "header",
            "name": "X-CSRF-Token",
            "description": "with the session cookie, on every POST/PUT/PATCH/DELETE (GET /api/session gives it)",
        },
    )
    spec.components.security_scheme(
        "bearer",
        {"type": "http", "scheme": "bearer", "description": "systems: may start runs, create and update records and publish events"},
    )
    operations: dict[str, tuple[list[dict[str, Any]], dict[str, Any]]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(PREFIX) or rule.websocket:
            continue
        path, parameters = _path(rule)
        view = app.view_functions[rule.endpoint]
        _params, ops = operations.setdefault(path, (parameters, {}))
        for method in sorted((rule.methods or set()) & set(_METHODS)):
            ops[method.lower()] = _operation(rule, method, view)
    for path, (parameters, ops) in operations.items():
        spec.path(path=path, parameters=parameters or None, operations=ops)
    return spec.to_dict()


@bp.get("/openapi.json")
@public
def openapi() -> Any:
    """This document."""
    app = real_app()
    document = app.extensions.get("overture_openapi")
    if document is None:  # routes cannot change once the app serves requests
        document = app.extensions["overture_openapi"] = build(app)
    return jsonify(document)
