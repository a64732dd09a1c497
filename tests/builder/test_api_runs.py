"""Runs through the API: starting, visibility, filters, pagination, events, ops controls, the replay download."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from runtime.testing import load_scenario, run_scenario
from tests.builder.api_support import BROKEN, EXPENSE, PAYMENT, deploy, error_code, my_items, start


@pytest.fixture
def ada(login):
    ada = login("ada")
    deploy(ada, EXPENSE)
    return ada


def token(admin: Any, login: Any, name: str = "crm") -> Any:
    secret = admin.post("/api/tokens", json={"name": name}).get_json()["token"]
    system = login(None)
    system.http.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return system


def test_a_member_starts_a_run_and_sees_whose_court_the_ball_is_in(ada, login):
    sam = login("sam")
    run = start(sam, amount=120)
    assert run["status"] == "in_progress" and run["started_by"] == "sam" and run["version"] == 1
    assert run["current_stage"] == "review" and run["inputs"] == {"amount": 120}
    assert [(b["type"], b["value"]) for b in run["ball"]] == [("group", "finance")]
    assert [s["status"] for s in run["stages"]] == ["in_progress", "not_started"]
    assert sam.get(f"/api/runs/{run['id']}").get_json()["id"] == run["id"]


def test_tokens_start_runs_and_nothing_else(ada, login):
    system = token(ada, login)
    started = system.post("/api/runs", json={"orchestration": "expense", "inputs": {"amount": 5}})
    assert started.status_code == 201 and started.get_json()["started_by"] == "token:crm"
    assert system.get("/api/runs").status_code == 403
    assert system.get(f"/api/runs/{started.get_json()['id']}").status_code == 403
    assert system.post(f"/api/runs/{started.get_json()['id']}/cancel").status_code == 403


def test_bad_starts_are_4xx_and_start_nothing(ada, login):
    sam = login("sam")
    wrong = sam.post("/api/runs", json={"orchestration": "expense", "inputs": {"amount": "lots", "extra": 1}})
    assert wrong.status_code == 422 and error_code(wrong) == "invalid"
    assert set(wrong.get_json()["error"]["details"]["inputs"]) == {"amount", "extra"}
    missing = sam.post("/api/runs", json={"orchestration": "expense"})
    assert missing.status_code == 422 and missing.get_json()["error"]["details"]["inputs"] == {"amount": "is required"}
    assert sam.post("/api/runs", json={"orchestration": "nothing", "inputs": {}}).status_code == 404
    assert sam.post("/api/runs", json={"orchestration": "expense", "inputs": [1]}).status_code == 422
    assert sam.post("/api/runs", json={"orchestration": "expense", "inputs": {"amount": 1}, "colour": "red"}).status_code == 422
    assert sam.post("/api/runs", json={"orchestration": 7}).status_code == 422
    assert sam.post("/api/runs", data="{", content_type="application/json").status_code == 400
    bad_record = sam.post("/api/runs", json={"orchestration": "expense", "inputs": {"amount": 1}, "record": {"object": "contract"}})
    assert bad_record.status_code == 422 and "id" in bad_record.get_json()["error"]["details"]["record"]
    unknown_record = sam.post(
        "/api/runs", json={"orchestration": "expense", "inputs": {"amount": 1}, "record": {"object": "contract", "id": "nope"}}
    )
    assert unknown_record.status_code == 404
    assert login(None).post("/api/runs", json={"orchestration": "expense", "inputs": {"amount": 1}}).status_code == 401
    assert ada.get("/api/runs").get_json()["items"] == []


def test_members_see_their_runs_and_those_they_work_on_only(ada, login):
    sam, fiona, mallory, otto = login("sam"), login("fiona"), login("mallory"), login("otto")
    run = start(sam)
    other = start(login("erin"))
    # mallory neither started it nor has work on it: as if it did not exist.
    hidden = mallory.get(f"/api/runs/{run['id']}")
    assert hidden.status_code == 404 and error_code(hidden) == "not_found"
    assert mallory.get(f"/api/runs/{run['id']}/events").status_code == 404
    assert mallory.get("/api/runs").get_json()["items"] == []
    # finance has an open item on both runs.
    assert {r["id"] for r in fiona.get("/api/runs").get_json()["items"]} == {run["id"], other["id"]}
    assert [r["id"] for r in sam.get("/api/runs").get_json()["items"]] == [run["id"]]
    assert {r["id"] for r in otto.get("/api/runs").get_json()["items"]} == {run["id"], other["id"]}
    assert otto.get("/api/runs/does-not-exist").status_code == 404

    # alice (legal) sees the run once it reaches her, and keeps seeing it after.
    alice = login("alice")
    assert alice.get(f"/api/runs/{run['id']}").status_code == 404
    (item,) = my_items(fiona, run=run["id"])
    assert fiona.post(f"/api/work-items/{item['id']}/complete", json={"outcome": "approve"}).status_code == 200
    (filing,) = my_items(alice, run=run["id"])
    assert alice.post(f"/api/work-items/{filing['id']}/complete", json={"outcome": "filed"}).status_code == 200
    assert alice.get(f"/api/runs/{run['id']}").get_json()["status"] == "completed"
    # frank is in finance too: the item was his group's, so he may see the run.
    assert login("frank").get(f"/api/runs/{run['id']}").status_code == 200


def test_run_filters(ada, login, clock):
    deploy(ada, PAYMENT)
    sam, otto = login("sam"), login("otto")
    early = start(sam, amount=1)
    clock.advance("P1D")
    later = start(sam, amount=2)
    clock.advance("PT1M")
    waiting = start(sam, "payment", order="A-1")
    (item,) = my_items(login("fiona"), run=early["id"])
    login("fiona").post(f"/api/work-items/{item['id']}/complete", json={"outcome": "approve"})

    def ids(query: str) -> list[str]:
        response = otto.get(f"/api/runs?{query}")
        assert response.status_code == 200, response.get_json()
        return [r["id"] for r in response.get_json()["items"]]

    assert ids("orchestration=expense") == [later["id"], early["id"]]
    assert ids("orchestration=payment") == [waiting["id"]]
    assert ids("stage=filing") == [early["id"]]
    assert ids("stage=review") == [later["id"]]
    assert ids("assignee=finance") == [later["id"]]
    assert ids("assignee=fiona") == [later["id"]]
    assert ids("assignee=alice") == [early["id"]]
    assert ids("assignee=legal") == [early["id"]]
    assert ids("assignee=mallory") == []
    assert ids("version=1&orchestration=expense") == [later["id"], early["id"]]
    assert ids("version=2") == []
    assert ids("status=in_progress,completed") == [waiting["id"], later["id"], early["id"]]
    assert ids("status=completed") == []
    started = early["started_at"]
    assert ids(f"started_before={later['started_at'].replace('+00:00', 'Z')}") == [early["id"]]
    assert set(ids(f"started_after={later['started_at'].replace('+00:00', 'Z')}")) == {later["id"], waiting["id"]}
    assert early["id"] in ids(f"started_after={started[:10]}")

    for bad in ("status=running", "version=one", "started_after=yesterday", "colour=red"):
        response = otto.get(f"/api/runs?{bad}")
        assert response.status_code == 400 and error_code(response) == "bad_query", bad


def test_runs_are_paginated_newest_first(ada, login, clock):
    sam = login("sam")
    started = []
    for amount in range(5):
        started.append(start(sam, amount=amount)["id"])
        clock.advance("PT1M")
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        url = "/api/runs?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = sam.get(url).get_json()
        seen += [r["id"] for r in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == 3 and seen == started[::-1]
    assert sam.get("/api/runs?limit=500").status_code == 400


def test_run_events_page_by_sequence(ada, login):
    sam = login("sam")
    run = start(sam)
    everything = sam.get(f"/api/runs/{run['id']}/events").get_json()
    types = [e["type"] for e in everything["items"]]
    assert types[0] == "run.started" and "work_item.created" in types
    assert everything["next_after"] is None and everything["last_seq"] == everything["items"][-1]["seq"]
    first = sam.get(f"/api/runs/{run['id']}/events?limit=2").get_json()
    assert len(first["items"]) == 2 and first["next_after"] == first["items"][-1]["seq"]
    rest = sam.get(f"/api/runs/{run['id']}/events?after={first['next_after']}").get_json()
    assert first["items"] + rest["items"] == everything["items"]
    assert sam.get(f"/api/runs/{run['id']}/events?after=-1").status_code == 400
    assert sam.get("/api/runs/nothing/events").status_code == 404


def test_ops_suspend_resume_and_cancel(ada, login):
    otto, sam = login("otto"), login("sam")
    run = start(sam)
    url = f"/api/runs/{run['id']}"
    assert sam.post(f"{url}/suspend").status_code == 403
    suspended = otto.post(f"{url}/suspend")
    assert suspended.status_code == 200 and suspended.get_json()["status"] == "suspended"
    assert otto.post(f"{url}/suspend").status_code == 409
    (item,) = my_items(login("fiona"), run=run["id"])
    blocked = login("fiona").post(f"/api/work-items/{item['id']}/complete", json={"outcome": "approve"})
    assert blocked.status_code == 409 and "suspended" in blocked.get_json()["error"]["message"]
    assert otto.post(f"{url}/resume", json={}).get_json()["status"] == "in_progress"
    assert otto.post(f"{url}/resume").status_code == 409

    assert otto.post(f"{url}/cancel", json={"why": "x"}).status_code == 422
    assert otto.post(f"{url}/cancel", json={"reason": 5}).status_code == 422
    cancelled = ada.post(f"{url}/cancel", json={"reason": "customer withdrew"})
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert cancelled.get_json()["work_items"] == []
    last = otto.get(f"{url}/events").get_json()["items"][-1]
    assert last["type"] == "run.cancelled" and last["by"] == "ada" and last["data"] == {"reason": "customer withdrew"}
    again = otto.post(f"{url}/cancel")
    assert again.status_code == 409 and "cancelled" in again.get_json()["error"]["message"]
    assert otto.post("/api/runs/nothing/cancel").status_code == 404
    assert my_items(login("fiona"), run=run["id"]) == []


def test_ops_retry_a_run_in_error(ada, login):
    deploy(ada, BROKEN)
    otto = login("otto")
    run = start(otto, "broken")
    assert run["status"] == "error"
    assert otto.post(f"/api/runs/{start(otto)['id']}/retry").status_code == 409
    assert login("sam").post(f"/api/runs/{run['id']}/retry").status_code == 403
    retried = otto.post(f"/api/runs/{run['id']}/retry")
    assert retried.status_code == 200
    # The action still fails: back in error, with a fresh attempt in the log.
    assert retried.get_json()["status"] == "error"
    types = [e["type"] for e in otto.get(f"/api/runs/{run['id']}/events").get_json()["items"]]
    assert "run.retried" in types and types.count("run.error") == 2 and types.count("action.failed") == 2


def test_events_reach_the_runs_that_wait_for_them(ada, login):
    deploy(ada, PAYMENT)
    otto = login("otto")
    run = start(otto, "payment", order="A-1")
    other = start(otto, "payment", order="B-2")
    # Waiting, the ball is with the system, named by the step (list and page alike).
    listed = next(r for r in otto.get("/api/runs").get_json()["items"] if r["id"] == run["id"])
    assert [(b["type"], b["name"]) for b in listed["ball"]] == [("system", "Payment received")]
    assert otto.get(f"/api/runs/{run['id']}").get_json()["ball"] == listed["ball"]
    system = token(ada, login, "payments")
    delivered = system.post("/api/events", json={"name": "payment_received", "correlation": "A-1", "payload": {"paid": 10}})
    assert delivered.status_code == 200 and delivered.get_json() == {"delivered_to": [run["id"]]}
    assert otto.get(f"/api/runs/{run['id']}").get_json()["status"] == "completed"
    assert otto.get(f"/api/runs/{other['id']}").get_json()["status"] == "in_progress"
    assert otto.post("/api/events", json={"name": "payment_received", "correlation": "Z"}).get_json() == {"delivered_to": []}
    assert login("sam").post("/api/events", json={"name": "payment_received"}).status_code == 403
    assert otto.post("/api/events", json={"name": "not an identifier"}).status_code == 422
    assert otto.post("/api/events", json={"name": "x", "payload": [1]}).status_code == 422
    assert otto.post("/api/events", json={"correlation": "A-1"}).status_code == 422


def test_notifications_are_the_callers_newest_first(ada, login, clock):
    sam, fiona = login("sam"), login("fiona")
    first = start(sam, amount=1)
    clock.advance("PT1H")
    second = start(sam, amount=2)
    notes = fiona.get("/api/notifications").get_json()
    assert [n["run_id"] for n in notes["items"]] == [second["id"], first["id"]]
    assert {n["kind"] for n in notes["items"]} == {"assignment"}
    assert [n["record"] for n in notes["items"]] == [None, None]  # runs started without a record
    page = fiona.get("/api/notifications?limit=1").get_json()
    assert page["items"][0]["run_id"] == second["id"] and page["next_cursor"]
    rest = fiona.get(f"/api/notifications?limit=1&cursor={page['next_cursor']}").get_json()
    assert rest["items"][0]["run_id"] == first["id"] and rest["next_cursor"] is None
    assert login("mallory").get("/api/notifications").get_json()["items"] == []
    assert login(None).get("/api/notifications").status_code == 401


def test_mark_all_read_holds_for_the_person_only_and_not_for_what_comes_after(ada, login, clock):
    sam, fiona, frank = login("sam"), login("fiona"), login("frank")
    first = start(sam, amount=1)
    unread = fiona.get("/api/notifications").get_json()
    assert unread["read_at"] is None and [n["read"] for n in unread["items"]] == [False]

    clock.advance("PT1M")
    marked = fiona.post("/api/notifications/read")
    assert marked.status_code == 200 and marked.get_json()["read_at"] == clock.now().isoformat()
    clock.advance("PT1M")
    second = start(sam, amount=2)
    # In another session (another browser) too: the moment is kept on the person.
    again = login("fiona").get("/api/notifications").get_json()
    assert again["read_at"] == marked.get_json()["read_at"]
    assert [(n["run_id"], n["read"]) for n in again["items"]] == [(second["id"], False), (first["id"], True)]
    # Frank is in finance too: his notifications are still unread.
    franks = frank.get("/api/notifications").get_json()["items"]
    assert franks and all(not n["read"] for n in franks)
    assert login(None).post("/api/notifications/read").status_code == 401


GARBAGE = ["[]", "null", "3", '"text"', '{"unknown": 1}', "{", '{"inputs": {"a": [1, {"b": 2}]}}']


def test_garbage_bodies_are_4xx_json_errors_everywhere(ada, login):
    """Every route that takes a body answers nonsense with a 4xx JSON error and writes nothing."""
    ada.post("/api/record-types", json={"name": "contract", "fields": [{"name": "title", "type": "string"}]})
    sam, otto = login("sam"), login("otto")
    run = start(sam)
    (item,) = my_items(login("fiona"))
    record = sam.post("/api/records/contract", json={"fields": {"title": "x"}}).get_json()
    routes = [
        (ada, "POST", "/api/orchestrations"),
        (ada, "PUT", "/api/orchestrations/expense/draft"),
        (ada, "POST", "/api/record-types"),
        (sam, "POST", "/api/runs"),
        (otto, "POST", f"/api/runs/{run['id']}/cancel"),
        (otto, "POST", f"/api/runs/{run['id']}/suspend"),
        (otto, "POST", f"/api/runs/{run['id']}/resume"),
        (otto, "POST", f"/api/runs/{run['id']}/retry"),
        (otto, "POST", "/api/events"),
        (login("fiona"), "POST", f"/api/work-items/{item['id']}/claim"),
        (login("fiona"), "POST", f"/api/work-items/{item['id']}/release"),
        (login("fiona"), "POST", f"/api/work-items/{item['id']}/complete"),
        (otto, "POST", f"/api/work-items/{item['id']}/reassign"),
        (sam, "POST", "/api/records/contract"),
        (sam, "PATCH", f"/api/records/contract/{record['id']}"),
    ]
    before = otto.get(f"/api/runs/{run['id']}/events").get_json()["last_seq"]
    for client, method, url in routes:
        for payload in GARBAGE:
            response = client.request(method, url, data=payload, content_type="application/json")
            assert 400 <= response.status_code < 500, (method, url, payload, response.status_code)
            assert set(response.get_json()["error"]) >= {"code", "message"}, (method, url, payload)
        as_text = client.request(method, url, data="{}", content_type="text/plain")
        assert as_text.status_code in (400, 415, 422), (method, url)
    assert otto.get(f"/api/runs/{run['id']}/events").get_json()["last_seq"] == before
    assert len(otto.get("/api/runs").get_json()["items"]) == 1
    assert len(otto.get("/api/records/contract").get_json()["items"]) == 1
    assert otto.get(f"/api/records/contract/{record['id']}").get_json()["revision"] == 0
    assert ada.get("/api/orchestrations/expense").get_json()["draft"]["revision"] == 1


def test_the_runs_list_says_who_holds_the_ball(ada, login):
    sam, otto = login("sam"), login("otto")
    run = start(sam)
    (listed,) = [r for r in otto.get("/api/runs").get_json()["items"] if r["id"] == run["id"]]
    assert [(b["type"], b["value"], b["step"]) for b in listed["ball"]] == [("group", "finance", "approve")]
    assert listed["current_node"] == "review"
    assert otto.post(f"/api/runs/{run['id']}/cancel").status_code == 200
    (listed,) = [r for r in otto.get("/api/runs").get_json()["items"] if r["id"] == run["id"]]
    assert listed["ball"] == []


def test_ops_download_a_run_as_a_scenario_that_replays_it(ada, login, clock):
    sam, fiona, alice, otto = login("sam"), login("fiona"), login("alice"), login("otto")
    run = start(sam, amount=75)
    clock.advance("PT2H")
    (item,) = my_items(fiona, run=run["id"])
    assert fiona.post(f"/api/work-items/{item['id']}/complete", json={"outcome": "approve", "values": {"note": "fine"}}).status_code == 200
    (item,) = my_items(alice, run=run["id"])
    assert alice.post(f"/api/work-items/{item['id']}/complete", json={"outcome": "filed"}).status_code == 200

    response = otto.get(f"/api/runs/{run['id']}/scenario")
    assert response.status_code == 200 and response.mimetype == "text/yaml"
    assert response.headers["Content-Disposition"] == f'attachment; filename="expense-{run["id"][:8]}.scenario.yaml"'
    scenario = load_scenario(response.get_data(as_text=True))
    assert scenario.orchestration == "expense" and scenario.version == 1
    assert scenario.personas["fiona"] == {"user": "fiona", "groups": ["finance"]}
    assert scenario.steps[0] == {"start": {"inputs": {"amount": 75}, "as": "sam"}}
    assert {"advance": "PT2H"} in scenario.steps
    result = run_scenario(scenario, document=EXPENSE)
    assert result.passed, result.report()
    assert result.path == ["review", "filing"]

    assert ada.get(f"/api/runs/{run['id']}/scenario").status_code == 200
    # Only ops and admins: a member who started the run may not, and ids do not leak to anyone.
    assert sam.get(f"/api/runs/{run['id']}/scenario").status_code == 403
    assert otto.get("/api/runs/nothing/scenario").status_code == 404


def test_ops_repair_a_failed_step_input_then_retry_and_the_answer_says_what_happened(ada, login):
    deploy(ada, BROKEN)  # record.update with no record: fails at once
    ada.post("/api/record-types", json={"name": "ticket", "fields": [{"name": "status", "type": "string"}]})
    record = ada.post("/api/records/ticket", json={"fields": {"status": "new"}}).get_json()
    otto = login("otto")
    run = start(otto, "broken")
    url = f"/api/runs/{run['id']}"

    again = otto.post(f"{url}/retry").get_json()["retry"]
    assert again["result"] == "failed" and "no record" in again["error"]["message"]

    bad = otto.patch(f"{url}/steps/update/inputs", json={"inputs": {"id": 7, "colour": "red"}})
    assert bad.status_code == 422
    assert set(bad.get_json()["error"]["details"]["inputs"]) == {"id", "colour"}
    assert otto.patch(f"{url}/steps/work/inputs", json={"inputs": {"id": "x"}}).status_code == 409
    assert login("fiona").patch(f"{url}/steps/update/inputs", json={"inputs": {"id": "x"}}).status_code == 403

    edited = otto.patch(f"{url}/steps/update/inputs", json={"inputs": {"object": "ticket", "id": record["id"]}})
    assert edited.status_code == 200
    assert next(s for s in edited.get_json()["steps"] if s["id"] == "update")["input_overrides"] == {"object": "ticket", "id": record["id"]}
    done = otto.post(f"{url}/retry").get_json()
    assert (done["status"], done["retry"]) == ("completed", {"result": "completed", "status": "completed", "error": None})
    assert ada.get(f"/api/records/ticket/{record['id']}").get_json()["fields"]["status"] == "x"
    log = [e for e in otto.get(f"{url}/events").get_json()["items"] if e["type"] == "step.inputs_edited"]
    assert [(e["by"], e["node"], sorted(c["name"] for c in e["data"]["changes"])) for e in log] == [("otto", "update", ["id", "object"])]
    assert otto.patch(f"{url}/variables", json={"values": {"x": 1}}).status_code == 409  # completed now


def test_ops_skip_a_failed_step_and_variables_are_checked(ada, login):
    deploy(ada, {**BROKEN, "variables": [{"name": "note", "type": "string"}]})
    otto = login("otto")
    run = start(otto, "broken")
    url = f"/api/runs/{run['id']}"
    wrong = otto.patch(f"{url}/variables", json={"values": {"note": 3}})
    assert wrong.status_code == 422 and "note" in wrong.get_json()["error"]["details"]["values"]
    assert otto.patch(f"{url}/variables", json={"values": {"note": "by hand"}}).get_json()["vars"]["note"] == "by hand"
    assert otto.post(f"{url}/steps/update/skip", json={"outcome": "bad outcome!"}).status_code == 422
    skipped = otto.post(f"{url}/steps/update/skip", json={"outcome": "done_by_hand"}).get_json()
    assert skipped["retry"]["result"] == "completed"
    assert next(s for s in skipped["steps"] if s["id"] == "update")["outcome"] == "done_by_hand"
    types = {e["type"]: e["by"] for e in otto.get(f"{url}/events").get_json()["items"]}
    assert types["variables.edited"] == "otto" and types["step.skipped"] == "otto"


def test_the_runs_list_names_what_people_read(ada, login):
    """Orchestration label, current stage label, record name and people's names: no ids to decode."""
    from tests.builder.api_support import setup_contracts

    assert ada.patch("/api/users/sam", json={"display_name": "Sam Sales"}).status_code == 200
    setup_contracts(ada)
    sam, otto = login("sam"), login("otto")
    run = start(sam)
    contract = sam.post(
        "/api/records/contract", json={"fields": {"title": "Acme MSA", "customer": "Acme", "amount": 20000, "status": "submitted"}}
    ).get_json()
    (on_record,) = contract["started_runs"]
    listed = {r["id"]: r for r in otto.get("/api/runs").get_json()["items"]}
    expense = listed[run["id"]]
    assert (expense["label"], expense["current_node_label"], expense["record_name"]) == ("Expense approval", "Finance review", None)
    assert expense["started_by_name"] == "Sam Sales"
    assert [(b["value"], b["name"]) for b in expense["ball"]] == [("finance", "Finance")]
    # My work names the orchestration too.
    assert {i["orchestration_label"] for i in my_items(login("fiona"))} == {"Expense approval"}
    contract_run = listed[on_record]
    assert (contract_run["label"], contract_run["record_name"]) == ("Contract approval", "Acme MSA")
    assert contract_run["current_node_label"] == "Legal review" and contract_run["current_node"] == "legal"
    # A member's list carries the same names for the runs they may see.
    assert {r["record_name"] for r in sam.get("/api/runs").get_json()["items"]} == {None, "Acme MSA"}
    # The run page reads the same names.
    detail = sam.get(f"/api/runs/{on_record}").get_json()
    assert (detail["record_name"], detail["label"], detail["current_node_label"]) == ("Acme MSA", "Contract approval", "Legal review")
    # A run that ended is at an end node: named by its label too.
    labelled = copy.deepcopy(EXPENSE)
    next(n for n in labelled["nodes"] if n["id"] == "done")["label"] = "Filed away"
    deploy(ada, labelled)
    ended = start(sam)
    for person, outcome in (("fiona", "approve"), ("alice", "filed")):
        (item,) = my_items(login(person), run=ended["id"])
        assert login(person).post(f"/api/work-items/{item['id']}/complete", json={"outcome": outcome}).status_code == 200
    (listed,) = [r for r in otto.get("/api/runs").get_json()["items"] if r["id"] == ended["id"]]
    assert (listed["status"], listed["current_node"], listed["current_node_label"]) == ("completed", "done", "Filed away")


