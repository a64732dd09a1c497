"""Who may call what: every route of the url map × every kind of caller, against the
table below. A route missing from the table fails, so none slips in unreviewed.

Callers: ``admin`` (ada), ``ops`` (otto), ``member`` (fiona, who started the runs,
owns the records and whose group has the work items used here), ``stranger``
(mallory, a member with nothing to do with them), ``anonymous`` and ``token`` (a
bearer token). Allowed means neither 401, 403 nor 404 (a 409 or 422 is an answer
about the request, not about the caller); denied means 401 for anonymous, 403 for a
role or a token that may not, and 404 for a member who may not see that thing
(``hidden``: ids do not leak).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from builder import accounts
from builder.extensions import state
from runtime.engine import Plan
from runtime.templates import RECORD_TYPES
from tests.builder.api_support import EXPENSE, document
from tests.builder.conftest import PASSWORD
from tests.builder.test_api_scenarios import EXPENSE_SCENARIO, store_scenario
from tests.builder.test_live import handshake_status

A, OP, M, S, N, T = "admin", "ops", "member", "stranger", "anonymous", "token"
CALLERS = (A, OP, M, S, N, T)
PEOPLE = frozenset({A, OP, M, S})
STAFF = frozenset({A, OP})
EVERYONE = frozenset(CALLERS)
USERS = {A: "ada", OP: "otto", M: "fiona", S: "mallory"}


@dataclass(frozen=True)
class May:
    """Who may call a route; how the others are turned away."""

    callers: frozenset[str]
    hidden: bool = False  # a person who may not see the thing gets 404, not 403
    token_denied: int = 403  # what a bearer token gets when it may not


#: (method, rule) -> who may call it. Add a route here only after deciding who may.
EXPECTED: dict[tuple[str, str], May] = {
    ("GET", "/api/openapi.json"): May(EVERYONE),
    ("GET", "/healthz"): May(EVERYONE),  # probes sign in as nobody (builder/health.py)
    ("GET", "/readyz"): May(EVERYONE),
    ("POST", "/api/session"): May(EVERYONE),  # signing in
    ("GET", "/api/session"): May(PEOPLE, token_denied=401),  # a token has no session
    ("DELETE", "/api/session"): May(PEOPLE, token_denied=401),
    ("GET", "/api/users"): May(STAFF),
    ("POST", "/api/users"): May(frozenset({A})),
    ("GET", "/api/users/<username>"): May(STAFF),
    ("PATCH", "/api/users/<username>"): May(frozenset({A})),
    ("POST", "/api/users/<username>/deactivate"): May(frozenset({A})),
    ("POST", "/api/users/<username>/reactivate"): May(frozenset({A})),
    ("POST", "/api/users/<username>/password"): May(frozenset({A})),
    ("DELETE", "/api/users/<username>/sessions"): May(frozenset({A})),  # sign a person out everywhere
    ("GET", "/api/groups"): May(PEOPLE),
    ("GET", "/api/profile"): May(PEOPLE),
    ("PATCH", "/api/profile"): May(PEOPLE),
    ("POST", "/api/profile/password"): May(PEOPLE),
    ("GET", "/api/profile/sessions"): May(PEOPLE, token_denied=403),
    ("DELETE", "/api/profile/sessions"): May(PEOPLE, token_denied=403),
    ("GET", "/api/profile/people"): May(PEOPLE),
    ("PATCH", "/api/users/<username>/email-settings"): May(frozenset({A})),
    # Out of office: the person (fiona) or an admin; ops and others get 403.
    ("GET", "/api/users/<username>/out-of-office"): May(frozenset({A, M})),
    ("PUT", "/api/users/<username>/out-of-office"): May(frozenset({A, M})),
    ("DELETE", "/api/users/<username>/out-of-office"): May(frozenset({A, M})),
    ("POST", "/api/groups"): May(frozenset({A})),
    ("GET", "/api/groups/<group>"): May(STAFF),
    ("PATCH", "/api/groups/<group>"): May(frozenset({A})),
    ("GET", "/api/tokens"): May(frozenset({A})),
    ("POST", "/api/tokens"): May(frozenset({A})),
    ("DELETE", "/api/tokens/<token_id>"): May(frozenset({A})),
    ("GET", "/api/orchestrations"): May(PEOPLE),
    ("POST", "/api/orchestrations"): May(frozenset({A})),
    ("GET", "/api/orchestrations/<key>"): May(STAFF),
    ("PUT", "/api/orchestrations/<key>/draft"): May(frozenset({A})),
    ("POST", "/api/orchestrations/<key>/validate"): May(frozenset({A})),
    ("POST", "/api/orchestrations/<key>/activate"): May(frozenset({A})),
    # A member reads the active version and those their runs follow (404 for others).
    ("GET", "/api/orchestrations/<key>/versions/<int(max=2147483647):number>"): May(PEOPLE),
    ("GET", "/api/orchestrations/<key>/versions/<int(max=2147483647):number>/bpmn"): May(PEOPLE),  # as the version
    ("GET", "/api/orchestrations/<key>/draft/bpmn"): May(STAFF),
    ("POST", "/api/orchestrations/import/bpmn"): May(frozenset({A})),
    ("GET", "/api/orchestrations/<key>/insights"): May(STAFF),
    ("GET", "/api/orchestrations/<key>/metrics"): May(STAFF),
    ("GET", "/api/orchestrations/<key>/scenarios"): May(STAFF),
    ("PUT", "/api/orchestrations/<key>/scenarios/<name>"): May(frozenset({A})),
    ("DELETE", "/api/orchestrations/<key>/scenarios/<name>"): May(frozenset({A})),
    ("POST", "/api/orchestrations/<key>/scenarios/generate"): May(frozenset({A})),
    ("POST", "/api/orchestrations/<key>/tests"): May(frozenset({A})),
    ("POST", "/api/orchestrations/<key>/test-run"): May(frozenset({A})),
    # Moving runs to another version: ops tooling.
    ("POST", "/api/orchestrations/<key>/migrations"): May(STAFF),
    ("GET", "/api/orchestrations/<key>/migrations"): May(STAFF),
    ("GET", "/api/orchestrations/<key>/migrations/<migration_id>"): May(STAFF),
    ("POST", "/api/orchestrations/<key>/migrations/<migration_id>/cancel"): May(STAFF),
    ("GET", "/api/actions"): May(frozenset({A})),
    ("GET", "/api/templates"): May(frozenset({A})),
    ("GET", "/api/templates/<name>"): May(frozenset({A})),
    ("POST", "/api/runs"): May(PEOPLE | {T}),
    ("GET", "/api/runs"): May(PEOPLE),  # a stranger gets an empty list
    ("GET", "/api/runs/filters"): May(PEOPLE),  # a stranger is offered only themselves
    ("GET", "/api/runs/<run_id>"): May(frozenset({A, OP, M}), hidden=True),
    ("GET", "/api/runs/<run_id>/events"): May(frozenset({A, OP, M}), hidden=True),
    ("POST", "/api/runs/<run_id>/cancel"): May(STAFF),
    ("POST", "/api/runs/<run_id>/suspend"): May(STAFF),
    ("POST", "/api/runs/<run_id>/resume"): May(STAFF),
    ("POST", "/api/runs/<run_id>/retry"): May(STAFF),
    ("PATCH", "/api/runs/<run_id>/steps/<step_id>/inputs"): May(STAFF),  # repairing a run in error
    ("PATCH", "/api/runs/<run_id>/variables"): May(STAFF),
    ("POST", "/api/runs/<run_id>/steps/<step_id>/skip"): May(STAFF),
    ("GET", "/api/runs/<run_id>/scenario"): May(STAFF),  # the replay names everyone who acted: ops tooling
    ("GET", "/api/work-items"): May(PEOPLE),
    ("GET", "/api/work-items/<item_id>"): May(frozenset({A, OP, M}), hidden=True),
    # Only the assignee (here the finance group) acts on an item: the engine says 403
    # to staff, who see every item; a member who may not see it gets 404, as GET
    # answers (ids do not leak). Ops reassign instead.
    ("POST", "/api/work-items/<item_id>/claim"): May(frozenset({M}), hidden=True),
    ("POST", "/api/work-items/<item_id>/release"): May(frozenset({M}), hidden=True),
    ("POST", "/api/work-items/<item_id>/complete"): May(frozenset({M}), hidden=True),
    ("POST", "/api/work-items/<item_id>/reassign"): May(STAFF),
    ("GET", "/api/records/<object>"): May(PEOPLE),  # a stranger sees only their own
    ("POST", "/api/records/<object>"): May(PEOPLE | {T}),
    ("GET", "/api/records/<object>/<record_id>"): May(frozenset({A, OP, M}), hidden=True),
    # The owner (fiona), admins and tokens change a record; ops only read it.
    ("PATCH", "/api/records/<object>/<record_id>"): May(frozenset({A, M, T}), hidden=True),
    ("GET", "/api/record-types"): May(PEOPLE),
    ("POST", "/api/record-types"): May(frozenset({A})),
    ("PUT", "/api/record-types/<name>"): May(frozenset({A})),
    ("POST", "/api/events"): May(STAFF | {T}),
    ("GET", "/api/notifications"): May(PEOPLE),
    ("POST", "/api/notifications/read"): May(PEOPLE),
    # The secrets store: admins only, tokens neither (a value goes in and never comes out).
    ("GET", "/api/secrets"): May(frozenset({A})),
    ("POST", "/api/secrets"): May(frozenset({A})),
    ("PUT", "/api/secrets/<name>"): May(frozenset({A})),
    ("DELETE", "/api/secrets/<name>"): May(frozenset({A})),
    ("GET", "/api/audit"): May(frozenset({A})),
    ("GET", "/api/audit/actions"): May(frozenset({A})),
    ("GET", "/api/audit/export.csv"): May(frozenset({A})),
    ("GET", "/api/audit/export.jsonl"): May(frozenset({A})),
    # Websockets: checked with a real handshake (101 = allowed).
    ("WS", "/ws/live"): May(STAFF),
    ("WS", "/ws/runs/<run_id>"): May(frozenset({A, OP, M}), hidden=True),
    ("WS", "/ws/inbox"): May(PEOPLE),  # each person's own open work
}

#: Routes left out on purpose: the single-page app's index.html and its assets are
#: served to anyone (the app then signs in through the API); /metrics takes a token of its
#: own, never a person's session or an API token (tests/builder/test_prometheus.py).
SKIPPED_BLUEPRINTS = {"spa", "prometheus"}
SKIPPED_ENDPOINTS = {"static"}

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
ARGUMENT = re.compile(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>")
QUERY = {"/ws/live": "?orchestration=expense"}


def routes(app: Any) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS or rule.endpoint.split(".", 1)[0] in SKIPPED_BLUEPRINTS:
            continue
        if rule.websocket:
            found.add(("WS", rule.rule))
        else:
            found.update((method, rule.rule) for method in (rule.methods or set()) & METHODS)
    return found


def test_every_route_has_an_expectation(app):
    skipped = sorted(
        r.rule
        for r in app.url_map.iter_rules()
        if r.rule.startswith(("/api/", "/ws/")) and (r.endpoint in SKIPPED_ENDPOINTS or r.endpoint.split(".", 1)[0] in SKIPPED_BLUEPRINTS)
    )
    assert not skipped, f"API or websocket routes in a skipped blueprint: {skipped}"
    found = routes(app)
    missing = sorted(found - EXPECTED.keys())
    assert not missing, (
        "routes with no entry in tests/builder/test_permissions.py EXPECTED — decide who may call them and add one:\n  "
        + "\n  ".join(f"{m} {r}" for m, r in missing)
    )
    stale = sorted(EXPECTED.keys() - found)
    assert not stale, "EXPECTED lists routes that no longer exist:\n  " + "\n  ".join(f"{m} {r}" for m, r in stale)


# ----------------------------------------------------------------------------- the world


class World:
    """Real things to put in URLs; a fresh one for every request that may change it."""

    def __init__(self, app: Any):
        self.app = app
        self.engine = app.extensions["overture"].engine
        self.counter = itertools.count()
        with app.app_context():
            self.engine.deploy(EXPENSE, by="ada")
            self.engine.define_record_type("contract", RECORD_TYPES["contract"], label="Contract")
            self.token = self._token()[1]

    def _token(self) -> tuple[str, str]:
        with self.app.app_context(), state().sessions.begin() as s:
            row, secret = accounts.create_token(s, f"t{next(self.counter)}", created_by="ada")
            return row.id, secret

    def run(self) -> str:
        return self.engine.start("expense", {"amount": 10}, started_by="fiona")

    def _person(self) -> str:
        """A member with no work: anyone may be deactivated, renamed or given a password."""
        name = f"person{next(self.counter)}"
        with self.app.app_context(), state().sessions.begin() as s:
            accounts.create_user(s, name, role="member", password=PASSWORD, groups=["finance"])
        return name

    def values(self) -> dict[str, Any]:
        run_id = self.run()
        (item,) = self.engine.work_items(run=run_id)
        record = self.engine.create_record(
            "contract", {"title": "T", "customer": "C", "amount": 1, "status": "draft"}, owner="fiona", by="fiona"
        )
        store_scenario(self.app, "expense", "contract_approval", EXPENSE_SCENARIO)  # the <name> a DELETE removes
        with self.app.app_context(), state().sessions.begin() as s:  # and a secret of that <name>
            state().secrets.put(s, "contract_approval", "s3cret", by="ada", now=self.engine.clock.now())
        return {
            "key": "expense",
            "number": 1,
            "name": "contract_approval",
            "object": "contract",
            "run_id": run_id,
            "step_id": "approve",
            "item_id": item["id"],
            "record_id": record["id"],
            "token_id": self._token()[0],
            "username": self._person(),
            "group": "finance",
            # A queued migration (nothing to move): the one a cancel stops.
            "migration_id": self.engine.start_migration(Plan.from_json({"orchestration": "expense", "target": 1}), by="ada"),
        }

    def body(self, method: str, rule: str) -> Any:
        n = next(self.counter)
        bodies: dict[tuple[str, str], Any] = {
            ("POST", "/api/session"): {"username": "sam", "password": PASSWORD},
            ("POST", "/api/users"): {"username": f"user{n}", "password": PASSWORD, "role": "member"},
            ("POST", "/api/groups"): {"name": f"group{n}"},
            ("PATCH", "/api/profile"): {"email_mode": "digest"},
            ("POST", "/api/profile/password"): {"current_password": PASSWORD, "new_password": PASSWORD},
            ("PATCH", "/api/users/<username>/email-settings"): {"email": "fiona@example.com"},
            ("PUT", "/api/users/<username>/out-of-office"): {
                "delegate": "frank",
                "starts_at": "2026-01-05T00:00:00+00:00",
                "ends_at": "2026-01-12T00:00:00+00:00",
            },
            ("PATCH", "/api/users/<username>"): {"display_name": f"Person {n}", "groups": ["finance", "legal"]},
            ("POST", "/api/users/<username>/deactivate"): {"reassign_to": {"type": "group", "value": "finance"}},
            ("POST", "/api/users/<username>/password"): {"password": f"{PASSWORD} {n}"},
            ("PATCH", "/api/groups/<group>"): {"label": f"Finance {n}"},
            ("POST", "/api/tokens"): {"name": f"token{n}"},
            ("POST", "/api/orchestrations"): document(EXPENSE, key=f"expense{n}"),
            ("PUT", "/api/orchestrations/<key>/draft"): EXPENSE,
            ("PUT", "/api/orchestrations/<key>/scenarios/<name>"): {"source": EXPENSE_SCENARIO},
            ("POST", "/api/runs"): {"orchestration": "expense", "inputs": {"amount": 5}},
            ("POST", "/api/orchestrations/<key>/migrations"): {"target": 1, "dry_run": True},
            ("POST", "/api/orchestrations/<key>/test-run"): {"steps": [{"start": {"inputs": {"amount": 5}}}]},
            ("POST", "/api/work-items/<item_id>/complete"): {"outcome": "approve"},
            ("PATCH", "/api/runs/<run_id>/steps/<step_id>/inputs"): {"inputs": {"fields": {"status": "x"}}},
            ("PATCH", "/api/runs/<run_id>/variables"): {"values": {"note": "x"}},
            ("POST", "/api/work-items/<item_id>/reassign"): {"to": {"type": "group", "value": "finance"}},
            ("POST", "/api/records/<object>"): {"fields": {"title": "T", "customer": "C", "amount": 1, "status": "new"}},
            ("PATCH", "/api/records/<object>/<record_id>"): {"fields": {"status": "signed"}},
            ("POST", "/api/record-types"): {"name": f"type{n}", "fields": [{"name": "title", "type": "string"}]},
            ("PUT", "/api/record-types/<name>"): {"label": f"Contract {n}", "fields": RECORD_TYPES["contract"]},
            ("POST", "/api/events"): {"name": "payment_received", "correlation": "o1"},
            ("POST", "/api/secrets"): {"name": f"secret{n}", "value": "s3cret"},
            ("PUT", "/api/secrets/<name>"): {"value": f"s3cret {n}"},
        }
        return bodies.get((method, rule))

    def url(self, rule: str) -> str:
        values = self.values() if ARGUMENT.search(rule) else {}
        if rule.startswith("/api/users/<username>/out-of-office"):
            values["username"] = "fiona"  # the member's own: a person sets their own out of office
        if rule.startswith("/api/record-types/<name>"):
            values["name"] = "contract"  # a record type that exists
        return ARGUMENT.sub(lambda m: str(values[m[1]]), rule) + QUERY.get(rule, "")


def client(app: Any, login: Callable[[str | None], Any], world: World, caller: str) -> Any:
    if caller in USERS:
        return login(USERS[caller])
    anonymous = login(None)
    if caller == T:
        anonymous.http.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {world.token}"
    return anonymous


def expected(may: May, caller: str) -> str:
    if caller in may.callers:
        return "allowed"
    if caller == N:
        return "401"
    if caller == T:
        return str(may.token_denied)
    # Staff see everything, so what they may not do is a 403 even where a member gets 404.
    return "404" if may.hidden and caller not in STAFF else "403"


def verdict(status: int) -> str:
    if status >= 500:
        return f"{status} (a server error)"
    return str(status) if status in (401, 403, 404) else "allowed"


# ----------------------------------------------------------------------------- HTTP


def test_every_http_route_answers_each_caller_as_the_table_says(app, login):
    world = World(app)
    wrong = []
    for (method, rule), may in sorted(EXPECTED.items()):
        if method == "WS":
            continue
        for caller in CALLERS:
            response = client(app, login, world, caller).request(method, world.url(rule), json=world.body(method, rule))
            got, want = verdict(response.status_code), expected(may, caller)
            if got != want:
                wrong.append(f"{method} {rule} as {caller}: wanted {want}, got {got} {response.get_data(as_text=True)[:160]}")
    assert not wrong, f"{len(wrong)} answers differ from EXPECTED:\n" + "\n".join(wrong)


# ----------------------------------------------------------------------------- websockets


def test_every_websocket_answers_each_caller_as_the_table_says(app, login, server):
    world = World(app)
    wrong = []
    for (method, rule), may in sorted(EXPECTED.items()):
        if method != "WS":
            continue
        for caller in CALLERS:
            headers = {}
            if caller in USERS:
                headers["Cookie"] = f"session={login(USERS[caller]).http.get_cookie('session').value}"
            elif caller == T:
                headers["Authorization"] = f"Bearer {world.token}"
            status = handshake_status(server, world.url(rule), headers)
            got, want = ("allowed" if status == 101 else str(status)), expected(may, caller)
            if got != want:
                wrong.append(f"{rule} as {caller}: wanted {want}, got {got}")
    assert not wrong, f"{len(wrong)} handshakes differ from EXPECTED:\n" + "\n".join(wrong)
