"""Traces of engine operations (OpenTelemetry), and the run a log line is about.

A span per engine operation — a run started, a work item completed, an event published,
a timer fired, a job executed — with the run, orchestration, node and outcome as
attributes. A job and a timer keep the W3C ``traceparent`` of the span that scheduled
them (``trace_context`` on their rows), so the span of the worker that runs them later,
in any process, is a child of that span: one trace from the request that started a run
through every step that followed from it.

Off until :func:`configure` turns it on (``builder/telemetry.py`` does, when the
``OTEL_*`` variables ask for traces). While off, :func:`span` hands back one shared
do-nothing context manager and :func:`trace_context` ``None``: the engine pays a call
and a check per operation. Only the OpenTelemetry API is used here; the SDK, its
exporter and their settings belong to the process that configures them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opentelemetry.trace import Span, Tracer, TracerProvider

#: The run the current engine operation is about (for log lines), while run context is kept.
current_run: ContextVar[str | None] = ContextVar("overture_run", default=None)

_tracer: Tracer | None = None
_keep_run = False


def configure(provider: TracerProvider | None, *, run_context: bool = False) -> None:
    """Trace with ``provider`` (None: no traces); ``run_context``: keep :data:`current_run`."""
    global _tracer, _keep_run
    _tracer = provider.get_tracer("overture") if provider is not None else None
    _keep_run = run_context


def tracer() -> Tracer | None:
    """The tracer the engine's spans come from (None when off); the web app's request spans use it too."""
    return _tracer


class _Off:
    """What :func:`span` gives while nothing is kept: enters to None, does nothing."""

    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


_OFF = _Off()


def span(name: str, *, parent: str | None = None, **attributes: Any) -> Any:
    """A context manager around one engine operation; enters to the span (None when off).

    Args:
        name: e.g. ``overture.run.start``.
        parent: a stored ``traceparent`` to continue (a job's, a timer's); default: the current span.
        attributes: ``run_id``, ``orchestration``, ``node``, ``outcome``... (prefixed ``overture.``;
            None values are left out).
    """
    if _tracer is None and not _keep_run:
        return _OFF
    return _operation(name, parent, attributes)


@contextmanager
def _operation(name: str, parent: str | None, attributes: dict[str, Any]) -> Iterator[Span | None]:
    token = current_run.set(attributes.get("run_id")) if _keep_run else None
    try:
        if _tracer is None:
            yield None
            return
        context = extract({"traceparent": parent}) if parent else None
        with _tracer.start_as_current_span(name, context=context, attributes=_attributes(attributes)) as current:
            yield current
    finally:
        if token is not None:
            current_run.reset(token)


def annotate(**attributes: Any) -> None:
    """Add attributes to the current operation's span (the run id once it is known...)."""
    if _keep_run and attributes.get("run_id"):
        current_run.set(attributes["run_id"])
    if _tracer is None:
        return
    from opentelemetry import trace

    trace.get_current_span().set_attributes(_attributes(attributes))


def link(traceparent: str | None) -> None:
    """Link the current span to a stored ``traceparent``: a person completing a work item
    serves a request of their own, related to (not caused by) the trace that created it."""
    if _tracer is None or not traceparent:
        return
    from opentelemetry import trace

    linked = trace.get_current_span(extract({"traceparent": traceparent})).get_span_context()
    if linked.is_valid:
        trace.get_current_span().add_link(linked)


def trace_context() -> str | None:
    """The current span as a W3C ``traceparent`` (to store with a job or a timer); None when off."""
    if _tracer is None:
        return None
    carrier: dict[str, str] = {}
    inject(carrier)
    return carrier.get("traceparent")


def inject(headers: MutableMapping[str, str]) -> None:
    """Put the current span's ``traceparent`` into outgoing ``headers`` (nothing when off)."""
    if _tracer is None:
        return
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    TraceContextTextMapPropagator().inject(headers)


def extract(headers: Mapping[str, str]) -> Any:
    """The context an inbound ``traceparent`` header continues (an empty context without one)."""
    from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

    return TraceContextTextMapPropagator().extract(headers)


def _attributes(values: Mapping[str, Any]) -> dict[str, Any]:
    return {f"overture.{k}": v for k, v in values.items() if v is not None}


def resumed(traceparent: str | None) -> Any:
    """A context manager under which ``traceparent`` is the current span again (its span
    has ended; what starts or is scheduled meanwhile continues its trace). Nothing when off."""
    if _tracer is None or not traceparent:
        return _OFF
    return _resumed(traceparent)


@contextmanager
def _resumed(traceparent: str) -> Iterator[None]:
    from opentelemetry import context

    token = context.attach(extract({"traceparent": traceparent}))
    try:
        yield
    finally:
        context.detach(token)
