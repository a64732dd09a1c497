"""Traces of engine operations (runtime/tracing.py): which spans, their attributes, and the
parent of each, including jobs and timers that run after the span that scheduled them ended."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from runtime import tracing
from runtime.actions import default_registry
from runtime.clock import ManualClock
from runtime.directory import InMemoryDirectory
from runtime.engine import Engine
from runtime.model import Job, Timer
from runtime.store.memory import InMemoryStore
from tests.runtime.docs import one_stage, step


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.configure(provider)
    yield exporter
    tracing.configure(None)


def engine_with_ping(clock: ManualClock | None = None, store=None, **options) -> Engine:
    registry = default_registry()

    @registry.action("crm.ping")
    def ping(ctx, inputs):
        return {"pinged": True}

    return Engine(store or InMemoryStore(), clock or ManualClock(), InMemoryDirectory({"alice": ["legal"]}), actions=registry, **options)


CONTRACT = one_stage(
    step("call", "background", action="crm.ping"),
    step("pause", "wait", timer={"duration": "PT1H"}, start={"when": "after", "steps": ["call"]}),
    step("review", start={"when": "after", "steps": ["pause"]}),
    step("tell", "background", action="crm.ping", start={"when": "after", "steps": ["review"]}),
    key="contract",
)


def named(spans: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name]


def test_a_run_is_one_trace_from_the_request_that_started_it_through_jobs_and_timers(exporter):
    clock = ManualClock()
    engine = engine_with_ping(clock)
    engine.deploy(CONTRACT)
    tracer = tracing.tracer()
    with tracer.start_as_current_span("POST /api/runs") as request:
        run_id = engine.start("contract", started_by="sam")
    clock.advance("PT2H")  # the timer fires: not inside any request
    (item,) = engine.work_items(assignee="alice")
    with tracer.start_as_current_span("POST /api/work-items/<id>/complete") as completing:
        engine.complete(item["id"], by="alice", outcome="done")
    assert engine.get_run(run_id)["status"] == "completed"

    spans = exporter.get_finished_spans()
    (start,) = named(spans, "overture.run.start")
    assert start.parent.span_id == request.get_span_context().span_id
    assert start.attributes["overture.run_id"] == run_id
    assert start.attributes["overture.orchestration"] == "contract"
    assert start.attributes["overture.outcome"] == "in_progress"

    call, tell = named(spans, "overture.job")
    # The first job was scheduled by the start, and ran after it: a child all the same.
    assert call.context.trace_id == request.get_span_context().trace_id
    assert call.parent.span_id == start.context.span_id
    assert {k: call.attributes[k] for k in ("overture.run_id", "overture.node", "overture.action", "overture.outcome")} == {
        "overture.run_id": run_id,
        "overture.node": "call",
        "overture.action": "crm.ping",
        "overture.outcome": "succeeded",
    }
    assert call.attributes["overture.orchestration"] == "contract"

    # The timer was set when the job's result was recorded: it continues the job's span, hours later.
    (timer,) = named(spans, "overture.timer")
    assert timer.parent.span_id == call.context.span_id
    assert timer.context.trace_id == request.get_span_context().trace_id
    told = [timer.attributes[f"overture.{k}"] for k in ("node", "kind", "outcome", "orchestration")]
    assert told == ["pause", "wait", "completed", "contract"]

    # A person completes the review in a request of their own: a trace of its own, linked to
    # the contract's (the timer's span created the work item), and the job it schedules follows it.
    (complete,) = named(spans, "overture.work_item.complete")
    assert complete.parent.span_id == completing.get_span_context().span_id
    (link,) = complete.links
    assert (link.context.trace_id, link.context.span_id) == (request.get_span_context().trace_id, timer.context.span_id)
    assert complete.attributes["overture.node"] == "review"
    assert complete.attributes["overture.outcome"] == "done"
    assert complete.attributes["overture.run_id"] == run_id
    assert tell.parent.span_id == complete.context.span_id
    assert tell.context.trace_id == completing.get_span_context().trace_id


def test_an_event_continues_the_trace_of_whoever_published_it(exporter):
    engine = engine_with_ping()
    engine.deploy(
        one_stage(
            step("paid", "wait", event={"name": "payment", "correlation": "inputs.order"}),
            step("thank", "background", action="crm.ping", start={"when": "after", "steps": ["paid"]}),
            inputs=[{"name": "order", "type": "string", "required": True}],
            key="order",
        )
    )
    run_id = engine.start("order", {"order": "A-1"})
    with tracing.tracer().start_as_current_span("POST /api/events") as request:
        assert engine.publish_event("payment", "A-1", {"amount": 10}) == [run_id]
    spans = exporter.get_finished_spans()
    (publish,) = named(spans, "overture.event.publish")
    assert publish.parent.span_id == request.get_span_context().span_id
    assert publish.attributes["overture.event"] == "payment"
    assert publish.attributes["overture.run_id"] == run_id
    assert publish.attributes["overture.outcome"] == "delivered"
    (thank,) = [s for s in named(spans, "overture.job") if s.attributes["overture.node"] == "thank"]
    assert thank.parent.span_id == publish.context.span_id


def test_off_the_engine_keeps_nothing():
    assert tracing.tracer() is None
    assert tracing.span("overture.run.start", run_id="r") is tracing.span("overture.job")  # one shared no-op
    engine = engine_with_ping(autoprocess=False)
    engine.deploy(CONTRACT)
    engine.start("contract")
    with engine.store.transaction(write=False) as tx:
        (job,) = tx.find(Job)
    assert job.trace_context is None
    assert tracing.current_run.get() is None


def test_jobs_and_timers_keep_the_traceparent_of_the_span_that_scheduled_them(exporter, store):
    engine = engine_with_ping(store=store, autoprocess=False)  # another process (a worker) runs them later
    engine.deploy(CONTRACT)
    with tracing.tracer().start_as_current_span("request"):
        engine.start("contract")
    (start,) = named(exporter.get_finished_spans(), "overture.run.start")
    with engine.store.transaction(write=False) as tx:
        (job,) = tx.find(Job)
    assert job.trace_context.startswith(f"00-{start.context.trace_id:032x}-{start.context.span_id:016x}-")

    worker = Engine(engine.store, engine.clock, engine.directory, actions=engine.actions, autoprocess=False, worker_id="w2")
    exporter.clear()
    worker.process()
    (ran,) = named(exporter.get_finished_spans(), "overture.job")
    assert (ran.context.trace_id, ran.parent.span_id) == (start.context.trace_id, start.context.span_id)
    with engine.store.transaction(write=False) as tx:
        (timer,) = tx.find(Timer)
    assert timer.trace_context.startswith(f"00-{ran.context.trace_id:032x}-{ran.context.span_id:016x}-")
