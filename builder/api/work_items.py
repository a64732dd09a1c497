"""Work items: what people must do, with its form, record and context; claim,
release, complete (one winner, the others get 409) and, for ops, reassign.

The engine decides who may act on an item (403 otherwise). A member lists only their
own items (theirs, their groups' and queues', those they claimed) and sees an item
only if they may act on it or completed it (404 otherwise); ops and admins see all.
Every action on an item a member may not see answers 404 too, as GET does, so a
claim or complete cannot tell whether an id exists.

Items carry the display names of the people and groups they mention
(``assignee_name``, ``claimed_by_name``, ``completed_by_name``, ``on_behalf_of_name``) and their
orchestration's label (``orchestration_label``), so pages show names, not ids; ``record=<id>`` lists the items of the runs on one record.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from flask import Blueprint, jsonify
from marshmallow import fields, validate

from builder.audit import audited
from builder.auth import caller, roles
from builder.errors import ApiError
from builder.extensions import engine
from builder.names import display_names, named_items
from builder.queries import may_see_item, reading, sees_everything, work_item_count, work_item_page
from builder.requests import (
    CommaSeparated,
    Flag,
    NoBody,
    StrictSchema,
    body,
    cursor_arg,
    keyset_page,
    limit_arg,
    optional_body,
    query,
    uses,
)
from runtime.engine.plain import iso
from runtime.errors import NotFound
from runtime.states import OPEN_ITEM, WorkItemStatus
from runtime.store.tables import GroupRow, UserRow

bp = Blueprint("work_items", __name__, url_prefix="/api/work-items")

ITEM_STATUSES = tuple(s.value for s in WorkItemStatus)


class ItemQuery(StrictSchema):
    mine = Flag(load_default=False)
    status = CommaSeparated(ITEM_STATUSES, load_default=OPEN_ITEM)
    run = fields.String()
    orchestration = fields.String()
    record = fields.String(validate=validate.Length(min=1, max=200))
    overdue = Flag(load_default=False)  # only those due before now
    total = Flag(load_default=False)  # also count every item that matches (My work's "50 of 6,000")


class CompleteIn(StrictSchema):
    outcome = fields.String(load_default=None, allow_none=True)
    values = fields.Dict(keys=fields.String(), load_default=dict)
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=10_000))


class AssigneeIn(StrictSchema):
    type = fields.String(required=True, validate=validate.OneOf(("user", "group", "queue")))
    value = fields.String(required=True, validate=validate.Length(min=1, max=64))


class ReassignIn(StrictSchema):
    to = fields.Nested(AssigneeIn, required=True)


def _sort_key(due_at: datetime | None, created_at: datetime, item_id: str) -> list[Any]:
    """The cursor of an item in the engine's order: soonest due first, then those without
    a due date, oldest first (times as the API writes them; builder.queries.work_item_page reads it)."""
    return [due_at is None, iso(due_at or created_at), iso(created_at), item_id]


@bp.get("")
@uses(query=ItemQuery, paged=True)
@roles("admin", "ops", "member")
def list_work_items() -> Any:
    filters = query(ItemQuery())
    principal = caller()
    mine = filters["mine"] or not sees_everything(principal)
    limit = limit_arg()
    chosen = {
        "mine": mine,
        "statuses": filters["status"],
        "run": filters.get("run"),
        "orchestration": filters.get("orchestration"),
        "record": filters.get("record"),
        "due_before": engine().clock.now() if filters["overdue"] else None,
    }
    keys = work_item_page(principal, **chosen, after=cursor_arg(bool, str, str, str), limit=limit + 1)
    page, next_cursor = keyset_page(keys, limit, lambda k: _sort_key(k[1], k[2], k[0]))
    ids = [item_id for item_id, _due, _created in page]
    found = {i["id"]: i for i in engine().work_items(id=ids, status=None)} if ids else {}
    items = [found[i] for i in ids if i in found]
    answer: dict[str, Any] = {"items": named_items(items), "next_cursor": next_cursor}  # names for the page only
    if filters["total"]:
        answer["total"] = work_item_count(principal, **chosen)
    return jsonify(answer)


def _context(run_id: str) -> dict[str, Any]:
    """What the person doing the work needs to know about the run: inputs, variables, earlier steps."""
    run = engine().get_run(run_id)
    steps = [s for s in run["steps"] if s["status"] == "completed"]
    people, _ = display_names({n for n in [run["started_by"], *(s["completed_by"] for s in steps)] if n}, set())
    return {
        "run": {
            **{k: run[k] for k in ("id", "orchestration", "version", "label", "status", "current_stage", "started_by", "started_at")},
            "started_by_name": people.get(run["started_by"], run["started_by"]) if run["started_by"] else None,
        },
        "inputs": run["inputs"],
        "vars": run["vars"],
        "steps": [
            {
                **{k: s[k] for k in ("id", "label", "stage", "outcome", "outputs", "completed_by", "ended_at")},
                "completed_by_name": people.get(s["completed_by"], s["completed_by"]) if s["completed_by"] else None,
            }
            for s in steps
        ],
    }


def _visible(item_id: str) -> dict[str, Any]:
    """The item, if the caller may see it; 404 otherwise (as if it did not exist)."""
    item = engine().get_work_item(item_id)
    if not may_see_item(caller(), item):
        raise NotFound(f"work item {item_id} does not exist")
    return item


@bp.get("/<item_id>")
@roles("admin", "ops", "member")
def get_work_item(item_id: str) -> Any:
    item = _visible(item_id)
    return jsonify({**named_items([item])[0], "context": _context(item["run_id"])})


@bp.post("/<item_id>/claim")
@uses(NoBody, optional=True)
@roles("admin", "ops", "member")
def claim(item_id: str) -> Any:
    optional_body(NoBody())  # no body, or an empty object
    _visible(item_id)
    return jsonify(named_items([engine().claim(item_id, by=caller().name)])[0])


@bp.post("/<item_id>/release")
@uses(NoBody, optional=True)
@roles("admin", "ops", "member")
def release(item_id: str) -> Any:
    optional_body(NoBody())  # no body, or an empty object
    _visible(item_id)
    return jsonify(named_items([engine().release(item_id, by=caller().name)])[0])


def _on_behalf(item: dict[str, Any]) -> bool:
    """Whether completing ``item`` acts for someone else: it is held by a delegate for a
    person who is out of office (only its assignee or claimer may complete an item)."""
    return item.get("on_behalf_of") is not None


@bp.post("/<item_id>/complete")
@uses(CompleteIn)
@roles("admin", "ops", "member")
def complete(item_id: str) -> Any:
    data = body(CompleteIn())
    seen = _visible(item_id)
    finish = partial(engine().complete, item_id, by=caller().name, outcome=data["outcome"], values=data["values"], comment=data["comment"])
    if _on_behalf(seen):
        with audited("work_item.completed_on_behalf", "work_item", item_id):
            item = finish()
    else:  # people doing their own work: the run's event log has it, the audit log does not
        item = finish()
    return jsonify(named_items([item])[0])


@bp.post("/<item_id>/reassign")
@uses(ReassignIn)
@roles("admin", "ops")
def reassign(item_id: str) -> Any:
    to = body(ReassignIn())["to"]
    with reading() as s:
        if to["type"] == "user":
            user = s.get(UserRow, to["value"])
            known = user is not None and user.active
        else:
            group = s.get(GroupRow, to["value"])
            known = group is not None and group.kind == to["type"]
    if not known:
        raise ApiError(422, "invalid", f"there is no {to['type']} {to['value']}", {"to": {"value": [f"no such {to['type']}"]}})
    with audited("work_item.reassigned", "work_item", item_id):
        item = engine().reassign(item_id, to, by=caller().name)
    return jsonify(named_items([item])[0])
