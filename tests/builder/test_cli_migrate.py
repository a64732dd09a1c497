"""``overture migrate``: the dry run's summary, groups and notes; applying with progress per
batch; exit 0 / 1 (some runs did not move, and it says so) / 2 (a plan that is not valid, and
what is wrong); ``--resume`` after a worker stopped mid-way; ``--json``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner, Result

from builder.cli import main
from runtime.clock import ManualClock
from runtime.directory import InMemoryDirectory
from runtime.engine import Engine, Plan
from runtime.model import Run
from runtime.store.sql import SqlStore
from tests.builder.api_support import EXPENSE
from tests.builder.test_migrations_api import MAPPING, expense_v2

ENV = {"OVERTURE_SECRET_KEY": "test", "DATABASE_URL": None}


def overture(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env=ENV)


def engine_on(url: str, clock: ManualClock | None = None) -> tuple[Engine, SqlStore]:
    store = SqlStore(url)
    return Engine(store, clock or ManualClock(), InMemoryDirectory({"fiona": ["finance"]}), worker_id="test"), store


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> dict[str, Any]:
    """Version 1 with two runs at finance review and one at filing; version 2 active, which
    renamed filing (stage and step). On SQLite and PostgreSQL."""
    from builder.migrate import open_store

    url = request.getfixturevalue(f"{request.param}_url")
    open_store(url).dispose()  # the schema, as the app makes it
    engine, store = engine_on(url)
    engine.deploy(EXPENSE)
    reviewing = [engine.start("expense", {"amount": 5}) for _ in range(2)]
    filing = engine.start("expense", {"amount": 7})
    (item,) = engine.work_items(run=filing)
    engine.complete(item["id"], by="fiona", outcome="approve")
    assert engine.deploy(expense_v2()) == 2
    store.dispose()
    return {"url": url, "reviewing": reviewing, "filing": filing}


def versions(url: str) -> dict[str, int]:
    store = SqlStore(url)
    try:
        with store.transaction(write=False) as tx:
            return {r.id: r.version for r in tx.find(Run)}
    finally:
        store.dispose()


def test_a_dry_run_prints_the_summary_and_the_groups_and_changes_nothing(database):
    url = database["url"]
    result = overture("migrate", "expense", "--to", "2", "--dry-run", "--database-url", url)
    assert result.exit_code == 1, result.output  # one run cannot move
    lines = result.stdout.splitlines()
    assert lines[0] == "2 can move; 1 cannot: 1 sits on Filing, removed in version 2 without a mapping"
    assert "1  sits on Filing, removed in version 2 without a mapping  [removed; e.g. " + database["filing"][:8] + "]" in lines[1]
    assert lines[2] == "  note (2 runs): variable region is new: it starts as 'EU'"
    assert set(versions(url).values()) == {1}
    mapping = ["--map", "filing=archive", "--map", "file=store"]
    mapped = overture("migrate", "expense", "--to", "2", *mapping, "--dry-run", "--database-url", url)
    assert mapped.exit_code == 0, mapped.output
    assert mapped.stdout.splitlines()[0] == "3 can move"
    as_json = overture("migrate", "expense", "--to", "2", "--stage", "review", "--dry-run", "--json", "--database-url", url)
    assert as_json.exit_code == 0, as_json.output
    report = json.loads(as_json.stdout)
    assert sorted(r["run_id"] for r in report["runs"]) == sorted(database["reviewing"])


def test_applying_prints_progress_per_batch_and_exits_0_when_every_run_moved(database):
    url = database["url"]
    args = ["migrate", "expense", "--to", "2", "--from", "1", "--recompute", "due", "--batch", "2", "--by", "otto"]
    result = overture(*args, *[f"--map={old}={new}" for old, new in MAPPING.items()], "--database-url", url)
    assert result.exit_code == 0, result.output
    progress = [line for line in result.stderr.splitlines() if line.startswith("moved ")]
    assert [p.split(" (")[0] for p in progress] == ["moved 2/3", "moved 3/3"]
    assert result.stdout.startswith("migration ") and " completed: 3 can move" in result.stdout
    assert set(versions(url).values()) == {2}
    engine, store = engine_on(url)
    events = [e for e in engine.events(database["filing"]) if e["type"] == "run.migrated"]
    assert len(events) == 1 and events[0]["by"] == "otto"
    store.dispose()


def test_runs_that_did_not_move_exit_1_and_say_so(database):
    url = database["url"]
    result = overture("migrate", "expense", "--to", "2", "--database-url", url)
    assert result.exit_code == 1, result.output
    assert "completed: 2 can move; 1 cannot: 1 sits on Filing" in result.stdout
    assert "1 run did not move (refused or failed): see the reasons above" in result.stderr
    assert versions(url)[database["filing"]] == 1 and {versions(url)[r] for r in database["reviewing"]} == {2}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "9"], "orchestration 'expense' has no version 9"),
        (["--to", "2", "--map", "filing=nowhere"], "mapping filing: maps to 'nowhere', which is not a node of version 2"),
        (["--to", "2", "--map", "filing=store"], "a node maps to one of its kind"),
        (["--to", "2", "--from", "2"], "a version cannot be both source and target"),
        (["--to", "2", "--run", "nope"], "the plan names runs that are not runs of 'expense'"),
        (["--to", "2", "--recompute", "everything"], "recompute: everything: only assignee and due"),
        (["--to", "2", "--map", "filing"], "'filing' is not OLD=NEW"),
        (["--to", "0"], "0 is not in the range x>=1"),
        (["--to", "2", "--timers", "reset"], "'reset' is not one of 'keep', 'recompute'"),
        ([], "give KEY and --to VERSION (or --resume ID)"),
    ],
)
def test_a_plan_that_is_not_valid_exits_2_saying_what_is_wrong(database, args, message):
    result = overture("migrate", "expense", *args, "--database-url", database["url"])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert set(versions(database["url"]).values()) == {1}


def test_an_unknown_orchestration_or_migration_exits_2(database):
    unknown = overture("migrate", "nope", "--to", "1", "--database-url", database["url"])
    assert unknown.exit_code == 2 and "orchestration 'nope' does not exist" in unknown.output
    missing = overture("migrate", "--resume", "nope", "--database-url", database["url"])
    assert missing.exit_code == 2 and "migration nope does not exist" in missing.output
    both = overture("migrate", "expense", "--to", "2", "--resume", "x", "--database-url", database["url"])
    assert both.exit_code == 2 and "give no KEY or plan with it" in both.output


def test_resume_goes_on_after_a_worker_stopped_mid_way_and_moves_nothing_twice(database):
    url = database["url"]
    # A worker took a batch of two two minutes ago and then died: its lease has lapsed.
    engine, store = engine_on(url, ManualClock(datetime.now(UTC) - timedelta(minutes=2)))
    migration = engine.start_migration(Plan.from_json({"orchestration": "expense", "target": 2, "mapping": MAPPING}), by="ada")
    assert engine.work_on_migrations(migration, batch=2) == 2
    store.dispose()
    result = overture("migrate", "--resume", migration, "--database-url", url)
    assert result.exit_code == 0, result.output
    assert [line.split(" (")[0] for line in result.stderr.splitlines() if line.startswith("moved ")] == ["moved 3/3"]
    assert f"migration {migration} completed: 3 can move" in result.stdout
    assert set(versions(url).values()) == {2}
    engine, store = engine_on(url)
    assert all(len([e for e in engine.events(r) if e["type"] == "run.migrated"]) == 1 for r in versions(url))
    store.dispose()
    # Resuming one that completed changes nothing and says how it ended.
    again = overture("migrate", "--resume", migration, "--json", "--database-url", url)
    assert again.exit_code == 0 and json.loads(again.stdout)["moved"] == 3


def test_while_another_worker_holds_the_lease_it_shows_that_workers_progress(database):
    import threading
    import time

    url = database["url"]
    engine, store = engine_on(url, ManualClock(datetime.now(UTC)))
    migration = engine.start_migration(Plan.from_json({"orchestration": "expense", "target": 2, "mapping": MAPPING}), by="ada")
    assert engine.work_on_migrations(migration, batch=1) == 1  # the server's worker took it: its lease is fresh

    def server_worker_goes_on() -> None:
        time.sleep(1.5)
        engine.finish_migration(migration, batch=1)

    worker = threading.Thread(target=server_worker_goes_on)
    worker.start()
    try:
        result = overture("migrate", "--resume", migration, "--database-url", url)
    finally:
        worker.join()
        store.dispose()
    assert result.exit_code == 0, result.output
    assert "another worker is moving these runs" in result.stderr
    assert [line.split(" (")[0] for line in result.stderr.splitlines() if line.startswith("moved ")][-1] == "moved 3/3"
    assert f"migration {migration} completed: 3 can move" in result.stdout
