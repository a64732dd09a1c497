"""The audit log of user operations: who changed what, when, from where, before and after.

An entry (:class:`~runtime.model.AuditEntry`) is written in the transaction that makes the
change, so there is never a change without its entry nor an entry without its change (a
write that fails writes neither). Nothing in the application updates or deletes an entry;
retention deletes them by age (:meth:`~runtime.store.base.Store.purge_audit`).

The web app knows who is calling and from where; the engine knows the transaction. The web
app describes the operation in a :class:`Note` and runs the engine's method inside
:func:`noting`; the engine's write transaction (:func:`runtime.engine.context.transact`, and
``Engine.deploy``) reads the object's audited state before and after the operation and
writes the entry before it commits. The first write transaction takes the note: the jobs
and timers an operation runs afterwards in the same thread (``autoprocess``) find it taken.
A context variable rather than an argument to every engine method: the note is the web
app's business, and a transaction without one pays a single ``ContextVar.get``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from runtime.model import AuditEntry
from runtime.store.base import Transaction

#: What the audit log keeps of an object, read in the operation's transaction (None: it is not there).
State = Callable[[Transaction, str], Any]


@dataclass
class Actor:
    """Who makes a change and from where: a person (their user id), an API token
    (``token:<name>``), or nobody known (a failed sign-in)."""

    name: str | None
    kind: str  # user | token | anonymous
    address: str | None


def _own_id(result: Any) -> str | None:
    return result if isinstance(result, str) else None


@dataclass
class Note:
    """An operation to audit. ``object_id`` None: the operation's result gives it (``id_of``:
    starting a run returns its id). ``state`` reads what the entry keeps of the object, in
    the transaction, before and after the operation; ``before`` and ``after`` given here are
    kept as they are, or added to what ``state`` reads."""

    actor: Actor
    at: datetime
    action: str
    object_type: str
    object_id: str | None = None
    label: str | None = None
    state: State | None = None
    label_of: Callable[[Transaction, str], str | None] | None = None
    before: Any = None
    after: Any = None
    id_of: Callable[[Any], str | None] = _own_id
    taken: bool = field(default=False)

    def __post_init__(self) -> None:
        self._from_result = self.object_id is None
        self._given = (self.before, self.after)

    def opened(self, tx: Transaction) -> None:
        """At the start of the operation's transaction (again when it is retried)."""
        if self._from_result:
            self.object_id = None
        if self.state is not None and self.object_id is not None:
            self.before = _with(self.state(tx, self.object_id), self._given[0])

    def closing(self, tx: Transaction, result: Any) -> None:
        """After the operation, before its transaction commits: write the entry."""
        if self._from_result:
            self.object_id = self.id_of(result)
        if self.state is not None and self.object_id is not None:
            self.after = _with(self.state(tx, self.object_id), self._given[1])
        if self.label_of is not None and self.object_id is not None:
            self.label = self.label_of(tx, self.object_id) or self.label
        tx.insert(self.entry())

    def entry(self) -> AuditEntry:
        before, after = compact(self.before, self.after)
        return AuditEntry(
            id=uuid.uuid4().hex,
            at=self.at,
            actor=self.actor.name,
            actor_kind=self.actor.kind,
            address=self.actor.address,
            action=self.action,
            object_type=self.object_type,
            object_id=self.object_id,
            object_label=self.label,
            before=before,
            after=after,
        )


def _with(read: Any, given: Any) -> Any:
    return {**read, **given} if isinstance(read, dict) and isinstance(given, dict) else read


def compact(before: Any, after: Any) -> tuple[Any, Any]:
    """Two states as objects keep only the fields that changed (an unchanged field says nothing)."""
    if isinstance(before, dict) and isinstance(after, dict):
        keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
        return {k: before[k] for k in keys if k in before}, {k: after[k] for k in keys if k in after}
    return before, after


_pending: ContextVar[Note | None] = ContextVar("overture_audit_note", default=None)


def pending() -> Note | None:
    """The note the next write transaction of this context takes, if any."""
    note = _pending.get()
    return None if note is None or note.taken else note


@contextmanager
def noting(note: Note) -> Iterator[Note]:
    """Audit the engine operation run inside: its first write transaction writes ``note``."""
    token = _pending.set(note)
    try:
        yield note
    finally:
        _pending.reset(token)
