"""Orchestrations: drafts the canvas saves, validation, activation, versions; the
action registry and the shipped templates the canvas offers.

A draft is saved on every change even when it does not validate (a design in
progress is incomplete); the response lists its issues. Activation deploys the draft
through the engine, which refuses an invalid document and then writes nothing.
Two admins editing one draft send ``If-Match: <revision>``; the second save gets 409.
The drafts are kept by ``builder/drafts.py``; their issues come from the definition
cache, ``builder/definitions.py``.

Drafts, validation, activation, scenarios, tests, insights and metrics are for admins
and ops as the orchestration itself is. A member reads only the versions a person
doing the work needs (the active one, to start a run, and those runs they may see
follow) and reads them without the action inputs: that is where an admin wires
systems together, and where a credential typed before the secrets store would sit
(ARCHITECTURE §4). Any other version answers 404 to a member.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, jsonify, request
from marshmallow import INCLUDE, Schema
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from builder import audit, drafts
from builder.auth import caller, current, roles
from builder.definitions import canonical, issues_of
from builder.errors import ApiError
from builder.extensions import db, engine
from builder.queries import follows_a_visible_run, reading, sees_everything
from builder.requests import body, paginate, raw_body, uses
from builder.tables import DraftRow
from runtime import templates
from runtime.audit import noting
from runtime.errors import Conflict, NotFound
from runtime.store.tables import OrchestrationRow, VersionRow

bp = Blueprint("orchestrations", __name__, url_prefix="/api")

KEY = re.compile(r"^[a-z][a-z0-9_]{0,63}$")


class DocumentIn(Schema):
    """Any JSON object: ``runtime.document`` checks the document itself, every issue at once."""

    class Meta:
        unknown = INCLUDE


def _key_of(document: dict[str, Any]) -> str:
    key = document.get("key")
    if not isinstance(key, str) or not KEY.match(key):
        raise ApiError(
            422,
            "invalid_document",
            "the document needs a key: a lower-case identifier (a-z, 0-9, _)",
            [{"node": None, "field": "key", "message": "must be a lower-case identifier", "severity": "error"}],
        )
    return key


def _expected_revision() -> int | None:
    """The draft revision in ``If-Match`` (``3`` or ``"3"``), or None when not sent."""
    raw = request.headers.get("If-Match")
    if raw is None or raw.strip() == "*":
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not (value.isascii() and value.isdigit() and len(value) <= 18):  # "²" is a digit int() refuses
        raise ApiError(400, "bad_if_match", "If-Match must be the draft's revision number")
    return int(value)


def _check_revision(current_revision: int) -> None:
    expected = _expected_revision()
    if expected is not None and expected != current_revision:
        raise Conflict(
            f"the draft was saved by someone else meanwhile (revision {current_revision}, you had {expected}); reload it",
            {"revision": current_revision},
        )


def _draft(key: str) -> dict[str, Any]:
    with reading() as s:
        return drafts.current_draft(s, key)


def _draft_view(key: str, draft: dict[str, Any]) -> dict[str, Any]:
    issues = issues_of(draft["document"])
    return {"key": key, **draft, "issues": issues, "valid": not any(i["severity"] == "error" for i in issues)}


def _with_etag(view: dict[str, Any], revision: int, status: int = 200) -> Any:
    """The response, with the draft's revision as its ETag (send it back in ``If-Match``)."""
    response = jsonify(view)
    response.status_code = status
    response.headers["ETag"] = f'"{revision}"'
    return response


# --------------------------------------------------------------------------- orchestrations


