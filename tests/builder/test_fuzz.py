"""Bad input never gives a 500 and never stores an invalid version (ARCHITECTURE §4).

Hypothesis sends garbage JSON and mutations of valid payloads (fields deleted,
replaced by garbage or given the wrong type) to the entry points that take bodies.
Each test makes one app and loops over the examples inside it, so the budgets below
keep the file to a few seconds.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any
from urllib.parse import urlencode

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from builder.extensions import state
from runtime.document import validate
from runtime.store.tables import VersionRow
from runtime.templates import load
from tests.builder.api_support import EXPENSE, PAYMENT, deploy, document, setup_contracts, start

BUDGET = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

#: Text no database, YAML parser or mail server takes: half a UTF-16 pair (JSON can escape one),
#: NUL and other control characters, a byte-order mark, right-to-left override.
hostile_text = st.one_of(
    st.text(st.characters(codec=None, exclude_categories=()), max_size=8),  # surrogates included
    st.sampled_from(["\ud800", "a\udfff", "\udbffx", "\x00", "\x07\x1b", "\ufeff", "\ufffe", "\u202e"]),
)
#: Integers no double holds (a 400-digit one once overflowed a number check), and ones just inside.
huge_integers = st.integers(min_value=10**300, max_value=10**400).flatmap(lambda n: st.sampled_from([n, -n]))
#: Values that read as booleans to a lenient parser, and so must not pass for one.
boolean_lookalikes = st.sampled_from([0, 1, -1, "true", "false", "yes", "on", "1", "", None])
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | hostile_text
    | huge_integers
    | boolean_lookalikes
)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12
)
#: Bodies that parse to something Python's json accepts but JSON does not mean.
ODD_BODIES = st.sampled_from(
    [
        "1e400",
        "-1e400",
        "[1e400]",
        '{"key": 1e400}',
        "NaN",
        '{"a": NaN}',
        "Infinity",
        '{"a": -Infinity}',
        "null",
        "",
        "{",
        "[" * 50_000 + "]" * 50_000,
        '{"a":' * 10_000 + "1" + "}" * 10_000,
        "9" * 5000,
        '"\\ud800"',
        "\u00ff\u00fe",
        '{"key": "expense", "nodes": 1e999}',
    ]
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        yield from _paths(child, (*prefix, key))


def _alike(value: Any) -> st.SearchStrategy[Any]:
    """Another value of the same type as ``value`` (often still valid)."""
    if isinstance(value, bool):
        return st.booleans() | boolean_lookalikes
    if isinstance(value, int):
        return st.integers(-(2**40), 2**40) | huge_integers
    if isinstance(value, float):
        return st.floats(allow_nan=False, allow_infinity=False)
    if isinstance(value, str):
        return st.text(max_size=12) | hostile_text | st.sampled_from(["", " ", "approve", "finance", "P1D", "inputs.amount > 3", "{{"])
    return st.just(value)


def _retyped(value: Any) -> st.SearchStrategy[Any]:
    """Something of another JSON type than ``value``."""
    options = [
        st.just(None),
        st.booleans(),
        st.integers(-5, 5),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=5),
        st.lists(scalars, max_size=2),
        st.dictionaries(st.text(max_size=4), scalars, max_size=2),
        st.lists(st.lists(st.none(), min_size=1, max_size=2), min_size=1, max_size=2),
    ]  # [[null, null]]
    return st.one_of(*options).filter(lambda v: type(v) is not type(value))


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """``base`` with one to three fields deleted, replaced by garbage, retyped or changed."""
    value = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(value))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = value
        for key in path[:-1]:
            parent = parent[key]
        last = path[-1]
        action = draw(st.sampled_from(("delete", "garbage", "retype", "alike", "alike")))
        if action == "alike":
            parent[last] = draw(_alike(parent[last]))
        elif action == "delete":
            del parent[last]
        elif action == "garbage":
            parent[last] = draw(json_values)
        else:
            parent[last] = draw(_retyped(parent[last]))
    return value


def payloads(base: Any) -> st.SearchStrategy[tuple[str, Any]]:
    """("json", value) sent as JSON, or ("raw", text) sent as is with the JSON content type."""
    return st.one_of(
        st.tuples(st.just("json"), mutated(base)),
        st.tuples(st.just("json"), json_values),
        st.tuples(st.just("raw"), ODD_BODIES),
    )


def send(client: Any, method: str, url: str, payload: tuple[str, Any]) -> Any:
    kind, value = payload
    if kind == "json":
        response = client.request(method, url, data=json.dumps(value), content_type="application/json")
    else:
        response = client.request(method, url, data=value, content_type="application/json")
    assert response.status_code < 500, f"{method} {url} with {payload!r:.300} -> {response.status_code}"
    if response.status_code >= 400:
        error = (response.get_json(silent=True) or {}).get("error")
        assert isinstance(error, dict) and isinstance(error.get("code"), str) and isinstance(error.get("message"), str), (
            f"{method} {url} -> {response.status_code} without the error shape: {response.get_data(as_text=True)[:200]}"
        )
    return response


# ----------------------------------------------------------------------------- documents

TEMPLATE = document(EXPENSE, key="fuzzed", label="Fuzzed")


def test_garbage_documents_are_refused_and_never_become_a_version(app, login):
    ada = login("ada")
    assert ada.post("/api/orchestrations", json=TEMPLATE).status_code == 201
    deploy(ada, load("contract_approval"))

    @BUDGET
    @given(payload=payloads(TEMPLATE))
    def check(payload: tuple[str, Any]) -> None:
        send(ada, "POST", "/api/orchestrations", payload)
        send(ada, "POST", "/api/orchestrations/fuzzed/validate", payload)
        saved = send(ada, "PUT", "/api/orchestrations/fuzzed/draft", payload)
        activated = send(ada, "POST", "/api/orchestrations/fuzzed/activate", ("raw", ""))
        if saved.status_code == 200 and not saved.get_json()["valid"]:
            assert activated.status_code == 422, activated.get_json()

    check()
    engine = app.extensions["overture"].engine
    with app.app_context(), state().sessions() as s:
        versions = list(s.scalars(select(VersionRow)))
    assert versions, "nothing was activated at all: the fuzzing is too hostile to learn anything"
    for version in versions:
        errors = [i for i in validate(version.document, actions=engine.actions) if i.severity == "error"]
        assert not errors, f"version {version.orchestration}/{version.number} is invalid: {errors}"


# ----------------------------------------------------------------------------- runtime entry points


def test_garbage_to_runs_work_items_records_and_events_is_a_4xx(app, login):
    ada, fiona = login("ada"), login("fiona")
    deploy(ada, EXPENSE)
    deploy(ada, PAYMENT)
    setup_contracts(ada)
    contract = {"title": "Deal", "customer": "ACME", "amount": 1200, "status": "draft"}
    record = ada.post("/api/records/contract", json={"fields": contract, "owner": "fiona"}).get_json()
    start(ada, "payment", order="o1")
    engine = app.extensions["overture"].engine

    @BUDGET
    @given(
        run=payloads({"orchestration": "expense", "inputs": {"amount": 5}, "record": {"object": "contract", "id": record["id"]}}),
        completion=payloads({"outcome": "approve", "values": {"note": "ok", "cost_centre": 7}, "comment": "fine"}),
        created=payloads({"fields": contract, "owner": "fiona"}),
        change=payloads({"fields": {"status": "signed", "amount": 5}}),
        event=payloads({"name": "payment_received", "correlation": "o1", "payload": {"amount": 3}}),
    )
    def check(run: Any, completion: Any, created: Any, change: Any, event: Any) -> None:
        send(ada, "POST", "/api/runs", run)
        run_id = engine.start("expense", {"amount": 10}, started_by="fiona")
        (item,) = engine.work_items(run=run_id)
        send(fiona, "POST", f"/api/work-items/{item['id']}/complete", completion)
        send(ada, "POST", "/api/records/contract", created)
        send(ada, "PATCH", f"/api/records/contract/{record['id']}", change)
        send(ada, "POST", "/api/events", event)

    check()


def test_garbage_to_people_and_groups_is_a_4xx_and_keeps_an_admin(app, login):
    """Mutated administration bodies: answered, or refused with a 4xx; whatever is sent,
    ada (the only admin) stays an active admin and nobody gets a blank name."""
    ada = login("ada")
    deploy(ada, EXPENSE)
    engine = app.extensions["overture"].engine

    @BUDGET
    @given(
        change=payloads({"display_name": "Sam", "role": "ops", "groups": ["sales", "legal"]}),
        leaving=payloads({"reassign_to": {"type": "user", "value": "frank"}}),
        password=payloads({"password": "a long new secret"}),
        group=payloads({"label": "Sales team", "members": ["sam", "alice"]}),
        created=payloads({"username": "newbie", "password": "a long new secret", "role": "member", "groups": ["sales"]}),
    )
    def check(change: Any, leaving: Any, password: Any, group: Any, created: Any) -> None:
        run_id = engine.start("expense", {"amount": 10}, started_by="ada")
        (item,) = engine.work_items(run=run_id)
        engine.reassign(item["id"], {"type": "user", "value": "sam"}, by="ada")  # sam has personal work
        send(ada, "PATCH", "/api/users/sam", change)
        send(ada, "PATCH", "/api/users/ada", change)
        send(ada, "POST", "/api/users/sam/deactivate", leaving)
        send(ada, "POST", "/api/users/sam/reactivate", ("raw", ""))
        send(ada, "POST", "/api/users/sam/password", password)
        send(ada, "PATCH", "/api/groups/sales", group)
        send(ada, "POST", "/api/users", created)
        me = ada.get("/api/users/ada").get_json()
        assert me["role"] == "admin" and me["active"] is True
        sam = ada.get("/api/users/sam").get_json()
        assert sam["display_name"].strip() and sam["active"] is True

    check()


def test_garbage_sign_ins_names_labels_tokens_and_record_types_are_a_4xx(app, login):
    """Where issue 12 found 500s: a lone surrogate in the user name of an anonymous sign-in,
    a display name, a group's label, a token's name; ``[[null, null]]`` as record-type fields;
    a 400-digit integer. And a record type is only created when ``required`` is a real boolean."""
    ada, nobody = login("ada"), login(None)
    record_type = {"name": "thing", "label": "Thing", "fields": [{"name": "title", "type": "string", "required": True, "label": "Title"}]}
    created_types: list[str] = []

    @BUDGET
    @given(
        sign_in=payloads({"username": "fuzzer", "password": "not the password"}),
        person=payloads({"display_name": "Sam Seller"}),
        group=payloads({"name": "auditors", "kind": "group", "label": "Auditors"}),
        token=payloads({"name": "crm"}),
        kind=payloads(record_type),
    )
    @example(
        sign_in=("json", {"username": "\ud800", "password": "x"}),
        person=("json", {"display_name": "\ud800"}),
        group=("json", {"name": "audit", "label": "A\ud800"}),
        token=("json", {"name": "crm\ud800"}),
        kind=("json", {"name": "nulls", "fields": [[None, None]]}),
    )
    @example(
        sign_in=("raw", '{"username": %s, "password": "x"}' % ("9" * 400)),
        person=("json", {"display_name": 10**400}),
        group=("json", {"name": "audit", "label": "Audit"}),
        token=("json", {"name": "crm"}),
        kind=("json", {"name": "numbers", "fields": [{"name": "title", "type": "string", "required": 0}]}),
    )
    @example(
        sign_in=("json", {"username": "fuzzer", "password": "x"}),
        person=("json", {"display_name": "Sam"}),
        group=("json", {"name": "auditors"}),
        token=("json", {"name": "crm"}),
        kind=("json", record_type),
    )
    def check(sign_in: Any, person: Any, group: Any, token: Any, kind: Any) -> None:
        send(nobody, "POST", "/api/session", sign_in)
        send(ada, "PATCH", "/api/users/sam", person)
        send(ada, "POST", "/api/groups", group)
        send(ada, "POST", "/api/tokens", token)
        answer = send(ada, "POST", "/api/record-types", kind)
        if answer.status_code == 201:
            sent = kind[1]["fields"]
            assert all(isinstance(f.get("required", False), bool) for f in sent), f"created with {sent!r:.200}"
            created_types.append(answer.get_json()["name"])

    check()
    assert "thing" in created_types, "the unmutated record type was not created: the test is broken"


def test_hostile_text_in_a_scenario_source_is_a_4xx(app, login):
    """Scenario sources are YAML: text YAML cannot read (control characters), or that reads
    to text no database stores (an escaped lone surrogate), is refused with a 4xx, or stored
    and run when YAML and the scenario format take it."""
    ada = login("ada")
    deploy(ada, EXPENSE)
    url = "/api/orchestrations/expense"

    @settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(text=hostile_text | st.text(max_size=40), where=st.sampled_from(["name", "persona", "comment", "escaped"]))
    @example(text="\x07", where="name")  # YAML's reader refuses control characters
    @example(text="\\ud800", where="escaped")  # YAML's own escape for half a UTF-16 pair
    def check(text: str, where: str) -> None:
        head, steps = "scenario: 1\norchestration: expense\n", "steps:\n  - start: {inputs: {amount: 5}}\n"
        source = {
            "name": f"{head}name: {text}\n{steps}",
            "persona": f"{head}name: x\npersonas:\n  {json.dumps(text)}: {{user: sam}}\n{steps}",
            "comment": f"# {text}\n{head}name: x\n{steps}",
            "escaped": f'{head}name: "{text}"\n{steps}',
        }[where]
        stored = send(ada, "PUT", f"{url}/scenarios/hostile", ("json", {"source": source}))
        if stored.status_code == 200:
            send(ada, "POST", f"{url}/tests", ("json", {"names": ["hostile"]}))
            saved.append(text)

    saved: list[str] = []
    check()
    assert saved, "no source was ever stored: the sources are broken, not hostile"


def _cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


QUERY_NAMES = (
    "orchestration",
    "version",
    "status",
    "stage",
    "assignee",
    "started_after",
    "started_before",
    "after",
    "mine",
    "run",
    "owner",
    "window",
    "limit",
    "cursor",
    "colour",
)
query_values = st.one_of(
    st.text(max_size=10), st.integers().map(str), st.sampled_from(["", "1", "0", "-1", "true", "open,", "9" * 40]), json_values.map(_cursor)
)
LISTS = (
    "/api/runs",
    "/api/work-items",
    "/api/records/contract",
    "/api/orchestrations",
    "/api/notifications",
    "/api/users",
    "/api/groups",
    "/api/tokens",
    "/api/record-types",
    "/api/actions",
    "/api/templates",
    "/api/orchestrations/expense/insights",
    "/api/runs/{run}/events",
)


def test_garbage_query_strings_are_a_4xx(app, login):
    ada = login("ada")
    deploy(ada, EXPENSE)
    setup_contracts(ada)
    run = start(ada)

    @BUDGET
    @given(
        url=st.sampled_from(LISTS),
        args=st.dictionaries(st.sampled_from(QUERY_NAMES), query_values, max_size=4),
        cursor=st.none() | json_values.map(_cursor),
    )
    def check(url: str, args: dict[str, str], cursor: str | None) -> None:
        if cursor is not None:
            args["cursor"] = cursor
        path = url.format(run=run["id"]) + "?" + urlencode(args)
        response = ada.get(path)
        assert response.status_code < 500, f"GET {path} -> {response.status_code}"
        if response.status_code >= 400:
            assert isinstance(response.get_json()["error"]["code"], str)

    check()


def test_odd_numbers_in_urls_queries_and_headers_are_a_4xx(app, login):
    """Numbers too big for the database's columns, and digits int() refuses ("²")."""
    ada = login("ada")
    deploy(ada, EXPENSE)
    huge = "9" * 30
    for url in (
        f"/api/orchestrations/expense/versions/{huge}",
        f"/api/runs?version={huge}",
        f"/api/runs/x/events?after={huge}",
        f"/api/orchestrations/expense/insights?version={huge}",
        f"/api/runs?limit={huge}",
        f"/api/runs?limit={'9' * 5000}",
        "/api/runs?limit=²",
        "/api/runs?version=0",
    ):
        response = ada.get(url)
        assert 400 <= response.status_code < 500, (url[:60], response.status_code)
    for revision in ("²", huge, "9" * 5000, 'W/"²"', "-1", ""):
        response = ada.put("/api/orchestrations/expense/draft", json=EXPENSE, headers={"If-Match": revision})
        assert 400 <= response.status_code < 500, (revision[:20], response.status_code)


