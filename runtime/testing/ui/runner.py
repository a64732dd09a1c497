"""Scenarios through the real UI: each persona in its own signed-in browser, on a server.

What each step does on the server (``SCENARIOS.md`` has the format):

- ``start`` with a new record: its owner fills "New <type>" on the record type's page;
  a record-triggered run is the one the save started. Otherwise the persona starts it on
  the orchestration's Start run page, its inputs filled by their labels (a run bound to
  an existing record is started through the API: that page binds none).
- ``complete``: the persona opens the work item from their work items (its own page,
  the Work Guide), claims it first when asked (Claim it), fills the form fields, the
  comment, and presses the outcome's button; the page must say the step is done.
- ``claim`` / ``release``: the Work Guide's Claim it / Release it buttons.
- ``suspend`` / ``resume`` / ``retry`` / ``cancel``: the run page's controls.
- ``event``, ``update_record``, ``reassign`` and any acting step with ``expect_error``:
  through the API as the persona (events as the admin); an expected refusal is the
  API's answer (``forbidden``, or its message).
- ``advance``: the server's test clock (``POST /api/test-clock``, a server started with
  ``OVERTURE_TEST_CLOCK=1``). Without one the step is skipped with the reason; a check
  that fails after a skipped ``advance`` is reported as skipped, since it may need the time.
- ``expect``: polled through the API (the worker runs background steps a moment later)
  until it holds or :data:`EXPECT_WAIT` passes; the admin's run page is then opened and
  must show the expected stage and status, and a timeline entry per stage visit.
  ``notifications`` and ``notification_count`` are not checked (a server keeps
  notifications per person); ``visible`` is each persona's own open items of the run.
- ``mock`` and ``migrate`` cannot run against a server: a scenario with a mock is skipped
  (the server runs its real actions), a ``migrate`` step is skipped.

Side by side: a run of consecutive ``complete``, ``claim`` and ``release`` steps of
different personas (:func:`side_by_side` has the rule) plays at once, each persona in a
browser of its own in a thread of its own, when every one of their work items is open
for them at that moment; otherwise, or with ``UiSession(parallel=False)``
(``--ui-serial``), one after another.

Every step leaves a record (who did what, on which page, a screenshot); a failure
names the step, the persona, the page and what was expected and seen, and keeps the
Playwright trace of that persona's browser.
"""

from __future__ import annotations

import queue
import re
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runtime.testing.results import Failure, ScenarioResult
from runtime.testing.runner import NOT_IN_VIEW, _compare, actual_in_view
from runtime.testing.scenario import Scenario
from runtime.testing.scenario_format import actions_of
from runtime.testing.ui import pages as ui
from runtime.testing.ui.personas import Accounts, Person, PersonasError, bind, people_of

#: Seconds an ``expect`` waits for the server to get there (background steps run in the worker).
EXPECT_WAIT = 15.0
#: Seconds to wait for the run a record's save started.
START_WAIT = 5.0
#: The admin's browser, for the run page.
ADMIN = "(admin)"
MISSING = "(missing)"
#: Work item statuses of an item someone may still act on.
OPEN = ("open", "claimed")
#: Assertions a server cannot answer for the whole run.
UNCHECKED = ("notifications", "notification_count")
#: The run page's controls for ops steps.
CONTROLS = {"suspend": "Suspend", "resume": "Resume", "retry": "Retry", "cancel": "Cancel run"}
#: Steps that may play side by side.
SIDE_BY_SIDE = ("complete", "claim", "release")
#: Seconds the steps played side by side have, together, before the runner stops waiting for them.
GROUP_WAIT = 120.0


def side_by_side(steps: Sequence[Mapping[str, Any]]) -> list[list[int]]:
    """The groups of steps (their indexes, two or more) that may play side by side.

    A group is a run of consecutive ``complete``, ``claim`` or ``release`` steps, each by a
    persona (``as``) no other step of the group names, none expecting an error; anything
    else (``expect``, ``advance``, ``event``, ``start``, ...) ends it. Several personas may
    complete the same step (an approval with several approvers), but a step claimed or
    released in a group is no other step's of that group (a claim must come before the
    completion it is for). The runner plays a group side by side only if, when it comes
    to it, each persona has the work item open and no two are the same account.
    """
    groups: list[list[int]] = [[]]
    for index, step in enumerate(steps):
        (action,) = actions_of(step)
        if action not in SIDE_BY_SIDE or not step.get("as") or "expect_error" in step:
            groups.append([])
            continue
        group = [(steps[i]["as"], *_work(steps[i])) for i in groups[-1]]
        same_work = [a for _, a, work in group if work == step[action]]
        if any(who == step["as"] for who, _, _ in group) or any(a != "complete" for a in ([action, *same_work] if same_work else [])):
            groups.append([])
        groups[-1].append(index)
    return [g for g in groups if len(g) > 1]


@dataclass
class StepRecord:
    """One step as it went: who did what on which page, and how it ended."""

    index: int
    action: str
    persona: str | None
    user: str | None
    did: str
    page: str | None = None
    status: str = "passed"  # passed, failed, skipped
    message: str = ""
    screenshot: str | None = None
    seconds: float = 0.0
    alongside: list[int] = field(default_factory=list)  # the steps (indexes) it played side by side with


