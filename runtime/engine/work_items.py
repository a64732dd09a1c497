"""Work items as people and ops act on them: list, read, claim, release, reassign,
hand over, complete (the form checked; exactly one caller wins)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from runtime import tracing
from runtime.directory import Directory
from runtime.engine.context import Host, RunContext, delete_timers, event, flush, load, transact
from runtime.engine.plain import has_timers, json_copy, record_scope
from runtime.engine.rules import advance, item_completed
from runtime.engine.steps.interactive import reassign as reassign_item
from runtime.engine.views import item_view
from runtime.errors import Conflict, Forbidden, InvalidInput, NotFound
from runtime.limits import describe as describe_size
from runtime.limits import size_problem
from runtime.model import Record, Run, WorkItem
from runtime.spec import Assignee, Step
from runtime.states import OPEN_ITEM, RunStatus, WorkItemStatus, move
from runtime.store.base import Transaction
from runtime.values import check_form_value


def may_act(directory: Directory, user: str, item: WorkItem, groups: Collection[tuple[str, str]] | None = None) -> bool:
    """Whether ``user`` may claim or complete ``item``: its assignee, a member of its group or
    queue, or who claimed it. ``groups``: the user's memberships, when the caller has them already."""
    if not isinstance(user, str) or not user:
        return False
    if item.claimed_by == user:
        return True
    if item.assignee_type == "user":
        return item.assignee_value == user
    return (item.assignee_type, item.assignee_value) in (directory.memberships(user) if groups is None else groups)


