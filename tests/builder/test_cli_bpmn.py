"""``overture bpmn import`` and ``overture bpmn export`` (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from builder.cli import main
from runtime.bpmn import export_bpmn, import_bpmn
from runtime.bpmn.xml import BPMN_NS
from runtime.templates import TEMPLATES, load

FIXTURES = Path(__file__).parent.parent / "runtime" / "bpmn"
ENV = {"OVERTURE_SECRET_KEY": "test", "DATABASE_URL": None}


def overture(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, list(args), env=ENV)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result


def test_import_prints_a_summary_to_stderr_and_the_document_to_stdout():
    path = FIXTURES / "camunda_modeler.bpmn"
    expected = import_bpmn(path.read_bytes())
    assert expected.report.unmapped, "the fixture should have something that does not map"
    result = overture("bpmn", "import", str(path))
    assert json.loads(result.stdout) == expected.document  # pipes: nothing else on stdout
    counts = f"{len(expected.report.mapped)} mapped, {len(expected.report.unmapped)} unmapped"
    assert f"{path}: {expected.document['key']} " in result.stderr and counts in result.stderr
    for entry in expected.report.unmapped:
        assert f"unmapped {entry.bpmn_type} {entry.bpmn_id}" in result.stderr
        assert entry.detail in result.stderr
    for note in expected.report.notes:
        assert f"note: {note}" in result.stderr


def test_import_writes_the_document_and_the_report_to_files(tmp_path: Path):
    path = FIXTURES / "signavio_order.bpmn"
    expected = import_bpmn(path.read_bytes())
    out, report = tmp_path / "doc.json", tmp_path / "report.json"
    result = overture("bpmn", "import", str(path), "--out", str(out), "--report", str(report))
    assert result.stdout == ""
    assert json.loads(out.read_text()) == expected.document
    assert json.loads(report.read_text()) == expected.report.to_json()
    assert f"document written to {out}" in result.stderr and f"report written to {report}" in result.stderr


def test_import_says_how_many_validation_errors_are_left_to_fix(tmp_path: Path):
    result = overture("bpmn", "import", str(FIXTURES / "camunda_modeler.bpmn"))
    assert "the document has 2 validation errors: fix them in the builder" in result.stderr
    clean = tmp_path / "clean.bpmn"
    clean.write_bytes(export_bpmn(load("contract_approval")))
    assert "validation error" not in overture("bpmn", "import", str(clean)).stderr


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"just some text", "not XML"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "not BPMN 2.0"),
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><definitions xmlns="'
            + BPMN_NS.encode()
            + b'"><process id="p" name="&x;"/></definitions>',
            "refused",
        ),
        (b"", "empty"),
    ],
)
def test_import_of_a_file_that_is_not_bpmn_exits_2_with_the_reason(tmp_path: Path, data: bytes, words: str):
    path = tmp_path / "x.bpmn"
    path.write_bytes(data)
    out = tmp_path / "doc.json"
    result = overture("bpmn", "import", str(path), "--out", str(out), code=2)
    assert f"{path}: " in result.stderr and words in result.stderr
    assert result.stdout == ""
    assert not out.exists()


def test_import_of_a_missing_file_is_a_usage_error(tmp_path: Path):
    result = overture("bpmn", "import", str(tmp_path / "nothing.bpmn"), code=2)
    assert "does not exist" in result.stderr


@pytest.mark.parametrize("name", TEMPLATES)
def test_export_of_a_document_file_round_trips(tmp_path: Path, name: str):
    document = load(name)
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(document))
    result = overture("bpmn", "export", str(path))
    assert result.stdout.encode() == export_bpmn(document)
    bpmn = tmp_path / f"{name}.bpmn"
    overture("bpmn", "export", str(path), "--out", str(bpmn))
    back = overture("bpmn", "import", str(bpmn))
    assert json.loads(back.stdout) == document
    assert "read back exactly" in back.stderr


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_export_from_the_database_the_active_version_a_version_or_the_draft(request, tmp_path: Path, database: str):
    url = request.getfixturevalue(f"{database}_url")
    document = load("service_request")
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(document))
    overture("import", str(path), "--database-url", url)
    drafted = overture("bpmn", "export", "service_request", "--database-url", url)
    assert import_bpmn(drafted.stdout.encode()).document == document  # no version yet: the draft
    overture("import", str(path), "--activate", "--database-url", url)
    changed = {**document, "label": "Refunds (v2)"}
    path.write_text(json.dumps(changed))
    overture("import", str(path), "--activate", "--database-url", url)
    out = tmp_path / "active.bpmn"
    written = overture("bpmn", "export", "service_request", "--out", str(out), "--database-url", url)
    assert f"service_request: BPMN written to {out}" in written.stderr
    assert import_bpmn(out.read_bytes()).document == changed
    first = overture("bpmn", "export", "service_request", "--version", "1", "--database-url", url)
    assert import_bpmn(first.stdout.encode()).document == document


def test_export_says_what_is_missing(tmp_path: Path, sqlite_url: str):
    missing = overture("bpmn", "export", "nothing_here", "--database-url", sqlite_url, code=1)
    assert "there is no orchestration 'nothing_here'" in missing.output
    overture("bpmn", "export", str(tmp_path / "nothing.json"), code=2)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert "not JSON" in overture("bpmn", "export", str(broken), code=1).stderr
    broken.write_text("[1, 2]")
    assert "not an orchestration document" in overture("bpmn", "export", str(broken), code=1).stderr
    broken.write_text("{}")
    assert "--version goes with" in overture("bpmn", "export", str(broken), "--version", "2", code=2).stderr


def test_help_says_where_the_summary_and_the_document_go():
    text = overture("bpmn", "import", "--help").stdout
    assert "summary goes to stderr" in text and "stdout" in text
