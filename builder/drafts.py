"""Drafts: the document an admin is editing, kept apart from the activated versions.

Saving a draft never touches runs; activating it (``engine.deploy``) makes a new
version. Helpers take a session and never commit (the caller opens the transaction).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from runtime.errors import InvalidInput, NotFound
from runtime.store.tables import DraftRow, OrchestrationRow, VersionRow


def save_draft(session: Session, document: Any, *, by: str | None) -> DraftRow:
    """Create or replace the draft of ``document["key"]`` (a new orchestration is a draft alone
    until its first activation); the revision goes up when the document changes."""
    if not isinstance(document, dict) or not isinstance(document.get("key"), str) or not document["key"]:
        raise InvalidInput("the document needs a key")
    key = document["key"]
    label = str(document.get("label") or key)
    now = datetime.now(timezone.utc)
    draft = session.get(DraftRow, key)
    if draft is None:
        draft = DraftRow(id=key, label=label, document=document, updated_at=now, updated_by=by, revision=1)
        session.add(draft)
    elif draft.document != document:
        draft.label, draft.document, draft.updated_at, draft.updated_by = label, document, now, by
        draft.revision += 1
    return draft


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
    return draft.document  # type: ignore[no-any-return]
