"""The builder's Test run: ``POST /api/orchestrations/<key>/test-run`` replays scenario
steps on a fresh in-memory engine and answers with the state after the last one,
without writing a run to the database."""

from __future__ import annotations

from importlib import resources
from typing import Any

import pytest
from sqlalchemy import func, select

from builder.extensions import state
from runtime.store.tables import RunRow
from runtime.templates import RECORD_TYPES, TEMPLATES, load
from runtime.testing import load_scenario
from tests.builder.api_support import EXPENSE, deploy, document, error_code

URL = "/api/orchestrations/expense/test-run"


@pytest.fixture
def admin(login: Any) -> Any:
    client = login("ada")
    deploy(client, EXPENSE)
    return client


def runs_in_database(app: Any) -> int:
    with app.app_context(), state().sessions() as s:
        return int(s.scalar(select(func.count()).select_from(RunRow)) or 0)


def test_no_steps_gives_the_personas_of_the_assignees(admin):
    response = admin.post(URL, json={"steps": []})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["run"] is None and body["work_items"] == [] and body["scenario"] is None
    assert body["personas"] == {
        "requester": {"user": "requester"},
        "finance": {"user": "finance_user", "groups": ["finance"]},
        "legal": {"user": "legal_user", "groups": ["legal"]},
    }


def test_walks_the_draft_acting_as_two_personas(admin, app):
    # The draft differs from the active version: the test run plays the draft.
    draft = document(EXPENSE, label="Expense approval (draft)")
    draft["nodes"][2]["form"]["outcomes"].append({"value": "ask", "label": "Ask for details"})
    assert admin.put("/api/orchestrations/expense/draft", json=draft).status_code == 200
    steps: list[dict[str, Any]] = [{"start": {"inputs": {"amount": 120}, "as": "requester"}}]
    first = admin.post(URL, json={"source": "draft", "steps": steps}).get_json()
    assert first["run"]["status"] == "in_progress" and first["run"]["current_stage"] == "review"
    (item,) = first["work_items"]
    assert item["step_id"] == "approve" and item["personas"] == ["finance"]
    assert [o["value"] for o in item["form"]["outcomes"]] == ["approve", "reject", "ask"]
    assert first["run"]["label"] == "Expense approval (draft)"

    steps += [
        {"as": "finance", "complete": "approve", "outcome": "approve", "values": {"note": "ok"}},
        {"advance": "P2D"},
        {"as": "legal", "complete": "file", "outcome": "filed"},
    ]
    done = admin.post(URL, json={"source": "draft", "steps": steps}).get_json()
    assert done["run"]["status"] == "completed" and done["run"]["current_node"] == "done"
    assert [h["stage"] for h in done["run"]["history"]] == ["review", "filing"]
    assert done["work_items"] == [] and done["now"].startswith("2026-01-07T09:00")
    assert {"edge.taken", "run.completed"} <= {e["type"] for e in done["events"]}
    # The steps as a scenario test, asserting where the run ended; it passes when stored and run.
    scenario = load_scenario(done["scenario"])
    assert scenario.steps[-1] == {"expect": {"status": "completed", "stages_visited": ["review", "filing"], "node": "done"}}
    assert admin.put("/api/orchestrations/expense/scenarios/walked", json={"source": done["scenario"]}).status_code == 200
    ran = admin.post("/api/orchestrations/expense/tests", json={"target": "draft", "names": ["walked"]}).get_json()
    assert ran["summary"] == {**ran["summary"], "passed": 1, "failed": 0}
    assert runs_in_database(app) == 0  # nothing of the test run was stored


@pytest.mark.parametrize("key", TEMPLATES)
@pytest.mark.parametrize("enumerated", [False, True], ids=["plain", "with-options"])
def test_each_template_reaches_its_end(login, key, enumerated):
    """The first generated path of each shipped template, played through the API on its draft; also
    when a record type has an enumerated field (its options go into the test run's record types)."""
    ada = login("ada")
    region = [{"name": "region", "type": "string", "options": ["north", "south"]}] if enumerated else []
    for name, fields in RECORD_TYPES.items():
        assert ada.post("/api/record-types", json={"name": name, "fields": [*fields, *region]}).status_code in (200, 201)
    assert ada.post("/api/orchestrations", json=load(key)).status_code == 201
    folder = resources.files("runtime.templates").joinpath(f"scenarios/{key}/generated")
    path = min((p for p in folder.iterdir() if "default-path" in p.name), key=lambda p: p.name)
    scenario = load_scenario(path.read_text(encoding="utf-8"))
    steps = [{"mock": m} for m in scenario.mocks] + [s for s in scenario.steps if "expect" not in s]
    response = ada.post(f"/api/orchestrations/{key}/test-run", json={"steps": steps, "personas": scenario.personas})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["run"]["status"] == "completed", body["run"]
    assert body["run"]["current_node"] == scenario.steps[-1]["expect"]["node"]


