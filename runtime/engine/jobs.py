"""Jobs and timers: background actions run outside any transaction and their results
recorded together; due timers fired (a wait step completes, a work item escalates)."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import partial
from typing import Any

from runtime import tracing
from runtime.actions import ActionContext, ActionFailed, Pending
from runtime.engine.context import Host, RunContext, RunError, apply_variables, event, flush, load, run_error, transact
from runtime.engine.plain import copy_row, record_scope
from runtime.engine.rules import advance, complete_step, fail_step
from runtime.engine.steps import background, interactive, wait
from runtime.model import Job, Record, Run, Timer, WorkItem
from runtime.states import OPEN_STEP, JobStatus, NodeStatus, move
from runtime.store.base import Transaction

log = logging.getLogger("runtime.engine")


def process(host: Host, limit: int | None) -> int:
    """Run ready background jobs and fire due timers until none is left; returns how many."""
    done = 0
    while limit is None or done < limit:
        room = 50 if limit is None else min(50, limit - done)
        batch = run_jobs(host, room) if host.ledger.local_jobs else 0
        if batch == 0:
            # One cheap read tells whether the store holds anything for us.
            timers_due, jobs_ready = host.store.has_work(host.clock.now())
            if timers_due:
                batch += fire_due_timers(host, room)
            if jobs_ready and batch < room:
                batch += run_jobs(host, room - batch)
        if batch == 0:
            break
        done += batch
    return done


def fire_due_timers(host: Host, limit: int) -> int:
    fired = 0
    now = host.clock.now()
    with host.store.transaction(write=False) as tx:
        due = tx.due_timers(now, limit)
    for timer in due:

        def op(tx: Transaction, timer_id: str = timer.id) -> bool:
            row = tx.get(Timer, timer_id)
            # Deleting is the claim: of two workers firing one timer, one deletes it.
            if row is None or not tx.delete(Timer, row.id):
                return False
            with tracing.span("overture.timer", parent=row.trace_context, run_id=row.run_id, node=row.step_id, kind=row.kind):
                ctx = load(host, tx, row.run_id)
                tracing.annotate(orchestration=ctx.spec.key)
                fire_timer(ctx, row)
                host.ledger.timer_fired(row.kind, (ctx.now - row.due_at).total_seconds())
                advance(ctx)
                flush(ctx)
            return True

        if transact(host, op):
            fired += 1
    return fired


def fire_timer(ctx: RunContext, timer: Timer) -> None:
    """A due timer of the run: a wait step's completes it; an escalation escalates its work item."""
    step_run = ctx.steps.get(timer.step_id)
    if step_run is None or step_run.visit != timer.visit or step_run.status not in OPEN_STEP:
        tracing.annotate(outcome="stale")  # its step ended meanwhile
        return
    step = ctx.spec.steps[timer.step_id]
    if timer.kind == "wait":
        done = wait.fired(ctx, step, timer)
        complete_step(ctx, step, outputs=done.outputs)
        tracing.annotate(outcome="completed")
        return
    item = ctx.tx.get(WorkItem, timer.work_item_id) if timer.work_item_id else None
    if item is not None:
        interactive.escalate(ctx, step, item, timer.visit)
        tracing.annotate(outcome="escalated")


def run_jobs(host: Host, limit: int) -> int:
    """Run up to ``limit`` jobs: those this engine claimed as it scheduled them, else claim some.

    Actions run outside any transaction; their results are then recorded together,
    in one transaction (one commit for the batch).
    """
    jobs = host.ledger.take_local(limit)  # counted as claimed when their transaction committed
    if not jobs:
        jobs = host.store.claim_jobs(host.clock.now(), host.worker_id, limit)
        if not jobs:
            return 0
        if host.ledger.meter is not None:
            host.ledger.meter.claimed(jobs)
    in_hand = host.ledger.jobs_in_hand
    in_hand.update(j.id for j in jobs)
    try:
        outcomes = [execute(host, job) for job in jobs]
        try:

            def record_all(tx: Transaction) -> None:
                for outcome in outcomes:
                    record_result(host, tx, *outcome)

            transact(host, record_all)
        except Exception:
            # One bad result must not hold back the others: record them one by one.
            log.exception("recording a batch of job results failed; recording one by one")
            for outcome in outcomes:
                try:
                    transact(host, partial(_record_one, host, outcome))
                except Exception:
                    log.exception("recording the result of job %s failed; it will be retried", outcome[0].id)
    finally:
        in_hand.difference_update(j.id for j in jobs)
    return len(jobs)


def release_local_jobs(host: Host) -> int:
    """Hand back the jobs claimed as they were scheduled and not started yet (on stop),
    so other workers take them at once instead of after the stale timeout."""
    released = 0
    for job in host.ledger.take_all_local():

        def op(tx: Transaction, job: Job = job) -> bool:
            row = copy_row(job)
            move(row, JobStatus.QUEUED)
            row.claimed_by, row.claimed_at, row.heartbeat_at = None, None, None
            return tx.update(row, expect={"status": JobStatus.RUNNING.value, "claimed_by": job.claimed_by})

        if transact(host, op):
            released += 1
        host.ledger.jobs_in_hand.discard(job.id)
    return released


