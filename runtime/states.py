"""The statuses of runs, stages, steps, work items and jobs, the moves between them,
and the stage rules (when a step may start, when a stage exits), written once.

Every status is a :class:`~enum.StrEnum` whose values are the strings the store has
always held, so rows, views and queries read exactly as before. A status changes
only through :func:`move`, which refuses a move that :data:`TRANSITIONS` does not
list (like SpiffWorkflow's ``Task.state`` setter): a wrong move is a bug to see at
once, not a run in a state no screen expects.

The stage rules are pure predicates over "the status of step s": the engine calls
them with the run's step runs, the path generator (runtime/testing/paths) with its
symbolic state, so both decide the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any


class RunStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    SUSPENDED = "suspended"
    ERROR = "error"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class NodeStatus(StrEnum):
    """A stage visit's or a step run's status (``not_started`` only in views and rules:
    a stage or step that has no row yet, or a step run made when its stage was entered)."""

    NOT_STARTED = "not_started"
    WAITING = "waiting"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    ERROR = "error"
    DISCONTINUED = "discontinued"


class WorkItemStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


# The shared sets hold plain strings: they go into store queries as they always did.

#: A work item someone may still act on.
OPEN_ITEM: tuple[str, ...] = (WorkItemStatus.OPEN.value, WorkItemStatus.CLAIMED.value)
#: A step run that is under way (the stage waits for it; closing the stage discontinues it).
OPEN_STEP: tuple[str, ...] = (NodeStatus.WAITING.value, NodeStatus.IN_PROGRESS.value)
#: A run that has not ended (an ``update`` trigger does not start a second one beside it).
LIVE_RUN: tuple[str, ...] = (RunStatus.IN_PROGRESS.value, RunStatus.SUSPENDED.value, RunStatus.ERROR.value)
#: A run that has ended for good.
ENDED_RUN: tuple[str, ...] = (RunStatus.COMPLETED.value, RunStatus.CANCELLED.value)

R, N, W, J = RunStatus, NodeStatus, WorkItemStatus, JobStatus

#: status kind -> {from: the statuses it may move to}. A status missing as a key moves nowhere.
TRANSITIONS: dict[type[StrEnum], dict[str, frozenset[str]]] = {
    RunStatus: {
        R.IN_PROGRESS: frozenset({R.SUSPENDED, R.ERROR, R.COMPLETED, R.CANCELLED}),
        R.SUSPENDED: frozenset({R.IN_PROGRESS, R.ERROR, R.CANCELLED}),  # a job's failure lands while suspended
        R.ERROR: frozenset({R.IN_PROGRESS, R.ERROR, R.CANCELLED}),  # retried or repaired; a second failure
    },
    NodeStatus: {
        # Stage visits: waiting -> in_progress -> completed | error; step runs: not_started -> ...
        N.NOT_STARTED: frozenset({N.IN_PROGRESS, N.WAITING}),
        N.WAITING: frozenset({N.IN_PROGRESS, N.COMPLETED, N.ERROR, N.DISCONTINUED}),
        N.IN_PROGRESS: frozenset({N.COMPLETED, N.ERROR, N.DISCONTINUED}),
        N.ERROR: frozenset({N.NOT_STARTED, N.IN_PROGRESS, N.COMPLETED, N.DISCONTINUED}),  # retry, skip, cancel
    },
    WorkItemStatus: {
        W.OPEN: frozenset({W.OPEN, W.CLAIMED, W.COMPLETED, W.CANCELLED}),  # open -> open: reassigned
        W.CLAIMED: frozenset({W.OPEN, W.COMPLETED, W.CANCELLED}),
    },
    JobStatus: {
        J.QUEUED: frozenset({J.RUNNING, J.CANCELLED}),
        J.RUNNING: frozenset({J.QUEUED, J.DONE, J.FAILED}),  # queued again: released or stale
    },
}


class IllegalMove(ValueError):
    """A status change that :data:`TRANSITIONS` does not allow (a bug in the engine)."""


_NOWHERE: frozenset[str] = frozenset()


def may_move(kind: type[StrEnum], current: str, target: str) -> bool:
    return target in TRANSITIONS[kind].get(current, _NOWHERE)


def move(row: Any, target: StrEnum) -> None:
    """Set ``row.status`` to ``target`` (stored as its plain string), or raise :class:`IllegalMove`."""
    current = row.status
    # Checked inline rather than through may_move(): the engine moves a status dozens of times per run.
    if target not in TRANSITIONS[type(target)].get(current, _NOWHERE):
        what = type(row).__name__
        allowed = ", ".join(sorted(TRANSITIONS[type(target)].get(current, ()))) or "nothing"
        raise IllegalMove(
            f"{what} {getattr(row, 'id', '?')} cannot move from {current} to {target} (from {current} it may move to {allowed})"
        )
    row.status = target._value_  # the plain string (``.value`` is a property: slower, same string)


# -- the stage rules, over "the status of step s"

StatusOf = Callable[[str], str]


def start_decided(start: Any, status_of: StatusOf) -> bool | None:
    """Whether a not-started step with this ``start`` (a :class:`runtime.spec.StartRule`)
    may start: True or False when its ``when`` decides alone, None when its start
    condition decides (the caller evaluates it)."""
    if start.when == "stage_start":
        return True
    if start.when == "after":
        return all(status_of(s) == NodeStatus.COMPLETED for s in start.steps)
    return None


def all_completed(step_ids: Iterable[str], status_of: StatusOf) -> bool:
    """Whether every one of the steps completed (an ``all_steps`` stage exits then)."""
    return all(status_of(s) == NodeStatus.COMPLETED for s in step_ids)


def open_steps(step_ids: Iterable[str], status_of: StatusOf) -> list[str]:
    """The steps under way (in progress or waiting)."""
    return [s for s in step_ids if status_of(s) in OPEN_STEP]
