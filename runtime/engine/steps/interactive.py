"""Interactive steps: work items for people (assignment, delegation, approvals, escalation)."""

from __future__ import annotations

from typing import Any

from runtime import tracing
from runtime.engine.context import Completion, RunContext, RunError, delete_timers, event, notify, run_error, value
from runtime.engine.plain import has_timers, iso, new_id, on_behalf
from runtime.model import StepRun, Timer, WorkItem
from runtime.spec import Assignee, Step
from runtime.states import OPEN_ITEM, NodeStatus, WorkItemStatus, move

#: How far work follows delegates who are away themselves (A to B to C...).
DELEGATION_HOPS = 3


def start(ctx: RunContext, step: Step, step_run: StepRun) -> None:
    """Create the step's work items: one for its assignee, or one per approver."""
    move(step_run, NodeStatus.IN_PROGRESS)
    event(ctx, "step.started", node=step.id, visit=step_run.visit)
    assert step.assignee is not None
    targets: list[Assignee]
    if step.approval is None:
        targets = [resolve(ctx, step.assignee, step.id, "assignee.value")]
    elif step.approval.approvers:
        targets = [resolve(ctx, a, step.id, f"approval.approvers[{i}].value") for i, a in enumerate(step.approval.approvers)]
    else:
        base = resolve(ctx, step.assignee, step.id, "assignee.value")
        members = ctx.host.directory.members(base.type, base.value) if base.type in ("group", "queue") else []
        targets = [Assignee("user", m) for m in members] or [base]
    due = step.due.after(ctx.now) if step.due else None
    for meant in targets:
        target, for_whom = delegated(ctx, meant)
        item = WorkItem(
            id=new_id(),
            run_id=ctx.run.id,
            orchestration=ctx.spec.key,
            step_id=step.id,
            stage_id=step.stage,
            visit=step_run.visit,
            label=step.label,
            assignee_type=target.type,
            assignee_value=target.value,
            status=WorkItemStatus.OPEN.value,
            created_at=ctx.now,
            due_at=due,
            record_object=ctx.run.record_object,
            record_id=ctx.run.record_id,
            on_behalf_of=for_whom,
            version=ctx.run.version,
            trace_context=tracing.trace_context(),  # whoever completes it links their trace to this one
        )
        ctx.add(item)
        data = {"work_item": item.id, "assignee": {"type": target.type, "value": target.value}, "due_at": iso(due)}
        event(ctx, "work_item.created", node=step.id, visit=step_run.visit, data={**data, "on_behalf_of": for_whom} if for_whom else data)
        notify(
            ctx,
            "assignment",
            target,
            f"New work: {step.label}{on_behalf(for_whom)}",
            f"{ctx.spec.label}: {step.label}{on_behalf(for_whom)}",
            item.id,
        )
        if due is not None and step.escalation is not None:
            escalates = step.escalation.after.after(due)
            ctx.add(Timer(new_id(), ctx.run.id, "escalation", step.id, step_run.visit, escalates, item.id, tracing.trace_context()))


def close(ctx: RunContext, step: Step, visit: int) -> None:
    for item in ctx.tx.find(WorkItem, run_id=ctx.run.id, step_id=step.id, visit=visit, status=OPEN_ITEM):
        cancel_item(ctx, item)


def item_completed(ctx: RunContext, step: Step, item: WorkItem) -> Completion | None:
    """A work item of the step was completed: the step completes with it, or, for an
    approval, once enough responses decide it (None: it waits for more)."""
    if step.approval is None:
        return Completion(dict(item.values), item.outcome, item.completed_by)
    # Responses accumulate on the step in the order they came in.
    step_run = ctx.steps[step.id]
    responses = [
        *step_run.outputs.get("responses", []),
        {"by": item.completed_by, "outcome": item.outcome, "values": item.values, "comment": item.comment},
    ]
    open_items = [
        i for i in ctx.tx.find(WorkItem, run_id=ctx.run.id, step_id=step.id, visit=item.visit, status=OPEN_ITEM) if i.id != item.id
    ]
    approve = step.approval.approve_outcome
    approvals = sum(1 for r in responses if r["outcome"] == approve)
    rejections = len(responses) - approvals
    total = len(responses) + len(open_items)
    decided: str | None
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
        ctx.touch(step_run)
        return None
    for other in open_items:
        cancel_item(ctx, other)
    return Completion(outputs, decided, item.completed_by)


def escalate(ctx: RunContext, step: Step, item: WorkItem, visit: int) -> None:
    """An item's escalation timer fired: reassign it or tell someone it is overdue."""
    if item.status not in OPEN_ITEM or step.escalation is None:
        return
    item.escalated_at = ctx.now
    ctx.touch(item)
    event(
        ctx,
        "work_item.escalated",
        node=step.id,
        visit=visit,
        data={"work_item": item.id, "action": step.escalation.action, "due_at": iso(item.due_at)},
    )
    try:
        to = resolve(ctx, step.escalation.to, step.id, "escalation.to.value") if step.escalation.to else None
    except RunError as exc:
        run_error(ctx, exc)
        return
    if step.escalation.action == "reassign" and to is not None:
        reassign(ctx, item, to, by=None, kind="escalation")
    else:
        target = to or Assignee(item.assignee_type, item.assignee_value)
        notify(ctx, "escalation", target, f"Overdue: {step.label}", f"{ctx.spec.label}: {step.label} was due {iso(item.due_at)}", item.id)


def resolve(ctx: RunContext, assignee: Assignee, node: str, field_name: str) -> Assignee:
    """An assignee as a user, group or queue (an expression gives a user name)."""
    if assignee.type != "expression":
        return assignee
    assert assignee.expression is not None
    name = value(ctx, assignee.expression, node, field_name)
    if not isinstance(name, str) or not name:
        raise RunError(node, field_name, f"the assignee expression `{assignee.value}` gave {name!r}, not a user name")
    return Assignee("user", name)


def reassign(ctx: RunContext, item: WorkItem, meant: Assignee, *, by: str | None, kind: str) -> None:
    before = {"type": item.assignee_type, "value": item.assignee_value}
    to, for_whom = delegated(ctx, meant)
    move(item, WorkItemStatus.OPEN)
    item.assignee_type, item.assignee_value, item.claimed_by = to.type, to.value, None
    item.on_behalf_of = for_whom
    ctx.touch(item)
    data: dict[str, Any] = {"work_item": item.id, "from": before, "to": {"type": to.type, "value": to.value}}
    event(
        ctx,
        "work_item.reassigned",
        node=item.step_id,
        visit=item.visit,
        by=by,
        data={**data, "on_behalf_of": for_whom} if for_whom else data,
    )
    notify(
        ctx,
        kind,
        to,
        f"Reassigned to you: {item.label}{on_behalf(for_whom)}",
        f"{ctx.spec.label}: {item.label}{on_behalf(for_whom)}",
        item.id,
    )


def delegated(ctx: RunContext, meant: Assignee) -> tuple[Assignee, str | None]:
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
        delegate = ctx.host.directory.delegate(seen[-1], ctx.now)
        if delegate is None or delegate in seen:
            break
        seen.append(delegate)
    if len(seen) == 1:
        return meant, None
    return Assignee("user", seen[-1]), meant.value


def cancel_item(ctx: RunContext, item: WorkItem) -> None:
    move(item, WorkItemStatus.CANCELLED)
    ctx.touch(item)
    if has_timers(ctx.spec.steps[item.step_id]):
        delete_timers(ctx, work_item_id=item.id)
    event(ctx, "work_item.cancelled", node=item.step_id, visit=item.visit, data={"work_item": item.id})
