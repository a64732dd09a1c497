"""Migrations: moving many runs to another version, as a dry run or in batches
(ARCHITECTURE §3, "Migrating runs").

A dry run (:func:`check`) assesses every selected run and writes nothing. Applying
a plan creates a :class:`~runtime.model.Migration` row; workers take it on a lease
(:func:`work`, renewed every batch, taken over when a worker dies) and move its runs
a batch at a time, each run in its own transaction together with its
:class:`~runtime.model.MigrationResult`. So a migration resumes where it stopped, never
moves a run twice (a run with a result is done; a run already on the target is
skipped), and a person completing an item of a run while it moves simply makes one of
the two transactions retry (the run's revision, as everywhere in the engine).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from runtime.engine.context import Host, RunError, flush, load, transact
from runtime.engine.migration.assess import Assessment, assess
from runtime.engine.migration.move import move_run
from runtime.engine.migration.plan import Plan, check_mapping
from runtime.engine.migration.views import report, view
from runtime.engine.plain import json_copy, new_id
from runtime.errors import ConcurrentUpdate, Conflict, InvalidInput, NotFound, OvertureError
from runtime.model import Migration, MigrationResult, Orchestration, Run, Version
from runtime.spec import OrchestrationSpec
from runtime.states import LIVE_RUN
from runtime.store.base import Transaction

#: Runs moved per batch (each in its own transaction; the lease is renewed between batches).
BATCH = 50
#: A worker that has not renewed its lease for this long is taken over.
LEASE = timedelta(seconds=60)


#: Statuses of a migration that still has work.
PENDING = ("queued", "running")


# -- which runs, and the specs they move between


def _sources(host: Host, tx: Transaction, plan: Plan) -> dict[int, OrchestrationSpec]:
    orch = tx.get(Orchestration, plan.orchestration)
    if orch is None:
        raise NotFound(f"orchestration {plan.orchestration!r} does not exist")
    numbers = {v.number for v in tx.find(Version, orchestration=plan.orchestration)}
    if plan.target not in numbers:
        raise InvalidInput(
            f"orchestration {plan.orchestration!r} has no version {plan.target}", {"target": "is not a version of the orchestration"}
        )
    wanted = set(plan.sources) or (numbers - {plan.target})
    if unknown := sorted(wanted - numbers):
        raise InvalidInput("the plan names versions that do not exist", {"sources": f"no version {', '.join(map(str, unknown))}"})
    if plan.target in plan.sources:
        raise InvalidInput("a version cannot be both source and target", {"sources": f"holds the target, version {plan.target}"})
    return {n: host.spec(plan.orchestration, n, tx=tx) for n in sorted(wanted)}


def _selected(tx: Transaction, plan: Plan, sources: dict[int, OrchestrationSpec]) -> list[Run]:
    """The runs the plan names: explicit ids, or the live runs of the source versions, filtered."""
    if plan.runs:
        found = {r.id: r for r in tx.find(Run, id=tuple(plan.runs))}
        missing = [r for r in plan.runs if r not in found or found[r].orchestration != plan.orchestration]
        if missing:
            raise InvalidInput(f"the plan names runs that are not runs of {plan.orchestration!r}", {"runs": ", ".join(missing[:10])})
        runs = list(found.values())
    else:
        runs = tx.find(Run, orchestration=plan.orchestration, version=tuple(sources), status=tuple(plan.statuses or LIVE_RUN))
    if plan.stages:
        runs = [r for r in runs if r.current_node in plan.stages]
    if plan.statuses and plan.runs:
        runs = [r for r in runs if r.status in plan.statuses]
    return sorted(runs, key=lambda r: (r.started_at, r.id))


def _prepare(host: Host, tx: Transaction, plan: Plan) -> tuple[OrchestrationSpec, dict[int, OrchestrationSpec]]:
    sources = _sources(host, tx, plan)
    target = host.spec(plan.orchestration, plan.target, tx=tx)
    if sources:
        check_mapping(sources.values(), target, plan.mapping)
    return target, sources


# -- one run


def _judge(
    host: Host, tx: Transaction, plan: Plan, run_id: str, sources: dict[int, OrchestrationSpec]
) -> tuple[str, Any, Assessment | None]:
    """(outcome, context, assessment) for one run: ``skipped`` (on the target already),
    ``refused`` or ``movable``."""
    ctx = load(host, tx, run_id)
    if ctx.run.version == plan.target:
        return "skipped", ctx, None
    target = host.spec(plan.orchestration, plan.target, tx=tx)
    found = assess(ctx, target, plan.mapping)
    if ctx.run.version not in sources:
        found.refuse("version", None, f"is on version {ctx.run.version}, which the plan does not move")
    return ("movable" if found.movable else "refused"), ctx, found


def migrate_run(
    host: Host,
    plan: Plan,
    run_id: str,
    *,
    by: str | None,
    migration: str | None,
    sources: dict[int, OrchestrationSpec] | None = None,
) -> tuple[str, Assessment | None]:
    """Move one run in its own transaction (with its result row when part of a migration);
    returns (``moved`` | ``refused`` | ``skipped`` | ``failed``, the assessment).
    ``sources``: the plan's source versions, when the caller worked them out for a batch
    (versions are never deleted or changed, so they hold for the whole batch)."""

    def op(tx: Transaction) -> tuple[str, Assessment | None]:
        outcome, ctx, found = _judge(host, tx, plan, run_id, sources if sources is not None else _sources(host, tx, plan))
        from_version, node = ctx.run.version, ctx.run.current_node
        if outcome == "movable":
            assert found is not None
            move_run(ctx, host.spec(plan.orchestration, plan.target, tx=tx), found, plan, by=by, migration=migration)
            flush(ctx)
            outcome = "moved"
        if migration is not None:
            _result(tx, migration, run_id, outcome, host.clock.now(), from_version, node, found)
        return outcome, found

    try:
        return transact(host, op)
    except (ConcurrentUpdate, RunError, OvertureError) as exc:
        message = exc.message if isinstance(exc, (OvertureError, RunError)) else str(exc)
        if isinstance(exc, ConcurrentUpdate):
            message = "the run kept changing while it was being moved; run the migration again"
        if migration is not None:
            _failed(host, migration, run_id, message)
        failed = Assessment(run_id, 0, None, None, "")
        failed.refuse("failed", None, message)
        return "failed", failed


def _result(
    tx: Transaction,
    migration: str,
    run_id: str,
    outcome: str,
    at: datetime,
    from_version: int,
    node: str | None,
    found: Assessment | None,
) -> None:
    reasons = json_copy(found.reasons) if found is not None else []
    notes = list(found.notes) if found is not None else []
    tx.insert(MigrationResult(f"{migration}:{run_id}", migration, run_id, outcome, at, from_version, node, reasons, notes))


def _failed(host: Host, migration: str, run_id: str, message: str) -> None:
    def op(tx: Transaction) -> None:
        if tx.get(MigrationResult, f"{migration}:{run_id}") is not None:
            return
        run = tx.get(Run, run_id)
        reasons = [{"code": "failed", "node": None, "message": message}]
        tx.insert(
            MigrationResult(
                f"{migration}:{run_id}",
                migration,
                run_id,
                "failed",
                host.clock.now(),
                run.version if run else 0,
                run.current_node if run else None,
                reasons,
                [],
            )
        )

    transact(host, op)


# -- the dry run


def check(host: Host, plan: Plan) -> dict[str, Any]:
    """Assess every run the plan selects; write nothing. Counts, reasons grouped, per-run detail."""
    assessed: list[Assessment] = []
    skipped = 0
    with host.store.transaction(write=False) as tx:
        target, sources = _prepare(host, tx, plan)
        runs = _selected(tx, plan, sources)
        for run in runs:
            outcome, _ctx, found = _judge(host, tx, plan, run.id, sources)
            if outcome == "skipped":
                skipped += 1
            elif found is not None:
                assessed.append(found)
    return report(plan, target, sources, assessed, skipped)


# -- applying: a persisted migration, in batches


def create(host: Host, plan: Plan, *, by: str | None) -> str:
    """Record a migration to apply (checked first: a wrong plan is refused here, not later)."""
    with host.store.transaction(write=False) as tx:
        _target, sources = _prepare(host, tx, plan)
        if plan.runs:  # named runs are checked now: a migration is never recorded for runs it cannot find
            _selected(tx, plan, sources)
    migration_id = new_id()
    now = host.clock.now()

    def op(tx: Transaction) -> str:
        tx.insert(Migration(migration_id, plan.orchestration, plan.to_json(), "queued", now, now, by))
        return migration_id

    return transact(host, op)


def _claim(host: Host, migration_id: str | None) -> tuple[Migration, bool] | None:
    """Take a migration that has work: a queued one, this worker's own, or one whose
    holder stopped renewing its lease. Returns it and whether this worker held it already."""
    now = host.clock.now()
    with host.store.transaction() as tx:
        if migration_id is not None:
            one = tx.get(Migration, migration_id)
            rows = [one] if one is not None and one.status in PENDING else []
        else:
            rows = sorted(tx.find(Migration, status=PENDING), key=lambda m: (m.created_at, m.id))
        for row in rows:
            held = row.status == "running" and row.claimed_by == host.worker_id
            free = held or row.status == "queued" or row.claimed_by is None
            if not free and (row.heartbeat_at is None or now - row.heartbeat_at >= LEASE):
                free = True
            if not free:
                continue
            taken = replace(row, status="running", claimed_by=host.worker_id, heartbeat_at=now, updated_at=now)
            expect = {"status": row.status, "claimed_by": row.claimed_by, "heartbeat_at": row.heartbeat_at}
            if tx.update(taken, expect=expect):
                return taken, held
    return None


#: (worker, migration) -> the run ids it has still to handle, while that worker holds it:
#: worked out once, not at every batch.
_REMAINING: dict[tuple[str, str], list[str]] = {}


def _todo(host: Host, row: Migration, plan: Plan) -> tuple[list[str], Counter[str]]:
    """The runs a migration has still to handle (those without a result), and what it did so
    far, counted from the results (a worker killed mid-batch never added its counts)."""
    with host.store.transaction(write=False) as tx:
        try:
            sources = _sources(host, tx, plan)
        except OvertureError:  # the orchestration or a version went away: nothing left to move
            sources = {}
        results = tx.find(MigrationResult, migration_id=row.id)
        done, counted = {r.run_id for r in results}, Counter(r.outcome for r in results)
        if plan.runs:
            return [r for r in plan.runs if r not in done], counted
        selected = _selected(tx, plan, sources) if sources else []
        return [r.id for r in selected if r.id not in done], counted


def _batch_sources(host: Host, plan: Plan) -> dict[int, OrchestrationSpec] | None:
    """The plan's source versions, read once for a batch (None: each run finds out why not)."""
    with host.store.transaction(write=False) as tx:
        try:
            return _sources(host, tx, plan)
        except OvertureError:
            return None


