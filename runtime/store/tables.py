"""SQLAlchemy tables of the durable store, one per row type of :mod:`runtime.model`,
and the rows the runtime reads besides its run state: people, groups and queues,
memberships and out of office (``runtime/store/directory.py`` resolves assignees with
them), secrets (``runtime/store/secrets.py``) and notifications (the notify action).

Column names are the dataclass field names, so rows convert both ways without a
per-table mapping. The schema itself is created and changed by the Alembic
migrations in ``runtime/store/migrations``; a test checks they match these models.
The tables only the builder uses (sessions, tokens, drafts, scenarios, the e-mail
outbox) are in ``builder/tables.py``, with their own migrations.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, Index, Integer, String, Table, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from runtime import model
from runtime.states import OPEN_ITEM

#: Open work items, as a partial index's condition.
OPEN_ITEM_SQL = "status IN (" + ", ".join(f"'{s}'" for s in OPEN_ITEM) + ")"
#: The same, as a WHERE clause of work_items written out (not bound), so the planner of a
#: prepared statement can match it with the partial index's condition.
OPEN_ITEM_WHERE = text(OPEN_ITEM_SQL)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Json = JSON().with_variant(JSONB(), "postgresql")
EventId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    # Every mapping here is a plain Table; SQLAlchemy types __table__ as the wider FromClause
    # (SQLAlchemy's issue 9130 suggests this annotation).
    __table__: ClassVar[Table]


class OrchestrationRow(Base):
    __tablename__ = "orchestrations"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    label: Mapped[str] = mapped_column(String)
    active_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class VersionRow(Base):
    __tablename__ = "versions"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    orchestration: Mapped[str] = mapped_column(String)
    number: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String)
    trigger_object: Mapped[str | None] = mapped_column(String)
    __table_args__ = (
        Index("ix_versions_orchestration", "orchestration", "number", unique=True),
        Index("ix_versions_trigger_object", "trigger_object"),
    )


class RunRow(Base):
    __tablename__ = "runs"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    orchestration: Mapped[str] = mapped_column(String)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String)
    inputs: Mapped[dict[str, Any]] = mapped_column(Json)
    vars: Mapped[dict[str, Any]] = mapped_column(Json)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_by: Mapped[str | None] = mapped_column(String)
    record_object: Mapped[str | None] = mapped_column(String)
    record_id: Mapped[str | None] = mapped_column(String)
    current_node: Mapped[str | None] = mapped_column(String)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[dict[str, Any] | None] = mapped_column(Json)
    revision: Mapped[int] = mapped_column(Integer)
    parent_run_id: Mapped[str | None] = mapped_column(String)
    parent_step_id: Mapped[str | None] = mapped_column(String)
    parent_visit: Mapped[int | None] = mapped_column(Integer)
    parent_waits: Mapped[bool] = mapped_column()
    visits: Mapped[int] = mapped_column(Integer)
    __table_args__ = (
        Index("ix_runs_orchestration_status", "orchestration", "status", "started_at"),
        Index("ix_runs_status_started", "status", "started_at"),
        Index("ix_runs_current_node", "orchestration", "current_node"),
        Index("ix_runs_record", "record_id", "status"),
        Index("ix_runs_parent", "parent_run_id"),
        Index("ix_runs_started_by", "started_by", "id"),  # the runs a member started (builder/queries.py, visibility)
        Index("ix_runs_started", "started_at", "id"),  # the runs list, newest first (builder/queries.py)
    )


class StageVisitRow(Base):
    __tablename__ = "stage_visits"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    run_id: Mapped[str] = mapped_column(String)
    stage_id: Mapped[str] = mapped_column(String)
    visit: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    current: Mapped[bool] = mapped_column()
    position: Mapped[int] = mapped_column(Integer)
    __table_args__ = (Index("ix_stage_visits_run", "run_id", "current"),)


class StepRunRow(Base):
    __tablename__ = "step_runs"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    run_id: Mapped[str] = mapped_column(String)
    step_id: Mapped[str] = mapped_column(String)
    stage_id: Mapped[str] = mapped_column(String)
    visit: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String)
    outputs: Mapped[dict[str, Any]] = mapped_column(Json)
    completed_by: Mapped[str | None] = mapped_column(String)
    attempts: Mapped[int] = mapped_column(Integer)
    retry_base: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    current: Mapped[bool] = mapped_column()
    input_overrides: Mapped[dict[str, Any] | None] = mapped_column(Json, nullable=True)
    __table_args__ = (Index("ix_step_runs_run", "run_id", "current"),)


class WorkItemRow(Base):
    __tablename__ = "work_items"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    run_id: Mapped[str] = mapped_column(String)
    orchestration: Mapped[str] = mapped_column(String)
    step_id: Mapped[str] = mapped_column(String)
    stage_id: Mapped[str] = mapped_column(String)
    visit: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String)
    assignee_type: Mapped[str] = mapped_column(String)
    assignee_value: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[str | None] = mapped_column(String)
    outcome: Mapped[str | None] = mapped_column(String)
    values: Mapped[dict[str, Any]] = mapped_column(Json)
    comment: Mapped[str | None] = mapped_column(Text)
    record_object: Mapped[str | None] = mapped_column(String)
    record_id: Mapped[str | None] = mapped_column(String)
    on_behalf_of: Mapped[str | None] = mapped_column(String)  # the person out of office it was meant for
    version: Mapped[int | None] = mapped_column(Integer)
    trace_context: Mapped[str | None] = mapped_column(String)
    __table_args__ = (
        Index("ix_work_items_run", "run_id", "step_id", "visit"),
        # My work by assignee; with the type and run_id, who may see which runs and who holds open work
        # are read from the index alone (builder/queries.py)
        Index("ix_work_items_assignee", "assignee_value", "status", "assignee_type", "run_id"),
        Index("ix_work_items_claimed_by", "claimed_by", "status", "run_id"),
        Index("ix_work_items_status_due", "status", "due_at"),
        Index("ix_work_items_record", "record_id", "status"),  # the work items of a record
        Index("ix_work_items_completed_by", "completed_by", "run_id"),  # a member sees the runs they completed items on
        Index("ix_work_items_orchestration", "orchestration", "status", "due_at"),  # by orchestration
        # The monitor's overdue counts (Transaction.overdue_items): open items only, from
        # their due time, with all the count needs (an index-only scan, no join to runs).
        Index(
            "ix_work_items_overdue",
            "orchestration",
            "due_at",
            "version",
            "step_id",
            "stage_id",
            "status",  # implied by the condition; SQLite reads it from the index all the same
            postgresql_where=text(OPEN_ITEM_SQL),
            sqlite_where=text(OPEN_ITEM_SQL),
        ),
    )


class TimerRow(Base):
    __tablename__ = "timers"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    run_id: Mapped[str] = mapped_column(String)
    kind: Mapped[str] = mapped_column(String)
    step_id: Mapped[str] = mapped_column(String)
    visit: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    work_item_id: Mapped[str | None] = mapped_column(String)
    trace_context: Mapped[str | None] = mapped_column(String)
    __table_args__ = (Index("ix_timers_due", "due_at"), Index("ix_timers_run", "run_id", "step_id"))


class JobRow(Base):
    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    run_id: Mapped[str] = mapped_column(String)
    step_id: Mapped[str] = mapped_column(String)
    visit: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String)
    inputs: Mapped[dict[str, Any]] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String)
    run_after: Mapped[datetime] = mapped_column(UTCDateTime)
    idempotency_key: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)
    trace_context: Mapped[str | None] = mapped_column(String)
    __table_args__ = (
        Index("ix_jobs_ready", "status", "run_after"),
        Index("ix_jobs_run", "run_id", "step_id", "status"),
    )


class SubscriptionRow(Base):
    __tablename__ = "subscriptions"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    run_id: Mapped[str] = mapped_column(String)
    step_id: Mapped[str] = mapped_column(String)
    visit: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String)
    key: Mapped[Any] = mapped_column(Json, nullable=True)
    predicate: Mapped[bool] = mapped_column()
    __table_args__ = (Index("ix_subscriptions_name", "name"), Index("ix_subscriptions_run", "run_id", "step_id"))


class BufferedEventRow(Base):
    __tablename__ = "buffered_events"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    name: Mapped[str] = mapped_column(String)
    correlation: Mapped[Any] = mapped_column(Json, nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_buffered_events_name", "name", "received_at"),)


class RunEventRow(Base):
    __tablename__ = "run_events"
    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String)
    type: Mapped[str] = mapped_column(String)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    node: Mapped[str | None] = mapped_column(String)
    visit: Mapped[int | None] = mapped_column(Integer)
    by: Mapped[str | None] = mapped_column(String)
    data: Mapped[dict[str, Any]] = mapped_column(Json)
    __table_args__ = (Index("ix_run_events_run", "run_id", "id"),)


class NotificationRow(Base):
    __tablename__ = "notifications"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    kind: Mapped[str] = mapped_column(String)
    to_type: Mapped[str] = mapped_column(String)
    to_value: Mapped[str] = mapped_column(String)
    subject: Mapped[str] = mapped_column(String)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    run_id: Mapped[str | None] = mapped_column(String)
    work_item_id: Mapped[str | None] = mapped_column(String)
    idempotency_key: Mapped[str | None] = mapped_column(String)
    __table_args__ = (
        Index("ix_notifications_to", "to_value", "created_at"),
        Index("ix_notifications_key", "idempotency_key"),
        Index("ix_notifications_created", "created_at"),  # the mailer reads the recent ones
        Index("ix_notifications_run", "run_id"),  # a purge deletes a run's notifications with it
    )


class RecordRow(Base):
    __tablename__ = "records"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    object: Mapped[str] = mapped_column(String)
    fields: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    owner: Mapped[str | None] = mapped_column(String)
    revision: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str | None] = mapped_column(String)
    __table_args__ = (
        Index("ix_records_object", "object", "created_at"),
        Index("ix_records_key", "idempotency_key", unique=True),
        Index("ix_records_owner", "owner"),
    )


class RecordTypeRow(Base):
    __tablename__ = "record_types"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    label: Mapped[str] = mapped_column(String)
    fields: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class UserRow(Base):
    """A person who signs in; ``role`` is admin, ops or member."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String, primary_key=True)  # the user name
    role: Mapped[str] = mapped_column(String)
    password_hash: Mapped[str | None] = mapped_column(String)
    display_name: Mapped[str] = mapped_column(String)
    active: Mapped[bool] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    email: Mapped[str | None] = mapped_column(String)
    email_mode: Mapped[str] = mapped_column(String, default="immediate", server_default="immediate")  # off | immediate | digest
    #: Notifications up to this moment are read ("Mark all read"); None: none was marked.
    notifications_read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class GroupRow(Base):
    """A group of people, or a queue (``kind``) that its members pull work from."""

    __tablename__ = "groups"
    id: Mapped[str] = mapped_column(String, primary_key=True)  # the group name
    kind: Mapped[str] = mapped_column(String)
    label: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MembershipRow(Base):
    __tablename__ = "memberships"
    user_id: Mapped[str] = mapped_column(String, primary_key=True)
    group_id: Mapped[str] = mapped_column(String, primary_key=True)
    __table_args__ = (Index("ix_memberships_group", "group_id"),)


