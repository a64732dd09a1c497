"""runtime/audit.py: the note an engine operation runs under is written once, in the
operation's own transaction, with the object's state before and after; on every store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from runtime.audit import Actor, Note, compact, noting, pending
from runtime.engine import Engine
from runtime.engine.context import transact
from runtime.errors import ConcurrentUpdate, Conflict
from runtime.model import AuditEntry, Run
from runtime.store.base import Transaction
from tests.runtime.docs import one_stage, step

AT = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
FORM = {"fields": [], "outcomes": [{"value": "done", "label": "Done"}]}


def status(tx: Transaction, run_id: str) -> dict[str, Any] | None:
    run = tx.get(Run, run_id)
    return None if run is None else {"status": run.status}


def note(action: str, object_id: str | None = None, **given: Any) -> Note:
    return Note(Actor("otto", "user", "10.0.0.8"), AT, action, "run", object_id, state=status, **given)


def logged(engine: Engine) -> list[AuditEntry]:
    with engine.store.transaction(write=False) as tx:
        return sorted(tx.find(AuditEntry), key=lambda e: e.action)


def test_an_operation_writes_its_note_once_with_before_and_after(engine: Engine):
    engine.deploy(one_stage(step("review", assignee={"type": "user", "value": "bob"}, form=FORM), key="deal"))
    with noting(note("run.started")) as started:
        run_id = engine.start("deal")
    assert started.taken and pending() is None
    with noting(note("run.cancelled", run_id, after={"reason": "duplicate"})):
        engine.cancel(run_id, by="otto")
        assert pending() is None  # taken: what runs next in this context writes nothing
        engine.process()
    first, second = logged(engine)
    cancelled = {"status": "cancelled", "reason": "duplicate"}
    assert (first.action, first.object_id, first.before, first.after) == ("run.cancelled", run_id, {"status": "in_progress"}, cancelled)
    assert (second.action, second.object_id, second.before, second.after) == ("run.started", run_id, None, {"status": "in_progress"})
    assert (first.actor, first.actor_kind, first.address, first.at) == ("otto", "user", "10.0.0.8", AT)


def test_a_failed_operation_writes_nothing_and_a_retried_one_writes_once(engine: Engine):
    engine.deploy(one_stage(step("review", assignee={"type": "user", "value": "bob"}, form=FORM), key="deal"))
    run_id = engine.start("deal")
    engine.cancel(run_id)
    refused = note("run.resumed", run_id)
    with noting(refused), pytest.raises(Conflict):
        engine.resume(run_id, by="otto")
    assert not refused.taken and logged(engine) == []

    attempts: list[str] = []

    def op(tx: Transaction) -> str:
        attempts.append("try")
        tx.insert(AuditEntry(f"other{len(attempts)}", AT, None, "anonymous", None, "x", "run", None, None))
        if len(attempts) == 1:
            raise ConcurrentUpdate("another process was first")
        return run_id

    with noting(note("run.started")):
        assert transact(engine, op) == run_id
    entries = [e for e in logged(engine) if e.action == "run.started"]
    assert len(attempts) == 2 and len(entries) == 1 and entries[0].object_id == run_id
    assert [e.id for e in logged(engine) if e.action == "x"] == ["other2"]  # the first attempt rolled back


def test_unchanged_fields_are_left_out():
    assert compact({"status": "a", "version": 1}, {"status": "b", "version": 1}) == ({"status": "a"}, {"status": "b"})
    assert compact(None, {"name": "crm"}) == (None, {"name": "crm"})
    assert compact({"label": "x"}, None) == ({"label": "x"}, None)
