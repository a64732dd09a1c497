"""runtime/states.py: statuses stored as the strings they always were, every move through
one table, and the stage rules that the engine and the path generator share."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from runtime.states import (
    ENDED_RUN,
    LIVE_RUN,
    OPEN_ITEM,
    OPEN_STEP,
    TRANSITIONS,
    IllegalMove,
    JobStatus,
    NodeStatus,
    RunStatus,
    WorkItemStatus,
    all_completed,
    may_move,
    move,
    open_steps,
    start_decided,
)


def test_values_are_the_stored_strings():
    assert [s.value for s in RunStatus] == ["in_progress", "suspended", "error", "completed", "cancelled"]
    assert [s.value for s in NodeStatus] == ["not_started", "waiting", "in_progress", "completed", "error", "discontinued"]
    assert [s.value for s in WorkItemStatus] == ["open", "claimed", "completed", "cancelled"]
    assert [s.value for s in JobStatus] == ["queued", "running", "done", "failed", "cancelled"]
    # mypy takes a StrEnum member and a str literal for types that never compare equal; they do.
    assert RunStatus.ERROR == "error" and f"run.{RunStatus.CANCELLED}" == "run.cancelled"  # type: ignore[comparison-overlap]
    for shared in (OPEN_ITEM, OPEN_STEP, LIVE_RUN, ENDED_RUN):
        assert all(type(s) is str for s in shared)  # they go into store queries as plain strings
    assert OPEN_ITEM == ("open", "claimed") and OPEN_STEP == ("waiting", "in_progress")


def test_the_transition_table():
    """The whole table, written out: a change to it is a change to what runs may do."""
    table = {kind.__name__: {src: sorted(targets) for src, targets in moves.items()} for kind, moves in TRANSITIONS.items()}
    assert table == {
        "RunStatus": {
            "in_progress": ["cancelled", "completed", "error", "suspended"],
            "suspended": ["cancelled", "error", "in_progress"],
            "error": ["cancelled", "error", "in_progress"],
        },
        "NodeStatus": {
            "not_started": ["in_progress", "waiting"],
            "waiting": ["completed", "discontinued", "error", "in_progress"],
            "in_progress": ["completed", "discontinued", "error"],
            "error": ["completed", "discontinued", "in_progress", "not_started"],
        },
        "WorkItemStatus": {
            "open": ["cancelled", "claimed", "completed", "open"],
            "claimed": ["cancelled", "completed", "open"],
        },
        "JobStatus": {
            "queued": ["cancelled", "running"],
            "running": ["done", "failed", "queued"],
        },
    }
    for kind, moves in TRANSITIONS.items():
        values = {s.value for s in kind}
        assert set(moves) <= values and all(t <= values for t in moves.values()), kind


def test_move_sets_the_plain_string():
    row = SimpleNamespace(id="i1", status="open")
    move(row, WorkItemStatus.CLAIMED)
    assert row.status == "claimed" and type(row.status) is str


@pytest.mark.parametrize(
    ("kind", "current", "target"),
    [
        (RunStatus, "completed", RunStatus.IN_PROGRESS),  # an ended run stays ended
        (RunStatus, "cancelled", RunStatus.ERROR),
        (NodeStatus, "completed", NodeStatus.IN_PROGRESS),
        (NodeStatus, "discontinued", NodeStatus.COMPLETED),
        (NodeStatus, "not_started", NodeStatus.COMPLETED),
        (WorkItemStatus, "completed", WorkItemStatus.OPEN),
        (WorkItemStatus, "cancelled", WorkItemStatus.COMPLETED),
        (JobStatus, "done", JobStatus.RUNNING),
        (JobStatus, "queued", JobStatus.DONE),
    ],
)
def test_an_illegal_move_is_refused_and_changes_nothing(kind, current, target):
    assert not may_move(kind, current, target)
    row = SimpleNamespace(id="x1", status=current)
    with pytest.raises(IllegalMove, match=f"cannot move from {current} to {target.value}"):
        move(row, target)
    assert row.status == current


def test_the_refusal_says_what_was_allowed():
    with pytest.raises(IllegalMove, match=r"from claimed it may move to cancelled, completed, open"):
        move(SimpleNamespace(id="i1", status="claimed"), WorkItemStatus.CLAIMED)
    with pytest.raises(IllegalMove, match="it may move to nothing"):
        move(SimpleNamespace(id="j1", status="done"), JobStatus.QUEUED)


def test_stage_rules():
    status = {"a": "completed", "b": "in_progress", "c": "not_started", "d": "waiting"}.__getitem__

    def start(when, steps=()):
        return SimpleNamespace(when=when, steps=steps)

    assert start_decided(start("stage_start"), status) is True
    assert start_decided(start("after", ("a",)), status) is True
    assert start_decided(start("after", ("a", "b")), status) is False
    assert start_decided(start("condition"), status) is None  # the caller evaluates the condition
    assert all_completed(["a"], status) and not all_completed(["a", "c"], status)
    assert open_steps(["a", "b", "c", "d"], status) == ["b", "d"]
