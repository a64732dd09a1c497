"""Work items through the API: lists, detail, claim, release, complete (one winner), reassign."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import update

from builder.extensions import state
from runtime.store.tables import GroupRow, UserRow
from tests.builder.api_support import EXPENSE, deploy, error_code, my_items, setup_contracts, start


@pytest.fixture
def ada(login):
    ada = login("ada")
    deploy(ada, EXPENSE)
    return ada


@pytest.fixture
def run(ada, login) -> dict[str, Any]:
    return start(login("sam"), amount=120)


def finance_item(login: Any, run: dict[str, Any]) -> dict[str, Any]:
    (item,) = my_items(login("fiona"), run=run["id"])
    return item


def test_my_work_includes_my_groups_and_only_mine(run, login):
    fiona, frank, mallory, otto = login("fiona"), login("frank"), login("mallory"), login("otto")
    (item,) = my_items(fiona)
    assert item["run_id"] == run["id"] and item["assignee"] == {"type": "group", "value": "finance"}
    assert item["status"] == "open" and item["label"] == "Approve the expense" and item["due_at"]
    assert [i["id"] for i in my_items(frank)] == [item["id"]]
    assert my_items(mallory) == []
    # A member asking for everyone's gets their own.
    assert mallory.get("/api/work-items").get_json()["items"] == []
    assert [i["id"] for i in fiona.get("/api/work-items").get_json()["items"]] == [item["id"]]
    # Ops list everyone's, or their own with mine=1.
    assert [i["id"] for i in otto.get("/api/work-items").get_json()["items"]] == [item["id"]]
    assert my_items(otto) == []


def test_work_item_filters_and_pagination(ada, login, clock):
    sam, fiona, otto = login("sam"), login("fiona"), login("otto")
    runs = []
    for amount in range(3):
        runs.append(start(sam, amount=amount))
        clock.advance("PT1H")
    first = finance_item(login, runs[0])
    assert fiona.post(f"/api/work-items/{first['id']}/complete", json={"outcome": "approve"}).status_code == 200

    assert len(my_items(fiona)) == 2
    assert [i["id"] for i in my_items(fiona, status="completed")] == [first["id"]]
    assert len(my_items(fiona, status="open,claimed,completed")) == 3
    assert [i["run_id"] for i in my_items(fiona, run=runs[1]["id"])] == [runs[1]["id"]]
    assert len(otto.get("/api/work-items?orchestration=expense").get_json()["items"]) == 3  # 2 finance + 1 legal
    assert otto.get("/api/work-items?orchestration=other").get_json()["items"] == []
    assert [i["step_id"] for i in my_items(login("alice"))] == ["file"]

    # Soonest due first, one page at a time.
    page = fiona.get("/api/work-items?mine=1&limit=1").get_json()
    assert page["items"][0]["run_id"] == runs[1]["id"] and page["next_cursor"]
    rest = fiona.get(f"/api/work-items?mine=1&limit=1&cursor={page['next_cursor']}").get_json()
    assert rest["items"][0]["run_id"] == runs[2]["id"] and rest["next_cursor"] is None

    for bad in ("status=done", "mine=perhaps", "assignee=fiona"):
        response = fiona.get(f"/api/work-items?{bad}")
        assert response.status_code == 400 and error_code(response) == "bad_query", bad


def test_work_item_detail_has_form_record_and_context(run, login):
    item = finance_item(login, run)
    detail = login("frank").get(f"/api/work-items/{item['id']}")
    assert detail.status_code == 200
    body = detail.get_json()
    assert [o["value"] for o in body["form"]["outcomes"]] == ["approve", "reject"]
    assert [f["name"] for f in body["form"]["fields"]] == ["note", "cost_centre"]
    assert body["record"] is None and body["run_status"] == "in_progress"
    assert body["context"]["inputs"] == {"amount": 120}
    assert body["context"]["run"]["started_by"] == "sam" and body["context"]["run"]["current_stage"] == "review"
    assert body["context"]["steps"] == []
    # Not theirs: as if it did not exist.
    hidden = login("mallory").get(f"/api/work-items/{item['id']}")
    assert hidden.status_code == 404 and error_code(hidden) == "not_found"
    assert login("sam").get(f"/api/work-items/{item['id']}").status_code == 404
    assert login("otto").get(f"/api/work-items/{item['id']}").status_code == 200
    assert login("otto").get("/api/work-items/nothing").status_code == 404


def test_complete_moves_the_run_on_and_keeps_the_values(run, login):
    fiona, alice = login("fiona"), login("alice")
    item = finance_item(login, run)
    done = fiona.post(
        f"/api/work-items/{item['id']}/complete",
        json={"outcome": "approve", "values": {"note": "ok", "cost_centre": 42}, "comment": "fine by me"},
    )
    assert done.status_code == 200
    body = done.get_json()
    assert body["status"] == "completed" and body["completed_by"] == "fiona" and body["outcome"] == "approve"
    assert body["values"] == {"note": "ok", "cost_centre": 42} and body["comment"] == "fine by me"
    run_now = login("otto").get(f"/api/runs/{run['id']}").get_json()
    assert run_now["current_stage"] == "filing" and run_now["ball"][0]["value"] == "legal"
    # The completed item stays visible to the one who completed it; the next one shows its context.
    assert fiona.get(f"/api/work-items/{item['id']}").status_code == 200
    (filing,) = my_items(alice)
    steps = alice.get(f"/api/work-items/{filing['id']}").get_json()["context"]["steps"]
    assert [(s["id"], s["outcome"], s["completed_by"]) for s in steps] == [("approve", "approve", "fiona")]


def test_bad_completions_are_4xx_and_change_nothing(run, login):
    fiona = login("fiona")
    item = finance_item(login, run)
    url = f"/api/work-items/{item['id']}/complete"
    unknown_outcome = fiona.post(url, json={"outcome": "maybe"})
    assert unknown_outcome.status_code == 422 and error_code(unknown_outcome) == "invalid"
    wrong_type = fiona.post(url, json={"outcome": "approve", "values": {"cost_centre": "abc"}})
    assert wrong_type.status_code == 422
    assert fiona.post(url, json={"outcome": "approve", "values": {"colour": "red"}}).status_code == 422
    assert fiona.post(url, json={"outcome": "approve", "vote": 1}).status_code == 422
    assert fiona.post(url, json={"outcome": "approve", "values": [1]}).status_code == 422
    assert fiona.post(url, json={"outcome": 3}).status_code == 422
    assert fiona.post(url, data="{oops", content_type="application/json").status_code == 400
    assert fiona.post("/api/work-items/nothing/complete", json={"outcome": "approve"}).status_code == 404
    assert fiona.get(f"/api/work-items/{item['id']}").get_json()["status"] == "open"


def test_completing_twice_gives_a_clear_409(run, login):
    fiona, frank = login("fiona"), login("frank")
    item = finance_item(login, run)
    assert fiona.post(f"/api/work-items/{item['id']}/complete", json={"outcome": "approve"}).status_code == 200
    late = frank.post(f"/api/work-items/{item['id']}/complete", json={"outcome": "reject"})
    assert late.status_code == 409 and error_code(late) == "conflict"
    assert "already completed by fiona" in late.get_json()["error"]["message"]
    assert frank.get(f"/api/work-items/{item['id']}").get_json()["outcome"] == "approve"


def test_two_finance_members_race_to_complete_one_item(run, login):
    clients = [login("fiona"), login("frank")]
    item = finance_item(login, run)
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}

    def complete(client: Any, outcome: str) -> None:
        barrier.wait()
        results[client.username] = client.post(f"/api/work-items/{item['id']}/complete", json={"outcome": outcome})

    threads = [threading.Thread(target=complete, args=(c, o)) for c, o in zip(clients, ("approve", "reject"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(r.status_code for r in results.values())
    assert statuses == [200, 409]
    winner = next(name for name, r in results.items() if r.status_code == 200)
    loser = next(r for r in results.values() if r.status_code == 409)
    assert loser.get_json()["error"]["message"].endswith(f"by {winner}") or "someone else" in loser.get_json()["error"]["message"]
    final = login("otto").get(f"/api/work-items/{item['id']}").get_json()
    assert final["completed_by"] == winner
    completions = [e for e in login("otto").get(f"/api/runs/{run['id']}/events").get_json()["items"] if e["type"] == "work_item.completed"]
    assert len(completions) == 1


def test_mallory_can_neither_see_nor_act_on_finance_work(run, login):
    mallory = login("mallory")
    item = finance_item(login, run)
    assert mallory.get(f"/api/work-items/{item['id']}").status_code == 404
    # Acting on it answers as acting on an item that does not exist: no existence leak.
    for action, payload in (("claim", None), ("release", None), ("complete", {"outcome": "approve"})):
        response = mallory.post(f"/api/work-items/{item['id']}/{action}", json=payload)
        nothing = mallory.post(f"/api/work-items/no-such-item/{action}", json=payload)
        assert response.status_code == nothing.status_code == 404 and error_code(response) == "not_found", action
        assert response.get_json()["error"]["message"].replace(item["id"], "ID") == nothing.get_json()["error"]["message"].replace(
            "no-such-item", "ID"
        )
    assert mallory.post(f"/api/work-items/{item['id']}/reassign", json={"to": {"type": "user", "value": "mallory"}}).status_code == 403
    assert login("otto").get(f"/api/work-items/{item['id']}").get_json()["status"] == "open"


def test_claim_and_release(run, login):
    fiona, frank = login("fiona"), login("frank")
    item = finance_item(login, run)
    url = f"/api/work-items/{item['id']}"
    claimed = fiona.post(f"{url}/claim")
    assert claimed.status_code == 200 and claimed.get_json()["status"] == "claimed" and claimed.get_json()["claimed_by"] == "fiona"
    assert fiona.post(f"{url}/claim", json={}).status_code == 200  # claiming again is harmless
    taken = frank.post(f"{url}/claim")
    assert taken.status_code == 409 and "claimed by fiona" in taken.get_json()["error"]["message"]
    assert frank.post(f"{url}/complete", json={"outcome": "approve"}).status_code == 409
    assert frank.post(f"{url}/release").status_code == 409
    assert fiona.post(f"{url}/claim", json={"x": 1}).status_code == 422
    released = fiona.post(f"{url}/release")
    assert released.status_code == 200 and released.get_json()["status"] == "open" and released.get_json()["claimed_by"] is None
    assert frank.post(f"{url}/claim").get_json()["claimed_by"] == "frank"
    assert frank.post(f"{url}/complete", json={"outcome": "reject"}).status_code == 200
    assert frank.post(f"{url}/claim").status_code == 409


def test_ops_reassign(run, login):
    otto, mallory = login("otto"), login("mallory")
    item = finance_item(login, run)
    url = f"/api/work-items/{item['id']}/reassign"
    assert login("fiona").post(url, json={"to": {"type": "user", "value": "mallory"}}).status_code == 403
    assert otto.post(url, json={"to": {"type": "user", "value": "nobody"}}).status_code == 422
    assert otto.post(url, json={"to": {"type": "queue", "value": "finance"}}).status_code == 422  # finance is a group
    assert otto.post(url, json={"to": {"type": "robot", "value": "r2"}}).status_code == 422
    assert otto.post(url, json={"to": "mallory"}).status_code == 422
    assert otto.post(url, json={}).status_code == 422

    moved = otto.post(url, json={"to": {"type": "user", "value": "mallory"}})
    assert moved.status_code == 200 and moved.get_json()["assignee"] == {"type": "user", "value": "mallory"}
    assert my_items(login("fiona")) == []
    assert [i["id"] for i in my_items(mallory)] == [item["id"]]
    assert mallory.get(f"/api/runs/{run['id']}").status_code == 200
    assert any(n["kind"] == "reassignment" for n in mallory.get("/api/notifications").get_json()["items"])
    assert mallory.post(f"/api/work-items/{item['id']}/complete", json={"outcome": "approve"}).status_code == 200
    closed = otto.post(url, json={"to": {"type": "queue", "value": "warehouse"}})
    assert closed.status_code == 409
    assert otto.post("/api/work-items/nothing/reassign", json={"to": {"type": "group", "value": "legal"}}).status_code == 404


def test_items_name_their_people_and_groups(run, login, app):
    with app.app_context(), state().sessions.begin() as s:
        s.execute(update(UserRow).where(UserRow.id == "fiona").values(display_name="Fiona Finch"))
        s.execute(update(UserRow).where(UserRow.id == "sam").values(display_name="Sam Sales"))
        s.execute(update(GroupRow).where(GroupRow.id == "finance").values(label="Finance team"))
    fiona, frank = login("fiona"), login("frank")
    (item,) = my_items(frank)
    assert (item["assignee_name"], item["claimed_by_name"], item["completed_by_name"]) == ("Finance team", None, None)
    (waiting,) = login("otto").get(f"/api/runs/{run['id']}").get_json()["work_items"]
    assert waiting["id"] == item["id"] and waiting["assignee_name"] == "Finance team"
    claimed = fiona.post(f"/api/work-items/{item['id']}/claim").get_json()
    assert claimed["claimed_by"] == "fiona" and claimed["claimed_by_name"] == "Fiona Finch"
    (listed,) = my_items(frank, status="claimed")
    assert listed["claimed_by_name"] == "Fiona Finch"
    done = fiona.post(f"/api/work-items/{item['id']}/complete", json={"outcome": "approve"}).get_json()
    assert done["completed_by_name"] == "Fiona Finch"

    detail = fiona.get(f"/api/work-items/{item['id']}").get_json()
    assert detail["completed_by_name"] == "Fiona Finch" and detail["assignee_name"] == "Finance team"
    assert detail["context"]["run"]["started_by_name"] == "Sam Sales"
    (filing,) = my_items(login("alice"))
    steps = login("alice").get(f"/api/work-items/{filing['id']}").get_json()["context"]["steps"]
    assert [(s["completed_by"], s["completed_by_name"]) for s in steps] == [("fiona", "Fiona Finch")]
    # A person assigned by name is named too.
    reassigned = login("otto").post(f"/api/work-items/{filing['id']}/reassign", json={"to": {"type": "user", "value": "sam"}})
    assert reassigned.status_code == 200 and reassigned.get_json()["assignee_name"] == "Sam Sales"


def test_my_items_of_one_record(ada, login):
    setup_contracts(ada)
    sam, alice, mallory = login("sam"), login("alice"), login("mallory")
    contract = sam.post(
        "/api/records/contract", json={"fields": {"title": "Acme MSA", "customer": "Acme", "amount": 20000, "status": "submitted"}}
    )
    other = sam.post(
        "/api/records/contract", json={"fields": {"title": "Other", "customer": "Initech", "amount": 900, "status": "submitted"}}
    )
    record, elsewhere = contract.get_json(), other.get_json()
    # A second run on the same record: an expense filed against the contract.
    bound = sam.post(
        "/api/runs", json={"orchestration": "expense", "inputs": {"amount": 50}, "record": {"object": "contract", "id": record["id"]}}
    )
    assert bound.status_code == 201, bound.get_json()
    start(sam, amount=70)  # and one on no record

    # alice (legal) reviews both contracts: the filter keeps this one's.
    mine = my_items(alice, record=record["id"])
    assert [i["run_id"] for i in mine] == record["started_runs"]
    assert [i["run_id"] for i in my_items(alice, record=elsewhere["id"])] == elsewhere["started_runs"]
    # Finance's expense item is on the record too, with the contract as its record.
    (expense,) = my_items(login("fiona"), record=record["id"])
    assert expense["run_id"] == bound.get_json()["id"] and expense["record"] == {"object": "contract", "id": record["id"]}
    everything = login("otto").get(f"/api/work-items?record={record['id']}").get_json()["items"]
    assert sorted(i["run_id"] for i in everything) == sorted([*record["started_runs"], bound.get_json()["id"]])
    # Nobody learns of items on a record through the filter that they could not see anyway.
    assert my_items(mallory, record=record["id"]) == []
    assert mallory.get(f"/api/work-items?record={record['id']}").get_json()["items"] == []
    assert my_items(alice, record="no-such-record") == []
    empty = alice.get("/api/work-items?record=")
    assert empty.status_code == 400 and error_code(empty) == "bad_query"
