"""The live overlay and the metrics follow a run moved to another version (issue 16):
a monitor of each version is told at once — figures and overdue counts — and the
metrics count the run under its new version."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from runtime.engine import Plan
from tests.builder.test_live import DEAL, Socket, apply, connect, engine, start  # noqa: F401 (engine: the fixture)


def deal_v2() -> dict:
    """Version 2: the step *review* is now *vet*."""
    doc: dict[str, Any] = copy.deepcopy(DEAL)
    doc["label"] = "Deal v2"
    for node in doc["nodes"]:
        if node["id"] == "review":
            node["id"] = "vet"
    return doc


def follow(ws: Socket, state: dict, node: str, wanted: dict[str, int]) -> dict:
    """Apply messages to ``state`` until ``node``'s figures hold ``wanted``."""

    def holds(message: dict) -> bool:
        state.update(apply(state, message))
        return all(state["nodes"].get(node, {}).get(k) == v for k, v in wanted.items())

    if not holds({"type": "delta", "seq": state["seq"], "nodes": {}, "edges": {}}):
        ws.until(holds)
    return state


def test_monitors_of_both_versions_see_a_run_move(server, login, engine, clock):
    runs = start(engine, 2)
    assert engine.deploy(deal_v2(), by="ada") == 2
    clock.advance(timedelta(days=2, minutes=1))  # both review items are overdue
    old = connect(server, "/ws/live?orchestration=deal&version=1", login, "otto")
    new = connect(server, "/ws/live?orchestration=deal&version=2", login, "otto")
    try:
        first, second = apply({}, old.next()), apply({}, new.next())
        assert (first["nodes"]["review"]["active"], first["nodes"]["review"]["overdue"]) == (2, 2)
        assert (second["nodes"]["vet"]["active"], second["nodes"]["vet"]["overdue"]) == (0, 0)
        assert engine.migrate(Plan("deal", 2, runs=(runs[0],), mapping={"review": "vet"}), by="otto")["moved"] == 1
        # Overdue counts are read again at once (not after LIVE_OVERDUE_EVERY, 10 s).
        first = follow(old, first, "review", {"active": 1, "overdue": 1})
        second = follow(new, second, "vet", {"active": 1, "overdue": 1})
        assert (first["nodes"]["legal"]["active"], second["nodes"]["legal"]["active"]) == (1, 1)
    finally:
        old.close()
        new.close()
    otto = login("otto")
    v1 = otto.get("/api/orchestrations/deal/insights?version=1").get_json()["nodes"]
    v2 = otto.get("/api/orchestrations/deal/insights?version=2").get_json()["nodes"]
    assert (v1["review"]["active"], v1["legal"]["active"], v2["vet"]["active"], v2["legal"]["active"]) == (1, 1, 1, 1)
    # The metrics count each run under the version it is on now.
    assert otto.get("/api/orchestrations/deal/metrics?version=1").get_json()["runs"] == 1
    assert otto.get("/api/orchestrations/deal/metrics?version=2").get_json()["by_status"]["in_progress"] == 1
    assert otto.get("/api/orchestrations/deal/metrics").get_json()["runs"] == 2
