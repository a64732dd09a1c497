"""JUnit XML of a suite: counts, failures with the report, load errors, hostile names."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from runtime.testing import Failure, ScenarioResult
from runtime.testing.junit import to_junit, write_junit
from runtime.testing.suite import FileResult, SuiteResult, run_suite
from tests.runtime.testing.suite_samples import BROKEN, BROKEN_LINE, FAILING, FAILING_LINE, PASSING, write


def test_one_testsuite_per_run_with_failures_and_load_errors(tmp_path: Path):
    good = write(tmp_path, "s/good.scenario.yaml", PASSING)
    bad = write(tmp_path, "s/bad.scenario.yaml", FAILING)
    broken = write(tmp_path, "s/broken.scenario.yaml", BROKEN)
    suite = run_suite([tmp_path / "s"])
    out = tmp_path / "junit.xml"

    write_junit(suite, out)

    assert out.read_bytes().startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites"
    (testsuite,) = root
    for element in (root, testsuite):
        assert {k: element.get(k) for k in ("tests", "failures", "errors", "skipped")} == {
            "tests": "3",
            "failures": "1",
            "errors": "1",
            "skipped": "0",
        }
        assert float(element.get("time", "")) >= 0
    cases = {case.get("file"): case for case in testsuite.iter("testcase")}
    assert set(cases) == {str(good), str(bad), str(broken)}

    passed = cases[str(good)]
    assert (passed.get("classname"), passed.get("name"), list(passed)) == ("contract_approval", "Small deal is signed", [])
    assert float(passed.get("time", "")) > 0

    (failure,) = cases[str(bad)]
    assert (failure.tag, failure.get("type")) == ("failure", "expect")
    assert failure.get("message", "").startswith("stages_visited: expected")
    assert f"{bad}:{FAILING_LINE}: step 6 (expect): stages_visited" in (failure.text or "")
    assert "-- vp" in (failure.text or "")

    (error,) = cases[str(broken)]
    assert (error.tag, error.get("type")) == ("error", "setup")
    assert f"{broken}:{BROKEN_LINE}: steps[1]" in (error.text or "")


def test_one_testsuite_per_file(tmp_path: Path):
    write(tmp_path, "a.scenario.yaml", PASSING)
    write(tmp_path, "b.scenario.yaml", FAILING)
    root = to_junit(run_suite([tmp_path]), per_file=True).getroot()
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [str(tmp_path / "a.scenario.yaml"), str(tmp_path / "b.scenario.yaml")]
    assert [(s.get("tests"), s.get("failures")) for s in suites] == [("1", "0"), ("1", "1")]
    assert (root.get("tests"), root.get("failures")) == ("2", "1")


HOSTILE = "Ünïcødé 契約 <tag attr=\"x\"> & ]]> 'quotes'"


def test_hostile_names_and_messages_stay_well_formed(tmp_path: Path):
    # Characters XML 1.0 cannot carry at all (NUL, ESC, a lone surrogate) are spelled out.
    message = f"{HOSTILE}\x00\x1b\ud800 end"
    result = ScenarioResult(
        HOSTILE,
        "x",
        f"{HOSTILE}_key",
        duration_ms=1.5,
        failures=[Failure(2, 7, f"kind{HOSTILE}", message, expected=[HOSTILE], actual=["\x1b"])],
    )
    loaded_file = tmp_path / f"{HOSTILE}.scenario.yaml"
    suite = SuiteResult(files=[FileResult(loaded_file, None, result)], duration_ms=2.0)
    out = tmp_path / "junit.xml"

    write_junit(suite, out)

    case = ET.parse(out).getroot().find("testsuite/testcase")
    assert case is not None
    assert (case.get("name"), case.get("classname"), case.get("file")) == (HOSTILE, f"{HOSTILE}_key", str(loaded_file))
    (error,) = case
    assert error.get("message") == f"{HOSTILE}\\x00\\x1b\\ud800 end"
    assert error.get("type") == f"kind{HOSTILE}"
    assert f"{loaded_file}:7: step 3: {HOSTILE}\\x00\\x1b\\ud800 end" in (error.text or "")
    # The file is UTF-8: non-ASCII names are written as they are, not as character references.
    assert "契約".encode() in out.read_bytes()


def test_a_hostile_scenario_file_round_trips(tmp_path: Path):
    hostile = write(
        tmp_path, "h.scenario.yaml", PASSING.replace("name: Small deal is signed", f'name: "{HOSTILE.replace(chr(34), chr(92) + chr(34))}"')
    )
    suite = run_suite([hostile])
    assert suite.passed == 1, suite.report()
    case = ET.fromstring(ET.tostring(to_junit(suite).getroot(), encoding="utf-8")).find("testsuite/testcase")
    assert case is not None and case.get("name") == HOSTILE
