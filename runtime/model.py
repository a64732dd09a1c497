"""Run state: the rows a store keeps. Plain dataclasses, JSON-friendly values.

Definitions (an orchestration version and its compiled spec) live apart, in
:mod:`runtime.spec`; a run refers to its version by key and number.
Every class has a string or integer ``id``; ``INDEXED`` names the fields a store
must be able to look rows up by quickly.

JSON values in rows (``vars``, ``outputs``, ``fields``...) are replaced, never edited
in place: stores and caches may share them between copies of a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar


@dataclass
class Orchestration:
    INDEXED: ClassVar[tuple[str, ...]] = ()
    id: str  # the key
    label: str
    active_version: int | None
    created_at: datetime
    updated_at: datetime


@dataclass
class Version:
    INDEXED: ClassVar[tuple[str, ...]] = ("orchestration",)
    id: str  # "<key>:<number>"
    orchestration: str
    number: int
    document: dict[str, Any]
    created_at: datetime
    created_by: str | None = None
    trigger_object: str | None = None  # record type that starts it, for trigger look-ups


@dataclass
class Run:
    INDEXED: ClassVar[tuple[str, ...]] = ("record_id", "parent_run_id")
    id: str
    orchestration: str
    version: int
    status: str
    inputs: dict[str, Any]
    vars: dict[str, Any]
    started_at: datetime
    updated_at: datetime
    started_by: str | None = None
    record_object: str | None = None
    record_id: str | None = None
    #: The stage, decision or end the run is at; None before it leaves start.
    current_node: str | None = None
    ended_at: datetime | None = None
    error: dict[str, Any] | None = None
    #: Bumped on every write; a write that expects an older revision is refused.
    revision: int = 0
    parent_run_id: str | None = None
    parent_step_id: str | None = None
    parent_visit: int | None = None
    parent_waits: bool = False
    #: Stage visits so far: orders the history when the clock has not moved.
    visits: int = 0


@dataclass
class StageVisit:
    INDEXED: ClassVar[tuple[str, ...]] = ("run_id",)
    id: str  # "<run>:<stage>:<visit>"
    run_id: str
    stage_id: str
    visit: int
    status: str
    created_at: datetime
    started_at: datetime | None = None
    ended_at: datetime | None = None
    current: bool = True
    #: 1 for the run's first stage visit, 2 for the next, whichever stage.
    position: int = 0


@dataclass
class StepRun:
    INDEXED: ClassVar[tuple[str, ...]] = ("run_id",)
    id: str  # "<run>:<step>:<visit>"
    run_id: str
    step_id: str
    stage_id: str
    visit: int
    status: str = "not_started"
    started_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    completed_by: str | None = None
    attempts: int = 0
    #: Attempts made before the last admin retry; retries are counted from here.
    retry_base: int = 0
    error: str | None = None
    current: bool = True
    #: Action inputs ops set on the failed step (ARCHITECTURE §3, repairing a run): used
    #: instead of the document's expressions when the step starts again.
    input_overrides: dict[str, Any] | None = None


@dataclass
class WorkItem:
    INDEXED: ClassVar[tuple[str, ...]] = ("run_id", "assignee_value")
    id: str
    run_id: str
    orchestration: str
    step_id: str
    stage_id: str
    visit: int
    label: str
    assignee_type: str  # user | group | queue
    assignee_value: str
    status: str
    created_at: datetime
    due_at: datetime | None = None
    claimed_by: str | None = None
    escalated_at: datetime | None = None
    completed_at: datetime | None = None
    completed_by: str | None = None
    outcome: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    comment: str | None = None
    record_object: str | None = None
    record_id: str | None = None
    on_behalf_of: str | None = None  # assigned to a delegate while this person is out of office
    #: The run's version (a migration changes both), kept here so the monitor counts overdue
    #: items per version from the work items alone (``Transaction.overdue_items``).
    version: int | None = None
    trace_context: str | None = None  # the traceparent of the span that created it (runtime/tracing.py)


@dataclass
class Timer:
    INDEXED: ClassVar[tuple[str, ...]] = ("run_id",)
    id: str
    run_id: str
    kind: str  # wait | escalation
    step_id: str
    visit: int
    due_at: datetime
    work_item_id: str | None = None
    trace_context: str | None = None  # the traceparent of the span that set it (runtime/tracing.py)


@dataclass
class Job:
    """One attempt of a background action; claimed by a worker."""

    INDEXED: ClassVar[tuple[str, ...]] = ("run_id", "status")
    id: str
    run_id: str
    step_id: str
    visit: int
    attempt: int
    action: str
    inputs: dict[str, Any]
    status: str  # queued | running | done | failed | cancelled
    run_after: datetime
    idempotency_key: str
    created_at: datetime
    claimed_by: str | None = None
    claimed_at: datetime | None = None
    heartbeat_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    trace_context: str | None = None  # the traceparent of the span that scheduled it (runtime/tracing.py)


@dataclass
class Subscription:
    """A wait step waiting for an event."""

    INDEXED: ClassVar[tuple[str, ...]] = ("run_id", "name")
    id: str
    run_id: str
    step_id: str
    visit: int
    name: str
    key: Any = None  # correlation key, or None when matched by predicate
    predicate: bool = False


@dataclass
class BufferedEvent:
    """An event that arrived before anyone waited for it."""

    INDEXED: ClassVar[tuple[str, ...]] = ("name",)
    id: str
    name: str
    correlation: Any
    payload: dict[str, Any]
    received_at: datetime
    expires_at: datetime


@dataclass
class RunEvent:
    """One line of a run's append-only log. ``id`` is the store-wide sequence."""

    INDEXED: ClassVar[tuple[str, ...]] = ("run_id",)
    id: int
    run_id: str
    type: str
    at: datetime
    node: str | None = None
    visit: int | None = None
    by: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Notification:
    INDEXED: ClassVar[tuple[str, ...]] = ("to_value",)
    id: str
    kind: str  # assignment | escalation | reassignment | message
    to_type: str
    to_value: str
    subject: str
    body: str
    created_at: datetime
    run_id: str | None = None
    work_item_id: str | None = None
    idempotency_key: str | None = None