class SecretRow(Base):
    """A credential action inputs name (``secrets.<name>``); its value is kept encrypted
    with a key derived from the server key (runtime/store/secrets.py), never in clear."""

    __tablename__ = "secrets"
    name: Mapped[str] = mapped_column(String, primary_key=True)
    ciphertext: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str | None] = mapped_column(String)


class OutOfOfficeRow(Base):
    """While a person is away, work assigned to them personally goes to their delegate."""

    __tablename__ = "out_of_office"
    user_id: Mapped[str] = mapped_column(String, primary_key=True)
    delegate_id: Mapped[str] = mapped_column(String)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    set_by: Mapped[str | None] = mapped_column(String)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InsightFigureRow(Base):
    __tablename__ = "insight_figures"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    orchestration: Mapped[str] = mapped_column(String)
    version: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String)
    element: Mapped[str] = mapped_column(String)
    hour: Mapped[int] = mapped_column(Integer)
    active: Mapped[int] = mapped_column(Integer)
    waiting: Mapped[int] = mapped_column(Integer)
    error: Mapped[int] = mapped_column(Integer)
    completed: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    taken: Mapped[int] = mapped_column(Integer)
    durations: Mapped[dict[str, int]] = mapped_column(Json)
    duration_count: Mapped[int] = mapped_column(Integer)
    duration_sum: Mapped[float] = mapped_column(Float)
    duration_min: Mapped[float | None] = mapped_column(Float)
    duration_max: Mapped[float | None] = mapped_column(Float)
    __table_args__ = (Index("ix_insight_figures_orchestration", "orchestration", "hour", "version"),)


