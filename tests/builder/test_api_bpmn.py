"""BPMN over the API (issue 17): import a file as a draft with its report, export a
version or the draft as a file; hostile files refused with nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.bpmn import export_bpmn, import_bpmn
from runtime.bpmn.xml import BPMN_NS
from runtime.templates import TEMPLATES, load
from tests.builder.api_support import BROKEN, EXPENSE, deploy, document, error_code, start
from tests.builder.conftest import Client

FIXTURES = Path(__file__).parent.parent / "runtime" / "bpmn"
IMPORT = "/api/orchestrations/import/bpmn"
XML = {"Content-Type": "application/xml"}


def import_file(client: Client, data: bytes, content_type: str = "application/xml"):
    return client.post(IMPORT, data=data, headers={"Content-Type": content_type})


def keys(admin: Client) -> set[str]:
    response = admin.get("/api/orchestrations")
    assert response.status_code == 200
    return {o["key"] for o in response.get_json()["items"]}


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.bpmn")), ids=lambda p: p.stem)
def test_an_imported_file_is_a_draft_with_its_report(login, path: Path):
    ada = login("ada")
    data = path.read_bytes()
    expected = import_bpmn(data)
    response = import_file(ada, data)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    key = body["key"]
    assert key == expected.document["key"]
    assert body["report"] == expected.report.to_json()
    assert body["report"]["counts"]["mapped"] > 0
    assert body["draft"]["revision"] == 1 and body["draft"]["updated_by"] == "ada"
    assert body["draft"]["document"] == expected.document
    assert body["issues"] == body["draft"]["issues"]
    # None of the foreign fixtures validates as it comes (actions to choose, assignees to set): saved all the same.
    assert body["valid"] is False and any(i["severity"] == "error" for i in body["issues"])
    assert response.headers["ETag"] == '"1"'
    saved = ada.get(f"/api/orchestrations/{key}")
    assert saved.status_code == 200
    assert saved.get_json()["draft"]["document"] == expected.document
    assert saved.get_json()["active_version"] is None  # a draft alone, until an admin activates it


def test_text_xml_and_bpmn_xml_types_are_taken(login):
    ada = login("ada")
    data = (FIXTURES / "camunda_modeler.bpmn").read_bytes()
    assert import_file(ada, data, "text/xml; charset=utf-8").status_code == 201
    assert import_file(ada, data, "application/bpmn+xml").status_code == 201


def test_a_taken_key_gets_the_next_free_one_and_the_report_says_so(login):
    ada = login("ada")
    data = (FIXTURES / "signavio_order.bpmn").read_bytes()
    key = import_bpmn(data).document["key"]
    first, second, third = (import_file(ada, data).get_json() for _ in range(3))
    assert [first["key"], second["key"], third["key"]] == [key, f"{key}_2", f"{key}_3"]
    assert second["draft"]["document"]["key"] == f"{key}_2"
    assert any(f"saved as {key}_2" in note for note in second["report"]["notes"])
    assert not any("saved as" in note for note in first["report"]["notes"])


def test_a_chosen_key_and_label_name_the_draft_and_a_taken_chosen_key_is_a_409(login):
    ada = login("ada")
    data = (FIXTURES / "signavio_order.bpmn").read_bytes()
    response = ada.post(f"{IMPORT}?key=orders&label=Customer%20orders", data=data, headers=XML)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["key"] == "orders" and body["draft"]["document"]["key"] == "orders"
    assert body["draft"]["document"]["label"] == "Customer orders"
    before = keys(ada)
    again = ada.post(f"{IMPORT}?key=orders", data=data, headers=XML)
    assert again.status_code == 409 and "orders" in again.get_json()["error"]["message"]
    bad = ada.post(f"{IMPORT}?key=Not-A-Key", data=data, headers=XML)
    assert bad.status_code == 400 and "key" in bad.get_json()["error"]["details"]
    assert keys(ada) == before


def test_a_taken_key_of_the_longest_length_is_cut_to_fit_its_number(login):
    ada = login("ada")
    data = export_bpmn(document(EXPENSE, key="e" * 64))
    assert import_file(ada, data).get_json()["key"] == "e" * 64
    again = import_file(ada, data).get_json()["key"]
    assert again == "e" * 62 + "_2"
    assert ada.get(f"/api/orchestrations/{again}").status_code == 200


def test_an_import_over_an_active_orchestration_never_touches_it(login):
    ada = login("ada")
    deploy(ada, EXPENSE)
    before = ada.get("/api/orchestrations/expense").get_json()
    exported = ada.get("/api/orchestrations/expense/versions/1/bpmn")
    response = import_file(ada, exported.data)
    assert response.status_code == 201
    assert response.get_json()["key"] == "expense_2"
    assert response.get_json()["draft"]["document"] == document(EXPENSE, key="expense_2")
    assert ada.get("/api/orchestrations/expense").get_json() == before


@pytest.mark.parametrize("name", TEMPLATES)
def test_an_export_of_a_template_imports_back_to_the_same_document(login, name: str):
    ada = login("ada")
    template = load(name)
    response = import_file(ada, export_bpmn(template))
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["key"] == template["key"]
    assert body["draft"]["document"] == template
    assert body["report"]["round_trip"] is True
    assert body["report"]["counts"]["unmapped"] == 0


def _billion_laughs() -> bytes:
    lol = "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    return f'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">{lol}]><definitions xmlns="{BPMN_NS}">&lol9;</definitions>'.encode()


HOSTILE = {
    "billion laughs": (_billion_laughs(), "DTD"),
    "external entity": (
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        f'<definitions xmlns="{BPMN_NS}"><process id="p" name="&xxe;"/></definitions>'.encode(),
        "refused",
    ),
    "external dtd": (
        f'<?xml version="1.0"?><!DOCTYPE definitions SYSTEM "http://127.0.0.1:9/bpmn.dtd"><definitions xmlns="{BPMN_NS}"/>'.encode(),
        "DTD",
    ),
    "deep nesting": (
        f'<definitions xmlns="{BPMN_NS}">'.encode() + b"<a>" * 10_000 + b"</a>" * 10_000 + b"</definitions>",
        "nested more than 200 deep",
    ),
    "not xml": (b"just some text", "not XML"),
    "a zip": (b"PK\x03\x04\x14\x00\x00\x00", "not XML"),
    "empty": (b"", "empty"),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>', "not BPMN 2.0"),
    "no process": (f'<definitions xmlns="{BPMN_NS}"><collaboration id="c"/></definitions>'.encode(), "no <process>"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_or_foreign_body_is_a_400_with_the_reason_and_nothing_is_written(login, name: str):
    ada = login("ada")
    data, words = HOSTILE[name]
    response = import_file(ada, data)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert error_code(response) == "invalid_bpmn"
    assert words in response.get_json()["error"]["message"]
    assert "root:" not in response.get_data(as_text=True)  # /etc/passwd was not read
    assert keys(ada) == set()


def test_a_body_over_the_size_limit_is_a_413_and_nothing_is_written(login, app):
    ada = login("ada")
    limit = app.config["MAX_CONTENT_LENGTH"]
    data = f'<definitions xmlns="{BPMN_NS}">'.encode() + b" " * limit + b"</definitions>"
    response = import_file(ada, data)
    assert response.status_code == 413
    assert keys(ada) == set()


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", "multipart/form-data; boundary=x"])
def test_a_body_not_sent_as_xml_is_a_415(login, content_type: str):
    ada = login("ada")
    response = import_file(ada, (FIXTURES / "camunda_modeler.bpmn").read_bytes(), content_type)
    assert response.status_code == 415
    assert "application/xml" in response.get_json()["error"]["message"]
    assert keys(ada) == set()


def test_only_admins_import(login):
    data = (FIXTURES / "camunda_modeler.bpmn").read_bytes()
    for name in ("otto", "sam"):
        assert import_file(login(name), data).status_code == 403
    assert import_file(login(None), data).status_code == 401
    assert keys(login("ada")) == set()


# --------------------------------------------------------------------------- export


def test_a_version_exports_as_a_bpmn_file_that_imports_back_identical(login):
    ada = login("ada")
    deploy(ada, EXPENSE)
    response = ada.get("/api/orchestrations/expense/versions/1/bpmn")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    assert response.headers["Content-Disposition"] == 'attachment; filename="expense-v1.bpmn"'
    assert response.data.startswith(b"<?xml")
    assert import_bpmn(response.data).document == EXPENSE


def test_the_draft_exports_and_an_unknown_one_is_a_404(login):
    ada = login("ada")
    changed = document(EXPENSE, label="Expense (being changed)")
    assert ada.post("/api/orchestrations", json=changed).status_code == 201
    response = ada.get("/api/orchestrations/expense/draft/bpmn")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="expense-draft.bpmn"'
    assert import_bpmn(response.data).document == changed
    assert login("otto").get("/api/orchestrations/expense/draft/bpmn").status_code == 200
    assert ada.get("/api/orchestrations/nothing/draft/bpmn").status_code == 404
    assert ada.get("/api/orchestrations/expense/versions/1/bpmn").status_code == 404  # not activated yet
    assert ada.get("/api/orchestrations/nothing/versions/1/bpmn").status_code == 404


def test_a_draft_that_is_not_a_document_still_exports(login):
    ada = login("ada")
    odd = {"key": "odd", "nodes": [1, {"id": 3}], "edges": [{"source": 1}]}
    assert ada.post("/api/orchestrations", json=odd).status_code == 201
    response = ada.get("/api/orchestrations/odd/draft/bpmn")
    assert response.status_code in (200, 422), response.get_data(as_text=True)[:300]


def test_members_export_what_they_may_read_without_action_inputs(login):
    ada = login("ada")
    deploy(ada, EXPENSE)
    deploy(ada, BROKEN)
    for name in ("sam", "mallory"):  # the active version: anyone who may start a run reads it
        response = login(name).get("/api/orchestrations/broken/versions/1/bpmn")
        assert response.status_code == 200
        assert b"record.update" in response.data and b"status" not in response.data
        (update,) = (n for n in import_bpmn(response.data).document["nodes"] if n["id"] == "update")
        assert "inputs" not in update
    (update,) = (
        n for n in import_bpmn(ada.get("/api/orchestrations/broken/versions/1/bpmn").data).document["nodes"] if n["id"] == "update"
    )
    assert update["inputs"] == BROKEN["nodes"][2]["inputs"]  # staff read them
    assert login("sam").get("/api/orchestrations/expense/draft/bpmn").status_code == 403
    # an old version: only those who follow a run of it (and staff)
    run = start(login("sam"))
    deploy(ada, document(EXPENSE, label="Expense v2"))
    assert login("sam").get("/api/orchestrations/expense/versions/1/bpmn").status_code == 200, run
    assert login("mallory").get("/api/orchestrations/expense/versions/1/bpmn").status_code == 404
    assert login("otto").get("/api/orchestrations/expense/versions/1/bpmn").status_code == 200
    assert import_bpmn(login("otto").get("/api/orchestrations/expense/versions/1/bpmn").data).document == EXPENSE


def test_the_openapi_document_says_xml(login):
    spec = login(None).get("/api/openapi.json").get_json()
    imported = spec["paths"]["/api/orchestrations/import/bpmn"]["post"]
    assert set(imported["requestBody"]["content"]) == {"application/xml", "text/xml"}
    assert {"413", "415", "422"} <= set(imported["responses"])
    exported = spec["paths"]["/api/orchestrations/{key}/versions/{number}/bpmn"]["get"]
    assert set(exported["responses"]["2XX"]["content"]) == {"application/xml"}
    assert imported["x-roles"] == ["admin"]


# --------------------------------------------------------------------------- garbage never a 500

GARBAGE = settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
nodes = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.text(max_size=6) | st.integers(),
            "type": st.sampled_from(["start", "end", "stage", "interactive", "background", "wait", "decision", "x"]),
        },
        optional={"stage": st.text(max_size=4), "ui": json_values, "label": json_values, "outcomes": json_values, "due": json_values},
    )
    | json_values,
    max_size=6,
)


def test_garbage_drafts_export_as_bpmn_or_a_422_never_a_500(app, login):
    ada = login("ada")
    counter = iter(range(10_000))

    @GARBAGE
    @given(extra=st.dictionaries(st.text(max_size=8), json_values, max_size=4), nodes=nodes, edges=json_values)
    def check(extra: dict, nodes: list, edges: object) -> None:
        key = f"odd{next(counter)}"
        draft = {**extra, "key": key, "nodes": nodes, "edges": edges}
        assert ada.post("/api/orchestrations", json=draft).status_code == 201
        response = ada.get(f"/api/orchestrations/{key}/draft/bpmn")
        assert response.status_code in (200, 422), response.get_data(as_text=True)[:300]

    check()


def test_the_export_of_a_step_without_a_stage_imports_back(login):
    """A draft may be half made: a step with no stage, nodes with no id. Its export imports
    back without a 500 (it was a KeyError in runtime/bpmn/roundtrip.py)."""
    ada = login("ada")
    assert ada.post("/api/orchestrations", json={"key": "odd", "nodes": [{"type": "interactive"}], "edges": []}).status_code == 201
    exported = ada.get("/api/orchestrations/odd/draft/bpmn")
    assert exported.status_code == 200
    assert import_file(ada, exported.data).status_code in (201, 400)


def test_garbage_bodies_are_a_4xx_and_write_nothing(app, login):
    ada = login("ada")
    fixture = (FIXTURES / "camunda_modeler.bpmn").read_bytes()
    created: set[str] = set()

    @GARBAGE
    @given(
        data=st.binary(max_size=200)
        | st.builds(lambda cut, junk: fixture[:cut] + junk, st.integers(0, len(fixture) - 1), st.binary(max_size=20))
    )
    def check(data: bytes) -> None:
        response = import_file(ada, data)
        assert response.status_code in (201, 400), response.get_data(as_text=True)[:300]
        if response.status_code == 400:
            assert error_code(response) == "invalid_bpmn"
        else:  # a cut that still parses (its last tag closed by the junk) is a file like any other
            created.add(response.get_json()["key"])

    check()
    assert keys(ada) == created  # a refused body wrote nothing
