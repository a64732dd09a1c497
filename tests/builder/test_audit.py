"""The audit log (README, "Audit log"): every audited operation writes exactly one entry,
with who, from where, what and the change; reads write none; a failed write writes none
(the entry is in the change's transaction); only admins read it."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from builder import audit as builder_audit
from builder import create_app
from builder.api.audit import ACTIONS
from builder.extensions import state
from runtime import audit as runtime_audit
from runtime.clock import ManualClock
from runtime.store.tables import AuditEntryRow
from tests.builder.api_support import BROKEN, EXPENSE, deploy, document, start
from tests.builder.conftest import PASSWORD, Client, add_people
from tests.builder.test_api_scenarios import EXPENSE_SCENARIO

SECRET_VALUE = "s3cr3t-value-never-logged"

#: One step assigned to alice personally: while she is away, sam (her delegate) holds it for her.
HANDOFF = document(
    EXPENSE,
    key="handoff",
    label="Hand-off",
    inputs=[],
    variables=[{"name": "note", "type": "string", "default": "none"}],
    nodes=[
        {"id": "start", "type": "start"},
        {"id": "work", "type": "stage", "label": "Work"},
        {
            "id": "sign",
            "type": "interactive",
            "stage": "work",
            "label": "Sign the hand-off",
            "assignee": {"type": "user", "value": "alice"},
            "form": {"fields": [], "outcomes": [{"value": "signed", "label": "Signed"}]},
        },
        {"id": "done", "type": "end"},
    ],
    edges=[{"id": "e1", "source": "start", "target": "work"}, {"id": "e2", "source": "work", "target": "done"}],
)
#: BROKEN with a variable ops may edit while the run is in error.
BROKEN_VARS = document(BROKEN, variables=[{"name": "attempt_note", "type": "string", "default": "first"}])


@pytest.fixture(params=["sqlite", "postgresql"])
def either_app(request: pytest.FixtureRequest, clock: ManualClock) -> Iterator[Flask]:
    """The app on SQLite, then on PostgreSQL (whose store sends the entry in the operation's pipeline)."""
    if request.param == "sqlite":
        yield request.getfixturevalue("app")
        return
    url = request.getfixturevalue("postgres_url")  # skipped without OVERTURE_TEST_DATABASE_URL
    app = create_app(
        {"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url, "EMBEDDED_WORKER": False, "AUTOPROCESS": True, "CLOCK": clock}
    )
    add_people(app)
    yield app
    app.extensions["overture"].close()


def entries(app: Flask) -> list[AuditEntryRow]:
    with app.app_context(), state().sessions() as s:
        return list(s.scalars(select(AuditEntryRow).order_by(AuditEntryRow.at, AuditEntryRow.id)))


def count(app: Flask) -> int:
    with app.app_context(), state().sessions() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntryRow)) or 0)


class Sweep:
    """Runs operations one by one and checks each wrote exactly one entry of its action."""

    def __init__(self, app: Flask):
        self.app = app
        self.seen = len(entries(app))
        self.done: list[str] = []

    def one(self, action: str, response: Any, status: int = 200) -> AuditEntryRow:
        assert response.status_code == status, response.get_json()
        rows = entries(self.app)
        new = rows[self.seen :]
        self.seen = len(rows)
        assert [r.action for r in new] == [action], f"{action}: {[r.action for r in new]}"
        self.done.append(action)
        return new[0]

    def none(self, response: Any, status: int = 200) -> None:
        assert response.status_code == status, response.get_json()
        assert len(entries(self.app)) == self.seen


