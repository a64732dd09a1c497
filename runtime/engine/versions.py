"""Activating a compiled document as a new version (:meth:`runtime.engine.Engine.deploy`),
with its audit entry in the same transaction when the caller asked for one."""

from __future__ import annotations

from runtime import audit
from runtime.engine.context import Host
from runtime.model import Orchestration, Version
from runtime.spec import OrchestrationSpec


def activate(host: Host, spec: OrchestrationSpec, by: str | None) -> int:
    """The new active version's number; the active one's when ``spec`` is the same document."""
    note = audit.pending()
    with host.store.transaction() as tx:
        if note is not None:
            note.opened(tx)
        now = host.clock.now()
        orch = tx.get(Orchestration, spec.key)
        if orch and orch.active_version:
            active = host.spec(spec.key, orch.active_version, tx=tx)
            if active.document_json == spec.document_json:
                if note is not None:  # nothing changed: nothing to audit
                    note.taken = True
                return active.version
        number = max((v.number for v in tx.find(Version, orchestration=spec.key)), default=0) + 1
        trigger_object = spec.trigger.object if spec.trigger.type == "record" else None
        tx.insert(Version(f"{spec.key}:{number}", spec.key, number, spec.document, now, by, trigger_object))
        if orch:
            orch.active_version, orch.label, orch.updated_at = number, spec.label, now
            tx.update(orch)
        else:
            tx.insert(Orchestration(spec.key, spec.label, number, now, now))
        if note is not None:
            note.closing(tx, number)
    if note is not None:
        note.taken = True
    return number
