"""Drafts: the document an admin is editing, kept apart from the activated versions.

Saving a draft never touches runs; activating it (``engine.deploy``) makes a new
version. Helpers take a session and never commit (the caller opens the transaction).
The views (``builder/api/orchestrations.py``) add the draft's issues
(``builder/definitions.py``) and its revision as the ETag.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from builder.tables import DraftRow
from runtime.errors import InvalidInput, NotFound
from runtime.store.tables import OrchestrationRow, VersionRow


def save_draft(session: Session, document: Any, *, by: str | None) -> DraftRow:
    """Create or replace the draft of ``document["key"]`` (a new orchestration is a draft alone
    until its first activation); the revision goes up when the document changes."""
    if not isinstance(document, dict) or not isinstance(document.get("key"), str) or not document["key"]:
        raise InvalidInput("the document needs a key")
    key = document["key"]
    label = str(document.get("label") or key)
    now = datetime.now(UTC)
    draft = session.get(DraftRow, key)
    if draft is None:
        draft = DraftRow(id=key, label=label, document=document, updated_at=now, updated_by=by, revision=1)
        session.add(draft)
    elif draft.document != document:
        draft.label, draft.document, draft.updated_at, draft.updated_by = label, document, now, by
        draft.revision += 1
    return draft


def current_draft(session: Session, key: str) -> dict[str, Any]:
    """The draft (or, when nobody saved one, the active version's document) with its revision."""
    row = session.get(DraftRow, key)
    if row is not None:
        return as_draft(row)
    version = active_version(session, session.get(OrchestrationRow, key))
    if version is None:
        raise NotFound(f"orchestration {key} does not exist")
    return {"document": version.document, "revision": 0, "updated_at": version.created_at.isoformat(), "updated_by": version.created_by}


def as_draft(row: DraftRow) -> dict[str, Any]:
    """A saved draft as the API shows it."""
    return {"document": row.document, "revision": row.revision, "updated_at": row.updated_at.isoformat(), "updated_by": row.updated_by}


def active_version(session: Session, orchestration: OrchestrationRow | None) -> VersionRow | None:
    """The row of the orchestration's active version (None: nothing is active yet)."""
    if orchestration is None or orchestration.active_version is None:
        return None
    return session.scalar(
        select(VersionRow).where(VersionRow.orchestration == orchestration.id, VersionRow.number == orchestration.active_version)
    )


def label_of(document: dict[str, Any], key: str) -> str:
    """The document's label (cut to 200 characters), or its key when it has none."""
    label = document.get("label")
    return label[:200] if isinstance(label, str) and label.strip() else key


def document_of(session: Session, key: str, version: int | None = None) -> dict[str, Any]:
    """The document of a version: the given one, else the active one, else the draft."""
    orchestration = session.get(OrchestrationRow, key)
    number = version if version is not None else (orchestration.active_version if orchestration else None)
    if number is not None:
        row = session.get(VersionRow, f"{key}:{number}")
        if row is None:
            raise NotFound(f"orchestration {key!r} has no version {number}")
        return row.document
    draft = session.get(DraftRow, key)
    if draft is None:
        raise NotFound(f"there is no orchestration {key!r}")
    document: dict[str, Any] = draft.document  # a draft's column holds any JSON; a saved draft is an object
    return document


def changes(before: Any, after: Any) -> dict[str, Any]:
    """What changed from one document to another, compact enough to keep for every autosave:
    the ids of the nodes and edges added, removed, changed, or only moved on the canvas
    (their ``ui``), and the other top-level fields that changed. Empty lists are left out."""
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    found: dict[str, Any] = {}
    for part in ("nodes", "edges"):
        was, now = _by_id(old.get(part)), _by_id(new.get(part))
        moved = [i for i in now if i in was and was[i] != now[i] and _without_ui(was[i]) == _without_ui(now[i])]
        kinds = {
            "added": [i for i in now if i not in was],
            "removed": [i for i in was if i not in now],
            "changed": [i for i in now if i in was and _without_ui(was[i]) != _without_ui(now[i])],
            "moved": moved,
        }
        if any(kinds.values()):
            found[part] = {kind: ids for kind, ids in kinds.items() if ids}
    fields = sorted(k for k in {*old, *new} - {"nodes", "edges", "ui"} if old.get(k) != new.get(k))
    if fields:
        found["fields"] = fields
    return found


def _by_id(items: Any) -> dict[str, Any]:
    return {str(i["id"]): i for i in items if isinstance(i, dict) and "id" in i} if isinstance(items, list) else {}


def _without_ui(node: Any) -> Any:
    return {k: v for k, v in node.items() if k != "ui"} if isinstance(node, dict) else node
