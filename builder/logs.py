"""Logs: plain text by default; JSON lines with ``OVERTURE_LOG_FORMAT=json``.

In JSON, every line is one object: ``time``, ``level``, ``logger``, ``message`` and, always
present (null when unknown), ``request_id``, ``trace_id``, ``span_id``, ``user`` and
``run_id`` — the request being served, the trace of the current span (builder/telemetry.py),
who made the request, and the run the engine is working on (runtime/tracing.py keeps it).
Each request adds one line (``method``, ``path``, ``status``, ``duration_ms``) in place of
gunicorn's access log. An exception's traceback is in ``exception``.

Every response carries ``X-Request-Id``: the caller's, when it sent a sane one (a proxy's),
else one made here.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any, TextIO

from flask import Flask, Response, g, has_request_context, request

from builder import auth
from runtime import tracing

FORMATS = ("text", "json")
#: A request id a caller may choose: what proxies send (a UUID, a hex or base64 token...).
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")
#: What every JSON line holds besides the message, whether known or not.
CONTEXT = ("request_id", "trace_id", "span_id", "user", "run_id")
#: The fields of a LogRecord itself; anything else on a record came through ``extra=``.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", *CONTEXT}

log = logging.getLogger("builder.access")
_handler: logging.Handler | None = None
_level_before = logging.NOTSET


def log_format(value: str | None) -> str:
    """``OVERTURE_LOG_FORMAT``, checked (default ``text``)."""
    name = (value or "text").strip().lower()
    if name not in FORMATS:
        raise ValueError(f"OVERTURE_LOG_FORMAT must be text or json, not {value!r}")
    return name


class Context(logging.Filter):
    """Puts the request, trace, user and run a line is about on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        values: dict[str, Any] = dict.fromkeys(CONTEXT)
        if has_request_context():
            values["request_id"] = g.get("request_id")
            who = auth.current() if "principal" in g else None
            values["user"] = who.name if who is not None else None
        values["run_id"] = tracing.current_run.get()
        if tracing.tracer() is not None:
            from opentelemetry import trace

            span = trace.get_current_span().get_span_context()
            if span.is_valid:
                values["trace_id"], values["span_id"] = f"{span.trace_id:032x}", f"{span.span_id:016x}"
        for name, value in values.items():
            setattr(record, name, value)
        return True


class JsonLines(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({name: getattr(record, name, None) for name in CONTEXT})
        line.update({k: v for k, v in vars(record).items() if k not in _RECORD_FIELDS})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure(fmt: str, stream: TextIO | None = None) -> None:
    """Send the process's logs as JSON lines to ``stream`` (stderr) when ``fmt`` is json;
    with text, leave logging as Python and gunicorn set it up."""
    global _handler, _level_before
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
        root.setLevel(_level_before)
        _handler = None
    if fmt != "json":
        return
    _handler = logging.StreamHandler(stream or sys.stderr)
    _handler.setFormatter(JsonLines())
    _handler.addFilter(Context())
    root.addHandler(_handler)
    _level_before = root.level
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


def _begin() -> None:
    asked = request.headers.get("X-Request-Id", "")
    g.request_id = asked if _REQUEST_ID.fullmatch(asked) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish(response: Response) -> Response:
    response.headers["X-Request-Id"] = g.get("request_id") or ""
    if _handler is not None:
        took = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
        log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={"method": request.method, "path": request.path, "status": response.status_code, "duration_ms": round(took, 1)},
        )
    return response


def init_app(app: Flask) -> None:
    app.config["LOG_FORMAT"] = log_format(app.config.get("LOG_FORMAT"))
    configure(app.config["LOG_FORMAT"], app.config.get("LOG_STREAM"))
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request(_finish)
