"""Read-side queries the API needs and the engine has no call for: who may see what.

Ops and admins see everything, and so do API tokens on the few routes they may call.
A member sees:

- the runs they started, that run on a record they own, or that they have or had a
  work item on (assigned to them or to one of their groups or queues, claimed or
  completed by them);
- the work items they may act on or completed;
- the records they own or that a run they may see is bound to;
- the notifications addressed to them or to one of their groups or queues.

Changing a record is narrower than seeing it (:func:`record_fields_editable`): its
owner, admins and API tokens change every field; a person with an open work item on a
run bound to the record changes the record fields its step's form asks for (a form
field named like a record field); everyone else, ops included, only reads it.

What a member may not see answers 404, as if it did not exist, so ids do not leak.
Reads open their transaction with a plain ``BEGIN`` (not SQLite's ``BEGIN IMMEDIATE``),
so they never queue behind a writer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, literal, or_, select, true, union_all
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from builder.auth import Principal
from builder.errors import ApiError
from builder.extensions import db, engine
from runtime.states import OPEN_ITEM
from runtime.store.tables import NotificationRow, OpenHolderRow, RecordRow, RunRow, UserRow, WorkItemRow

STAFF = ("admin", "ops")
Memberships = frozenset[tuple[str, str]]


@contextmanager
def reading() -> Iterator[Session]:
    """A session for reads only (never nest an engine call inside one)."""
    with db()() as session:
        session.connection(execution_options={"overture_write": False})
        yield session


def sees_everything(principal: Principal) -> bool:
    return not principal.is_user or principal.role in STAFF


def memberships(user: str) -> Memberships:
    """The (kind, name) of every group and queue ``user`` belongs to."""
    return engine().directory.memberships(user)


def _assigned_to(user: str, groups: Memberships) -> ColumnElement[bool]:
    """Work items assigned to ``user`` directly or through one of their groups or queues."""
    clauses = [and_(WorkItemRow.assignee_type == "user", WorkItemRow.assignee_value == user)]
    clauses += [and_(WorkItemRow.assignee_type == kind, WorkItemRow.assignee_value == name) for kind, name in groups]
    return or_(*clauses)


def _touched_by(user: str, groups: Memberships) -> ColumnElement[bool]:
    """Work items a member has or had: assigned to them or their groups, claimed or completed by them."""
    return or_(_assigned_to(user, groups), WorkItemRow.claimed_by == user, WorkItemRow.completed_by == user)


def _touching_parts(user: str, groups: Memberships) -> list[Select[str]]:
    """The ids of the runs ``user`` has or had a work item on, one index-driven part per way
    (assigned to them, to each of their groups and queues, claimed, completed by them); each
    part reads an index alone (``ix_work_items_assignee`` and the like carry ``run_id``)."""
    mine = [(kind, name) for kind, name in sorted(groups)] + [("user", user)]
    parts = [select(WorkItemRow.run_id).where(WorkItemRow.assignee_value == name, WorkItemRow.assignee_type == kind) for kind, name in mine]
    parts.append(select(WorkItemRow.run_id).where(WorkItemRow.claimed_by == user))
    parts.append(select(WorkItemRow.run_id).where(WorkItemRow.completed_by == user))
    return parts


def _on_owned_records(user: str) -> Select[str]:
    """The ids of the runs on a record ``user`` owns (an alias of runs: never correlated with the runs of the query it is in)."""
    run = aliased(RunRow)
    return select(run.id).join(RecordRow, RecordRow.id == run.record_id).where(RecordRow.owner == user)


#: Ids of runs (a member's, an assignee's) at most this many are driven from: each looked up,
#: the runs found sorted. More are hashed and tested on a walk over runs newest first.
FEW_VISIBLE = 2000


def _visible_parts(user: str, groups: Memberships) -> list[Select[str]]:
    """The ids of every run ``user`` may see (with repeats), one index-driven part each way:
    started by them, reached through a work item, on a record they own."""
    run = aliased(RunRow)
    return [select(run.id).where(run.started_by == user), *_touching_parts(user, groups), _on_owned_records(user)]


def _few(session: Session, parts: list[Select[str]]) -> bool:
    """Whether ``parts`` select at most ``FEW_VISIBLE`` ids, counted in their indexes (at most
    ``FEW_VISIBLE + 1`` entries read)."""
    counted = select(func.count()).select_from(union_all(*parts).limit(FEW_VISIBLE + 1).subquery())
    return int(session.scalar(counted) or 0) <= FEW_VISIBLE


def _driven(parts: list[Select[str]], run_id: InstrumentedAttribute[str] = RunRow.id) -> ColumnElement[bool]:
    """``run_id`` among the ids ``parts`` select, for a query to be driven from them (few):
    each id is looked up, the rows found are sorted."""
    return run_id.in_(union_all(*parts))


def _walked(parts: list[Select[str]], run_id: InstrumentedAttribute[str] = RunRow.id) -> ColumnElement[bool]:
    """``run_id`` among the ids ``parts`` select, as a test on a walk over many runs or items
    (newest first, say): the ids are read once from the indexes and hashed, and each row walked
    is looked up in them by ``run_id`` alone, so a walk over ``ix_runs_started`` reads no row.
    The ids are split in two sets joined by OR on purpose: asked ``id IN (one set)``, PostgreSQL
    turns the test into a join, drives it from the set and sorts every run found."""
    if len(parts) == 1:
        return run_id.in_(parts[0])
    return or_(run_id.in_(parts[0]), run_id.in_(union_all(*parts[1:])))


def _among(session: Session, parts: list[Select[str]], run_id: InstrumentedAttribute[str] = RunRow.id) -> ColumnElement[bool]:
    """``run_id`` among the ids ``parts`` select, in the form that reads least: driven from the
    ids when there are at most ``FEW_VISIBLE`` (that many lookups at most), a test on a walk
    otherwise (about ``limit x runs / ids`` index entries for a page: 25,000 at worst for a
    page of 50 among a million runs, fewer the more ids there are; other filters that leave
    few of those runs lengthen the walk)."""
    return _driven(parts, run_id) if _few(session, parts) else _walked(parts, run_id)


def _visible_runs(user: str, groups: Memberships) -> ColumnElement[bool]:
    """The runs ``user`` may see, as a test on a walk over runs (see :func:`_walked`)."""
    return _walked(_visible_parts(user, groups))


def _sees_run(user: str, groups: Memberships) -> ColumnElement[bool]:
    """The runs ``user`` may see, as a test of a few known runs: each run's own work items and
    record are looked up (by ``ix_work_items_run`` and the record's key), nothing else is read."""
    touched = select(WorkItemRow.id).where(WorkItemRow.run_id == RunRow.id, _touched_by(user, groups)).correlate(RunRow).exists()
    owned = select(RecordRow.id).where(RecordRow.id == RunRow.record_id, RecordRow.owner == user).correlate(RunRow).exists()
    return or_(RunRow.started_by == user, touched, owned)


def may_see_run(principal: Principal, run_id: str) -> bool:
    if sees_everything(principal):
        return True
    groups = memberships(principal.name)
    with reading() as s:
        found = s.scalar(select(RunRow.id).where(RunRow.id == run_id, _sees_run(principal.name, groups)))
    return found is not None


def follows_a_visible_run(principal: Principal, key: str, version: int) -> bool:
    """Whether a run the caller may see follows version ``version`` of ``key``."""
    clauses = [RunRow.orchestration == key, RunRow.version == version]
    if not sees_everything(principal):
        clauses.append(_visible_runs(principal.name, memberships(principal.name)))
    with reading() as s:
        return s.scalar(select(RunRow.id).where(*clauses).limit(1)) is not None


def may_see_item(principal: Principal, item: dict[str, Any]) -> bool:
    """``item`` is the engine's view of a work item."""
    if sees_everything(principal):
        return True
    user = principal.name
    if user in (item["claimed_by"], item["completed_by"]):
        return True
    assignee = item["assignee"]
    if assignee["type"] == "user":
        return bool(assignee["value"] == user)
    return (assignee["type"], assignee["value"]) in memberships(user)


def notification_totals(session: Session, user: str, groups: Memberships) -> tuple[int, datetime | None]:
    """How many notifications ``user`` has - addressed to them or to one of their groups
    or queues, the ones ``Engine.notifications(to=user)`` lists - and when the newest came;
    counted in the database, for the inbox's live counts."""
    count, latest = session.execute(
        select(func.count(NotificationRow.id), func.max(NotificationRow.created_at)).where(_addressed_to(user, groups))
    ).one()
    return int(count or 0), latest


def _addressed_to(user: str, groups: Memberships) -> ColumnElement[bool]:
    """Notifications addressed to ``user`` or to one of their groups or queues."""
    addressed = [and_(NotificationRow.to_type == "user", NotificationRow.to_value == user)]
    addressed += [and_(NotificationRow.to_type == kind, NotificationRow.to_value == name) for kind, name in groups]
    return or_(*addressed)


def notification_page(user: str, after: tuple[datetime, str] | None, limit: int) -> list[tuple[str, datetime]]:
    """(id, created_at) of a page of ``user``'s notifications (those ``Engine.notifications(to=user)``
    lists), newest first: at most ``limit`` after ``after`` ((created_at, id) of the last one
    of the page before)."""
    clauses = [_addressed_to(user, memberships(user))]
    if after is not None:
        at, note_id = after
        clauses.append(or_(NotificationRow.created_at < at, and_(NotificationRow.created_at == at, NotificationRow.id > note_id)))
    statement = select(NotificationRow.id, NotificationRow.created_at).where(*clauses)
    with reading() as s:
        found = s.execute(statement.order_by(NotificationRow.created_at.desc(), NotificationRow.id).limit(limit))
        return [(note_id, created_at) for note_id, created_at in found]


def _visible_records(user: str, groups: Memberships) -> ColumnElement[bool]:
    """The records ``user`` may see, tested one record at a time: theirs, or one a run they may
    see is bound to (its runs found by ``ix_runs_record``)."""
    bound = select(RunRow.id).where(RunRow.record_id == RecordRow.id, _sees_run(user, groups)).correlate(RecordRow).exists()
    return or_(RecordRow.owner == user, bound)


def may_see_record(principal: Principal, object: str, record_id: str) -> bool:
    """Whether the record exists and the caller may see it."""
    statement = select(RecordRow.id).where(RecordRow.id == record_id, RecordRow.object == object)
    if not sees_everything(principal):
        statement = statement.where(_visible_records(principal.name, memberships(principal.name)))
    with reading() as s:
        return s.scalar(statement) is not None


def record_fields_editable(principal: Principal, row: RecordRow) -> frozenset[str] | None:
    """The fields of ``row`` the caller may change: None for every field (the owner,
    admins, API tokens), else those named by the forms of the caller's open work items on
    runs bound to the record (ARCHITECTURE §4, records)."""
    if not principal.is_user or principal.role == "admin" or row.owner == principal.name:
        return None
    user = principal.name
    mine = or_(and_(WorkItemRow.claimed_by.is_(None), _assigned_to(user, memberships(user))), WorkItemRow.claimed_by == user)
    statement = (
        select(RunRow.orchestration, RunRow.version, WorkItemRow.step_id)
        .join(RunRow, RunRow.id == WorkItemRow.run_id)
        .where(RunRow.record_id == row.id, WorkItemRow.status.in_(OPEN_ITEM), mine)
        .distinct()
    )
    with reading() as s:
        steps = list(s.execute(statement))
    names: set[str] = set()
    for key, version, step_id in steps:
        form = engine().spec(key, version).steps[step_id].form
        if form is not None:
            names.update(f.name for f in form.fields)
    return frozenset(names)


def visible_run_ids(principal: Principal, run_ids: Iterable[str]) -> set[str]:
    """Those of ``run_ids`` the caller may see."""
    ids = list(run_ids)
    if sees_everything(principal) or not ids:
        return set(ids)
    groups = memberships(principal.name)
    with reading() as s:
        return set(s.scalars(select(RunRow.id).where(RunRow.id.in_(ids), _sees_run(principal.name, groups))))


def _open_work_parts(assignee: str) -> list[Select[str]]:
    """The ids of runs (with repeats) with an open work item for a user (theirs, their groups',
    claimed by them) or a group, one index-driven part each way."""
    with reading() as s:
        is_user = s.get(UserRow, assignee) is not None
    held = [(kind, assignee) for kind in ("group", "queue")]
    if is_user:
        held += [("user", assignee), *memberships(assignee)]
    parts = [select(WorkItemRow.run_id).where(WorkItemRow.claimed_by == assignee, WorkItemRow.status.in_(OPEN_ITEM))]
    parts += [
        select(WorkItemRow.run_id).where(
            WorkItemRow.assignee_value == name, WorkItemRow.status.in_(OPEN_ITEM), WorkItemRow.assignee_type == kind
        )
        for kind, name in sorted(set(held))
    ]
    return parts


def _run_filters(
    *,
    orchestration: str | None = None,
    version: int | None = None,
    statuses: tuple[str, ...] | None = None,
    stage: str | None = None,
    started_after: datetime | None = None,
    started_before: datetime | None = None,
) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if orchestration is not None:
        clauses.append(RunRow.orchestration == orchestration)
    if version is not None:
        clauses.append(RunRow.version == version)
    if statuses:
        clauses.append(RunRow.status.in_(statuses))
    if stage is not None:
        clauses.append(RunRow.current_node == stage)
    if started_after is not None:
        clauses.append(RunRow.started_at >= started_after)
    if started_before is not None:
        clauses.append(RunRow.started_at < started_before)
    return clauses


def _run_visibility(session: Session, principal: Principal) -> list[ColumnElement[bool]]:
    """The clause limiting a list of runs to those the caller may see (none for staff)."""
    if sees_everything(principal):
        return []
    return [_among(session, _visible_parts(principal.name, memberships(principal.name)))]


def _skip_scan(keys: Any, where: Callable[[Any, Any], list[ColumnElement[bool]]]) -> Select[Any]:
    """The distinct (holder_type, holder_value) of the ``open_holders`` rows ``where(row, key)``
    picks for each row of ``keys`` (a subquery; None for one scan over the whole table), in the
    order of an index that leads with the columns ``where`` fixes, then the holder's type and
    value: a recursive skip scan, one index probe per holder found however many runs it holds.
    The few holder types come first (a skip scan of ``ix_open_holders_holder``), then the values
    of each type: every probe fixes all the columns but the last one, which it seeks past - the
    only form SQLite seeks rather than scans (it reads ``(a, b) > (x, y)`` as ``a >= x``)."""
    table = OpenHolderRow.__table__

    def first(column: str, clauses: Callable[[Any], list[ColumnElement[bool]]]) -> Any:
        row = table.alias()
        return select(row.c[column]).where(*clauses(row)).order_by(row.c[column]).limit(1).scalar_subquery()

    types = select(first("holder_type", lambda row: []).label("holder_type")).cte("holder_types", recursive=True)
    next_type = first("holder_type", lambda row: [row.c.holder_type > types.c.holder_type])
    types = types.union_all(select(next_type).where(types.c.holder_type.is_not(None)))

    def values(row: Any, at: Any) -> list[ColumnElement[bool]]:
        return [*where(row, at), row.c.holder_type == at.c.holder_type]

    carried = list(keys.c) if keys is not None else []
    start = first("holder_value", lambda row: [*where(row, keys), row.c.holder_type == types.c.holder_type])
    held = select(*carried, types.c.holder_type, start.label("holder_value")).where(types.c.holder_type.is_not(None))
    if keys is not None:  # each key with each type
        held = held.select_from(keys.join(types, true()))
    held_cte = held.cte("held", recursive=True)
    following = first("holder_value", lambda row: [*values(row, held_cte), row.c.holder_value > held_cte.c.holder_value])
    kept = [column for column in held_cte.c if column.name != "holder_value"]
    held_cte = held_cte.union_all(select(*kept, following).where(held_cte.c.holder_value.is_not(None)))
    found = select(held_cte.c.holder_type, held_cte.c.holder_value).where(held_cte.c.holder_value.is_not(None))
    return found.distinct()


def _holders_seen_by(user: str, groups: Memberships) -> Select[Any]:
    """The holders of open work on the live runs ``user`` may see: under each of the member's
    keys - themselves, each of their groups and queues - in the order of the table's key."""
    mine = sorted({("user", user), *groups})
    each = [select(literal(kind).label("viewer_type"), literal(name).label("viewer_value")) for kind, name in mine]
    keys = union_all(*each).subquery("viewer_keys")
    return _skip_scan(keys, lambda row, key: [row.c.viewer_value == key.c.viewer_value, row.c.viewer_type == key.c.viewer_type])


def _every_holder() -> Select[Any]:
    """The holders of open work on every live run, in the order of ``ix_open_holders_holder``."""
    return _skip_scan(None, lambda _row, _key: [])


def open_work_holders(principal: Principal) -> set[tuple[str, str]]:
    """Who holds open work on the live runs (in progress, suspended, in error) the caller may
    see: the (type, value) of each open item's assignee and ("user", who claimed it), as the
    runs' balls name them (runtime/engine/views.py), read from ``open_holders`` (kept by the
    database's triggers, migration 0016) rather than from the runs or their work items."""
    statement = _every_holder() if sees_everything(principal) else _holders_seen_by(principal.name, memberships(principal.name))
    with reading() as s:
        return {(kind, value) for kind, value in s.execute(statement)}


def run_page(principal: Principal, after: tuple[datetime, str] | None, limit: int, **filters: Any) -> list[tuple[str, datetime]]:
    """(id, started_at) of a page of the runs the caller may see that match the filters,
    newest first: at most ``limit`` after ``after`` (the (started_at, id) of the last run of
    the page before), filtered, ordered and cut in SQL."""
    assignee = filters.pop("assignee", None)
    if assignee is not None and not assignee:
        return []
    clauses = _run_filters(**filters)
    if after is not None:
        at, run_id = after
        clauses.append(or_(RunRow.started_at < at, and_(RunRow.started_at == at, RunRow.id > run_id)))
    with reading() as s:
        if assignee is not None:
            clauses.append(_among(s, _open_work_parts(assignee)))
        statement = select(RunRow.id, RunRow.started_at).where(*clauses, *_run_visibility(s, principal))
        statement = statement.order_by(RunRow.started_at.desc(), RunRow.id).limit(limit)
        return [(run_id, started_at) for run_id, started_at in s.execute(statement)]


def _work_item_filters(
    principal: Principal,
    *,
    mine: bool,
    statuses: tuple[str, ...],
    run: str | None,
    orchestration: str | None,
    record: str | None,
    due_before: datetime | None = None,
) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    if mine:
        user = principal.name
        clauses.append(or_(_assigned_to(user, memberships(user)), WorkItemRow.claimed_by == user))
    if statuses:
        clauses.append(WorkItemRow.status.in_(statuses))
    if run:
        clauses.append(WorkItemRow.run_id == run)
    if orchestration is not None:
        clauses.append(WorkItemRow.orchestration == orchestration)
    if record is not None:
        clauses.append(WorkItemRow.record_id == record)
    if due_before is not None:
        clauses.append(WorkItemRow.due_at < due_before)
    return clauses


def work_item_page(
    principal: Principal, *, after: list[Any] | None, limit: int, **filters: Any
) -> list[tuple[str, datetime | None, datetime]]:
    """(id, due_at, created_at) of a page of work items, in the engine's order (soonest due
    first, then those without a due date, oldest first): at most ``limit`` after the sort
    key ``after`` ([no due date, due or created, created, id], the cursor the API gives out).

    ``mine``: the caller's items as ``Engine.work_items(assignee=...)`` finds them - theirs,
    their groups' and queues', those they claimed; ``due_before``: only those due before then.
    """
    clauses = _work_item_filters(principal, **filters)
    due = WorkItemRow.due_at
    if after is not None:
        undated, at, created, item_id = after[0], _instant(after[1]), _instant(after[2]), after[3]
        later = or_(WorkItemRow.created_at > created, and_(WorkItemRow.created_at == created, WorkItemRow.id > item_id))
        if undated:
            clauses.append(and_(WorkItemRow.due_at.is_(None), later))
        else:
            clauses.append(or_(due.is_(None), due > at, and_(due == at, later)))
    statement = (
        select(WorkItemRow.id, WorkItemRow.due_at, WorkItemRow.created_at)
        .where(*clauses)
        .order_by(
            WorkItemRow.due_at.is_(None), func.coalesce(WorkItemRow.due_at, WorkItemRow.created_at), WorkItemRow.created_at, WorkItemRow.id
        )
        .limit(limit)
    )
    with reading() as s:
        return [(item_id, due_at, created_at) for item_id, due_at, created_at in s.execute(statement)]


def work_item_count(principal: Principal, **filters: Any) -> int:
    """How many work items :func:`work_item_page` pages through with these filters, counted in SQL
    (My work's are read from ``ix_work_items_assignee`` alone)."""
    with reading() as s:
        return int(s.scalar(select(func.count()).select_from(WorkItemRow).where(*_work_item_filters(principal, **filters))) or 0)


def _instant(text: str) -> datetime:
    """A time from a cursor (ISO 8601, as the API writes it); 400 when it is not one."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError(400, "bad_cursor", "the cursor is not one this API gave out") from None
    if when.tzinfo is None:
        raise ApiError(400, "bad_cursor", "the cursor is not one this API gave out")
    return when


def record_page(principal: Principal, object: str, *, owner: str | None, after: tuple[datetime, str] | None, limit: int) -> list[RecordRow]:
    """Like :func:`records`, one page: at most ``limit`` after ``after`` ((created_at, id)
    of the last record of the page before), newest first, in SQL."""
    statement = select(RecordRow).where(RecordRow.object == object)
    if owner is not None:
        statement = statement.where(RecordRow.owner == owner)
    if not sees_everything(principal):
        statement = statement.where(_visible_records(principal.name, memberships(principal.name)))
    if after is not None:
        at, record_id = after
        statement = statement.where(or_(RecordRow.created_at < at, and_(RecordRow.created_at == at, RecordRow.id > record_id)))
    with reading() as s:
        return list(s.scalars(statement.order_by(RecordRow.created_at.desc(), RecordRow.id).limit(limit)))
