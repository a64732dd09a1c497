"""Traces (OpenTelemetry): the exporter the ``OTEL_*`` variables ask for, and a span per request.

Off unless the environment asks: ``OTEL_TRACES_EXPORTER`` (``otlp``, ``console``; ``none``
turns it off), or, without it, an OTLP endpoint (``OTEL_EXPORTER_OTLP_ENDPOINT`` or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``). ``OTEL_SDK_DISABLED=true`` wins over both. The
rest is the SDK's own reading of the standard variables: the exporter's endpoint, headers,
timeout and compression, ``OTEL_SERVICE_NAME`` (default ``overture``),
``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_TRACES_SAMPLER``, ``OTEL_BSP_*``. OTLP goes over
HTTP (protobuf); gRPC is not installed, so asking for it stops the start with a message.

Each request gets a server span (``GET /api/runs/<run_id>``, the route, never the ids) that
continues the caller's W3C ``traceparent`` header; the engine's spans (runtime/tracing.py)
are its children, and the jobs and timers they schedule carry the trace to whichever worker
runs them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, g, request

from builder import auth
from runtime import tracing

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

EXPORTERS = ("otlp", "console")
#: The provider this process built from its environment (one per process, however many apps).
_from_environment: dict[tuple[tuple[str, str], ...], TracerProvider | None] = {}


class TelemetrySettingsError(ValueError):
    """An ``OTEL_*`` value this server cannot honour."""


def wanted(env: Mapping[str, str]) -> list[str]:
    """The exporters the environment asks for ([] = no traces)."""
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    names = [n.strip().lower() for n in env.get("OTEL_TRACES_EXPORTER", "").split(",") if n.strip()]
    if not names:
        endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        return ["otlp"] if endpoint else []
    if "none" in names:
        return []
    for name in names:
        if name not in EXPORTERS:
            raise TelemetrySettingsError(f"OTEL_TRACES_EXPORTER: {name!r} is not supported here (otlp, console or none)")
    if "otlp" in names:
        protocol = env.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL") or env.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf"
        if protocol != "http/protobuf":
            raise TelemetrySettingsError(f"OTEL_EXPORTER_OTLP_PROTOCOL: {protocol!r} is not supported here (http/protobuf)")
    return names


def provider_from_environment(env: Mapping[str, str]) -> TracerProvider | None:
    """The tracer provider the ``OTEL_*`` variables describe (None: traces off); built once per
    process and made the global one, so its exporter's batches are flushed at exit."""
    key = tuple(sorted((k, v) for k, v in env.items() if k.startswith("OTEL_")))
    if key in _from_environment:
        return _from_environment[key]
    names = wanted(env)
    provider = _build(names) if names else None
    if provider is not None and not _from_environment:
        from opentelemetry import trace

        trace.set_tracer_provider(provider)
    _from_environment[key] = provider
    return provider


def _build(names: list[str]) -> TracerProvider:
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

    resource = Resource.create()
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: "overture"}))
    provider = TracerProvider(resource=resource)
    for name in names:
        exporter: SpanExporter
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            exporter = OTLPSpanExporter()
        else:
            exporter = ConsoleSpanExporter()
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def configure(provider: TracerProvider | None, *, log_format: str | None = None) -> None:
    """Turn the engine's spans on with ``provider`` (or off), and keep the run of each operation
    for log lines when they are JSON (builder/logs.py)."""
    tracing.configure(provider, run_context=log_format == "json")


def _begin() -> None:
    tracer = tracing.tracer()
    if tracer is None:
        return
    from opentelemetry import context, trace

    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    span = tracer.start_span(
        f"{request.method} {route}",
        context=tracing.extract({k: v for k in ("traceparent", "tracestate") if (v := request.headers.get(k))}),
        kind=trace.SpanKind.SERVER,
        attributes={"http.request.method": request.method, "http.route": route, "url.path": request.path},
    )
    g.trace_span = span
    g.trace_token = context.attach(trace.set_span_in_context(span))


def _status(response: Response) -> Response:
    span = g.get("trace_span")
    if span is not None:
        span.set_attribute("http.response.status_code", response.status_code)
        who = auth.current()
        if who is not None:
            span.set_attribute("enduser.id", who.name)
        if response.status_code >= 500:
            from opentelemetry.trace import StatusCode

            span.set_status(StatusCode.ERROR)
    return response


def _end(exc: BaseException | None) -> None:
    span = g.pop("trace_span", None)
    if span is None:
        return
    from opentelemetry import context

    if exc is not None:
        from opentelemetry.trace import StatusCode

        span.record_exception(exc)
        span.set_status(StatusCode.ERROR)
    span.end()
    context.detach(g.pop("trace_token"))


def init_app(app: Flask) -> None:
    provider: Any = app.config.get("TRACER_PROVIDER")
    if provider is None:
        provider = provider_from_environment(os.environ)
    configure(provider, log_format=app.config.get("LOG_FORMAT"))
    # Before the other hooks (sign-in first of all): the span covers them.
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request(_status)
    app.teardown_request(_end)