def test_a_step_that_cannot_be_applied_is_named(admin):
    start = {"start": {"inputs": {"amount": 120}}}
    cases = [
        ([start, {"as": "legal", "complete": "file", "outcome": "filed"}], 1, "no open work item"),
        ([start, {"as": "finance", "complete": "approve", "outcome": "nope"}], 1, "must be one of: approve, reject"),
        ([start, {"as": "nobody", "complete": "approve"}], 1, "unknown persona"),
        ([{"start": {"inputs": {"amount": "lots"}}}], 0, "amount"),
        ([start, {"advance": "next"}, {"advance": "soon"}], 2, "steps[2]"),
        ([start, {"expect": {"stage": "filing"}}], 1, "stage"),
        ([{"as": "finance", "complete": "approve"}], 0, "before the `start` step"),
        ([{"advance": "P1D"}], None, "no `start` step"),
    ]
    for steps, index, words in cases:
        response = admin.post(URL, json={"steps": steps})
        assert response.status_code == 422, (steps, response.get_json())
        error = response.get_json()["error"]
        assert error["details"]["step"] == index, (steps, error)
        assert words in error["message"], (words, error["message"])


def test_a_background_action_without_an_answer_is_asked_for(login):
    ada = login("ada")
    caller = document(
        EXPENSE,
        key="crm",
        nodes=[
            *EXPENSE["nodes"][:3],
            EXPENSE["nodes"][5],
            {
                "id": "notify_crm",
                "type": "background",
                "stage": "review",
                "label": "Tell the CRM",
                "start": {"when": "after", "steps": ["approve"]},
                "action": "http.request",
                "inputs": {"url": "'https://crm.example.com'", "method": "'POST'"},
            },
        ],
        edges=[EXPENSE["edges"][0], {"id": "e2", "source": "review", "target": "done"}],
    )
    assert ada.post("/api/orchestrations", json=caller).status_code == 201, ada.get("/api/orchestrations/crm").get_json()
    steps: list[dict[str, Any]] = [{"start": {"inputs": {"amount": 5}}}, {"as": "finance", "complete": "approve", "outcome": "approve"}]
    asked = ada.post("/api/orchestrations/crm/test-run", json={"steps": steps})
    assert asked.status_code == 422
    details = asked.get_json()["error"]["details"]
    assert details["step"] == 1 and details["kind"] == "mock"
    assert details["unanswered"] == {"step": "notify_crm", "action": "http.request"}
    answered = [steps[0], {"mock": {"step": "notify_crm", "result": {"status": 200}}}, steps[1]]
    body = ada.post("/api/orchestrations/crm/test-run", json={"steps": answered}).get_json()
    assert body["run"]["status"] == "completed"
    failing = [steps[0], {"mock": {"step": "notify_crm", "fail": "CRM down", "retryable": False}}, steps[1]]
    body = ada.post("/api/orchestrations/crm/test-run", json={"steps": failing}).get_json()
    assert body["run"]["status"] == "error" and "CRM down" in body["run"]["error"]["message"]


@pytest.mark.parametrize(
    "payload",
    [
        [],
        "steps",
        {"steps": "start"},
        {"steps": [1, 2]},
        {"steps": [{"start": {}}], "extra": 1},
        {"source": "nightly"},
        {"source": True},
        {"source": 0},
        {"steps": [{"start": {}}] * 501},
        {"personas": {"x": "y"}},
        {"steps": [{"start": {"inputs": {"a": {"b": {"c": {"d": {"e": {"f": {}}}}}}}}}]},
        {"steps": [{"start": {"record": {"object": "../../etc", "fields": {}}}}]},
        {"steps": [{"start": {}}, {"advance": "P99999999D"}]},
        {"steps": [{"start": {}}, {"event": {"name": "x" * 10_000}}]},
    ],
)
def test_hostile_bodies_get_a_4xx(admin, app, payload):
    response = admin.post(URL, json=payload)
    assert 400 <= response.status_code < 500, response.get_json()
    assert response.get_json()["error"]["message"]
    assert runs_in_database(app) == 0


def test_unknown_orchestration_or_version(admin):
    assert admin.post("/api/orchestrations/nothing/test-run", json={"steps": []}).status_code == 404
    assert admin.post(URL, json={"source": 7, "steps": []}).status_code == 404
    by_number = admin.post(URL, json={"source": 1, "steps": [{"start": {"inputs": {"amount": 1}}}]})
    assert by_number.status_code == 200 and by_number.get_json()["run"]["version"] == 1
    assert error_code(admin.post(URL, json={"source": "active", "steps": [{"start": {}}]})) == "invalid"