@dataclass
class UiResult:
    """A scenario run through the UI: the result (as ``overture test`` gives it) and its steps."""

    result: ScenarioResult
    scenario: Scenario | None
    steps: list[StepRecord] = field(default_factory=list)
    personas: dict[str, tuple[str, str]] = field(default_factory=dict)
    skipped: str | None = None  # why the whole scenario was skipped
    trace: str | None = None
    memory_ms: float | None = None  # the in-memory runner's time, when compared

    @property
    def status(self) -> str:
        if self.result.failures:
            return "failed"
        return "skipped" if self.skipped else "passed"


class StepFailed(Exception):
    """The step failed: what, what was expected and seen; ``code`` is the error kind an
    ``expect_error`` may name (``not_found``, ``invalid``) when the runner refused the step itself."""

    def __init__(self, message: str, expected: Any = None, actual: Any = None, kind: str = "action", code: str | None = None):
        super().__init__(message)
        self.message, self.expected, self.actual, self.kind, self.code = message, expected, actual, kind, code


class StepSkipped(Exception):
    pass


class BrowserThread:
    """A thread with a Playwright and a browser of its own (Playwright's sync API allows one per
    thread), kept for the session: it plays steps side by side with the session's browser."""

    def __init__(self, launch: dict[str, Any]):
        self._launch = launch
        self._jobs: queue.Queue[Callable[[Any, BaseException | None], None] | None] = queue.Queue()
        self.thread = threading.Thread(target=self._serve, name="overture-ui-browser", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        playwright = browser = failed = None
        try:
            playwright = ui.sync_playwright().start()
            browser = playwright.chromium.launch(**self._launch)
        except Exception as exc:  # each job says so at its step
            failed = exc
        while (job := self._jobs.get()) is not None:
            job(browser, failed)
        for close in (browser.close if browser else None, playwright.stop if playwright else None):
            try:
                if close is not None:
                    close()
            except Exception:
                pass

    def submit(self, job: Callable[[Any, BaseException | None], None]) -> threading.Event:
        """Run ``job(browser, launch_error)`` in the thread; the event is set when it is done."""
        done = threading.Event()

        def run(browser: Any, failed: BaseException | None) -> None:
            try:
                job(browser, failed)
            finally:
                done.set()

        self._jobs.put(run)
        return done

    def stop(self, timeout: float = 10.0) -> None:
        self._jobs.put(None)
        self.thread.join(timeout)


class UiSession:
    """One browser and the server's admin for a suite: scenarios run one after another.

    Args:
        base_url: the server (``http://host:port``).
        accounts: who the admin is and the personas' accounts (``personas.py``).
        artifacts: where screenshots and traces go.
        environment: bind personas with the scenarios' ``environments.<NAME>``.
        headless: False shows the browsers.
        browser: a Playwright browser to use (pytest-playwright's); by default one is launched.
        parallel: play the steps :func:`side_by_side` allows at once, each in a browser of its
            own (launched like the session's); False plays every step one after another.
    """

    def __init__(
        self,
        base_url: str,
        accounts: Accounts,
        artifacts: Path,
        *,
        environment: str | None = None,
        headless: bool = True,
        browser: Any = None,
        parallel: bool = True,
    ):
        self.base_url = base_url.rstrip("/")
        self.accounts = accounts
        self.artifacts = artifacts
        self.environment = environment
        self.headless = headless
        self.parallel = parallel
        self._playwright: Any = None
        self._own_browser = browser is None
        self.browser: Any = browser
        self._threads: list[BrowserThread] = []  # their browsers, for steps side by side

    def __enter__(self) -> UiSession:
        self.artifacts.mkdir(parents=True, exist_ok=True)
        self.admin = self.sign_in(self.accounts.admin.user, self.accounts.admin.password)
        if self.admin.user is None or self.admin.user.get("role") != "admin":
            raise PersonasError(f"{self.accounts.admin.user} is not an admin on {self.base_url}: name an admin account")
        self.people: dict[str, Person] = people_of(self._all_users())
        self.record_types = {t["name"]: t for t in self.admin.get("/api/record-types", params={"limit": 200})["items"]}
        self.test_clock = self.admin.status_of("GET", "/api/test-clock") == 200
        if self._own_browser:
            self._playwright = ui.sync_playwright().start()
            self.browser = self._playwright.chromium.launch(**self.launch_options())
        return self

    def __exit__(self, *exc: object) -> None:
        for thread in self._threads:
            thread.stop()
        if self.browser is not None and self._own_browser:
            self.browser.close()
        if self._playwright is not None:
            self._playwright.stop()

    def launch_options(self) -> dict[str, Any]:
        return ui.launch_options(headless=self.headless)

    def browser_threads(self, count: int) -> list[BrowserThread]:
        """``count`` threads with a browser each: those of earlier groups, and new ones as needed."""
        self._threads = [t for t in self._threads if t.thread.is_alive()]
        self._threads += [BrowserThread(self.launch_options()) for _ in range(count - len(self._threads))]
        return self._threads[:count]

    def drop(self, thread: BrowserThread) -> None:
        """A thread still busy with a step that did not end in time: not used again."""
        if thread in self._threads:
            self._threads.remove(thread)
            thread.stop(timeout=0)

    def sign_in(self, user: str, password: str) -> Any:
        api = ui.Api(self.base_url)
        try:
            return api.sign_in(user, password)
        except ui.ApiFailure as exc:
            raise PersonasError(f"{user} cannot sign in to {self.base_url}: {exc.error.get('message', exc)}") from None

    def _all_users(self) -> list[dict[str, Any]]:
        users: list[dict[str, Any]] = []
        cursor = None
        while True:
            page = self.admin.get("/api/users", params={"limit": 200, **({"cursor": cursor} if cursor else {})})
            users.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return users

    def run(self, scenario: Scenario, *, name: str | None = None) -> UiResult:
        return ScenarioRun(self, scenario, name or scenario.name).run()


class Persona:
    """A persona's browser (a signed-in context of its own) and API session: in the session's
    browser, or in ``browser`` with the signed-in ``api`` (a thread's own, for steps side by side)."""

    def __init__(self, session: UiSession, name: str, user: str, *, browser: Any = None, api: Any = None):
        self.name, self.user = name, user
        self.api = api or session.sign_in(user, session.accounts.password_of(user))
        self.context = (browser or session.browser).new_context(
            base_url=session.base_url,
            viewport=ui.VIEWPORT,
            locale="en-GB",
            timezone_id="UTC",
            storage_state={"cookies": self._cookies(session.base_url), "origins": []},
        )
        self.context.set_default_timeout(ui.ACTION_TIMEOUT_MS)
        self.context.set_default_navigation_timeout(ui.NAVIGATION_TIMEOUT_MS)
        self.context.tracing.start(screenshots=True, snapshots=True, title=f"{name} ({user})")
        self.page = self.context.new_page()

    def _cookies(self, base_url: str) -> list[dict[str, Any]]:
        host = re.sub(r"^https?://", "", base_url).split("/")[0].split(":")[0]
        return [
            {
                "name": c.name,
                "value": c.value,
                "domain": host,
                "path": c.path or "/",
                "httpOnly": True,
                "secure": bool(c.secure),
                "sameSite": "Lax",
            }
            for c in self.api.http.cookies
        ]

    @property
    def label(self) -> str:
        return f"{self.name} ({self.user})"


class ScenarioRun:
    """One scenario on the server: its personas' browsers, the run under test, its steps."""

    def __init__(self, session: UiSession, scenario: Scenario, name: str):
        self.session = session
        self.scenario = scenario
        self.admin = session.admin
        self.slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower()[:60] or "scenario"
        self.out = session.artifacts / self.slug
        self.ui = UiResult(ScenarioResult(name, scenario.source, scenario.orchestration), scenario)
        self._personas: dict[str, Persona] = {}
        self._apis: dict[str, tuple[str, Any]] = {}  # persona: (user, API session)
        self._thread = threading.local()  # a side-by-side step's thread: its persona's own browser
        self.run_id: str | None = None
        self.record: dict[str, str] | None = None
        self.clock_skipped_at: int | None = None
        self.last: Persona | None = None

    # ------------------------------------------------------------------ the scenario

    def run(self) -> UiResult:
        began = time.perf_counter()
        try:
            self._run()
        finally:
            self._close()
            self.ui.result.duration_ms = (time.perf_counter() - began) * 1000
            self.ui.result.run_id = self.run_id
        return self.ui

    def _run(self) -> None:
        scenario = self.scenario
        if scenario.mocks or any("mock" in s for s in scenario.steps):
            self.ui.skipped = "it mocks background actions: on a server the real actions run (mocks answer only in memory)"
            return
        try:
            self.ui.personas = bind(scenario, self.session.accounts, self.session.people, self.session.environment)
        except PersonasError as exc:
            self.ui.result.failures.append(Failure(None, None, "setup", str(exc)))
            return
        self.out.mkdir(parents=True, exist_ok=True)
        steps = scenario.steps
        groups = {group[0]: group for group in side_by_side(steps)} if self.session.parallel else {}
        index = 0
        while index < len(steps):
            group = groups.get(index)
            if group is not None and self._ready(group):
                self.ui.result.steps_run = group[-1] + 1
                if not self._side_by_side(group):
                    break
                index = group[-1] + 1
                continue
            self.ui.result.steps_run = index + 1
            if not self._play(self._record(index, steps[index]), steps[index]):
                break
            index += 1

    @property
    def personas(self) -> dict[str, Persona]:
        """The personas' browsers: in a side-by-side step's thread, only that thread's own."""
        own: dict[str, Persona] | None = getattr(self._thread, "personas", None)
        return self._personas if own is None else own

    def _record(self, index: int, step: Mapping[str, Any]) -> StepRecord:
        (action,) = actions_of(step)
        who = self._actor(action, step)
        record = StepRecord(index, action, who, self.ui.personas[who][0] if who in self.ui.personas else None, describe(action, step))
        self.ui.steps.append(record)
        return record

    def _ready(self, group: list[int]) -> bool:
        """Whether the group's personas are different accounts, each with a work item of their step open
        now, and no item theirs twice (a group's item: whoever acts first takes it)."""
        try:
            accounts = [self._signed_in(str(self.scenario.steps[i]["as"])) for i in group]
            if len({user for user, _ in accounts}) < len(accounts):
                return False
            items = []
            for index, (_user, api) in zip(group, accounts, strict=True):
                _action, work = _work(self.scenario.steps[index])
                mine = api.work_items(run=self._run_id(), mine="true")
                items.append(next((i["id"] for i in mine if i["step_id"] == work and i["status"] in OPEN), None))
            if None in items or len(set(items)) < len(items):  # one item for two of them: the first to act decides
                return False
        except Exception:
            return False  # played one after another: a failure is reported at its step
        return True

    def _side_by_side(self, group: list[int]) -> bool:
        """Play the group's steps at once: the first here, each other in a thread with its persona's
        own browser; False when one failed (every step's record says how it went)."""
        records = [self._record(i, self.scenario.steps[i]) for i in group]
        for record in records:
            record.alongside = [i for i in group if i != record.index]
        played: dict[int, bool] = {}
        threads = self.session.browser_threads(len(records) - 1)
        done = [thread.submit(self._in_thread(record, played)) for thread, record in zip(threads, records[1:], strict=True)]
        deadline = time.monotonic() + GROUP_WAIT
        played[records[0].index] = self._play(records[0], self.scenario.steps[records[0].index])  # here, in the session's browser
        for record, thread, finished in zip(records[1:], threads, done, strict=True):
            if not finished.wait(max(0.0, deadline - time.monotonic())):
                self.session.drop(thread)  # it is left to end on its own (a daemon thread): the scenario stops here
                record.status = "failed"
                record.message = (
                    f"step {record.index + 1} ({record.did}) as {record.persona} ({record.user}): "
                    f"not done after {GROUP_WAIT:.0f} s side by side with steps {', '.join(str(i + 1) for i in record.alongside)}"
                )
                line = self.scenario.line("steps", record.index)
                self.ui.result.failures.append(Failure(record.index, line, "action", record.message))
        self.ui.result.failures.sort(key=lambda f: -1 if f.step is None else f.step)
        return all(played.get(record.index) for record in records)

    def _in_thread(self, record: StepRecord, played: dict[int, bool]) -> Callable[[Any, BaseException | None], None]:
        """One step of a group, for a :class:`BrowserThread`: in its browser, signed in as the step's persona."""
        step = self.scenario.steps[record.index]
        name = str(record.persona)
        user, api = self._apis[name]

        def job(browser: Any, failed: BaseException | None) -> None:
            self._thread.personas = {}
            try:
                if failed is not None:
                    raise failed
                self._thread.personas[name] = Persona(self.session, name, user, browser=browser, api=api)
                played[record.index] = self._play(record, step)
            except Exception as exc:  # no browser for it: reported at the step
                message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                record.status, record.message = "failed", f"step {record.index + 1} ({record.did}): no browser for it: {message}"
                self.ui.result.failures.append(Failure(record.index, self.scenario.line("steps", record.index), "action", record.message))
                played[record.index] = False
            finally:
                self._close()
                self._thread.personas = None

        return job

    def _play(self, record: StepRecord, step: Mapping[str, Any]) -> bool:
        """Play one step; False when the scenario stops there."""
        action = record.action
        began = time.perf_counter()
        try:
            self._do(action, step, record)
        except StepSkipped as skipped:
            record.status, record.message = "skipped", str(skipped)
        except (StepFailed, ui.Error, ui.ApiFailure, AssertionError, PersonasError) as exc:
            failed = exc if isinstance(exc, StepFailed) else StepFailed(_first_lines(str(exc)))
            if self.clock_skipped_at is not None:
                record.status = "skipped"
                record.message = f"after the skipped advance of step {self.clock_skipped_at + 1}, which it may need: {failed.message}"
                self.ui.skipped = (
                    f"step {self.clock_skipped_at + 1} moves the clock, and the server has no test clock (OVERTURE_TEST_CLOCK=1)"
                )
                self._shoot(record)
                return False
            self._failed(record, failed, kind="expect" if action == "expect" else failed.kind)
            return False
        except Exception as exc:  # a bug of the runner: reported at its step, the suite goes on
            message = "the UI runner failed: " + "".join(traceback.format_exception_only(type(exc), exc)).strip()
            self._failed(record, StepFailed(message), kind="action")
            return False
        finally:
            record.seconds = time.perf_counter() - began
        if record.status != "skipped":
            self._shoot(record)
        return True

    def _actor(self, action: str, step: Mapping[str, Any]) -> str | None:
        body = step.get(action)
        if isinstance(body, dict) and body.get("as"):
            return str(body["as"])
        if action == "start" and isinstance(body, dict):
            owner = (body.get("record") or {}).get("owner")
            return str(owner) if owner else None
        return str(step["as"]) if step.get("as") else None

    def _failed(self, record: StepRecord, failed: StepFailed, kind: str) -> None:
        record.status = "failed"
        who = f"as {self.personas[record.persona].label}" if record.persona in self.personas else "as the admin"
        page = self._page_of(record.persona)
        record.page = page.url if page is not None else record.page
        record.message = f"step {record.index + 1} ({record.did}) {who} on {record.page or 'no page'}: {failed.message}"
        self._shoot(record)
        line = self.scenario.line("steps", record.index)
        self.ui.result.failures.append(Failure(record.index, line, kind, record.message, _plain(failed.expected), _plain(failed.actual)))
        persona = self.personas.get(record.persona or "") or self.last
        if persona is not None:
            path = self.out / f"trace-{persona.name}.zip"
            persona.context.tracing.stop(path=str(path))
            persona.context.tracing.start(screenshots=True, snapshots=True)
            self.ui.trace = str(path)

    def _page_of(self, persona: str | None) -> Any:
        if persona in self.personas:
            return self.personas[persona].page
        return self.personas[ADMIN].page if ADMIN in self.personas else None

    def _shoot(self, record: StepRecord) -> None:
        page = self._page_of(record.persona) if record.persona in self.personas else (self.last.page if self.last else None)
        if page is None or page.url in ("", "about:blank"):
            return
        path = self.out / f"step-{record.index + 1:02d}.png"
        try:
            page.screenshot(path=str(path))
        except ui.Error:
            return
        record.screenshot = str(path)
        record.page = record.page or page.url

    def _close(self) -> None:
        for persona in self.personas.values():
            try:
                persona.context.tracing.stop()
                persona.context.close()
            except ui.Error:
                pass

    # ------------------------------------------------------------------ personas

    def persona(self, name: str | None) -> Persona:
        if name is None:
            raise StepFailed("the step names no persona (as:)")
        if name not in self.personas:
            if getattr(self._thread, "personas", None) is not None:  # a thread of a group has its step's persona only
                raise StepFailed(f"persona {name} has no browser in this step's thread")
            user, api = self._signed_in(name)
            self.personas[name] = Persona(self.session, name, user, api=api)
        if getattr(self._thread, "personas", None) is None:
            self.last = self.personas[name]
        return self.personas[name]

    def _signed_in(self, name: str) -> tuple[str, Any]:
        """A persona's account and API session, signed in once a scenario (for its browsers in any thread)."""
        if name not in self._apis:
            if name == ADMIN:
                user = self.session.accounts.admin.user
            elif name in self.ui.personas:
                user = self.ui.personas[name][0]
            else:
                raise StepFailed(f"persona {name} is not declared")
            self._apis[name] = (user, self.session.sign_in(user, self.session.accounts.password_of(user)))
        return self._apis[name]

    def _run_id(self) -> str:
        if self.run_id is None:
            raise StepFailed("no run was started")
        return self.run_id

    # ------------------------------------------------------------------ steps

    def _do(self, action: str, step: Mapping[str, Any], record: StepRecord) -> None:
        if action == "expect":
            self._expect(step["expect"], record)
            return
        if action == "advance":
            self._advance(str(step["advance"]))
            return
        if action == "migrate":
            raise StepSkipped("migrate steps move runs in memory only; migrate on the server with the builder or the API")
        wanted = step.get("expect_error")
        if wanted is not None:
            record.did += f" (must fail: {wanted}; through the API)"
            self._refused(action, step, str(wanted))
            return
        if action == "start":
            self._start(step["start"], record)
        elif action == "complete":
            self._complete(step, record)
        elif action in ("claim", "release"):
            self._claim(action, step, record)
        elif action in CONTROLS:
            persona = self.persona(self._actor(action, step) or ADMIN)
            page = ui.RunPage(persona.page).open(self._run_id())
            page.control(CONTROLS[action])
            record.page = persona.page.url
        else:
            self._api_call(action, step)

    def _start(self, body: Mapping[str, Any], record: StepRecord) -> None:
        key = self.scenario.orchestration
        wanted = body.get("record")
        started_by = body.get("as") or (wanted or {}).get("owner")
        if wanted is not None and "fields" in wanted:
            owner = self.persona(str(wanted.get("owner") or started_by or ADMIN))
            self.record = {"object": wanted["object"], "id": self._create_record(owner, wanted["object"], wanted["fields"])}
            record.page = owner.page.url
            if self._record_triggered(key, wanted["object"]):
                self.run_id = self._started_run(key)
                return
        elif wanted is not None:
            self.record = {"object": wanted["object"], "id": wanted["id"]}
        starter = self.persona(str(started_by)) if started_by else self.persona(ADMIN)
        if self.record is None:
            record.page = f"{self.session.base_url}/orchestrations/{key}/start"
            record.did += " (Start run)"
            self.run_id = self._start_run_page(starter, key, body.get("inputs") or {})
            return
        run = starter.api.start_run(key, body.get("inputs") or {}, self.record)  # the Start run page binds no record
        self.run_id = run["id"]
        record.did += " (bound to a record: through the API)"

    def _start_run_page(self, starter: Persona, key: str, inputs: Mapping[str, Any]) -> str:
        """Start run: the orchestration's start page, its inputs filled by their labels; the new run's id."""
        found = self.admin.get(f"/api/orchestrations/{key}")
        if not found.get("active_version"):
            raise StepFailed(f"{key} has no active version on the server")
        document = self.admin.get(f"/api/orchestrations/{key}/versions/{found['active_version']}")["document"]
        declared = {i["name"]: i for i in document.get("inputs", [])}
        unknown = sorted(set(inputs) - set(declared))
        if unknown:
            raise StepFailed(f"{key} takes no input {', '.join(unknown)}", expected=unknown, actual=sorted(declared))
        page = starter.page
        page.goto(f"/orchestrations/{key}/start")
        button = page.get_by_role("button", name="Start run", exact=True)
        ui.expect(button).to_be_visible()
        main = page.get_by_role("main")
        for name, value in inputs.items():
            fill(main, declared[name], value)
        button.click()
        told = page.get_by_test_id("started-with-work").get_by_role("link", name="See the run")
        deadline = time.monotonic() + ui.ACTION_TIMEOUT_MS / 1000
        while time.monotonic() < deadline:
            landed = re.search(r"/runs/([^/?#]+)$", page.url)
            if landed:
                return landed.group(1)
            if told.count():
                return str(told.get_attribute("href") or "").rsplit("/", 1)[-1]
            page.wait_for_timeout(100)
        seen = [t.strip() for t in main.locator(".field-error, [role=alert]").all_inner_texts() if t.strip()]
        raise StepFailed(f"Start run of {key} started no run" + (f": the page says {'; '.join(seen)}" if seen else ""), actual=seen)

    def _record_triggered(self, key: str, object: str) -> bool:
        """Whether saving a record of ``object`` starts ``key`` (its active version's trigger)."""
        return any(t["orchestration"] == key for t in self.session.record_types.get(object, {}).get("triggers", []))

    def _create_record(self, owner: Persona, object: str, values: Mapping[str, Any]) -> str:
        kind = self.session.record_types.get(object)
        if kind is None:
            raise StepFailed(f"the server has no record type {object}", expected=object, actual=sorted(self.session.record_types))
        labels = {f["name"]: f.get("label") or f["name"].replace("_", " ").capitalize() for f in kind["fields"]}
        unknown = sorted(set(values) - set(labels))
        if unknown:
            raise StepFailed(f"the {kind['label']} form has no field {', '.join(unknown)}", expected=unknown, actual=sorted(labels))
        page = ui.RecordsPage(owner.page).open(object, kind["label"])
        return page.create(kind["label"], {labels[name]: _text(value) for name, value in values.items()})

    def _started_run(self, key: str) -> str:
        assert self.record is not None
        deadline = time.monotonic() + START_WAIT
        while True:
            found = self.admin.get(f"/api/records/{self.record['object']}/{self.record['id']}")
            ours = [r["id"] for r in found.get("runs", []) if r["orchestration"] == key]
            if ours:
                return str(ours[0])
            if time.monotonic() > deadline:
                raise StepFailed(
                    f"saving the {self.record['object']} record started no run of {key}",
                    expected=key,
                    actual=[r["orchestration"] for r in found.get("runs", [])],
                    code="invalid",
                )
            time.sleep(0.2)

    def _open_item(self, persona: Persona, step_id: str) -> tuple[dict[str, Any], Any]:
        """The persona's open item of ``step_id`` (from their work items), on its own page."""
        mine = [i for i in persona.api.work_items(run=self._run_id(), mine="true") if i["step_id"] == step_id and i["status"] in OPEN]
        if not mine:
            held = [i for i in self.admin.work_items(run=self._run_id()) if i["step_id"] == step_id]
            whose = ", ".join(f"{i['assignee']['type']} {i['assignee']['value']}" for i in held) or "nobody: the step has no open item"
            raise StepFailed(
                f"{persona.label} has no open item of {step_id} in their work items (it is with {whose})",
                expected=f"{step_id} in {persona.user}'s work items",
                actual=whose,
            )
        item = mine[0]
        page = ui.ItemPage(persona.page).open(item["id"])
        return persona.api.get(f"/api/work-items/{item['id']}"), page

    def _complete(self, step: Mapping[str, Any], record: StepRecord) -> None:
        persona = self.persona(str(step["as"]))
        item, page = self._open_item(persona, str(step["complete"]))
        record.page = persona.page.url
        if step.get("claim"):
            self._press(page.step, "Claim it")
            ui.expect(page.step.get_by_role("button", name="Release it")).to_be_visible()
        form = item.get("form") or {"fields": [], "outcomes": []}
        fields = {f["name"]: f for f in form.get("fields", [])}
        for name, value in (step.get("values") or {}).items():
            if name not in fields:
                raise StepFailed(f"the form of {item['label']} has no field {name}", expected=name, actual=sorted(fields), kind="action")
            fill(page.step, fields[name], value)
        if step.get("comment"):
            page.comment(str(step["comment"]))
        outcomes = form.get("outcomes") or []
        outcome = step.get("outcome")
        chosen = next((o for o in outcomes if o["value"] == outcome), None) if outcome else (outcomes[0] if outcomes else None)
        if chosen is None:
            raise StepFailed(
                f"the form of {item['label']} offers no outcome {outcome}",
                expected=outcome,
                actual=[o["value"] for o in outcomes],
            )
        self._press(page.step, chosen["label"])
        try:
            ui.expect(page.completed).to_be_visible()
        except AssertionError:
            seen = [t.strip() for t in page.guide.locator(".notice, .field-error, [role=alert]").all_inner_texts() if t.strip()]
            raise StepFailed(
                f"pressing {chosen['label']} did not complete {item['label']}" + (f": the page says {'; '.join(seen)}" if seen else ""),
                expected="the step is done",
                actual=seen or "no answer on the page",
            ) from None

    def _press(self, where: Any, name: str) -> None:
        button = where.get_by_role("button", name=name, exact=True)
        if button.count() == 0:
            shown = [b.strip() for b in where.get_by_role("button").all_inner_texts() if b.strip()]
            raise StepFailed(f"there is no button {name!r} on the page", expected=name, actual=shown)
        button.click()

    def _claim(self, action: str, step: Mapping[str, Any], record: StepRecord) -> None:
        persona = self.persona(str(step["as"]))
        _item, page = self._open_item(persona, str(step[action]))
        record.page = persona.page.url
        self._press(page.step, "Claim it" if action == "claim" else "Release it")
        ui.expect(page.step.get_by_role("button", name="Release it" if action == "claim" else "Claim it")).to_be_visible()

    def _api_call(self, action: str, step: Mapping[str, Any], persona: Persona | None = None) -> Any:
        """An action through the API (as the persona; events as the admin)."""
        if action == "event":
            body = step["event"]
            return self.admin.post(
                "/api/events",
                {
                    "name": body["name"],
                    "correlation": self._refs(body.get("correlation")),
                    "payload": self._refs(body.get("payload") or {}),
                },
            )
        if action == "start":
            return self._start(step["start"], StepRecord(0, "start", None, None, ""))
        persona = persona or self.persona(self._actor(action, step) or ADMIN)
        run_id = self._run_id()
        if action == "update_record":
            if self.record is None:
                raise StepFailed("update_record: the run has no record")
            body = step["update_record"]
            return persona.api.request("PATCH", f"/api/records/{self.record['object']}/{self.record['id']}", {"fields": body["fields"]})
        if action in ("complete", "claim", "release", "reassign"):
            held = [i for i in self.admin.work_items(run=run_id) if i["step_id"] == step[action]]
            if not held:
                raise StepFailed(f"step {step[action]} has no open work item", code="not_found")
            item = held[0]["id"]
            if action == "complete":
                wanted = {"outcome": step.get("outcome"), "values": step.get("values") or {}, "comment": step.get("comment")}
                return persona.api.post(f"/api/work-items/{item}/complete", wanted)
            if action == "reassign":
                ((kind, name),) = step["to"].items()
                to = {"type": "user", "value": self.ui.personas[name][0]} if kind == "persona" else {"type": kind, "value": name}
                return persona.api.post(f"/api/work-items/{item}/reassign", {"to": to})
            return persona.api.post(f"/api/work-items/{item}/{action}")
        if action in CONTROLS:
            return persona.api.post(f"/api/runs/{run_id}/{action}")
        raise StepFailed(f"{action} steps cannot run against a server")

    def _refused(self, action: str, step: Mapping[str, Any], wanted: str) -> None:
        """An acting step that must fail: the API must refuse it as the scenario says."""
        try:
            self._api_call(action, step)
        except ui.ApiFailure as exc:
            code, message = str(exc.error.get("code", "")), str(exc.error.get("message", ""))
            # A server answers 404 to whoever may not see an item: that is its "forbidden".
            if wanted.lower() == code or wanted.lower() in message.lower() or (wanted.lower() == "forbidden" and code == "not_found"):
                return
            raise StepFailed(
                f"{action} was refused, but not as expected: {code}: {message}", expected=wanted, actual=f"{code}: {message}"
            ) from None
        except StepFailed as failed:
            if wanted.lower() == failed.code or wanted.lower() in failed.message.lower():
                return
            raise
        raise StepFailed(f"{action} succeeded, but was expected to fail with {wanted!r}", expected=wanted, actual="succeeded")

    def _refs(self, value: Any) -> Any:
        if isinstance(value, dict):
            if set(value) == {"ref"}:
                ref = str(value["ref"])
                if ref == "run.id":
                    return self._run_id()
                if ref == "record.id" and self.record is not None:
                    return self.record["id"]
                if ref.startswith("record.") and self.record is not None:
                    return self._record_values().get(ref.removeprefix("record."))
                raise StepFailed(f"{{ref: {ref}}}: the run has no record")
            return {k: self._refs(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._refs(v) for v in value]
        return value

    def _record_values(self) -> dict[str, Any]:
        assert self.record is not None
        found = self.admin.get(f"/api/records/{self.record['object']}/{self.record['id']}")
        values: dict[str, Any] = found["fields"]
        return values

    def _advance(self, how: str) -> None:
        if not self.session.test_clock:
            if self.clock_skipped_at is None:
                self.clock_skipped_at = len(self.ui.steps) - 1
            raise StepSkipped(f"advance {how}: the server has no test clock (start it with OVERTURE_TEST_CLOCK=1, never in production)")
        body = {"advance": how, **({"run": self._run_id()} if how == "next" else {})}
        self.admin.post("/api/test-clock", body)

    # ------------------------------------------------------------------ assertions

    def _expect(self, expected: Mapping[str, Any], record: StepRecord) -> None:
        run_id = self._run_id()
        checked = {k: v for k, v in expected.items() if k not in UNCHECKED}
        left_out = sorted(set(expected) - set(checked))
        if left_out:
            record.did += f" (not checked against a server: {', '.join(left_out)})"
        if "ball" in checked:  # users the scenario names are its personas' users: the accounts they are bound to here
            checked["ball"] = [{"user": self._account_of(e["user"])} if set(e) == {"user"} else e for e in checked["ball"]]
        deadline = time.monotonic() + EXPECT_WAIT
        while True:
            run = self.admin.run(run_id)
            problems = [
                (key, wanted, actual) for key, wanted in checked.items() if _compare(key, wanted, actual := self._actual(key, wanted, run))
            ]
            if not problems:
                break
            if time.monotonic() > deadline:
                ui.RunPage(self.persona(ADMIN).page).open(run_id)  # what the run looks like, for the screenshot and trace
                record.persona = ADMIN
                messages = "; ".join(str(_compare(k, w, a)) for k, w, a in problems)
                raise StepFailed(messages, expected={k: w for k, w, _ in problems}, actual={k: a for k, _, a in problems}, kind="expect")
            time.sleep(0.25)
        admin = self.persona(ADMIN)
        page = ui.RunPage(admin.page).open(run_id)
        record.page = admin.page.url
        record.persona = ADMIN
        self._check_run_page(page, checked, run)

    def _check_run_page(self, page: Any, checked: Mapping[str, Any], run: Mapping[str, Any]) -> None:
        """The run page shows what the API said: the current stage, the status, a timeline entry per stage visit."""
        labels = {s["id"]: s["label"] for s in run.get("stages", [])}
        if checked.get("stage") is not None:
            label = labels.get(checked["stage"], checked["stage"])
            try:
                ui.expect(page.current_stage).to_contain_text(label)
            except AssertionError:
                seen = page.current_stage.all_inner_texts()
                raise StepFailed(
                    f"the run page shows stage {seen}, expected {label!r}", expected=label, actual=seen, kind="expect"
                ) from None
        if "status" in checked:
            try:
                ui.expect(page.status).to_have_class(re.compile(rf"\bstatus--{re.escape(str(checked['status']))}\b"))
            except AssertionError:
                seen = page.status.all_inner_texts()
                raise StepFailed(f"the run page shows status {seen}", expected=checked["status"], actual=seen, kind="expect") from None
        for stage in dict.fromkeys(checked.get("stages_visited") or ()):
            visits = list(checked["stages_visited"]).count(stage)
            entries = page.page.locator(f'[data-testid="timeline-{stage}"].timeline__entry--stage')
            try:
                ui.expect(entries).to_have_count(visits)
            except AssertionError:
                raise StepFailed(
                    f"the run page's timeline shows stage {labels.get(stage, stage)} {entries.count()} times, expected {visits}",
                    expected=visits,
                    actual=entries.count(),
                    kind="expect",
                ) from None

    def _account_of(self, user: str) -> str:
        """The account bound to the persona whose scenario user is ``user`` (``user`` itself if none is)."""
        for name, persona in self.scenario.personas.items():
            if str(persona.get("user", name)) == user and name in self.ui.personas:
                return self.ui.personas[name][0]
        return user

    def _actual(self, key: str, wanted: Any, run: Mapping[str, Any]) -> Any:
        found = actual_in_view(key, wanted, run)
        if found is not NOT_IN_VIEW:
            return found
        if key == "record":
            if run.get("record") is None:
                return None
            values = self._record_values()
            return {name: values.get(name, MISSING) for name in wanted}
        if key == "visible":
            return {
                persona: sorted(
                    i["step_id"] for i in self.persona(persona).api.work_items(run=run["id"], mine="true") if i["status"] in OPEN
                )
                for persona in wanted
            }
        raise StepFailed(f"unknown assertion {key!r}", kind="expect")


def _work(step: Mapping[str, Any]) -> tuple[str, Any]:
    """A step's action and the work item it acts on."""
    (action,) = actions_of(step)
    return action, step[action]


def fill(where: Any, field: Mapping[str, Any], value: Any) -> None:
    """Enter ``value`` into a form field as a person does, by its label."""
    label = field.get("label") or field["name"]
    kind = field.get("type")
    if kind == "multiselect":
        group = where.get_by_role("group", name=label)
        for option in value or []:
            group.get_by_label(str(option), exact=True).check()
        return
    control = where.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))
    if control.count() == 0:
        shown = [t.strip() for t in where.locator("label").all_inner_texts() if t.strip()]
        raise StepFailed(f"there is no field {label!r} on the form", expected=label, actual=shown)
    if kind == "boolean":
        control.set_checked(bool(value))
    elif kind == "select":
        control.select_option(str(value))
    else:
        control.fill(_text(value))


def describe(action: str, step: Mapping[str, Any]) -> str:
    """What a step does, in words, for the report."""
    body: Any = step.get(action)
    if action == "complete":
        return (
            f"complete {body}"
            + (f" → {step['outcome']}" if step.get("outcome") else "")
            + (f" with {step['values']}" if step.get("values") else "")
        )
    if action == "start":
        made = (body or {}).get("record") or {}
        return f"start (new {made['object']} record)" if "fields" in made else "start"
    if action == "expect":
        return "expect " + ", ".join(sorted(body))
    if action == "event":
        return f"event {body['name']}"
    if action == "advance":
        return f"advance {body}"
    return f"{action} {body}" if isinstance(body, str) else action


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _plain(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, default=str)) if value is not None else None


def _first_lines(text: str, lines: int = 6) -> str:
    return "\n".join(text.strip().splitlines()[:lines])
