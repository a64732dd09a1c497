"""Records (contracts, service requests...) that record-triggered orchestrations start
on and re-evaluate on, and their types.

Saving a record may start runs; the response lists their ids in ``started_runs`` and, named
for people, in ``started`` (``[{id, orchestration, label}]``). A member
sees the records they own or that a run they may see is bound to (404 for the others)
and creates records owned by themselves; ops, admins and API tokens see every record.
Changing one is narrower (``builder.queries.record_fields_editable``): the owner, admins
and API tokens change any field; a person with an open work item on a run bound to the
record changes the fields its step's form names; anyone else gets 403 naming the fields
refused. ``GET`` answers ``editable_fields`` so pages offer only what will be accepted.
Record types are defined by admins; each lists the orchestrations whose active version a
save of that type starts (``triggers``).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, jsonify, request
from marshmallow import ValidationError, fields, validate, validates, validates_schema
from sqlalchemy import select

from builder.accounts import record_triggers, record_type_view
from builder.audit import audited
from builder.auth import caller, roles, tokens_allowed
from builder.errors import ApiError
from builder.extensions import engine
from builder.queries import may_see_record, reading, record_fields_editable, record_page, sees_everything, visible_run_ids
from builder.requests import (
    Bool,
    StrictSchema,
    body,
    cursor_arg,
    keyset_page,
    limit_arg,
    newest_first,
    newest_first_after,
    paginate,
    query,
    uses,
)
from runtime.errors import Forbidden, NotFound
from runtime.store.tables import RecordRow, RecordTypeRow, UserRow

bp = Blueprint("records", __name__, url_prefix="/api")

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
FIELD_TYPES = ("string", "number", "integer", "boolean", "date", "datetime", "list", "map")


# Attributes are named values/record_fields: a schema's own ``fields`` attribute is taken.
class RecordIn(StrictSchema):
    values = fields.Dict(keys=fields.String(), required=True, data_key="fields")
    owner = fields.String(load_default=None, allow_none=True)


class RecordChange(StrictSchema):
    values = fields.Dict(keys=fields.String(), required=True, data_key="fields")


class RecordQuery(StrictSchema):
    owner = fields.String()


class FieldIn(StrictSchema):
    name = fields.String(required=True, validate=validate.Regexp(NAME, error="must be an identifier (letters, digits, _)"))
    type = fields.String(required=True, validate=validate.OneOf(FIELD_TYPES))
    required = Bool(load_default=False)
    label = fields.String(validate=validate.Length(min=1, max=200))
    #: The values a string field takes (an enumerated field): a record with another is refused.
    options = fields.List(
        fields.String(validate=validate.Length(min=1, max=200, error="must be 1 to 200 characters")),
        validate=validate.Length(min=1, max=200, error="must list 1 to 200 options"),
    )

    @validates_schema
    def options_fit(self, data: dict[str, Any], **_kwargs: Any) -> None:
        options = data.get("options")
        if options is None:
            return
        if data.get("type") != "string":
            raise ValidationError(f"only string fields have options, not {data.get('type')} fields", "options")
        repeated = sorted({o for o in options if options.count(o) > 1})
        if repeated:
            raise ValidationError(f"options must be unique: {', '.join(repeated)}", "options")


class RecordTypeChange(StrictSchema):
    """A record type's new label and fields (``PUT /record-types/<name>``: the name stays)."""

    label = fields.String(load_default=None, validate=validate.Length(min=1, max=200))
    record_fields = fields.List(fields.Nested(FieldIn), required=True, data_key="fields")

    @validates("record_fields")
    def unique_names(self, value: list[dict[str, Any]], **_kwargs: Any) -> None:
        # Items that did not load (``[null, null]``) have their own errors already.
        names = [f["name"] for f in value if isinstance(f, dict) and "name" in f]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValidationError(f"field names must be unique: {', '.join(duplicates)}")


class RecordTypeIn(RecordTypeChange):
    name = fields.String(required=True, validate=validate.Regexp(NAME, error="must be an identifier (letters, digits, _)"))


def _type_body(schema: RecordTypeChange) -> dict[str, Any]:
    """A record type's body, or a 422 whose message names the fields that do not fit
    (``field kind: options: ...``), not only their place in the list."""
    try:
        loaded: dict[str, Any] = body(schema)
    except ValidationError as exc:
        payload = request.get_json(silent=True)
        given = payload.get("fields") if isinstance(payload, dict) else None
        problems = []
        for key, value in exc.normalized_messages().items():
            if key == "fields" and isinstance(value, dict):
                for index, errors in value.items():
                    item = given[index] if isinstance(given, list) and isinstance(index, int) and index < len(given) else None
                    name = item.get("name") if isinstance(item, dict) and isinstance(item.get("name"), str) else None
                    place = name or (f"#{index + 1}" if isinstance(index, int) else str(index))
                    problems.append(f"field {place}: {_flat(errors)}")
            else:
                problems.append(f"{key}: {_flat(value)}")
        raise ApiError(422, "invalid", "; ".join(problems) or "the record type does not fit", exc.messages) from exc
    return loaded


def _flat(errors: Any) -> str:
    if isinstance(errors, dict):
        return "; ".join(f"{k}: {_flat(v)}" if k != "_schema" else _flat(v) for k, v in errors.items())
    if isinstance(errors, list):
        return " ".join(_flat(e) for e in errors)
    return str(errors)


def record_view(row: RecordRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "object": row.object,
        "owner": row.owner,
        "fields": row.fields,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
        "revision": row.revision,
    }


def _require_type(object: str) -> None:
    with reading() as s:
        if s.get(RecordTypeRow, object) is None:
            raise NotFound(f"there is no record type {object}")


