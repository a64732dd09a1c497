"""The overture command line: validate (usable in anyone's CI), demo, worker."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from builder.cli import main
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
    engine.deploy({
        "format": 1, "key": "ping", "label": "Ping",
        "variables": [{"name": "note", "type": "string"}],
        "nodes": [{"id": "start", "type": "start"}, {"id": "s", "type": "stage", "label": "S"},
                  {"id": "tell", "type": "background", "stage": "s", "label": "Tell", "action": "notify",
                   "inputs": {"to": "'ops'", "subject": "'ping'"}},
                  {"id": "end", "type": "end"}],
        "edges": [{"id": "a", "source": "start", "target": "s"}, {"id": "b", "source": "s", "target": "end"}],
    })
    run_id = engine.start("ping")
    assert engine.get_run(run_id)["status"] == "in_progress"
    result = CliRunner().invoke(main, ["worker", "--database-url", url, "--until-idle", "--heartbeat", "0.1"])
    assert result.exit_code == 0, result.output
    assert "handled 1 jobs and timers" in result.output
    assert engine.get_run(run_id)["status"] == "completed"
    store.dispose()