@bp.get("/orchestrations")
@uses(paged=True)
@roles("admin", "ops", "member")
def list_orchestrations() -> Any:
    with reading() as s:
        orchestrations = {o.id: o for o in s.scalars(select(OrchestrationRow))}
        saved = {d.id: d for d in s.scalars(select(DraftRow))}
        listed = []
        for key in sorted(orchestrations.keys() | saved.keys()):
            orchestration, draft = orchestrations.get(key), saved.get(key)
            active = drafts.active_version(s, orchestration)
            stamps = [row.updated_at for row in (orchestration, draft) if row is not None]
            named = draft or orchestration
            assert named is not None  # the key came from one of the two
            listed.append(
                {
                    "key": key,
                    "label": named.label,
                    "active_version": orchestration.active_version if orchestration else None,
                    "has_draft": draft is not None and (active is None or canonical(draft.document) != canonical(active.document)),
                    # How runs of the active version start (None: nothing is active), so lists can offer "Start run".
                    "trigger": (active.document.get("trigger") or {"type": "manual"}) if active is not None else None,
                    "updated_at": max(stamps).isoformat(),
                }
            )
    return jsonify(paginate(listed, lambda o: [o["key"]]))


def created(s: Session, document: dict[str, Any]) -> dict[str, Any]:
    """The first draft of a new orchestration, saved and audited in ``s`` (the caller checked the key is free)."""
    principal = current()
    row = drafts.save_draft(s, document, by=principal.name if principal else None)
    after = {"revision": 1, "changes": drafts.changes(None, document)}
    audit.record(s, "orchestration.created", "orchestration", row.id, label=row.label, after=after)
    return drafts.as_draft(row)


@bp.post("/orchestrations")
@uses(DocumentIn)
@roles("admin")
def create_orchestration() -> Any:
    document = body(DocumentIn())
    key = _key_of(document)
    try:
        with db().begin() as s:
            if s.get(OrchestrationRow, key) is not None or s.get(DraftRow, key) is not None:
                raise Conflict(f"orchestration {key} already exists; save to PUT /api/orchestrations/{key}/draft")
            draft = created(s, document)
    except IntegrityError:
        raise Conflict(f"orchestration {key} already exists") from None
    return _with_etag(_draft_view(key, draft), draft["revision"], 201)


@bp.get("/orchestrations/<key>")
@roles("admin", "ops")
def get_orchestration(key: str) -> Any:
    draft = _draft(key)
    with reading() as s:
        orchestration = s.get(OrchestrationRow, key)
        versions = [
            {"number": v.number, "created_at": v.created_at.isoformat(), "created_by": v.created_by}
            for v in s.scalars(select(VersionRow).where(VersionRow.orchestration == key).order_by(VersionRow.number))
        ]
    return _with_etag(
        {
            "key": key,
            "label": drafts.label_of(draft["document"], key) if isinstance(draft["document"], dict) else key,
            "active_version": orchestration.active_version if orchestration else None,
            "draft": _draft_view(key, draft),
            "versions": versions,
        },
        draft["revision"],
    )


@bp.put("/orchestrations/<key>/draft")
@uses(DocumentIn)
@roles("admin")
def save_draft(key: str) -> Any:
    document = body(DocumentIn())
    if document.get("key") != key:
        raise ApiError(
            422,
            "invalid_document",
            f"the document's key must be {key!r}, the orchestration it is saved to",
            [{"node": None, "field": "key", "message": f"must be {key!r}", "severity": "error"}],
        )
    principal = current()
    with db().begin() as s:
        row = s.get(DraftRow, key)
        if row is None and s.get(OrchestrationRow, key) is None:
            raise NotFound(f"orchestration {key} does not exist; create it with POST /api/orchestrations")
        revision = row.revision if row is not None else 0
        _check_revision(revision)
        # Autosaves come every few seconds: an entry keeps the revisions and a summary of the
        # change, not the documents (README, "Audit log"). An unchanged save changes nothing.
        previous = row.document if row is not None else drafts.current_draft(s, key)["document"]
        saved = drafts.save_draft(s, document, by=principal.name if principal else None)
        draft = drafts.as_draft(saved)
        if saved.revision != revision:
            after = {"revision": saved.revision, "changes": drafts.changes(previous, document)}
            audit.record(s, "draft.saved", "orchestration", key, label=saved.label, before={"revision": revision}, after=after)
    return _with_etag(_draft_view(key, draft), draft["revision"])