def test_every_audited_operation_writes_one_entry_with_its_change(either_app, clock):
    app = either_app
    sweep = Sweep(app)
    ada = Client(app, None)
    entry = sweep.one("session.signed_in", ada.http.post("/api/session", json={"username": "ada", "password": PASSWORD}))
    ada.csrf = ada.http.get("/api/session").get_json()["csrf_token"]
    assert (entry.actor, entry.actor_kind, entry.object_id, entry.address) == ("ada", "user", "ada", "127.0.0.1")
    assert entry.object_label == "ada"  # the display name (the test's people have their user name as one)
    entry = sweep.one("session.sign_in_failed", ada.http.post("/api/session", json={"username": "ada", "password": "wrong guess"}), 401)
    assert entry.actor_kind == "anonymous" and entry.after == {"username": "ada"} and "wrong guess" not in json.dumps(entry.after)

    # People, groups, tokens, secrets: before and after, never a password, token or value.
    entry = sweep.one(
        "user.created",
        ada.post("/api/users", json={"username": "zoe", "password": PASSWORD, "role": "member", "display_name": "Zoe Z"}),
        201,
    )
    assert entry.before is None and entry.after == {"display_name": "Zoe Z", "role": "member", "active": True, "groups": []}
    entry = sweep.one("user.changed", ada.patch("/api/users/zoe", json={"role": "ops", "groups": ["sales"]}))
    assert (entry.before, entry.after) == ({"role": "member", "groups": []}, {"role": "ops", "groups": ["sales"]})
    assert entry.object_label == "Zoe Z"
    sweep.one("user.password_reset", ada.post("/api/users/zoe/password", json={"password": "another long passphrase"}))
    sweep.one("user.signed_out_everywhere", ada.delete("/api/users/zoe/sessions"))
    entry = sweep.one("user.deactivated", ada.post("/api/users/zoe/deactivate", json={"reassign_to": None}))
    assert (entry.before, entry.after) == ({"active": True}, {"active": False})
    sweep.one("user.reactivated", ada.post("/api/users/zoe/reactivate"))
    sweep.one("group.created", ada.post("/api/groups", json={"name": "audit_team", "label": "Audit team"}), 201)
    entry = sweep.one("group.changed", ada.patch("/api/groups/audit_team", json={"members": ["zoe"]}))
    assert (entry.before, entry.after) == ({"members": []}, {"members": ["zoe"]})
    sweep.one("queue.created", ada.post("/api/groups", json={"name": "intake", "kind": "queue"}), 201)
    entry = sweep.one("queue.changed", ada.patch("/api/groups/intake", json={"label": "Intake desk"}))
    assert (entry.before, entry.after, entry.object_type) == ({"label": "Intake"}, {"label": "Intake desk"}, "queue")
    created = ada.post("/api/tokens", json={"name": "crm"})
    entry = sweep.one("token.created", created, 201)
    token, token_id = created.get_json()["token"], created.get_json()["id"]
    assert entry.after == {"name": "crm"}
    sweep.one("secret.created", ada.post("/api/secrets", json={"name": "crm_key", "value": SECRET_VALUE}), 201)
    sweep.one("secret.replaced", ada.put("/api/secrets/crm_key", json={"value": SECRET_VALUE + "2"}))
    sweep.one("secret.deleted", ada.delete("/api/secrets/crm_key"), 204)
    contract = [{"name": "title", "type": "string", "required": True}]
    sweep.one("record_type.created", ada.post("/api/record-types", json={"name": "deal", "fields": contract}), 201)
    entry = sweep.one("record_type.changed", ada.put("/api/record-types/deal", json={"label": "Deal", "fields": contract}))
    assert (entry.before, entry.after) == ({"label": "deal"}, {"label": "Deal"})

    # Documents: created, a draft saved (an unchanged save is no change), a version activated.
    entry = sweep.one("orchestration.created", ada.post("/api/orchestrations", json=EXPENSE), 201)
    assert entry.after["revision"] == 1 and entry.after["changes"]["nodes"]["added"][0] == "start"
    renamed = document(EXPENSE, label="Expense approval (2)")
    entry = sweep.one("draft.saved", ada.put("/api/orchestrations/expense/draft", json=renamed))
    assert (entry.before, entry.after) == ({"revision": 1}, {"revision": 2, "changes": {"fields": ["label"]}})
    sweep.none(ada.put("/api/orchestrations/expense/draft", json=renamed))
    entry = sweep.one("version.activated", ada.post("/api/orchestrations/expense/activate"))
    assert (entry.object_type, entry.object_id, entry.object_label) == ("version", "expense:1", "Expense approval (2)")
    assert entry.before == {"active_version": None} and entry.after["active_version"] == 1
    sweep.none(ada.post("/api/orchestrations/expense/activate"))  # the same document again: nothing activated
    sweep.one("scenario.saved", ada.put("/api/orchestrations/expense/scenarios/happy", json={"source": EXPENSE_SCENARIO}))
    sweep.none(ada.put("/api/orchestrations/expense/scenarios/happy", json={"source": EXPENSE_SCENARIO}))
    entry = sweep.one("scenario.deleted", ada.delete("/api/orchestrations/expense/scenarios/happy"), 204)
    assert entry.before == {"source": EXPENSE_SCENARIO} and entry.after is None

    # Runs: a token starts one; ops suspend, resume, cancel it.
    otto = Client(app, "otto")
    sweep.seen += 1  # otto's sign-in
    started = ada.http.post(
        "/api/runs", json={"orchestration": "expense", "inputs": {"amount": 5}}, headers={"Authorization": f"Bearer {token}"}
    )
    entry = sweep.one("run.started", started, 201)
    run_id = started.get_json()["id"]
    assert (entry.actor, entry.actor_kind, entry.object_id) == ("token:crm", "token", run_id)
    assert entry.after == {"status": "in_progress", "version": 1} and entry.object_label == "Expense approval (2) v1"
    entry = sweep.one("run.suspended", otto.post(f"/api/runs/{run_id}/suspend"))
    assert (entry.before, entry.after) == ({"status": "in_progress"}, {"status": "suspended"})
    sweep.one("run.resumed", otto.post(f"/api/runs/{run_id}/resume"))
    item = otto.get(f"/api/work-items?run={run_id}").get_json()["items"][0]
    to_fiona = {"to": {"type": "user", "value": "fiona"}}
    entry = sweep.one("work_item.reassigned", otto.post(f"/api/work-items/{item['id']}/reassign", json=to_fiona))
    assert entry.before["assignee"] == {"type": "group", "value": "finance"}
    assert entry.after["assignee"] == {"type": "user", "value": "fiona"} and entry.object_label == "Approve the expense"
    entry = sweep.one("run.cancelled", otto.post(f"/api/runs/{run_id}/cancel", json={"reason": "duplicate"}))
    assert (entry.before, entry.after) == ({"status": "in_progress"}, {"status": "cancelled", "reason": "duplicate"})

    # A run in error: ops edit a variable and an action input (names only), retry, skip.
    deploy(ada, BROKEN_VARS)
    sweep.seen = len(entries(app))
    broken = start(ada, "broken")
    sweep.seen += 1
    assert broken["status"] == "error", broken
    second = {"values": {"attempt_note": "second"}}
    entry = sweep.one("run.variables_edited", otto.patch(f"/api/runs/{broken['id']}/variables", json=second))
    assert (entry.before, entry.after) == ({"vars": {"attempt_note": "first"}}, {"vars": {"attempt_note": "second"}})
    entry = sweep.one(
        "run.step_inputs_edited",
        otto.patch(f"/api/runs/{broken['id']}/steps/update/inputs", json={"inputs": {"fields": {"token": SECRET_VALUE}}}),
    )
    assert entry.after == {"step": "update", "inputs": ["fields"]}
    sweep.one("run.retried", otto.post(f"/api/runs/{broken['id']}/retry"))
    entry = sweep.one("run.step_skipped", otto.post(f"/api/runs/{broken['id']}/steps/update/skip"))
    assert entry.after["status"] == "completed" and entry.after["step"] == "update"

    # A migration started and cancelled (no worker runs here: it stays queued).
    deploy(ada, document(EXPENSE, label="Expense approval (3)"))
    sweep.seen = len(entries(app))
    waiting = start(ada, "expense")
    sweep.seen += 1
    moved = otto.post("/api/orchestrations/expense/migrations", json={"target": 2, "runs": [waiting["id"]]})
    entry = sweep.one("migration.started", moved, 202)
    assert entry.after["status"] == "queued" and entry.object_id == moved.get_json()["id"]
    sweep.one("migration.cancelled", otto.post(f"/api/orchestrations/expense/migrations/{entry.object_id}/cancel"))

    # Work done for someone away: alice's delegate sam completes her step.
    deploy(ada, HANDOFF)
    away = {
        "delegate": "sam",
        "starts_at": (clock.now() - timedelta(hours=1)).isoformat(),
        "ends_at": (clock.now() + timedelta(days=3)).isoformat(),
    }
    alice = Client(app, "alice")
    sweep.seen = len(entries(app))
    entry = sweep.one("user.out_of_office_set", alice.put("/api/users/alice/out-of-office", json=away))
    assert entry.before is None and entry.after["delegate"] == "sam" and entry.actor == "alice"
    handoff = start(ada, "handoff")
    sam = Client(app, "sam")
    sweep.seen = len(entries(app))
    held = sam.get(f"/api/work-items?run={handoff['id']}").get_json()["items"][0]
    assert held["on_behalf_of"] == "alice"
    entry = sweep.one("work_item.completed_on_behalf", sam.post(f"/api/work-items/{held['id']}/complete", json={"outcome": "signed"}))
    assert entry.actor == "sam" and entry.after["completed_by"] == "sam" and entry.after["status"] == "completed"
    # Their own work is the run's event log's business, not the audit log's.
    mine = start(sam, "expense")
    sweep.seen += 1
    fiona = Client(app, "fiona")
    sweep.seen += 1
    own = fiona.get(f"/api/work-items?run={mine['id']}").get_json()["items"][0]
    sweep.none(fiona.post(f"/api/work-items/{own['id']}/complete", json={"outcome": "approve"}))

    # People's own settings, password and sessions.
    sweep.one("user.out_of_office_cleared", alice.delete("/api/users/alice/out-of-office"))
    sweep.none(alice.delete("/api/users/alice/out-of-office"))  # nothing to clear
    entry = sweep.one("user.changed", alice.patch("/api/profile", json={"display_name": "Alice Legal"}))
    assert (entry.before, entry.after, entry.actor) == ({"display_name": "alice"}, {"display_name": "Alice Legal"}, "alice")
    entry = sweep.one("user.changed", ada.patch("/api/users/alice/email-settings", json={"email": "alice@example.com"}))
    assert (entry.before, entry.after, entry.actor) == ({"email": None}, {"email": "alice@example.com"}, "ada")
    new_password = {"current_password": PASSWORD, "new_password": "a brand new passphrase"}
    sweep.one("user.password_changed", alice.post("/api/profile/password", json=new_password))
    sweep.one("user.signed_out_everywhere", alice.delete("/api/profile/sessions"))
    sweep.one("session.signed_out", alice.delete("/api/session"))

    entry = sweep.one("token.revoked", ada.delete(f"/api/tokens/{token_id}"))
    assert (entry.before, entry.after) == ({"revoked": False}, {"revoked": True})
    assert set(sweep.done) == set(ACTIONS), set(ACTIONS) - set(sweep.done)
    everything = json.dumps([[e.before, e.after] for e in entries(app)])
    assert SECRET_VALUE not in everything and PASSWORD not in everything and token not in everything
    assert "brand new passphrase" not in everything