def _load(object: str, record_id: str) -> RecordRow:
    """The record, if the caller may see it; 404 otherwise."""
    if not may_see_record(caller(), object, record_id):
        raise NotFound(f"record {object}/{record_id} does not exist")
    with reading() as s:
        row = s.get(RecordRow, record_id)
    assert row is not None
    return row


def _saved(result: dict[str, Any], status: int) -> Any:
    """The engine's answer to a save, as the record view plus the runs it started."""
    with reading() as s:
        row = s.get(RecordRow, result["id"])
    assert row is not None
    return jsonify(
        {**record_view(row), "started_runs": result["started_runs"], "started": [_started(run_id) for run_id in result["started_runs"]]}
    ), status


def _started(run_id: str) -> dict[str, Any]:
    """A run a save started, named for people: its orchestration's key and label."""
    run = engine().get_run(run_id)
    return {"id": run_id, "orchestration": run["orchestration"], "label": run["label"]}


@bp.get("/records/<object>")
@uses(query=RecordQuery, paged=True)
@roles("admin", "ops", "member")
def list_records(object: str) -> Any:
    _require_type(object)
    filters = query(RecordQuery())
    limit = limit_arg()
    after = newest_first_after(cursor_arg(int, str))
    rows = record_page(caller(), object, owner=filters.get("owner"), after=after, limit=limit + 1)
    page, next_cursor = keyset_page(rows, limit, lambda r: newest_first(r.created_at, r.id))
    return jsonify({"items": [record_view(r) for r in page], "next_cursor": next_cursor})


@bp.post("/records/<object>")
@uses(RecordIn)
@tokens_allowed
@roles("admin", "ops", "member")
def create_record(object: str) -> Any:
    data = body(RecordIn())
    _require_type(object)
    principal = caller()
    owner = data["owner"]
    if owner is not None:
        if not sees_everything(principal) and owner != principal.name:
            raise Forbidden("a member creates records owned by themselves")
        with reading() as s:
            if s.get(UserRow, owner) is None:
                raise ApiError(422, "invalid", f"there is no user {owner}", {"owner": [f"no such user: {owner}"]})
    result = engine().create_record(object, data["values"], owner=owner, by=principal.name)
    return _saved(result, 201)


def _editable(row: RecordRow) -> list[str]:
    """The names of the fields of ``row`` the caller may change, in the record type's order."""
    allowed = record_fields_editable(caller(), row)
    with reading() as s:
        record_type = s.get(RecordTypeRow, row.object)
        declared = [f["name"] for f in record_type.fields] if record_type is not None else []
    names = declared + [k for k in row.fields if k not in declared]
    return [n for n in names if allowed is None or n in allowed]


@bp.get("/records/<object>/<record_id>")
@roles("admin", "ops", "member")
def get_record(object: str, record_id: str) -> Any:
    row = _load(object, record_id)
    runs = engine().runs(record_id=row.id)
    visible = visible_run_ids(caller(), [r["id"] for r in runs])
    return jsonify({**record_view(row), "runs": [r for r in runs if r["id"] in visible], "editable_fields": _editable(row)})


@bp.patch("/records/<object>/<record_id>")
@uses(RecordChange)
@tokens_allowed
@roles("admin", "ops", "member")
def update_record(object: str, record_id: str) -> Any:
    data = body(RecordChange())
    row = _load(object, record_id)
    allowed = record_fields_editable(caller(), row)
    refused = sorted(k for k in data["values"] if k not in allowed) if allowed is not None else []
    if refused:
        may = f"you may change only {', '.join(sorted(allowed or ()))}" if allowed else "you may only read it"
        raise Forbidden(
            f"you may not change {', '.join(refused)} of {object}/{record_id}: its owner, admins and the people "
            f"with an open step on it (the fields of that step's form) change a record; {may}",
            {"fields": {k: ["you may not change this field"] for k in refused}},
        )
    result = engine().update_record(object, record_id, data["values"], by=caller().name)
    return _saved(result, 200)


@bp.get("/record-types")
@uses(paged=True)
@roles("admin", "ops", "member")
def list_record_types() -> Any:
    with reading() as s:
        triggers = record_triggers(s)
        types = [record_type_view(t, triggers) for t in s.scalars(select(RecordTypeRow).order_by(RecordTypeRow.id))]
    return jsonify(paginate(types, lambda t: [t["name"]]))


@bp.post("/record-types")
@uses(RecordTypeIn)
@roles("admin")
def define_record_type() -> Any:
    data = _type_body(RecordTypeIn())
    with reading() as s:
        existed = s.get(RecordTypeRow, data["name"]) is not None
    with audited("record_type.changed" if existed else "record_type.created", "record_type", data["name"]):
        engine().define_record_type(data["name"], data["record_fields"], label=data["label"])
    with reading() as s:
        row = s.get(RecordTypeRow, data["name"])
        assert row is not None
        view = record_type_view(row, record_triggers(s))
    return jsonify(view), 200 if existed else 201


@bp.put("/record-types/<name>")
@uses(RecordTypeChange)
@roles("admin")
def change_record_type(name: str) -> Any:
    """Changes an existing type's label and fields (its options among them); 404 for a type not defined.

    Records already saved are not rewritten.
    """
    data = _type_body(RecordTypeChange())
    _require_type(name)
    with audited("record_type.changed", "record_type", name):
        engine().define_record_type(name, data["record_fields"], label=data["label"])
    with reading() as s:
        row = s.get(RecordTypeRow, name)
        assert row is not None
        view = record_type_view(row, record_triggers(s))
    return jsonify(view)
