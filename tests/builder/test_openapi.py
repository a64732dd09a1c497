"""GET /api/openapi.json: generated from the app, so no route goes undocumented."""

from __future__ import annotations

import re
from typing import Any

from apispec.ext.marshmallow import resolver
from flask import jsonify

from builder.requests import StrictSchema, body, uses

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


def document(app: Any) -> dict[str, Any]:
    response = app.test_client().get("/api/openapi.json")
    assert response.status_code == 200 and response.is_json
    return response.get_json()


def api_routes(app: Any) -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every HTTP route under /api in the url map."""
    return {
        (re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule), method.lower())
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and not rule.websocket
        for method in (rule.methods or set()) & METHODS
    }


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [node["$ref"]] if "$ref" in node else [r for v in node.values() for r in refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in refs(v)]
    return []


def test_every_api_route_and_method_is_documented(app):
    doc = document(app)
    documented = {(path, method) for path, item in doc["paths"].items() for method in item if method.upper() in METHODS}
    routes = api_routes(app)
    assert routes - documented == set(), "routes missing from /api/openapi.json"
    assert documented - routes == set(), "documented routes that do not exist"
    assert len(routes) >= 40


def test_the_document_is_openapi_3_with_the_input_schemas_errors_and_security(app):
    doc = document(app)
    assert doc["openapi"].startswith("3.") and doc["info"]["title"] == "Overture"
    components = doc["components"]
    loaded = {
        resolver(uses.body)
        for view in app.view_functions.values()
        if (uses := getattr(view, "uses", None)) is not None and uses.body is not None
    }
    assert {"RunIn", "CompleteIn", "RecordIn", "EventIn", "UserIn", "DocumentIn", "Login"} <= loaded
    assert loaded | {"AssigneeIn", "RecordRef", "FieldIn", "Error"} <= set(components["schemas"])
    assert set(components["securitySchemes"]) == {"session", "csrf", "bearer"}
    assert components["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": components["securitySchemes"]["bearer"]["description"],
    }
    assert components["schemas"]["Error"]["properties"]["error"]["required"] == ["code", "message"]
    # Every reference resolves.
    for ref in refs(doc):
        kind, name = ref.removeprefix("#/components/").split("/")
        assert name in components[kind], ref
    # Every {parameter} of a path is declared, and only those.
    for path, item in doc["paths"].items():
        declared = {p["name"] for p in item.get("parameters", []) if p["in"] == "path"}
        assert declared == set(re.findall(r"{(\w+)}", path)), path


def test_operations_say_what_they_read_and_who_may_call(app):
    paths = document(app)["paths"]
    start = paths["/api/runs"]["post"]
    assert start["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/RunIn"}
    assert start["requestBody"]["required"] is True
    assert start["security"] == [{"session": [], "csrf": []}, {"bearer": []}]
    assert start["x-roles"] == ["admin", "ops", "member"] and start["x-bearer-tokens"] is True
    assert {"401", "403", "415", "422"} <= set(start["responses"])
    assert paths["/api/runs/{run_id}/cancel"]["post"]["requestBody"]["required"] is False
    listed = {p["name"] for p in paths["/api/runs"]["get"]["parameters"]}
    assert {"orchestration", "status", "assignee", "started_after", "cursor", "limit"} <= listed
    assert paths["/api/runs"]["get"]["security"] == [{"session": []}]
    version = paths["/api/orchestrations/{key}/versions/{number}"]
    assert {p["name"]: p["schema"]["type"] for p in version["parameters"]} == {"key": "string", "number": "integer"}
    insights = {p["name"]: p for p in paths["/api/orchestrations/{key}/insights"]["get"]["parameters"]}
    assert set(insights) == {"version", "window"}  # the path's key is listed with the path
    assert insights["window"]["in"] == "query" and set(insights["window"]["schema"]["enum"]) == {"hour", "day", "week", "all"}
    assert paths["/api/openapi.json"]["get"]["security"] == []
    assert paths["/api/session"]["post"]["security"] == []
    assert paths["/api/users"]["post"]["x-roles"] == ["admin"]


class Probe(StrictSchema):
    pass


def test_a_new_route_is_documented_and_must_declare_what_it_loads(app):
    @uses(Probe)
    def declared(n: int) -> Any:
        body(Probe())
        return jsonify({})

    def undeclared() -> Any:
        body(Probe())
        return jsonify({})

    app.add_url_rule("/api/probe/<int:n>", "probe", declared, methods=["POST"])
    app.add_url_rule("/api/sneaky", "sneaky", undeclared, methods=["POST"])
    paths = document(app)["paths"]
    assert paths["/api/probe/{n}"]["post"]["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Probe"}
    assert "post" in paths["/api/sneaky"]
    client = app.test_client()
    assert client.post("/api/probe/1", json={}).status_code == 200
    # Loading a schema the view did not declare is our bug: a 500, caught by any test of the route.
    assert client.post("/api/sneaky", json={}).status_code == 500


def test_the_document_needs_no_sign_in_and_is_json(app):
    response = app.test_client().get("/api/openapi.json", headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.mimetype == "application/json"