#: Each state-changing route of the API and the actions it audits; or, in NOT_AUDITED, why it audits none.
AUDITED = {
    ("POST", "/api/session"): ("session.signed_in", "session.sign_in_failed"),
    ("DELETE", "/api/session"): ("session.signed_out",),
    ("POST", "/api/users"): ("user.created",),
    ("PATCH", "/api/users/<username>"): ("user.changed",),
    ("PATCH", "/api/users/<username>/email-settings"): ("user.changed",),
    ("PATCH", "/api/profile"): ("user.changed",),
    ("POST", "/api/users/<username>/deactivate"): ("user.deactivated",),
    ("POST", "/api/users/<username>/reactivate"): ("user.reactivated",),
    ("POST", "/api/users/<username>/password"): ("user.password_reset",),
    ("POST", "/api/profile/password"): ("user.password_changed",),
    ("DELETE", "/api/users/<username>/sessions"): ("user.signed_out_everywhere",),
    ("DELETE", "/api/profile/sessions"): ("user.signed_out_everywhere",),
    ("PUT", "/api/users/<username>/out-of-office"): ("user.out_of_office_set",),
    ("DELETE", "/api/users/<username>/out-of-office"): ("user.out_of_office_cleared",),
    ("POST", "/api/groups"): ("group.created", "queue.created"),
    ("PATCH", "/api/groups/<group>"): ("group.changed", "queue.changed"),
    ("POST", "/api/tokens"): ("token.created",),
    ("DELETE", "/api/tokens/<token_id>"): ("token.revoked",),
    ("POST", "/api/secrets"): ("secret.created",),
    ("PUT", "/api/secrets/<name>"): ("secret.replaced",),
    ("DELETE", "/api/secrets/<name>"): ("secret.deleted",),
    ("POST", "/api/record-types"): ("record_type.created", "record_type.changed"),
    ("PUT", "/api/record-types/<name>"): ("record_type.changed",),
    ("POST", "/api/orchestrations"): ("orchestration.created",),
    ("POST", "/api/orchestrations/import/bpmn"): ("orchestration.created",),
    ("PUT", "/api/orchestrations/<key>/draft"): ("draft.saved",),
    ("POST", "/api/orchestrations/<key>/activate"): ("version.activated",),
    ("PUT", "/api/orchestrations/<key>/scenarios/<name>"): ("scenario.saved",),
    ("POST", "/api/orchestrations/<key>/scenarios/generate"): ("scenario.saved",),
    ("DELETE", "/api/orchestrations/<key>/scenarios/<name>"): ("scenario.deleted",),
    ("POST", "/api/runs"): ("run.started",),
    ("POST", "/api/runs/<run_id>/cancel"): ("run.cancelled",),
    ("POST", "/api/runs/<run_id>/suspend"): ("run.suspended",),
    ("POST", "/api/runs/<run_id>/resume"): ("run.resumed",),
    ("POST", "/api/runs/<run_id>/retry"): ("run.retried",),
    ("POST", "/api/runs/<run_id>/steps/<step_id>/skip"): ("run.step_skipped",),
    ("PATCH", "/api/runs/<run_id>/variables"): ("run.variables_edited",),
    ("PATCH", "/api/runs/<run_id>/steps/<step_id>/inputs"): ("run.step_inputs_edited",),
    ("POST", "/api/orchestrations/<key>/migrations"): ("migration.started",),
    ("POST", "/api/orchestrations/<key>/migrations/<migration_id>/cancel"): ("migration.cancelled",),
    ("POST", "/api/work-items/<item_id>/reassign"): ("work_item.reassigned",),
    ("POST", "/api/work-items/<item_id>/complete"): ("work_item.completed_on_behalf",),
}
NOT_AUDITED = {
    ("POST", "/api/events"): "a system delivering an event: the runs it reaches log it in their event logs",
    ("POST", "/api/records/<object>"): "business data: a record's runs and their event logs tell its story",
    ("PATCH", "/api/records/<object>/<record_id>"): "business data, as creating one",
    ("POST", "/api/work-items/<item_id>/claim"): "people taking their own work: the run's event log",
    ("POST", "/api/work-items/<item_id>/release"): "people handing their own work back: the run's event log",
    ("POST", "/api/notifications/read"): "one's own inbox",
    ("POST", "/api/orchestrations/<key>/validate"): "stores nothing",
    ("POST", "/api/orchestrations/<key>/tests"): "runs scenarios in memory; stores nothing",
    ("POST", "/api/orchestrations/<key>/test-run"): "replays steps in memory; stores nothing",
}