class InsightPositionRow(Base):
    __tablename__ = "insight_positions"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    run_id: Mapped[str] = mapped_column(String)
    orchestration: Mapped[str] = mapped_column(String)
    version: Mapped[int] = mapped_column(Integer)
    node: Mapped[str] = mapped_column(String)
    status: Mapped[str] = mapped_column(String)
    __table_args__ = (Index("ix_insight_positions_run", "run_id"),)


class RunCountRow(Base):
    """Runs counted per orchestration, version, UTC start day and status, with the completed
    ones' run time summed (``timed`` of them have an end time, ``microseconds`` in all):
    what the metrics read (``Transaction.run_tally``) instead of every run row.

    Kept by the database itself, in the transaction that writes the run: triggers on
    ``runs`` (migration 0013) add a run on insert and move it between rows when its
    status, start or end changes. Nothing counts a delete, so purged runs stay counted
    (retention keeps the aggregates). No row type: nothing reads it row by row.
    """

    __tablename__ = "run_counts"
    orchestration: Mapped[str] = mapped_column(String, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[str] = mapped_column(String, primary_key=True)  # 'YYYY-MM-DD', UTC
    status: Mapped[str] = mapped_column(String, primary_key=True)
    n: Mapped[int] = mapped_column(BigInteger)
    timed: Mapped[int] = mapped_column(BigInteger)
    microseconds: Mapped[int] = mapped_column(BigInteger)


class OpenHolderRow(Base):
    """Who holds open work on a run, once per key that reaches the run: the runs list's
    assignee pick list for a member (builder/queries.py, ``open_work_holders``) reads the
    holders reached by the member's own keys here instead of joining their runs to every
    open work item.

    A row per (viewer, holder, run) of each live run (in progress, suspended, in error) with
    open work: ``holder`` is the assignee of an open item or ("user", who claimed it);
    ``viewer`` is a key by which a member reaches the run - ("user", who started it), ("user",
    its record's owner), the assignee of any of its items, ("user", who claimed or completed
    one). Kept by the database itself: triggers on ``work_items``, ``runs`` and ``records``
    (migration 0016) rebuild a run's rows when one of those changes. Staff see every holder
    (``ix_open_holders_holder``). No row type: nothing reads it row by row.
    """

    __tablename__ = "open_holders"
    viewer_value: Mapped[str] = mapped_column(String, primary_key=True)
    viewer_type: Mapped[str] = mapped_column(String, primary_key=True)
    holder_type: Mapped[str] = mapped_column(String, primary_key=True)
    holder_value: Mapped[str] = mapped_column(String, primary_key=True)
    run_id: Mapped[str] = mapped_column(String, primary_key=True)
    __table_args__ = (
        Index("ix_open_holders_run", "run_id"),  # a run's rows, rebuilt
        Index("ix_open_holders_holder", "holder_type", "holder_value"),  # every holder, for staff
    )


class InsightCursorRow(Base):
    __tablename__ = "insight_cursors"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    position: Mapped[int] = mapped_column(EventId)
    skipped: Mapped[dict[str, str]] = mapped_column(Json)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MigrationRow(Base):
    __tablename__ = "migrations"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    orchestration: Mapped[str] = mapped_column(String)
    plan: Mapped[dict[str, Any]] = mapped_column(Json)
    status: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String)
    total: Mapped[int] = mapped_column(Integer)
    moved: Mapped[int] = mapped_column(Integer)
    refused: Mapped[int] = mapped_column(Integer)
    skipped: Mapped[int] = mapped_column(Integer)
    failed: Mapped[int] = mapped_column(Integer)
    claimed_by: Mapped[str | None] = mapped_column(String)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_migrations_orchestration", "orchestration", "created_at"), Index("ix_migrations_status", "status"))


