"""The overture command line: validate (usable in anyone's CI), demo, worker, seed, accounts,
import/export, and serve (a real gunicorn process)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import func, select

from builder import accounts, create_app
from builder.cli import main
from builder.seed import DEMO_PASSWORD, PEOPLE
from builder.tables import Base as BuilderBase
from runtime.store.tables import Base
from runtime.templates import load


def test_validate_accepts_the_templates(tmp_path: Path):
    paths = []
    for name in ("contract_approval", "service_request"):
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps(load(name)))
        paths.append(str(path))
    result = CliRunner().invoke(main, ["validate", *paths])
    assert result.exit_code == 0, result.output
    assert result.output.count(": ok") == 2


def test_validate_reports_every_error_and_exits_1(tmp_path: Path):
    document = load("contract_approval")
    document["nodes"][1]["exit"] = {"when": "condition", "condition": "steps.legal_review.outcome == "}
    document["edges"].append({"id": "e_bad", "source": "legal", "target": "nowhere"})
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(document))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = CliRunner().invoke(main, ["validate", str(bad), str(broken)])
    assert result.exit_code == 1
    assert "error: legal: exit.condition:" in result.output and "(column" in result.output
    assert "edge e_bad" in result.output
    assert "broken.json: not JSON" in result.output


def test_demo_walks_a_contract_to_signature():
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    assert "run completed at 'signed'" in result.output
    assert "legal -> finance -> revise -> legal -> finance -> executive" in result.output


def test_worker_drains_a_database(tmp_path: Path):
    from runtime.engine import Engine
    from runtime.store.sql import SqlStore

    url = f"sqlite:///{tmp_path / 'w.db'}"
    store = SqlStore(url)
    engine = Engine(store, autoprocess=False)
    engine.deploy(
        {
            "format": 1,
            "key": "ping",
            "label": "Ping",
            "variables": [{"name": "note", "type": "string"}],
            # A timer, not a notify step: notify is local (it runs inside the step's transaction).
            "nodes": [
                {"id": "start", "type": "start"},
                {"id": "s", "type": "stage", "label": "S"},
                {"id": "wait", "type": "wait", "stage": "s", "label": "Now", "timer": {"duration": "PT0S"}},
                {"id": "end", "type": "end"},
            ],
            "edges": [{"id": "a", "source": "start", "target": "s"}, {"id": "b", "source": "s", "target": "end"}],
        }
    )
    run_id = engine.start("ping")
    assert engine.get_run(run_id)["status"] == "in_progress"
    result = CliRunner().invoke(main, ["worker", "--database-url", url, "--until-idle", "--heartbeat", "0.1"])
    assert result.exit_code == 0, result.output
    assert "handled 1 jobs and timers" in result.output
    assert engine.get_run(run_id)["status"] == "completed"
    store.dispose()


# ---------------------------------------------------------------- seed, accounts, import/export, serve

ENV = {"OVERTURE_SECRET_KEY": "test", "DATABASE_URL": None}


def overture(*args: str, input: str | None = None) -> Result:
    result = CliRunner().invoke(main, list(args), input=input, env=ENV)
    assert result.exit_code == 0, result.output
    return result


def table_counts(url: str) -> dict[str, int]:
    from builder.migrate import open_store

    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            tables = [*Base.metadata.sorted_tables, *BuilderBase.metadata.sorted_tables]
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}
    finally:
        store.dispose()


def app_on(url: str) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url, "EMBEDDED_WORKER": False})


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_seed_is_idempotent_and_fills_the_monitor(request, database: str):
    url = request.getfixturevalue(f"{database}_url")
    plain = overture("seed", "--database-url", url)
    assert "0 people, 3 active orchestrations, 0 records" in plain.output
    assert "demo logins" not in plain.output

    first = overture("seed", "--demo", "--database-url", url)
    counts = table_counts(url)
    second = overture("seed", "--demo", "--database-url", url)
    assert second.output == first.output
    assert table_counts(url) == counts
    assert f"password {DEMO_PASSWORD!r}" in first.output
    for username in PEOPLE:
        assert f"\n  {username} " in first.output

    app = app_on(url)
    try:
        engine = app.extensions["overture"].engine
        assert {o["key"]: o["active_version"] for o in engine.orchestrations()} == {
            "contract_approval": 1,
            "customer_onboarding": 1,
            "project_milestones": 1,
            "service_request": 1,
        }
        runs = [engine.get_run(r["id"]) for r in engine.runs()]
        statuses = Counter(r["status"] for r in runs)
        assert statuses == {"in_progress": 9, "completed": 4, "error": 1, "suspended": 1, "cancelled": 1}
        # Waiting at different stages, and the error says why.
        assert {r["current_stage"] for r in runs if r["status"] == "in_progress"} >= {
            "legal",
            "finance",
            "vp",
            "revise",
            "verify",
            "returns",
        }
        (failed,) = [r for r in runs if r["status"] == "error"]
        assert "not on the allowlist" in failed["error"]["message"]
        # Escalated refund sits in the escalation queue; a group member sees their work.
        assert any((b["type"], b["value"]) == ("queue", "support_escalations") for r in runs for b in r["ball"])
        assert engine.work_items(assignee="alice")
        assert counts["records"] == 15 and counts["users"] == len(PEOPLE) and counts["groups"] == 10
    finally:
        app.extensions["overture"].close()


def test_seeded_people_sign_in(sqlite_url: str):
    overture("seed", "--demo", "--database-url", sqlite_url)
    app = app_on(sqlite_url)
    try:
        http = app.test_client()
        response = http.post("/api/session", json={"username": "ada", "password": DEMO_PASSWORD})
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["user"]["role"] == "admin"
        users = http.get("/api/users").get_json()["items"]
        assert {u["username"] for u in users} == set(PEOPLE)
        profile = http.get("/api/profile").get_json()
        assert (profile["email"], profile["email_mode"]) == ("ada@example.com", "immediate")
        walt = app.test_client().post("/api/session", json={"username": "walt", "password": DEMO_PASSWORD}).get_json()
        assert walt["user"]["groups"] == [{"name": "warehouse", "kind": "queue"}]
        wrong = app.test_client().post("/api/session", json={"username": "sam", "password": "not the password"})
        assert wrong.status_code == 401
    finally:
        app.extensions["overture"].close()


def test_create_user_and_token(sqlite_url: str):
    overture("seed", "--database-url", sqlite_url)
    made = overture(
        "create-user",
        "nina",
        "--role",
        "ops",
        "--group",
        "support",
        "--group",
        "warehouse",
        "--password-stdin",
        "--database-url",
        sqlite_url,
        input="a long passphrase\n",
    )
    assert "created ops nina in support, warehouse" in made.output
    prompted = overture(
        "create-user", "olga", "--role", "member", "--database-url", sqlite_url, input="another passphrase\nanother passphrase\n"
    )
    assert "another passphrase" not in prompted.output  # hidden input

    taken = CliRunner().invoke(
        main,
        ["create-user", "nina", "--role", "admin", "--password-stdin", "--database-url", sqlite_url],
        input="whatever it is today\n",
        env=ENV,
    )
    assert taken.exit_code == 1 and "user nina already exists" in taken.output
    no_group = CliRunner().invoke(
        main,
        ["create-user", "pia", "--role", "member", "--group", "nope", "--password-stdin", "--database-url", sqlite_url],
        input="whatever it is today\n",
        env=ENV,
    )
    assert no_group.exit_code == 1 and "no such group or queue: nope" in no_group.output

    token = overture("create-token", "crm", "--database-url", sqlite_url)
    secret = token.stdout.strip()
    assert secret.startswith("ovt_") and "shown only once" in token.stderr

    app = app_on(sqlite_url)
    try:
        http = app.test_client()
        for username, password in (("nina", "a long passphrase"), ("olga", "another passphrase")):
            response = http.post("/api/session", json={"username": username, "password": password})
            assert response.status_code == 200, response.get_json()
        assert [g["name"] for g in response.get_json()["user"]["groups"]] == []
        with app.extensions["overture"].sessions.begin() as s:
            owner = accounts.token_owner(s, secret)
            assert owner is not None and owner.name == "crm"
    finally:
        app.extensions["overture"].close()


def test_import_and_export_round_trip(sqlite_url: str, tmp_path: Path):
    document = load("service_request")
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document))

    drafted = overture("import", str(path), "--database-url", sqlite_url)
    assert "service_request: draft saved (revision 1)" in drafted.output
    assert json.loads(overture("export", "service_request", "--database-url", sqlite_url).output) == document  # the draft

    activated = overture("import", str(path), "--activate", "--database-url", sqlite_url)
    assert "draft saved (revision 1)" in activated.output and "version 1 is active" in activated.output
    assert json.loads(overture("export", "service_request", "--database-url", sqlite_url).output) == document

    changed = {**document, "label": "Refunds (v2)"}
    path.write_text(json.dumps(changed))
    again = overture("import", str(path), "--activate", "--database-url", sqlite_url)
    assert "revision 2" in again.output and "version 2 is active" in again.output
    assert json.loads(overture("export", "service_request", "--database-url", sqlite_url).output) == changed
    assert json.loads(overture("export", "service_request", "--version", "1", "--database-url", sqlite_url).output) == document

    broken = {**document, "edges": [*document["edges"], {"id": "e_bad", "source": "verify", "target": "nowhere"}]}
    path.write_text(json.dumps(broken))
    refused = CliRunner().invoke(main, ["import", str(path), "--database-url", sqlite_url], env=ENV)
    assert refused.exit_code == 1 and "edge e_bad" in refused.output
    assert json.loads(overture("export", "service_request", "--database-url", sqlite_url).output) == changed
    missing = CliRunner().invoke(main, ["export", "nothing_here", "--database-url", sqlite_url], env=ENV)
    assert missing.exit_code == 1 and "there is no orchestration 'nothing_here'" in missing.output
    missing = CliRunner().invoke(main, ["export", "service_request", "--version", "9", "--database-url", sqlite_url], env=ENV)
    assert missing.exit_code == 1 and "has no version 9" in missing.output


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def post_json(url: str, payload: dict) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, json.dumps(payload).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read()), response.headers.get("Set-Cookie", "")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), ""


def test_serve_signs_people_in_and_runs_the_embedded_worker(tmp_path: Path, sqlite_url: str):
    from runtime.engine import Engine
    from runtime.store.sql import SqlStore

    overture("seed", "--demo", "--database-url", sqlite_url)
    store = SqlStore(sqlite_url)
    engine = Engine(store, autoprocess=False)
    engine.deploy(
        {
            "format": 1,
            "key": "pause",
            "label": "Pause",
            "nodes": [
                {"id": "start", "type": "start"},
                {"id": "s", "type": "stage", "label": "S"},
                {"id": "wait", "type": "wait", "stage": "s", "label": "A second", "timer": {"duration": "PT1S"}},
                {"id": "end", "type": "end"},
            ],
            "edges": [{"id": "a", "source": "start", "target": "s"}, {"id": "b", "source": "s", "target": "end"}],
        }
    )
    run_id = engine.start("pause")  # its timer is fired by a worker: the server's
    assert engine.get_run(run_id)["status"] == "in_progress"

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OVERTURE_")}
    env.update(OVERTURE_VAR=str(tmp_path / "var"), DATABASE_URL=sqlite_url, OVERTURE_EMBEDDED_WORKER="1")
    with (tmp_path / "serve.log").open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-c", "from builder.cli import main; main()", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}/api/session"
        deadline = time.monotonic() + 15
        while True:
            try:
                status, body, cookie = post_json(url, {"username": "sam", "password": DEMO_PASSWORD})
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
                time.sleep(0.1)
        assert status == 200, body
        assert body["user"]["username"] == "sam" and body["csrf_token"]
        request = urllib.request.Request(url, headers={"Cookie": cookie.split(";")[0]})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert json.loads(response.read())["user"]["groups"] == [{"name": "sales", "kind": "group"}]
        assert post_json(url, {"username": "sam", "password": "wrong password"})[0] == 401

        while engine.get_run(run_id)["status"] != "completed":
            assert time.monotonic() < deadline, "the embedded worker did not fire the timer"
            time.sleep(0.1)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        store.dispose()
    output = (tmp_path / "serve.log").read_text()
    assert "Using worker: gevent" in output and "runs the embedded worker" in output
    assert (tmp_path / "var" / "secret_key").exists()  # OVERTURE_VAR was honoured, not ./var


def test_one_server_process_at_a_time_runs_the_embedded_worker():
    from types import SimpleNamespace

    from builder.server import Server

    server = Server({"workers": 2}, {})
    assert server.cfg.worker_class_str == "gevent" and server.cfg.workers == 2
    assert server.cfg.keepalive == 10 and server.cfg.worker_connections == 10_000  # header timeout, connections
    master = SimpleNamespace(WORKERS={}, log=SimpleNamespace(info=lambda *a: None))

    def fork(pid: int) -> bool:
        worker = SimpleNamespace(pid=pid)
        server.cfg.pre_fork(master, worker)
        master.WORKERS[pid] = worker
        server.cfg.post_fork(master, worker)  # in the child: decides before the app loads
        return server._runs_worker

    assert [fork(1), fork(2)] == [True, False]
    del master.WORKERS[2]
    assert fork(3) is False  # the holder is alive
    del master.WORKERS[1]
    assert fork(4) is True  # the holder died: its replacement takes over
    server.cfg.on_reload(master)
    assert [fork(5), fork(6)] == [True, False]  # HUP: the new generation takes over
    server = Server({}, {}, embedded_worker=False)  # --no-worker
    assert [fork(7), fork(8)] == [False, False]


# ---------------------------------------------------------------- overture test (scenario files)


def overture_test(*args: str) -> Result:
    return CliRunner().invoke(main, ["test", *args], env=ENV)


def test_test_runs_scenario_files_with_exit_codes_and_junit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import xml.etree.ElementTree as ET

    from tests.runtime.testing.suite_samples import FAILING, FAILING_LINE, PASSING, write

    good = write(tmp_path, "tests/good.scenario.yaml", PASSING)
    passed = overture_test(str(good))
    assert passed.exit_code == 0, passed.output
    assert passed.output.startswith(f"PASS Small deal is signed ({good}) ") and "1 passed, 0 failed in " in passed.output

    bad = write(tmp_path, "tests/deeper/bad.scenario.yaml", FAILING)
    junit = tmp_path / "junit.xml"
    failed = overture_test(str(tmp_path / "tests"), "--junit", str(junit))
    assert failed.exit_code == 1
    assert f"  {bad}:{FAILING_LINE}: step 6 (expect): stages_visited: expected" in failed.output
    assert "      -- vp\n      +- finance" in failed.output
    assert failed.output.rstrip().splitlines()[-1].startswith("1 passed, 1 failed in ")
    root = ET.parse(junit).getroot()
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "1", "0")
    assert {c.get("name"): [child.tag for child in c] for c in root.iter("testcase")} == {
        "Big detour expected": ["failure"],
        "Small deal is signed": [],
    }

    quiet = overture_test(str(tmp_path / "tests"), "-q", "-k", "detour")
    assert quiet.exit_code == 1 and "PASS" not in quiet.output and "1 deselected" in quiet.output

    monkeypatch.chdir(tmp_path / "tests")  # no PATHS: the current directory
    here = overture_test("-k", "small")
    assert here.exit_code == 0 and "PASS Small deal is signed (good.scenario.yaml)" in here.output

    good.write_text(PASSING.replace("steps:\n", "environments:\n  staging: {legal: alice}\nsteps:\n", 1))
    assert overture_test("good.scenario.yaml", "--env", "staging").exit_code == 0
    elsewhere = overture_test("good.scenario.yaml", "--env", "prod")
    assert elsewhere.exit_code == 1 and "good.scenario.yaml: no environment 'prod' in the scenario" in elsewhere.output


def test_test_prints_and_writes_coverage(tmp_path: Path):
    from tests.runtime.testing.suite_samples import PASSING, write

    write(tmp_path, "good.scenario.yaml", PASSING)
    out = tmp_path / "coverage.json"
    result = overture_test(str(tmp_path), "--coverage", "--coverage-json", str(out))
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert set(report) == {"orchestrations", "total"} and set(report["orchestrations"]) == {"contract_approval"}
    nodes = report["orchestrations"]["contract_approval"]["nodes"]
    assert set(nodes) == {"covered", "total", "percent", "missed", "hits"} and 0 < nodes["covered"] < nodes["total"]
    assert "withdrawn" in nodes["missed"] and nodes["hits"]["legal"] == 1
    assert f"contract_approval  {nodes['covered']}/{nodes['total']} {nodes['percent']:5.1f}%" in result.output
    assert f"  missed nodes: {', '.join(nodes['missed'])}" in result.output

    plain = overture_test(str(tmp_path))
    assert "missed nodes" not in plain.output  # the table only with --coverage


def test_test_reports_bad_files_and_usage_with_exit_2(tmp_path: Path):
    from tests.runtime.testing.suite_samples import BROKEN, BROKEN_LINE, PASSING, write

    broken = write(tmp_path, "broken.scenario.yaml", BROKEN)
    write(tmp_path, "good.scenario.yaml", PASSING)
    result = overture_test(str(tmp_path))
    assert result.exit_code == 2
    assert f"ERROR broken.scenario.yaml ({broken})" in result.output
    assert f"  {broken}:{BROKEN_LINE}: steps[1]: a step needs one action" in result.output
    assert "1 passed, 0 failed, 1 error in " in result.output

    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = overture_test(str(empty))
    assert nothing.exit_code == 2 and f"no scenario files (*.scenario.yaml) in {empty}" in nothing.output
    missing = overture_test(str(tmp_path / "nowhere"))
    assert missing.exit_code == 2 and "nowhere: no such file or directory" in missing.output
    assert overture_test("--out", str(tmp_path)).exit_code == 2
    unknown = overture_test("--generate", "no_such_process")
    assert unknown.exit_code == 2 and "no orchestration 'no_such_process' in the shipped templates" in unknown.output


def test_test_generates_path_tests_that_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    out = tmp_path / "generated"
    generated = overture_test("--generate", "contract_approval", "--out", str(out))
    assert generated.exit_code == 0, generated.output
    files = sorted(out.glob("contract_approval--*.scenario.yaml"))
    assert len(files) >= 5 and f"contract_approval: wrote {len(files)} scenarios" in generated.output
    ran = overture_test(str(out), "--coverage")
    assert ran.exit_code == 0, ran.output
    assert f"{len(files)} passed, 0 failed" in ran.output

    # From a document file: the scenarios name it, so they run from wherever they are written.
    document = {**load("contract_approval"), "key": "contract_copy"}
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "copy.json").write_text(json.dumps(document))
    monkeypatch.chdir(tmp_path)
    from_file = overture_test("--generate", "docs/copy.json", "--max-visits", "1")
    assert from_file.exit_code == 0, from_file.output
    copies = sorted((tmp_path / "scenarios" / "contract_copy" / "generated").glob("*.scenario.yaml"))
    assert copies and "document: ../../../docs/copy.json" in copies[0].read_text()
    # One visit per stage: no loop back through revise and legal again.
    assert len(copies) < len(files)
    assert overture_test("scenarios").exit_code == 0


def test_test_proves_a_migration_against_the_versions_in_the_database(tmp_path: Path, sqlite_url: str):
    """Issue 16: before moving production runs to version 2 (which adds compliance), a tester runs
    a scenario whose run starts on the stored version 1 and whose `migrate` step moves it to 2."""
    from tests.runtime.testing.test_migrate_step import TO_FINANCE, contract

    for number, document in enumerate((contract(), contract(compliance=True)), 1):
        (tmp_path / f"v{number}.json").write_text(json.dumps(document))
        overture("import", str(tmp_path / f"v{number}.json"), "--activate", "--database-url", sqlite_url)  # version 1, then 2
    personas = "personas:\n  legal: {user: alice, groups: [legal]}\n  finance: {user: fiona, groups: [finance]}\n"
    head = f"scenario: 1\nname: Moves to compliance\norchestration: contract\nversion: 1\n{personas}"
    moves = (
        "  - migrate: {to: 2}\n  - as: finance\n    complete: approve\n    outcome: approve\n  - expect: {stage: compliance, version: 2}\n"
    )
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "move.scenario.yaml").write_text(head + TO_FINANCE + moves)
    (tests / "no-v3.scenario.yaml").write_text(head.replace("Moves to compliance", "No version 3") + TO_FINANCE + "  - migrate: {to: 3}\n")

    result = overture_test(str(tests), "--database", sqlite_url)

    assert result.exit_code == 1, result.output
    assert "PASS Moves to compliance" in result.output and "FAIL No version 3" in result.output
    assert "version 3 of 'contract' is neither in the scenario's `versions` nor in the database" in result.output


def test_test_finds_documents_and_generates_from_the_database(tmp_path: Path, sqlite_url: str):
    from tests.runtime.testing.suite_samples import scenario, write

    document = {**load("contract_approval"), "key": "contract_db"}
    (tmp_path / "contract_db.json").write_text(json.dumps(document))
    overture("import", str(tmp_path / "contract_db.json"), "--activate", "--database-url", sqlite_url)
    (tmp_path / "contract_db.json").unlink()
    tests = tmp_path / "tests"
    write(tests, "db.scenario.yaml", scenario("From the database", orchestration="contract_db"))

    alone = overture_test(str(tests))
    assert alone.exit_code == 1 and "no document for orchestration 'contract_db'" in alone.output
    found = overture_test(str(tests), "--database", sqlite_url)
    assert found.exit_code == 0, found.output

    out = tmp_path / "generated"
    generated = CliRunner().invoke(
        main, ["test", "--generate", "contract_db", "--out", str(out), "--max-visits", "1"], env={**ENV, "DATABASE_URL": sqlite_url}
    )
    assert generated.exit_code == 0, generated.output
    assert sorted(out.glob("contract_db--*.scenario.yaml"))
    assert overture_test(str(out), "--database-url", sqlite_url).exit_code == 0
