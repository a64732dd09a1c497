"""Expressions must not block the server (issue 12): values are capped where they enter a
run (422 naming the path), costly expressions are refused when saved, and timer `at`
times stay in a sane range at save and at run time (ARCHITECTURE §2 "Expressions and limits")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.builder.api_support import PAYMENT, deploy, document, start

ALL_DISTINCT = "inputs.items.all(x, inputs.items.exists_one(y, y == x))"

#: A run over a list input; the decision checks that no item repeats.
DISTINCT: dict[str, Any] = {
    "format": 1,
    "key": "distinct",
    "label": "Distinct items",
    "inputs": [{"name": "items", "type": "list", "required": True}],
    "nodes": [
        {"id": "start", "type": "start"},
        {
            "id": "check",
            "type": "decision",
            "label": "All distinct?",
            "outcomes": [{"id": "yes", "label": "Yes", "condition": "size(inputs.items) > 0"}],
        },
        {"id": "done", "type": "end"},
    ],
    "edges": [
        {"id": "e1", "source": "start", "target": "check"},
        {"id": "e2", "source": "check", "target": "done", "outcome": "yes"},
        {"id": "e3", "source": "check", "target": "done", "outcome": "default"},
    ],
}


def timer_at(at: str) -> dict[str, Any]:
    return {
        "format": 1,
        "key": "later",
        "label": "Later",
        "inputs": [{"name": "when", "type": "string", "required": True}],
        "nodes": [
            {"id": "start", "type": "start"},
            {"id": "wait", "type": "stage", "label": "Wait"},
            {"id": "until", "type": "wait", "stage": "wait", "label": "Until then", "timer": {"at": at}},
            {"id": "done", "type": "end"},
        ],
        "edges": [{"id": "e1", "source": "start", "target": "wait"}, {"id": "e2", "source": "wait", "target": "done"}],
    }


@pytest.fixture
def ada(login):
    return login("ada")


def test_the_all_distinct_check_is_refused_when_saved_with_node_field_and_column(ada):
    doc = document(DISTINCT)
    doc["nodes"][1]["outcomes"][0]["condition"] = ALL_DISTINCT
    assert ada.post("/api/orchestrations", json=doc).status_code == 201
    issues = ada.post("/api/orchestrations/distinct/validate").get_json()["issues"]
    costly = [i for i in issues if "budget" in i["message"]]
    assert [(i["node"], i["field"], i["column"]) for i in costly] == [("check", "outcomes[0].condition", 13)]
    activated = ada.post("/api/orchestrations/distinct/activate")
    assert activated.status_code == 422 and activated.get_json()["error"]["code"] == "invalid_document"


def test_a_two_thousand_item_input_is_a_422_naming_the_input_and_no_run_starts(ada, login):
    deploy(ada, DISTINCT)
    sam = login("sam")
    response = sam.post("/api/runs", json={"orchestration": "distinct", "inputs": {"items": list(range(2000))}})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["details"] == {"inputs": {"items": "has 2,000 items; at most 1,000 are allowed (OVERTURE_MAX_LIST_ITEMS)"}}
    assert sam.get("/api/runs?orchestration=distinct").get_json()["items"] == []
    assert start(sam, "distinct", items=list(range(1000)))["status"] == "completed"


def test_a_list_too_long_deep_inside_an_input_is_named_by_its_path(ada, login):
    deploy(ada, DISTINCT)
    response = login("sam").post("/api/runs", json={"orchestration": "distinct", "inputs": {"items": [{"tags": [0] * 1001}]}})
    assert response.status_code == 422
    # Keyed by the input, so that the Start run form shows it next to its field; the message says where.
    assert response.get_json()["error"]["details"] == {
        "inputs": {"items": "items[0].tags has 1,001 items; at most 1,000 are allowed (OVERTURE_MAX_LIST_ITEMS)"}
    }


def test_a_record_field_over_the_cap_is_a_422_and_nothing_is_stored(ada, login):
    created = ada.post("/api/record-types", json={"name": "note", "fields": [{"name": "lines", "type": "list"}]})
    assert created.status_code == 201, created.get_json()
    sam = login("sam")
    response = sam.post("/api/records/note", json={"fields": {"lines": [{"n": n} for n in range(1001)]}})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["details"] == {
        "fields": {"lines": "has 1,001 items; at most 1,000 are allowed (OVERTURE_MAX_LIST_ITEMS)"}
    }
    assert sam.get("/api/records/note").get_json()["items"] == []


def test_an_event_payload_nested_too_deep_is_a_422_naming_where(ada):
    deploy(ada, PAYMENT)
    nested: Any = 1
    for _ in range(40):
        nested = [nested]
    response = ada.post("/api/events", json={"name": "payment_received", "correlation": "A-1", "payload": {"lines": nested}})
    assert response.status_code == 422, response.get_json()
    details = response.get_json()["error"]["details"]
    assert list(details) == ["payload.lines" + "[0]" * 31]
    assert "more than 32 deep (OVERTURE_MAX_VALUE_DEPTH)" in details["payload.lines" + "[0]" * 31][0]


def test_a_timer_at_far_in_the_future_is_refused_when_saved(ada):
    assert ada.post("/api/orchestrations", json=timer_at("'9999-12-31T23:59:59Z'")).status_code == 201
    issues = ada.post("/api/orchestrations/later/validate").get_json()["issues"]
    assert [(i["node"], i["field"], i["message"]) for i in issues] == [
        ("until", "timer.at", "gave '9999-12-31T23:59:59Z', more than 100 years from now")
    ]


def test_a_timer_at_that_is_no_time_is_refused_when_saved(ada):
    assert ada.post("/api/orchestrations", json=timer_at("'next tuesday'")).status_code == 201
    issues = ada.post("/api/orchestrations/later/validate").get_json()["issues"]
    assert [(i["node"], i["field"]) for i in issues] == [("until", "timer.at")]
    assert "not a date and time with an offset" in issues[0]["message"]


@pytest.mark.parametrize("when", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00", "tomorrow"])
def test_a_timer_at_computed_out_of_range_puts_the_run_in_error_not_a_500(ada, login, when):
    deploy(ada, timer_at("inputs.when"))
    sam = login("sam")
    response = sam.post("/api/runs", json={"orchestration": "later", "inputs": {"when": when}})
    assert response.status_code == 201, response.get_json()
    run = response.get_json()
    assert run["status"] == "error"
    assert run["error"]["node"] == "until" and run["error"]["field"] == "timer.at"
    assert repr(when) in run["error"]["message"]
    fine = sam.post("/api/runs", json={"orchestration": "later", "inputs": {"when": "2030-01-01T00:00:00Z"}})
    assert fine.get_json()["status"] == "in_progress"


def test_a_declared_max_items_lets_the_check_through_and_is_enforced_when_a_run_starts(ada, login):
    doc = document(DISTINCT)
    doc["inputs"][0]["max_items"] = 200
    doc["nodes"][1]["outcomes"][0]["condition"] = ALL_DISTINCT
    deploy(ada, doc)
    sam = login("sam")
    assert start(sam, "distinct", items=list(range(200)))["status"] == "completed"
    response = sam.post("/api/runs", json={"orchestration": "distinct", "inputs": {"items": list(range(201))}})
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == {"inputs": {"items": "has 201 items; at most 200 are allowed (its max_items)"}}


def test_a_limit_that_is_not_a_positive_integer_stops_the_app_at_start(monkeypatch):
    from builder import create_app
    from runtime import limits

    monkeypatch.setenv("OVERTURE_MAX_LIST_ITEMS", "lots")
    limits.use(None)
    try:
        with pytest.raises(ValueError, match="OVERTURE_MAX_LIST_ITEMS must be a positive integer, not 'lots'"):
            create_app({"TESTING": True, "SECRET_KEY": "test"})
    finally:
        monkeypatch.delenv("OVERTURE_MAX_LIST_ITEMS")
        limits.use(None)