class MigrationResultRow(Base):
    __tablename__ = "migration_results"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    migration_id: Mapped[str] = mapped_column(String)
    run_id: Mapped[str] = mapped_column(String)
    outcome: Mapped[str] = mapped_column(String)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    from_version: Mapped[int] = mapped_column(Integer)
    node: Mapped[str | None] = mapped_column(String)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    notes: Mapped[list[str]] = mapped_column(Json)
    __table_args__ = (
        Index("ix_migration_results_migration", "migration_id", "outcome", "run_id"),
        Index("ix_migration_results_run", "run_id"),
    )


class AuditEntryRow(Base):
    __tablename__ = "audit_log"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str | None] = mapped_column(String)
    actor_kind: Mapped[str] = mapped_column(String)
    address: Mapped[str | None] = mapped_column(String)
    action: Mapped[str] = mapped_column(String)
    object_type: Mapped[str] = mapped_column(String)
    object_id: Mapped[str | None] = mapped_column(String)
    object_label: Mapped[str | None] = mapped_column(String)
    before: Mapped[Any] = mapped_column(Json, nullable=True)
    after: Mapped[Any] = mapped_column(Json, nullable=True)
    __table_args__ = (
        # The log newest first, and by who, what and which object (GET /api/audit's filters).
        Index("ix_audit_log_at", "at", "id"),
        Index("ix_audit_log_actor", "actor", "at"),
        Index("ix_audit_log_action", "action", "at"),
        Index("ix_audit_log_object", "object_type", "object_id", "at"),
    )


