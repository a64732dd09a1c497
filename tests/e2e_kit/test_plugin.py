"""The end-to-end plugin where Playwright is off (``-p no:playwright``, as the unit tests
run): it loads, adds its options, and its fixtures fail with a clear message when the
deployment or a persona is missing. The browser side runs in tests/e2e_kit/test_wheel.py and e2e/.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from overture_e2e.api import StillWaiting, wait_until

EXAMPLE = """
def test_needs_the_url(overture_url):
    pass

def test_needs_a_persona(overture_api):
    overture_api("nobody")

def test_names_are_unique(unique_name):
    assert unique_name("Contract") != unique_name("Contract")
    assert unique_name("Contract").startswith("Contract test_names_are_unique ")
"""


def pytest_run(folder, *args, env=None):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "OVERTURE_"))}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:playwright", "-p", "no:cacheprovider", "-rA", *args],
        cwd=folder,
        env={**clean, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )
    return done.stdout + done.stderr


def test_without_playwright_the_plugin_loads_and_its_fixtures_say_what_is_missing(tmp_path):
    (tmp_path / "test_example.py").write_text(EXAMPLE)
    out = pytest_run(tmp_path)
    assert "no Overture to test: pass --overture-url URL or set OVERTURE_URL" in out, out
    assert "PASSED test_example.py::test_names_are_unique" in out, out

    (tmp_path / "personas.yaml").write_text("alice: {username: alice, password_env: ALICE_PW}\n")
    out = pytest_run(tmp_path, "--overture-personas", "personas.yaml", env={"OVERTURE_URL": "http://127.0.0.1:9"})
    assert "no persona 'nobody' (known: alice)" in out, out

    (tmp_path / "personas.yaml").write_text("alice: {username: alice, password: hunter2}\n")
    out = pytest_run(tmp_path, "--overture-url", "http://127.0.0.1:9", env={"OVERTURE_PERSONAS": "personas.yaml"})
    assert "persona 'alice': secrets never go in the file" in out, out
    assert "hunter2" not in out.replace("password: hunter2", "")


def test_the_options_are_listed_in_help(tmp_path):
    out = pytest_run(tmp_path, "--help")
    for option in ("--overture-url=URL", "--overture-personas=FILE", "--overture-chromium=PATH"):
        assert option in out, out


def test_waiting_polls_until_a_value_and_says_what_it_saw():
    calls = iter([None, False, "ready"])
    assert wait_until(lambda: next(calls), "the thing", interval=0) == "ready"

    def never():
        raise StillWaiting("it is at stage 'legal'")

    with pytest.raises(AssertionError, match=r"waited 0 s for run 42 to reach finance: it is at stage 'legal'"):
        wait_until(never, "run 42 to reach finance", timeout=0.05, interval=0.01)