def work(host: Host, migration_id: str | None = None, *, batch: int = BATCH) -> int:
    """One batch of a migration that has work (the given one, or any); returns runs handled."""
    claimed = _claim(host, migration_id)
    if claimed is None:
        return 0
    row, held = claimed
    plan = Plan.from_json(row.plan)
    key = (host.worker_id, row.id)
    todo = _REMAINING.get(key) if held else None
    before: Counter[str] | None = None
    if todo is None:
        todo, before = _todo(host, row, plan)
    chunk, rest = todo[:batch], todo[batch:]
    _REMAINING[key] = rest
    counts: Counter[str] = Counter()
    sources = _batch_sources(host, plan) if chunk else {}
    for run_id in chunk:
        outcome, _found = migrate_run(host, plan, run_id, by=row.created_by, migration=row.id, sources=sources)
        counts[outcome] += 1
    now = host.clock.now()

    def op(tx: Transaction) -> None:
        current = tx.get(Migration, row.id)
        if current is None or current.claimed_by != host.worker_id:
            return  # taken over meanwhile (this worker was too slow): the new holder recounts
        if before is not None:  # counted afresh from the results
            current.total = sum(before.values()) + len(todo)
            current.moved, current.refused, current.skipped, current.failed = (before[k] for k in ("moved", "refused", "skipped", "failed"))
        current.moved += counts["moved"]
        current.refused += counts["refused"]
        current.skipped += counts["skipped"]
        current.failed += counts["failed"]
        current.heartbeat_at = current.updated_at = now
        if current.status == "running" and not rest:
            current.status, current.ended_at = "completed", now
        tx.update(current)

    transact(host, op)
    if not rest:
        _REMAINING.pop(key, None)
    return sum(counts.values())


def cancel(host: Host, migration_id: str, *, by: str | None) -> dict[str, Any]:
    """Stop a migration after the run it is moving (runs moved stay moved)."""

    def op(tx: Transaction) -> None:
        row = tx.get(Migration, migration_id)
        if row is None:
            raise NotFound(f"migration {migration_id} does not exist")
        if row.status not in PENDING:
            raise Conflict(f"migration {migration_id} has {row.status}; only a queued or running one can be cancelled")
        row.status, row.ended_at, row.updated_at = "cancelled", host.clock.now(), host.clock.now()
        tx.update(row)

    transact(host, op)
    return view(host, migration_id)
