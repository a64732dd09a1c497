"""Input that used to give a 500 is refused at the boundary with a clear 4xx (issue 12's
findings): half a UTF-16 pair in any text, record-type fields that are not objects, an
integer no double can hold."""

from __future__ import annotations

import json
from typing import Any

import pytest

LONE = "\ud800"


def post(client: Any, path: str, body: Any) -> Any:
    # json.dumps escapes the surrogate as \ud800, as a hostile client would send it.
    return client.post(path, data=json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(("path", "body", "where"), [
    ("/api/groups", {"name": "auditors", "label": f"Audit{LONE}"}, "label"),
    ("/api/tokens", {"name": f"crm{LONE}"}, "name"),
    ("/api/users", {"username": "nina", "password": "long enough to pass 1", "role": "member", "display_name": LONE}, "display_name"),
    ("/api/users", {"username": "nina", "password": "long enough to pass 1", "role": "member", "groups": ["legal", LONE]}, "groups.1"),
    ("/api/record-types", {"name": "thing", "fields": [{"name": "title", "type": "string", "label": f"T{LONE}"}]}, "fields.0.label"),
])
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


def test_an_integer_no_double_can_hold_is_a_400_not_a_500(login):
    ada = login("ada")
    assert post(ada, "/api/record-types", {"name": "deal", "fields": [{"name": "amount", "type": "number"}]}).status_code == 201
    response = ada.post("/api/records/deal", data='{"fields": {"amount": %s}}' % ("9" * 400), content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "malformed_json"
    assert ada.get("/api/records/deal").get_json()["items"] == []
    assert post(ada, "/api/records/deal", {"fields": {"amount": 10**300}}).status_code == 201  # big, but a number
