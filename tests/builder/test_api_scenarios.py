"""Scenario tests in the builder: stored per orchestration, run against the draft or a
version, generated from the paths; seeded for the templates; carried by export/import."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import func, select

from builder import scenarios
from builder import seed as seed_module
from builder.cli import main
from builder.extensions import state
from builder.seed import TEMPLATE_SCENARIOS, store_template_scenarios
from builder.tables import ScenarioRow
from runtime.store.tables import RunEventRow, RunRow
from runtime.templates import TEMPLATES, load
from tests.builder.api_support import EXPENSE, deploy, document, error_code

#: Finance approves the expense, legal files it: passes on EXPENSE as shipped.
EXPENSE_SCENARIO = """\
scenario: 1
name: Finance approves, legal files
orchestration: expense
personas:
  requester: {user: sam}
  finance: {user: fiona, groups: [finance]}
  legal: {user: alice, groups: [legal]}
steps:
  - start: {inputs: {amount: 120}, as: requester}
  - expect: {stage: review, ball: [{group: finance}]}
  - as: finance
    complete: approve
    outcome: approve
  - expect: {stage: filing}
  - as: legal
    complete: file
    outcome: filed
  - expect: {status: completed, stages_visited: [review, filing]}
"""

#: EXPENSE without the filing stage: the scenario above fails on its 4th step.
NO_FILING = document(
    EXPENSE,
    nodes=[n for n in EXPENSE["nodes"] if n["id"] not in ("filing", "file", "approved")],
    edges=[EXPENSE["edges"][0], {"id": "e2", "source": "review", "target": "done"}],
)

URL = "/api/orchestrations/expense"


def store_scenario(app: Flask, key: str, name: str, source: str) -> None:
    """Put a scenario straight into the database (no checks), replacing one of that name."""
    with app.app_context(), state().sessions.begin() as s:
        s.merge(ScenarioRow(orchestration=key, name=name, source=source, updated_at=datetime.now(UTC), updated_by="ada"))


def stored(app: Flask, key: str = "expense") -> dict[str, str]:
    with app.app_context(), state().sessions() as s:
        return {row.name: row.source for row in s.scalars(select(ScenarioRow).where(ScenarioRow.orchestration == key))}


@pytest.fixture
def admin(login: Any) -> Any:
    client = login("ada")
    deploy(client, EXPENSE)
    return client


def put(client: Any, name: str, source: str, key: str = "expense") -> Any:
    return client.put(f"/api/orchestrations/{key}/scenarios/{name}", json={"source": source})


# ----------------------------------------------------------------------------- storing


def test_save_list_replace_and_delete(admin):
    saved = put(admin, "finance-approves", EXPENSE_SCENARIO)
    assert saved.status_code == 200, saved.get_json()
    item = saved.get_json()
    assert (item["name"], item["source"], item["updated_by"]) == ("finance-approves", EXPENSE_SCENARIO, "ada")
    assert datetime.fromisoformat(item["updated_at"]).tzinfo is not None

    assert put(admin, "a.first_one", EXPENSE_SCENARIO).status_code == 200
    listed = admin.get(f"{URL}/scenarios")
    assert listed.status_code == 200
    assert [i["name"] for i in listed.get_json()["items"]] == ["a.first_one", "finance-approves"]
    assert listed.get_json()["items"][1] == item

    changed = EXPENSE_SCENARIO.replace("Finance approves, legal files", "Approved and filed")
    replaced = put(admin, "finance-approves", changed)
    assert replaced.status_code == 200 and replaced.get_json()["source"] == changed
    assert put(admin, "finance-approves", changed).get_json()["updated_at"] == replaced.get_json()["updated_at"]

    deleted = admin.delete(f"{URL}/scenarios/finance-approves")
    assert deleted.status_code == 204 and "Content-Type" not in deleted.headers
    assert [i["name"] for i in admin.get(f"{URL}/scenarios").get_json()["items"]] == ["a.first_one"]
    again = admin.delete(f"{URL}/scenarios/finance-approves")
    assert again.status_code == 404 and "no scenario finance-approves" in again.get_json()["error"]["message"]


def test_ops_reads_but_only_admins_write_or_run(admin, login):
    assert put(admin, "ok", EXPENSE_SCENARIO).status_code == 200
    ops, member = login("otto"), login("fiona")
    assert ops.get(f"{URL}/scenarios").status_code == 200
    assert member.get(f"{URL}/scenarios").status_code == 403
    for client in (ops, member):
        assert put(client, "mine", EXPENSE_SCENARIO).status_code == 403
        assert client.delete(f"{URL}/scenarios/ok").status_code == 403
        assert client.post(f"{URL}/tests").status_code == 403
        assert client.post(f"{URL}/scenarios/generate").status_code == 403
    assert list(stored(admin.http.application)) == ["ok"]


def test_a_file_that_is_not_a_scenario_is_refused_with_its_lines(admin, app):
    tabbed = EXPENSE_SCENARIO.replace("  requester: {user: sam}", "\trequester: {user: sam}")  # YAML refuses tabs
    response = put(admin, "broken", tabbed)
    assert response.status_code == 422 and error_code(response) == "invalid"
    assert "not a valid scenario file: 1 problem" in response.get_json()["error"]["message"]
    (problem,) = response.get_json()["error"]["details"]["problems"]
    assert problem["line"] == 5 and "not valid YAML" in problem["message"], problem

    # Line 9 starts the steps' first entry; its action is misspelt.
    misspelt = EXPENSE_SCENARIO.replace("  - start: {inputs", "  - begin: {inputs")
    response = put(admin, "misspelt", misspelt)
    assert response.status_code == 422
    problems = response.get_json()["error"]["details"]["problems"]
    assert any(p["line"] == 9 and p["path"].startswith("steps[0]") for p in problems), problems
    assert stored(app) == {}


def test_a_scenario_of_another_orchestration_is_refused(admin, app):
    response = put(admin, "elsewhere", EXPENSE_SCENARIO.replace("orchestration: expense", "orchestration: payment"))
    assert response.status_code == 422
    assert "tests orchestration 'payment', not 'expense'" in response.get_json()["error"]["message"]
    assert response.get_json()["error"]["details"]["problems"] == [
        {"line": 3, "path": "orchestration", "message": "must be 'expense', the orchestration it is saved to"}
    ]
    assert stored(app) == {}


@pytest.mark.parametrize("name", ["-leading-dash", "has space", "a/b", "x" * 101, ".hidden"])
def test_names_are_slugs(admin, name):
    response = put(admin, name, EXPENSE_SCENARIO)
    assert response.status_code in (404, 422)  # "a/b" matches no route at all
    if response.status_code == 422:
        assert response.get_json()["error"]["details"]["problems"][0]["path"] == "name"


def test_sizes_and_counts_are_bounded(admin, app, monkeypatch):
    big = EXPENSE_SCENARIO + "# " + "x" * scenarios.MAX_SOURCE_BYTES + "\n"
    response = put(admin, "big", big)
    assert response.status_code == 422 and "256 KiB" in response.get_json()["error"]["message"]

    monkeypatch.setattr(scenarios, "MAX_SCENARIOS", 2)
    assert put(admin, "one", EXPENSE_SCENARIO).status_code == 200
    assert put(admin, "two", EXPENSE_SCENARIO).status_code == 200
    third = put(admin, "three", EXPENSE_SCENARIO)
    assert third.status_code == 422 and "already has 2 scenarios" in third.get_json()["error"]["message"]
    assert put(admin, "two", EXPENSE_SCENARIO.replace("legal files", "legal files it")).status_code == 200  # replacing is fine
    assert sorted(stored(app)) == ["one", "two"]


def test_unknown_orchestration_or_bad_body(admin):
    nowhere = "/api/orchestrations/nowhere"
    assert admin.get(f"{nowhere}/scenarios").status_code == 404
    assert put(admin, "x", EXPENSE_SCENARIO.replace("expense", "nowhere"), key="nowhere").status_code == 404
    assert admin.delete(f"{nowhere}/scenarios/x").status_code == 404
    assert admin.post(f"{nowhere}/tests", json={}).status_code == 404
    assert admin.post(f"{nowhere}/scenarios/generate", json={}).status_code == 404

    assert admin.put(f"{URL}/scenarios/x", json={"source": EXPENSE_SCENARIO, "extra": 1}).status_code == 422
    assert admin.put(f"{URL}/scenarios/x", json={}).status_code == 422
    for target in ("latest", 0, True, 1.5, None):
        response = admin.post(f"{URL}/tests", json={"target": target})
        assert response.status_code == 422, (target, response.get_json())
        assert "target" in response.get_json()["error"]["details"]
    assert admin.post(f"{URL}/scenarios/generate", json={"max_visits": 50}).status_code == 422
    assert admin.post(f"{URL}/tests", json={"target": 7}).status_code == 404  # no version 7


# ----------------------------------------------------------------------------- running


def test_tests_pass_on_the_active_version_and_fail_on_a_draft_that_changed_the_graph(admin, app):
    assert put(admin, "finance-approves", EXPENSE_SCENARIO).status_code == 200
    assert admin.put(f"{URL}/draft", json=NO_FILING).status_code == 200
    with app.app_context(), state().sessions() as s:
        before = (s.scalar(select(func.count()).select_from(RunRow)), s.scalar(select(func.count()).select_from(RunEventRow)))

    active = admin.post(f"{URL}/tests", json={"target": "active"})
    assert active.status_code == 200, active.get_json()
    report = active.get_json()
    assert report["target"] == "active"
    assert report["summary"]["passed"] == 1 and report["summary"]["failed"] == 0
    (result,) = report["results"]
    assert result["passed"] and result["source"] == "finance-approves" and result["name"] == "Finance approves, legal files"
    assert result["orchestration"] == "expense" and result["path"] == ["review", "filing"]
    assert admin.post(f"{URL}/tests", json={"target": 1}).get_json()["summary"]["passed"] == 1

    draft = admin.post(f"{URL}/tests", json={"target": "draft"}).get_json()
    assert draft["target"] == "draft" and draft["summary"] == {**draft["summary"], "passed": 0, "failed": 1}
    (failed,) = draft["results"]
    assert not failed["passed"]
    failure = failed["failures"][0]
    assert failure["step"] == 3 and failure["line"] == 14 and failure["kind"] == "expect", failure
    assert admin.post(f"{URL}/tests").get_json()["target"] == "draft"  # the default

    with app.app_context(), state().sessions() as s:  # the runner's engine is in memory
        after = (s.scalar(select(func.count()).select_from(RunRow)), s.scalar(select(func.count()).select_from(RunEventRow)))
    assert after == before


def test_results_summary_and_coverage_shape(admin):
    assert put(admin, "finance-approves", EXPENSE_SCENARIO).status_code == 200
    waiting = EXPENSE_SCENARIO.replace("name: Finance approves, legal files", "name: Finance has it").split("  - as: finance")[0]
    assert put(admin, "finance-only", waiting).status_code == 200
    report = admin.post(f"{URL}/tests", json={"target": "active"}).get_json()
    assert [r["source"] for r in report["results"]] == ["finance-approves", "finance-only"]
    assert {"name", "source", "orchestration", "passed", "failures", "duration_ms", "steps_run", "run_id", "path"} <= set(
        report["results"][0]
    )
    assert report["summary"]["passed"] == 2 and report["summary"]["duration_ms"] >= 0
    coverage = report["coverage"]
    assert set(coverage) == {"nodes", "outcomes", "edges"}
    nodes = coverage["nodes"]
    assert {"covered", "total", "percent", "missed", "hits"} <= set(nodes)
    assert nodes["missed"] == [] and nodes["covered"] == nodes["total"] == 6  # review, approve, approved, filing, file, done
    assert nodes["hits"]["review"] == 2 and nodes["hits"]["filing"] == 1
    assert coverage["edges"]["percent"] == 80.0  # no scenario rejects the expense: e5 is never taken

    only = admin.post(f"{URL}/tests", json={"target": "active", "names": ["finance-only"]}).get_json()
    assert [r["source"] for r in only["results"]] == ["finance-only"]
    assert "filing" in only["coverage"]["nodes"]["missed"]
    missing = admin.post(f"{URL}/tests", json={"names": ["finance-only", "nope"]})
    assert missing.status_code == 404 and "no scenario nope" in missing.get_json()["error"]["message"]


def test_no_scenarios_and_an_invalid_draft(admin):
    empty = admin.post(f"{URL}/tests", json={"target": "active"}).get_json()
    assert empty["results"] == [] and empty["summary"]["passed"] == empty["summary"]["failed"] == 0

    assert admin.put(f"{URL}/draft", json=document(EXPENSE, edges=[])).status_code == 200
    response = admin.post(f"{URL}/tests", json={"target": "draft"})
    assert response.status_code == 422 and error_code(response) == "invalid_document"
    assert response.get_json()["error"]["details"]

    admin.post("/api/orchestrations", json=document(EXPENSE, key="fresh"))
    never = admin.post("/api/orchestrations/fresh/tests", json={"target": "active"})
    assert never.status_code == 422 and "no active version" in never.get_json()["error"]["message"]


def test_a_crash_of_the_runner_is_a_failed_result(admin, app, monkeypatch):
    import runtime.testing

    store_scenario(app, "expense", "a-crashes", EXPENSE_SCENARIO.replace("Finance approves, legal files", "Crashes"))
    store_scenario(app, "expense", "b-unreadable", "scenario: 1\nname: [a, list]\norchestration: expense\nsteps: [{advance: P1D}]\n")
    assert put(admin, "c-fine", EXPENSE_SCENARIO).status_code == 200
    real = runtime.testing.run_scenario

    def crashing(scenario: Any, **options: Any) -> Any:
        if scenario.name == "Crashes":
            raise ZeroDivisionError("division by zero")
        return real(scenario, **options)

    monkeypatch.setattr(runtime.testing, "run_scenario", crashing)
    response = admin.post(f"{URL}/tests", json={"target": "active"})
    assert response.status_code == 200, response.get_json()
    crashed, unreadable, fine = response.get_json()["results"]
    assert (crashed["source"], crashed["name"], crashed["passed"]) == ("a-crashes", "Crashes", False)
    assert crashed["failures"][0]["kind"] == "setup"
    assert "crashed: ZeroDivisionError: division by zero" in crashed["failures"][0]["message"]
    assert unreadable["source"] == "b-unreadable" and not unreadable["passed"]
    assert unreadable["failures"][0]["line"] == 2 and unreadable["failures"][0]["message"].startswith("name: ")
    assert fine["passed"]
    assert response.get_json()["summary"] == {**response.get_json()["summary"], "passed": 1, "failed": 2}


# ----------------------------------------------------------------------------- generating


def test_generate_without_and_with_save(admin, app):
    shown = admin.post(f"{URL}/scenarios/generate", json={"target": "active"})
    assert shown.status_code == 200, shown.get_json()
    items = shown.get_json()["items"]
    assert items and all(i["name"].startswith("generated-") and scenarios.NAME.match(i["name"]) for i in items)
    assert len({i["name"] for i in items}) == len(items)
    assert {"name", "source", "stages", "decisions", "unsolved"} <= set(items[0])
    assert items[0]["stages"] == ["review", "filing"]
    # Names for the panel: the stages, and the decision's outcome taken, by label.
    assert items[0]["stage_labels"] == ["Finance review", "Filing"] and items[0]["path"] == ["Approved? → otherwise"]
    assert "orchestration: expense" in items[0]["source"]
    assert stored(app) == {}

    assert put(admin, "hand-written", EXPENSE_SCENARIO).status_code == 200
    saved = admin.post(f"{URL}/scenarios/generate", json={"save": True})
    assert saved.status_code == 200 and saved.get_json()["items"] == items
    assert stored(app) == {"hand-written": EXPENSE_SCENARIO, **{i["name"]: i["source"] for i in items}}
    assert admin.post(f"{URL}/scenarios/generate", json={"save": True}).status_code == 200  # again: replaced, not doubled
    assert len(stored(app)) == len(items) + 1
    run = admin.post(f"{URL}/tests", json={"names": [i["name"] for i in items]}).get_json()
    assert run["summary"]["failed"] == 0, run["results"]


def test_generated_names_are_numbered_slugs():
    assert scenarios.generated_name(3, "Small deal: signed (no VP)!", 2) == "generated-03-small-deal-signed-no-vp"
    assert scenarios.generated_name(1, "???") == "generated-1"
    long = scenarios.generated_name(12, "word " * 60, 2)
    assert len(long) <= 100 and scenarios.NAME.match(long) and not long.endswith("-")


# ----------------------------------------------------------------------------- seed, export, import


@pytest.fixture
def template_scenarios(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, int]:
    """The shipped templates' scenario folders plus one file of our own; and how many files."""
    root = tmp_path / "scenarios"
    for key in sorted({load(name)["key"] for name in TEMPLATES}):
        if (TEMPLATE_SCENARIOS / key).is_dir():
            shutil.copytree(TEMPLATE_SCENARIOS / key, root / key)
    own = root / "service_request" / "generated" / "extra.scenario.yaml"
    own.parent.mkdir(parents=True, exist_ok=True)
    own.write_text(EXPENSE_SCENARIO.replace("orchestration: expense", "orchestration: service_request"))
    (root / "not_a_template").mkdir()
    (root / "not_a_template" / "x.scenario.yaml").write_text(EXPENSE_SCENARIO)
    monkeypatch.setattr(seed_module, "TEMPLATE_SCENARIOS", root)
    return root, len(list(root.rglob("*.scenario.y*ml"))) - 1


