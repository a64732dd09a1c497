"""Retention (runtime/retention.py): old runs that ended go with every row they own and
their event logs, whole trees at a time; nothing else moves, the archive reads back, and
live insights keep their figures. On the in-memory store, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import random
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from runtime import insights, retention
from runtime.clock import ManualClock
from runtime.engine import Engine
from runtime.insights import Projector
from runtime.model import AuditEntry, InsightPosition, Run
from runtime.retention import NightlyPurge, RetentionSettings, RetentionSettingsError, purge, read_archive
from runtime.store.purge import OWNED, RunRows
from tests.runtime.docs import document, one_stage, step
from tests.runtime.test_engine import flaky, register

OLD = timedelta(days=180)
FORM = {"fields": [], "outcomes": [{"value": "done", "label": "Done"}]}


def flow() -> dict:
    """legal (bob reviews, due in 2 days; a variable is set) -> end: every kind of row a run owns."""
    return document(
        [
            {"id": "legal", "type": "stage", "label": "Legal"},
            step("review", stage="legal", assignee={"type": "user", "value": "bob"}, form=FORM, due="P2D"),
            step("note", "background", stage="legal", action="vars.set", inputs={"n": "inputs.n"}),
            step(
                "tell",
                "background",
                stage="legal",
                action="notify",
                start={"when": "after", "steps": ["note"]},
                inputs={"to": "'alice'", "subject": "'Run ' + string(vars.n)"},
            ),
            step("echo", "background", stage="legal", action="test.echo", inputs={"value": "inputs.n"}),
        ],
        [("start", "legal"), ("legal", "end")],
        key="deal",
        inputs=[{"name": "n", "type": "integer"}],
        variables=[{"name": "n", "type": "integer"}],
    )


def deploy(engine: Engine) -> None:
    register(engine, "test.echo", flaky(0)[0])  # not a local action: it leaves a job row
    engine.deploy(flow())
    engine.deploy(one_stage(step("child_work", assignee={"type": "user", "value": "bob"}, form=FORM), key="child"))
    engine.deploy(
        one_stage(
            step("spawn", "background", action="orchestration.start", inputs={"orchestration": "'child'", "wait": "true"}), key="parent"
        )
    )
    engine.deploy(one_stage(step("spawn", "background", action="orchestration.start", inputs={"orchestration": "'child'"}), key="forget"))


def finish(engine: Engine, run_id: str) -> None:
    for item in engine.work_items(assignee="bob"):
        if item["run_id"] == run_id and item["status"] in ("open", "claimed"):
            engine.complete(item["id"], by="bob", outcome="done")


def children(engine: Engine, run_id: str) -> list[str]:
    with engine.store.transaction(write=False) as tx:
        return [r.id for r in tx.find(Run, parent_run_id=run_id)]


def rows_of(engine: Engine, run_id: str) -> RunRows | None:
    """Everything the store holds of one run (None when the run row is gone)."""
    with engine.store.transaction(write=False) as tx:
        run = tx.get(Run, run_id)
        rows = RunRows(run, events=tx.events(run_id))
        for name, cls in OWNED:
            setattr(rows, name, sorted(tx.find(cls, run_id=run_id), key=lambda r: r.id))
        leftovers = sum(len(getattr(rows, name)) for name, _cls in OWNED) + len(rows.events)
        leftovers += len(tx.find(InsightPosition, run_id=run_id))
    if run is None:
        assert leftovers == 0, f"rows of purged run {run_id} are left"
        return None
    return rows


def scene(engine: Engine, clock: ManualClock) -> dict[str, str]:
    """Runs of every kind, most of them old: what a purge must take and what it must leave."""
    deploy(engine)
    runs = {}
    runs["completed"] = engine.start("deal", {"n": 1})
    finish(engine, runs["completed"])
    runs["cancelled"] = engine.start("deal", {"n": 2})
    engine.cancel(runs["cancelled"], by="ops")
    runs["open"] = engine.start("deal", {"n": 3})
    runs["suspended"] = engine.start("deal", {"n": 4})
    engine.suspend(runs["suspended"])
    runs["parent"] = engine.start("parent")
    (runs["child"],) = children(engine, runs["parent"])
    finish(engine, runs["child"])
    runs["forget"] = engine.start("forget")  # completes at once; its child stays open
    (runs["forgotten"],) = children(engine, runs["forget"])
    clock.advance(OLD + timedelta(days=1))
    runs["recent"] = engine.start("deal", {"n": 5})
    finish(engine, runs["recent"])
    for name in ("completed", "cancelled", "parent", "child", "forget", "recent"):
        assert engine.get_run(runs[name])["status"] in ("completed", "cancelled"), name
    return runs


GONE = ("completed", "cancelled", "parent", "child")
KEPT = ("open", "suspended", "forget", "forgotten", "recent")


def test_purge_takes_old_ended_runs_with_their_rows_and_sub_runs_and_nothing_else(engine: Engine, clock):
    runs = scene(engine, clock)
    before = {name: rows_of(engine, run_id) for name, run_id in runs.items()}
    assert before["completed"].work_items and before["completed"].step_runs and before["completed"].jobs
    assert before["completed"].notifications and before["completed"].events and before["cancelled"].timers == []
    report = purge(engine.store, older_than=OLD, now=clock.now(), batch=2)
    assert report.runs == 4 and report.skipped == 1  # the fire-and-forget tree: its child is open
    assert report.rows == sum(before[name].row_count() for name in GONE)
    for name in GONE:
        assert rows_of(engine, runs[name]) is None, name
    for name in KEPT:
        assert rows_of(engine, runs[name]) == before[name], name
    # What is left still works: the open run completes, and nothing is purged twice.
    finish(engine, runs["open"])
    assert engine.get_run(runs["open"])["status"] == "completed"
    assert purge(engine.store, older_than=OLD, now=clock.now()).runs == 0


def test_dry_run_counts_and_changes_nothing(engine: Engine, clock, tmp_path: Path):
    runs = scene(engine, clock)
    before = {name: rows_of(engine, run_id) for name, run_id in runs.items()}
    report = purge(engine.store, older_than=OLD, now=clock.now(), archive_dir=tmp_path / "archive", dry_run=True)
    assert (report.runs, report.skipped, report.archive) == (4, 1, None)
    assert {name: rows_of(engine, run_id) for name, run_id in runs.items()} == before
    assert not (tmp_path / "archive").exists()


def test_the_archive_reads_back_every_purged_run_with_its_rows_and_log(engine: Engine, clock, tmp_path: Path):
    runs = scene(engine, clock)
    before = {runs[name]: rows_of(engine, runs[name]) for name in GONE}
    report = purge(engine.store, older_than=OLD, now=clock.now(), batch=1, archive_dir=tmp_path / "archive")
    assert report.archive is not None and report.archive.parent == tmp_path / "archive"
    assert [p.name for p in report.archive.parent.iterdir()] == [report.archive.name]  # one file per purge
    archived = list(read_archive(report.archive))
    assert {rows.run.id: _sorted(rows) for rows in archived} == before
    order = [rows.run.id for rows in archived]
    assert order.index(runs["parent"]) < order.index(runs["child"])  # parents first
    line = json.loads(report.archive.read_text().splitlines()[0])
    assert line["format"] == retention.ARCHIVE_FORMAT and line["run"]["started_at"].endswith("+00:00")


def _sorted(rows: RunRows) -> RunRows:
    for name, _cls in OWNED:
        setattr(rows, name, sorted(getattr(rows, name), key=lambda r: r.id))
    return rows


def test_a_failed_archive_deletes_nothing(engine: Engine, clock, tmp_path: Path):
    runs = scene(engine, clock)
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    with pytest.raises(OSError):
        purge(engine.store, older_than=OLD, now=clock.now(), archive_dir=blocked)
    for name in GONE:
        assert rows_of(engine, runs[name]) is not None


def test_a_cut_short_last_line_is_left_out_of_the_archive(tmp_path: Path):
    now = datetime(2026, 1, 1, tzinfo=UTC)
    run = Run("r1", "deal", 1, "completed", {"n": 1}, {}, now, now, ended_at=now)
    archive = retention.Archive(tmp_path, now)
    archive([RunRows(run)])
    archive.close()
    with open(archive.path, "a", encoding="utf-8") as handle:
        handle.write('{"format": 1, "run": {"id": "r2"')  # the process stopped mid-line
    assert [rows.run for rows in read_archive(archive.path)] == [run]
    archive.path.write_text('{"format": 9}\n')
    with pytest.raises(ValueError, match=":1: not an archived run"):
        list(read_archive(archive.path))


def test_insight_figures_keep_their_numbers(engine: Engine, clock):
    scene(engine, clock)
    Projector(engine.store).catch_up()
    nodes = ("legal", "review", "note", "tell", "echo", "end", "s1", "child_work", "spawn")

    def figures() -> dict:
        return {key: insights.snapshot(engine.store, key, now=clock.now(), nodes=nodes) for key in ("deal", "parent", "child", "forget")}

    before = figures()
    assert before["deal"]["nodes"]["review"]["completed"] == 2
    assert purge(engine.store, older_than=OLD, now=clock.now()).runs == 4
    assert figures() == before


def test_runs_whose_events_the_projector_has_not_counted_stay(engine: Engine, clock):
    deploy(engine)
    first = engine.start("deal", {"n": 1})
    finish(engine, first)
    Projector(engine.store).catch_up()
    position = retention.projected_upto(engine.store)
    second = engine.start("deal", {"n": 2})  # its events lie above the projector's position
    finish(engine, second)
    clock.advance(OLD * 2)
    batch = engine.store.purge_runs(clock.now() - OLD, events_upto=position, limit=10)
    assert batch.runs == [first] and batch.skipped == 1 and batch.next is None
    assert rows_of(engine, second) is not None
    # A purge brings the projector up to date first, so the second run goes then.
    assert purge(engine.store, older_than=OLD, now=clock.now()).runs == 1
    assert rows_of(engine, second) is None


def test_the_event_log_after_a_purge(engine: Engine, clock):
    """Readers of the whole log (the live stream, the projector) see the others' events, in order."""
    runs = scene(engine, clock)
    everything = engine.store.events_after(0, 100_000)
    purge(engine.store, older_than=OLD, now=clock.now())
    gone = {runs[name] for name in GONE}
    left = [e.id for e in everything if e.run_id not in gone]
    assert [e.id for e in engine.store.events_after(0, 100_000)] == left
    assert [e.id for e in engine.store.events_after(0, 3)] == left[:3]


