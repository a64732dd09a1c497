"""The test clock (OVERTURE_TEST_CLOCK=1): admins move the server's time, timers fire;
anywhere else the route does not exist."""

from __future__ import annotations

import pytest

from builder.extensions import state
from runtime.clock import ManualClock, MovableClock
from tests.builder.conftest import Client, make_app

COOL_OFF = {
    "format": 1,
    "key": "cool_off",
    "label": "Cool off",
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "wait", "type": "stage", "label": "Wait"},
        {"id": "cool", "type": "wait", "stage": "wait", "label": "Two hours", "timer": {"duration": "PT2H"}},
        {"id": "done", "type": "end"},
    ],
    "edges": [{"id": "e1", "source": "start", "target": "wait"}, {"id": "e2", "source": "wait", "target": "done"}],
}


@pytest.fixture
def clocked(tmp_path, migrated_db):
    app = make_app(tmp_path, migrated_db, ManualClock(), TEST_CLOCK=True)
    yield app
    app.extensions["overture"].close()


def started(ada: Client) -> dict:
    """A run of COOL_OFF, deployed and activated by ``ada``, waiting on its two-hour timer."""
    assert ada.post("/api/orchestrations", json=COOL_OFF).status_code == 201
    revision = ada.get("/api/orchestrations/cool_off").get_json()["draft"]["revision"]
    assert ada.post("/api/orchestrations/cool_off/activate", headers={"If-Match": f'"{revision}"'}).status_code == 200
    return ada.post("/api/runs", json={"orchestration": "cool_off", "inputs": {}}).get_json()


def test_without_the_setting_the_route_does_not_exist(app, login):
    ada = login("ada")
    for method in ("GET", "POST"):
        response = ada.request(method, "/api/test-clock", json={"advance": "PT2H"})
        assert response.status_code == 404, response.get_json()
    assert not isinstance(state_clock(app), MovableClock)


def state_clock(app):
    with app.app_context():
        return state().engine.clock


def test_only_admins_move_it_and_ops_read_it(clocked):
    ada, otto, sam = (Client(clocked, name) for name in ("ada", "otto", "sam"))
    before = ada.get("/api/test-clock").get_json()
    assert before["offset_seconds"] == 0
    assert otto.get("/api/test-clock").status_code == 200
    assert sam.get("/api/test-clock").status_code == 403
    for who in (otto, sam):
        response = who.post("/api/test-clock", json={"advance": "PT2H"})
        assert response.status_code == 403, response.get_json()
    assert Client(clocked, None).post("/api/test-clock", json={"advance": "PT2H"}).status_code == 401
    for bad in ({"advance": "two hours"}, {"advance": "-PT1H"}, {}, {"advance": "PT1H", "extra": 1}, {"advance": "P9999Y"}):
        response = ada.post("/api/test-clock", json=bad)
        assert response.status_code == 422, (bad, response.get_json())
    assert ada.get("/api/test-clock").get_json() == before  # nothing moved


def test_advancing_fires_a_due_timer(clocked):
    ada = Client(clocked, "ada")
    run = started(ada)
    assert ada.get(f"/api/runs/{run['id']}").get_json()["status"] == "in_progress"
    moved = ada.post("/api/test-clock", json={"advance": "PT1H"}).get_json()
    assert moved["offset_seconds"] == 3600
    assert ada.get(f"/api/runs/{run['id']}").get_json()["status"] == "in_progress"  # not due yet
    moved = ada.post("/api/test-clock", json={"advance": "PT1H"}).get_json()
    assert moved["offset_seconds"] == 7200 and moved["processed"] >= 1
    assert ada.get(f"/api/runs/{run['id']}").get_json()["status"] == "completed"


def test_next_goes_to_the_runs_next_timer(clocked):
    ada = Client(clocked, "ada")
    run = started(ada)
    assert ada.post("/api/test-clock", json={"advance": "next"}).status_code == 422  # which run?
    assert ada.post("/api/test-clock", json={"advance": "next", "run": "nope"}).status_code == 404
    moved = ada.post("/api/test-clock", json={"advance": "next", "run": run["id"]}).get_json()
    assert moved["offset_seconds"] == 7200
    assert ada.get(f"/api/runs/{run['id']}").get_json()["status"] == "completed"
    response = ada.post("/api/test-clock", json={"advance": "next", "run": run["id"]})
    assert response.status_code == 409 and "no timer" in response.get_json()["error"]["message"]
