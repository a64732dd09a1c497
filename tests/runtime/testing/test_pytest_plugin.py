"""The ``overture`` pytest plugin: scenario files collected as tests, failures shown as
``overture test`` shows them, and no cost to a run without scenario files."""

from __future__ import annotations

import pytest

from runtime.testing.pytest_plugin import ScenarioItem
from tests.runtime.testing.suite_samples import BROKEN, BROKEN_LINE, FAILING, FAILING_LINE, PASSING

pytest_plugins = ["pytester"]
#: The inner runs stay off the browser plugin, as the project's own configuration does.
NO_PLAYWRIGHT = ("-p", "no:playwright")


def test_scenario_files_are_collected_and_failures_show_the_report(pytester: pytest.Pytester):
    pytester.makefile(".scenario.yaml", good=PASSING, bad=FAILING)
    pytester.makefile(".scenario.yml", other=PASSING.replace("Small deal is signed", "Short suffix"))
    pytester.makefile(".yaml", plain="not: a scenario")

    result = pytester.runpytest("-v", *NO_PLAYWRIGHT)

    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "bad.scenario.yaml::Big detour expected FAILED*",
            "good.scenario.yaml::Small deal is signed PASSED*",
            "other.scenario.yml::Short suffix PASSED*",
            # The path as seen from where pytest was started, so that editors can open it.
            f"bad.scenario.yaml:{FAILING_LINE}: step 6 (expect): stages_visited: expected *vp*",
            "*-- vp",
            "*+- finance",
        ]
    )
    assert "Traceback" not in result.stdout.str() and "runtest" not in result.stdout.str()


def test_a_file_that_does_not_load_is_a_collection_error_naming_its_line(pytester: pytest.Pytester):
    pytester.makefile(".scenario.yaml", broken=BROKEN, good=PASSING)
    result = pytester.runpytest(*NO_PLAYWRIGHT)
    result.assert_outcomes(errors=1)  # pytest stops on collection errors, as for a broken module
    assert result.ret == pytest.ExitCode.INTERRUPTED
    pytester.runpytest("--continue-on-collection-errors", *NO_PLAYWRIGHT).assert_outcomes(passed=1, errors=1)
    assert f"\nbroken.scenario.yaml:{BROKEN_LINE}: steps[1]: a step needs one action" in result.stdout.str()


def test_items_report_their_file_and_select_by_name(pytester: pytest.Pytester):
    good = pytester.makefile(".scenario.yaml", good=PASSING)
    pytester.makefile(".scenario.yaml", bad=FAILING)

    items, _ = pytester.inline_genitems(*NO_PLAYWRIGHT)
    by_name = {item.name: item for item in items}
    assert set(by_name) == {"Small deal is signed", "Big detour expected"}
    item = by_name["Small deal is signed"]
    assert isinstance(item, ScenarioItem)
    assert item.reportinfo() == (good, 0, "scenario: Small deal is signed")
    assert item.location == ("good.scenario.yaml", 0, "scenario: Small deal is signed")

    selected = pytester.runpytest("-k", "Small", *NO_PLAYWRIGHT)
    selected.assert_outcomes(passed=1, deselected=1)
    assert pytester.runpytest("-p", "no:overture", *NO_PLAYWRIGHT).ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_the_environment_option_reaches_the_runner(pytester: pytest.Pytester):
    pytester.makefile(".scenario.yaml", env=PASSING.replace("steps:\n", "environments:\n  staging: {legal: alice}\nsteps:\n", 1))
    pytester.runpytest("--scenario-env", "staging", *NO_PLAYWRIGHT).assert_outcomes(passed=1)
    missing = pytester.runpytest("--scenario-env", "prod", *NO_PLAYWRIGHT)
    missing.assert_outcomes(failed=1)
    missing.stdout.fnmatch_lines(["env.scenario.yaml: no environment 'prod' in the scenario (environments: staging)"])


def test_a_run_without_scenario_files_does_not_load_the_suite(pytester: pytest.Pytester):
    # In a process of its own: this one has imported the suite already.
    pytester.makepyfile(
        test_plain="""
        import sys

        def test_plain():
            assert "runtime.testing.pytest_plugin" in sys.modules  # the plugin is on
            loaded = [m for m in ("runtime.testing.suite", "runtime.testing.junit", "runtime.testing.runner", "runtime.engine", "cel")
                      if m in sys.modules]
            assert loaded == []
    """
    )
    result = pytester.runpytest_subprocess(*NO_PLAYWRIGHT)
    result.assert_outcomes(passed=1)


def test_through_the_ui_a_server_that_does_not_answer_is_said_plainly(pytester: pytest.Pytester):
    pytester.makefile(".scenario.yaml", good=PASSING)
    bad = pytester.makefile(".yaml", personas="personas: {}\n")

    result = pytester.runpytest(*NO_PLAYWRIGHT, "--overture-ui", "http://127.0.0.1:9")  # nothing listens on port 9
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*--overture-ui http://127.0.0.1:9 does not answer*"])
    assert "Traceback" not in result.stdout.str()

    result = pytester.runpytest(*NO_PLAYWRIGHT, "--overture-ui", "http://127.0.0.1:9", "--overture-personas", str(bad))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*name an admin account*"])


def test_through_the_ui_playwright_tests_in_the_same_run_are_refused_with_the_way_out(pytester: pytest.Pytester):
    """Playwright allows one browser session per thread: the UI runner's and pytest-playwright's would collide."""
    pytester.makefile(".scenario.yaml", good=PASSING)
    pytester.makepyfile(test_pages="def test_one(page):\n    pass\n\ndef test_two(persona):\n    pass\n")
    result = pytester.runpytest(*NO_PLAYWRIGHT, "--overture-ui", "http://127.0.0.1:9")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--overture-ui runs scenario files in a browser of its own*test_pages.py::test_one and 1 more*"])