def test_nightly_purge_runs_once_a_day_in_its_hour(engine: Engine, tmp_path: Path):
    clock: ManualClock = engine.clock  # type: ignore[assignment]
    deploy(engine)
    run_id = engine.start("deal", {"n": 1})
    finish(engine, run_id)
    settings = RetentionSettings.from_environment(
        {"OVERTURE_PURGE_OLDER_THAN": "2d", "OVERTURE_PURGE_HOUR": "3", "OVERTURE_PURGE_ARCHIVE": str(tmp_path)}
    )
    assert settings == RetentionSettings(timedelta(days=2), 3, tmp_path)
    nightly = NightlyPurge(engine.store, settings, clock)
    clock.set(datetime(2026, 1, 8, 2, 59, tzinfo=UTC))
    assert nightly.tick() is None  # not the hour yet
    clock.set(datetime(2026, 1, 8, 3, 0, tzinfo=UTC))
    report = nightly.tick()
    assert report is not None and report.runs == 1 and report.archive is not None
    clock.set(datetime(2026, 1, 8, 3, 30, tzinfo=UTC))
    assert nightly.tick() is None  # once a day
    clock.set(datetime(2026, 1, 9, 3, 5, tzinfo=UTC))
    assert nightly.tick() is not None


def audit_entry(n: int, at: datetime) -> AuditEntry:
    return AuditEntry(f"e{n:03d}", at, "ada", "user", "10.0.0.1", "run.cancelled", "run", f"r{n}", None, {"status": "in_progress"})