def test_json_that_json_cannot_say_back_is_a_400(app, login):
    """Python's json reads 1e400 as infinity and NaN as NaN, and recurses on nesting;
    body() refuses all three before anything is stored or echoed."""
    ada = login("ada")
    for raw in (
        '{"key": 1e400}',
        '{"key": NaN}',
        '{"key": -Infinity}',
        '{"key": %s}' % ("9" * 400),
        "[" * 100_000 + "]" * 100_000,
        '{"a":' * 65 + "1" + "}" * 65,
    ):
        response = ada.post("/api/orchestrations", data=raw, content_type="application/json")
        assert response.status_code == 400, (raw[:20], response.status_code)
        assert response.get_json()["error"]["code"] in ("malformed_json", "too_deep")
    assert (
        ada.post("/api/orchestrations", data='{"a":' * 63 + "1" + "}" * 63, content_type="application/json").status_code == 422
    )  # deep but allowed: not a document


# ----------------------------------------------------------------------------- scenario tests


def test_garbage_scenarios_and_drafts_never_break_the_tests_panel(app, login):
    """Mutated scenario files are stored or refused with a 4xx; running them and generating
    path tests from mutated drafts answers with results or a 4xx, never a 500."""
    ada = login("ada")
    contract = load("contract_approval")
    deploy(ada, contract)
    shipped = resources.files("runtime.templates").joinpath("scenarios/contract_approval/rejected_then_resubmitted.scenario.yaml")
    scenario = yaml.safe_load(shipped.read_text())
    url = "/api/orchestrations/contract_approval"
    ran: list[int] = []

    @settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(scenario=mutated(scenario), draft=mutated(contract))
    @example(scenario=scenario, draft=contract)  # one that surely runs, besides the mutants that still load
    def check(scenario: Any, draft: Any) -> None:
        stored = send(ada, "PUT", f"{url}/scenarios/fuzzed", ("json", {"source": yaml.safe_dump(scenario)}))
        send(ada, "PUT", f"{url}/draft", ("json", draft))
        send(ada, "POST", f"{url}/tests", ("json", {"names": ["fuzzed"]}))  # the mutated draft: results or a 4xx
        tests = send(ada, "POST", f"{url}/tests", ("json", {"names": ["fuzzed"], "target": "active"}))
        send(ada, "POST", f"{url}/scenarios/generate", ("json", {"target": "draft", "max_visits": 1}))
        if stored.status_code == 200 and tests.status_code == 200:
            (result,) = tests.get_json()["results"]
            ran.append(result["passed"])

    check()
    assert True in ran, "the unmutated scenario did not pass: the test is broken"
    assert len(ran) > 1, "no mutated scenario was ever stored and run: the fuzzing learnt nothing"


def test_garbage_test_run_steps_are_a_4xx(app, login):
    """Mutated steps of the builder's Test run: a state or a 4xx naming the step, never a 500."""
    ada = login("ada")
    contract = load("contract_approval")
    deploy(ada, contract)
    shipped = resources.files("runtime.templates").joinpath("scenarios/contract_approval/rejected_then_resubmitted.scenario.yaml")
    scenario = yaml.safe_load(shipped.read_text())
    body = {"source": "draft", "steps": scenario["steps"], "personas": scenario["personas"]}
    url = "/api/orchestrations/contract_approval/test-run"
    answers: list[int] = []

    @settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
    @given(payload=payloads(body))
    @example(payload=("json", body))
    def check(payload: tuple[str, Any]) -> None:
        answers.append(send(ada, "POST", url, payload).status_code)

    check()
    assert 200 in answers, "the unmutated steps did not play: the test is broken"
