"""The end-to-end plugin where Playwright is off (``-p no:playwright``, as the unit tests
run): it loads, adds its options, and its fixtures fail with a clear message when the
deployment or a persona is missing. The browser side runs in tests/e2e_kit/test_wheel.py and e2e/.
"""

from __future__ import annotations

import pytest

from overture_e2e.api import StillWaiting, wait_until

pytest_plugins = ["pytester"]

EXAMPLE = """
def test_needs_the_url(overture_url):
    pass

def test_needs_a_persona(overture_api):
    overture_api("nobody")

def test_names_are_unique(unique_name):
    assert unique_name("Contract") != unique_name("Contract")
    assert unique_name("Contract").startswith("Contract test_names_are_unique ")
"""


@pytest.fixture
def outer_env(monkeypatch):
    """The inner runs see no deployment or personas of the outer environment."""
    for name in ("OVERTURE_URL", "OVERTURE_PERSONAS", "OVERTURE_CHROMIUM"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def run(pytester: pytest.Pytester, *args: str) -> str:
    result = pytester.runpytest("-p", "no:playwright", "-p", "no:cacheprovider", "-rA", *args)
    return "\n".join(result.outlines + result.errlines)


def test_without_playwright_the_plugin_loads_and_its_fixtures_say_what_is_missing(pytester, outer_env):
    pytester.makepyfile(test_example=EXAMPLE)
    out = run(pytester)
    assert "no Overture to test: pass --overture-url URL or set OVERTURE_URL" in out, out
    assert "PASSED test_example.py::test_names_are_unique" in out, out

    pytester.makefile(".yaml", personas="alice: {username: alice, password_env: ALICE_PW}")
    outer_env.setenv("OVERTURE_URL", "http://127.0.0.1:9")
    out = run(pytester, "--overture-personas", "personas.yaml")
    assert "no persona 'nobody' (known: alice)" in out, out

    pytester.makefile(".yaml", personas="alice: {username: alice, password: hunter2}")
    outer_env.delenv("OVERTURE_URL")
    outer_env.setenv("OVERTURE_PERSONAS", "personas.yaml")
    out = run(pytester, "--overture-url", "http://127.0.0.1:9")
    assert "persona 'alice': secrets never go in the file" in out, out
    assert "hunter2" not in out


def test_the_options_are_listed_in_help(pytester):
    out = run(pytester, "--help")
    for option in ("--overture-url=URL", "--overture-personas=FILE", "--overture-chromium=PATH"):
        assert option in out, out


def test_waiting_polls_until_a_value_and_says_what_it_saw():
    calls = iter([None, False, "ready"])
    assert wait_until(lambda: next(calls), "the thing", interval=0) == "ready"

    def never():
        raise StillWaiting("it is at stage 'legal'")

    with pytest.raises(AssertionError, match=r"waited 0 s for run 42 to reach finance: it is at stage 'legal'"):
        wait_until(never, "run 42 to reach finance", timeout=0.05, interval=0.01)
