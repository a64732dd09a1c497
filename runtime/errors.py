"""Errors the engine raises; the web layer maps each ``code`` to an HTTP status."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class ValidationIssue:
    """One problem in a document: where it is and what is wrong."""

    node: str | None
    field: str
    message: str
    edge: str | None = None
    column: int | None = None
    severity: str = "error"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {k: v for k, v in data.items() if v is not None or k == "node"}


class OvertureError(Exception):
    """Base of every error a caller of the engine can act on."""

    code = "error"

    def __init__(self, message: str, details: Any = None):
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(OvertureError):
    code = "not_found"


class Forbidden(OvertureError):
    code = "forbidden"


class Conflict(OvertureError):
    """The state changed under the caller (item already completed, run not in error...)."""

    code = "conflict"


class InvalidInput(OvertureError):
    """Inputs, form values or arguments that do not fit what the orchestration declares."""

    code = "invalid"


class DocumentInvalid(OvertureError):
    """A document with errors; ``details`` is the list of issues as dicts."""

    code = "invalid_document"

    def __init__(self, issues: list[ValidationIssue]):
        errors = [i for i in issues if i.severity == "error"]
        super().__init__(
            f"the orchestration document has {len(errors)} error{'s' if len(errors) != 1 else ''}",
            [i.to_dict() for i in issues],
        )
        self.issues = issues


class ConcurrentUpdate(OvertureError):
    """Another transaction changed the run first; the engine retries the operation."""

    code = "conflict"