def test_every_write_route_is_audited_or_says_why(app):
    """A new state-changing route fails here until someone decides what it audits."""
    routes = {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in (rule.methods or set()) - {"GET", "HEAD", "OPTIONS"}
    }
    assert not AUDITED.keys() & NOT_AUDITED.keys()
    assert routes == AUDITED.keys() | NOT_AUDITED.keys()
    assert {action for actions in AUDITED.values() for action in actions} == set(ACTIONS)


def test_reads_write_nothing(app):
    """Every GET route of the API, signed in as an admin, with the names of things that exist."""
    ada = Client(app, "ada")
    deploy(ada, EXPENSE)
    run = start(ada)
    item = ada.get(f"/api/work-items?run={run['id']}").get_json()["items"][0]
    known = {"key": "expense", "run_id": run["id"], "item_id": item["id"], "username": "sam", "group": "sales", "number": "1"}
    before = count(app)
    asked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or "GET" not in (rule.methods or ()):
            continue
        url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: known.get(m.group(1), "nothing"), rule.rule)
        assert ada.get(url).status_code < 500, url
        asked += 1
    assert asked >= 40
    assert count(app) == before


@pytest.mark.parametrize("who", ["otto", "sam"])
def test_only_admins_read_the_audit_log(app, who):
    caller = Client(app, who)
    for url in ("/api/audit", "/api/audit/actions", "/api/audit/export.csv", "/api/audit/export.jsonl"):
        response = caller.get(url)
        assert response.status_code == 403, url
        assert response.get_json()["error"]["code"] == "forbidden"
    token = Client(app, "ada").post("/api/tokens", json={"name": "siem"}).get_json()["token"]
    assert app.test_client().get("/api/audit", headers={"Authorization": f"Bearer {token}"}).status_code == 403
    assert app.test_client().get("/api/audit").status_code == 401


