"""The engine: runs orchestrations over a store, a clock and a directory.

Every public method is one transaction (retried when another process changed the
same run first). Inside it, the run's state is loaded into a run context
(:class:`~runtime.engine.context.RunContext`, ``ctx``), changed, and every waiting
condition is re-evaluated (:func:`runtime.engine.rules.advance`) until nothing more
can move; then the changed rows and the events appended to the run's log are written
together.

Background actions and due timers are rows too. :meth:`Engine.process` runs the
ready ones (the worker calls it in a loop; with ``autoprocess`` the engine calls it
after each operation, which is what tests and the CLI demo want).

:class:`Engine` is a facade; the work is done in the modules beside it, one per seam:

* ``context``: the run context, loading, flushing, the transaction, expressions;
* ``rules``: the core loop (advance, enter, start, complete and fail steps, closing);
* ``steps/``: what each node type does (``interactive``, ``background``, ``wait``, ``decision``);
* ``runs`` and ``repair``: starting runs, ops on a run, repairing a run in error;
* ``work_items``, ``records`` (with triggers and events), ``jobs`` (jobs and timers);
* ``services``: what actions may ask of the engine; ``views``: JSON views for the API.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from runtime.actions import ActionRegistry, ActionServices, default_registry
from runtime.clock import Clock, ManualClock, SystemClock
from runtime.directory import Directory, InMemoryDirectory
from runtime.engine import jobs, records, repair, runs, versions, work_items
from runtime.engine.context import Ledger, RunContext, require_run, transact
from runtime.engine.migration import batches as migrations
from runtime.engine.migration import views as migration_views
from runtime.engine.migration.plan import Plan
from runtime.engine.services import LocalServices, Services
from runtime.engine.steps.interactive import DELEGATION_HOPS
from runtime.engine.views import balls, event_view, notification_view, run_summary, run_view
from runtime.errors import Conflict, NotFound
from runtime.model import Notification, Orchestration, Run, Version, WorkItem
from runtime.secrets import MockSecrets, SecretStore
from runtime.spec import OrchestrationSpec, compile_document
from runtime.states import OPEN_ITEM
from runtime.store.base import Store, Transaction

__all__ = ["DELEGATION_HOPS", "Engine", "Plan"]


class Engine:
    """Deploys orchestrations and drives their runs.

    Args:
        store: where state lives (:class:`~runtime.store.memory.InMemoryStore` for tests).
        clock: time source; a :class:`~runtime.clock.ManualClock` fires due timers when advanced.
        directory: people, groups and queues; decides who may work on an item.
        actions: background actions (default: built-ins and plug-ins).
        autoprocess: run ready jobs and due timers after every operation.
        settings: e.g. ``{"http_allowlist": ["api.example.com"]}`` for ``http.request``.
        secrets: what ``secrets.<name>`` in action inputs reads (default: none), given to
            an action at the last moment and masked in all it gives back (runtime/secrets.py).
    """

    def __init__(
        self,
        store: Store,
        clock: Clock | None = None,
        directory: Directory | None = None,
        *,
        actions: ActionRegistry | None = None,
        autoprocess: bool = True,
        settings: Mapping[str, Any] | None = None,
        worker_id: str = "inline",
        secrets: SecretStore | None = None,
    ):
        self.store = store
        self.secrets: SecretStore = secrets if secrets is not None else MockSecrets()
        self.clock = clock or SystemClock()
        self.directory = directory or InMemoryDirectory()
        self.actions = actions or default_registry()
        self.autoprocess = autoprocess
        self.settings = dict(settings or {})
        self.worker_id = worker_id
        self._specs: dict[tuple[str, int], OrchestrationSpec] = {}
        self._processing = False
        #: Jobs claimed as they were scheduled, and the state of recently flushed runs.
        self.ledger = Ledger()
        #: Ids of the jobs this engine claimed and has not finished (a worker heartbeats them).
        self.jobs_in_hand: set[str] = self.ledger.jobs_in_hand
        #: Claim jobs as they are scheduled (only if this engine also processes them).
        self.claim_inline = autoprocess
        if isinstance(self.clock, ManualClock):
            self.clock.subscribe(lambda _now: self._after())

    # -- definitions

    def deploy(self, document: Any, *, by: str | None = None) -> int:
        """Validate, compile and activate ``document``; returns its version number.

        Deploying a document identical to the active version returns that version.
        """
        return versions.activate(self, compile_document(document, actions=self.actions), by)

    def install(self, spec: OrchestrationSpec, *, by: str | None = None) -> None:
        """Activate an already compiled spec under its own version number, in a store that
        does not have that orchestration yet (the scenario runner compiles a document once
        and installs it into many fresh in-memory engines)."""
        with self.store.transaction() as tx:
            if tx.get(Orchestration, spec.key) is not None:
                raise Conflict(f"orchestration {spec.key!r} is already deployed here")
            now = self.clock.now()
            trigger_object = spec.trigger.object if spec.trigger.type == "record" else None
            tx.insert(Version(f"{spec.key}:{spec.version}", spec.key, spec.version, spec.document, now, by, trigger_object))
            tx.insert(Orchestration(spec.key, spec.label, spec.version, now, now))
        self._specs[(spec.key, spec.version)] = spec

    def spec(self, key: str, version: int | None = None, *, tx: Transaction | None = None) -> OrchestrationSpec:
        """The compiled spec of a version (the active one by default)."""
        if version is not None and (key, version) in self._specs:
            return self._specs[(key, version)]
        if tx is None:
            with self.store.transaction(write=False) as own:
                return self.spec(key, version, tx=own)
        if version is None:
            orch = tx.get(Orchestration, key)
            if orch is None or orch.active_version is None:
                raise NotFound(f"orchestration {key!r} has no active version")
            version = orch.active_version
            if (key, version) in self._specs:
                return self._specs[(key, version)]
        row = tx.get(Version, f"{key}:{version}")
        if row is None:
            raise NotFound(f"orchestration {key!r} has no version {version}")
        spec = compile_document(row.document, version, actions=self.actions, stored=True)
        self._specs[(key, version)] = spec
        return spec

    def orchestrations(self) -> list[dict[str, Any]]:
        with self.store.transaction(write=False) as tx:
            return [
                {"key": o.id, "label": o.label, "active_version": o.active_version}
                for o in sorted(tx.find(Orchestration), key=lambda o: o.id)
            ]

    # -- runs

    def start(
        self,
        key: str,
        inputs: Mapping[str, Any] | None = None,
        *,
        record: Mapping[str, str] | None = None,
        started_by: str | None = None,
        version: int | None = None,
    ) -> str:
        """Start a run of the active (or given) version; returns the run id.

        ``record`` binds the run to an existing record: ``{"object": ..., "id": ...}``.
        """
        run_id = runs.start(self, key, inputs, record, started_by, version)
        self._after()
        return run_id

    def get_run(self, run_id: str) -> dict[str, Any]:
        """A run with every stage and step status, variables and open work items."""
        with self.store.transaction(write=False) as tx:
            run = require_run(tx, run_id)
            spec = self.spec(run.orchestration, run.version, tx=tx)
            return run_view(tx, spec, run, self.clock.now())

    def runs(self, *, ball: bool = False, **filters: Any) -> list[dict[str, Any]]:
        """Runs as summaries; filters are equality on Run fields (``orchestration``, ``status``...);
        with ``ball``, each says who holds the ball, as :meth:`get_run` does (one read for them all)."""
        with self.store.transaction(write=False) as tx:
            found = sorted(tx.find(Run, **filters), key=lambda r: (r.started_at, r.id))
            held = balls(tx, found, lambda key, version: self.spec(key, version, tx=tx)) if ball else {}
            return [{**run_summary(r), **({"ball": held[r.id]} if ball else {})} for r in found]

    def events(self, run_id: str, *, after: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """The run's event log, oldest first."""
        with self.store.transaction(write=False) as tx:
            require_run(tx, run_id)
            return [event_view(e) for e in tx.events(run_id, after, limit)]

    def cancel(self, run_id: str, *, by: str | None = None, reason: str | None = None) -> None:
        runs.cancel(self, run_id, by, reason)
        self._after()

    def suspend(self, run_id: str, *, by: str | None = None) -> None:
        runs.suspend(self, run_id, by)
        self._after()

    def resume(self, run_id: str, *, by: str | None = None) -> None:
        runs.resume(self, run_id, by)
        self._after()

    def retry(self, run_id: str, *, by: str | None = None) -> dict[str, Any]:
        """Resume a run in ``error``: failed steps start again, failed conditions are re-evaluated."""
        runs.retry(self, run_id, by)
        self._after()
        return self.retry_outcome(run_id)

    def retry_outcome(self, run_id: str) -> dict[str, Any]:
        """What a retry led to, read just after it: ``failed`` again (with the new error),
        ``completed``, or ``running`` (the run moves on: its failed step runs again)."""
        return runs.retry_outcome(self, run_id)

    # -- repairing a run in error (ARCHITECTURE §3)

    def edit_step_inputs(self, run_id: str, step_id: str, inputs: dict[str, Any], *, by: str | None = None) -> None:
        """Set action inputs of the failed background step for its next attempt (the retry):
        literal values used instead of the document's expressions for those names.
        A ``None`` value removes an earlier override (the expression is used again)."""
        repair.edit_step_inputs(self, run_id, step_id, inputs, by)

    def edit_variables(self, run_id: str, values: dict[str, Any], *, by: str | None = None) -> None:
        """Change variables of a run in error before retrying it; each checked against its declaration."""
        repair.edit_variables(self, run_id, values, by)

    def skip_step(self, run_id: str, step_id: str, *, outcome: str | None = None, by: str | None = None) -> dict[str, Any]:
        """End the failed step as if it had completed with ``outcome``; the run goes on from there."""
        repair.skip_step(self, run_id, step_id, outcome, by)
        self._after()
        return self.retry_outcome(run_id)

    # -- work items

    def work_items(
        self,
        *,
        assignee: str | None = None,
        run: str | None = None,
        status: str | Iterable[str] | None = OPEN_ITEM,
        id: Iterable[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Work items; ``assignee`` = a person: theirs, their groups' and queues', and those they
        claimed; ``id``: only those (a page the builder chose in SQL)."""
        return work_items.find(self, assignee, run, status, id)

    def get_work_item(self, item_id: str) -> dict[str, Any]:
        return work_items.get(self, item_id)

    def may_act(self, user: str, item_id: str) -> bool:
        """Whether ``user`` may claim or complete the item (assignee or group/queue member)."""
        with self.store.transaction(write=False) as tx:
            item = tx.get(WorkItem, item_id)
            return item is not None and work_items.may_act(self.directory, user, item)

    def claim(self, item_id: str, *, by: str) -> dict[str, Any]:
        return work_items.claim(self, item_id, by)

    def release(self, item_id: str, *, by: str) -> dict[str, Any]:
        return work_items.release(self, item_id, by)

    def reassign(self, item_id: str, to: Mapping[str, str], *, by: str | None = None) -> dict[str, Any]:
        """Give an open item to another user, group or queue (ops; the web layer checks the role)."""
        return work_items.reassign(self, item_id, to, by)

    def hand_over(
        self,
        user: str,
        to: Mapping[str, str] | None,
        *,
        by: str | None = None,
        also: Callable[[Transaction], None] | None = None,
    ) -> dict[str, int]:
        """Move a leaving person's open work elsewhere, all of it in one transaction.

        Items they claimed from a group or queue go back to it (``work_item.released``);
        items assigned to them personally, open or claimed, go to ``to``
        (``work_item.reassigned`` and a notification), which is required when there are any.

        Args:
            user: the person leaving.
            to: ``{"type": "user" | "group" | "queue", "value": name}`` or None.
            by: who hands over (logged on every event).
            also: runs first in the same transaction, for the caller's own writes (the
                web app marks the person inactive there), so all of it happens or none.

        Returns:
            ``{"released": n, "reassigned": n}``.
        """
        return work_items.hand_over(self, user, to, by, also)

    def complete(
        self,
        item_id: str,
        *,
        by: str,
        outcome: str | None = None,
        values: Mapping[str, Any] | None = None,
        comment: str | None = None,
    ) -> dict[str, Any]:
        """Complete a work item: exactly one caller wins; the form values are checked."""
        view = work_items.complete(self, item_id, by, outcome, values, comment)
        self._after()
        return view

    # -- events, records

    def publish_event(self, name: str, correlation: Any = None, payload: Mapping[str, Any] | None = None) -> list[str]:
        """Deliver an event to every run waiting for it; returns their ids.

        If nobody waits and an active version buffers events of this name, it is kept
        until a matching wait step starts.
        """
        delivered = records.publish_event(self, name, correlation, payload)
        self._after()
        return delivered

    def define_record_type(self, name: str, fields: list[dict[str, Any]], *, label: str | None = None) -> None:
        """Declare a record type with typed fields (``[{"name", "type", "required", "label", "options"}]``;
        ``options``, on a string field, lists the only values it takes)."""
        records.define_record_type(self, name, fields, label)

    def create_record(
        self,
        object: str,
        fields: Mapping[str, Any],
        *,
        owner: str | None = None,
        by: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Create a record; record-triggered orchestrations on ``create`` start on it.

        Returns the record, with ``started_runs`` listing the runs it started.
        """
        result = transact(self, lambda tx: records.create_record(self, tx, object, fields, owner or by, idempotency_key))
        self._after()
        return result

    def update_record(
        self, object: str, record_id: str, changes: Mapping[str, Any], *, by: str | None = None, owner: str | None = None
    ) -> dict[str, Any]:
        """Change a record's fields; its runs re-evaluate, ``update`` triggers may start runs."""
        result = transact(self, lambda tx: records.update_record(self, tx, object, record_id, changes, by, owner))
        self._after()
        return result

    def get_record(self, object: str, record_id: str) -> dict[str, Any]:
        return records.get_record(self, object, record_id)

    def notifications(self, *, to: str | None = None, id: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Notifications in the outbox; ``to`` = a user: theirs and their groups'/queues';
        ``id``: only those (a page the builder chose in SQL)."""
        with self.store.transaction(write=False) as tx:
            if id is not None:
                rows = tx.find(Notification, id=tuple(id))
            elif to is None:
                rows = tx.find(Notification)
            else:
                names = {to} | {n for _k, n in self.directory.memberships(to)}
                rows = [
                    n
                    for n in tx.find(Notification, to_value=tuple(names))
                    if (n.to_type == "user" and n.to_value == to) or (n.to_type, n.to_value) in self.directory.memberships(to)
                ]
            rows.sort(key=lambda n: (n.created_at, n.id))
            return [notification_view(n) for n in rows]

    # -- moving runs to another version (ARCHITECTURE §3, "Migrating runs")

    def check_migration(self, plan: Plan) -> dict[str, Any]:
        """Dry run: which runs the plan would move and every reason the others cannot. No write."""
        return migrations.check(self, plan)

    def start_migration(self, plan: Plan, *, by: str | None = None) -> str:
        """Record a migration (checked first); workers move its runs in batches. Returns its id."""
        return migrations.create(self, plan, by=by)

    def work_on_migrations(self, migration_id: str | None = None, *, batch: int = migrations.BATCH) -> int:
        """One batch of a migration that has work (the worker calls it); returns runs handled."""
        if handled := migrations.work(self, migration_id, batch=batch):
            self._after()
        return handled

    def migrate(self, plan: Plan, *, by: str | None = None, batch: int = migrations.BATCH) -> dict[str, Any]:
        """Apply a plan now, batch after batch, and return the migration's report."""
        return self.finish_migration(self.start_migration(plan, by=by), batch=batch)

    def finish_migration(self, migration_id: str, *, batch: int = migrations.BATCH) -> dict[str, Any]:
        """Work on one migration until it has no work left (resuming it if it stopped)."""
        while self.work_on_migrations(migration_id, batch=batch):
            continue
        return migration_views.view(self, migration_id)

    def migration(self, migration_id: str) -> dict[str, Any]:
        """A migration's progress and, per run, what it did (with every reason for a refusal)."""
        return migration_views.view(self, migration_id)

    def migrations(self, orchestration: str) -> list[dict[str, Any]]:
        """The orchestration's migrations, newest first."""
        return migration_views.listing(self, orchestration)

    def cancel_migration(self, migration_id: str, *, by: str | None = None) -> dict[str, Any]:
        """Stop a migration after the run it is moving; runs already moved stay moved."""
        return migrations.cancel(self, migration_id, by=by)

    # -- jobs and timers

    def process(self, *, limit: int | None = None) -> int:
        """Run ready background jobs and fire due timers until none is left; returns how many."""
        return jobs.process(self, limit)

    def fire_due_timers(self, *, limit: int = 100) -> int:
        return jobs.fire_due_timers(self, limit)

    def run_jobs(self, *, limit: int = 100) -> int:
        """Run up to ``limit`` jobs: those this engine claimed as it scheduled them, else claim some."""
        return jobs.run_jobs(self, limit)

    def release_local_jobs(self) -> int:
        """Hand back the jobs claimed as they were scheduled and not started yet (on stop),
        so other workers take them at once instead of after the stale timeout."""
        return jobs.release_local_jobs(self)

    # -- what the rules ask of the engine (context.Host)

    def services(self) -> ActionServices:
        return Services(self)

    def local_services(self, ctx: RunContext) -> ActionServices:
        return LocalServices(self, ctx)

    def _after(self) -> None:
        if self.autoprocess and not self._processing:
            self._processing = True
            try:
                self.process()
            finally:
                self._processing = False
