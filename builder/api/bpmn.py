"""BPMN 2.0 in and out (issue 17): import a file as the draft of a new orchestration,
export a version or the draft as a ``.bpmn`` file. The mapping itself is ``runtime/bpmn``.

The import takes the XML as the body (``application/xml`` or ``text/xml``, at most the
app's ``MAX_CONTENT_LENGTH``) and answers with the draft, the report (every element of
the file, mapped or unmapped with the reason) and the draft's issues: an imported
process seldom validates at once, and a draft may hold an invalid document. A file that
is not BPMN, or is hostile, is a 400 with the reason, and nothing is written. When the
process's key is taken, the draft gets the first free ``<key>_2``, ``<key>_3``... unless
the admin chose the key (``?key=``): a taken one is then a 409, as when creating from JSON.
``?label=`` names it (else the process's name).

Exports read as ``get_version`` does: admins and ops any version and the draft; a member
the versions they may read, without the background steps' action inputs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, request
from marshmallow import Schema, fields, validate
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from builder import drafts
from builder.api.orchestrations import KEY, _draft_view, _outline, _with_etag, created
from builder.auth import caller, roles
from builder.errors import ApiError
from builder.extensions import db
from builder.queries import follows_a_visible_run, reading, sees_everything
from builder.requests import query, raw_body, uses
from builder.tables import DraftRow
from runtime.bpmn import BpmnError, export_bpmn, import_bpmn
from runtime.bpmn.export import ExportError
from runtime.errors import Conflict, NotFound
from runtime.store.tables import OrchestrationRow, VersionRow

bp = Blueprint("bpmn", __name__, url_prefix="/api")

#: Media types the import takes (besides any ``*+xml``).
XML_TYPES = ("application/xml", "text/xml")
BPMN_MEDIA = "application/xml"


def xml_media(*, body: bool = False, response: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a view as reading and/or answering XML, for ``GET /api/openapi.json``."""

    def mark(view: Callable[..., Any]) -> Callable[..., Any]:
        vars(view)["media"] = {"body": XML_TYPES if body else None, "response": BPMN_MEDIA if response else None}
        return view

    return mark


def free_key(session: Session, wanted: str) -> str:
    """``wanted`` if no orchestration or draft has it, else the first free ``wanted_2``, ``wanted_3``..."""
    base = wanted if KEY.match(wanted) else f"process_{wanted}".strip("_")[:64]
    if not KEY.match(base):
        base = "process"

    def taken(key: str) -> bool:
        return session.get(OrchestrationRow, key) is not None or session.get(DraftRow, key) is not None

    if not taken(base):
        return base
    n = 2
    while True:
        suffix = f"_{n}"
        key = base[: 64 - len(suffix)] + suffix
        if not taken(key):
            return key
        n += 1


class ImportQuery(Schema):
    key = fields.String(validate=validate.Regexp(KEY, error="a lower-case identifier: a-z, 0-9 and _, starting with a letter"))
    label = fields.String(validate=validate.Length(min=1, max=200))


@bp.post("/orchestrations/import/bpmn")
@xml_media(body=True)
@uses(query=ImportQuery)
@roles("admin")
def import_orchestration() -> Any:
    """Import a BPMN 2.0 file (the body, as XML) as the draft of a new orchestration, with the report.

    Answers 201 with the new orchestration's key, its draft and issues (it may not validate
    yet: the admin fixes it on the canvas) and the report: every flow node and sequence
    flow of the file, mapped (BPMN id -> node id) or unmapped with the reason. A body that
    is not BPMN 2.0, or is hostile (entities, a DTD, too deep), is a 400 with the reason;
    nothing is written then. ``?key=`` and ``?label=`` choose the key (409 when taken) and label.
    """
    chosen = query(ImportQuery())
    mimetype = request.mimetype or ""
    if mimetype not in XML_TYPES and not mimetype.endswith("+xml"):
        raise ApiError(415, "unsupported_media_type", "send the BPMN file as XML (Content-Type: application/xml or text/xml)")
    data = raw_body()
    try:
        result = import_bpmn(data)
    except BpmnError as exc:
        raise ApiError(400, "invalid_bpmn", str(exc)) from None
    document = dict(result.document)
    if "label" in chosen:
        document["label"] = chosen["label"].strip() or document.get("label")
    wanted = str(chosen.get("key") or document.get("key") or "process")
    try:
        with db().begin() as s:
            if "key" in chosen:
                if s.get(OrchestrationRow, wanted) is not None or s.get(DraftRow, wanted) is not None:
                    raise Conflict(f"there is already an orchestration with the key {wanted}; choose another key")
                key = wanted
            else:
                key = free_key(s, wanted)
            document["key"] = key
            draft = created(s, document)
    except IntegrityError:  # another import took the same key at the same moment
        raise Conflict(f"orchestration {key} was created by someone else meanwhile; import again") from None
    view = _draft_view(key, draft)
    report = result.report.to_json()
    if key != wanted:
        report["notes"].append(f"The key {wanted} is taken: the orchestration was saved as {key}.")
    return _with_etag(
        {"key": key, "draft": view, "report": report, "issues": view["issues"], "valid": view["valid"]}, draft["revision"], 201
    )


def _bpmn_file(document: Any, filename: str) -> Response:
    if not isinstance(document, dict):
        raise ApiError(422, "invalid_document", "the draft is not a document object, so it has no BPMN form")
    try:
        xml = export_bpmn(document)
    except ExportError as exc:  # a draft may be any JSON object, not one the exporter can draw
        raise ApiError(422, "invalid_document", f"the document cannot be exported as BPMN: {exc}") from None
    return Response(xml, mimetype=BPMN_MEDIA, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/orchestrations/<key>/versions/<int(max=2147483647):number>/bpmn")  # the column's int32
@xml_media(response=True)
@roles("admin", "ops", "member")
def export_version(key: str, number: int) -> Any:
    """A version as a BPMN 2.0 file with its diagram (``<key>-v<n>.bpmn``, ``application/xml``).

    Members read the versions ``GET /orchestrations/<key>/versions/<n>`` shows them, without
    the background steps' action inputs.
    """
    principal = caller()
    staff = sees_everything(principal)
    with reading() as s:
        version = s.get(VersionRow, f"{key}:{number}")
        orchestration = s.get(OrchestrationRow, key)
        active = orchestration is not None and orchestration.active_version == number
    if version is None or not (staff or active or follows_a_visible_run(principal, key, number)):
        raise NotFound(f"orchestration {key} has no version {number}")
    return _bpmn_file(version.document if staff else _outline(version.document), f"{key}-v{number}.bpmn")


@bp.get("/orchestrations/<key>/draft/bpmn")
@xml_media(response=True)
@roles("admin", "ops")
def export_draft(key: str) -> Any:
    """The draft (else the active version) as a BPMN 2.0 file with its diagram (``<key>-draft.bpmn``)."""
    with reading() as s:
        draft = drafts.current_draft(s, key)
    return _bpmn_file(draft["document"], f"{key}-draft.bpmn")