def test_a_failed_write_leaves_no_entry(either_app, monkeypatch):
    app = either_app
    ada, otto = Client(app, "ada"), Client(app, "otto")
    deploy(ada, EXPENSE)
    run = start(ada)
    before = count(app)
    # Refused before or inside the change: nothing changed, nothing audited.
    assert ada.patch("/api/users/sam", json={"role": "king"}).status_code == 422
    assert otto.post(f"/api/runs/{run['id']}/resume").status_code == 409
    assert ada.post("/api/users", json={"username": "sam", "password": PASSWORD, "role": "member"}).status_code == 409
    assert count(app) == before

    # The entry is written in the change's transaction: when it fails after the entry was
    # added, the change and the entry go together.
    def closing_then_fail(self: Any, tx: Any, result: Any) -> None:
        original(self, tx, result)
        raise RuntimeError("the database went away")

    original = runtime_audit.Note.closing
    monkeypatch.setattr(runtime_audit.Note, "closing", closing_then_fail)
    assert otto.post(f"/api/runs/{run['id']}/cancel").status_code == 500
    assert ada.get(f"/api/runs/{run['id']}").get_json()["status"] == "in_progress"

    def record_then_fail(*args: Any, **kwargs: Any) -> None:
        recorded(*args, **kwargs)
        raise RuntimeError("the database went away")

    recorded = builder_audit.record
    monkeypatch.setattr(builder_audit, "record", record_then_fail)
    assert ada.patch("/api/users/sam", json={"display_name": "Samantha"}).status_code == 500
    assert ada.get("/api/users/sam").get_json()["display_name"] != "Samantha"
    assert count(app) == before


