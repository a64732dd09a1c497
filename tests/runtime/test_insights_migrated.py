"""Live insights follow a run moved to another version (``run.migrated``, issue 16): its
gauges move from (version N, old node) to (version M, new node), every later event
counts under M — also in a projector whose cache still says N (another process) — and
the runs counted per version (``run_counts``) move with it.

The migration is made by hand here, as the engine's does it in one transaction: the
run's version, its open work items' version and ids, its stage visits and step runs
renamed per the mapping, then the ``run.migrated`` event."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import timedelta
from typing import Any

from runtime import insights
from runtime.clock import ManualClock
from runtime.engine import Engine
from runtime.insights import MIGRATED, Projector, changed_elements
from runtime.model import InsightCursor, InsightPosition, Run, RunEvent, StageVisit, StepRun, WorkItem
from runtime.states import OPEN_ITEM, OPEN_STEP
from tests.runtime.test_insights import complete, contract

RENAMED = {"legal": "counsel", "review": "vet"}


def renamed() -> dict:
    """Version 2 of the contract: *legal* is now *counsel*, its step *review* is *vet*."""
    doc = contract()
    for node in doc["nodes"]:
        if node["id"] in RENAMED:
            node["id"] = RENAMED[node["id"]]
        if node.get("stage") in RENAMED:
            node["stage"] = RENAMED[node["stage"]]
    for edge in doc["edges"]:
        edge["source"] = RENAMED.get(edge["source"], edge["source"])
        edge["target"] = RENAMED.get(edge["target"], edge["target"])
    return doc


def migrate(
    engine: Engine, run_id: str, to: int, mapping: dict[str, str] | None = None, then: tuple[RunEvent, ...] | list[RunEvent] = ()
) -> None:
    """Move a run to version ``to`` as the engine does, in one transaction; ``then``:
    events of version ``to`` that follow in the same transaction."""
    mapping = mapping or {}

    def new(node: str) -> str:
        return mapping.get(node, node)

    with engine.store.transaction() as tx:
        run = tx.get(Run, run_id)
        assert run is not None
        was = run.version
        positions: dict[str, str] = {}
        for visit in tx.find(StageVisit, run_id=run_id):
            if visit.current and visit.status in OPEN_STEP:
                positions[visit.stage_id] = new(visit.stage_id)
            if visit.stage_id in mapping:
                tx.delete(StageVisit, visit.id)
                tx.insert(replace(visit, id=f"{run_id}:{new(visit.stage_id)}:{visit.visit}", stage_id=new(visit.stage_id)))
        for step_run in tx.find(StepRun, run_id=run_id):
            if step_run.current and step_run.status in OPEN_STEP:
                positions[step_run.step_id] = new(step_run.step_id)
            if step_run.step_id in mapping or step_run.stage_id in mapping:
                tx.delete(StepRun, step_run.id)
                tx.insert(
                    replace(
                        step_run,
                        id=f"{run_id}:{new(step_run.step_id)}:{step_run.visit}",
                        step_id=new(step_run.step_id),
                        stage_id=new(step_run.stage_id),
                    )
                )
        for item in tx.find(WorkItem, run_id=run_id):
            if item.status in OPEN_ITEM:
                item.version, item.step_id, item.stage_id = to, new(item.step_id), new(item.stage_id)
                tx.update(item)
        run.version = to
        run.current_node = new(run.current_node) if run.current_node else None
        run.revision += 1  # the engine's cache of the run's visits and steps is stale
        tx.update(run)
        data: dict[str, Any] = {
            "from": was,
            "to": to,
            "migration": None,
            "mapping": {old: n for old, n in mapping.items() if old != n},
            "positions": positions,
            "notes": [],
        }
        tx.append_event(RunEvent(0, run_id, "run.migrated", engine.clock.now(), run.current_node, None, "otto", data))
        for event in then:
            tx.append_event(event)


def figures(store: Any, now: Any, version: int | None = None, key: str = "deal") -> dict[str, dict[str, Any]]:
    return insights.snapshot(store, key, now=now, version=version)["nodes"]


def gauges(nodes: dict[str, dict[str, Any]], *ids: str) -> dict[str, tuple[int, int, int]]:
    """(active, waiting, error) of these nodes; (0, 0, 0) where nothing is counted."""
    return {n: tuple(nodes.get(n, {}).get(k, 0) for k in ("active", "waiting", "error")) for n in ids}


def tally(engine: Engine, version: int | None, key: str = "deal") -> dict[str, int]:
    with engine.store.transaction(write=False) as tx:
        return dict(tx.run_tally(key, version, engine.clock.now() - timedelta(days=1)).by_status)


def test_gauges_move_to_the_new_version_and_later_events_count_there(engine: Engine, clock: ManualClock):
    engine.deploy(contract())
    runs = [engine.start("deal", {"amount": 500}) for _ in range(3)]
    assert engine.deploy(renamed()) == 2
    projector = Projector(engine.store)
    projector.catch_up()
    assert gauges(figures(engine.store, clock.now(), 1), "legal", "review") == {"legal": (3, 0, 0), "review": (3, 0, 0)}
    assert tally(engine, 1) == {"in_progress": 3} and tally(engine, 2) == {}

    clock.advance(timedelta(minutes=5))
    for run_id in runs[:2]:
        migrate(engine, run_id, 2, RENAMED)
    assert projector.catch_up() == 2
    v1, v2, every = figures(engine.store, clock.now(), 1), figures(engine.store, clock.now(), 2), figures(engine.store, clock.now())
    assert gauges(v1, "legal", "review", "counsel", "vet") == {
        "legal": (1, 0, 0),
        "review": (1, 0, 0),
        "counsel": (0, 0, 0),
        "vet": (0, 0, 0),
    }
    assert gauges(v2, "legal", "review", "counsel", "vet") == {
        "legal": (0, 0, 0),
        "review": (0, 0, 0),
        "counsel": (2, 0, 0),
        "vet": (2, 0, 0),
    }
    assert gauges(every, "legal", "counsel") == {"legal": (1, 0, 0), "counsel": (2, 0, 0)}
    with engine.store.transaction(write=False) as tx:
        held = {(p.version, p.node) for p in tx.find(InsightPosition, run_id=runs[0])}
    assert held == {(2, "counsel"), (2, "vet")}
    # The runs counted per version (run_counts on SQL) follow.
    assert tally(engine, 1) == {"in_progress": 1} and tally(engine, 2) == {"in_progress": 2}
    assert tally(engine, None) == {"in_progress": 3}
    # Overdue items count under the new version and node (the item's own version).
    clock.advance(timedelta(days=2, minutes=1))
    v1, v2 = figures(engine.store, clock.now(), 1), figures(engine.store, clock.now(), 2)
    assert (v1["review"]["overdue"], v2["vet"]["overdue"], v2["counsel"]["overdue"]) == (1, 2, 2)

    # The engine carries the moved run on in version 2: every event counts there.
    clock.advance(timedelta(hours=1))
    complete(engine, runs[0], "alice", "approve")
    complete(engine, runs[2], "alice", "approve")
    projector.catch_up()
    v1, v2 = figures(engine.store, clock.now(), 1), figures(engine.store, clock.now(), 2)
    assert (v2["vet"]["completed"], v2["counsel"]["completed"], v2["size"]["completed"], v2["finance"]["active"]) == (1, 1, 1, 1)
    assert (v1["review"]["completed"], v1["legal"]["completed"], v1["size"]["completed"], v1["finance"]["active"]) == (1, 1, 1, 1)
    assert "vet" not in v1 and "review" not in v2
    assert gauges(v2, "counsel", "vet") == {"counsel": (1, 0, 0), "vet": (1, 0, 0)}
    # Time spent counts where the step completed: the moved run's review began in
    # version 1 and ended as *vet* in version 2.
    assert v2["vet"]["p50"] == v1["review"]["p50"] == 2 * 86400 + 3600 + 6 * 60


def test_a_projector_that_cached_the_old_version_counts_under_the_new_one(engine: Engine, clock: ManualClock):
    """Two projectors (two processes, each with its cache): B cached the run on version
    1; A applies the migration; B then applies what follows — under version 2."""
    engine.deploy(contract())
    run_id = engine.start("deal", {"amount": 10})
    engine.deploy(renamed())
    a, b = Projector(engine.store), Projector(engine.store)
    assert b.catch_up() > 0 and b.known_run(run_id) == ("deal", 1)
    migrate(engine, run_id, 2, RENAMED)
    assert a.catch_up() == 1  # the migration, counted by A
    assert b.known_run(run_id) == ("deal", 1)  # B's cache is stale until its next pass
    clock.advance(timedelta(hours=2))
    complete(engine, run_id, "alice", "approve")
    assert b.catch_up() > 0  # B counts the rest: it drops what it cached of the run first
    assert b.known_run(run_id) == ("deal", 2)
    v1, v2 = figures(engine.store, clock.now(), 1), figures(engine.store, clock.now(), 2)
    assert (v2["vet"]["completed"], v2["counsel"]["completed"], v2["end"]["completed"]) == (1, 1, 1)
    assert gauges(v2, "counsel", "vet") == {"counsel": (0, 0, 0), "vet": (0, 0, 0)}
    assert all(f["completed"] == 0 for f in v1.values()) and gauges(v1, "legal", "review") == {"legal": (0, 0, 0), "review": (0, 0, 0)}
    with engine.store.transaction(write=False) as tx:
        marker = tx.get(InsightCursor, MIGRATED)
        assert tx.find(InsightPosition, run_id=run_id) == []
    assert marker is not None and marker.position == 1 and marker.skipped == {run_id: "1", "!floor": "0"}


def test_a_stale_projector_that_applies_the_migration_itself(engine: Engine, clock: ManualClock):
    """The migration and version 2's events that follow it in the same transaction."""
    engine.deploy(contract())
    run_id = engine.start("deal", {"amount": 10})
    engine.deploy(renamed())
    b = Projector(engine.store)
    b.catch_up()
    later = clock.now() + timedelta(seconds=1)
    then = [
        RunEvent(0, run_id, "step.completed", later, "vet", 1, None, {"duration": 1.0}),
        RunEvent(0, run_id, "stage.completed", later, "counsel", 1, None, {"duration": 1.0}),
        RunEvent(0, run_id, "edge.taken", later, "counsel", None, None, {"edge": "e1"}),
    ]
    migrate(engine, run_id, 2, RENAMED, then)
    assert b.catch_up() == 4
    v1, v2 = figures(engine.store, clock.now(), 1), figures(engine.store, clock.now(), 2)
    assert (v2["vet"]["completed"], v2["counsel"]["completed"]) == (1, 1)
    assert gauges(v1, "legal", "review") == {"legal": (0, 0, 0), "review": (0, 0, 0)}
    assert gauges(v2, "counsel", "vet") == {"counsel": (0, 0, 0), "vet": (0, 0, 0)}
    edges = insights.snapshot(engine.store, "deal", now=clock.now(), version=2)["edges"]
    assert edges["e1"]["taken"] == 1


