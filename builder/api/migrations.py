"""Migrations: moving an orchestration's running instances to another version
(ARCHITECTURE §3, "Migrating runs"). Admins and ops only.

``POST`` with ``dry_run: true`` answers the dry-run report (nothing is written): how many
runs can move, every reason the others cannot (grouped, with counts) and per-run detail.
Without it the plan is checked, recorded and answered 202 with the migration's view;
workers (the server's embedded one, or ``overture worker``) then move its runs in
batches, one run per transaction, and ``GET .../migrations/<id>`` follows the progress.
Every answer carries names for people (``builder.names.named_migration``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, url_for
from marshmallow import fields, validate
from sqlalchemy import select

from builder.audit import audited
from builder.auth import caller, roles
from builder.extensions import engine
from builder.names import display_names, named_migration, orchestration_labels
from builder.queries import reading
from builder.requests import MAX_INT32, Bool, Int, NoBody, StrictSchema, body, newest_first, optional_body, paginate, uses
from runtime.engine import Plan
from runtime.engine.migration.plan import RECOMPUTABLE, TIMER_POLICIES
from runtime.errors import InvalidInput, NotFound
from runtime.states import LIVE_RUN
from runtime.store.tables import OrchestrationRow, RunRow

bp = Blueprint("migrations", __name__, url_prefix="/api/orchestrations/<key>/migrations")

#: At most this many runs named in one plan (a filter selects any number).
MAX_RUNS = 5000
#: Versions, stages and mapping entries a plan may name.
MAX_SOURCES = 200
MAX_STAGES = 500
MAX_MAPPING = 500

_NODE = fields.String(validate=validate.Length(min=1, max=64))


class MigrationIn(StrictSchema):
    target = Int(required=True, validate=validate.Range(min=1, max=MAX_INT32))
    sources = fields.List(Int(validate=validate.Range(min=1, max=MAX_INT32)), load_default=list, validate=validate.Length(max=MAX_SOURCES))
    runs = fields.List(fields.String(validate=validate.Length(min=1, max=64)), load_default=list, validate=validate.Length(max=MAX_RUNS))
    stages = fields.List(_NODE, load_default=list, validate=validate.Length(max=MAX_STAGES))
    statuses = fields.List(fields.String(validate=validate.OneOf(LIVE_RUN)), load_default=list, validate=validate.Length(max=len(LIVE_RUN)))
    mapping = fields.Dict(keys=_NODE, values=_NODE, load_default=dict, validate=validate.Length(max=MAX_MAPPING))
    recompute = fields.List(
        fields.String(validate=validate.OneOf(RECOMPUTABLE)), load_default=list, validate=validate.Length(max=len(RECOMPUTABLE))
    )
    timers = fields.String(load_default="keep", validate=validate.OneOf(TIMER_POLICIES))
    dry_run = Bool(load_default=False)


def _orchestration(key: str) -> str:
    """``key`` if the orchestration exists, else 404."""
    with reading() as s:
        found = s.execute(select(OrchestrationRow.id).where(OrchestrationRow.id == key)).first()
    if found is None:
        raise NotFound(f"orchestration {key!r} does not exist")
    return key


def _migration(key: str, migration_id: str) -> dict[str, Any]:
    """The migration's view; 404 unless it is one of ``key``'s."""
    view = engine().migration(migration_id)
    if view["orchestration"] != key:
        raise NotFound(f"migration {migration_id} does not exist")
    return view


def _runs_of(key: str, run_ids: tuple[str, ...]) -> None:
    """422 unless every run named is one of ``key``'s (the dry run says so too; applying
    would otherwise record a migration whose unknown runs fail one by one)."""
    with reading() as s:
        found = set(s.scalars(select(RunRow.id).where(RunRow.id.in_(run_ids), RunRow.orchestration == key)))
    if missing := [r for r in run_ids if r not in found]:
        raise InvalidInput(f"the plan names runs that are not runs of {key!r}", {"runs": ", ".join(missing[:10])})


@bp.post("")
@uses(MigrationIn)
@roles("admin", "ops")
def create_migration(key: str) -> Any:
    """Move runs to another version: ``dry_run: true`` answers the report (200), else the migration starts (202).

    The plan: ``target`` version; ``sources`` (default: every other version); ``runs`` (ids;
    default: every live run of the sources), ``stages`` and ``statuses`` to narrow them;
    ``mapping`` old node id -> new node id for renamed or replaced nodes (the others map to
    the node with the same id and kind); ``recompute`` ``assignee`` and/or ``due`` of open
    work items; ``timers`` ``keep`` or ``recompute``. A plan that is not valid is a 422
    naming the wrong fields (``details.mapping``: one message per wrong entry).
    """
    data = body(MigrationIn())
    dry_run = data.pop("dry_run")
    plan = Plan.from_json({**data, "orchestration": _orchestration(key)})
    if plan.runs:
        _runs_of(key, plan.runs)
    if dry_run:
        return jsonify(named_migration(engine().check_migration(plan)))
    with audited("migration.started", "migration", label=orchestration_labels({key}).get(key, key)):
        migration_id = engine().start_migration(plan, by=caller().name)
    response = jsonify(named_migration(engine().migration(migration_id)))
    response.status_code = 202
    response.headers["Location"] = url_for("migrations.get_migration", key=key, migration_id=migration_id)
    return response


@bp.get("")
@uses(paged=True)
@roles("admin", "ops")
def list_migrations(key: str) -> Any:
    """The orchestration's migrations, newest first (counts and status; no per-run detail)."""
    listed = engine().migrations(_orchestration(key))
    listed.sort(key=lambda m: newest_first(m["created_at"], m["id"]))
    page = paginate(listed, lambda m: newest_first(m["created_at"], m["id"]))
    label = orchestration_labels({key}).get(key, key)
    people, _teams = display_names({m["created_by"] for m in page["items"] if m["created_by"]}, set())
    page["items"] = [
        {**m, "label": label, "created_by_name": people.get(m["created_by"], m["created_by"]) if m["created_by"] else None}
        for m in page["items"]
    ]
    return jsonify(page)


@bp.get("/<migration_id>")
@roles("admin", "ops")
def get_migration(key: str, migration_id: str) -> Any:
    """A migration's progress (``status``, ``handled`` of ``total``) and per run what it did, refusals with every reason."""
    return jsonify(named_migration(_migration(key, migration_id)))


@bp.post("/<migration_id>/cancel")
@uses(NoBody, optional=True)
@roles("admin", "ops")
def cancel_migration(key: str, migration_id: str) -> Any:
    """Stop a queued or running migration after the run it is moving (409 once it ended); runs moved stay moved."""
    optional_body(NoBody())
    _migration(key, migration_id)
    with audited("migration.cancelled", "migration", migration_id, label=orchestration_labels({key}).get(key, key)):
        cancelled = engine().cancel_migration(migration_id, by=caller().name)
    return jsonify(named_migration(cancelled))
