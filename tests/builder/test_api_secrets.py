"""The secrets store: admins add credentials that action inputs name as
``secrets.<name>``; a value goes in and never comes out of the API, is encrypted at rest,
reaches the action that sends it on and is masked in whatever a run records."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from builder import create_app
from builder.cli import main
from builder.extensions import engine, state
from runtime.secrets import MASK, reference
from runtime.store.secrets import SqlSecrets
from runtime.store.tables import SecretRow
from tests.builder.api_support import EXPENSE, document, error_code, my_items

TOKEN = "sk_live_4f9a2c7e1b3d5f6a"  # what the CRM expects; must never surface


@pytest.fixture
def crm() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A local CRM: records each call's Authorization header and echoes it back, so a
    step's outputs would carry the token if nothing masked it."""
    calls: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            auth = self.headers.get("Authorization", "")
            calls.append({"path": self.path, "authorization": auth})
            status = 401 if self.path.startswith("/refuse") else 200
            payload = json.dumps({"seen": auth, "path": self.path}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("X-Echo", auth)
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", calls
    server.shutdown()
    server.server_close()


def crm_document(url: str, *, key: str = "crm_sync", path: str = "/leads", secret: str = "crm_token") -> dict[str, Any]:
    """EXPENSE, whose approval tells the CRM with the token from the secrets store."""
    approve = document(EXPENSE["nodes"][2])
    approve["form"]["outcomes"] = approve["form"]["outcomes"][:1]  # nothing to tell apart: every expense goes to the CRM
    return document(
        EXPENSE,
        key=key,
        nodes=[
            *EXPENSE["nodes"][:2],
            approve,
            EXPENSE["nodes"][5],
            {
                "id": "tell_crm",
                "type": "background",
                "stage": "review",
                "label": "Tell the CRM",
                "start": {"when": "after", "steps": ["approve"]},
                "action": "http.request",
                "retry": {"max_attempts": 1, "backoff": "PT1S"},
                "inputs": {
                    "url": f"'{url}{path}?key=' + secrets.{secret}",
                    "method": "'POST'",
                    "headers": f"{{'Authorization': 'Bearer ' + secrets.{secret}}}",
                    "body": "{'amount': inputs.amount}",
                },
            },
        ],
        edges=[EXPENSE["edges"][0], {"id": "e2", "source": "review", "target": "done"}],
    )


@pytest.fixture
def ada(login, app):
    engine_settings = app.extensions["overture"].engine.settings
    engine_settings["http_allowlist"] = ["127.0.0.1"]
    return login("ada")


def add(ada: Any, name: str = "crm_token", value: str = TOKEN) -> dict[str, Any]:
    response = ada.post("/api/secrets", json={"name": name, "value": value})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def run_through(ada: Any, login: Any, key: str = "crm_sync") -> str:
    """Start a run of ``key`` as sam and approve it as fiona: the CRM step runs."""
    run_id = login("sam").post("/api/runs", json={"orchestration": key, "inputs": {"amount": 5}}).get_json()["id"]
    fiona = login("fiona")
    (item,) = my_items(fiona, run=run_id)
    assert fiona.post(f"/api/work-items/{item['id']}/complete", json={"outcome": "approve"}).status_code == 200
    return run_id


def test_admins_add_replace_list_and_delete_secrets_and_never_read_a_value(ada, login):
    created = add(ada)
    assert created["name"] == "crm_token" and created["created_by"] == "ada" and created["created_by_name"] == "ada"
    assert "value" not in created and TOKEN not in json.dumps(created)
    assert ada.post("/api/secrets", json={"name": "crm_token", "value": "x"}).status_code == 409
    replaced = ada.put("/api/secrets/crm_token", json={"value": "sk_live_new_value_1234"})
    assert replaced.status_code == 200 and "value" not in replaced.get_json()
    listed = ada.get("/api/secrets")
    assert [s["name"] for s in listed.get_json()["items"]] == ["crm_token"]
    assert TOKEN not in listed.get_data(as_text=True) and "sk_live_new_value_1234" not in listed.get_data(as_text=True)

    # Bad input: 422 naming the field; nothing stored.
    for bad in (
        {"name": "crm token", "value": "x"},
        {"name": "9lives", "value": "x"},
        {"name": "a"},
        {"name": "a", "value": ""},
        {"name": "a", "value": "x" * 16_385},
        {"name": "a", "value": "x", "extra": 1},
    ):
        response = ada.post("/api/secrets", json=bad)
        assert response.status_code == 422, (bad, response.get_json())
    assert ada.put("/api/secrets/nothing", json={"value": "x"}).status_code == 404
    assert ada.delete("/api/secrets/nothing").status_code == 404

    # Nobody else may even list the names.
    for name in ("otto", "sam"):
        assert login(name).get("/api/secrets").status_code == 403
        assert login(name).post("/api/secrets", json={"name": "mine", "value": "x"}).status_code == 403
        assert login(name).put("/api/secrets/crm_token", json={"value": "x"}).status_code == 403
        assert login(name).delete("/api/secrets/crm_token").status_code == 403

    deleted = ada.delete("/api/secrets/crm_token")
    assert deleted.status_code == 204 and "Content-Type" not in deleted.headers  # no body, as OpenAPI says
    assert ada.get("/api/secrets").get_json()["items"] == []


def test_values_are_encrypted_at_rest_with_the_server_key(ada, app, tmp_path):
    add(ada)
    with app.app_context():
        with state().sessions() as s:
            row = s.scalar(select(SecretRow))
        assert row is not None and TOKEN not in row.ciphertext and TOKEN.encode().hex() not in row.ciphertext
        assert state().secrets.value("crm_token") == TOKEN
        # Another server key reads names, never values.
        stranger = SqlSecrets(state().store.engine, "another key")
        assert stranger.names() == {"crm_token"}
        with pytest.raises(ValueError, match="another server key"):
            stranger.value("crm_token")


def test_a_run_sends_the_secret_to_the_crm_and_records_it_nowhere(ada, login, app, crm, caplog):
    url, calls = crm
    caplog.set_level(logging.DEBUG)
    add(ada)
    assert ada.post("/api/orchestrations", json=crm_document(url)).status_code == 201
    assert ada.post("/api/orchestrations/crm_sync/activate").status_code == 200
    run_id = run_through(ada, login)

    # The CRM got the real token...
    assert calls == [{"path": f"/leads?key={TOKEN}", "authorization": f"Bearer {TOKEN}"}]
    # ...and everything the run recorded shows it masked.
    run = ada.get(f"/api/runs/{run_id}").get_json()
    assert run["status"] == "completed", run
    outputs = next(s for s in run["steps"] if s["id"] == "tell_crm")["outputs"]
    assert outputs["body"] == {"seen": f"Bearer {MASK}", "path": f"/leads?key={MASK}"}
    assert outputs["headers"]["X-Echo"] == f"Bearer {MASK}"
    seen = [
        ada.get(f"/api/runs/{run_id}"),
        ada.get(f"/api/runs/{run_id}/events?limit=200"),
        ada.get(f"/api/runs/{run_id}/scenario"),
        login("sam").get(f"/api/runs/{run_id}"),
        login("sam").get(f"/api/runs/{run_id}/events?limit=200"),
        ada.get("/api/orchestrations/crm_sync"),
        ada.get("/api/orchestrations/crm_sync/versions/1"),
        ada.get("/api/secrets"),
        ada.get("/api/orchestrations/crm_sync/insights"),
        ada.get("/api/work-items?status=completed"),
        ada.get("/api/notifications"),
    ]
    for response in seen:
        assert response.status_code == 200, (response.request.path, response.get_json())
        assert TOKEN not in response.get_data(as_text=True), response.request.path
    assert TOKEN not in caplog.text
    with app.app_context(), state().sessions() as s:  # the jobs table holds references, not the value
        from runtime.store.tables import JobRow, RunEventRow

        assert all(TOKEN not in json.dumps(j.inputs) for j in s.scalars(select(JobRow)))
        assert all(TOKEN not in json.dumps(e.data) for e in s.scalars(select(RunEventRow)))
    exported = CliRunner().invoke(
        main, ["export", "crm_sync", "--database-url", app.config["DATABASE_URL"]], env={"OVERTURE_SECRET_KEY": "test"}
    )
    assert exported.exit_code == 0 and "secrets.crm_token" in exported.output and TOKEN not in exported.output


def test_a_failing_call_reports_its_error_masked(ada, login, crm, caplog):
    url, calls = crm
    caplog.set_level(logging.DEBUG)
    add(ada)
    assert ada.post("/api/orchestrations", json=crm_document(url, path="/refuse")).status_code == 201
    assert ada.post("/api/orchestrations/crm_sync/activate").status_code == 200
    run_id = run_through(ada, login)
    assert calls and calls[0]["authorization"] == f"Bearer {TOKEN}"
    run = ada.get(f"/api/runs/{run_id}").get_json()
    assert run["status"] == "error"
    assert run["error"]["node"] == "tell_crm" and f"key={MASK} answered 401" in run["error"]["message"], run["error"]
    for response in (ada.get(f"/api/runs/{run_id}"), ada.get(f"/api/runs/{run_id}/events?limit=200")):
        assert TOKEN not in response.get_data(as_text=True)
    assert TOKEN not in caplog.text


def test_a_secret_nobody_added_fails_the_step_saying_so(ada, login, crm):
    url, calls = crm
    saved = ada.post("/api/orchestrations", json=crm_document(url, secret="erp_token"))
    warnings = [i for i in saved.get_json()["issues"] if i["severity"] == "warning" and "erp_token" in i["message"]]
    assert {(w["node"], w["field"]) for w in warnings} == {("tell_crm", "inputs.url"), ("tell_crm", "inputs.headers")}
    assert "Admin, Secrets" in warnings[0]["message"]
    assert ada.post("/api/orchestrations/crm_sync/activate").status_code == 200  # a warning, not an error
    run_id = run_through(ada, login)
    run = ada.get(f"/api/runs/{run_id}").get_json()
    assert run["status"] == "error" and calls == []
    assert run["error"]["node"] == "tell_crm" and "there is no secret erp_token" in run["error"]["message"]
    # Added afterwards, the warning goes away and a retry gets through.
    add(ada, "erp_token")
    assert not [i for i in ada.get("/api/orchestrations/crm_sync").get_json()["draft"]["issues"] if "erp_token" in i["message"]]
    assert ada.post(f"/api/runs/{run_id}/retry").status_code == 200
    assert ada.get(f"/api/runs/{run_id}").get_json()["status"] == "completed"
    assert calls[0]["authorization"] == f"Bearer {TOKEN}"


def test_secrets_are_only_for_inputs_of_actions_that_send_them_on(ada):
    doc = crm_document("http://127.0.0.1:9")
    doc["nodes"].append(
        {
            "id": "size",
            "type": "decision",
            "label": "Size",
            "outcomes": [{"id": "big", "label": "Big", "condition": "inputs.amount > 1 && secrets.crm_token == 'x'"}],
        }
    )
    doc["nodes"].append(
        {
            "id": "keep",
            "type": "background",
            "stage": "review",
            "label": "Keep it",
            "action": "record.update",
            "inputs": {"fields": "{'note': secrets.crm_token}"},
        }
    )
    issues = ada.post("/api/orchestrations", json=doc).get_json()["issues"]
    errors = {(i["node"], i["field"]): i["message"] for i in issues if i["severity"] == "error"}
    assert "only in scope in the inputs of a background step's action" in errors[("size", "outcomes[0].condition")]
    (where,) = [i for i in issues if i["node"] == "size" and "secrets" in i["message"]]
    assert where["column"] == 22  # where `secrets` starts
    assert "record.update keeps its inputs where people read them" in errors[("keep", "inputs.fields")]
    assert "http.request" in errors[("keep", "inputs.fields")]


def test_a_credential_typed_into_a_document_is_a_warning(ada):
    doc = crm_document("http://127.0.0.1:9")
    tell = doc["nodes"][-1]
    tell["inputs"] = {
        "url": "'https://crm.example.com/leads'",
        "headers": "{'Authorization': 'Bearer abcdef0123456789'}",
        "body": "{'api_key': 'hunter22', 'amount': inputs.amount}",
    }
    doc["description"] = "Uses ghp_abcdefghijklmnopqrstuvwxyz0123 for now"
    issues = ada.post("/api/orchestrations", json=doc).get_json()["issues"]
    warned = {(i["node"], i["field"]): i for i in issues if "looks like" in i["message"]}
    assert set(warned) == {("tell_crm", "inputs.headers"), ("tell_crm", "inputs.body"), (None, "description")}
    assert all(i["severity"] == "warning" and "secrets.<name>" in i["message"] for i in warned.values())
    assert warned[("tell_crm", "inputs.body")]["column"] == 2 and "'api_key'" in warned[("tell_crm", "inputs.body")]["message"]
    # The fixed document: no warning.
    tell["inputs"] = {"url": "'https://crm.example.com/leads'", "headers": "{'Authorization': 'Bearer ' + secrets.crm_token}"}
    del doc["description"]
    add(ada)
    fixed = ada.put("/api/orchestrations/crm_sync/draft", json=doc).get_json()["issues"]
    assert [i for i in fixed if i["severity"] == "warning"] == []


def test_a_reference_typed_by_a_person_reveals_nothing(ada, login, app, crm):
    """A reference made elsewhere (another key) that reaches an action through a form is
    masked, never swapped for the value."""
    url, calls = crm
    add(ada)
    doc = crm_document(url)
    tell = doc["nodes"][-1]
    tell["inputs"] = {"url": f"'{url}/leads'", "method": "'POST'", "headers": "{'Authorization': steps.approve.outputs.note}"}
    assert ada.post("/api/orchestrations", json=doc).status_code == 201
    assert ada.post("/api/orchestrations/crm_sync/activate").status_code == 200
    with app.app_context():
        forged = reference(SqlSecrets(state().store.engine, "a guess"), "crm_token")
    run_id = login("sam").post("/api/runs", json={"orchestration": "crm_sync", "inputs": {"amount": 5}}).get_json()["id"]
    fiona = login("fiona")
    (item,) = my_items(fiona, run=run_id)
    assert fiona.post(f"/api/work-items/{item['id']}/complete", json={"outcome": "approve", "values": {"note": forged}}).status_code == 200
    # The forged reference became the mask, which no HTTP header can carry: the step fails, nothing is sent.
    run = ada.get(f"/api/runs/{run_id}")
    assert run.get_json()["status"] == "error" and calls == []
    assert TOKEN not in run.get_data(as_text=True) and TOKEN not in ada.get(f"/api/runs/{run_id}/events?limit=200").get_data(as_text=True)


def test_the_test_run_mocks_secrets_and_never_reads_the_store(ada, crm):
    url, calls = crm
    add(ada)
    assert ada.post("/api/orchestrations", json=crm_document(url)).status_code == 201
    steps = [
        {"start": {"inputs": {"amount": 5}}},
        {"mock": {"step": "tell_crm", "result": {"status": 200}}},
        {"as": "finance", "complete": "approve", "outcome": "approve"},
    ]
    response = ada.post("/api/orchestrations/crm_sync/test-run", json={"steps": steps})
    assert response.status_code == 200 and response.get_json()["run"]["status"] == "completed"
    assert TOKEN not in response.get_data(as_text=True) and calls == []


def test_the_engine_reads_secrets_through_its_interface_only(app):
    """The web app hands its engine the store; nothing in the runtime imports Flask for it."""
    with app.app_context():
        assert engine().secrets is state().secrets


def test_a_server_with_another_key_cannot_read_the_values(ada, app, tmp_path):
    add(ada)
    other = create_app({"TESTING": True, "SECRET_KEY": "rotated", "DATABASE_URL": app.config["DATABASE_URL"], "EMBEDDED_WORKER": False})
    try:
        with other.app_context():
            assert state().secrets.names() == {"crm_token"}
            with pytest.raises(ValueError):
                state().secrets.value("crm_token")
    finally:
        other.extensions["overture"].close()


def test_secret_names_are_checked_before_anything_is_stored(ada):
    response = ada.post("/api/secrets", json={"name": "x" * 65, "value": "v"})
    assert response.status_code == 422 and error_code(response) == "invalid"
    assert "name" in response.get_json()["error"]["details"]