def test_seed_stores_the_templates_scenarios_once(app, template_scenarios):
    root, files = template_scenarios
    with app.app_context():
        with state().sessions.begin() as s:
            first = store_template_scenarios(s)
        assert ("service_request", "generated-extra") in first and len(first) == files
        with state().sessions.begin() as s:
            assert store_template_scenarios(s) == []
    assert stored(app, "service_request")["generated-extra"].startswith("scenario: 1")


def test_seed_demo_stores_the_shipped_scenarios(app, template_scenarios):
    _root, files = template_scenarios
    seed_module.seed(app, demo=True)
    counts = {key: len(stored(app, key)) for key in ("contract_approval", "service_request", "project_milestones")}
    assert sum(counts.values()) == files and counts["service_request"] >= 1
    store_scenario(app, "service_request", "generated-extra", "edited by hand")
    seed_module.seed(app, demo=True)  # again: nothing is added or replaced
    assert {key: len(stored(app, key)) for key in counts} == counts
    assert stored(app, "service_request")["generated-extra"] == "edited by hand"


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), env={"OVERTURE_SECRET_KEY": "test", "DATABASE_URL": None})


def test_export_and_import_carry_the_scenarios(tmp_path: Path, migrated_db: Path):
    url = f"sqlite:///{tmp_path / 'a.db'}"
    shutil.copy(migrated_db, tmp_path / "a.db")
    folder = tmp_path / "given" / "nested"
    folder.mkdir(parents=True)
    (folder / "approve.scenario.yaml").write_text(EXPENSE_SCENARIO)
    (tmp_path / "given" / "top.scenario.yml").write_text(EXPENSE_SCENARIO)
    (tmp_path / "expense.json").write_text(json.dumps(EXPENSE))

    imported = cli("import", str(tmp_path / "expense.json"), "--scenarios", str(tmp_path / "given"), "--database-url", url)
    assert imported.exit_code == 0, imported.output
    assert "expense: 2 scenarios saved" in imported.output

    exported = cli("export", "expense", "--scenarios", str(tmp_path / "out"), "--database-url", url)
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.stdout) == EXPENSE  # stdout stays the document alone
    assert "2 scenarios written" in exported.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["nested-approve.scenario.yaml", "top.scenario.yaml"]
    assert (tmp_path / "out" / "top.scenario.yaml").read_text() == EXPENSE_SCENARIO

    # One wrong file: nothing is saved, and the file, line and problem are printed.
    (tmp_path / "out" / "wrong.scenario.yaml").write_text(EXPENSE_SCENARIO.replace("orchestration: expense", "orchestration: x"))
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps({**EXPENSE, "label": "Changed"}))
    refused = cli("import", str(changed), "--scenarios", str(tmp_path / "out"), "--database-url", url)
    assert refused.exit_code == 1
    assert f"{tmp_path / 'out' / 'wrong.scenario.yaml'}:3: orchestration: must be 'expense'" in refused.output
    assert json.loads(cli("export", "expense", "--database-url", url).stdout)["label"] == EXPENSE["label"]


