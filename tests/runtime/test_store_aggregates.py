"""The aggregate reads of the store protocol (``runtime/store/base.py``), on every store:
the in-memory store, SQLite and PostgreSQL must give the same answers, since
``runtime/insights.py`` asks them without knowing which store it has."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from runtime.model import InsightFigure, Job, Run, RunEvent, Timer, WorkItem

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
#: The version of each run of the overdue test: the engine writes it on the work item.
VERSIONS = {"r1": 1, "r2": 1, "r3": 2, "r4": 1}


def _run(run_id: str, key: str, version: int) -> Run:
    return Run(run_id, key, version, "in_progress", {}, {}, NOW, NOW)


def _item(item_id: str, run_id: str, key: str, step: str, stage: str, status: str, due: timedelta | None) -> WorkItem:
    return WorkItem(
        item_id,
        run_id,
        key,
        step,
        stage,
        1,
        step,
        "group",
        "legal",
        status,
        NOW - timedelta(days=3),
        due_at=NOW + due if due is not None else None,
        version=VERSIONS.get(run_id),
    )


def test_overdue_items_counts_open_items_past_due_per_version_step_and_stage(store):
    late, soon = -timedelta(hours=1), timedelta(hours=1)
    with store.transaction() as tx:
        tx.insert_many([_run("r1", "deal", 1), _run("r2", "deal", 1), _run("r3", "deal", 2), _run("r4", "other", 1)])
        tx.insert_many(
            [
                _item("a", "r1", "deal", "review", "legal", "open", late),
                _item("b", "r2", "deal", "review", "legal", "claimed", late),
                _item("c", "r3", "deal", "review", "legal", "open", late),
                _item("d", "r3", "deal", "sign", "finance", "open", late),
                _item("e", "r1", "deal", "sign", "finance", "open", soon),  # not yet due
                _item("f", "r1", "deal", "sign", "finance", "open", None),  # no due date
                _item("g", "r2", "deal", "sign", "finance", "completed", late),  # done: not open
                _item("h", "r4", "other", "review", "legal", "open", late),  # another orchestration
                _item("i", "r1", "deal", "review", "legal", "open", timedelta(0)),  # due exactly now: not past due
            ]
        )
    with store.transaction(write=False) as tx:
        tx.begin_snapshot()
        found = sorted(tx.overdue_items("deal", NOW))
        assert found == [(1, "review", "legal", 2), (2, "review", "legal", 1), (2, "sign", "finance", 1)]
        assert tx.overdue_items("nothing", NOW) == []
        assert sorted(tx.overdue_items("other", NOW)) == [(1, "review", "legal", 1)]


def test_delete_hourly_figures_keeps_all_time_rows_and_recent_hours(store):
    def figure(key: str, hour: int) -> InsightFigure:
        return InsightFigure(f"{key}:1:node:legal:{hour}", key, 1, "node", "legal", hour, completed=1)

    with store.transaction() as tx:
        tx.insert_many(
            [figure("deal", 0), figure("deal", 10), figure("deal", 20), figure("deal", 30), figure("other", 10), figure("other", 0)]
        )
    with store.transaction() as tx:
        assert tx.delete_hourly_figures(25, "deal") == 2  # hours 10 and 20 of deal
    with store.transaction(write=False) as tx:
        assert sorted(f.hour for f in tx.find(InsightFigure, orchestration="deal")) == [0, 30]
        assert sorted(f.hour for f in tx.find(InsightFigure, orchestration="other")) == [0, 10]
    with store.transaction() as tx:
        assert tx.delete_hourly_figures(31) == 2  # every orchestration: deal's 30, other's 10
    with store.transaction(write=False) as tx:
        assert sorted((f.orchestration, f.hour) for f in tx.find(InsightFigure)) == [("deal", 0), ("other", 0)]


def test_run_tally_counts_statuses_run_times_and_starts_per_day(store):
    def run(run_id: str, key: str, version: int, status: str, started: datetime, took: timedelta | None) -> Run:
        ended = started + took if took is not None else None
        return Run(run_id, key, version, status, {}, {}, started, ended or started, ended_at=ended)

    day = timedelta(days=1)
    since = datetime(2026, 2, 27, tzinfo=UTC)  # three days: the 27th, 28th and 1st
    with store.transaction() as tx:
        tx.insert_many(
            [
                run("a", "deal", 1, "completed", NOW, timedelta(hours=2, microseconds=1)),
                run("b", "deal", 2, "completed", NOW - day, timedelta(minutes=30, microseconds=250_001)),
                run("c", "deal", 1, "completed", NOW - 2 * day, None),  # no end time: not timed
                run("d", "deal", 1, "in_progress", since - timedelta(microseconds=1), None),  # just before the first day
                run("e", "deal", 2, "error", since, timedelta(seconds=5)),  # midnight: the first day; an error is not timed
                run("f", "deal", 1, "cancelled", NOW - 30 * day, timedelta(seconds=1)),
                run("g", "other", 1, "completed", NOW, timedelta(hours=1)),  # another orchestration
            ]
        )
    with store.transaction(write=False) as tx:
        every = tx.run_tally("deal", None, since)
        assert every.by_status == {"completed": 3, "in_progress": 1, "error": 1, "cancelled": 1}
        assert (every.completed, every.completed_microseconds) == (2, (2 * 3600 + 30 * 60) * 1_000_000 + 250_002)
        assert every.started_per_day == {since.date(): 2, (since + day).date(): 1, NOW.date(): 1}

        one = tx.run_tally("deal", 2, since)
        assert one.by_status == {"completed": 1, "error": 1}
        assert (one.completed, one.completed_microseconds) == (1, 30 * 60 * 1_000_000 + 250_001)
        assert one.started_per_day == {since.date(): 1, (since + day).date(): 1}

        nothing = tx.run_tally("nothing", None, since)
        assert (nothing.by_status, nothing.completed, nothing.completed_microseconds, nothing.started_per_day) == ({}, 0, 0, {})


def test_operations_counts_items_per_group_jobs_per_state_timers_and_the_last_event(store):
    """What /metrics reads from the database (builder/prometheus/gauges.py), the same on every store."""
    late, soon = -timedelta(hours=1), timedelta(hours=1)
    personal = _item("p", "r1", "deal", "sign", "finance", "open", late)
    personal.assignee_type, personal.assignee_value = "user", "alice"  # a person: counted without the name
    queued = _item("q", "r1", "deal", "sign", "finance", "claimed", soon)
    queued.assignee_type, queued.assignee_value = "queue", "warehouse"

    def job(job_id: str, action: str, status: str, due: timedelta) -> Job:
        return Job(job_id, "r1", "sync", 1, 1, action, {}, status, NOW + due, f"r1:sync:1:{job_id}", NOW)

    with store.transaction() as tx:
        tx.insert_many([_run("r1", "deal", 1), _run("r2", "deal", 1)])
        tx.insert_many(
            [
                _item("a", "r1", "deal", "review", "legal", "open", late),
                _item("b", "r2", "deal", "review", "legal", "claimed", soon),
                _item("c", "r2", "deal", "review", "legal", "completed", late),  # done: not counted
                personal,
                queued,
            ]
        )
        tx.insert_many(
            [
                job("j1", "http.request", "queued", late),
                job("j2", "http.request", "queued", late),
                job("j3", "http.request", "queued", soon),  # a retry waiting for its backoff
                job("j4", "notify", "running", late),
                job("j5", "notify", "done", late),  # finished: not counted
            ]
        )
        tx.insert_many(
            [
                Timer("t1", "r1", "wait", "pause", 1, NOW - timedelta(minutes=5)),
                Timer("t2", "r1", "wait", "pause", 1, NOW - timedelta(minutes=1)),
                Timer("t3", "r2", "escalation", "review", 1, NOW + timedelta(days=1)),
            ]
        )
        for run_id in ("r1", "r1", "r2"):
            tx.append_event(RunEvent(0, run_id, "run.started", NOW, None, None, None, {}))

    with store.transaction(write=False) as tx:
        ops = tx.operations(NOW)
    assert sorted(ops.work_items) == [("group", "legal", 2, 1), ("queue", "warehouse", 1, 0), ("user", "", 1, 1)]
    assert sorted(ops.jobs) == [("http.request", "ready", 2), ("http.request", "scheduled", 1), ("notify", "running", 1)]
    assert (ops.timers, ops.timers_due, ops.oldest_due_timer) == (3, 2, NOW - timedelta(minutes=5))
    assert ops.last_event == 3