def test_the_runs_filters_offer_names_to_pick_from(ada, login):
    sam, fiona, otto, mallory = login("sam"), login("fiona"), login("otto"), login("mallory")
    start(sam)
    options = otto.get("/api/runs/filters").get_json()
    assert options["orchestrations"] == [
        {
            "key": "expense",
            "label": "Expense approval",
            "stages": [{"id": "review", "label": "Finance review"}, {"id": "filing", "label": "Filing"}],
        }
    ]
    assert {(a["type"], a["value"], a["name"]) for a in options["assignees"]} == {("group", "finance", "Finance"), ("user", "otto", "otto")}
    # Every assignee offered finds runs: picking one filters the list to them.
    assert len(otto.get("/api/runs?assignee=finance").get_json()["items"]) == 1
    (item,) = my_items(fiona)
    assert fiona.post(f"/api/work-items/{item['id']}/claim").status_code == 200
    assert ("user", "fiona") in {(a["type"], a["value"]) for a in otto.get("/api/runs/filters").get_json()["assignees"]}
    # A member is offered only who holds work on the runs they see (and themselves).
    assert [(a["type"], a["value"]) for a in mallory.get("/api/runs/filters").get_json()["assignees"]] == [("user", "mallory")]
    assert login(None).get("/api/runs/filters").status_code == 401