#: Starts an expense run as a child, then ends.
PARENT: dict[str, Any] = {
    "format": 1,
    "key": "parent",
    "label": "Starts an expense",
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "spawn", "type": "stage", "label": "Spawn"},
        {
            "id": "start_expense",
            "type": "background",
            "stage": "spawn",
            "label": "Start an expense",
            "action": "orchestration.start",
            "inputs": {"orchestration": "'expense'", "inputs": "{'amount': 5}"},
            "retry": {"max_attempts": 1},
        },
        {"id": "done", "type": "end"},
    ],
    "edges": [{"id": "e1", "source": "start", "target": "spawn"}, {"id": "e2", "source": "spawn", "target": "done"}],
}


def test_child_runs_find_their_orchestration_in_the_database(admin):
    deploy(admin, PARENT)
    source = "scenario: 1\nname: Spawns\norchestration: parent\nsteps:\n  - start: {}\n  - expect: {status: completed}\n"
    assert put(admin, "spawns", source, key="parent").status_code == 200
    report = admin.post("/api/orchestrations/parent/tests", json={"target": "active"}).get_json()
    (result,) = report["results"]
    assert result["passed"], result["failures"]
    assert "expense" in result["coverage"]["orchestrations"]  # the child run, followed
    assert set(report["coverage"]["nodes"]["hits"]) == {"spawn", "start_expense", "done"}
