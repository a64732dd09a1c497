"""The reports of a UI run: JUnit XML with a failure's step, persona and page, and the HTML page."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from runtime.testing.results import Failure, ScenarioResult
from runtime.testing.ui.report import line, summary, write_html, write_junit
from runtime.testing.ui.runner import StepRecord, UiResult


def results(tmp_path):
    shot = tmp_path / "shots" / "step-02.png"
    shot.parent.mkdir()
    shot.write_bytes(b"png")
    failing = UiResult(ScenarioResult("Signed <quickly>", "a.scenario.yaml", "contract_approval", duration_ms=2500), None)
    message = "step 2 (complete legal_review → approve) as legal (alice) on http://x/work/1: there is no button 'Approve' on the page"
    failing.result.failures.append(Failure(1, 9, "action", message, "Approve", ["Send back"]))
    failing.steps = [
        StepRecord(0, "start", "requester", "sam", "start (new contract record)", page="http://x/records/contract"),
        StepRecord(1, "complete", "legal", "alice", "complete legal_review → approve", "http://x/work/1", "failed", message, str(shot)),
    ]
    failing.personas = {"legal": ("alice", "same name"), "requester": ("sam", "same name")}
    failing.trace = str(tmp_path / "trace-legal.zip")
    skipped = UiResult(ScenarioResult("Waits", "b.scenario.yaml", "service_request"), None, skipped="the server has no test clock")
    return [failing, skipped, UiResult(ScenarioResult("Fine", "c.scenario.yaml", "project_milestones"), None)]


def test_the_text_names_the_step_persona_page_screenshot_and_trace(tmp_path):
    failing, skipped, passing = results(tmp_path)
    text = line(failing)
    assert text.startswith("FAIL Signed <quickly> [contract_approval] 2.5 s")
    assert "a.scenario.yaml:9: action: step 2 (complete legal_review → approve) as legal (alice) on http://x/work/1" in text
    assert "-Approve" in text and "screenshot: " in text and "trace-legal.zip" in text
    assert line(skipped).splitlines()[1] == "  skipped: the server has no test clock"
    assert summary([failing, skipped, passing]).startswith("1 passed, 1 failed, 1 skipped")


def test_junit_has_failures_skips_and_attachments(tmp_path):
    write_junit(results(tmp_path), tmp_path / "junit.xml")
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    failing, skipped, _ = suite.findall("testcase")
    failure = failing.find("failure")
    assert failure is not None and "as legal (alice)" in (failure.get("message") or "")
    assert "[[ATTACHMENT|" in (failing.findtext("system-out") or "")
    assert skipped.find("skipped") is not None


def test_html_escapes_and_links_the_screenshots(tmp_path):
    write_html(results(tmp_path), tmp_path / "report.html", server="http://x")
    page = (tmp_path / "report.html").read_text()
    assert "Signed &lt;quickly&gt;" in page and "<quickly>" not in page
    assert "src='shots/step-02.png'" in page and "legal → alice (same name)" in page
    assert page.index("FAIL Signed") < page.index("SKIP Waits") < page.index("PASS Fine")  # failures first


def test_the_command_line_refuses_what_does_not_go_with_ui(tmp_path):
    from click.testing import CliRunner

    from builder.cli import main

    runner = CliRunner()
    assert runner.invoke(main, ["test", "--personas", "p.yaml"]).exit_code == 2  # --personas goes with --ui
    assert runner.invoke(main, ["test", "--ui-serial"]).exit_code == 2
    refused = runner.invoke(main, ["test", "--ui", "localhost:8000"])
    assert refused.exit_code == 2 and "give the server's address" in refused.output
    refused = runner.invoke(main, ["test", "--ui", "http://127.0.0.1:9", "--coverage"])
    assert refused.exit_code == 2 and "do not go with --ui" in refused.output
    bad = tmp_path / "personas.yaml"
    bad.write_text("personas: {}\n")
    refused = runner.invoke(main, ["test", "--ui", "http://127.0.0.1:9", "--personas", str(bad)])
    assert refused.exit_code == 2 and "name an admin account" in refused.output
    # Nothing listens on port 9 (discard): said in one line, no traceback.
    down = runner.invoke(main, ["test", "--ui", "http://127.0.0.1:9", "--report", str(tmp_path / "out")])
    assert down.exit_code == 1 and "http://127.0.0.1:9 does not answer" in down.output, down.output