#: What :func:`execute` gives: the job, its result or failure, its context, and the
#: ``traceparent`` of its span (what it schedules when its result is recorded continues it).
Outcome = tuple[Job, Any, ActionFailed | None, ActionContext, str | None]


def execute(host: Host, job: Job) -> Outcome:
    """Run a job's action (outside any transaction), in a span that continues the trace
    of whatever scheduled the job, in this process or another."""
    with tracing.span("overture.job", parent=job.trace_context, run_id=job.run_id, node=job.step_id, action=job.action) as span:
        _, result, failure, context = outcome = _execute(host, job)
        if span is not None:
            span.set_attributes(
                {
                    "overture.orchestration": context.orchestration,
                    "overture.attempt": job.attempt,
                    "overture.outcome": "succeeded" if failure is None else "failed",
                }
            )
        return (*outcome, tracing.trace_context())


def _execute(host: Host, job: Job) -> tuple[Job, Any, ActionFailed | None, ActionContext]:
    action = host.actions.get(job.action)

    def load_run() -> tuple[str, dict[str, Any] | None]:
        with host.store.transaction(write=False) as tx:
            run = tx.get(Run, job.run_id)
            record = tx.get(Record, run.record_id) if run and run.record_id else None
        return (run.orchestration if run else "", record_scope(record))

    context = ActionContext(
        run_id=job.run_id,
        step_id=job.step_id,
        visit=job.visit,
        attempt=job.attempt,
        idempotency_key=job.idempotency_key,
        now=host.clock.now(),
        services=host.services(),
        settings=host.settings,
        load_run=load_run,
    )
    try:
        if action is None:
            raise ActionFailed(f"action {job.action!r} is not registered", retryable=False)
        return job, background.call(host, action, context, dict(job.inputs)), None, context
    except ActionFailed as exc:
        return job, None, exc, context
    except Exception as exc:  # an action's bug is the step's failure, not the engine's
        log.exception("action %s failed", job.action)
        return job, None, ActionFailed(f"{type(exc).__name__}: {exc}"), context


def _record_one(host: Host, outcome: Outcome, tx: Transaction) -> None:
    record_result(host, tx, *outcome)


def record_result(
    host: Host, tx: Transaction, job: Job, result: Any, failure: ActionFailed | None, context: ActionContext, trace: str | None
) -> None:
    """Record what a job's action gave: the step completes, retries after a backoff, or fails.
    What that schedules (the next step's job, a retry) continues the job's trace."""
    with tracing.resumed(trace):
        _record_result(host, tx, job, result, failure, context)


def _record_result(host: Host, tx: Transaction, job: Job, result: Any, failure: ActionFailed | None, context: ActionContext) -> None:
    row = copy_row(job)
    row.finished_at = host.clock.now()
    move(row, JobStatus.DONE if failure is None else JobStatus.FAILED)
    row.error = None if failure is None else failure.message
    if not tx.update(row, expect={"status": JobStatus.RUNNING.value, "claimed_by": job.claimed_by}):
        return  # re-queued as stale and claimed again meanwhile: that execution records it
    ctx = load(host, tx, job.run_id)
    step_run = ctx.steps.get(job.step_id)
    still_wanted = step_run is not None and step_run.visit == job.visit and step_run.status == NodeStatus.IN_PROGRESS
    step = ctx.spec.steps[job.step_id]
    if failure is None:
        if not still_wanted:
            return
        event(ctx, "action.succeeded", node=job.step_id, visit=job.visit, data={"attempt": job.attempt, "action": job.action})
        if isinstance(result, Pending):
            assert step_run is not None
            step_run.outputs = dict(result.outputs)
            ctx.touch(step_run)
        else:
            try:
                apply_variables(ctx, step, context.variables)
            except RunError as exc:
                run_error(ctx, exc)
            complete_step(ctx, step, outputs=background.action_outputs(ctx, step, result))
        advance(ctx)
        flush(ctx)
        return
    if not still_wanted:
        return
    assert step.retry is not None and step_run is not None
    event(
        ctx,
        "action.failed",
        node=job.step_id,
        visit=job.visit,
        data={"attempt": job.attempt, "action": job.action, "error": failure.message, "retryable": failure.retryable},
    )
    tries = job.attempt - step_run.retry_base
    if failure.retryable and tries < step.retry.max_attempts:
        delay = step.retry.backoff.delta.total_seconds() * step.retry.multiplier ** (tries - 1)
        delay = min(delay, step.retry.max_backoff.delta.total_seconds())
        background.enqueue(ctx, step, step_run, job.inputs, job.attempt + 1, ctx.now + timedelta(seconds=delay))
    else:
        fail_step(ctx, step, failure.message)
        advance(ctx)
    flush(ctx)