def test_a_new_projector_counts_events_before_the_migration_under_the_old_version(engine: Engine, clock: ManualClock):
    """The run's row already says version 2 while the events before its migration are
    not counted yet (a projector far behind, or just started): those count under 1."""
    engine.deploy(contract())
    run_id = engine.start("deal", {"amount": 500})
    engine.deploy(renamed())
    first = Projector(engine.store, batch=3)
    first.run_once()  # run.started and two more: the run's other events wait
    clock.advance(timedelta(hours=1))
    complete(engine, run_id, "alice", "approve")  # version 1: on to finance
    migrate(engine, run_id, 2, RENAMED)  # finance and sign keep their ids
    fresh = Projector(engine.store, batch=3)  # knows nothing of the run
    fresh.catch_up()
    v1, v2 = figures(engine.store, clock.now(), 1), figures(engine.store, clock.now(), 2)
    assert (v1["review"]["completed"], v1["legal"]["completed"], v1["size"]["completed"]) == (1, 1, 1)
    assert gauges(v1, "legal", "review", "finance", "sign") == {n: (0, 0, 0) for n in ("legal", "review", "finance", "sign")}
    assert gauges(v2, "finance", "sign") == {"finance": (1, 0, 0), "sign": (1, 0, 0)}
    assert not {"vet", "counsel", "review", "legal"} & set(v2)
    assert fresh.known_run(run_id) == ("deal", 2)


