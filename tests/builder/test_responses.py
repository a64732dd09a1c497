"""What every answer carries (issue 12, "Responses and the spec"): security headers on API,
pages, assets and errors alike; 405 with ``Allow``; a chunked body over the limit is a 413;
booleans and integers in bodies are JSON booleans and integers; the OpenAPI document names
401, 413 and 429 where they occur."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from marshmallow import Schema, fields

from builder.requests import Bool
from tests.builder.api_support import EXPENSE, deploy
from tests.builder.test_openapi import document
from tests.builder.test_spa import make_build

SCRIPT = "window.early = fetch('/api/session');"
INDEX = f"<!doctype html><title>Overture</title><script>{SCRIPT}</script><script type=module src=/assets/index-abc.js></script>"


def sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@pytest.fixture
def build(app, tmp_path) -> Path:
    return make_build(app, tmp_path / "app-build", INDEX, "index-abc.js")


@pytest.fixture
def answers(app, build, login) -> Iterator[dict[str, Any]]:
    """One answer of each kind: API, page, asset, JSON and page 404s, 405, 413, 500."""

    def boom() -> Any:
        raise RuntimeError("a bug of ours")

    app.add_url_rule("/api/boom", "boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer the 500 as in production
    ada = login("ada")
    responses = {
        "api": ada.get("/api/session"),
        "unauthenticated": login(None).get("/api/runs"),
        "page": ada.get("/builder/expense"),
        "asset": ada.get("/assets/index-abc.js"),
        "page 404": ada.get("/no/such/page", headers={"Accept": "text/html"}),
        "api 404": ada.get("/api/no-such-thing"),
        "405": ada.put("/api/session", json={}),
        "413": ada.post("/api/groups", data="x" * (app.config["MAX_CONTENT_LENGTH"] + 1), content_type="application/json"),
        "500": ada.get("/api/boom"),
    }
    yield responses
    for response in responses.values():
        response.close()  # files served from the build


@pytest.mark.parametrize("kind", ["api", "unauthenticated", "page", "asset", "page 404", "api 404", "405", "413", "500"])
def test_every_answer_carries_the_security_headers(answers, kind):
    response = answers[kind]
    policy = response.headers["Content-Security-Policy"]
    directives = dict((d.split(" ", 1) + [""])[:2] for d in policy.split("; "))
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert directives["default-src"] == "'self'" and directives["connect-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["script-src"] == f"'self' {sha256(SCRIPT)}"  # the page's one inline script, by its hash
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP: no HSTS


def test_the_script_hash_follows_the_build_that_is_served(app, build):
    client = app.test_client()
    with client.get("/") as response:
        assert sha256(SCRIPT) in response.headers["Content-Security-Policy"]
    changed = "window.early = null;"
    (build / "index.html").write_text(INDEX.replace(SCRIPT, changed))
    with client.get("/") as response:
        policy = response.headers["Content-Security-Policy"]
    assert sha256(changed) in policy and sha256(SCRIPT) not in policy


def test_hsts_only_when_cookies_are_secure(app, login):
    assert "Strict-Transport-Security" not in login(None).get("/api/openapi.json").headers
    app.config["SESSION_COOKIE_SECURE"] = True  # what OVERTURE_SECURE_COOKIES=1 sets
    assert login(None).get("/api/openapi.json").headers["Strict-Transport-Security"] == "max-age=31536000"


def test_a_405_says_which_methods_the_url_takes_in_allow_and_in_the_json_body(answers):
    response = answers["405"]
    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) >= {"GET", "POST", "DELETE"}
    error = response.get_json()["error"]
    assert error["code"] == "method_not_allowed"
    assert error["message"] == "PUT is not allowed on /api/session; it takes DELETE, GET, POST"


def test_a_413_is_json_with_the_limit(answers, app):
    error = answers["413"].get_json()["error"]
    assert answers["413"].status_code == 413 and error["code"] == "request_entity_too_large"
    assert str(app.config["MAX_CONTENT_LENGTH"]) in error["message"]


def _chunked(address: str, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    host, port = address.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        pieces = (body[i : i + 65536] for i in range(0, len(body), 65536))
        connection.request("POST", path, body=pieces, headers={"Content-Type": "application/json", **headers}, encode_chunked=True)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_a_chunked_body_over_the_limit_is_a_413_not_malformed_json(app, server):
    """No Content-Length: Werkzeug used to cut the body at the limit, and the cut JSON was a 400."""
    limit = app.config["MAX_CONTENT_LENGTH"]
    big = json.dumps({"username": "a" * limit, "password": "x"}).encode()
    status, answer = _chunked(server, "/api/session", big, {})
    assert status == 413, answer
    assert answer["error"]["code"] == "request_entity_too_large" and str(limit) in answer["error"]["message"]
    # A chunked body under the limit is read whole, as before.
    status, answer = _chunked(server, "/api/session", json.dumps({"username": "ada", "password": "wrong"}).encode(), {})
    assert status == 401 and answer["error"]["code"] == "bad_credentials"


@pytest.mark.parametrize("required", [0, 1, "true", "false", "yes", [True]])
def test_record_type_fields_take_only_true_or_false_for_required(login, required):
    ada = login("ada")
    response = ada.post("/api/record-types", json={"name": "thing", "fields": [{"name": "title", "type": "string", "required": required}]})
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["error"]["details"]["fields"]["0"]["required"] == ["Not a valid boolean."]
    assert "thing" not in [t["name"] for t in ada.get("/api/record-types").get_json()["items"]]
    assert (
        ada.post("/api/record-types", json={"name": "thing", "fields": [{"name": "title", "type": "string", "required": True}]}).status_code
        == 201
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"target": "active", "save": 1}, "save"),
        ({"target": "active", "save": "true"}, "save"),
        ({"target": "active", "max_visits": "2"}, "max_visits"),
        ({"target": "active", "max_visits": 2.0}, "max_visits"),
        ({"target": "active", "max_visits": True}, "max_visits"),
    ],
)
def test_generating_scenarios_takes_real_booleans_and_integers(login, body, field):
    ada = login("ada")
    deploy(ada, EXPENSE)
    response = ada.post("/api/orchestrations/expense/scenarios/generate", json=body)
    assert response.status_code == 422 and field in response.get_json()["error"]["details"], response.get_json()
    assert (
        ada.post("/api/orchestrations/expense/scenarios/generate", json={"target": "active", "save": False, "max_visits": 2}).status_code
        == 200
    )


def test_the_mine_flag_of_the_work_list_is_true_1_false_or_0(login):
    sam = login("sam")
    for flag in ("true", "1", "false", "0"):
        assert sam.get(f"/api/work-items?mine={flag}").status_code == 200
    for flag in ("yes", "on", "y", "TRUE", "2"):
        assert sam.get(f"/api/work-items?mine={flag}").status_code == 400, flag


def _booleans(schema: type[Schema] | Schema, where: str) -> Iterator[tuple[str, fields.Field]]:
    instance = schema() if isinstance(schema, type) else schema
    for name, field in instance.fields.items():
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested):
            yield from _booleans(inner.schema, f"{where}.{name}")
        elif isinstance(inner, fields.Boolean):
            yield f"{where}.{name}", inner


def test_every_boolean_in_a_request_body_is_strict(app):
    """The class, not the examples: a body schema added later with fields.Boolean fails here."""
    bodies = {
        view.uses.body for view in app.view_functions.values() if getattr(view, "uses", None) is not None and view.uses.body is not None
    }
    found = [(where, field) for schema in bodies for where, field in _booleans(schema, schema.__name__)]
    assert found, "no boolean in any body: the check looks at nothing"
    lenient = [where for where, field in found if not isinstance(field, Bool)]
    assert not lenient, f"use builder.api.common.Bool for {lenient}"


def test_openapi_names_401_403_413_and_429_where_they_occur(app):
    paths = document(app)["paths"]
    sign_in = paths["/api/session"]["post"]
    assert sign_in["security"] == [] and {"401", "429", "413", "415", "422"} <= set(sign_in["responses"])
    assert "429" in paths["/api/profile/password"]["post"]["responses"]
    for path, item in paths.items():
        for method, operation in item.items():
            if method == "parameters":
                continue
            statuses = set(operation["responses"])
            if operation["security"]:
                assert {"401", "403"} <= statuses, (method, path)
            if "requestBody" in operation:
                assert "413" in statuses, (method, path)
            if "429" in statuses:
                assert (method, path) in {("post", "/api/session"), ("post", "/api/profile/password")}
    assert document(app)["components"]["responses"]["429"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
