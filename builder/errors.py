"""Every error is JSON: ``{"error": {"code", "message", "details"}}`` (ARCHITECTURE §4).

Bad input is a 4xx that says what is wrong and where; a 500 means a bug of ours.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from runtime.errors import OvertureError

log = logging.getLogger(__name__)

#: Runtime error codes and the HTTP status each one means.
STATUS = {
    "not_found": 404,
    "forbidden": 403,
    "conflict": 409,
    "invalid": 422,
    "invalid_document": 422,
}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: Any = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def error_response(status: int, code: str, message: str, details: Any = None) -> Any:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = _text_keys(details)
    response = jsonify({"error": body})
    response.status_code = status
    return response


def _text_keys(value: Any) -> Any:
    """``value`` with every mapping's keys as text: marshmallow keys list items by index
    (``{0: ..., "_schema": ...}``), and sorting mixed keys for JSON would fail."""
    if isinstance(value, dict):
        return {str(key): _text_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_text_keys(item) for item in value]
    return value


def too_large() -> ApiError:
    """413 for a body over ``MAX_CONTENT_LENGTH``, whether it said its length or came in chunks."""
    limit = request.max_content_length
    return ApiError(413, "request_entity_too_large", f"the request body is larger than the server takes ({limit} bytes): send less")


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(exc: ApiError) -> Any:
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(OvertureError)
    def runtime_error(exc: OvertureError) -> Any:
        return error_response(STATUS.get(exc.code, 400), exc.code, exc.message, exc.details)

    @app.errorhandler(ValidationError)
    def invalid_payload(exc: ValidationError) -> Any:
        return error_response(422, "invalid", "the request body does not fit: see details", exc.messages)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        if isinstance(exc, RequestEntityTooLarge):
            return api_error(too_large())
        code = (exc.name or "error").lower().replace(" ", "_")
        message = exc.description or exc.name
        methods = [m for m in getattr(exc, "valid_methods", None) or () if m not in ("HEAD", "OPTIONS")]
        if methods:  # 405
            message = f"{request.method} is not allowed on {request.path}; it takes {', '.join(sorted(methods))}"
        response = error_response(exc.code or 500, code, message)
        # The exception's own headers (Allow on a 405, Retry-After...), but our JSON body.
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        log.exception("unhandled error")
        return error_response(500, "internal", "something went wrong on our side; it has been logged")