def test_a_mapping_that_swaps_ids_moves_each_position_once(engine: Engine, clock: ManualClock):
    """Positions all close before any opens: ``review`` -> ``sign`` and back is no clash;
    a node that maps to None is gone (its position closes)."""
    engine.deploy(contract())
    run_id = engine.start("deal", {"amount": 10})
    engine.deploy(renamed())
    projector = Projector(engine.store)
    projector.catch_up()
    with engine.store.transaction() as tx:
        run = tx.get(Run, run_id)
        assert run is not None
        run.version = 2
        tx.update(run)
        data = {"from": 1, "to": 2, "migration": None, "mapping": {}, "positions": {"legal": "finance", "review": "sign", "sign": "review"}}
        tx.append_event(RunEvent(0, run_id, "run.migrated", clock.now(), "finance", None, "otto", data))
    other = _start_and_migrate(engine, projector, {"legal": "legal", "review": None})
    projector.catch_up()
    v1, v2 = figures(engine.store, clock.now(), 1), figures(engine.store, clock.now(), 2)
    assert gauges(v1, "legal", "review") == {"legal": (0, 0, 0), "review": (0, 0, 0)}
    assert gauges(v2, "finance", "sign", "review", "legal", "vet") == {
        "finance": (1, 0, 0),
        "sign": (1, 0, 0),
        "review": (0, 0, 0),
        "legal": (1, 0, 0),  # the other run stays at legal; its review is gone
        "vet": (0, 0, 0),
    }
    with engine.store.transaction(write=False) as tx:
        assert [(p.version, p.node) for p in tx.find(InsightPosition, run_id=other)] == [(2, "legal")]


