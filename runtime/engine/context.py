"""One run's state inside one transaction (:class:`RunContext`, ``ctx``), and what
reads and writes it: loading it, evaluating expressions over it, appending events,
flushing what changed, and the transaction around it all (:func:`transact`).

The engine's services reach the rules through ``ctx.host``: a :class:`Host` is what
the rules need of the :class:`~runtime.engine.Engine` (store, clock, directory,
actions, secrets...), so no module here imports the facade.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from runtime import audit
from runtime.actions import ActionRegistry, ActionServices
from runtime.clock import Clock
from runtime.directory import Directory
from runtime.engine.plain import copy_state, new_id, over_max_items, plain, record_scope
from runtime.errors import ConcurrentUpdate, NotFound
from runtime.expressions import Expression, ExpressionError
from runtime.limits import full_path, size_problem
from runtime.meter import FiredTimer, Meter, Observed
from runtime.model import Job, Notification, Record, Run, RunEvent, StageVisit, StepRun, Timer
from runtime.secrets import SecretStore, references
from runtime.spec import Assignee, OrchestrationSpec, Step
from runtime.states import ENDED_RUN, RunStatus, move
from runtime.store.base import Store, Transaction
from runtime.values import check_type

#: Runs whose current stage visits and step runs an engine remembers after a commit.
STATE_CACHE_SIZE = 10_000


class RunError(Exception):
    """A run cannot go on (an expression failed, an assignee is unknown...)."""

    def __init__(self, node: str | None, field: str | None, message: str):
        super().__init__(message)
        self.node, self.field, self.message = node, field, message


@dataclass
class Completion:
    """A step hook's answer "the step completed": the rules complete it with these."""

    outputs: dict[str, Any]
    outcome: str | None = None
    by: str | None = None
    extra: dict[str, Any] | None = None  # names the step's ``set`` expressions read besides the run's


@dataclass
class Failure:
    """A step hook's answer "the step failed" (the rules fail it, its stage takes its fault path)."""

    message: str


class Ledger:
    """What one engine keeps across its transactions: the jobs it claimed as it scheduled
    them (run by this engine next) and the current state of recently flushed runs.
    Both are taken over only once a transaction commits."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.local_jobs: deque[Job] = deque()
        #: Ids of the jobs this engine claimed and has not finished (a worker heartbeats them).
        self.jobs_in_hand: set[str] = set()
        #: run id -> (revision, current stage visits, current step runs), filled after commits.
        self.states: OrderedDict[str, tuple[int, dict[str, StageVisit], dict[str, StepRun]]] = OrderedDict()
        #: Told what each transaction did once it commits (runtime/meter.py); None: nobody counts.
        self.meter: Meter | None = None
        self._tx = threading.local()

    def begin(self) -> None:
        self._tx.claimed, self._tx.states, self._tx.events, self._tx.timers = [], [], [], []

    def observed(self, orchestration: str, version: int, event: RunEvent) -> None:
        self._tx.events.append(Observed(orchestration, version, event))

    def timer_fired(self, kind: str, lag: float) -> None:
        if self.meter is not None:
            self._tx.timers.append(FiredTimer(kind, lag))

    def claimed(self, job: Job) -> None:
        self._tx.claimed.append(job)

    def flushed(self, run_id: str, revision: int, stages: dict[str, StageVisit], steps: dict[str, StepRun]) -> None:
        self._tx.states.append((run_id, revision, stages, steps))

    def committed(self) -> None:
        with self.lock:
            self.local_jobs.extend(self._tx.claimed)
            # Held from now on: the worker's heartbeats cover them while they wait here.
            self.jobs_in_hand.update(j.id for j in self._tx.claimed)
            for run_id, revision, stages, steps in self._tx.states:
                self.states[run_id] = (revision, stages, steps)
                self.states.move_to_end(run_id)
            while len(self.states) > STATE_CACHE_SIZE:
                self.states.popitem(last=False)
        if self.meter is not None:
            self.meter.committed(self._tx.events, self._tx.timers)
            if self._tx.claimed:
                self.meter.claimed(self._tx.claimed)

    def cached(self, run_id: str) -> tuple[int, dict[str, StageVisit], dict[str, StepRun]] | None:
        with self.lock:
            return self.states.get(run_id)

    def take_local(self, limit: int) -> list[Job]:
        with self.lock:
            taken: list[Job] = []
            while self.local_jobs and len(taken) < limit:
                taken.append(self.local_jobs.popleft())
            return taken

    def take_all_local(self) -> list[Job]:
        with self.lock:
            jobs, self.local_jobs = list(self.local_jobs), deque()
            return jobs


class Host(Protocol):
    """What the rules need of the engine (:class:`runtime.engine.Engine` is one)."""

    store: Store
    clock: Clock
    directory: Directory
    actions: ActionRegistry
    secrets: SecretStore
    settings: dict[str, Any]
    worker_id: str
    claim_inline: bool
    ledger: Ledger

    def spec(self, key: str, version: int | None = None, *, tx: Transaction | None = None) -> OrchestrationSpec: ...

    def services(self) -> ActionServices:
        """What a job's action may ask, each request its own transaction."""
        ...

    def local_services(self, ctx: RunContext) -> ActionServices:
        """What a local action may ask, inside ``ctx``'s transaction."""
        ...


