"""pytest plugin for end-to-end tests of an Overture deployment (``pip install overture[e2e]``).

Registered as the ``overture_e2e`` ``pytest11`` entry point, so it loads in every pytest
run where Overture is installed. Without Playwright (or with ``-p no:playwright``) it adds
only its options and its API fixtures, importing nothing heavy until a test asks for
one; the browser fixtures (:mod:`overture_e2e.browser`) are registered when
pytest-playwright is active. ``-p no:overture_e2e`` turns it off.

Options (each also an environment variable):

- ``--overture-url URL`` (``OVERTURE_URL``): the deployment under test;
- ``--overture-personas FILE`` (``OVERTURE_PERSONAS``): the personas file
  (:mod:`overture_e2e.personas`);
- ``--overture-chromium PATH`` (``OVERTURE_CHROMIUM``): the Chromium to drive, by default
  ``/usr/bin/chromium`` (no browser is ever downloaded). pytest-playwright's ``--headed``,
  ``--output``, ``--screenshot`` and ``--tracing`` apply as usual; unless given, a failing
  test keeps a screenshot of each page and the trace (``only-on-failure``,
  ``retain-on-failure``) under ``--output`` (``test-results/``).

Fixtures: ``overture_url``, ``overture_personas``, ``overture_api(name)`` (an
:class:`~overture_e2e.api.Api` as a persona), ``unique_name(prefix)``; with Playwright also
``persona(name)`` (a signed-in Page in a browser context of its own), ``overture_sign_in``
and ``page_errors`` (see :mod:`overture_e2e.browser`). A project overrides
``overture_url`` and ``overture_personas`` in its conftest to supply them another way.
"""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from overture_e2e.config import DEFAULT_CHROMIUM, keep_artifacts_of_failures, option_or_env, persona_named
from overture_e2e.personas import Persona, PersonaError, load_personas

if TYPE_CHECKING:  # for annotations only: requests loads when a test asks for the API
    from overture_e2e.api import Api


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("overture_e2e", "Overture end-to-end tests")
    group.addoption("--overture-url", metavar="URL", default=None, help="the Overture deployment under test (default: $OVERTURE_URL).")
    group.addoption(
        "--overture-personas",
        metavar="FILE",
        default=None,
        help="YAML mapping persona names to accounts; secrets come from the environment variables it names (default: $OVERTURE_PERSONAS).",
    )
    group.addoption(
        "--overture-chromium",
        metavar="PATH",
        default=None,
        help=f"the Chromium executable to drive (default: $OVERTURE_CHROMIUM or {DEFAULT_CHROMIUM}).",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "allow_page_errors: the test passes even if the app throws uncaught errors in the browser")
    # Registered now, after every entry-point plugin: its fixtures then override pytest-playwright's.
    if config.pluginmanager.has_plugin("playwright") and not config.pluginmanager.has_plugin("overture_e2e.browser"):
        from overture_e2e import browser

        config.pluginmanager.register(browser, "overture_e2e.browser")
        keep_artifacts_of_failures(config)


@pytest.fixture(scope="session")
def overture_url(pytestconfig: pytest.Config) -> str:
    """The deployment under test, without a trailing slash (``--overture-url`` or ``$OVERTURE_URL``)."""
    url = option_or_env(pytestconfig, "--overture-url", "OVERTURE_URL")
    if url is None:
        pytest.fail("no Overture to test: pass --overture-url URL or set OVERTURE_URL", pytrace=False)
    if not re.match(r"^https?://[^/\s]+", url):
        pytest.fail(f"--overture-url {url!r} is not an http(s) URL", pytrace=False)
    return url.rstrip("/")


@pytest.fixture(scope="session")
def overture_personas(pytestconfig: pytest.Config) -> dict[str, Persona]:
    """The personas of the personas file (``--overture-personas`` or ``$OVERTURE_PERSONAS``); none without one."""
    path = option_or_env(pytestconfig, "--overture-personas", "OVERTURE_PERSONAS")
    if path is None:
        return {}
    try:
        return load_personas(path)
    except PersonaError as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def overture_api(overture_url: str, overture_personas: dict[str, Persona]) -> Iterator[Callable[[str], Api]]:
    """``overture_api("alice")``: an API client as that persona (signed in with the password,
    or with the API token); one client per persona per test. After the test, the runs
    they started (directly or by creating records) that are still open are cancelled, by
    the first of them allowed to (admins and ops are)."""
    from overture_e2e.api import Api, ApiFailure, cancel_open_runs

    made: dict[str, Api] = {}

    def client(name: str) -> Api:
        if name not in made:
            persona = persona_named(overture_personas, name)
            api = Api(overture_url)
            try:
                if persona.username is not None:
                    made[name] = api.sign_in(persona.username, persona.secret_password())
                else:
                    made[name] = api.with_token(persona.secret_token())
            except PersonaError as error:
                api.close()
                pytest.fail(str(error), pytrace=False)
            except ApiFailure as failure:
                api.close()
                refused = f"{failure.status} {failure.error.get('message', failure.error)}"
                pytest.fail(f"persona {name!r} ({persona.username}) cannot sign in at {overture_url}: {refused}", pytrace=False)
        return made[name]

    yield client
    started = [run for api in made.values() for run in api.created_runs]
    for problem in cancel_open_runs(started, list(made.values())):
        print(f"overture_e2e: could not cancel {problem}")
    for api in made.values():
        api.close()


_names = itertools.count(1)


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> Callable[..., str]:
    """``unique_name("Contract")`` → ``"Contract test_x 3f9a1c-1"``: a name no other test (of this or
    any other run against the same deployment) uses, for the records and things a test makes."""
    test = re.sub(r"[^A-Za-z0-9_]+", "_", request.node.name)[:40]
    token = secrets.token_hex(3)

    def name(prefix: str = "e2e") -> str:
        return f"{prefix} {test} {token}-{next(_names)}"

    return name
