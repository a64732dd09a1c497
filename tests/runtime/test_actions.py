"""Built-in actions, the registry and plug-ins."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from runtime.actions import Action, ActionField, ActionRegistry, default_registry
from runtime.actions import registry as actions_module
from runtime.actions.builtins import host_allowed, url_problem
from runtime.engine import Engine
from runtime.engine.services import Services
from tests.runtime.docs import one_stage, step


class _Recorder(BaseHTTPRequestHandler):
    calls: list[dict[str, Any]] = []
    status = 200

    def do_POST(self) -> None:  # the name http.server calls
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length) or b"null")
        type(self).calls.append({"path": self.path, "body": body, "key": self.headers.get("Idempotency-Key")})
        status = type(self).status
        payload = json.dumps({"ok": status < 400, "got": body}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[tuple[str, type[_Recorder]]]:
    handler = type("Handler", (_Recorder,), {"calls": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def http_doc(url: str) -> dict:
    return one_stage(
        step(
            "call",
            "background",
            action="http.request",
            inputs={"url": f"'{url}/hook'", "method": "'POST'", "body": "{'amount': inputs.amount}"},
            retry={"max_attempts": 2, "backoff": "PT1S"},
        ),
        inputs=[{"name": "amount", "type": "integer", "required": True}],
    )


def test_http_request_to_allowed_host(store, clock, directory, http_server):
    url, handler = http_server
    engine = Engine(store, clock, directory, settings={"http_allowlist": ["127.0.0.1"]})
    engine.deploy(http_doc(url))
    run_id = engine.start("t", {"amount": 7})
    run = engine.get_run(run_id)
    assert run["status"] == "completed"
    assert run["steps"][0]["outputs"]["status"] == 200
    assert run["steps"][0]["outputs"]["body"] == {"ok": True, "got": {"amount": 7}}
    assert handler.calls == [{"path": "/hook", "body": {"amount": 7}, "key": f"{run_id}:call:1:1"}]


def test_http_request_server_error_is_retried(store, clock, directory, http_server):
    url, handler = http_server
    handler.status = 503
    engine = Engine(store, clock, directory, settings={"http_allowlist": ["127.0.0.1"]})
    engine.deploy(http_doc(url))
    run_id = engine.start("t", {"amount": 1})
    handler.status = 200
    clock.advance("PT1S")
    assert engine.get_run(run_id)["status"] == "completed"
    assert [c["key"] for c in handler.calls] == [f"{run_id}:call:1:1", f"{run_id}:call:1:2"]


def test_http_request_refuses_hosts_off_the_allowlist(store, clock, directory, http_server):
    url, handler = http_server
    engine = Engine(store, clock, directory, settings={"http_allowlist": ["api.example.com"]})
    engine.deploy(http_doc(url))
    run_id = engine.start("t", {"amount": 1})
    run = engine.get_run(run_id)
    assert run["status"] == "error"
    assert "not on the allowlist" in run["error"]["message"]
    assert run["steps"][0]["attempts"] == 1  # not retried
    assert handler.calls == []


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://api.example.com/x", True),
        ("https://API.example.com/x", True),
        ("https://evil.com/?api.example.com", False),
        ("https://api.example.com.evil.com/", False),
        ("https://a.hooks.example.org/", True),
        ("https://hooks.example.org.evil/", False),
        ("file:///etc/passwd", False),
        ("ftp://api.example.com/", False),
        ("https://user@evil.com", False),
    ],
)
def test_allowlist_matching(url: str, allowed: bool):
    assert host_allowed(url, ["api.example.com", "*.hooks.example.org"]) is allowed


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:5093@allowed.test/", "credentials in URLs are not allowed"),
        ("http://allowed.test@127.0.0.1:5093/", "credentials in URLs are not allowed"),
        ("http://user:secret@allowed.test/", "credentials in URLs are not allowed"),
        ("http://127.0.0.1:5093\\@allowed.test/", "backslash"),
        ("http://allowed.test\\evil.com/", "backslash"),
        ("http://allowed.test /", "a space"),
        ("http://allowed.test\t/", "a control"),
        ("http://ａllowed.test/", "non-ASCII"),
        ("http://%61llowed.test/", "percent-encoded host"),
        ("http://[fe80::1%25eth0]/", "percent-encoded host"),
        ("http://2130706433/", "neither a plain name nor an IP address written plainly"),
        ("http://0177.0.0.1/", "neither a plain name"),
        ("http://0x7f.0.0.1/", "neither a plain name"),
        ("http://127.1/", "neither a plain name"),
        ("http://allowed.test./", "neither a plain name"),
        ("http://[::ffff:127.0.0.1]/", "not on the allowlist"),
        ("http://[::2]/", "not on the allowlist"),
        ("http://evil.com#@allowed.test", "not on the allowlist"),
        ("http://evil.com?@allowed.test", "not on the allowlist"),
        ("http://allowed.test:99999/", "not a valid URL"),
        ("http://allowed.test:port/", "not a valid URL"),
        ("gopher://allowed.test/", "only http and https"),
        ("http:///allowed.test", "no host"),
    ],
)
def test_urls_that_parsers_read_differently_are_refused_with_the_reason(url: str, why: str):
    problem = url_problem(url, ["allowed.test", "127.0.0.1", "::1"])
    assert problem is not None and why in problem, problem


@pytest.mark.parametrize(
    "url",
    [
        "http://allowed.test/",
        "https://allowed.test:8443/hook?x=1",
        "http://allowed.test/@scope/package",
        "http://127.0.0.1:5093/",
        "http://[::1]:8080/",
        "http://[0:0:0:0:0:0:0:1]/",
        "HTTP://ALLOWED.TEST/",
    ],
)
def test_plain_urls_to_listed_hosts_may_be_called(url: str):
    assert url_problem(url, ["allowed.test", "127.0.0.1", "::1"]) is None


def test_a_url_with_credentials_fails_the_step_cleanly_and_calls_nothing(store, clock, directory, http_server):
    """``http://127.0.0.1:<port>@allowed.test/``: the allowlist names allowed.test, a lenient
    client would connect to it, a confused one to 127.0.0.1; the step fails, once, saying why."""
    url, handler = http_server
    port = url.rsplit(":", 1)[1]
    engine = Engine(store, clock, directory, settings={"http_allowlist": ["allowed.test"]})
    engine.deploy(http_doc(f"http://127.0.0.1:{port}@allowed.test"))
    run = engine.get_run(engine.start("t", {"amount": 1}))
    assert run["status"] == "error"
    assert "may not be called: credentials in URLs are not allowed" in run["error"]["message"]
    assert run["steps"][0]["attempts"] == 1
    assert handler.calls == []


def test_record_create_is_idempotent_across_attempts(engine: Engine):
    engine.deploy(
        one_stage(
            step(
                "make",
                "background",
                action="record.create",
                inputs={"object": "'ticket'", "fields": "{'title': 'from run ' + run.id}", "owner": "'sue'"},
            ),
        )
    )
    run_id = engine.start("t")
    run = engine.get_run(run_id)
    created = run["steps"][0]["outputs"]
    assert engine.get_record("ticket", created["id"])["title"] == f"from run {run_id}"
    assert engine.get_record("ticket", created["id"])["owner"] == "sue"
    # A second attempt (same run, step and visit) returns the same record.
    again = Services(engine).create_record("ticket", {"title": "dup"}, owner=None, idempotency_key=f"{run_id}:make:1")
    assert again["id"] == created["id"]


def test_notify_to_a_group(engine: Engine):
    engine.deploy(
        one_stage(
            step(
                "tell",
                "background",
                action="notify",
                inputs={"to": "{'type': 'group', 'value': 'finance'}", "subject": "'Heads up'", "body": "'b'"},
            )
        )
    )
    engine.start("t")
    assert [n["subject"] for n in engine.notifications(to="fiona")] == ["Heads up"]
    assert engine.notifications(to="alice") == []


def test_unknown_action_is_rejected_at_deploy(engine: Engine):
    from runtime.errors import DocumentInvalid

    with pytest.raises(DocumentInvalid) as caught:
        engine.deploy(one_stage(step("x", "background", action="no.such.action")))
    assert any(d["node"] == "x" and d["field"] == "action" for d in caught.value.details)


def test_registry_rejects_duplicates_and_bad_types():
    registry = ActionRegistry()
    registry.register(Action("a", lambda ctx, i: {}))
    with pytest.raises(ValueError, match="already registered"):
        registry.register(Action("a", lambda ctx, i: {}))
    with pytest.raises(ValueError, match="unknown type"):
        registry.register(Action("b", lambda ctx, i: {}, (ActionField("x", "blob"),)))


def test_plugins_register_through_entry_points(monkeypatch):
    class FakeEntryPoint:
        def __init__(self, name: str, obj: Any):
            self.name, self._obj = name, obj

        def load(self) -> Any:
            return self._obj

    def register(registry: ActionRegistry) -> None:
        registry.register(Action("crm.sync", lambda ctx, i: {"synced": True}, description="Sync to the CRM"))

    single = Action("erp.post", lambda ctx, i: {})
    monkeypatch.setattr(actions_module, "entry_points", lambda group: [FakeEntryPoint("crm", register), FakeEntryPoint("erp", single)])
    registry = default_registry()
    assert {"crm.sync", "erp.post", "record.update", "http.request"} <= set(registry.names())
    assert next(a for a in registry.describe() if a["name"] == "crm.sync")["description"] == "Sync to the CRM"


def test_local_actions_run_in_the_step_transaction(engine: Engine):
    from runtime.model import Job

    engine.deploy(
        one_stage(step("setv", "background", action="vars.set", inputs={"n": "41 + 1"}), variables=[{"name": "n", "type": "integer"}])
    )
    run_id = engine.start("t")
    assert engine.get_run(run_id)["vars"] == {"n": 42}
    with engine.store.transaction(write=False) as tx:
        assert tx.find(Job) == []  # no job was queued
    succeeded = [e for e in engine.events(run_id) if e["type"] == "action.succeeded"]
    assert succeeded[0]["data"]["local"] is True


def test_failing_local_action_fails_the_step(engine: Engine):
    def broken(ctx, inputs):
        return ctx.services.update_record("ticket", "no-such-id", {"a": 1}, by=None)

    engine.actions.register(Action("test.local", broken, local=True))
    engine.deploy(one_stage(step("calc", "background", action="test.local")))
    run_id = engine.start("t")
    run = engine.get_run(run_id)
    assert run["status"] == "error"
    assert run["error"]["message"] == "record.update: record ticket/no-such-id does not exist"
    assert run["steps"][0]["status"] == "error"


def test_local_record_update_is_seen_at_once_and_happens_once(engine: Engine):
    from runtime.model import Job

    engine.deploy(
        one_stage(
            step("mark", "background", action="record.update", inputs={"fields": "{'status': 'seen'}"}),
            step("check", "wait", until="record.status == 'seen'", start={"when": "after", "steps": ["mark"]}),
        )
    )
    record = engine.create_record("ticket", {"status": "new"})
    run_id = engine.start("t", record={"object": "ticket", "id": record["id"]})
    assert engine.get_run(run_id)["status"] == "completed"  # all in the start's transaction
    assert engine.get_record("ticket", record["id"])["status"] == "seen"
    assert [e["type"] for e in engine.events(run_id)].count("record.updated") == 1
    with engine.store.transaction(write=False) as tx:
        assert tx.find(Job) == []