@dataclass
class RunContext:
    """One run's state inside one transaction."""

    host: Host
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


# -- the transaction, loading and flushing

T = TypeVar("T")


def transact(host: Host, op: Callable[[Transaction], T], attempts: int = 5) -> T:
    """Run ``op`` in a write transaction, again when another process changed the same run first.

    The audit note the web app left for this operation (runtime/audit.py) is written in it."""
    note = audit.pending()
    for attempt in range(attempts):
        host.ledger.begin()
        try:
            with host.store.transaction() as tx:
                if note is not None:
                    note.opened(tx)
                result = op(tx)
                if note is not None:
                    note.closing(tx, result)
                if host.claim_inline:  # the engine processes next: has_work's look goes with the commit
                    tx.probe_on_commit(host.clock.now())
        except ConcurrentUpdate:
            if attempt == attempts - 1:
                raise
            continue
        host.ledger.committed()
        if note is not None:
            note.taken = True
        return result
    raise AssertionError("unreachable")


def require_run(tx: Transaction, run_id: str) -> Run:
    run = tx.get(Run, run_id) if isinstance(run_id, str) else None
    if run is None:
        raise NotFound(f"run {run_id} does not exist")
    return run


def load(host: Host, tx: Transaction, run_id: str) -> RunContext:
    run = require_run(tx, run_id)
    spec = host.spec(run.orchestration, run.version, tx=tx)
    cached = host.ledger.cached(run_id)
    if cached is not None and cached[0] == run.revision:
        # Every change to visits and step runs bumps the revision, so this is what the store has.
        stages, steps = copy_state(cached[1]), copy_state(cached[2])
    else:
        stages = {v.stage_id: v for v in tx.find(StageVisit, run_id=run_id, current=True)}
        steps = {s.step_id: s for s in tx.find(StepRun, run_id=run_id, current=True)}
    record = record_scope(tx.get(Record, run.record_id)) if run.record_id else None
    return RunContext(host, tx, spec, run, host.clock.now(), stages, steps, record, run.revision)


def flush(ctx: RunContext) -> None:
    """Write what changed; any change bumps the run's revision (optimistic lock)."""
    tx = ctx.tx
    wrote = bool(ctx.new_rows) or bool(ctx.dirty) or ctx.events_pending
    for row in ctx.new_rows:
        ctx.dirty.pop((type(row), row.id), None)
    tx.insert_many(ctx.new_rows)
    ctx.new_rows = []
    ctx.dirty.pop((Run, ctx.run.id), None)
    for row in ctx.dirty.values():
        tx.update(row)
    ctx.dirty = {}
    if not wrote:
        return
    ctx.run.updated_at = ctx.now
    ctx.run.revision = ctx.expected_revision + 1
    # Checked by the store, at the latest when the transaction commits (transact retries).
    tx.update_or_raise(ctx.run, {"revision": ctx.expected_revision}, ConcurrentUpdate(f"run {ctx.run.id} changed meanwhile"))
    ctx.expected_revision = ctx.run.revision
    ctx.events_pending = False
    # Remembered once the transaction commits: the next load of this revision skips two queries.
    ctx.host.ledger.flushed(ctx.run.id, ctx.run.revision, copy_state(ctx.stages), copy_state(ctx.steps))


# -- what a change leaves behind