@bp.post("/orchestrations/<key>/validate")
@uses(DocumentIn, optional=True)
@roles("admin")
def validate_orchestration(key: str) -> Any:
    """Validate the draft, or the document in the body (not saved)."""
    draft = _draft(key)
    document = body(DocumentIn()) if raw_body() else draft["document"]
    issues = issues_of(document)
    if isinstance(document, dict) and document.get("key") != key:
        issues.insert(0, {"node": None, "field": "key", "message": f"must be {key!r}", "severity": "error"})
    return jsonify({"key": key, "valid": not any(i["severity"] == "error" for i in issues), "issues": issues})


@bp.post("/orchestrations/<key>/activate")
@roles("admin")
def activate(key: str) -> Any:
    """Deploy the draft as the new active version (422 with every issue when it is invalid)."""
    draft = _draft(key)
    _check_revision(draft["revision"])
    principal = current()
    with reading() as s:
        active = drafts.active_version(s, s.get(OrchestrationRow, key))
    label = drafts.label_of(draft["document"], key) if isinstance(draft["document"], dict) else key
    activation = audit.note(
        "version.activated",
        "version",
        # The version's id: its builder link (versions panel) asks for the entries of "version <key>:<n>".
        id_of=lambda number: f"{key}:{number}",
        label=label,
        state=lambda tx, _version: audit.orchestration_state(tx, key),
        before={"active_version": active.number if active else None},
        after={"changes": drafts.changes(active.document if active else None, draft["document"])},
    )
    try:
        with noting(activation):
            number = engine().deploy(draft["document"], by=principal.name if principal else None)
    except IntegrityError:  # another admin activated at the same moment and took the number
        raise Conflict(f"orchestration {key} was activated by someone else meanwhile; reload it") from None
    return jsonify({"key": key, "version": number, "active_version": number})


@bp.get("/orchestrations/<key>/versions/<int(max=2147483647):number>")  # the column's int32
@roles("admin", "ops", "member")
def get_version(key: str, number: int) -> Any:
    principal = caller()
    staff = sees_everything(principal)
    with reading() as s:
        version = s.scalar(select(VersionRow).where(VersionRow.orchestration == key, VersionRow.number == number))
        orchestration = s.get(OrchestrationRow, key)
        active = orchestration is not None and orchestration.active_version == number
    if version is None or not (staff or active or follows_a_visible_run(principal, key, number)):
        raise NotFound(f"orchestration {key} has no version {number}")
    return jsonify(
        {
            "key": key,
            "number": version.number,
            "document": version.document if staff else _outline(version.document),
            "created_at": version.created_at.isoformat(),
            "created_by": version.created_by,
            "active": active,
        }
    )


def _outline(document: dict[str, Any]) -> dict[str, Any]:
    """The document as a member reads it: every node, without background steps' action inputs."""
    nodes = [
        {k: v for k, v in n.items() if k != "inputs"} if isinstance(n, dict) and n.get("type") == "background" else n
        for n in document.get("nodes", [])
    ]
    return {**document, "nodes": nodes}


# --------------------------------------------------------------------------- what the canvas offers


@bp.get("/actions")
@uses(paged=True)
@roles("admin")
def list_actions() -> Any:
    return jsonify(paginate(engine().actions.describe(), lambda a: [a["name"]]))


def _template_summary(name: str) -> dict[str, Any]:
    document = templates.load(name)
    trigger = document.get("trigger") or {"type": "manual"}
    return {
        "name": name,
        "key": document["key"],
        "label": document["label"],
        "description": document.get("description"),
        "trigger": trigger,
        "record_types": {trigger["object"]: templates.RECORD_TYPES.get(trigger["object"], [])} if trigger["type"] == "record" else {},
    }


@bp.get("/templates")
@uses(paged=True)
@roles("admin")
def list_templates() -> Any:
    return jsonify(paginate([_template_summary(n) for n in sorted(templates.TEMPLATES)], lambda t: [t["name"]]))


@bp.get("/templates/<name>")
@roles("admin")
def get_template(name: str) -> Any:
    if name not in templates.TEMPLATES:
        raise NotFound(f"no template {name}; there are: {', '.join(templates.TEMPLATES)}")
    return jsonify({**_template_summary(name), "document": templates.load(name)})
