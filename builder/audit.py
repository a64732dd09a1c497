"""The audit log from the web app's side (the rules are runtime/audit.py's; README, "Audit log").

Every audited operation writes one entry in the transaction of its change:

- an engine operation runs inside :func:`audited`, whose note the engine's transaction
  completes (before and after read there, by the ``*_state`` readers below) and writes;
- a change the web app makes in its own session (people, groups, tokens, secrets, drafts,
  scenarios, sign-ins) adds its entry with :func:`record` before the session commits.

Who is the caller (``g.principal``: a person, or a token as ``token:<name>``), from where
the client address (the one ``OVERTURE_TRUSTED_PROXIES`` proxies vouch for), and when real
time (the clock sessions use, not the engine's, which tests and scenarios move).
Reads write nothing. Values of secrets and passwords never reach an entry.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import datetime
from typing import Any

from flask import current_app, g
from sqlalchemy.orm import Session

from builder.requests import client_address
from runtime.audit import Actor, Note, State, noting
from runtime.model import Migration, Orchestration, RecordType, Run, WorkItem
from runtime.store.base import Transaction
from runtime.store.tables import AuditEntryRow


def actor() -> Actor:
    """The caller of this request and its address (``anonymous`` before sign-in)."""
    principal = g.get("principal")
    if principal is None:
        return Actor(None, "anonymous", client_address() or None)
    return Actor(principal.name, principal.kind, client_address() or None)


def now() -> datetime:
    clock = current_app.config["SESSION_CLOCK"]
    at: datetime = clock.now()
    return at


def note(action: str, object_type: str, object_id: str | None = None, *, who: Actor | None = None, **given: Any) -> Note:
    """An entry of this request's caller, now (``given``: the rest of :class:`Note`'s fields)."""
    given.setdefault("label_of", LABELS.get(object_type))
    return Note(who or actor(), now(), action, object_type, object_id, **given)


@contextmanager
def audited(action: str, object_type: str, object_id: str | None = None, *, state: State | None = None, **given: Any) -> Iterator[Note]:
    """Run an engine operation inside: its write transaction writes the entry (``object_id``
    None: the operation's result is the object's id)."""
    with noting(note(action, object_type, object_id, state=state or STATES.get(object_type), **given)) as pending:
        yield pending


def record(
    session: Session,
    action: str,
    object_type: str,
    object_id: str | None,
    *,
    label: str | None = None,
    before: Any = None,
    after: Any = None,
    who: Actor | None = None,
) -> None:
    """Add the entry of a change made in ``session`` (it commits with the change)."""
    entry = note(action, object_type, object_id, label=label, before=before, after=after, who=who).entry()
    session.add(AuditEntryRow(**asdict(entry)))


# -- what an entry keeps of the engine's objects, read in the operation's transaction


def run_state(tx: Transaction, run_id: str) -> dict[str, Any] | None:
    run = tx.get(Run, run_id)
    return None if run is None else {"status": run.status, "version": run.version}


def item_state(tx: Transaction, item_id: str) -> dict[str, Any] | None:
    item = tx.get(WorkItem, item_id)
    if item is None:
        return None
    return {
        "status": item.status,
        "assignee": {"type": item.assignee_type, "value": item.assignee_value},
        "claimed_by": item.claimed_by,
        "completed_by": item.completed_by,
        "outcome": item.outcome,
        "on_behalf_of": item.on_behalf_of,
    }


def orchestration_state(tx: Transaction, key: str) -> dict[str, Any] | None:
    orchestration = tx.get(Orchestration, key)
    return None if orchestration is None else {"active_version": orchestration.active_version}


def record_type_state(tx: Transaction, name: str) -> dict[str, Any] | None:
    row = tx.get(RecordType, name)
    return None if row is None else {"label": row.label, "fields": row.fields}


def migration_state(tx: Transaction, migration_id: str) -> dict[str, Any] | None:
    row = tx.get(Migration, migration_id)
    return None if row is None else {"status": row.status, "plan": row.plan}


def variables_state(names: list[str]) -> State:
    """The run's ``names`` variables (only those an operation edits)."""

    def state(tx: Transaction, run_id: str) -> dict[str, Any] | None:
        run = tx.get(Run, run_id)
        return None if run is None else {"vars": {name: run.vars.get(name) for name in names}}

    return state


def _run_label(tx: Transaction, run_id: str) -> str | None:
    run = tx.get(Run, run_id)
    if run is None:
        return None
    orchestration = tx.get(Orchestration, run.orchestration)
    return f"{orchestration.label if orchestration else run.orchestration} v{run.version}"


def _item_label(tx: Transaction, item_id: str) -> str | None:
    item = tx.get(WorkItem, item_id)
    return None if item is None else item.label


def _orchestration_label(tx: Transaction, key: str) -> str | None:
    orchestration = tx.get(Orchestration, key)
    return None if orchestration is None else orchestration.label


def _record_type_label(tx: Transaction, name: str) -> str | None:
    row = tx.get(RecordType, name)
    return None if row is None else row.label


STATES: dict[str, State] = {
    "run": run_state,
    "work_item": item_state,
    "orchestration": orchestration_state,
    "record_type": record_type_state,
    "migration": migration_state,
}
LABELS = {"run": _run_label, "work_item": _item_label, "orchestration": _orchestration_label, "record_type": _record_type_label}