def _start_and_migrate(engine: Engine, projector: Projector, positions: dict[str, str | None]) -> str:
    """A run on version 1 (counted), then moved to 2 by a ``run.migrated`` with these positions."""
    from runtime.model import Orchestration

    with engine.store.transaction() as tx:  # start it on version 1 again
        orchestration = tx.get(Orchestration, "deal")
        assert orchestration is not None
        orchestration.active_version = 1
        tx.update(orchestration)
    run_id = engine.start("deal", {"amount": 10})
    projector.catch_up()
    with engine.store.transaction() as tx:
        run = tx.get(Run, run_id)
        assert run is not None and run.version == 1
        run.version = 2
        tx.update(run)
        data = {"from": 1, "to": 2, "migration": None, "mapping": {}, "positions": positions}
        tx.append_event(RunEvent(0, run_id, "run.migrated", engine.clock.now(), "legal", None, "otto", data))
    return run_id


def test_the_live_stream_is_told_every_element_changed():
    """A migration changes figures of two versions: the hub reads the orchestration whole."""
    from datetime import UTC, datetime

    at = datetime(2026, 12, 6, tzinfo=UTC)
    events = [
        RunEvent(1, "r1", "step.started", at, "sign", 1),
        RunEvent(2, "r2", "run.migrated", at, "counsel", None, "otto", {"from": 1, "to": 2}),
        RunEvent(3, "r2", "step.started", at, "vet", 1),
    ]
    runs = {"r1": ("deal", 1), "r2": ("deal", 1)}
    assert changed_elements(events, runs.get) == {"deal": insights.ALL}
    assert changed_elements(events[:1], runs.get) == {"deal": {("node", "sign")}}


