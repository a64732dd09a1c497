"""Input that used to give a 500 is refused at the boundary with a clear 4xx (issue 12's
findings): half a UTF-16 pair in any text (JSON bodies and scenario files), characters
YAML cannot read, record-type fields that are not objects, an integer no double can hold."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.builder.api_support import EXPENSE, deploy

LONE = "\ud800"


def post(client: Any, path: str, body: Any) -> Any:
    # json.dumps escapes the surrogate as \ud800, as a hostile client would send it.
    return client.post(path, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    ("path", "body", "where"),
    [
        ("/api/groups", {"name": "auditors", "label": f"Audit{LONE}"}, "label"),
        ("/api/tokens", {"name": f"crm{LONE}"}, "name"),
        ("/api/users", {"username": "nina", "password": "long enough to pass 1", "role": "member", "display_name": LONE}, "display_name"),
        ("/api/users", {"username": "nina", "password": "long enough to pass 1", "role": "member", "groups": ["legal", LONE]}, "groups.1"),
        ("/api/record-types", {"name": "thing", "fields": [{"name": "title", "type": "string", "label": f"T{LONE}"}]}, "fields.0.label"),
    ],
)
def test_a_lone_surrogate_anywhere_in_a_body_is_a_422_naming_where(login, path, body, where):
    response = post(login("ada"), path, body)
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid_text" and error["details"] == {where: ["has a lone surrogate"]}
    assert error["message"].startswith(f"{where} has a lone surrogate")


def test_a_lone_surrogate_in_a_key_is_refused_too(login):
    response = post(login("ada"), "/api/groups", {"name": "auditors", f"x{LONE}": 1})
    assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_text"


def test_even_an_anonymous_sign_in_with_one_gets_a_422_not_a_500(login):
    response = post(login(None), "/api/session", {"username": LONE, "password": "whatever"})
    assert response.status_code == 422 and response.get_json()["error"]["details"] == {"username": ["has a lone surrogate"]}


def test_valid_text_beyond_the_basic_plane_is_still_accepted(login):
    response = post(login("ada"), "/api/groups", {"name": "emoji_fans", "label": "Fans 🎻"})
    assert response.status_code == 201 and response.get_json()["label"] == "Fans 🎻"


def test_record_type_fields_that_are_not_objects_are_a_422_and_nothing_is_stored(login):
    ada = login("ada")
    response = post(ada, "/api/record-types", {"name": "thing", "fields": [[None, None]]})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["details"]["fields"] == {"0": {"_schema": ["Invalid input type."]}}
    assert "thing" not in [t["name"] for t in ada.get("/api/record-types").get_json()["items"]]


def test_errors_of_list_items_and_of_the_whole_list_together_are_a_422(login):
    """marshmallow keys item errors by index and the list's own by "_schema": JSON could not sort them."""
    response = post(
        login("ada"),
        "/api/record-types",
        {
            "name": "thing",
            "fields": [{"name": "a", "type": "string"}, {"name": "a", "type": "string"}, {"name": "not valid!", "type": "string"}],
        },
    )
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert response.get_json()["error"]["details"]["fields"] == {
        "2": {"name": ["must be an identifier (letters, digits, _)"]},
        "_schema": ["field names must be unique: a"],
    }


def test_an_integer_no_double_can_hold_is_a_400_not_a_500(login):
    ada = login("ada")
    assert post(ada, "/api/record-types", {"name": "deal", "fields": [{"name": "amount", "type": "number"}]}).status_code == 201
    response = ada.post("/api/records/deal", data='{"fields": {"amount": %s}}' % ("9" * 400), content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "malformed_json"
    assert ada.get("/api/records/deal").get_json()["items"] == []
    assert post(ada, "/api/records/deal", {"fields": {"amount": 10**300}}).status_code == 201  # big, but a number


@pytest.mark.parametrize(
    ("name", "where", "message"),
    [
        ("Bell\x07", 3, "character #x0007 is not allowed"),  # YAML's reader refuses control characters
        ('"\\ud800"', 3, "has a lone surrogate"),  # YAML's own escape for half a UTF-16 pair
    ],
)
def test_scenario_sources_yaml_cannot_hold_are_a_422_naming_the_line(login, name, where, message):
    ada = login("ada")
    deploy(ada, EXPENSE)
    source = f"scenario: 1\norchestration: expense\nname: {name}\nsteps:\n  - start: {{inputs: {{amount: 5}}}}\n"
    response = ada.put("/api/orchestrations/expense/scenarios/hostile", json={"source": source})
    assert response.status_code == 422, response.get_json()
    (problem,) = response.get_json()["error"]["details"]["problems"]
    assert problem["line"] == where and message in problem["message"]
    assert ada.get("/api/orchestrations/expense/scenarios").get_json()["items"] == []


@pytest.mark.parametrize(("method", "path"), [("POST", "/api/groups"), ("DELETE", "/api/session")])
def test_a_csrf_header_with_non_ascii_text_is_a_403_not_a_500(login, method, path):
    """compare_digest refuses str with non-ASCII characters; headers arrive as Latin-1 text."""
    ada = login("ada")
    response = ada.http.open(path, method=method, json={"name": "x"}, headers={"X-CSRF-Token": "é" * 43})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "csrf"
    assert ada.get("/api/session").status_code == 200  # still signed in
