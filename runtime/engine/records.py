"""Records and events from outside: record types, creating and updating records (their
runs re-evaluate, triggers start runs), and events delivered to the runs waiting for them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from runtime import tracing
from runtime.engine.context import Host, RunContext, event, flush, load, transact
from runtime.engine.plain import json_copy, new_id, record_scope
from runtime.engine.rules import advance, complete_step
from runtime.engine.runs import start_run
from runtime.engine.steps.wait import event_matches
from runtime.errors import ConcurrentUpdate, InvalidInput, NotFound
from runtime.expressions import ExpressionError, make_scope
from runtime.limits import describe as describe_size
from runtime.limits import full_path, size_problem
from runtime.model import BufferedEvent, Orchestration, Record, RecordType, Run, Subscription
from runtime.spec import OrchestrationSpec
from runtime.states import LIVE_RUN, OPEN_STEP, RunStatus
from runtime.store.base import Transaction
from runtime.values import check_type

BUFFER_TTL = timedelta(days=30)


def publish_event(host: Host, name: str, correlation: Any, payload: Mapping[str, Any] | None) -> list[str]:
    """Deliver an event to every run waiting for it (or buffer it); returns their ids."""
    if not isinstance(name, str) or not name:
        raise InvalidInput("event name must be a non-empty string")
    for part, value in (("payload", payload or {}), ("correlation", correlation)):
        if too_big := size_problem(value):
            where = full_path(part, too_big)
            raise InvalidInput(f"{where} {too_big[1]}", {where: [too_big[1]]})
    body = json_copy(dict(payload or {}))
    correlation = json_copy(correlation)

    def op(tx: Transaction) -> list[str]:
        now = host.clock.now()
        received = {"name": name, "correlation": correlation, "payload": body}
        delivered: list[str] = []
        for sub in sorted(tx.find(Subscription, name=name), key=lambda s: s.id):
            ctx = load(host, tx, sub.run_id)
            step_run = ctx.steps.get(sub.step_id)
            if step_run is None or step_run.visit != sub.visit or step_run.status not in OPEN_STEP:
                tx.delete(Subscription, sub.id)
                continue
            if not event_matches(ctx, ctx.spec.steps[sub.step_id], sub.key, received):
                continue
            tx.delete(Subscription, sub.id)
            event(ctx, "event.received", node=sub.step_id, visit=sub.visit, data=received)
            complete_step(ctx, ctx.spec.steps[sub.step_id], outputs={"event": received}, extra={"event": received})
            advance(ctx)
            flush(ctx)
            delivered.append(ctx.run.id)
        if not delivered and buffers(host, tx, name):
            tx.insert(BufferedEvent(new_id(), name, correlation, body, now, now + BUFFER_TTL))
        return delivered

    with tracing.span("overture.event.publish", event=name) as span:
        delivered = transact(host, op)
        if span is not None:
            span.set_attributes({"overture.runs": delivered, "overture.outcome": "delivered" if delivered else "nobody waits"})
            if len(delivered) == 1:
                span.set_attribute("overture.run_id", delivered[0])
        return delivered


def define_record_type(host: Host, name: str, fields: list[dict[str, Any]], label: str | None) -> None:
    for f in fields:
        if check_type("string", f.get("name")) or f.get("type") not in (
            "string",
            "number",
            "integer",
            "boolean",
            "date",
            "datetime",
            "list",
            "map",
        ):
            raise InvalidInput(f"record type {name!r}: bad field {f!r}")
        options = f.get("options")
        if options is not None and (
            f["type"] != "string"
            or not isinstance(options, list)
            or not options
            or any(check_type("string", o) for o in options)
            or len(set(options)) != len(options)
        ):
            raise InvalidInput(
                f"record type {name!r}: field {f['name']!r}: options are a non-empty list of distinct strings, on a string field only"
            )

    def op(tx: Transaction) -> None:
        row = tx.get(RecordType, name)
        if row:
            row.fields, row.label = json_copy(list(fields)), label or row.label
            tx.update(row)
        else:
            tx.insert(RecordType(name, label or name, json_copy(list(fields)), host.clock.now()))

    transact(host, op)  # a transaction the web app's audit note is written in


def create_record(
    host: Host, tx: Transaction, object: str, fields: Mapping[str, Any], owner: str | None, idempotency_key: str | None
) -> dict[str, Any]:
    """Create a record in ``tx``; record-triggered orchestrations on ``create`` start on it."""
    check_object(object)
    # What this needs, read at once (one round trip on PostgreSQL).
    reads: list[tuple[type, Any]] = [(RecordType, object), (Orchestration, {})]
    if idempotency_key:
        reads.append((Record, {"idempotency_key": idempotency_key}))
    record_type, orchestrations, *existing = tx.read_several(reads)
    if existing and existing[0]:
        return {**json_copy(record_scope(existing[0][0])), "started_runs": []}
    now = host.clock.now()
    values = check_record_fields(object, json_copy(dict(fields)), partial=False, record_type=record_type)
    record = Record(new_id(), object, values, now, now, owner, 0, idempotency_key)
    tx.insert(record)
    started = trigger(host, tx, record, "create", None, active(orchestrations))
    return {**json_copy(record_scope(record)), "started_runs": started}


def update_record(
    host: Host,
    tx: Transaction,
    object: str,
    record_id: str,
    changes: Mapping[str, Any],
    by: str | None,
    owner: str | None = None,
    acting: RunContext | None = None,
) -> dict[str, Any]:
    """Update a record in ``tx``; every run bound to it re-evaluates. ``acting`` is the
    run whose local action made the change: it sees the new record at once and goes
    on in its own advance."""
    if not isinstance(record_id, str) or not isinstance(object, str):
        raise NotFound(f"record {object}/{record_id} does not exist")
    # What this needs, read at once (one round trip on PostgreSQL): the runs bound to the
    # record are read before the record's update is sent, which does not change them.
    reads: list[tuple[type, Any]] = [
        (Record, record_id),
        (RecordType, object),
        (Run, {"record_id": record_id, "status": RunStatus.IN_PROGRESS.value}),
        (Orchestration, {}),
    ]
    record, record_type, bound, orchestrations = tx.read_several(reads)
    if record is None or record.object != object:
        raise NotFound(f"record {object}/{record_id} does not exist")
    before = record_scope(record)
    values = check_record_fields(object, json_copy(dict(changes)), partial=True, record_type=record_type)
    record.fields = {**record.fields, **values}
    if owner is not None:
        record.owner = owner
    revision = record.revision
    record.updated_at, record.revision = host.clock.now(), revision + 1
    tx.update_or_raise(record, {"revision": revision}, ConcurrentUpdate(f"record {object}/{record_id} changed meanwhile"))
    for run in bound:
        if acting is not None and run.id == acting.run.id:
            acting.record, acting.scope_cache = record_scope(record), None
            event(acting, "record.updated", by=by, data={"changes": values, "own_action": True})
            continue
        ctx = load(host, tx, run.id)
        event(ctx, "record.updated", by=by, data={"changes": values})
        advance(ctx)
        flush(ctx)
    started = trigger(host, tx, record, "update", before, active(orchestrations))
    return {**json_copy(record_scope(record)), "started_runs": started}


def get_record(host: Host, object: str, record_id: str) -> dict[str, Any]:
    with host.store.transaction(write=False) as tx:
        record = tx.get(Record, record_id)
        if record is None or record.object != object:
            raise NotFound(f"record {object}/{record_id} does not exist")
        view: dict[str, Any] = json_copy(record_scope(record))
        return view


# -- triggers


def trigger(
    host: Host, tx: Transaction, record: Record, on: str, before: dict[str, Any] | None, orchestrations: list[Orchestration]
) -> list[str]:
    """Start the runs that record triggers on ``on`` (create | update) call for; returns their ids.
    ``orchestrations``: the active ones (:func:`active`), read in this transaction."""
    started = []
    now_scope = host.clock.now()
    # Active versions come from the orchestration rows and compiled specs (cached):
    # reading the versions themselves would decode every document on every save.
    for orch in orchestrations:
        spec = host.spec(orch.id, orch.active_version, tx=tx)
        when = spec.trigger
        if when.object != record.object:
            continue
        if when.type != "record" or on not in when.on:
            continue
        if not trigger_holds(spec, record_scope(record), now_scope):
            continue
        if on == "update":
            if before is not None and trigger_holds(spec, before, now_scope):
                continue
            if any(r.orchestration == spec.key for r in tx.find(Run, record_id=record.id, status=LIVE_RUN)):
                continue
        started.append(start_run(host, tx, spec, {}, record, None, trigger=on))
    return started


def trigger_holds(spec: OrchestrationSpec, record: dict[str, Any] | None, now: datetime) -> bool:
    if spec.trigger.condition is None:
        return True
    try:
        return spec.trigger.condition.evaluate(make_scope({"record": record, "now": now})) is True
    except ExpressionError:
        return False  # a record that lacks the fields the condition reads does not match


def active_orchestrations(tx: Transaction) -> list[Orchestration]:
    return active(tx.find(Orchestration))


def active(orchestrations: list[Orchestration]) -> list[Orchestration]:
    return sorted((o for o in orchestrations if o.active_version is not None), key=lambda o: o.id)


def check_object(object: str) -> None:
    if not isinstance(object, str) or not object:
        raise InvalidInput("record type must be a non-empty string")


def buffers(host: Host, tx: Transaction, name: str) -> bool:
    """Whether an active version keeps events of this name that nobody waits for yet."""
    for orch in active_orchestrations(tx):
        spec = host.spec(orch.id, orch.active_version, tx=tx)
        if any(s.event_name == name and s.buffer for s in spec.steps.values()):
            return True
    return False


def check_record_fields(object: str, values: dict[str, Any], *, partial: bool, record_type: RecordType | None) -> dict[str, Any]:
    """``values`` checked against the record type ``object`` (``record_type``: its row, as
    the caller read it; None: there is none)."""
    check_object(object)
    errors: dict[str, str] = {}
    for name, value in values.items():
        if too_big := size_problem(value):
            errors[str(name)] = describe_size(str(name), too_big)
    if record_type is None:
        if errors:
            raise InvalidInput(f"the fields of the {object} record are too large", {"fields": errors})
        return values
    declared = {f["name"]: f for f in record_type.fields}
    for name, value in values.items():
        field = declared.get(name)
        if field is None:
            errors[name] = f"is not a field of {object}"
        elif value is not None and (problem := check_type(field["type"], value)):
            errors.setdefault(name, problem)
        elif value is not None and field.get("options") is not None and value not in field["options"]:
            errors[name] = "must be one of: " + ", ".join(field["options"])
    if not partial:
        for name, field in declared.items():
            if field.get("required") and values.get(name) is None:
                errors[name] = "is required"
    if errors:
        raise InvalidInput(f"the fields do not fit the record type {object}", {"fields": errors})
    return values
