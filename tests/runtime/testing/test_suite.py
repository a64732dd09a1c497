"""A suite of scenario files: discovery, -k, load errors, the text report and shared coverage."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from runtime.testing import Failure, ScenarioResult, load_scenario
from runtime.testing.suite import (
    EXIT_FAILED,
    EXIT_PASSED,
    EXIT_USAGE,
    SuiteUsageError,
    coverage_table,
    discover,
    failure_report,
    format_duration,
    run_suite,
    write_coverage_json,
)
from tests.runtime.testing.suite_samples import BROKEN, BROKEN_LINE, FAILING, FAILING_LINE, PASSING, scenario, write


def test_discover_searches_directories_and_takes_named_files(tmp_path: Path):
    deep = write(tmp_path, "a/b/deep.scenario.yaml", PASSING)
    short = write(tmp_path, "a/short.scenario.yml", PASSING)
    write(tmp_path, "a/notes.yaml", "not a scenario")
    write(tmp_path, ".hidden/skip.scenario.yaml", PASSING)
    write(tmp_path, "node_modules/pkg/skip.scenario.yaml", PASSING)
    named = write(tmp_path, "other/any-name.yaml", PASSING)

    assert discover([tmp_path]) == [deep, short]
    # A file given by name is taken whatever its name; each file once, in the order given.
    assert discover([named, tmp_path / "a", deep]) == [named, deep, short]
    with pytest.raises(SuiteUsageError, match="nowhere: no such file or directory"):
        discover([tmp_path / "nowhere"])


def test_a_suite_reports_each_scenario_failures_with_diff_and_a_summary(tmp_path: Path):
    good = write(tmp_path, "good.scenario.yaml", PASSING)
    bad = write(tmp_path, "bad.scenario.yaml", FAILING)

    suite = run_suite([tmp_path])

    assert [f.file for f in suite.files] == [bad, good]
    assert (suite.passed, suite.failed, suite.errors, suite.exit_code) == (1, 1, 0, EXIT_FAILED)
    report = suite.report()
    lines = report.splitlines()
    assert re.fullmatch(rf"FAIL Big detour expected \({re.escape(str(bad))}\) \d+\.\d ms", lines[0])
    assert lines[1] == (
        f"  {bad}:{FAILING_LINE}: step 6 (expect): stages_visited: "
        'expected ["legal", "vp", "executive"], got ["legal", "finance", "executive"]'
    )
    assert "      -- vp\n      +- finance" in report  # the diff, indented under its failure
    assert re.search(rf"^PASS Small deal is signed \({re.escape(str(good))}\) \d+\.\d ms$", report, re.M)
    assert re.fullmatch(r"1 passed, 1 failed in \d+ ms", lines[-1])

    quiet = suite.report(quiet=True)
    assert "PASS" not in quiet and "FAIL Big detour expected" in quiet


def test_only_passing_scenarios_exit_0(tmp_path: Path):
    write(tmp_path, "good.scenario.yaml", PASSING)
    suite = run_suite([tmp_path / "good.scenario.yaml"])
    assert suite.exit_code == EXIT_PASSED and suite.files[0].result.passed


def test_a_file_that_does_not_load_is_a_setup_failure_with_its_line(tmp_path: Path):
    broken = write(tmp_path, "broken.scenario.yaml", BROKEN)
    unreadable = write(tmp_path, "latin1.scenario.yaml", "")
    unreadable.write_bytes(b"name: Caf\xe9\n")
    write(tmp_path, "good.scenario.yaml", PASSING)

    suite = run_suite([tmp_path])

    assert (suite.passed, suite.failed, suite.errors, suite.exit_code) == (1, 0, 2, EXIT_USAGE)
    entry = suite.files[0]
    assert entry.file == broken and not entry.loaded and entry.scenario is None
    assert {(f.kind, f.line) for f in entry.result.failures} == {("setup", BROKEN_LINE)}
    report = suite.report()
    assert f"ERROR broken.scenario.yaml ({broken})" in report
    assert f"  {broken}:{BROKEN_LINE}: steps[1]: a step needs one action" in report
    assert f"  {unreadable}: cannot read the file:" in report
    assert report.splitlines()[-1].startswith("1 passed, 0 failed, 2 errors in ")


def test_k_selects_by_name_or_file_and_never_hides_a_broken_file(tmp_path: Path):
    write(tmp_path, "good.scenario.yaml", PASSING)
    write(tmp_path, "bad.scenario.yaml", FAILING)
    write(tmp_path, "broken.scenario.yaml", BROKEN)

    by_name = run_suite([tmp_path], keyword="SMALL DEAL")
    assert [f.result.name for f in by_name.files] == ["broken.scenario.yaml", "Small deal is signed"]
    assert by_name.deselected == 1 and "1 deselected" in by_name.summary()
    by_file = run_suite([tmp_path], keyword="bad.scen")
    assert [f.result.name for f in by_file.files] == ["Big detour expected", "broken.scenario.yaml"]

    (tmp_path / "broken.scenario.yaml").unlink()
    none = run_suite([tmp_path], keyword="nothing like it")
    assert none.files == [] and none.exit_code == EXIT_USAGE
    assert none.summary().startswith("no scenarios ran (2 deselected) in ")


def test_an_empty_folder_runs_nothing_and_exits_2(tmp_path: Path):
    suite = run_suite([tmp_path])
    assert suite.files == [] and suite.exit_code == EXIT_USAGE and suite.summary().startswith("no scenarios ran in")


def test_coverage_is_shared_by_the_suite_and_printed_as_a_table(tmp_path: Path):
    write(tmp_path, "good.scenario.yaml", PASSING)
    write(
        tmp_path,
        "big.scenario.yaml",
        scenario("Big deal", visited="[legal, finance, executive]")
        .replace("amount: 20000", "amount: 90000")
        .replace(
            "  - as: exec\n    complete: sign",
            "  - as: exec\n    complete: vp_approval\n    outcome: approve\n  - as: exec\n    complete: sign",
        )
        .replace("[legal, finance, executive]", "[legal, finance, vp, executive]"),
    )

    suite = run_suite([tmp_path])

    assert suite.exit_code == EXIT_PASSED, suite.report()
    figures = suite.coverage.report()["orchestrations"]["contract_approval"]
    # Each scenario took one side of deal_size; together they cover both.
    assert figures["outcomes"]["hits"]["deal_size:big"] == 1 and figures["outcomes"]["hits"]["deal_size:default"] == 1
    assert figures["nodes"]["hits"]["legal"] == 2 and "vp" not in figures["nodes"]["missed"]
    table = suite.report(coverage=True).split("\n\n", 1)[1]
    head, row, *missed = table.splitlines()
    assert head.split() == ["orchestration", "nodes", "outcomes", "edges"]
    nodes = figures["nodes"]
    assert row.startswith("contract_approval") and f"{nodes['covered']}/{nodes['total']} {nodes['percent']:5.1f}%" in row
    assert f"  missed nodes: {', '.join(nodes['missed'])}" in missed
    assert any(line.startswith("  missed edges: ") and "e_withdrawn" in line for line in missed)

    out = tmp_path / "coverage.json"
    write_coverage_json(suite.coverage, out)
    assert json.loads(out.read_text()) == suite.coverage.report()


def test_the_coverage_table_totals_several_orchestrations():
    def section(covered: int, total: int, missed: list[str]) -> dict:
        return {"covered": covered, "total": total, "percent": round(100 * covered / total, 1), "missed": missed, "hits": {}}

    report = {
        "orchestrations": {
            "b_flow": {"nodes": section(1, 2, ["x"]), "outcomes": section(2, 2, []), "edges": section(1, 3, ["e1", "e2"])},
            "a_flow": {"nodes": section(2, 2, []), "outcomes": section(1, 1, []), "edges": section(1, 1, [])},
        },
        "total": {"nodes": section(3, 4, []), "outcomes": section(3, 3, []), "edges": section(2, 4, [])},
    }
    lines = coverage_table(report).splitlines()
    assert [line.split()[0] for line in lines if not line.startswith(" ")] == ["orchestration", "a_flow", "b_flow", "total"]
    assert lines[2].split() == ["b_flow", "1/2", "50.0%", "2/2", "100.0%", "1/3", "33.3%"]
    assert lines[3:5] == ["  missed nodes: x", "  missed edges: e1, e2"]
    assert lines[-1].split() == ["total", "3/4", "75.0%", "3/3", "100.0%", "2/4", "50.0%"]


def test_the_failure_report_names_the_action_of_the_step():
    loaded = load_scenario(FAILING, source="f.scenario.yaml")
    result = ScenarioResult(
        "x",
        "f.scenario.yaml",
        "contract_approval",
        failures=[
            Failure(3, 16, "action", "complete failed: forbidden"),  # `claim: true` comes before `complete` there
            Failure(None, None, "setup", "no document for orchestration"),
        ],
    )
    assert failure_report("f.scenario.yaml", loaded, result).splitlines() == [
        "f.scenario.yaml:16: step 4 (complete): complete failed: forbidden",
        "f.scenario.yaml: no document for orchestration",
    ]
    assert failure_report(None, None, result).splitlines()[0] == "step 4: complete failed: forbidden"


def test_durations_read_naturally():
    assert (format_duration(3.14), format_duration(44.6, precise=False), format_duration(1250)) == ("3.1 ms", "45 ms", "1.25 s")
