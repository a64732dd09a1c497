"""The migrations API: a dry run that names every run and every reason, a migration applied
by the worker and followed until it completes, who may, and bad plans refused with a 4xx."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.builder.api_support import EXPENSE, deploy, error_code, my_items, start

URL = "/api/orchestrations/expense/migrations"


def expense_v2() -> dict[str, Any]:
    """Version 2: the stage "filing" is now "archive" (label "Archive"), its step "file" is
    "store"; a new variable ``region`` starts as "EU"."""
    doc = copy.deepcopy(EXPENSE)
    doc["variables"] = [{"name": "region", "type": "string", "default": "EU"}]
    for node in doc["nodes"]:
        if node["id"] == "filing":
            node.update(id="archive", label="Archive")
        elif node["id"] == "file":
            node.update(id="store", stage="archive", label="Store the expense")
    for edge in doc["edges"]:
        edge["source"] = "archive" if edge["source"] == "filing" else edge["source"]
        edge["target"] = "archive" if edge["target"] == "filing" else edge["target"]
    return doc


MAPPING = {"filing": "archive", "file": "store"}


@pytest.fixture
def world(login) -> dict[str, Any]:
    """Two runs at finance review, one at filing (its record-less name is its short id), all on
    version 1; then version 2 is active."""
    ada, fiona = login("ada"), login("fiona")
    deploy(ada, EXPENSE)
    reviewing = [start(fiona)["id"], start(fiona)["id"]]
    filing = start(fiona)["id"]
    (item,) = my_items(fiona, run=filing)
    assert fiona.post(f"/api/work-items/{item['id']}/complete", json={"outcome": "approve"}).status_code == 200
    assert deploy(ada, expense_v2()) == 2
    return {"reviewing": reviewing, "filing": filing}


def work(app: Any) -> None:
    """What the embedded worker or ``overture worker`` does between jobs: one batch."""
    with app.app_context():
        app.extensions["overture"].engine.work_on_migrations(batch=2)


def test_a_dry_run_names_the_runs_that_cannot_move_and_why_and_writes_nothing(login, world):
    otto = login("otto")
    response = otto.post(URL, json={"target": 2, "dry_run": True})
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert (report["total"], report["movable"], report["refused"], report["skipped"]) == (3, 2, 1, 0)
    assert report["summary"] == "2 can move; 1 cannot: 1 sits on Filing, removed in version 2 without a mapping"
    assert report["label"] == "Expense approval"
    (group,) = report["groups"]
    assert group["code"] == "removed" and group["node"] == "filing" and group["at_label"] == "Filing"
    assert group["runs"] == [world["filing"]] and group["names"] == [world["filing"][:8]]
    by_id = {r["run_id"]: r for r in report["runs"]}
    assert by_id[world["filing"]]["movable"] is False and by_id[world["filing"]]["at_label"] == "Filing"
    assert by_id[world["filing"]]["name"] == world["filing"][:8]
    assert all(by_id[r]["movable"] and by_id[r]["at_label"] == "Finance review" for r in world["reviewing"])
    # The refused run is not looked at further once its node has no place in version 2.
    assert report["notes"] == [{"message": "variable region is new: it starts as 'EU'", "count": 2}]
    # Nothing was written: every run is still on version 1, and no migration was recorded.
    assert {otto.get(f"/api/runs/{r}").get_json()["version"] for r in by_id} == {1}
    assert otto.get(URL).get_json()["items"] == []


def test_with_the_mapping_every_run_can_move_and_the_filter_narrows_them(login, world):
    ada = login("ada")
    report = ada.post(URL, json={"target": 2, "mapping": MAPPING, "dry_run": True}).get_json()
    assert (report["movable"], report["refused"], report["summary"]) == (3, 0, "3 can move")
    narrowed = ada.post(URL, json={"target": 2, "stages": ["review"], "sources": [1], "dry_run": True}).get_json()
    assert sorted(r["run_id"] for r in narrowed["runs"]) == sorted(world["reviewing"])
    one = ada.post(URL, json={"target": 2, "runs": [world["filing"]], "mapping": MAPPING, "dry_run": True}).get_json()
    assert [r["run_id"] for r in one["runs"]] == [world["filing"]]


def test_applying_moves_the_runs_in_batches_and_the_moved_run_goes_on_to_the_end(app, login, world):
    otto, alice = login("otto"), login("alice")
    response = otto.post(URL, json={"target": 2, "mapping": MAPPING, "recompute": ["due"], "timers": "recompute"})
    assert response.status_code == 202, response.get_json()
    started = response.get_json()
    assert response.headers["Location"] == f"{URL}/{started['id']}"
    assert (started["status"], started["created_by"], started["created_by_name"]) == ("queued", "otto", "otto")
    assert started["plan"]["mapping"] == MAPPING and started["plan"]["recompute"] == ["due"]
    seen = []
    for _ in range(5):
        work(app)  # batches of 2: the progress shows between them
        view = otto.get(response.headers["Location"]).get_json()
        seen.append((view["status"], view["handled"]))
        if view["status"] == "completed":
            break
    assert seen[0] == ("running", 2) and seen[-1] == ("completed", 3), seen
    assert (view["total"], view["moved"], view["refused"], view["failed"]) == (3, 3, 0, 0)
    assert view["summary"] == "3 can move"
    entry = {r["run_id"]: r for r in view["runs"]}[world["filing"]]
    assert (entry["outcome"], entry["from_version"], entry["at"], entry["at_label"], entry["name"]) == (
        "moved",
        1,
        "filing",
        "Filing",
        world["filing"][:8],
    )
    run = otto.get(f"/api/runs/{world['filing']}").get_json()
    assert (run["version"], run["current_node"], run["current_node_label"]) == (2, "archive", "Archive")
    assert run["vars"] == {"region": "EU"}
    events = otto.get(f"/api/runs/{world['filing']}/events").get_json()["items"]
    moved = [e for e in events if e["type"] == "run.migrated"]
    assert len(moved) == 1 and moved[0]["data"]["from"] == 1 and moved[0]["data"]["to"] == 2
    # The open item followed its step: legal completes it on version 2 and the run ends.
    (item,) = my_items(alice, run=world["filing"])
    assert (item["step_id"], item["label"]) == ("store", "Store the expense")
    assert alice.post(f"/api/work-items/{item['id']}/complete", json={"outcome": "filed"}).status_code == 200
    assert otto.get(f"/api/runs/{world['filing']}").get_json()["status"] == "completed"
    # The list has it, newest first, with names.
    listed = otto.get(URL).get_json()
    assert [m["id"] for m in listed["items"]] == [started["id"]]
    assert listed["items"][0]["label"] == "Expense approval" and listed["next_cursor"] is None
    # Moving again skips them all: they are on the target already.
    again = otto.post(URL, json={"target": 2, "dry_run": True}).get_json()
    assert (again["total"], again["skipped"]) == (0, 0)  # no source version holds a live run any more


def test_runs_that_cannot_move_are_reported_with_their_reasons(app, login, world):
    ada = login("ada")
    started = ada.post(URL, json={"target": 2}).get_json()
    for _ in range(3):
        work(app)
    view = ada.get(f"{URL}/{started['id']}").get_json()
    assert (view["status"], view["moved"], view["refused"]) == ("completed", 2, 1)
    (group,) = view["groups"]
    assert (group["code"], group["at_label"], group["count"]) == ("removed", "Filing", 1)
    refused = view["runs"][0]  # refusals first
    assert refused["run_id"] == world["filing"] and refused["outcome"] == "refused"
    assert refused["reasons"][0]["message"] == "sits on Filing, removed in version 2 without a mapping"
    assert ada.get(f"/api/runs/{world['filing']}").get_json()["version"] == 1


def test_cancel_stops_a_queued_migration_and_an_ended_one_is_a_409(app, login, world):
    otto = login("otto")
    queued = otto.post(URL, json={"target": 2, "mapping": MAPPING}).get_json()
    cancelled = otto.post(f"{URL}/{queued['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    work(app)
    assert otto.get(f"/api/runs/{world['filing']}").get_json()["version"] == 1  # nothing moved
    again = otto.post(f"{URL}/{queued['id']}/cancel")
    assert again.status_code == 409 and "cancelled" in again.get_json()["error"]["message"]


def test_only_admins_and_ops_may(login, world):
    fiona, anonymous = login("fiona"), login(None)
    ada = login("ada")
    migration = ada.post(URL, json={"target": 2, "mapping": MAPPING}).get_json()["id"]
    for method, url, body in (
        ("POST", URL, {"target": 2, "dry_run": True}),
        ("GET", URL, None),
        ("GET", f"{URL}/{migration}", None),
        ("POST", f"{URL}/{migration}/cancel", None),
    ):
        assert fiona.request(method, url, json=body).status_code == 403, (method, url)
        assert anonymous.request(method, url, json=body).status_code == 401, (method, url)
    assert ada.get(f"{URL}/{migration}").get_json()["status"] == "queued"  # the member cancelled nothing


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "target"),
        ({"target": "2"}, "target"),
        ({"target": True}, "target"),
        ({"target": 2.0}, "target"),
        ({"target": 0}, "target"),
        ({"target": 2**40}, "target"),
        ({"target": 2, "sources": "1"}, "sources"),
        ({"target": 2, "sources": [1] * 201}, "sources"),
        ({"target": 2, "runs": ["x"] * 5001}, "runs"),
        ({"target": 2, "runs": [""]}, "runs"),
        ({"target": 2, "runs": ["x" * 65]}, "runs"),
        ({"target": 2, "stages": [7]}, "stages"),
        ({"target": 2, "statuses": ["completed"]}, "statuses"),
        ({"target": 2, "mapping": ["filing", "archive"]}, "mapping"),
        ({"target": 2, "mapping": {"filing": 3}}, "mapping"),
        ({"target": 2, "mapping": {f"n{i}": "x" for i in range(501)}}, "mapping"),
        ({"target": 2, "recompute": ["everything"]}, "recompute"),
        ({"target": 2, "timers": "reset"}, "timers"),
        ({"target": 2, "dry_run": "yes"}, "dry_run"),
        ({"target": 2, "extra": 1}, "extra"),
    ],
)
def test_a_malformed_plan_is_a_422_naming_the_field(login, world, body, field):
    response = login("ada").post(URL, json=body)
    assert response.status_code == 422, response.get_json()
    assert field in response.get_json()["error"]["details"]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"target": 3}, "target", "has no version 3"),
        ({"target": 2, "sources": [5]}, "sources", "no version 5"),
        ({"target": 2, "sources": [2]}, "sources", "holds the target"),
        ({"target": 2, "runs": ["nope"]}, "runs", "not runs of 'expense'"),
        ({"target": 2, "mapping": {"filing": "nowhere"}}, "mapping", "not a node of version 2"),
        ({"target": 2, "mapping": {"ghost": "archive"}}, "mapping", "not a node of version 1"),
        ({"target": 2, "mapping": {"filing": "store"}}, "mapping", "a node maps to one of its kind"),
        ({"target": 2, "mapping": {"filing": "review"}}, "mapping", "both map to 'review'"),
    ],
)
@pytest.mark.parametrize("dry_run", [True, False])
def test_a_plan_that_does_not_fit_the_versions_is_a_422_and_records_nothing(login, world, body, field, words, dry_run):
    ada = login("ada")
    response = ada.post(URL, json={**body, "dry_run": dry_run})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert field in error["details"]
    assert words in error["message"] + str(error["details"]), error
    assert ada.get(URL).get_json()["items"] == []


def test_unknown_orchestrations_and_migrations_are_404(login, world):
    ada = login("ada")
    assert error_code(ada.post("/api/orchestrations/nope/migrations", json={"target": 1, "dry_run": True})) == "not_found"
    assert ada.post("/api/orchestrations/nope/migrations", json={"target": 1}).status_code == 404
    assert ada.get("/api/orchestrations/nope/migrations").status_code == 404
    assert ada.get(f"{URL}/nope").status_code == 404
    assert ada.post(f"{URL}/{'x' * 5000}/cancel").status_code == 404
    # A migration is found only under its own orchestration.
    payment = copy.deepcopy(EXPENSE) | {"key": "other", "label": "Other"}
    deploy(ada, payment)
    migration = ada.post(URL, json={"target": 2}).get_json()["id"]
    assert ada.get(f"/api/orchestrations/other/migrations/{migration}").status_code == 404
    assert ada.post(f"/api/orchestrations/other/migrations/{migration}/cancel").status_code == 404
    assert ada.get(f"{URL}/{migration}").status_code == 200


def test_the_list_pages_newest_first(login, world, clock):
    from datetime import timedelta

    ada = login("ada")
    made = []
    for _ in range(3):
        made.append(ada.post(URL, json={"target": 2}).get_json()["id"])
        clock.advance(timedelta(seconds=1))
    first = ada.get(f"{URL}?limit=2").get_json()
    assert [m["id"] for m in first["items"]] == made[::-1][:2] and first["next_cursor"]
    rest = ada.get(f"{URL}?limit=2&cursor={first['next_cursor']}").get_json()
    assert [m["id"] for m in rest["items"]] == made[:1] and rest["next_cursor"] is None
    assert ada.get(f"{URL}?cursor=garbage").status_code == 400


def test_live_views_refresh_every_element_of_an_orchestration_whose_run_moved():
    from datetime import UTC, datetime

    from builder.live.hub import changed_elements
    from runtime.model import RunEvent

    at = datetime(2026, 1, 5, tzinfo=UTC)
    keys = {"r1": ("expense", 2), "r2": ("other", 1)}
    events = [
        RunEvent(1, "r1", "run.migrated", at, node="archive", data={"from": 1, "to": 2}),
        RunEvent(2, "r2", "stage.started", at, node="work"),
    ]
    # The moved run's counts left the old version's nodes: every element of "expense" may have changed.
    assert changed_elements(events, keys.get) == {"expense": None, "other": {("node", "work")}}