def event(
    ctx: RunContext,
    type_: str,
    *,
    node: str | None = None,
    visit: int | None = None,
    by: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Append to the run's event log."""
    appended = RunEvent(0, ctx.run.id, type_, ctx.now, node, visit, by, data or {})
    ctx.tx.append_event(appended)
    ctx.events_pending = True
    if ctx.host.ledger.meter is not None:
        ctx.host.ledger.observed(ctx.spec.key, ctx.spec.version, appended)


def notify(ctx: RunContext, kind: str, to: Assignee, subject: str, body: str, item_id: str | None) -> None:
    ctx.add(Notification(new_id(), kind, to.type, to.value, subject, body, ctx.now, ctx.run.id, item_id))


def set_run_status(ctx: RunContext, status: RunStatus) -> None:
    move(ctx.run, status)
    ctx.touch(ctx.run)


def run_error(ctx: RunContext, exc: RunError) -> None:
    """Put the run in error (an ended run stays ended)."""
    if ctx.run.status in ENDED_RUN:
        return
    move(ctx.run, RunStatus.ERROR)
    ctx.run.error = {"node": exc.node, "field": exc.field, "message": exc.message}
    ctx.touch(ctx.run)
    event(ctx, "run.error", node=exc.node, data={"field": exc.field, "error": exc.message})


def delete_timers(ctx: RunContext, **filters: Any) -> None:
    ctx.tx.delete_all(Timer, run_id=ctx.run.id, **filters)
    ctx.new_rows = [r for r in ctx.new_rows if not (isinstance(r, Timer) and all(getattr(r, k) == v for k, v in filters.items()))]


def apply_variables(ctx: RunContext, step: Step, values: Mapping[str, Any]) -> None:
    """Set run variables from a step (its ``set`` or its action), each checked against its declaration."""
    if not values:
        return
    declared = {v.name: v for v in ctx.spec.variables}
    for name, value in values.items():
        var = declared.get(name)
        if var is None:
            raise RunError(step.id, f"set.{name}", f"{name!r} is not a variable of this orchestration")
        if value is not None:
            problem = check_type(var.type, plain(value))
            if problem:
                raise RunError(step.id, f"set.{name}", f"variable {name!r} {problem}, got {value!r}")
            if too_big := size_problem(plain(value)) or over_max_items(var, value):
                raise RunError(step.id, f"set.{name}", f"variable {full_path(name, too_big)} {too_big[1]}")
    ctx.run.vars = {**ctx.run.vars, **{k: plain(v) for k, v in values.items()}}
    ctx.touch(ctx.run)
    event(ctx, "variables.set", node=step.id, data={"values": {k: plain(v) for k, v in values.items()}})


# -- expressions over the run


def scope_values(ctx: RunContext, expr: Expression) -> dict[str, Any]:
    """The roots ``expr`` reads, and of ``steps``/``stages`` only the members it names.

    Handing CEL only what an expression reads keeps an evaluation in microseconds;
    converting the whole run state for each one cost ten times more.
    """
    views = ctx.scope_cache
    if views is None:
        views = ctx.scope_cache = {}
    values: dict[str, Any] = {}
    for root in expr.roots:
        if root == "steps":
            ids = expr.narrow.get("steps", ctx.spec.steps.keys())
            values["steps"] = {i: _step_view(ctx, views, i) for i in ids if i in ctx.spec.steps}
        elif root == "stages":
            ids = expr.narrow.get("stages", ctx.spec.stages.keys())
            values["stages"] = {i: _stage_view(ctx, i) for i in ids if i in ctx.spec.stages}
        elif root == "record":
            values["record"] = ctx.record
        elif root == "inputs":
            values["inputs"] = ctx.run.inputs
        elif root == "vars":
            values["vars"] = ctx.run.vars
        elif root == "run":
            run = ctx.run
            values["run"] = {
                "id": run.id,
                "orchestration": run.orchestration,
                "version": run.version,
                "started_by": run.started_by,
                "started_at": run.started_at,
            }
        elif root == "now":
            values["now"] = ctx.now
        elif root == "secrets":  # references, never values (only action inputs read them)
            values["secrets"] = references(ctx.host.secrets, {name for r, name in expr.members if r == "secrets"})
        elif ctx.extra_scope and root in ctx.extra_scope:
            values[root] = ctx.extra_scope[root]
    return values


def _step_view(ctx: RunContext, views: dict[str, Any], step_id: str) -> dict[str, Any]:
    view = views.get(step_id)
    if view is None:
        sr = ctx.steps.get(step_id)
        view = views[step_id] = (
            {"status": sr.status, "outcome": sr.outcome, "outputs": sr.outputs, "completed_by": sr.completed_by}
            if sr
            else {"status": "not_started", "outcome": None, "outputs": {}, "completed_by": None}
        )
    return view


def _stage_view(ctx: RunContext, stage_id: str) -> dict[str, Any]:
    visit = ctx.stages.get(stage_id)
    return {"status": visit.status, "visits": visit.visit} if visit else {"status": "not_started", "visits": 0}


def value(ctx: RunContext, expr: Expression, node: str, field_name: str) -> Any:
    """What ``expr`` gives in this run; a failure is a :class:`RunError` at ``node``/``field_name``."""
    try:
        return expr.evaluate(scope_values(ctx, expr))
    except ExpressionError as exc:
        raise RunError(node, field_name, str(exc)) from None


def holds(ctx: RunContext, expr: Any, node: str, field_name: str) -> bool:
    """Whether the condition ``expr`` is true in this run (anything but a boolean is a :class:`RunError`)."""
    result = value(ctx, expr, node, field_name)
    if not isinstance(result, bool):
        raise RunError(node, field_name, f"condition `{expr.source}` gave {result!r}, not true or false")
    return result
