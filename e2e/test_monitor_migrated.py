"""The Monitor follows runs moved to another version (issue 16): ops watching version 1
and an admin watching version 2, each in their own browser, see a run leave one and
arrive on the other, live, without a reload."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from e2e.fixtures.documents import one_stage, unique_key
from e2e.fixtures.pages import MonitorPage

SHOTS = Path(__file__).resolve().parents[1] / "test-results" / "monitor-migrated"


def renamed(document: dict[str, Any]) -> dict[str, Any]:
    """Version 2: the step *check* is replaced by *verify*."""
    doc = copy.deepcopy(document)
    for node in doc["nodes"]:
        if node["id"] == "check":
            node.update(id="verify", label="Verify it")
    return doc


def move(database_url: str, key: str, run_id: str) -> dict[str, Any]:
    """Move one run to version 2 from another process, as a worker applying a migration does."""
    from runtime.engine import Engine, Plan
    from runtime.store.directory import SqlDirectory
    from runtime.store.sql import SqlStore

    store = SqlStore(database_url)
    try:
        engine = Engine(store, directory=SqlDirectory(store), autoprocess=False)
        return engine.migrate(Plan(key, 2, runs=(run_id,), mapping={"check": "verify"}), by="otto")
    finally:
        store.dispose()


def test_monitors_of_both_versions_follow_a_run_moved_between_them(login_as, api, live_server):
    admin = api("admin")
    key = unique_key("moving")
    document = one_stage(key, "Moving runs")
    admin.create_orchestration(document)
    admin.activate(key)
    runs = [admin.start_run(key)["id"] for _ in range(2)]
    admin.save_draft(renamed(document))
    assert admin.activate(key) == 2

    old = MonitorPage(login_as("ops").new_page()).open(key, version=1).wait_until_live()
    new = MonitorPage(login_as("admin").new_page()).open(key, version=2).wait_until_live()
    old.expect_figure("check", "active", 2)
    new.expect_figure("verify", "active", 0)
    for monitor in (old, new):
        monitor.page.evaluate("window.__notReloaded = true")

    report = move(live_server.database_url, key, runs[0])
    assert (report["moved"], report["refused"]) == (1, 0)

    old.expect_figure("check", "active", 1)
    old.expect_figure("review", "active", 1)
    new.expect_figure("verify", "active", 1)
    new.expect_figure("review", "active", 1)
    SHOTS.mkdir(parents=True, exist_ok=True)
    old.page.screenshot(path=str(SHOTS / "ops-version-1.png"))
    new.page.screenshot(path=str(SHOTS / "admin-version-2.png"))
    for monitor in (old, new):
        assert monitor.page.evaluate("window.__notReloaded") is True  # moved live, no reload
    ops = api("ops")
    assert ops.run(runs[0])["version"] == 2
    # The metrics (read when the Monitor opens) count the run under version 2 from now on.
    assert ops.get(f"/api/orchestrations/{key}/metrics?version=1")["runs"] == 1
    assert ops.get(f"/api/orchestrations/{key}/metrics?version=2")["runs"] == 1