def test_a_projector_further_behind_than_the_row_names_forgets_every_run(engine: Engine, clock: ManualClock, monkeypatch):
    """The MIGRATED row names the last few hundred runs moved: a projector that missed
    more than it names drops its whole cache rather than trust any of it."""
    monkeypatch.setattr(insights, "_MAX_MIGRATED", 1)
    engine.deploy(contract())
    first, second = (engine.start("deal", {"amount": 10}) for _ in range(2))
    engine.deploy(renamed())
    a, b = Projector(engine.store), Projector(engine.store)
    b.catch_up()
    for run_id in (first, second):  # one pass each: the row then names only the second
        migrate(engine, run_id, 2, RENAMED)
        assert a.catch_up() == 1
    with engine.store.transaction(write=False) as tx:
        marker = tx.get(InsightCursor, MIGRATED)
    assert marker is not None and marker.skipped == {second: "2", "!floor": "1"}
    complete(engine, first, "alice", "approve")
    b.catch_up()
    v1, v2 = figures(engine.store, clock.now(), 1), figures(engine.store, clock.now(), 2)
    assert (v2["vet"]["completed"], v2["counsel"]["active"]) == (1, 1) and v1["review"]["completed"] == 0


def test_a_late_event_from_before_the_migration_counts_under_the_old_version(tmp_path, sqlite_template, directory):
    """An event of version 1 that commits after its run's migration was counted (a hole
    passed over, then filled) counts under version 1, at its node there."""
    from runtime.store.sql import SqlStore
    from tests.runtime.test_insights import _insert_event

    path = tmp_path / "o.db"
    shutil.copy(sqlite_template, path)
    store = SqlStore(f"sqlite:///{path}")
    try:
        clock = ManualClock()
        engine = Engine(store, clock, directory)
        engine.deploy(contract())
        run_id = engine.start("deal", {"amount": 10})
        engine.deploy(renamed())
        last = store.events_after(0, 1000)[-1].id
        _insert_event(store, last + 2, run_id, clock.now(), "work_item.reminded", "review", {})  # id last+1 is "in flight"
        migrate(engine, run_id, 2, RENAMED)
        wall = ManualClock()
        projector = Projector(store, clock=wall)
        projector.run_once()
        wall.advance(timedelta(seconds=3))
        projector.run_once()  # passes the hole: the migration is counted
        assert gauges(figures(store, clock.now(), 2), "vet") == {"vet": (1, 0, 0)}
        _insert_event(store, last + 1, run_id, clock.now(), "step.completed", "review", {"duration": 5.0})
        wall.advance(timedelta(seconds=1))
        assert projector.run_once().events == 1
        v1, v2 = figures(store, clock.now(), 1), figures(store, clock.now(), 2)
        assert v1["review"]["completed"] == 1 and "review" not in v2
        assert gauges(v2, "vet", "counsel") == {"vet": (1, 0, 0), "counsel": (1, 0, 0)}  # where the run is now
    finally:
        store.dispose()


def test_runs_moved_by_the_engine(engine: Engine, clock: ManualClock):
    """Through ``Engine.migrate``: a run at finance (renamed *budget*, its step *sign_off*)
    and one at legal move to a version that adds compliance; a projector that cached
    them on version 1 counts the rest under version 2."""
    from runtime.engine import Plan
    from tests.runtime.test_migration import at_finance, complete_open
    from tests.runtime.test_migration import contract as agreement

    engine.deploy(agreement())
    at_legal, moving = engine.start("contract"), at_finance(engine)
    stale = Projector(engine.store)
    stale.catch_up()
    assert gauges(figures(engine.store, clock.now(), 1, "contract"), "legal", "finance", "approve") == {
        "legal": (1, 0, 0),
        "finance": (1, 0, 0),
        "approve": (1, 0, 0),
    }
    engine.deploy(agreement(compliance=True, finance="budget", approve="sign_off"))
    report = engine.migrate(Plan("contract", 2, mapping={"finance": "budget", "approve": "sign_off"}), by="otto")
    assert report["moved"] == 2
    assert Projector(engine.store).catch_up() > 0  # another process counts the migrations
    v1, v2 = figures(engine.store, clock.now(), 1, "contract"), figures(engine.store, clock.now(), 2, "contract")
    assert gauges(v1, "legal", "review", "finance", "approve") == {n: (0, 0, 0) for n in ("legal", "review", "finance", "approve")}
    assert gauges(v2, "legal", "review", "budget", "sign_off") == {n: (1, 0, 0) for n in ("legal", "review", "budget", "sign_off")}
    assert tally(engine, 1, "contract") == {} and tally(engine, 2, "contract") == {"in_progress": 2}

    clock.advance(timedelta(hours=1))
    complete_open(engine, moving, "fiona", "approve")  # on to compliance, in version 2
    complete_open(engine, at_legal, "alice")
    stale.catch_up()
    v1, v2 = figures(engine.store, clock.now(), 1, "contract"), figures(engine.store, clock.now(), 2, "contract")
    assert (v2["sign_off"]["completed"], v2["budget"]["completed"], v2["review"]["completed"]) == (1, 1, 1)
    assert gauges(v2, "compliance", "check", "budget", "sign_off", "legal") == {
        "compliance": (1, 0, 0),
        "check": (1, 0, 0),
        "budget": (1, 0, 0),  # the run from legal is now at budget
        "sign_off": (1, 0, 0),
        "legal": (0, 0, 0),
    }
    assert (v1["review"]["completed"], v1["legal"]["completed"]) == (1, 1)  # before the move
    assert all(f["active"] == f["waiting"] == f["error"] == 0 for f in v1.values())
    assert "budget" not in v1 and "finance" not in v2