def test_audit_entries_go_by_age_only(engine: Engine):
    """The audit log's only retention rule: entries older than the age go, a batch per
    transaction, nightly with OVERTURE_AUDIT_OLDER_THAN alone (runs are then kept)."""
    clock: ManualClock = engine.clock  # type: ignore[assignment]
    clock.set(datetime(2026, 1, 8, 3, 0, tzinfo=UTC))
    with engine.store.transaction() as tx:
        for n in range(7):
            tx.insert(audit_entry(n, clock.now() - timedelta(days=30 * n)))
    deploy(engine)
    finish(engine, engine.start("deal", {"n": 1}))
    assert retention.purge_audit(engine.store, older_than=timedelta(days=100), now=clock.now(), batch=2) == 3
    with engine.store.transaction(write=False) as tx:
        assert sorted(e.id for e in tx.find(AuditEntry)) == ["e000", "e001", "e002", "e003"]
    settings = RetentionSettings.from_environment({"OVERTURE_AUDIT_OLDER_THAN": "45d"})
    assert settings == RetentionSettings(None, audit_older_than=timedelta(days=45))
    clock.set(datetime(2026, 1, 8, 3, 0, tzinfo=UTC) + timedelta(days=1))
    report = NightlyPurge(engine.store, settings, clock).tick()
    assert report is not None and report.runs == 0
    with engine.store.transaction(write=False) as tx:
        assert sorted(e.id for e in tx.find(AuditEntry)) == ["e000", "e001"]
        assert len(tx.find(Run)) == 1  # runs are kept: OVERTURE_PURGE_OLDER_THAN is not set
    with pytest.raises(RetentionSettingsError, match="OVERTURE_AUDIT_OLDER_THAN"):
        RetentionSettings.from_environment({"OVERTURE_AUDIT_OLDER_THAN": "soon"})


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"OVERTURE_PURGE_OLDER_THAN": "180x"}, "OVERTURE_PURGE_OLDER_THAN: '180x' is not an age such as 180d"),
        ({"OVERTURE_PURGE_OLDER_THAN": "P6M"}, "years or months"),
        ({"OVERTURE_PURGE_OLDER_THAN": "0d"}, "more than zero"),
        ({"OVERTURE_PURGE_OLDER_THAN": "180d", "OVERTURE_PURGE_HOUR": "24"}, "OVERTURE_PURGE_HOUR must be a whole hour"),
    ],
)
def test_bad_retention_settings_are_named(environ, message):
    with pytest.raises(RetentionSettingsError, match=message.replace("(", r"\(")):
        RetentionSettings.from_environment(environ)
    assert RetentionSettings.from_environment({}) is None