def test_notifications_name_the_orchestration_and_the_record(ada, login):
    from tests.builder.api_support import setup_contracts

    setup_contracts(ada)
    sam, alice, fiona = login("sam"), login("alice"), login("fiona")
    sam.post("/api/records/contract", json={"fields": {"title": "Acme MSA", "customer": "Acme", "amount": 20000, "status": "submitted"}})
    (note,) = alice.get("/api/notifications").get_json()["items"]
    assert note["title"] == "Contract approval for Acme MSA"
    assert (note["orchestration_label"], note["record_name"]) == ("Contract approval", "Acme MSA")
    start(sam)  # no record: the orchestration's label alone
    (note,) = fiona.get("/api/notifications").get_json()["items"]
    assert (note["title"], note["record_name"]) == ("Expense approval", None)


#: One stage, four steps at once: two groups, a person and a three-day wait (the system's).
PARALLEL: dict[str, Any] = {
    "format": 1,
    "key": "parallel",
    "label": "Parallel review",
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "review", "type": "stage", "label": "Review"},
        *(
            {
                "id": step,
                "type": "interactive",
                "stage": "review",
                "label": step.title(),
                "assignee": assignee,
                "form": {"fields": [], "outcomes": [{"value": "done", "label": "Done"}]},
            }
            for step, assignee in (
                ("legal", {"type": "group", "value": "legal"}),
                ("finance", {"type": "group", "value": "finance"}),
                ("sign", {"type": "user", "value": "erin"}),
            )
        ),
        {"id": "cool_off", "type": "wait", "stage": "review", "label": "Cool off", "timer": {"duration": "P3D"}},
        {"id": "done", "type": "end"},
    ],
    "edges": [{"id": "e1", "source": "start", "target": "review"}, {"id": "e2", "source": "review", "target": "done"}],
}


