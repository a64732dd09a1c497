"""The plugin's browser fixtures (registered by :mod:`overture_e2e.plugin` when pytest-playwright is active).

pytest-playwright launches the browser; here it is told to use the system's Chromium
(``--overture-chromium``, by default ``/usr/bin/chromium``: no browser is ever
downloaded), headless unless ``--headed``, with the flags it needs on a machine whose
network is closed. Pages' relative URLs (``page.goto("/work")``) go to ``overture_url``.

``persona("alice")`` is a Page signed in as that persona, in a browser context of its own
(several personas at once each have theirs). It signs in through the API and starts the
context from those cookies (Playwright storage state), so each is a session of its own.
The contexts come from pytest-playwright's ``new_context``: when a test fails, a
screenshot of each page and the trace are kept under its ``--output`` folder
(``test-results/`` by default) with ``--screenshot=only-on-failure --tracing=retain-on-failure``.

An uncaught JavaScript error in the app fails the test (``page_errors``), after its own
checks; ``@pytest.mark.allow_page_errors`` lets a test that expects some pass.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, expect

from overture_e2e.config import DEFAULT_CHROMIUM, option_or_env, persona_named
from overture_e2e.personas import Persona, PersonaError

#: Without these, headless Chromium stalls on a machine whose network is closed.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
#: Generous, for a loaded CI machine: tests wait for conditions, never sleep.
ACTION_TIMEOUT_MS = 15_000
NAVIGATION_TIMEOUT_MS = 30_000
VIEWPORT = {"width": 1400, "height": 900}

expect.set_options(timeout=ACTION_TIMEOUT_MS)


def launch_options(executable_path: str = DEFAULT_CHROMIUM, **extra: Any) -> dict[str, Any]:
    """How Chromium is launched (also for scripts outside pytest, such as benchmarks)."""
    return {"executable_path": executable_path, "args": list(CHROMIUM_ARGS), "headless": True, **extra}


@pytest.fixture(scope="session")
def overture_chromium(pytestconfig: pytest.Config) -> str:
    """The Chromium executable (``--overture-chromium``, ``$OVERTURE_CHROMIUM``, else /usr/bin/chromium)."""
    return option_or_env(pytestconfig, "--overture-chromium", "OVERTURE_CHROMIUM") or DEFAULT_CHROMIUM


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any], overture_chromium: str) -> dict[str, Any]:
    if not Path(overture_chromium).exists():
        pytest.exit(
            f"{overture_chromium} is missing: install Chromium (Debian: apt-get install chromium) or pass --overture-chromium PATH",
            returncode=3,
        )
    return {**launch_options(overture_chromium), **browser_type_launch_args, "executable_path": overture_chromium}


@pytest.fixture(scope="session")
def base_url(overture_url: str) -> str:
    """pytest-playwright's base URL: the deployment under test."""
    return overture_url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any], overture_url: str) -> dict[str, Any]:
    return {**browser_context_args, "base_url": overture_url, "viewport": VIEWPORT, "locale": "en-GB", "timezone_id": "UTC"}


@pytest.fixture(scope="session")
def storage_states(overture_url: str, playwright: Playwright, tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, str], Path]:
    """``storage_states(username, password)``: the storage-state file of a newly signed-in
    person — a session of its own each time, since sessions are kept on the server and a
    test that signs out ends only its own."""
    folder = tmp_path_factory.mktemp("storage-states")
    made = itertools.count()

    def state_of(username: str, password: str) -> Path:
        request = playwright.request.new_context(base_url=overture_url)
        try:
            response = request.post("/api/session", data={"username": username, "password": password})
            if not response.ok:
                raise AssertionError(f"{username} cannot sign in at {overture_url}: {response.status} {response.text()[:300]}")
            path = folder / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', username)}-{next(made)}.json"
            request.storage_state(path=path)
        finally:
            request.dispose()
        return path

    return state_of


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test (``rep_call``), so that ``page_errors`` knows whether it failed already."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


#: Uncaught errors that are the browser's, not the app's.
BENIGN_PAGE_ERRORS = re.compile(r"ResizeObserver loop")


@pytest.fixture
def page_errors(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Uncaught JavaScript errors of the app in this test's contexts (made by the plugin).

    An uncaught error fails the test (after its own checks), with the errors listed;
    ``@pytest.mark.allow_page_errors`` lets a test that expects some pass.
    """
    errors: list[str] = []
    yield errors
    if errors:
        listed = "\n".join(f"  - {e}" for e in errors)
        print(f"uncaught errors in the page:\n{listed}")
        failed_already = getattr(getattr(request.node, "rep_call", None), "failed", False)
        if not failed_already and request.node.get_closest_marker("allow_page_errors") is None:
            pytest.fail(f"the app threw {len(errors)} uncaught error(s) in the browser:\n{listed}", pytrace=False)


def prepare_context(context: BrowserContext, errors: list[str]) -> BrowserContext:
    """The plugin's timeouts, and uncaught errors of the app collected into ``errors``."""
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)

    def on_error(web_error: Any) -> None:
        message = str(getattr(web_error.error, "message", web_error.error))
        if not BENIGN_PAGE_ERRORS.search(message):
            errors.append(message.splitlines()[0])

    context.on("weberror", on_error)
    return context


@pytest.fixture
def overture_sign_in(
    new_context: Callable[..., BrowserContext], storage_states: Callable[[str, str], Path], page_errors: list[str]
) -> Callable[[str, str], BrowserContext]:
    """``overture_sign_in(username, password)``: a new BrowserContext signed in as that person
    (a session of its own each call; traced, kept on failure)."""

    def sign_in(username: str, password: str) -> BrowserContext:
        return prepare_context(new_context(storage_state=storage_states(username, password)), page_errors)

    return sign_in


class Personas:
    """The ``persona`` fixture: ``persona("alice")`` is alice's Page, signed in, in her own
    browser context; asking again in the same test gives the same Page. ``persona.context("alice")``
    is her BrowserContext (for a second tab: ``.new_page()``)."""

    def __init__(self, personas: dict[str, Persona], sign_in: Callable[[str, str], BrowserContext]):
        self._personas = personas
        self._sign_in = sign_in
        self._pages: dict[str, Page] = {}

    def __call__(self, name: str) -> Page:
        if name not in self._pages:
            persona = persona_named(self._personas, name)
            try:
                password = persona.secret_password()
            except PersonaError as error:
                pytest.fail(str(error), pytrace=False)
            self._pages[name] = self._sign_in(str(persona.username), password).new_page()
        return self._pages[name]

    def context(self, name: str) -> BrowserContext:
        return self(name).context

    @property
    def names(self) -> list[str]:
        """The personas known (from the personas file, or the project's ``overture_personas``)."""
        return sorted(self._personas)


@pytest.fixture
def persona(overture_personas: dict[str, Persona], overture_sign_in: Callable[[str, str], BrowserContext]) -> Personas:
    """``persona("alice")`` → a Page signed in as alice, in a browser context of her own."""
    return Personas(overture_personas, overture_sign_in)