class ProcessRow(Base):
    """A serving process or worker of this database, and its last heartbeat
    (``runtime/heartbeat.py``): ``beat_at`` is the database's time of the beat,
    ``clock_at`` the process's own, ``key_id`` a fingerprint of its server key. No row type:
    only the heartbeat, readiness and ``overture doctor`` read it."""

    __tablename__ = "processes"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    kind: Mapped[str] = mapped_column(String)  # web | worker
    host: Mapped[str] = mapped_column(String)
    pid: Mapped[int] = mapped_column(Integer)
    runs_worker: Mapped[bool] = mapped_column(Boolean)
    key_id: Mapped[str | None] = mapped_column(String, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    clock_at: Mapped[datetime] = mapped_column(UTCDateTime)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)


#: Each row type of the model and its table.
TABLES = {
    model.Orchestration: OrchestrationRow.__table__,
    model.Version: VersionRow.__table__,
    model.Run: RunRow.__table__,
    model.StageVisit: StageVisitRow.__table__,
    model.StepRun: StepRunRow.__table__,
    model.WorkItem: WorkItemRow.__table__,
    model.Timer: TimerRow.__table__,
    model.Job: JobRow.__table__,
    model.Subscription: SubscriptionRow.__table__,
    model.BufferedEvent: BufferedEventRow.__table__,
    model.RunEvent: RunEventRow.__table__,
    model.Notification: NotificationRow.__table__,
    model.Record: RecordRow.__table__,
    model.RecordType: RecordTypeRow.__table__,
    model.InsightFigure: InsightFigureRow.__table__,
    model.InsightPosition: InsightPositionRow.__table__,
    model.InsightCursor: InsightCursorRow.__table__,
    model.Migration: MigrationRow.__table__,
    model.MigrationResult: MigrationResultRow.__table__,
    model.AuditEntry: AuditEntryRow.__table__,
}