def test_the_log_filters_pages_and_exports_with_names(app):
    ada, otto = Client(app, "ada"), Client(app, "otto")
    ada.patch("/api/users/sam", json={"display_name": "Sam Seller"})
    ada.patch("/api/users/otto", json={"display_name": "Otto Ops"})
    assert ada.post("/api/groups", json={"name": "tricky", "label": '=HYPERLINK("http://evil")'}).status_code == 201
    deploy(ada, EXPENSE)
    run = start(ada)
    otto.post(f"/api/runs/{run['id']}/cancel")

    everything = ada.get("/api/audit?limit=200").get_json()
    assert everything["next_cursor"] is None
    actions = [e["action"] for e in everything["items"]]
    assert actions[0] == "run.cancelled" and actions[-1] == "session.signed_in"  # newest first
    cancelled = everything["items"][0]
    assert (cancelled["actor_name"], cancelled["object_label"]) == ("Otto Ops", "Expense approval v1")

    # Keyset pages of 2 walk the same entries once each.
    walked, cursor = [], ""
    while True:
        page = ada.get(f"/api/audit?limit=2{cursor}").get_json()
        walked += [e["id"] for e in page["items"]]
        if page["next_cursor"] is None:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert walked == [e["id"] for e in everything["items"]]

    def listed(query: str) -> list[str]:
        response = ada.get(f"/api/audit?{query}")
        assert response.status_code == 200, response.get_json()
        return [e["action"] for e in response.get_json()["items"]]

    assert listed("actor=otto") == ["run.cancelled", "session.signed_in"]
    assert listed("action=user.changed,run.started") == ["run.started", "user.changed", "user.changed"]
    assert listed(f"object_type=run&object={run['id']}") == ["run.cancelled", "run.started"]
    newest = everything["items"][0]["at"]
    assert listed(f"since={newest.replace('+00:00', 'Z')}") == ["run.cancelled"]
    assert "run.cancelled" not in listed(f"until={newest.replace('+00:00', 'Z')}")
    for bad in ("action=run.exploded", "object_type=planet", "since=yesterday", "limit=0", "cursor=junk", "colour=red"):
        assert ada.get(f"/api/audit?{bad}").status_code == 400, bad

    jsonl = ada.get("/api/audit/export.jsonl?actor=otto")
    assert jsonl.mimetype == "application/x-ndjson" and "attachment" in jsonl.headers["Content-Disposition"]
    assert [json.loads(line)["action"] for line in jsonl.get_data(as_text=True).splitlines()] == ["run.cancelled", "session.signed_in"]
    exported = ada.get("/api/audit/export.csv?action=group.created")
    assert exported.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(exported.get_data(as_text=True))))
    assert len(rows) == 1 and rows[0]["actor_name"] == "ada"
    assert rows[0]["object_label"] == '\'=HYPERLINK("http://evil")'  # no formula runs
    assert ada.get("/api/audit/export.csv?since=never").status_code == 400
    assert set(ada.get("/api/audit/actions").get_json()["actions"]) == set(ACTIONS)


def test_the_address_is_the_one_the_trusted_proxies_vouch_for(app, migrated_db, tmp_path):
    """Behind one trusted proxy the entry has the client it names; without one, a client's own
    X-Forwarded-For is not believed (builder/auth.py: ProxyFix for OVERTURE_TRUSTED_PROXIES)."""
    forged = {"X-Forwarded-For": "203.0.113.9"}
    app.test_client().post("/api/session", json={"username": "ada", "password": "nope"}, headers=forged)
    assert entries(app)[-1].address == "127.0.0.1"
    shutil.copy(migrated_db, tmp_path / "proxied.db")
    url = f"sqlite:///{tmp_path / 'proxied.db'}"
    proxied = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url, "EMBEDDED_WORKER": False, "TRUSTED_PROXIES": 1})
    try:
        add_people(proxied)
        proxied.test_client().post("/api/session", json={"username": "ada", "password": "nope"}, headers=forged)
        entry = entries(proxied)[-1]
        assert (entry.action, entry.address) == ("session.sign_in_failed", "203.0.113.9")
    finally:
        proxied.extensions["overture"].close()
