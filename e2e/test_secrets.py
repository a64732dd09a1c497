"""The secrets store as people use it: an admin adds a credential under Admin › Secrets,
an orchestration's http.request step reads it as ``secrets.<name>``, the CRM gets the
real value and the run page shows it as ••••; a member sees no Secrets section."""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import expect

from e2e.fixtures.admin_pages import AdminPage
from e2e.fixtures.documents import one_step, unique_key
from e2e.fixtures.pages import RunPage


@pytest.fixture
def crm() -> Iterator[tuple[str, list[str]]]:
    """A CRM on this machine that refuses every call (401) and records the Authorization it got."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(self.headers.get("Authorization", ""))
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(json.dumps({"error": "expired"}).encode())

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


def crm_sync(key: str, url: str, secret: str) -> dict[str, Any]:
    """A manual orchestration whose only step tells the CRM, with the token from the store."""
    step = {
        "id": "tell_crm",
        "type": "background",
        "label": "Tell the CRM",
        "action": "http.request",
        "start": {"when": "stage_start"},
        "retry": {"max_attempts": 1, "backoff": "PT1S"},
        "inputs": {
            "url": f"'{url}/leads?key=' + secrets.{secret}",
            "method": "'POST'",
            "headers": f"{{'Authorization': 'Bearer ' + secrets.{secret}}}",
        },
    }
    return one_step(key, step, label="CRM sync", stage="Sync")


def test_an_admin_keeps_a_token_in_secrets_and_the_run_shows_it_masked(login_as, api, crm):
    url, seen = crm
    name = f"crm_{uuid.uuid4().hex[:6]}"
    token = f"sk_live_{uuid.uuid4().hex}"

    # ada finds Secrets in Administration and adds the CRM's token.
    page = login_as("admin").new_page()
    page.goto("/")
    page.get_by_role("banner").get_by_role("link", name="Admin").click()
    admin = AdminPage(page)
    admin.go_to("secrets")
    admin.add_secret(name, token)
    expect(admin.secret(name)).to_contain_text(f"secrets.{name}")
    expect(admin.secret(name)).to_contain_text("Ada")  # who set it, by name
    assert token not in page.content()
    page.screenshot(path="/tmp/admin-secrets.png", full_page=True)

    # An orchestration reads it in its http.request step; the CRM refuses the call.
    key = unique_key("crm_sync")
    api("admin").create_orchestration(crm_sync(key, url, name))
    api("admin").activate(key)
    run_id = api("admin").start_run(key)["id"]
    assert api("ops").wait_for_run(run_id, status="error")["error"]["node"] == "tell_crm"
    assert seen == [f"Bearer {token}"]  # the CRM got the real token

    # otto opens the run: the error names the call with the token masked.
    run = RunPage(login_as("ops").new_page()).open(run_id)
    expect(run.error).to_contain_text(re.compile(r"/leads\?key=•••• answered 401"))
    expect(run.failing_step).to_have_text("Tell the CRM")
    assert token not in run.page.content()
    run.page.screenshot(path="/tmp/run-secret-masked.png", full_page=True)
    for path in (f"/api/runs/{run_id}", f"/api/runs/{run_id}/events", f"/api/runs/{run_id}/scenario", "/api/secrets"):
        assert token not in api("admin").request("GET", path).text, path

    # sam, a member, has no Administration at all, so no Secrets section.
    member = login_as("sam").new_page()
    member.goto("/")
    expect(member.get_by_role("banner").get_by_role("link", name="Admin")).to_have_count(0)
    member.goto("/admin/secrets")
    expect(member.get_by_text(re.compile("administration is for admins", re.I))).to_be_visible()
    expect(member.get_by_role("table")).to_have_count(0)
    member.screenshot(path="/tmp/member-no-secrets.png", full_page=True)
    assert api("sam").status_of("GET", "/api/secrets") == 403

    # Deleting asks first; the step would then fail saying the secret is missing.
    admin.delete_secret(name)
    expect(admin.notice).to_contain_text(f"Secret {name} deleted.")
