"""The engine: runs orchestrations over a store, a clock and a directory.

Every public method is one transaction (retried when another process changed the
same run first). Inside it, the run's state is loaded into a :class:`_RunContext`,
changed, and every waiting condition is re-evaluated (:meth:`Engine._advance`)
until nothing more can move; then the changed rows and the events appended to the
run's log are written together.

Background actions and due timers are rows too. :meth:`Engine.process` runs the
ready ones (the worker calls it in a loop; with ``autoprocess`` the engine calls it
after each operation, which is what tests and the CLI demo want).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable, Collection, Iterable, Mapping

from runtime.actions import ActionContext, ActionFailed, ActionRegistry, Pending, default_registry
from runtime.clock import Clock, ManualClock, SystemClock
from runtime.directory import Directory, InMemoryDirectory
from runtime.durations import as_moment, moment_problem
from runtime.errors import ConcurrentUpdate, Conflict, Forbidden, InvalidInput, NotFound
from runtime.expressions import Expression, ExpressionError, make_scope
from runtime.limits import describe as describe_size
from runtime.limits import full_path, size_problem
from runtime.model import (
    BufferedEvent,
    Job,
    Notification,
    Orchestration,
    Record,
    RecordType,
    Run,
    RunEvent,
    StageVisit,
    StepRun,
    Subscription,
    Timer,
    Version,
    WorkItem,
)
from runtime.secrets import MockSecrets, SecretStore, UnknownSecret, mask, references, reveal
from runtime.spec import Assignee, OrchestrationSpec, Step, compile_document
from runtime.store.base import Store, Transaction
from runtime.states import (
    ENDED_RUN,
    LIVE_RUN,
    OPEN_ITEM,
    OPEN_STEP,
    JobStatus,
    NodeStatus,
    RunStatus,
    WorkItemStatus,
    all_completed,
    move,
    start_decided,
)
from runtime.values import INPUT_TYPES, check_form_value, check_type

log = logging.getLogger(__name__)

_MAX_MOVES = 500  # transitions in one advance before a run is judged to loop without waiting
_BUFFER_TTL = timedelta(days=30)
_STATE_CACHE_SIZE = 10_000
#: How far work follows delegates who are away themselves (A to B to C...).
DELEGATION_HOPS = 3


class _RunError(Exception):
    """A run cannot go on (an expression failed, an assignee is unknown...)."""

    def __init__(self, node: str | None, field: str | None, message: str):
        super().__init__(message)
        self.node, self.field, self.message = node, field, message


@dataclass
class _RunContext:
    """One run's state inside one transaction."""

    tx: Transaction
    spec: OrchestrationSpec
    run: Run
    now: datetime
    stages: dict[str, StageVisit]
    steps: dict[str, StepRun]
    record: dict[str, Any] | None
    expected_revision: int
    new_rows: list[Any] = field(default_factory=list)
    dirty: dict[tuple[type, str], Any] = field(default_factory=dict)
    scope_cache: Any = None
    extra_scope: dict[str, Any] | None = None
    events_pending: bool = False
    parent_notified: bool = False

    def touch(self, row: Any) -> None:
        self.dirty[(type(row), row.id)] = row
        self.scope_cache = None

    def add(self, row: Any) -> None:
        self.new_rows.append(row)
        self.scope_cache = None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _new_id() -> str:
    return uuid.uuid4().hex


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
        #: Ids of the jobs this engine claimed and has not finished (a worker heartbeats them).
        self.jobs_in_hand: set[str] = set()
        #: Claim jobs as they are scheduled (only if this engine also processes them).
        self.claim_inline = autoprocess
        self._local_jobs: deque[Job] = deque()
        self._local_lock = threading.Lock()
        #: run id -> (revision, current stage visits, current step runs), filled after commits.
        self._states: OrderedDict[str, tuple[int, dict[str, StageVisit], dict[str, StepRun]]] = OrderedDict()
        self._tx_state = threading.local()
        if isinstance(self.clock, ManualClock):
            self.clock.subscribe(lambda _now: self._after())

    # ------------------------------------------------------------------ definitions

    def deploy(self, document: Any, *, by: str | None = None) -> int:
        """Validate, compile and activate ``document``; returns its version number.

        Deploying a document identical to the active version returns that version.
        """
        spec = compile_document(document, actions=self.actions)
        with self.store.transaction() as tx:
            now = self.clock.now()
            orch = tx.get(Orchestration, spec.key)
            if orch and orch.active_version:
                active = self.spec(spec.key, orch.active_version, tx=tx)
                if active.document_json == spec.document_json:
                    return active.version
            number = max((v.number for v in tx.find(Version, orchestration=spec.key)), default=0) + 1
            trigger_object = spec.trigger.object if spec.trigger.type == "record" else None
            tx.insert(Version(f"{spec.key}:{number}", spec.key, number, spec.document, now, by, trigger_object))
            if orch:
                orch.active_version, orch.label, orch.updated_at = number, spec.label, now
                tx.update(orch)
            else:
                tx.insert(Orchestration(spec.key, spec.label, number, now, now))
        return number

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

    # ------------------------------------------------------------------ runs

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
        def op(tx: Transaction) -> str:
            spec = self.spec(key, version, tx=tx)
            record_row = None
            if record is not None:
                if not isinstance(record, Mapping) or not isinstance(record.get("object"), str) or not isinstance(record.get("id"), str):
                    raise InvalidInput("record must be {\"object\": type, \"id\": id}")
                record_row = tx.get(Record, record["id"])
                if record_row is None or record_row.object != record["object"]:
                    raise NotFound(f"record {record['object']}/{record['id']} does not exist")
            return self._start_run(tx, spec, dict(inputs or {}), record_row, started_by)

        run_id = self._transact(op)
        self._after()
        return run_id

    def _start_run(
        self,
        tx: Transaction,
        spec: OrchestrationSpec,
        inputs: dict[str, Any],
        record: Record | None,
        started_by: str | None,
        parent: ActionContext | None = None,
        parent_waits: bool = False,
        trigger: str | None = None,
    ) -> str:
        now = self.clock.now()
        values = self._check_inputs(spec, inputs)
        run = Run(
            id=_new_id(),
            orchestration=spec.key,
            version=spec.version,
            status=RunStatus.IN_PROGRESS.value,
            inputs=values,
            vars={v.name: v.default for v in spec.variables},
            started_at=now,
            updated_at=now,
            started_by=started_by,
            record_object=record.object if record else None,
            record_id=record.id if record else None,
            parent_run_id=parent.run_id if parent else None,
            parent_step_id=parent.step_id if parent else None,
            parent_visit=parent.visit if parent else None,
            parent_waits=parent_waits,
        )
        tx.insert(run)
        c = _RunContext(tx, spec, run, now, {}, {}, _record_scope(record), run.revision)
        data: dict[str, Any] = {"inputs": values, "version": spec.version}
        if record is not None:  # the record as the run found it, and the trigger that started it (replay needs both)
            data["record"] = _json_copy(_record_scope(record))
        if trigger is not None:
            data["trigger"] = trigger
        self._event(c, "run.started", by=started_by, data=data)
        self._advance(c)
        self._flush(c)
        return run.id

    def _check_inputs(self, spec: OrchestrationSpec, inputs: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, str] = {}
        declared = {v.name: v for v in spec.inputs}
        for name in inputs:
            if name not in declared:
                errors[name] = "is not an input of this orchestration"
        values: dict[str, Any] = {}
        for var in spec.inputs:
            if var.name in inputs and inputs[var.name] is not None:
                problem = check_type(var.type, inputs[var.name])
                if problem:
                    errors[var.name] = problem
                elif too_big := size_problem(inputs[var.name]) or _over_max_items(var, inputs[var.name]):
                    errors[var.name] = describe_size(var.name, too_big)
                values[var.name] = _json_copy(inputs[var.name])
            elif var.has_default:
                values[var.name] = var.default
            elif var.required:
                errors[var.name] = "is required"
            else:
                values[var.name] = None
        if errors:
            raise InvalidInput("the inputs do not fit the orchestration", {"inputs": errors})
        return values

    def get_run(self, run_id: str) -> dict[str, Any]:
        """A run with every stage and step status, variables and open work items."""
        with self.store.transaction(write=False) as tx:
            run = self._require_run(tx, run_id)
            spec = self.spec(run.orchestration, run.version, tx=tx)
            return self._run_view(tx, spec, run)

    def runs(self, **filters: Any) -> list[dict[str, Any]]:
        """Runs as summaries; filters are equality on Run fields (``orchestration``, ``status``...)."""
        with self.store.transaction(write=False) as tx:
            return [self._run_summary(r) for r in sorted(tx.find(Run, **filters), key=lambda r: (r.started_at, r.id))]

    def events(self, run_id: str, *, after: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """The run's event log, oldest first."""
        with self.store.transaction(write=False) as tx:
            self._require_run(tx, run_id)
            return [_event_view(e) for e in tx.events(run_id, after, limit)]

    def cancel(self, run_id: str, *, by: str | None = None, reason: str | None = None) -> None:
        def change(c: _RunContext) -> None:
            self._close_open_work(c, NodeStatus.DISCONTINUED)
            self._end_run(c, RunStatus.CANCELLED, by=by, data={"reason": reason} if reason else None)

        self._control(run_id, LIVE_RUN, "in progress, suspended or in error", "cancelled", change)

    def suspend(self, run_id: str, *, by: str | None = None) -> None:
        def change(c: _RunContext) -> None:
            self._set_run_status(c, RunStatus.SUSPENDED)
            self._event(c, "run.suspended", by=by)

        self._control(run_id, (RunStatus.IN_PROGRESS,), "in progress", "suspended", change)

    def resume(self, run_id: str, *, by: str | None = None) -> None:
        def change(c: _RunContext) -> None:
            self._set_run_status(c, RunStatus.IN_PROGRESS)
            self._event(c, "run.resumed", by=by)
            self._advance(c)

        self._control(run_id, (RunStatus.SUSPENDED,), "suspended", "resumed", change)

    def _control(self, run_id: str, allowed: tuple[str, ...], which: str, verb: str, change: Callable[[_RunContext], None]) -> None:
        """An ops action on a run: only from the ``allowed`` statuses, else a clear 409."""

        def op(tx: Transaction) -> None:
            c = self._load(tx, run_id)
            if c.run.status not in allowed:
                raise Conflict(f"run {run_id} is {c.run.status}; only a run {which} can be {verb}")
            change(c)
            self._flush(c)

        self._transact(op)
        self._after()

    def retry(self, run_id: str, *, by: str | None = None) -> dict[str, Any]:
        """Resume a run in ``error``: failed steps start again, failed conditions are re-evaluated."""

        def change(c: _RunContext) -> None:
            self._set_run_status(c, RunStatus.IN_PROGRESS)
            c.run.error = None
            self._event(c, "run.retried", by=by)
            stage = c.stages.get(c.run.current_node or "")
            if stage is not None and stage.status == NodeStatus.ERROR:
                move(stage, NodeStatus.IN_PROGRESS)
                c.touch(stage)
            for step_run in c.steps.values():
                if step_run.status == NodeStatus.ERROR:
                    # A fresh set of attempts; attempt numbers keep growing so keys stay unique.
                    move(step_run, NodeStatus.NOT_STARTED)
                    step_run.error, step_run.ended_at = None, None
                    step_run.retry_base = step_run.attempts
                    c.touch(step_run)
            self._advance(c)

        self._control(run_id, (RunStatus.ERROR,), "in error", "retried", change)
        return self.retry_outcome(run_id)

    def retry_outcome(self, run_id: str) -> dict[str, Any]:
        """What a retry led to, read just after it: ``failed`` again (with the new error),
        ``completed``, or ``running`` (the run moves on: its failed step runs again)."""
        with self.store.transaction(write=False) as tx:
            run = self._require_run(tx, run_id)
            result = {"error": "failed", "completed": "completed"}.get(run.status, "running")
            return {"result": result, "status": run.status, "error": _json_copy(run.error) if run.error else None}

    # ------------------------------------------------------------------ repairing a run in error (ARCHITECTURE §3)

    def _failed_step(self, c: _RunContext, step_id: str, verb: str) -> tuple[Step, StepRun]:
        """The step ``step_id`` of a run in error, if it is the step that failed; else a 409."""
        run_id = c.run.id
        if c.run.status != RunStatus.ERROR:
            raise Conflict(f"run {run_id} is {c.run.status}; only a run in error can have a step {verb}")
        step, step_run = c.spec.steps.get(step_id), c.steps.get(step_id)
        if step is None or step_run is None or step_run.status != NodeStatus.ERROR:
            raise Conflict(f"step {step_id} of run {run_id} is not in error; only the failed step can be {verb}")
        return step, step_run

    def edit_step_inputs(self, run_id: str, step_id: str, inputs: dict[str, Any], *, by: str | None = None) -> None:
        """Set action inputs of the failed background step for its next attempt (the retry):
        literal values used instead of the document's expressions for those names.
        A ``None`` value removes an earlier override (the expression is used again)."""

        def op(tx: Transaction) -> None:
            c = self._load(tx, run_id)
            step, step_run = self._failed_step(c, step_id, "edited")
            if step.type != "background":
                raise Conflict(f"step {step_id} is a {step.type} step; only a background step has action inputs")
            self._check_action_inputs(step, inputs)
            before, shown = dict(step_run.input_overrides or {}), self._shown()
            after = {**before, **{k: _json_copy(v) for k, v in inputs.items()}}
            after = {k: v for k, v in after.items() if v is not None}
            expressions = dict(step.inputs)
            changes = [
                {"name": name, "old": shown(before[name]) if name in before else _expression_shown(expressions.get(name)),
                 "new": shown(after[name]) if name in after else _expression_shown(expressions.get(name))}
                for name in inputs
            ]
            step_run.input_overrides = after or None
            c.touch(step_run)
            self._event(c, "step.inputs_edited", node=step_id, visit=step_run.visit, by=by, data={"changes": changes})
            self._flush(c)

        self._transact(op)

    def _shown(self) -> Callable[[Any], Any]:
        """How a value a person entered is written to the event log: any secret's value in
        it masked, like everything an action gives back (runtime/secrets.py)."""
        values = []
        for name in self.secrets.names():
            try:
                values.append(self.secrets.value(name) or "")
            except Exception:  # a value that cannot be decrypted cannot be typed in either
                continue
        return lambda value: mask(_json_copy(value), values)

    def _check_action_inputs(self, step: Step, inputs: dict[str, Any]) -> None:
        action = self.actions.get(step.action or "")
        expressions = dict(step.inputs)
        errors: dict[str, str] = {}
        if not inputs:
            errors["inputs"] = "give at least one input"
        for name, value in inputs.items():
            declared = action.input(name) if action is not None else None
            if name in expressions and "secrets" in expressions[name].roots:
                errors[name] = "reads a secret; an admin changes the secret under Admin, Secrets instead"
            elif action is not None and declared is None and not action.open_inputs and name not in expressions:
                errors[name] = f"is not an input of the action {step.action}"
            elif value is None:
                if declared is not None and declared.required and name not in expressions:
                    errors[name] = "is required by the action"
            elif declared is not None and declared.type in INPUT_TYPES and (problem := check_type(declared.type, value)):
                errors[name] = problem
            elif too_big := size_problem(value):
                errors[name] = describe_size(name, too_big)
        if errors:
            raise InvalidInput(f"the inputs do not fit the action {step.action}", {"inputs": errors})

    def edit_variables(self, run_id: str, values: dict[str, Any], *, by: str | None = None) -> None:
        """Change variables of a run in error before retrying it; each checked against its declaration."""

        def op(tx: Transaction) -> None:
            c = self._load(tx, run_id)
            if c.run.status != RunStatus.ERROR:
                raise Conflict(f"run {run_id} is {c.run.status}; only a run in error can have its variables edited")
            declared = {v.name: v for v in c.spec.variables}
            errors: dict[str, str] = {}
            if not values:
                errors["values"] = "give at least one variable"
            for name, value in values.items():
                var = declared.get(name)
                if var is None:
                    errors[name] = "is not a variable of this orchestration"
                elif value is None:
                    if var.required:
                        errors[name] = "is required"
                elif problem := check_type(var.type, value):
                    errors[name] = problem
                elif too_big := size_problem(value) or _over_max_items(var, value):
                    errors[name] = describe_size(name, too_big)
            if errors:
                raise InvalidInput("the values do not fit the variables", {"values": errors})
            before, shown = c.run.vars, self._shown()
            changes = [{"name": k, "old": shown(before.get(k)), "new": shown(v)} for k, v in values.items()]
            c.run.vars = {**before, **_json_copy(values)}
            c.touch(c.run)
            self._event(c, "variables.edited", by=by, data={"changes": changes})
            self._flush(c)

        self._transact(op)

    def skip_step(self, run_id: str, step_id: str, *, outcome: str | None = None, by: str | None = None) -> dict[str, Any]:
        """End the failed step as if it had completed with ``outcome``; the run goes on from there."""

        def change(c: _RunContext) -> None:
            step, step_run = self._failed_step(c, step_id, "skipped")
            outcomes = step.form.outcomes if step.form is not None else ()
            if outcomes and outcome not in outcomes:
                raise InvalidInput(f"outcome {outcome!r} is not an outcome of step {step_id}",
                                   {"outcome": f"must be one of {', '.join(outcomes)}"})
            self._set_run_status(c, RunStatus.IN_PROGRESS)
            c.run.error = None
            self._event(c, "step.skipped", node=step_id, visit=step_run.visit, by=by,
                        data={"outcome": outcome, "error": step_run.error})
            stage = c.stages.get(step.stage)
            if stage is not None and stage.status == NodeStatus.ERROR:
                move(stage, NodeStatus.IN_PROGRESS)
                c.touch(stage)
            step_run.error = None
            self._complete_step(c, step, outputs={}, outcome=outcome, by=by)
            self._advance(c)

        self._control(run_id, (RunStatus.ERROR,), "in error", "repaired", change)
        return self.retry_outcome(run_id)

    # ------------------------------------------------------------------ work items

    def work_items(
        self,
        *,
        assignee: str | None = None,
        run: str | None = None,
        status: str | Iterable[str] | None = OPEN_ITEM,
    ) -> list[dict[str, Any]]:
        """Work items; ``assignee`` = a person: theirs, their groups' and queues', and those they claimed."""
        statuses = (status,) if isinstance(status, str) else (tuple(status) if status is not None else None)
        with self.store.transaction(write=False) as tx:
            filters: dict[str, Any] = {}
            if run:
                filters["run_id"] = run
            if statuses:
                filters["status"] = statuses
            if assignee is not None:
                items: dict[str, WorkItem] = {}
                groups = self.directory.memberships(assignee)  # once, not once per item
                names = {assignee} | {name for _kind, name in groups}
                for item in tx.find(WorkItem, assignee_value=tuple(names), **filters):
                    if self._may_see(assignee, item, groups):
                        items[item.id] = item
                for item in tx.find(WorkItem, claimed_by=assignee, **filters):
                    items[item.id] = item
                found = list(items.values())
            else:
                found = tx.find(WorkItem, **filters)
            found.sort(key=lambda i: (i.due_at is None, i.due_at or i.created_at, i.created_at, i.id))
            return [self._item_view(i) for i in found]

    def get_work_item(self, item_id: str) -> dict[str, Any]:
        with self.store.transaction(write=False) as tx:
            item = tx.get(WorkItem, item_id)
            if item is None:
                raise NotFound(f"work item {item_id} does not exist")
            view = self._item_view(item)
            run = tx.get(Run, item.run_id)
            assert run is not None
            spec = self.spec(run.orchestration, run.version, tx=tx)
            step = spec.steps[item.step_id]
            view["form"] = next(n for n in spec.document["nodes"] if n["id"] == item.step_id)["form"]
            view["step_label"] = step.label
            view["record"] = _record_scope(tx.get(Record, run.record_id)) if run.record_id else None
            view["run_status"] = run.status
            return view

    def may_act(self, user: str, item_id: str) -> bool:
        """Whether ``user`` may claim or complete the item (assignee or group/queue member)."""
        with self.store.transaction(write=False) as tx:
            item = tx.get(WorkItem, item_id)
            return item is not None and self._may_see(user, item)

    def claim(self, item_id: str, *, by: str) -> dict[str, Any]:
        def op(tx: Transaction) -> dict[str, Any]:
            item = self._open_item(tx, item_id, by)
            if item.status == WorkItemStatus.CLAIMED:
                if item.claimed_by == by:
                    return self._item_view(item)
                raise Conflict(f"work item {item_id} is already claimed by {item.claimed_by}")
            c = self._load(tx, item.run_id)
            move(item, WorkItemStatus.CLAIMED)
            item.claimed_by = by
            if not tx.update(item, expect={"status": WorkItemStatus.OPEN.value}):
                raise Conflict(f"work item {item_id} changed meanwhile; reload it")
            self._event(c, "work_item.claimed", node=item.step_id, visit=item.visit, by=by, data={"work_item": item.id})
            self._flush(c)
            return self._item_view(item)

        return self._transact(op)

    def release(self, item_id: str, *, by: str) -> dict[str, Any]:
        def op(tx: Transaction) -> dict[str, Any]:
            item = self._open_item(tx, item_id, by)
            if item.status != WorkItemStatus.CLAIMED or item.claimed_by != by:
                raise Conflict(f"work item {item_id} is not claimed by {by}")
            c = self._load(tx, item.run_id)
            move(item, WorkItemStatus.OPEN)
            item.claimed_by = None
            if not tx.update(item, expect={"status": WorkItemStatus.CLAIMED.value, "claimed_by": by}):
                raise Conflict(f"work item {item_id} changed meanwhile; reload it")
            self._event(c, "work_item.released", node=item.step_id, visit=item.visit, by=by, data={"work_item": item.id})
            self._flush(c)
            return self._item_view(item)

        return self._transact(op)

    def reassign(self, item_id: str, to: Mapping[str, str], *, by: str | None = None) -> dict[str, Any]:
        """Give an open item to another user, group or queue (ops; the web layer checks the role)."""
        if not isinstance(to, Mapping) or to.get("type") not in ("user", "group", "queue") or not isinstance(to.get("value"), str):
            raise InvalidInput('reassign to {"type": "user" | "group" | "queue", "value": name}')

        def op(tx: Transaction) -> dict[str, Any]:
            item = tx.get(WorkItem, item_id)
            if item is None:
                raise NotFound(f"work item {item_id} does not exist")
            if item.status not in OPEN_ITEM:
                raise Conflict(f"work item {item_id} is {item.status}")
            c = self._load(tx, item.run_id)
            self._reassign(c, item, Assignee(to["type"], to["value"]), by=by, kind="reassignment")
            self._flush(c)
            return self._item_view(item)

        return self._transact(op)

    def hand_over(
        self, user: str, to: Mapping[str, str] | None, *, by: str | None = None,
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
        target: Assignee | None = None
        if to is not None:
            if not isinstance(to, Mapping) or to.get("type") not in ("user", "group", "queue") or not isinstance(to.get("value"), str):
                raise InvalidInput('hand over to {"type": "user" | "group" | "queue", "value": name}')
            if to["type"] == "user" and to["value"] == user:
                raise InvalidInput(f"{user}'s work cannot be handed over to {user}", {"reassign_to": ["choose someone else"]})
            target = Assignee(to["type"], to["value"])

        def op(tx: Transaction) -> dict[str, int]:
            if also is not None:
                also(tx)
            personal = tx.find(WorkItem, assignee_type="user", assignee_value=user, status=OPEN_ITEM)
            claimed = [i for i in tx.find(WorkItem, claimed_by=user, status=WorkItemStatus.CLAIMED.value)
                       if not (i.assignee_type == "user" and i.assignee_value == user)]
            if personal and target is None:
                count = f"{len(personal)} open work item{'s' if len(personal) != 1 else ''}"
                raise InvalidInput(f"{user} has {count} assigned to them personally: say in reassign_to who takes them",
                                   {"reassign_to": [f"required: {user} has {count} assigned to them personally"]})
            runs: dict[str, _RunContext] = {}
            for item in claimed:
                c = runs.get(item.run_id) or runs.setdefault(item.run_id, self._load(tx, item.run_id))
                move(item, WorkItemStatus.OPEN)
                item.claimed_by = None
                c.touch(item)
                self._event(c, "work_item.released", node=item.step_id, visit=item.visit, by=by,
                            data={"work_item": item.id, "claimed_by": user})
            for item in personal:
                assert target is not None
                c = runs.get(item.run_id) or runs.setdefault(item.run_id, self._load(tx, item.run_id))
                self._reassign(c, item, target, by=by, kind="reassignment")
            for c in runs.values():
                self._flush(c)
            return {"released": len(claimed), "reassigned": len(personal)}

        return self._transact(op)

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

        def op(tx: Transaction) -> dict[str, Any]:
            item = self._open_item(tx, item_id, by)
            if item.status == WorkItemStatus.CLAIMED and item.claimed_by != by:
                raise Conflict(f"work item {item_id} is claimed by {item.claimed_by}")
            c = self._load(tx, item.run_id)
            if c.run.status != RunStatus.IN_PROGRESS:
                raise Conflict(f"run {c.run.id} is {c.run.status}; its work items cannot be completed now")
            step = c.spec.steps[item.step_id]
            assert step.form is not None
            chosen, clean = _check_form(step, outcome, values)
            if comment is not None and not isinstance(comment, str):
                raise InvalidInput("comment must be a string")
            move(item, WorkItemStatus.COMPLETED)
            item.completed_at, item.completed_by = c.now, by
            item.outcome, item.values, item.comment = chosen, clean, comment
            if not tx.update(item, expect={"status": OPEN_ITEM}):
                raise Conflict(f"work item {item_id} was completed by someone else meanwhile")
            self._event(
                c, "work_item.completed", node=item.step_id, visit=item.visit, by=by,
                data={"work_item": item.id, "outcome": chosen, "values": clean, "comment": comment},
            )
            if _has_timers(step):
                self._delete_timers(c, work_item_id=item.id)
            self._on_item_completed(c, step, item)
            self._advance(c)
            self._flush(c)
            return self._item_view(item)

        view = self._transact(op)
        self._after()
        return view

    # ------------------------------------------------------------------ events, records

    def publish_event(self, name: str, correlation: Any = None, payload: Mapping[str, Any] | None = None) -> list[str]:
        """Deliver an event to every run waiting for it; returns their ids.

        If nobody waits and an active version buffers events of this name, it is kept
        until a matching wait step starts.
        """
        if not isinstance(name, str) or not name:
            raise InvalidInput("event name must be a non-empty string")
        for part, value in (("payload", payload or {}), ("correlation", correlation)):
            if too_big := size_problem(value):
                where = full_path(part, too_big)
                raise InvalidInput(f"{where} {too_big[1]}", {where: [too_big[1]]})
        body = _json_copy(dict(payload or {}))
        correlation = _json_copy(correlation)

        def op(tx: Transaction) -> list[str]:
            now = self.clock.now()
            event = {"name": name, "correlation": correlation, "payload": body}
            delivered: list[str] = []
            for sub in sorted(tx.find(Subscription, name=name), key=lambda s: s.id):
                c = self._load(tx, sub.run_id)
                step_run = c.steps.get(sub.step_id)
                if step_run is None or step_run.visit != sub.visit or step_run.status not in OPEN_STEP:
                    tx.delete(Subscription, sub.id)
                    continue
                if not self._event_matches(c, c.spec.steps[sub.step_id], sub.key, event):
                    continue
                tx.delete(Subscription, sub.id)
                self._event(c, "event.received", node=sub.step_id, visit=sub.visit, data=event)
                self._complete_step(c, c.spec.steps[sub.step_id], outputs={"event": event}, extra={"event": event})
                self._advance(c)
                self._flush(c)
                delivered.append(c.run.id)
            if not delivered and self._buffers(tx, name):
                tx.insert(BufferedEvent(_new_id(), name, correlation, body, now, now + _BUFFER_TTL))
            return delivered

        delivered = self._transact(op)
        self._after()
        return delivered

    def define_record_type(self, name: str, fields: list[dict[str, Any]], *, label: str | None = None) -> None:
        """Declare a record type with typed fields (``[{"name", "type", "required", "label", "options"}]``;
        ``options``, on a string field, lists the only values it takes)."""
        for f in fields:
            if check_type("string", f.get("name")) or f.get("type") not in ("string", "number", "integer", "boolean", "date", "datetime", "list", "map"):
                raise InvalidInput(f"record type {name!r}: bad field {f!r}")
            options = f.get("options")
            if options is not None and (f["type"] != "string" or not isinstance(options, list) or not options
                                        or any(check_type("string", o) for o in options) or len(set(options)) != len(options)):
                raise InvalidInput(f"record type {name!r}: field {f['name']!r}: options are a non-empty list of "
                                   "distinct strings, on a string field only")
        with self.store.transaction() as tx:
            row = tx.get(RecordType, name)
            if row:
                row.fields, row.label = _json_copy(list(fields)), label or row.label
                tx.update(row)
            else:
                tx.insert(RecordType(name, label or name, _json_copy(list(fields)), self.clock.now()))

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
        result = self._transact(lambda tx: self._create_record(tx, object, fields, owner or by, idempotency_key))
        self._after()
        return result

    def _create_record(
        self, tx: Transaction, object: str, fields: Mapping[str, Any], owner: str | None, idempotency_key: str | None
    ) -> dict[str, Any]:
        if idempotency_key:
            existing = tx.find(Record, idempotency_key=idempotency_key)
            if existing:
                return {**_json_copy(_record_scope(existing[0])), "started_runs": []}
        now = self.clock.now()
        values = self._check_record_fields(tx, object, _json_copy(dict(fields)), partial=False)
        record = Record(_new_id(), object, values, now, now, owner, 0, idempotency_key)
        tx.insert(record)
        started = self._trigger(tx, record, "create", None)
        return {**_json_copy(_record_scope(record)), "started_runs": started}

    def update_record(
        self, object: str, record_id: str, changes: Mapping[str, Any], *, by: str | None = None, owner: str | None = None
    ) -> dict[str, Any]:
        """Change a record's fields; its runs re-evaluate, ``update`` triggers may start runs."""

        result = self._transact(lambda tx: self._update_record(tx, object, record_id, changes, by, owner))
        self._after()
        return result

    def _update_record(
        self,
        tx: Transaction,
        object: str,
        record_id: str,
        changes: Mapping[str, Any],
        by: str | None,
        owner: str | None = None,
        acting: _RunContext | None = None,
    ) -> dict[str, Any]:
        """Update a record in ``tx``; every run bound to it re-evaluates. ``acting`` is the
        run whose local action made the change: it sees the new record at once and goes
        on in its own advance."""
        record = tx.get(Record, record_id) if isinstance(record_id, str) else None
        if record is None or record.object != object:
            raise NotFound(f"record {object}/{record_id} does not exist")
        before = _record_scope(record)
        values = self._check_record_fields(tx, object, _json_copy(dict(changes)), partial=True)
        record.fields = {**record.fields, **values}
        if owner is not None:
            record.owner = owner
        revision = record.revision
        record.updated_at, record.revision = self.clock.now(), revision + 1
        if not tx.update(record, expect={"revision": revision}):
            raise ConcurrentUpdate(f"record {object}/{record_id} changed meanwhile")
        for run in tx.find(Run, record_id=record.id, status=RunStatus.IN_PROGRESS.value):
            if acting is not None and run.id == acting.run.id:
                acting.record, acting.scope_cache = _record_scope(record), None
                self._event(acting, "record.updated", by=by, data={"changes": values, "own_action": True})
                continue
            c = self._load(tx, run.id)
            self._event(c, "record.updated", by=by, data={"changes": values})
            self._advance(c)
            self._flush(c)
        started = self._trigger(tx, record, "update", before)
        return {**_json_copy(_record_scope(record)), "started_runs": started}

    def get_record(self, object: str, record_id: str) -> dict[str, Any]:
        with self.store.transaction(write=False) as tx:
            record = tx.get(Record, record_id)
            if record is None or record.object != object:
                raise NotFound(f"record {object}/{record_id} does not exist")
            return _json_copy(_record_scope(record))

    def notifications(self, *, to: str | None = None) -> list[dict[str, Any]]:
        """Notifications in the outbox; ``to`` = a user: theirs and their groups'/queues'."""
        with self.store.transaction(write=False) as tx:
            if to is None:
                rows = tx.find(Notification)
            else:
                names = {to} | {n for _k, n in self.directory.memberships(to)}
                rows = [
                    n for n in tx.find(Notification, to_value=tuple(names))
                    if (n.to_type == "user" and n.to_value == to) or (n.to_type, n.to_value) in self.directory.memberships(to)
                ]
            rows.sort(key=lambda n: (n.created_at, n.id))
            return [
                {"id": n.id, "kind": n.kind, "to": {"type": n.to_type, "value": n.to_value}, "subject": n.subject, "body": n.body,
                 "run_id": n.run_id, "work_item_id": n.work_item_id, "created_at": _iso(n.created_at)}
                for n in rows
            ]

    # ------------------------------------------------------------------ jobs and timers

    def process(self, *, limit: int | None = None) -> int:
        """Run ready background jobs and fire due timers until none is left; returns how many."""
        done = 0
        while limit is None or done < limit:
            room = 50 if limit is None else min(50, limit - done)
            batch = self.run_jobs(limit=room) if self._local_jobs else 0
            if batch == 0:
                # One cheap read tells whether the store holds anything for us.
                timers_due, jobs_ready = self.store.has_work(self.clock.now())
                if timers_due:
                    batch += self.fire_due_timers(limit=room)
                if jobs_ready and batch < room:
                    batch += self.run_jobs(limit=room - batch)
            if batch == 0:
                break
            done += batch
        return done

    def fire_due_timers(self, *, limit: int = 100) -> int:
        fired = 0
        now = self.clock.now()
        with self.store.transaction(write=False) as tx:
            due = tx.due_timers(now, limit)
        for timer in due:
            def op(tx: Transaction, timer_id: str = timer.id) -> bool:
                row = tx.get(Timer, timer_id)
                # Deleting is the claim: of two workers firing one timer, one deletes it.
                if row is None or not tx.delete(Timer, row.id):
                    return False
                c = self._load(tx, row.run_id)
                self._fire(c, row)
                self._advance(c)
                self._flush(c)
                return True

            if self._transact(op):
                fired += 1
        return fired

    def run_jobs(self, *, limit: int = 100) -> int:
        """Run up to ``limit`` jobs: those this engine claimed as it scheduled them, else claim some.

        Actions run outside any transaction; their results are then recorded together,
        in one transaction (one commit for the batch).
        """
        jobs = self._take_local_jobs(limit) or self.store.claim_jobs(self.clock.now(), self.worker_id, limit)
        if not jobs:
            return 0
        self.jobs_in_hand.update(j.id for j in jobs)
        try:
            outcomes = [self._execute(job) for job in jobs]
            try:
                self._transact(lambda tx: [self._record_job_result(tx, *outcome) for outcome in outcomes])
            except Exception:
                # One bad result must not hold back the others: record them one by one.
                log.exception("recording a batch of job results failed; recording one by one")
                for outcome in outcomes:
                    try:
                        self._transact(lambda tx, o=outcome: self._record_job_result(tx, *o))
                    except Exception:
                        log.exception("recording the result of job %s failed; it will be retried", outcome[0].id)
        finally:
            self.jobs_in_hand.difference_update(j.id for j in jobs)
        return len(jobs)

    def release_local_jobs(self) -> int:
        """Hand back the jobs claimed as they were scheduled and not started yet (on stop),
        so other workers take them at once instead of after the stale timeout."""
        with self._local_lock:
            jobs, self._local_jobs = list(self._local_jobs), deque()
        released = 0
        for job in jobs:
            def op(tx: Transaction, job: Job = job) -> bool:
                row = _copy_row(job)
                move(row, JobStatus.QUEUED)
                row.claimed_by, row.claimed_at, row.heartbeat_at = None, None, None
                return tx.update(row, expect={"status": JobStatus.RUNNING.value, "claimed_by": job.claimed_by})

            if self._transact(op):
                released += 1
            self.jobs_in_hand.discard(job.id)
        return released

    def _take_local_jobs(self, limit: int) -> list[Job]:
        with self._local_lock:
            taken = []
            while self._local_jobs and len(taken) < limit:
                taken.append(self._local_jobs.popleft())
            return taken

    def _execute(self, job: Job) -> tuple[Job, Any, ActionFailed | None, ActionContext]:
        action = self.actions.get(job.action)

        def load_run() -> tuple[str, dict[str, Any] | None]:
            with self.store.transaction(write=False) as tx:
                run = tx.get(Run, job.run_id)
                record = tx.get(Record, run.record_id) if run and run.record_id else None
            return (run.orchestration if run else "", _record_scope(record))

        context = ActionContext(
            run_id=job.run_id, step_id=job.step_id, visit=job.visit, attempt=job.attempt,
            idempotency_key=job.idempotency_key, now=self.clock.now(), services=_Services(self),
            settings=self.settings, load_run=load_run,
        )
        try:
            if action is None:
                raise ActionFailed(f"action {job.action!r} is not registered", retryable=False)
            return job, self._call(action, context, dict(job.inputs)), None, context
        except ActionFailed as exc:
            return job, None, exc, context
        except Exception as exc:  # an action's bug is the step's failure, not the engine's
            log.exception("action %s failed", job.action)
            return job, None, ActionFailed(f"{type(exc).__name__}: {exc}"), context

    def _record_job_result(
        self, tx: Transaction, job: Job, result: Any, failure: ActionFailed | None, context: ActionContext
    ) -> None:
        row = _copy_row(job)
        row.finished_at = self.clock.now()
        move(row, JobStatus.DONE if failure is None else JobStatus.FAILED)
        row.error = None if failure is None else failure.message
        if not tx.update(row, expect={"status": JobStatus.RUNNING.value, "claimed_by": job.claimed_by}):
            return  # re-queued as stale and claimed again meanwhile: that execution records it
        c = self._load(tx, job.run_id)
        step_run = c.steps.get(job.step_id)
        still_wanted = step_run is not None and step_run.visit == job.visit and step_run.status == NodeStatus.IN_PROGRESS
        step = c.spec.steps[job.step_id]
        if failure is None:
            if not still_wanted:
                return
            self._event(c, "action.succeeded", node=job.step_id, visit=job.visit, data={"attempt": job.attempt, "action": job.action})
            if isinstance(result, Pending):
                assert step_run is not None
                step_run.outputs = dict(result.outputs)
                c.touch(step_run)
            else:
                try:
                    self._apply_variables(c, step, context.variables)
                except _RunError as exc:
                    self._run_error(c, exc)
                self._complete_step(c, step, outputs=self._action_outputs(c, step, result))
            self._advance(c)
            self._flush(c)
            return
        if not still_wanted:
            return
        assert step.retry is not None and step_run is not None
        self._event(c, "action.failed", node=job.step_id, visit=job.visit,
                    data={"attempt": job.attempt, "action": job.action, "error": failure.message, "retryable": failure.retryable})
        tries = job.attempt - step_run.retry_base
        if failure.retryable and tries < step.retry.max_attempts:
            delay = step.retry.backoff.delta.total_seconds() * step.retry.multiplier ** (tries - 1)
            delay = min(delay, step.retry.max_backoff.delta.total_seconds())
            self._enqueue(c, step, step_run, job.inputs, job.attempt + 1, c.now + timedelta(seconds=delay))
        else:
            self._fail_step(c, step, failure.message)
            self._advance(c)
        self._flush(c)

    # ------------------------------------------------------------------ the core loop

    def _advance(self, c: _RunContext) -> None:
        """Move the run as far as it can go; stop at the first thing it must wait for."""
        try:
            for _ in range(_MAX_MOVES):
                if c.run.status != RunStatus.IN_PROGRESS or not self._move(c):
                    return
            raise _RunError(c.run.current_node, None, f"the run made {_MAX_MOVES} moves without waiting; is there a loop with no wait?")
        except _RunError as exc:
            self._run_error(c, exc)

    def _move(self, c: _RunContext) -> bool:
        node = c.run.current_node
        spec = c.spec
        if node is None:
            self._enter(c, spec.start_next, spec.start_edge)
            return True
        if node in spec.decisions:
            decision = spec.decisions[node]
            chosen = decision.default
            for outcome in decision.outcomes:
                assert outcome.condition is not None
                if self._holds(c, outcome.condition, node, f"outcome {outcome.id}"):
                    chosen = outcome
                    break
            self._event(c, "decision.taken", node=node, data={"outcome": chosen.id, "edge": chosen.edge, "target": chosen.target})
            self._enter(c, chosen.target, chosen.edge)
            return True
        if node not in spec.stages:
            return False
        stage = spec.stages[node]
        visit = c.stages[node]
        if visit.status == NodeStatus.WAITING:
            if stage.entry is None or self._holds(c, stage.entry, node, "entry.condition"):
                move(visit, NodeStatus.IN_PROGRESS)
                visit.started_at = c.now
                c.touch(visit)
                self._event(c, "stage.started", node=node, visit=visit.visit)
                return True
            return False
        if visit.status != NodeStatus.IN_PROGRESS:
            return False
        changed = False
        for step_id in stage.steps:
            step, step_run = spec.steps[step_id], c.steps[step_id]
            if step_run.status == NodeStatus.NOT_STARTED and self._may_start(c, step):
                self._start_step(c, step)
                changed = True
            elif step_run.status == NodeStatus.WAITING and step.until is not None and self._holds(c, step.until, step_id, "until"):
                self._complete_step(c, step, outputs={})
                changed = True
        if changed:
            return True
        if stage.exit_when == "all_steps":
            done = all_completed(stage.steps, lambda s: c.steps[s].status)
        else:
            assert stage.exit_condition is not None
            done = self._holds(c, stage.exit_condition, node, "exit.condition")
        if not done:
            return False
        self._discontinue_stage_steps(c, node)
        move(visit, NodeStatus.COMPLETED)
        visit.ended_at = c.now
        c.touch(visit)
        self._event(c, "stage.completed", node=node, visit=visit.visit, data={"duration": _seconds(visit.started_at, c.now)})
        self._enter(c, stage.next, stage.next_edge)
        return True

    def _enter(self, c: _RunContext, target: str, edge: str) -> None:
        self._event(c, "edge.taken", node=target, data={"edge": edge, "from": c.run.current_node})
        c.run.current_node = target
        c.touch(c.run)
        if target in c.spec.ends:
            self._event(c, "end.reached", node=target)
            self._end_run(c, RunStatus.COMPLETED)
            return
        if target not in c.spec.stages:
            return
        stage = c.spec.stages[target]
        previous = c.stages.get(target)
        number = previous.visit + 1 if previous else 1
        if previous:
            previous.current = False
            c.touch(previous)
        for step_id in stage.steps:
            old = c.steps.get(step_id)
            if old is not None:
                old.current = False
                c.touch(old)
            step_run = StepRun(f"{c.run.id}:{step_id}:{number}", c.run.id, step_id, target, number)
            c.steps[step_id] = step_run
            c.add(step_run)
        waiting = stage.entry is not None
        c.run.visits += 1
        visit = StageVisit(
            f"{c.run.id}:{target}:{number}", c.run.id, target, number,
            (NodeStatus.WAITING if waiting else NodeStatus.IN_PROGRESS).value, c.now, None if waiting else c.now, position=c.run.visits,
        )
        c.stages[target] = visit
        c.add(visit)
        self._event(c, "stage.waiting" if waiting else "stage.started", node=target, visit=number)

    def _may_start(self, c: _RunContext, step: Step) -> bool:
        decided = start_decided(step.start, lambda s: c.steps[s].status)
        if decided is not None:
            return decided
        assert step.start.condition is not None
        return self._holds(c, step.start.condition, step.id, "start.condition")

    def _start_step(self, c: _RunContext, step: Step) -> None:
        step_run = c.steps[step.id]
        step_run.started_at = c.now
        c.touch(step_run)
        if step.type == "interactive":
            move(step_run, NodeStatus.IN_PROGRESS)
            self._event(c, "step.started", node=step.id, visit=step_run.visit)
            self._create_work_items(c, step, step_run)
        elif step.type == "background":
            move(step_run, NodeStatus.IN_PROGRESS)
            self._event(c, "step.started", node=step.id, visit=step_run.visit, data={"action": step.action})
            overrides = step_run.input_overrides or {}
            inputs = {name: self._value(c, expr, step.id, f"inputs.{name}") for name, expr in step.inputs if name not in overrides}
            inputs.update(_json_copy(overrides))
            action = self.actions.get(step.action or "")
            if action is not None and action.local:
                self._run_local(c, step, step_run, action, inputs)
            else:
                self._enqueue(c, step, step_run, inputs, step_run.attempts + 1, c.now)
        else:
            move(step_run, NodeStatus.WAITING)
            self._event(c, "step.waiting", node=step.id, visit=step_run.visit)
            self._begin_wait(c, step, step_run)

    def _begin_wait(self, c: _RunContext, step: Step, step_run: StepRun) -> None:
        if step.timer_duration is not None or step.timer_at is not None:
            if step.timer_duration is not None:
                due = step.timer_duration.after(c.now)
            else:
                assert step.timer_at is not None
                due = _timestamp(self._value(c, step.timer_at, step.id, "timer.at"), step.id, c.now)
            c.add(Timer(_new_id(), c.run.id, "wait", step.id, step_run.visit, due))
        elif step.event_name is not None:
            key = None
            if step.correlation is not None and not step.correlation_is_predicate:
                key = self._value(c, step.correlation, step.id, "event.correlation")
            for buffered in sorted(c.tx.find(BufferedEvent, name=step.event_name), key=lambda b: (b.received_at, b.id)):
                if buffered.expires_at <= c.now:
                    c.tx.delete(BufferedEvent, buffered.id)
                    continue
                event = {"name": buffered.name, "correlation": buffered.correlation, "payload": buffered.payload}
                if self._event_matches(c, step, key, event):
                    c.tx.delete(BufferedEvent, buffered.id)
                    self._event(c, "event.received", node=step.id, visit=step_run.visit, data={**event, "buffered": True})
                    self._complete_step(c, step, outputs={"event": event}, extra={"event": event})
                    return
            c.add(Subscription(_new_id(), c.run.id, step.id, step_run.visit, step.event_name, key, step.correlation_is_predicate))

    def _event_matches(self, c: _RunContext, step: Step, key: Any, event: dict[str, Any]) -> bool:
        if step.correlation is None:
            return True
        if not step.correlation_is_predicate:
            return bool(key == event["correlation"])
        c.extra_scope, c.scope_cache = {"event": event}, None
        try:
            return self._holds(c, step.correlation, step.id, "event.correlation")
        except _RunError:
            return False  # an event that does not fit the predicate's shape does not match
        finally:
            c.extra_scope, c.scope_cache = None, None

    def _run_local(self, c: _RunContext, step: Step, step_run: StepRun, action: Any, inputs: dict[str, Any]) -> None:
        """A local action runs here, in this transaction: no job, no queue, no retry
        (it is deterministic: the same inputs would fail the same way)."""
        step_run.attempts += 1
        key = f"{c.run.id}:{step.id}:{step_run.visit}:{step_run.attempts}"
        context = ActionContext(run_id=c.run.id, step_id=step.id, visit=step_run.visit, attempt=step_run.attempts,
                                idempotency_key=key, now=c.now, services=_LocalServices(self, c), settings=self.settings,
                                load_run=lambda: (c.run.orchestration, c.record))
        try:
            result = self._call(action, context, inputs)
        except Exception as exc:
            message = exc.message if isinstance(exc, ActionFailed) else f"{type(exc).__name__}: {exc}"
            self._event(c, "action.failed", node=step.id, visit=step_run.visit,
                        data={"attempt": step_run.attempts, "action": action.name, "error": message, "local": True})
            self._fail_step(c, step, message)
            return
        self._event(c, "action.succeeded", node=step.id, visit=step_run.visit,
                    data={"attempt": step_run.attempts, "action": action.name, "local": True})
        try:
            self._apply_variables(c, step, context.variables)
        except _RunError as exc:
            self._run_error(c, exc)
        self._complete_step(c, step, outputs=self._action_outputs(c, step, result))

    def _action_outputs(self, c: _RunContext, step: Step, result: Any) -> dict[str, Any]:
        """An action's result as the step's outputs; one over the size caps is not kept and puts the run in error."""
        if not isinstance(result, dict):
            return {}
        if too_big := size_problem(result):
            where = full_path("outputs", too_big)
            self._run_error(c, _RunError(step.id, "outputs", f"the result of action {step.action}: {where} {too_big[1]}"))
            return {}
        return result

    def _call(self, action: Any, context: ActionContext, inputs: dict[str, Any]) -> Any:
        """Run ``action`` with the secrets its inputs name; what it returns, sets or raises
        comes back with their values masked, before anything is stored (runtime/secrets.py)."""
        try:
            revealed, used = reveal(inputs, self.secrets)
        except UnknownSecret as exc:
            raise ActionFailed(str(exc), retryable=False) from None
        if not used:
            return action.handler(context, revealed)
        try:
            result = action.handler(context, revealed)
        except ActionFailed as exc:
            raise ActionFailed(mask(exc.message, used), retryable=exc.retryable) from None
        except Exception as exc:  # logged here, masked: the caller's log would print the value
            message = mask(f"{type(exc).__name__}: {exc}", used)
            log.error("action %s failed: %s", action.name, message)
            raise ActionFailed(message) from None
        context.variables = mask(context.variables, used)
        if isinstance(result, Pending):
            result.outputs = mask(result.outputs, used)
            return result
        return mask(result, used)

    def _enqueue(self, c: _RunContext, step: Step, step_run: StepRun, inputs: dict[str, Any], attempt: int, when: datetime) -> None:
        step_run.attempts = attempt
        c.touch(step_run)
        key = f"{c.run.id}:{step.id}:{step_run.visit}:{attempt}"
        job = Job(_new_id(), c.run.id, step.id, step_run.visit, attempt, step.action or "", inputs, JobStatus.QUEUED.value, when, key, c.now)
        if self.claim_inline and when <= c.now:
            # This engine runs what it schedules: the job is born claimed, saving a claim
            # round trip; if the process dies, the missing heartbeat re-queues it.
            move(job, JobStatus.RUNNING)
            job.claimed_by, job.claimed_at, job.heartbeat_at = self.worker_id, c.now, c.now
            self._tx_state.claimed.append(job)
        c.add(job)
        self._event(c, "action.scheduled", node=step.id, visit=step_run.visit,
                    data={"action": step.action, "attempt": attempt, "run_after": when.isoformat(), "idempotency_key": key})

    def _create_work_items(self, c: _RunContext, step: Step, step_run: StepRun) -> None:
        assert step.assignee is not None
        targets: list[Assignee]
        if step.approval is None:
            targets = [self._resolve(c, step.assignee, step.id, "assignee.value")]
        elif step.approval.approvers:
            targets = [self._resolve(c, a, step.id, f"approval.approvers[{i}].value") for i, a in enumerate(step.approval.approvers)]
        else:
            base = self._resolve(c, step.assignee, step.id, "assignee.value")
            members = self.directory.members(base.type, base.value) if base.type in ("group", "queue") else []
            targets = [Assignee("user", m) for m in members] or [base]
        due = step.due.after(c.now) if step.due else None
        for meant in targets:
            target, for_whom = self._delegated(c, meant)
            item = WorkItem(
                id=_new_id(), run_id=c.run.id, orchestration=c.spec.key, step_id=step.id, stage_id=step.stage,
                visit=step_run.visit, label=step.label, assignee_type=target.type, assignee_value=target.value,
                status=WorkItemStatus.OPEN.value, created_at=c.now, due_at=due, record_object=c.run.record_object, record_id=c.run.record_id,
                on_behalf_of=for_whom,
            )
            c.add(item)
            data = {"work_item": item.id, "assignee": {"type": target.type, "value": target.value}, "due_at": _iso(due)}
            self._event(c, "work_item.created", node=step.id, visit=step_run.visit,
                        data={**data, "on_behalf_of": for_whom} if for_whom else data)
            self._notify(c, "assignment", target, f"New work: {step.label}{_for(for_whom)}",
                         f"{c.spec.label}: {step.label}{_for(for_whom)}", item.id)
            if due is not None and step.escalation is not None:
                c.add(Timer(_new_id(), c.run.id, "escalation", step.id, step_run.visit, step.escalation.after.after(due), item.id))

    def _resolve(self, c: _RunContext, assignee: Assignee, node: str, field_name: str) -> Assignee:
        if assignee.type != "expression":
            return assignee
        assert assignee.expression is not None
        value = self._value(c, assignee.expression, node, field_name)
        if not isinstance(value, str) or not value:
            raise _RunError(node, field_name, f"the assignee expression `{assignee.value}` gave {value!r}, not a user name")
        return Assignee("user", value)

    def _on_item_completed(self, c: _RunContext, step: Step, item: WorkItem) -> None:
        if step.approval is None:
            self._complete_step(c, step, outputs=dict(item.values), outcome=item.outcome, by=item.completed_by)
            return
        # Responses accumulate on the step in the order they came in.
        step_run = c.steps[step.id]
        responses = [*step_run.outputs.get("responses", []),
                     {"by": item.completed_by, "outcome": item.outcome, "values": item.values, "comment": item.comment}]
        open_items = [i for i in c.tx.find(WorkItem, run_id=c.run.id, step_id=step.id, visit=item.visit, status=OPEN_ITEM)
                      if i.id != item.id]
        approve = step.approval.approve_outcome
        approvals = sum(1 for r in responses if r["outcome"] == approve)
        rejections = len(responses) - approvals
        total = len(responses) + len(open_items)
        if step.approval.policy == "any":
            needed, decided = 1, item.outcome
        else:
            needed = total if step.approval.policy == "all" else int(step.approval.quorum or total)
            if approvals >= needed:
                decided = approve
            elif total - rejections < needed:  # approval can no longer be reached
                decided = next(r["outcome"] for r in responses if r["outcome"] != approve)
            else:
                decided = None
        outputs = {**item.values, "approvals": approvals, "rejections": rejections, "needed": needed, "responses": responses}
        if decided is None:
            step_run.outputs = outputs
            c.touch(step_run)
            return
        for other in open_items:
            self._cancel_item(c, other)
        self._complete_step(c, step, outputs=outputs, outcome=decided, by=item.completed_by)

    def _complete_step(
        self,
        c: _RunContext,
        step: Step,
        *,
        outputs: dict[str, Any],
        outcome: str | None = None,
        by: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        step_run = c.steps[step.id]
        move(step_run, NodeStatus.COMPLETED)
        step_run.ended_at = c.now
        step_run.outcome, step_run.outputs, step_run.completed_by = outcome, outputs, by
        c.touch(step_run)
        if _has_timers(step):
            self._delete_timers(c, step_id=step.id)
        self._event(c, "step.completed", node=step.id, visit=step_run.visit, by=by,
                    data={"outcome": outcome, "outputs": outputs, "duration": _seconds(step_run.started_at, c.now)})
        if not step.set:
            return
        c.extra_scope, c.scope_cache = extra, None
        try:
            values = {name: self._value(c, expr, step.id, f"set.{name}") for name, expr in step.set}
            c.extra_scope, c.scope_cache = None, None
            self._apply_variables(c, step, values)
        except _RunError as exc:
            self._run_error(c, exc)
        finally:
            c.extra_scope, c.scope_cache = None, None

    def _apply_variables(self, c: _RunContext, step: Step, values: Mapping[str, Any]) -> None:
        if not values:
            return
        declared = {v.name: v for v in c.spec.variables}
        for name, value in values.items():
            var = declared.get(name)
            if var is None:
                raise _RunError(step.id, f"set.{name}", f"{name!r} is not a variable of this orchestration")
            if value is not None:
                problem = check_type(var.type, _plain(value))
                if problem:
                    raise _RunError(step.id, f"set.{name}", f"variable {name!r} {problem}, got {value!r}")
                if too_big := size_problem(_plain(value)) or _over_max_items(var, value):
                    raise _RunError(step.id, f"set.{name}", f"variable {full_path(name, too_big)} {too_big[1]}")
        c.run.vars = {**c.run.vars, **{k: _plain(v) for k, v in values.items()}}
        c.touch(c.run)
        self._event(c, "variables.set", node=step.id, data={"values": {k: _plain(v) for k, v in values.items()}})

    def _fail_step(self, c: _RunContext, step: Step, message: str) -> None:
        step_run = c.steps[step.id]
        move(step_run, NodeStatus.ERROR)
        step_run.error, step_run.ended_at = message, c.now
        c.touch(step_run)
        self._event(c, "step.error", node=step.id, visit=step_run.visit, data={"error": message})
        stage = c.spec.stages[step.stage]
        visit = c.stages[step.stage]
        if stage.error_next is not None and stage.error_edge is not None:
            self._discontinue_stage_steps(c, stage.id)
            move(visit, NodeStatus.ERROR)
            visit.ended_at = c.now
            c.touch(visit)
            self._event(c, "stage.error", node=stage.id, visit=visit.visit, data={"error": message, "fault_path": stage.error_edge})
            if c.run.status == RunStatus.IN_PROGRESS:
                self._enter(c, stage.error_next, stage.error_edge)
            return
        move(visit, NodeStatus.ERROR)
        c.touch(visit)
        self._event(c, "stage.error", node=stage.id, visit=visit.visit, data={"error": message})
        self._run_error(c, _RunError(step.id, None, message))

    def _run_error(self, c: _RunContext, exc: _RunError) -> None:
        if c.run.status in ENDED_RUN:
            return
        move(c.run, RunStatus.ERROR)
        c.run.error = {"node": exc.node, "field": exc.field, "message": exc.message}
        c.touch(c.run)
        self._event(c, "run.error", node=exc.node, data={"field": exc.field, "error": exc.message})

    def _fire(self, c: _RunContext, timer: Timer) -> None:
        step_run = c.steps.get(timer.step_id)
        if step_run is None or step_run.visit != timer.visit or step_run.status not in OPEN_STEP:
            return
        step = c.spec.steps[timer.step_id]
        if timer.kind == "wait":
            self._event(c, "timer.fired", node=step.id, visit=timer.visit, data={"due_at": timer.due_at.isoformat()})
            self._complete_step(c, step, outputs={"fired_at": c.now.isoformat()})
            return
        item = c.tx.get(WorkItem, timer.work_item_id) if timer.work_item_id else None
        if item is None or item.status not in OPEN_ITEM or step.escalation is None:
            return
        item.escalated_at = c.now
        c.touch(item)
        self._event(c, "work_item.escalated", node=step.id, visit=timer.visit,
                    data={"work_item": item.id, "action": step.escalation.action, "due_at": _iso(item.due_at)})
        try:
            to = self._resolve(c, step.escalation.to, step.id, "escalation.to.value") if step.escalation.to else None
        except _RunError as exc:
            self._run_error(c, exc)
            return
        if step.escalation.action == "reassign" and to is not None:
            self._reassign(c, item, to, by=None, kind="escalation")
        else:
            target = to or Assignee(item.assignee_type, item.assignee_value)
            self._notify(c, "escalation", target, f"Overdue: {step.label}", f"{c.spec.label}: {step.label} was due {_iso(item.due_at)}", item.id)

    def _reassign(self, c: _RunContext, item: WorkItem, meant: Assignee, *, by: str | None, kind: str) -> None:
        before = {"type": item.assignee_type, "value": item.assignee_value}
        to, for_whom = self._delegated(c, meant)
        move(item, WorkItemStatus.OPEN)
        item.assignee_type, item.assignee_value, item.claimed_by = to.type, to.value, None
        item.on_behalf_of = for_whom
        c.touch(item)
        data = {"work_item": item.id, "from": before, "to": {"type": to.type, "value": to.value}}
        self._event(c, "work_item.reassigned", node=item.step_id, visit=item.visit, by=by,
                    data={**data, "on_behalf_of": for_whom} if for_whom else data)
        self._notify(c, kind, to, f"Reassigned to you: {item.label}{_for(for_whom)}",
                     f"{c.spec.label}: {item.label}{_for(for_whom)}", item.id)

    def _delegated(self, c: _RunContext, meant: Assignee) -> tuple[Assignee, str | None]:
        """Who really gets work meant for ``meant``, and for whom they do it (None: themselves).

        A person out of office hands personal work to their delegate; a delegate who is
        away too hands it on, up to :data:`DELEGATION_HOPS` people, never in a circle
        (the last person reached who is not away, or who would close a circle, takes it).
        Group and queue work is not delegated: the others in the group are there.
        """
        if meant.type != "user":
            return meant, None
        seen = [meant.value]
        for _ in range(DELEGATION_HOPS):
            delegate = self.directory.delegate(seen[-1], c.now)
            if delegate is None or delegate in seen:
                break
            seen.append(delegate)
        if len(seen) == 1:
            return meant, None
        return Assignee("user", seen[-1]), meant.value

    # ------------------------------------------------------------------ closing things

    def _discontinue_stage_steps(self, c: _RunContext, stage_id: str) -> None:
        for step_id in c.spec.stages[stage_id].steps:
            step_run = c.steps[step_id]
            if step_run.status in OPEN_STEP:
                move(step_run, NodeStatus.DISCONTINUED)
                step_run.ended_at = c.now
                c.touch(step_run)
                self._event(c, "step.discontinued", node=step_id, visit=step_run.visit)
                self._close_step_work(c, step_id, step_run.visit)

    def _close_step_work(self, c: _RunContext, step_id: str, visit: int) -> None:
        step = c.spec.steps[step_id]
        if step.type == "interactive":
            for item in c.tx.find(WorkItem, run_id=c.run.id, step_id=step_id, visit=visit, status=OPEN_ITEM):
                self._cancel_item(c, item)
        elif step.type == "background":
            for job in c.tx.find(Job, run_id=c.run.id, step_id=step_id, status=JobStatus.QUEUED.value):
                move(job, JobStatus.CANCELLED)
                c.touch(job)
        elif step.event_name is not None:
            for sub in c.tx.find(Subscription, run_id=c.run.id, step_id=step_id):
                c.tx.delete(Subscription, sub.id)
        if _has_timers(step):
            self._delete_timers(c, step_id=step_id)

    def _close_open_work(self, c: _RunContext, step_status: NodeStatus) -> None:
        for step_run in c.steps.values():
            if step_run.status in OPEN_STEP:
                move(step_run, step_status)
                step_run.ended_at = c.now
                c.touch(step_run)
                self._event(c, f"step.{step_status}", node=step_run.step_id, visit=step_run.visit)
            self._close_step_work(c, step_run.step_id, step_run.visit)
        visit = c.stages.get(c.run.current_node or "")
        if visit is not None and visit.status in (NodeStatus.WAITING, NodeStatus.IN_PROGRESS, NodeStatus.ERROR):
            move(visit, step_status)
            visit.ended_at = c.now
            c.touch(visit)
            self._event(c, f"stage.{step_status}", node=visit.stage_id, visit=visit.visit)

    def _cancel_item(self, c: _RunContext, item: WorkItem) -> None:
        move(item, WorkItemStatus.CANCELLED)
        c.touch(item)
        if _has_timers(c.spec.steps[item.step_id]):
            self._delete_timers(c, work_item_id=item.id)
        self._event(c, "work_item.cancelled", node=item.step_id, visit=item.visit, data={"work_item": item.id})

    def _delete_timers(self, c: _RunContext, **filters: Any) -> None:
        for timer in c.tx.find(Timer, run_id=c.run.id, **filters):
            c.tx.delete(Timer, timer.id)
        c.new_rows = [r for r in c.new_rows if not (isinstance(r, Timer) and all(getattr(r, k) == v for k, v in filters.items()))]

    def _end_run(self, c: _RunContext, status: RunStatus, *, by: str | None = None, data: dict[str, Any] | None = None) -> None:
        self._set_run_status(c, status)
        c.run.ended_at = c.now
        self._event(c, f"run.{status}", by=by, data=data or {})
        self._notify_parent_if_needed(c)

    def _set_run_status(self, c: _RunContext, status: RunStatus) -> None:
        move(c.run, status)
        c.touch(c.run)

    def _notify_parent_if_needed(self, c: _RunContext) -> None:
        run = c.run
        if not (run.parent_run_id and run.parent_waits and run.status in ENDED_RUN):
            return
        if c.parent_notified:
            return
        c.parent_notified = True
        self._flush(c)
        parent = self._load(c.tx, run.parent_run_id)
        step_run = parent.steps.get(run.parent_step_id or "")
        if step_run is None or step_run.visit != run.parent_visit or step_run.status != NodeStatus.IN_PROGRESS:
            return
        step = parent.spec.steps[step_run.step_id]
        if run.status == RunStatus.COMPLETED:
            self._event(parent, "child.completed", node=step.id, visit=step_run.visit, data={"run_id": run.id})
            self._complete_step(parent, step, outputs={"run_id": run.id, "status": "completed", "vars": run.vars})
        else:
            self._fail_step(parent, step, f"child run {run.id} was cancelled")
        self._advance(parent)
        self._flush(parent)

    # ------------------------------------------------------------------ triggers

    def _trigger(self, tx: Transaction, record: Record, on: str, before: dict[str, Any] | None) -> list[str]:
        started = []
        now_scope = self.clock.now()
        # Active versions come from the orchestration rows and compiled specs (cached):
        # reading the versions themselves would decode every document on every save.
        for orch in self._active_orchestrations(tx):
            spec = self.spec(orch.id, orch.active_version, tx=tx)
            trigger = spec.trigger
            if trigger.object != record.object:
                continue
            if trigger.type != "record" or on not in trigger.on:
                continue
            if not self._trigger_holds(spec, _record_scope(record), now_scope):
                continue
            if on == "update":
                if before is not None and self._trigger_holds(spec, before, now_scope):
                    continue
                if any(r.orchestration == spec.key for r in tx.find(Run, record_id=record.id, status=LIVE_RUN)):
                    continue
            started.append(self._start_run(tx, spec, {}, record, None, trigger=on))
        return started

    def _trigger_holds(self, spec: OrchestrationSpec, record: dict[str, Any] | None, now: datetime) -> bool:
        if spec.trigger.condition is None:
            return True
        try:
            return spec.trigger.condition.evaluate(make_scope({"record": record, "now": now})) is True
        except ExpressionError:
            return False  # a record that lacks the fields the condition reads does not match

    def _active_orchestrations(self, tx: Transaction) -> list[Orchestration]:
        return sorted((o for o in tx.find(Orchestration) if o.active_version is not None), key=lambda o: o.id)

    def _buffers(self, tx: Transaction, name: str) -> bool:
        for orch in self._active_orchestrations(tx):
            spec = self.spec(orch.id, orch.active_version, tx=tx)
            if any(s.event_name == name and s.buffer for s in spec.steps.values()):
                return True
        return False

    def _check_record_fields(self, tx: Transaction, object: str, values: dict[str, Any], *, partial: bool) -> dict[str, Any]:
        if not isinstance(object, str) or not object:
            raise InvalidInput("record type must be a non-empty string")
        errors: dict[str, str] = {}
        for name, value in values.items():
            if too_big := size_problem(value):
                errors[str(name)] = describe_size(str(name), too_big)
        record_type = tx.get(RecordType, object)
        if record_type is None:
            if errors:
                raise InvalidInput(f"the fields of the {object} record are too large", {"fields": errors})
            return values
        declared = {f["name"]: f for f in record_type.fields}
        for name, value in values.items():
            spec = declared.get(name)
            if spec is None:
                errors[name] = f"is not a field of {object}"
            elif value is not None and (problem := check_type(spec["type"], value)):
                errors.setdefault(name, problem)
            elif value is not None and spec.get("options") is not None and value not in spec["options"]:
                errors[name] = "must be one of: " + ", ".join(spec["options"])
        if not partial:
            for name, spec in declared.items():
                if spec.get("required") and values.get(name) is None:
                    errors[name] = "is required"
        if errors:
            raise InvalidInput(f"the fields do not fit the record type {object}", {"fields": errors})
        return values

    # ------------------------------------------------------------------ plumbing

    def _transact(self, op: Callable[[Transaction], Any], attempts: int = 5) -> Any:
        for attempt in range(attempts):
            self._tx_state.claimed, self._tx_state.states = [], []
            try:
                with self.store.transaction() as tx:
                    result = op(tx)
            except ConcurrentUpdate:
                if attempt == attempts - 1:
                    raise
                continue
            with self._local_lock:
                self._local_jobs.extend(self._tx_state.claimed)
                # Held from now on: the worker's heartbeats cover them while they wait here.
                self.jobs_in_hand.update(j.id for j in self._tx_state.claimed)
                for run_id, revision, stages, steps in self._tx_state.states:
                    self._states[run_id] = (revision, stages, steps)
                    self._states.move_to_end(run_id)
                while len(self._states) > _STATE_CACHE_SIZE:
                    self._states.popitem(last=False)
            return result
        raise AssertionError("unreachable")

    def _after(self) -> None:
        if self.autoprocess and not self._processing:
            self._processing = True
            try:
                self.process()
            finally:
                self._processing = False

    def _load(self, tx: Transaction, run_id: str) -> _RunContext:
        run = self._require_run(tx, run_id)
        spec = self.spec(run.orchestration, run.version, tx=tx)
        with self._local_lock:
            cached = self._states.get(run_id)
        if cached is not None and cached[0] == run.revision:
            # Every change to visits and step runs bumps the revision, so this is what the store has.
            stages, steps = _copy_state(cached[1]), _copy_state(cached[2])
        else:
            stages = {v.stage_id: v for v in tx.find(StageVisit, run_id=run_id, current=True)}
            steps = {s.step_id: s for s in tx.find(StepRun, run_id=run_id, current=True)}
        record = _record_scope(tx.get(Record, run.record_id)) if run.record_id else None
        return _RunContext(tx, spec, run, self.clock.now(), stages, steps, record, run.revision)

    def _require_run(self, tx: Transaction, run_id: str) -> Run:
        run = tx.get(Run, run_id) if isinstance(run_id, str) else None
        if run is None:
            raise NotFound(f"run {run_id} does not exist")
        return run

    def _open_item(self, tx: Transaction, item_id: str, by: str) -> WorkItem:
        item = tx.get(WorkItem, item_id) if isinstance(item_id, str) else None
        if item is None:
            raise NotFound(f"work item {item_id} does not exist")
        if not self._may_see(by, item):
            raise Forbidden(f"{by} is not the assignee of work item {item_id} nor in its {item.assignee_type}")
        if item.status not in OPEN_ITEM:
            who = f" by {item.completed_by}" if item.completed_by else ""
            raise Conflict(f"work item {item_id} is already {item.status}{who}")
        return item

    def _may_see(self, user: str, item: WorkItem, groups: Collection[tuple[str, str]] | None = None) -> bool:
        """``groups``: the user's memberships, when the caller has them already."""
        if not isinstance(user, str) or not user:
            return False
        if item.claimed_by == user:
            return True
        if item.assignee_type == "user":
            return item.assignee_value == user
        return (item.assignee_type, item.assignee_value) in (self.directory.memberships(user) if groups is None else groups)

    def _flush(self, c: _RunContext) -> None:
        """Write what changed; any change bumps the run's revision (optimistic lock)."""
        tx = c.tx
        wrote = bool(c.new_rows) or bool(c.dirty) or c.events_pending
        for row in c.new_rows:
            c.dirty.pop((type(row), row.id), None)
        tx.insert_many(c.new_rows)
        c.new_rows = []
        c.dirty.pop((Run, c.run.id), None)
        for row in c.dirty.values():
            tx.update(row)
        c.dirty = {}
        if not wrote:
            return
        c.run.updated_at = c.now
        c.run.revision = c.expected_revision + 1
        if not tx.update(c.run, expect={"revision": c.expected_revision}):
            raise ConcurrentUpdate(f"run {c.run.id} changed meanwhile")
        c.expected_revision = c.run.revision
        c.events_pending = False
        # Remembered once the transaction commits: the next load of this revision skips two queries.
        self._tx_state.states.append((c.run.id, c.run.revision, _copy_state(c.stages), _copy_state(c.steps)))

    def _event(self, c: _RunContext, type_: str, *, node: str | None = None, visit: int | None = None,
               by: str | None = None, data: dict[str, Any] | None = None) -> None:
        c.tx.append_event(RunEvent(0, c.run.id, type_, c.now, node, visit, by, data or {}))
        c.events_pending = True

    def _notify(self, c: _RunContext, kind: str, to: Assignee, subject: str, body: str, item_id: str | None) -> None:
        c.add(Notification(_new_id(), kind, to.type, to.value, subject, body, c.now, c.run.id, item_id))

    def _scope_values(self, c: _RunContext, expr: Expression) -> dict[str, Any]:
        """The roots ``expr`` reads, and of ``steps``/``stages`` only the members it names.

        Handing CEL only what an expression reads keeps an evaluation in microseconds;
        converting the whole run state for each one cost ten times more.
        """
        views = c.scope_cache
        if views is None:
            views = c.scope_cache = {}
        values: dict[str, Any] = {}
        for root in expr.roots:
            if root == "steps":
                ids = expr.narrow.get("steps", c.spec.steps.keys())
                values["steps"] = {i: self._step_view(c, views, i) for i in ids if i in c.spec.steps}
            elif root == "stages":
                ids = expr.narrow.get("stages", c.spec.stages.keys())
                values["stages"] = {i: self._stage_view(c, i) for i in ids if i in c.spec.stages}
            elif root == "record":
                values["record"] = c.record
            elif root == "inputs":
                values["inputs"] = c.run.inputs
            elif root == "vars":
                values["vars"] = c.run.vars
            elif root == "run":
                run = c.run
                values["run"] = {"id": run.id, "orchestration": run.orchestration, "version": run.version,
                                 "started_by": run.started_by, "started_at": run.started_at}
            elif root == "now":
                values["now"] = c.now
            elif root == "secrets":  # references, never values (only action inputs read them)
                values["secrets"] = references(self.secrets, {name for r, name in expr.members if r == "secrets"})
            elif c.extra_scope and root in c.extra_scope:
                values[root] = c.extra_scope[root]
        return values

    def _step_view(self, c: _RunContext, views: dict[str, Any], step_id: str) -> dict[str, Any]:
        view = views.get(step_id)
        if view is None:
            sr = c.steps.get(step_id)
            view = views[step_id] = (
                {"status": sr.status, "outcome": sr.outcome, "outputs": sr.outputs, "completed_by": sr.completed_by}
                if sr else {"status": "not_started", "outcome": None, "outputs": {}, "completed_by": None}
            )
        return view

    def _stage_view(self, c: _RunContext, stage_id: str) -> dict[str, Any]:
        visit = c.stages.get(stage_id)
        return {"status": visit.status, "visits": visit.visit} if visit else {"status": "not_started", "visits": 0}

    def _value(self, c: _RunContext, expr: Expression, node: str, field_name: str) -> Any:
        try:
            return expr.evaluate(self._scope_values(c, expr))
        except ExpressionError as exc:
            raise _RunError(node, field_name, str(exc)) from None

    def _holds(self, c: _RunContext, expr: Any, node: str, field_name: str) -> bool:
        value = self._value(c, expr, node, field_name)
        if not isinstance(value, bool):
            raise _RunError(node, field_name, f"condition `{expr.source}` gave {value!r}, not true or false")
        return value

    # ------------------------------------------------------------------ views

    def _run_summary(self, run: Run) -> dict[str, Any]:
        return {
            "id": run.id, "orchestration": run.orchestration, "version": run.version, "status": run.status,
            "current_node": run.current_node, "started_by": run.started_by, "started_at": _iso(run.started_at),
            "ended_at": _iso(run.ended_at), "updated_at": _iso(run.updated_at),
            "record": {"object": run.record_object, "id": run.record_id} if run.record_id else None,
            "error": _json_copy(run.error), "parent_run_id": run.parent_run_id,
        }

    def _run_view(self, tx: Transaction, spec: OrchestrationSpec, run: Run) -> dict[str, Any]:
        visits = sorted(tx.find(StageVisit, run_id=run.id), key=lambda v: v.position)
        step_runs = {s.step_id: s for s in tx.find(StepRun, run_id=run.id, current=True)}
        current_visits = {v.stage_id: v for v in visits if v.current}
        items = [self._item_view(i) for i in tx.find(WorkItem, run_id=run.id, status=OPEN_ITEM)]
        stages = []
        for stage_id, stage in spec.stages.items():
            v = current_visits.get(stage_id)
            stages.append({
                "id": stage_id, "label": stage.label, "status": v.status if v else "not_started", "visits": v.visit if v else 0,
                "started_at": _iso(v.started_at) if v else None, "ended_at": _iso(v.ended_at) if v else None,
            })
        steps = []
        for step_id, step in spec.steps.items():
            s = step_runs.get(step_id)
            steps.append({
                "id": step_id, "stage": step.stage, "type": step.type, "label": step.label,
                "status": s.status if s else "not_started", "visit": s.visit if s else 0,
                "outcome": s.outcome if s else None, "outputs": _json_copy(s.outputs) if s else {},
                "completed_by": s.completed_by if s else None, "attempts": s.attempts if s else 0,
                "error": s.error if s else None, "started_at": _iso(s.started_at) if s else None,
                "ended_at": _iso(s.ended_at) if s else None,
                "input_overrides": _json_copy(s.input_overrides) if s and s.input_overrides else None,
            })
        ball = [{"type": i["assignee"]["type"], "value": i["assignee"]["value"], "step": i["step_id"], "work_item": i["id"]} for i in items]
        for s in steps:
            if s["status"] in OPEN_STEP and spec.steps[s["id"]].type != "interactive":
                ball.append({"type": "system", "value": spec.steps[s["id"]].action or "wait", "step": s["id"]})
        return {
            **self._run_summary(run),
            "label": spec.label,
            "inputs": _json_copy(run.inputs),
            "vars": _json_copy(run.vars),
            "current_stage": run.current_node if run.current_node in spec.stages else None,
            "stages": stages,
            "steps": steps,
            "history": [
                {"stage": v.stage_id, "visit": v.visit, "status": v.status, "started_at": _iso(v.started_at), "ended_at": _iso(v.ended_at)}
                for v in visits
            ],
            "work_items": items,
            "ball": ball,
        }

    def _item_view(self, item: WorkItem) -> dict[str, Any]:
        now = self.clock.now()
        return {
            "id": item.id, "run_id": item.run_id, "orchestration": item.orchestration, "step_id": item.step_id,
            "stage_id": item.stage_id, "visit": item.visit, "label": item.label,
            "assignee": {"type": item.assignee_type, "value": item.assignee_value}, "status": item.status,
            "claimed_by": item.claimed_by, "created_at": _iso(item.created_at), "due_at": _iso(item.due_at),
            "overdue": bool(item.due_at and item.status in OPEN_ITEM and item.due_at < now),
            "escalated_at": _iso(item.escalated_at), "completed_at": _iso(item.completed_at),
            "completed_by": item.completed_by, "outcome": item.outcome, "values": _json_copy(item.values), "comment": item.comment,
            "record": {"object": item.record_object, "id": item.record_id} if item.record_id else None,
            "on_behalf_of": item.on_behalf_of,
        }


class _LocalServices:
    """What local actions may ask of the engine: changes made in the step's own
    transaction, so they happen exactly once, together with the step's completion."""

    def __init__(self, engine: Engine, c: _RunContext):
        self._engine, self._c = engine, c

    def update_record(self, object: str, record_id: str, fields: dict[str, Any], *, by: str | None) -> dict[str, Any]:
        try:
            result = self._engine._update_record(self._c.tx, object, record_id, fields, by, acting=self._c)
        except (NotFound, InvalidInput) as exc:
            raise ActionFailed(f"record.update: {exc.message}", retryable=False) from None
        result.pop("started_runs", None)
        return result

    def create_record(self, object: str, fields: dict[str, Any], *, owner: str | None, idempotency_key: str) -> dict[str, Any]:
        try:
            result = self._engine._create_record(self._c.tx, object, fields, owner, idempotency_key)
        except InvalidInput as exc:
            raise ActionFailed(f"record.create: {exc.message}", retryable=False) from None
        result.pop("started_runs", None)
        return result

    def notify(self, *, to: dict[str, str], subject: str, body: str, run_id: str | None, idempotency_key: str) -> None:
        c = self._c
        c.add(Notification(_new_id(), "message", to["type"], to["value"], subject, body, c.now, run_id, None, idempotency_key))

    def start_child(self, key: str, inputs: dict[str, Any], *, parent: ActionContext, wait: bool) -> str:
        raise ActionFailed("orchestration.start runs as a job, not locally", retryable=False)


class _Services:
    """What actions may ask of the engine (:class:`runtime.actions.ActionServices`)."""

    def __init__(self, engine: Engine):
        self._engine = engine

    def update_record(self, object: str, record_id: str, fields: dict[str, Any], *, by: str | None) -> dict[str, Any]:
        try:
            result = self._engine.update_record(object, record_id, fields, by=by)
        except (NotFound, InvalidInput) as exc:
            raise ActionFailed(f"record.update: {exc.message}", retryable=False) from None
        result.pop("started_runs", None)
        return result

    def create_record(self, object: str, fields: dict[str, Any], *, owner: str | None, idempotency_key: str) -> dict[str, Any]:
        try:
            result = self._engine.create_record(object, fields, owner=owner, idempotency_key=idempotency_key)
        except InvalidInput as exc:
            raise ActionFailed(f"record.create: {exc.message}", retryable=False) from None
        result.pop("started_runs", None)
        return result

    def notify(self, *, to: dict[str, str], subject: str, body: str, run_id: str | None, idempotency_key: str) -> None:
        with self._engine.store.transaction() as tx:
            if tx.find(Notification, to_value=to["value"], idempotency_key=idempotency_key):
                return
            tx.insert(Notification(_new_id(), "message", to["type"], to["value"], subject, body, self._engine.clock.now(),
                                   run_id, None, idempotency_key))

    def start_child(self, key: str, inputs: dict[str, Any], *, parent: ActionContext, wait: bool) -> str:
        engine = self._engine

        def op(tx: Transaction) -> str:
            for child in tx.find(Run, parent_run_id=parent.run_id):
                if child.parent_step_id == parent.step_id and child.parent_visit == parent.visit:
                    return child.id  # an earlier attempt already started it
            try:
                spec = engine.spec(key, tx=tx)
                return engine._start_run(tx, spec, inputs, None, None, parent=parent, parent_waits=wait)
            except (NotFound, InvalidInput) as exc:
                raise ActionFailed(f"orchestration.start: {exc.message}", retryable=False) from None

        return engine._transact(op)


def _check_form(step: Step, outcome: str | None, values: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]]:
    assert step.form is not None
    errors: dict[str, str] = {}
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise InvalidInput("values must be an object of form field values")
    if outcome is None and len(step.form.outcomes) == 1:
        outcome = step.form.outcomes[0]
    if outcome not in step.form.outcomes:
        errors["outcome"] = f"must be one of: {', '.join(step.form.outcomes)}"
    declared = {f.name: f for f in step.form.fields}
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name not in declared:
            errors[name] = "is not a field of this form"
    for f in step.form.fields:
        value = values.get(f.name)
        if value is None or value == "" or value == []:
            if f.required:
                errors[f.name] = "is required"
            continue
        problem = check_form_value({"type": f.type, "options": list(f.options)}, value)
        if problem:
            errors[f.name] = problem
        elif too_big := size_problem(value):
            errors[f.name] = describe_size(f.name, too_big)
        else:
            clean[f.name] = _json_copy(value)
    if errors:
        raise InvalidInput("the form is not filled in correctly", {"fields": errors})
    assert outcome is not None
    return outcome, clean


def _for(person: str | None) -> str:
    """The ``" (for ada)"`` that says work is done on someone's behalf."""
    return f" (for {person})" if person else ""


def _seconds(since: datetime | None, now: datetime) -> float | None:
    """Time spent in a stage or step, for live insights (None if it never started)."""
    return (now - since).total_seconds() if since is not None else None


def _has_timers(step: Step) -> bool:
    """Whether starting this step can have created timers (escalations, timer waits)."""
    return (step.due is not None and step.escalation is not None) or step.timer_duration is not None or step.timer_at is not None


def _json_copy(value: Any) -> Any:
    """A copy of a JSON value for a caller: views never share what the store keeps."""
    if isinstance(value, dict):
        return {k: _json_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_copy(v) for v in value]
    return value


def _copy_row(row: Any) -> Any:
    # Shallow copies suffice: the engine replaces JSON values, it never edits them in place.
    new = object.__new__(type(row))
    new.__dict__.update(row.__dict__)
    return new


def _copy_state(rows: dict[str, Any]) -> dict[str, Any]:
    return {key: _copy_row(row) for key, row in rows.items()}


def _record_scope(record: Record | None) -> dict[str, Any] | None:
    if record is None:
        return None
    return {**record.fields, "id": record.id, "object": record.object, "owner": record.owner}


def _plain(value: Any) -> Any:
    """CEL results as JSON values (timestamps become ISO strings)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _expression_shown(expr: Expression | None) -> Any:
    """An input that no override replaces, as the log shows it: its expression's text."""
    return {"expression": expr.source} if expr is not None else None


def _over_max_items(var: Any, value: Any) -> tuple[str, str] | None:
    """A list or map with more items than its declaration's ``max_items``, as (path, message)."""
    if var.max_items is not None and isinstance(value, (list, dict)) and len(value) > var.max_items:
        return "", f"has {len(value):,} items; at most {var.max_items:,} are allowed (its max_items)"
    return None


def _timestamp(value: Any, node: str, now: datetime) -> datetime:
    problem = moment_problem(value, now)
    moment = as_moment(value)
    if problem or moment is None:
        raise _RunError(node, "timer.at", f"timer.at {problem}")
    return moment


def _event_view(e: RunEvent) -> dict[str, Any]:
    return {"seq": e.id, "run_id": e.run_id, "type": e.type, "at": _iso(e.at), "node": e.node, "visit": e.visit, "by": e.by, "data": _json_copy(e.data)}