def test_the_runs_list_and_the_run_page_name_the_same_holders(ada, login):
    deploy(ada, PARALLEL)
    sam, otto, fiona = login("sam"), login("otto"), login("fiona")
    run = start(sam, "parallel")
    (item,) = [i for i in my_items(fiona) if i["run_id"] == run["id"]]
    assert fiona.post(f"/api/work-items/{item['id']}/claim").status_code == 200
    for viewer in (otto, ada):
        (listed,) = [r for r in viewer.get("/api/runs").get_json()["items"] if r["id"] == run["id"]]
        page = viewer.get(f"/api/runs/{run['id']}").get_json()
        assert listed["ball"] == page["ball"]
    holders = {(b["type"], b["value"], b["step"], b.get("claimed_by")) for b in page["ball"]}
    assert holders == {
        ("group", "legal", "legal", None),
        ("group", "finance", "finance", "fiona"),
        ("user", "erin", "sign", None),
        ("system", "wait", "cool_off", None),
    }
    assert page["ball"][-1]["type"] == "system"  # the people first, then what the system does
    # The assignee filter offers people and teams, never "system".
    assignees = otto.get("/api/runs/filters").get_json()["assignees"]
    assert ("system", "wait") not in {(a["type"], a["value"]) for a in assignees}
    assert {("group", "legal"), ("user", "fiona"), ("user", "erin")} <= {(a["type"], a["value"]) for a in assignees}
