"""Work items: what people must do, with its form, record and context; claim,
release, complete (one winner, the others get 409) and, for ops, reassign.

The engine decides who may act on an item (403 otherwise). A member lists only their
own items (theirs, their groups' and queues', those they claimed) and sees an item
only if they may act on it or completed it (404 otherwise); ops and admins see all.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from marshmallow import fields, validate

from builder.api.common import NoBody, StrictSchema, body, paginate, uses
from builder.api.params import CommaSeparated, caller, optional_body, query
from builder.auth import roles
from builder.errors import ApiError
from builder.extensions import engine
from builder.queries import may_see_item, reading, sees_everything
from runtime.errors import NotFound
from runtime.store.tables import GroupRow, UserRow

bp = Blueprint("work_items", __name__, url_prefix="/api/work-items")

ITEM_STATUSES = ("open", "claimed", "completed", "cancelled")


class ItemQuery(StrictSchema):
    mine = fields.Boolean(load_default=False)
    status = CommaSeparated(ITEM_STATUSES, load_default=("open", "claimed"))
    run = fields.String()
    orchestration = fields.String()


class CompleteIn(StrictSchema):
    outcome = fields.String(load_default=None, allow_none=True)
    values = fields.Dict(keys=fields.String(), load_default=dict)
    comment = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=10_000))


class AssigneeIn(StrictSchema):
    type = fields.String(required=True, validate=validate.OneOf(("user", "group", "queue")))
    value = fields.String(required=True, validate=validate.Length(min=1, max=64))


class ReassignIn(StrictSchema):
    to = fields.Nested(AssigneeIn, required=True)


def _sort_key(item: dict[str, Any]) -> list[Any]:
    # The engine's order: soonest due first, then those without a due date, oldest first.
    return [item["due_at"] is None, item["due_at"] or item["created_at"], item["created_at"], item["id"]]


@bp.get("")
@uses(query=ItemQuery, paged=True)
@roles("admin", "ops", "member")
def list_work_items() -> Any:
    filters = query(ItemQuery())
    principal = caller()
    mine = filters["mine"] or not sees_everything(principal)
    items = engine().work_items(
        assignee=principal.name if mine else None, run=filters.get("run"), status=filters["status"],
    )
    if "orchestration" in filters:
        items = [i for i in items if i["orchestration"] == filters["orchestration"]]
    return jsonify(paginate(items, _sort_key))


def _context(run_id: str) -> dict[str, Any]:
    """What the person doing the work needs to know about the run: inputs, variables, earlier steps."""
    run = engine().get_run(run_id)
    return {
        "run": {k: run[k] for k in ("id", "orchestration", "version", "label", "status", "current_stage", "started_by", "started_at")},
        "inputs": run["inputs"],
        "vars": run["vars"],
        "steps": [
            {k: s[k] for k in ("id", "label", "stage", "outcome", "outputs", "completed_by", "ended_at")}
            for s in run["steps"] if s["status"] == "completed"
        ],
    }


@bp.get("/<item_id>")
@roles("admin", "ops", "member")
def get_work_item(item_id: str) -> Any:
    item = engine().get_work_item(item_id)
    if not may_see_item(caller(), item):
        raise NotFound(f"work item {item_id} does not exist")
    return jsonify({**item, "context": _context(item["run_id"])})


@bp.post("/<item_id>/claim")
@uses(NoBody, optional=True)
@roles("admin", "ops", "member")
def claim(item_id: str) -> Any:
    optional_body(NoBody())  # no body, or an empty object
    return jsonify(engine().claim(item_id, by=caller().name))


@bp.post("/<item_id>/release")
@uses(NoBody, optional=True)
@roles("admin", "ops", "member")
def release(item_id: str) -> Any:
    optional_body(NoBody())  # no body, or an empty object
    return jsonify(engine().release(item_id, by=caller().name))


@bp.post("/<item_id>/complete")
@uses(CompleteIn)
@roles("admin", "ops", "member")
def complete(item_id: str) -> Any:
    data = body(CompleteIn())
    item = engine().complete(item_id, by=caller().name, outcome=data["outcome"], values=data["values"], comment=data["comment"])
    return jsonify(item)


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
    return jsonify(engine().reassign(item_id, to, by=caller().name))

