"""What actions may ask of the engine (:class:`runtime.actions.ActionServices`): as a
job, each request its own transaction (:class:`Services`); as a local action, inside
the step's own transaction (:class:`LocalServices`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from runtime.actions import ActionContext, ActionFailed
from runtime.engine.context import Host, RunContext, transact
from runtime.engine.plain import new_id
from runtime.engine.records import create_record, update_record
from runtime.engine.runs import start_run
from runtime.errors import InvalidInput, NotFound, OvertureError
from runtime.model import Notification, Run
from runtime.store.base import Transaction


class PublicEngine(Host, Protocol):
    """The engine's public record operations, which a job's action goes through."""

    def update_record(
        self, object: str, record_id: str, changes: Any, *, by: str | None = None, owner: str | None = None
    ) -> dict[str, Any]: ...

    def create_record(
        self, object: str, fields: Any, *, owner: str | None = None, by: str | None = None, idempotency_key: str | None = None
    ) -> dict[str, Any]: ...


def _record_change(
    action: str, change: Callable[[], dict[str, Any]], refused: tuple[type[OvertureError], ...] = (NotFound, InvalidInput)
) -> dict[str, Any]:
    """A record action's result: input the engine refuses fails the action for good (a retry
    would meet it again), and the runs the change started are not the action's business."""
    try:
        result = change()
    except refused as exc:
        raise ActionFailed(f"{action}: {exc.message}", retryable=False) from None
    result.pop("started_runs", None)
    return result


class LocalServices:
    """What local actions may ask of the engine: changes made in the step's own
    transaction, so they happen exactly once, together with the step's completion."""

    def __init__(self, host: Host, ctx: RunContext):
        self._host, self._ctx = host, ctx

    def update_record(self, object: str, record_id: str, fields: dict[str, Any], *, by: str | None) -> dict[str, Any]:
        return _record_change(
            "record.update", lambda: update_record(self._host, self._ctx.tx, object, record_id, fields, by, acting=self._ctx)
        )

    def create_record(self, object: str, fields: dict[str, Any], *, owner: str | None, idempotency_key: str) -> dict[str, Any]:
        return _record_change(
            "record.create",
            lambda: create_record(self._host, self._ctx.tx, object, fields, owner, idempotency_key),
            refused=(InvalidInput,),
        )

    def notify(self, *, to: dict[str, str], subject: str, body: str, run_id: str | None, idempotency_key: str) -> None:
        ctx = self._ctx
        ctx.add(Notification(new_id(), "message", to["type"], to["value"], subject, body, ctx.now, run_id, None, idempotency_key))

    def start_child(self, key: str, inputs: dict[str, Any], *, parent: ActionContext, wait: bool) -> str:
        raise ActionFailed("orchestration.start runs as a job, not locally", retryable=False)


class Services:
    """What a job's action may ask of the engine, each request its own transaction."""

    def __init__(self, engine: PublicEngine):
        self._engine = engine

    def update_record(self, object: str, record_id: str, fields: dict[str, Any], *, by: str | None) -> dict[str, Any]:
        return _record_change("record.update", lambda: self._engine.update_record(object, record_id, fields, by=by))

    def create_record(self, object: str, fields: dict[str, Any], *, owner: str | None, idempotency_key: str) -> dict[str, Any]:
        return _record_change(
            "record.create",
            lambda: self._engine.create_record(object, fields, owner=owner, idempotency_key=idempotency_key),
            refused=(InvalidInput,),
        )

    def notify(self, *, to: dict[str, str], subject: str, body: str, run_id: str | None, idempotency_key: str) -> None:
        with self._engine.store.transaction() as tx:
            if tx.find(Notification, to_value=to["value"], idempotency_key=idempotency_key):
                return
            tx.insert(
                Notification(
                    new_id(), "message", to["type"], to["value"], subject, body, self._engine.clock.now(), run_id, None, idempotency_key
                )
            )

    def start_child(self, key: str, inputs: dict[str, Any], *, parent: ActionContext, wait: bool) -> str:
        engine = self._engine

        def op(tx: Transaction) -> str:
            for child in tx.find(Run, parent_run_id=parent.run_id):
                if child.parent_step_id == parent.step_id and child.parent_visit == parent.visit:
                    return child.id  # an earlier attempt already started it
            try:
                spec = engine.spec(key, tx=tx)
                return start_run(engine, tx, spec, inputs, None, None, parent=parent, parent_waits=wait)
            except (NotFound, InvalidInput) as exc:
                raise ActionFailed(f"orchestration.start: {exc.message}", retryable=False) from None

        return transact(engine, op)