def test_purging_under_load_loses_nothing_else(engine: Engine, clock, store):
    """Threads start and complete runs while old runs are purged in small batches: every new
    run keeps every row and event, every old one goes, and no thread is stuck."""
    if type(store).__name__ == "InMemoryStore":
        pytest.skip("one lock serialises the in-memory store: there is no concurrency to test")
    deploy(engine)
    old = []
    for n in range(60):
        run_id = engine.start("deal", {"n": n})
        finish(engine, run_id)
        old.append(run_id)
    clock.advance(OLD + timedelta(days=1))
    new: list[str] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def load(seed: int) -> None:
        rnd = random.Random(seed)
        try:
            while not stop.is_set() or len(new) < 20:
                run_id = engine.start("deal", {"n": rnd.randint(0, 9)})
                if rnd.random() < 0.8:
                    finish(engine, run_id)
                new.append(run_id)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(seed,)) for seed in range(3)]
    for thread in threads:
        thread.start()
    try:
        report = purge(engine.store, older_than=OLD, now=clock.now(), batch=5)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads) and errors == []
    assert report.runs == 60
    for run_id in old:
        assert rows_of(engine, run_id) is None
    for run_id in new:
        rows = rows_of(engine, run_id)
        assert rows is not None and rows.events[0].type == "run.started"
        if rows.run.status == "completed":
            assert rows.events[-1].type == "run.completed" and rows.work_items[0].status == "completed"
        else:
            assert rows.run.status == "in_progress" and rows.work_items[0].status == "open"


def test_two_purges_at_once_take_each_run_once(engine: Engine, clock, store, tmp_path: Path):
    """The nightly purges of several workers may overlap: each run is purged once and
    archived. PostgreSQL's SKIP LOCKED gives them different trees; on SQLite both may read
    and archive a batch before one deletes it (archived twice, purged once)."""
    if type(store).__name__ == "InMemoryStore":
        pytest.skip("one lock serialises the in-memory store: there is no concurrency to test")
    deploy(engine)
    old = set()
    for n in range(40):
        run_id = engine.start("deal", {"n": n})
        finish(engine, run_id)
        old.add(run_id)
    clock.advance(OLD + timedelta(days=1))
    # The projector's very first pass inserts its cursor row: two at once would race on it.
    Projector(engine.store).catch_up()
    reports: list[retention.PurgeReport] = []

    def one(name: str) -> None:
        reports.append(purge(engine.store, older_than=OLD, now=clock.now(), batch=3, archive_dir=tmp_path / name))

    threads = [threading.Thread(target=one, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(reports) == 2 and sum(r.runs for r in reports) == 40
    archived = [rows.run.id for r in reports if r.archive for rows in read_archive(r.archive)]
    assert set(archived) == old
    if store.dialect == "postgresql":
        assert len(archived) == len(old)


def test_other_writers_go_on_while_a_batch_is_archived(engine: Engine, clock, store):
    """Archiving (writing and fsyncing a file) holds no lock another run needs: SQLite takes
    its one write lock only to delete, PostgreSQL locks only the batch's own rows."""
    if type(store).__name__ == "InMemoryStore":
        pytest.skip("one lock serialises the in-memory store")
    deploy(engine)
    finish(engine, engine.start("deal", {"n": 1}))
    clock.advance(OLD * 2)
    started: list[str] = []

    def archive(runs: list[RunRows]) -> None:
        writer = threading.Thread(target=lambda: started.append(engine.start("deal", {"n": 2})))
        writer.start()
        writer.join(timeout=20)
        assert not writer.is_alive(), "a writer waited for the archive"

    Projector(engine.store).catch_up()
    batch = engine.store.purge_runs(clock.now() - OLD, events_upto=retention.projected_upto(engine.store), limit=10, archive=archive)
    assert len(batch.runs) == 1 and len(started) == 1 and rows_of(engine, started[0]) is not None