def find(
    host: Host, assignee: str | None, run: str | None, status: str | Iterable[str] | None, ids: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    statuses = (status,) if isinstance(status, str) else (tuple(status) if status is not None else None)
    with host.store.transaction(write=False) as tx:
        filters: dict[str, Any] = {}
        if ids is not None:
            filters["id"] = tuple(ids)
        if run:
            filters["run_id"] = run
        if statuses:
            filters["status"] = statuses
        if assignee is not None:
            items: dict[str, WorkItem] = {}
            groups = host.directory.memberships(assignee)  # once, not once per item
            names = {assignee} | {name for _kind, name in groups}
            for item in tx.find(WorkItem, assignee_value=tuple(names), **filters):
                if may_act(host.directory, assignee, item, groups):
                    items[item.id] = item
            for item in tx.find(WorkItem, claimed_by=assignee, **filters):
                items[item.id] = item
            found = list(items.values())
        else:
            found = tx.find(WorkItem, **filters)
        found.sort(key=lambda i: (i.due_at is None, i.due_at or i.created_at, i.created_at, i.id))
        return [item_view(i, host.clock.now()) for i in found]


def get(host: Host, item_id: str) -> dict[str, Any]:
    with host.store.transaction(write=False) as tx:
        item = tx.get(WorkItem, item_id)
        if item is None:
            raise NotFound(f"work item {item_id} does not exist")
        view = item_view(item, host.clock.now())
        run = tx.get(Run, item.run_id)
        assert run is not None
        spec = host.spec(run.orchestration, run.version, tx=tx)
        step = spec.steps[item.step_id]
        view["form"] = next(n for n in spec.document["nodes"] if n["id"] == item.step_id)["form"]
        view["step_label"] = step.label
        view["record"] = record_scope(tx.get(Record, run.record_id)) if run.record_id else None
        view["run_status"] = run.status
        return view


def open_item(host: Host, tx: Transaction, item_id: str, by: str) -> WorkItem:
    """The item ``by`` means to act on: it exists, they may act on it, it is still open."""
    # With its run and record: load() reads them next (one query on PostgreSQL).
    item = tx.get_with_run(WorkItem, item_id) if isinstance(item_id, str) else None
    if item is None:
        raise NotFound(f"work item {item_id} does not exist")
    if not may_act(host.directory, by, item):
        raise Forbidden(f"{by} is not the assignee of work item {item_id} nor in its {item.assignee_type}")
    if item.status not in OPEN_ITEM:
        who = f" by {item.completed_by}" if item.completed_by else ""
        raise Conflict(f"work item {item_id} is already {item.status}{who}")
    return item


def claim(host: Host, item_id: str, by: str) -> dict[str, Any]:
    def op(tx: Transaction) -> dict[str, Any]:
        item = open_item(host, tx, item_id, by)
        if item.status == WorkItemStatus.CLAIMED:
            if item.claimed_by == by:
                return item_view(item, host.clock.now())
            raise Conflict(f"work item {item_id} is already claimed by {item.claimed_by}")
        ctx = load(host, tx, item.run_id)
        move(item, WorkItemStatus.CLAIMED)
        item.claimed_by = by
        tx.update_or_raise(item, {"status": WorkItemStatus.OPEN.value}, Conflict(f"work item {item_id} changed meanwhile; reload it"))
        event(ctx, "work_item.claimed", node=item.step_id, visit=item.visit, by=by, data={"work_item": item.id})
        flush(ctx)
        return item_view(item, host.clock.now())

    return transact(host, op)


def release(host: Host, item_id: str, by: str) -> dict[str, Any]:
    def op(tx: Transaction) -> dict[str, Any]:
        item = open_item(host, tx, item_id, by)
        if item.status != WorkItemStatus.CLAIMED or item.claimed_by != by:
            raise Conflict(f"work item {item_id} is not claimed by {by}")
        ctx = load(host, tx, item.run_id)
        move(item, WorkItemStatus.OPEN)
        item.claimed_by = None
        expect = {"status": WorkItemStatus.CLAIMED.value, "claimed_by": by}
        tx.update_or_raise(item, expect, Conflict(f"work item {item_id} changed meanwhile; reload it"))
        event(ctx, "work_item.released", node=item.step_id, visit=item.visit, by=by, data={"work_item": item.id})
        flush(ctx)
        return item_view(item, host.clock.now())

    return transact(host, op)


def _assignee(to: Any, verb: str) -> Assignee:
    if not isinstance(to, Mapping) or to.get("type") not in ("user", "group", "queue") or not isinstance(to.get("value"), str):
        raise InvalidInput(f'{verb} to {{"type": "user" | "group" | "queue", "value": name}}')
    return Assignee(to["type"], to["value"])


def reassign(host: Host, item_id: str, to: Mapping[str, str], by: str | None) -> dict[str, Any]:
    target = _assignee(to, "reassign")

    def op(tx: Transaction) -> dict[str, Any]:
        item = tx.get_with_run(WorkItem, item_id)
        if item is None:
            raise NotFound(f"work item {item_id} does not exist")
        if item.status not in OPEN_ITEM:
            raise Conflict(f"work item {item_id} is {item.status}")
        ctx = load(host, tx, item.run_id)
        reassign_item(ctx, item, target, by=by, kind="reassignment")
        flush(ctx)
        return item_view(item, host.clock.now())

    return transact(host, op)


def hand_over(
    host: Host,
    user: str,
    to: Mapping[str, str] | None,
    by: str | None,
    also: Callable[[Transaction], None] | None,
) -> dict[str, int]:
    target: Assignee | None = None
    if to is not None:
        target = _assignee(to, "hand over")
        if target.type == "user" and target.value == user:
            raise InvalidInput(f"{user}'s work cannot be handed over to {user}", {"reassign_to": ["choose someone else"]})

    def op(tx: Transaction) -> dict[str, int]:
        if also is not None:
            also(tx)
        personal = tx.find(WorkItem, assignee_type="user", assignee_value=user, status=OPEN_ITEM)
        claimed = [
            i
            for i in tx.find(WorkItem, claimed_by=user, status=WorkItemStatus.CLAIMED.value)
            if not (i.assignee_type == "user" and i.assignee_value == user)
        ]
        if personal and target is None:
            count = f"{len(personal)} open work item{'s' if len(personal) != 1 else ''}"
            raise InvalidInput(
                f"{user} has {count} assigned to them personally: say in reassign_to who takes them",
                {"reassign_to": [f"required: {user} has {count} assigned to them personally"]},
            )
        runs: dict[str, RunContext] = {}
        for item in claimed:
            ctx = runs.get(item.run_id) or runs.setdefault(item.run_id, load(host, tx, item.run_id))
            move(item, WorkItemStatus.OPEN)
            item.claimed_by = None
            ctx.touch(item)
            event(ctx, "work_item.released", node=item.step_id, visit=item.visit, by=by, data={"work_item": item.id, "claimed_by": user})
        for item in personal:
            assert target is not None
            ctx = runs.get(item.run_id) or runs.setdefault(item.run_id, load(host, tx, item.run_id))
            reassign_item(ctx, item, target, by=by, kind="reassignment")
        for ctx in runs.values():
            flush(ctx)
        return {"released": len(claimed), "reassigned": len(personal)}

    return transact(host, op)


def complete(
    host: Host,
    item_id: str,
    by: str,
    outcome: str | None,
    values: Mapping[str, Any] | None,
    comment: str | None,
) -> dict[str, Any]:
    def op(tx: Transaction) -> dict[str, Any]:
        item = open_item(host, tx, item_id, by)
        if item.status == WorkItemStatus.CLAIMED and item.claimed_by != by:
            raise Conflict(f"work item {item_id} is claimed by {item.claimed_by}")
        ctx = load(host, tx, item.run_id)
        tracing.annotate(run_id=ctx.run.id, orchestration=ctx.spec.key, node=item.step_id)
        tracing.link(item.trace_context)
        if ctx.run.status != RunStatus.IN_PROGRESS:
            raise Conflict(f"run {ctx.run.id} is {ctx.run.status}; its work items cannot be completed now")
        step = ctx.spec.steps[item.step_id]
        assert step.form is not None
        chosen, clean = check_form(step, outcome, values)
        tracing.annotate(outcome=chosen)
        if comment is not None and not isinstance(comment, str):
            raise InvalidInput("comment must be a string")
        move(item, WorkItemStatus.COMPLETED)
        item.completed_at, item.completed_by = ctx.now, by
        item.outcome, item.values, item.comment = chosen, clean, comment
        # Exactly one completion wins: the store checks the status, at the latest at commit.
        tx.update_or_raise(item, {"status": OPEN_ITEM}, Conflict(f"work item {item_id} was completed by someone else meanwhile"))
        event(
            ctx,
            "work_item.completed",
            node=item.step_id,
            visit=item.visit,
            by=by,
            data={"work_item": item.id, "outcome": chosen, "values": clean, "comment": comment},
        )
        if has_timers(step):
            delete_timers(ctx, work_item_id=item.id)
        item_completed(ctx, step, item)
        advance(ctx)
        flush(ctx)
        return item_view(item, host.clock.now())

    with tracing.span("overture.work_item.complete", work_item=item_id):
        return transact(host, op)


def check_form(step: Step, outcome: str | None, values: Mapping[str, Any] | None) -> tuple[str, dict[str, Any]]:
    """The outcome and the form values of a completion, checked against the step's form."""
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
    for name in values:
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
            clean[f.name] = json_copy(value)
    if errors:
        raise InvalidInput("the form is not filled in correctly", {"fields": errors})
    assert outcome is not None
    return outcome, clean