def test_every_store_finds_run_events_by_run_and_type(engine: Engine):
    """What the projector reads of runs it meets ahead of the cursor (the in-memory store
    keeps the log apart from its tables, and found none before)."""
    engine.deploy(contract())
    first, second = (engine.start("deal", {"amount": 10}) for _ in range(2))
    with engine.store.transaction(write=False) as tx:
        started = tx.find(RunEvent, run_id=(first, second), type="run.started")
        assert sorted(e.run_id for e in started) == sorted([first, second])
        assert [e.type for e in tx.find(RunEvent, run_id=first, type="run.started")] == ["run.started"]
        assert tx.find(RunEvent, run_id=(first,), type="run.migrated") == []


def test_two_projectors_racing_through_a_migration_count_each_run_under_its_version(tmp_path, sqlite_template, clock, directory):
    """Two projectors (each its own store and cache, as two processes) apply passes in
    turn while runs start, move to version 2 and go on: each event once, each under the
    version its run was on."""
    import threading

    from runtime.engine import Plan
    from runtime.store.sql import SqlStore

    path = tmp_path / "o.db"
    shutil.copy(sqlite_template, path)
    stores = [SqlStore(f"sqlite:///{path}") for _ in range(3)]
    try:
        engine = Engine(stores[0], clock, directory)
        engine.deploy(contract())
        projectors = [Projector(stores[1], batch=7), Projector(stores[2], batch=5)]
        stop = threading.Event()
        applied = [0, 0]

        def project(i: int) -> None:
            while not stop.is_set():
                applied[i] += projectors[i].run_once().events

        threads = [threading.Thread(target=project, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        runs = [engine.start("deal", {"amount": 500}) for _ in range(20)]
        engine.deploy(renamed())
        report = engine.migrate(Plan("deal", 2, runs=tuple(runs[:10]), mapping=RENAMED), batch=3)
        assert report["moved"] == 10
        for run_id in runs:
            complete(engine, run_id, "alice", "approve")
        stop.set()
        for t in threads:
            t.join()
        while n := projectors[0].run_once().events:
            applied[0] += n
        assert sum(applied) == len(stores[0].events_after(0, 100_000))
        v1, v2 = figures(stores[0], clock.now(), 1), figures(stores[0], clock.now(), 2)
        assert (v1["review"]["completed"], v2["vet"]["completed"], v1["sign"]["active"], v2["sign"]["active"]) == (10, 10, 10, 10)
        assert gauges(v1, "legal", "review") == {"legal": (0, 0, 0), "review": (0, 0, 0)}
        assert gauges(v2, "counsel", "vet") == {"counsel": (0, 0, 0), "vet": (0, 0, 0)}
        with stores[0].transaction(write=False) as tx:
            held = tx.find(InsightPosition, orchestration="deal")
        assert sorted((p.version, p.node) for p in held) == sorted([(1, "finance"), (1, "sign")] * 10 + [(2, "finance"), (2, "sign")] * 10)
    finally:
        for s in stores:
            s.dispose()