@dataclass
class Record:
    INDEXED: ClassVar[tuple[str, ...]] = ("object", "idempotency_key")
    id: str
    object: str
    fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    owner: str | None = None
    revision: int = 0
    idempotency_key: str | None = None


@dataclass
class RecordType:
    """A record type and its typed fields: ``[{"name", "type", "required", "label", "options"}]``."""

    INDEXED: ClassVar[tuple[str, ...]] = ()
    id: str  # the type name
    label: str
    fields: list[dict[str, Any]]
    created_at: datetime


@dataclass
class InsightFigure:
    """Live-insight counters of one node or edge of one version over one hour.

    ``hour`` is hours since the Unix epoch (``event.at``); hour 0 holds all-time
    totals and the gauges (``active``, ``waiting``, ``error``: how many now).
    Maintained by :class:`runtime.insights.Projector`, never by the engine.
    """

    INDEXED: ClassVar[tuple[str, ...]] = ("orchestration",)
    id: str  # "<key>:<version>:<kind>:<element>:<hour>"
    orchestration: str
    version: int
    kind: str  # node | edge
    element: str  # node or edge id
    hour: int
    active: int = 0
    waiting: int = 0
    error: int = 0
    completed: int = 0
    failed: int = 0
    taken: int = 0
    #: Log-scale histogram of time spent (seconds): bin -> count (runtime.insights.bin_of).
    durations: dict[str, int] = field(default_factory=dict)
    duration_count: int = 0
    duration_sum: float = 0.0
    duration_min: float | None = None
    duration_max: float | None = None


@dataclass
class InsightPosition:
    """Where one run is, as the insight projector last saw it: an open node and its
    status (waiting, in_progress, error), or the node a run in error failed at
    (``slot`` "!error": node ids are identifiers, so it cannot clash)."""

    INDEXED: ClassVar[tuple[str, ...]] = ("run_id",)
    id: str  # "<run>:<slot>"
    run_id: str
    orchestration: str
    version: int
    node: str
    status: str


@dataclass
class InsightCursor:
    """How far the projector got: every event with ``id <= position`` is counted.

    ``skipped`` holds sequence numbers passed over as holes (a transaction that
    never committed, or committed very late): event id -> when it was given up.
    """

    INDEXED: ClassVar[tuple[str, ...]] = ()
    id: str
    position: int
    skipped: dict[str, str] = field(default_factory=dict)
    updated_at: datetime | None = None


@dataclass
class Migration:
    """Moving runs to another version (runtime/engine/migrations.py): the plan, where the
    batches got to, and which worker holds it (a lease, renewed each batch)."""

    INDEXED: ClassVar[tuple[str, ...]] = ("orchestration",)
    id: str
    orchestration: str
    plan: dict[str, Any]
    status: str  # queued | running | completed | cancelled
    created_at: datetime
    updated_at: datetime
    created_by: str | None = None
    total: int = 0  # runs selected (known once the first batch ran)
    moved: int = 0
    refused: int = 0
    skipped: int = 0
    failed: int = 0
    claimed_by: str | None = None
    heartbeat_at: datetime | None = None
    ended_at: datetime | None = None


@dataclass
class MigrationResult:
    """What a migration did with one run: moved, refused (with every reason), skipped (it
    was on the target already) or failed. Written with the run's move, in its transaction."""

    INDEXED: ClassVar[tuple[str, ...]] = ("migration_id", "run_id")
    id: str  # "<migration>:<run>"
    migration_id: str
    run_id: str
    outcome: str  # moved | refused | skipped | failed
    at: datetime
    from_version: int
    node: str | None = None
    reasons: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class AuditEntry:
    """One user operation in the audit log (runtime/audit.py): written in the transaction of
    the change it records, never updated, deleted only by age (retention)."""

    INDEXED: ClassVar[tuple[str, ...]] = ()
    id: str
    at: datetime
    actor: str | None  # a user id, "token:<name>", or None (a failed sign-in names nobody known)
    actor_kind: str  # user | token | anonymous
    address: str | None  # the client's address, as the trusted proxies give it
    action: str  # "<object type>.<verb>", e.g. run.cancelled, draft.saved
    object_type: str
    object_id: str | None
    object_label: str | None  # the object's name when it was changed (a run's orchestration label...)
    before: Any = None
    after: Any = None


ROW_TYPES = (
    Orchestration,
    Version,
    Run,
    StageVisit,
    StepRun,
    WorkItem,
    Timer,
    Job,
    Subscription,
    BufferedEvent,
    RunEvent,
    Notification,
    Record,
    RecordType,
    InsightFigure,
    InsightPosition,
    InsightCursor,
    Migration,
    MigrationResult,
    AuditEntry,
)
