"""The scenario runner: drives an in-memory engine through a scenario's steps.

Each scenario gets its own :class:`~runtime.store.memory.InMemoryStore`, a
:class:`~runtime.clock.ManualClock` and a directory made of its personas. Background
actions are answered by the scenario's mocks; the local built-ins and
``orchestration.start`` run for real, and any other action without a mock fails the
scenario (a scenario never calls the outside world). Retries are not waited for: the
clock jumps to each retry's due time. Everything runs synchronously, so a scenario is
deterministic and takes milliseconds.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import threading
import time
import traceback
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from functools import lru_cache, partial
from typing import Any

from runtime.actions import Action, ActionContext, ActionFailed, ActionRegistry, default_registry
from runtime.clock import ManualClock
from runtime.directory import Directory, InMemoryDirectory
from runtime.durations import parse_duration
from runtime.engine import Engine, Plan
from runtime.errors import DocumentInvalid, Forbidden, OvertureError
from runtime.model import Job, Version
from runtime.secrets import MockSecrets
from runtime.spec import OrchestrationSpec, compile_document
from runtime.store.memory import InMemoryStore
from runtime.templates import RECORD_TYPES
from runtime.testing.coverage import Coverage
from runtime.testing.documents import DocumentNotFound, DocumentSource
from runtime.testing.results import Failure, ScenarioResult
from runtime.testing.scenario import Scenario
from runtime.testing.scenario_format import OUTSIDER, actions_of

#: Error kinds an ``expect_error`` may name instead of a message.
_ERROR_CODES = frozenset({"forbidden", "conflict", "not_found", "invalid"})
_MISSING = "(missing)"
#: Later than any timer: ``Runner.next_due(FAR_FUTURE)`` is the next timer or retry, however far.
FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
_NO_OUTCOME = "\x00negative-check"  # an outcome no form has: completing with it can change nothing
_MAX_CLOCK_MOVES = 10_000
#: Assertions that read no run view.
_WITHOUT_RUN_VIEW = frozenset({"notifications", "notification_count", "visible"})


# ---------------------------------------------------------------------- compiled specs and actions

_SPECS: OrderedDict[tuple[str, int], OrchestrationSpec] = OrderedDict()
_SPEC_CACHE_SIZE = 64
_SPECS_LOCK = threading.Lock()  # the builder may run scenarios on several threads


@lru_cache(maxsize=1)
def _base_registry() -> ActionRegistry:
    return default_registry()


def _compiled(document: Mapping[str, Any], version: int) -> OrchestrationSpec:
    """The compiled spec of a document, cached: compiling costs milliseconds, a scenario should not."""
    key = (json.dumps(document, sort_keys=True), version)
    with _SPECS_LOCK:
        spec = _SPECS.get(key)
        if spec is not None:
            _SPECS.move_to_end(key)
            return spec
    spec = compile_document(document, version, actions=_base_registry())
    with _SPECS_LOCK:
        _SPECS[key] = spec
        while len(_SPECS) > _SPEC_CACHE_SIZE:
            _SPECS.popitem(last=False)
    return spec


class _Mock:
    """One mock and how often it was called, per step visit."""

    def __init__(self, spec: Mapping[str, Any]):
        self.spec = dict(spec)
        self.calls: Counter[tuple[str, str, int]] = Counter()

    def answer(self, ctx: ActionContext, action: str) -> dict[str, Any]:
        key = (ctx.run_id, ctx.step_id, ctx.visit)
        self.calls[key] += 1
        fail_times = self.spec.get("fail_times")
        failing = self.calls[key] <= fail_times if fail_times else ("fail" in self.spec or "timeout" in self.spec)
        if failing:
            message = f"{action}: timed out" if self.spec.get("timeout") else self.spec.get("fail", "mock failure")
            raise ActionFailed(message, retryable=bool(self.spec.get("retryable", True)))
        return copy.deepcopy(self.spec.get("result", {}))


class _Mocks:
    """The mocks in force; a step match wins over an action match."""

    def __init__(self) -> None:
        self.by_step: dict[str, _Mock] = {}
        self.by_action: dict[str, _Mock] = {}
        #: Messages of actions that ran without a mock since the runner last looked.
        self.missing: list[str] = []
        #: (step id, action) of every action that ran without a mock (a trial asks for their answers).
        self.unanswered: list[tuple[str, str]] = []

    def set(self, spec: Mapping[str, Any]) -> None:
        if "step" in spec:
            self.by_step[spec["step"]] = _Mock(spec)
        else:
            self.by_action[spec["action"]] = _Mock(spec)

    def find(self, step_id: str, action: str) -> _Mock | None:
        return self.by_step.get(step_id) or self.by_action.get(action)

    def wrap(self, action: Action) -> Action:
        real = action.handler
        runs_for_real = action.local or action.name == "orchestration.start"

        def handler(ctx: ActionContext, inputs: dict[str, Any]) -> Any:
            mock = self.find(ctx.step_id, action.name)
            if mock is not None:
                return mock.answer(ctx, action.name)
            if runs_for_real:
                return real(ctx, inputs)
            message = f"step {ctx.step_id} runs action {action.name}, which has no mock"
            self.missing.append(message)
            self.unanswered.append((ctx.step_id, action.name))
            raise ActionFailed(message, retryable=False)

        return dataclasses.replace(action, handler=handler)


# ---------------------------------------------------------------------- the runner


class _StepFailed(Exception):
    """The current step failed; carries the failure's kind and details."""

    def __init__(self, kind: str, message: str, expected: Any = None, actual: Any = None):
        super().__init__(message)
        self.kind, self.message, self.expected, self.actual = kind, message, expected, actual


class _Refused(OvertureError):
    """The runner could not do an action (no open work item...); ``expect_error`` may expect it."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.code = code


def run_scenario(
    scenario: Scenario,
    *,
    documents: DocumentSource | None = None,
    document: Mapping[str, Any] | None = None,
    environment: str | None = None,
    directory: Directory | None = None,
    coverage: Coverage | None = None,
) -> ScenarioResult:
    """Run one scenario against a fresh in-memory engine.

    Args:
        scenario: what to run.
        documents: where to find the orchestration's document (default: ``DocumentSource()``).
        document: the document itself; wins over ``documents`` (the builder runs drafts so).
        environment: bind personas to the users ``environments.<name>`` gives them.
        directory: people, groups and queues to use instead of those the personas declare.
        coverage: hits are added to it too (``ScenarioResult.coverage`` has this scenario's alone).
    """
    began = time.perf_counter()
    runner = Runner(scenario, environment=environment, directory=directory)
    result = runner.run(document, documents or DocumentSource())
    result.duration_ms = (time.perf_counter() - began) * 1000
    if coverage is not None:
        coverage.merge(result.coverage)
    return result


class Runner:
    """Plays one scenario's steps on its own in-memory engine, clock and personas.

    :func:`run_scenario` runs it to the end; a trial (``runtime.testing.trial``) reads
    the engine it leaves behind to show where the run stands.
    """

    def __init__(self, scenario: Scenario, *, environment: str | None, directory: Directory | None):
        self.scenario = scenario
        self.environment = environment
        self.given_directory = directory
        self.result = ScenarioResult(scenario.name, scenario.source, scenario.orchestration)
        self.mocks = _Mocks()
        self.run_id: str | None = None
        self.index: int | None = None
        self._checked: tuple[Any, ...] | None = None

    # ------------------------------------------------------------------ set-up

    def run(self, document: Mapping[str, Any] | None, documents: DocumentSource) -> ScenarioResult:
        try:
            self._setup(document, documents)
        except _StepFailed as failed:
            self._fail(failed)
            return self.result
        except OvertureError as exc:  # e.g. record types the engine refuses
            self._fail(_StepFailed("setup", exc.message))
            return self.result
        for index, step in enumerate(self.scenario.steps):
            self.index = index
            self.result.steps_run = index + 1
            try:
                self._step(step)
            except _StepFailed as failed:
                self._fail(failed)
            except Exception as exc:  # a bug must not take down a whole suite: report it at its step
                message = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                self._fail(_StepFailed("action", f"the runner failed: {message}"))
            if self.result.failures:
                break
        self._collect()
        return self.result

    def _collect(self) -> None:
        """The path of the run under test, and coverage from every run the scenario made."""
        self.result.run_id = self.run_id
        if self.run_id is not None:
            self.result.path = [h["stage"] for h in self.engine.get_run(self.run_id)["history"]]
        documents: dict[tuple[str, int], dict[str, Any]] = {}
        for run in self.engine.runs():
            which = (run["orchestration"], run["version"])
            if which not in documents:
                documents[which] = self.engine.spec(*which).document
            self.result.coverage.add_run(documents[which], self.engine.events(run["id"]))

    def _fail(self, failed: _StepFailed) -> None:
        line = self.scenario.line("steps", self.index) if self.index is not None else None
        self.result.failures.append(Failure(self.index, line, failed.kind, failed.message, _json(failed.expected), _json(failed.actual)))

    def _setup(self, document: Mapping[str, Any] | None, documents: DocumentSource) -> None:
        scenario = self.scenario
        if document is None:
            try:
                document = documents.resolve(scenario)
            except (DocumentNotFound, ValueError) as exc:
                raise _StepFailed("setup", str(exc)) from None
        if document.get("key") != scenario.orchestration:
            raise _StepFailed(
                "setup", f"the document is orchestration {document.get('key')!r}, but the scenario tests {scenario.orchestration!r}"
            )
        self.users, self.expected_memberships = self._people()
        self.clock = ManualClock(_start_time(scenario.start_time))
        people = self.given_directory or self._directory()
        base = _base_registry()
        registry = ActionRegistry(self.mocks.wrap(action) for name in base.names() if (action := base.get(name)) is not None)
        # Actions are mocked: secrets.<name> is answered with the mask, never a real value.
        self.engine = Engine(InMemoryStore(), self.clock, people, actions=registry, secrets=MockSecrets(everything=True))
        for name, fields in (scenario.record_types if scenario.record_types is not None else RECORD_TYPES).items():
            self.engine.define_record_type(name, fields)
        self.spec = self._deploy(document, scenario.version or 1)
        self.documents = documents
        #: The scenario's versions of the orchestration under test, each compiled (the run's own included).
        self.versions: dict[int, OrchestrationSpec] = {self.spec.version: self.spec}
        for number in sorted(scenario.versions):
            self._add_version(number)
        for key in _child_keys(document):
            if key != self.spec.key:
                child = documents.find(key, scenario)
                if child is not None:
                    self._deploy(child, 1)
        for mock in scenario.mocks:
            self._check_mock(mock)
            self.mocks.set(mock)

    def _deploy(self, document: Mapping[str, Any], version: int) -> OrchestrationSpec:
        try:
            spec = _compiled(document, version)
        except DocumentInvalid as exc:
            issues = "; ".join(".".join(filter(None, (i.node, i.field))) + f": {i.message}" for i in exc.issues if i.severity == "error")
            raise _StepFailed("setup", f"{exc.message}: {issues}") from None
        self.engine.install(spec)
        return spec

    def _add_version(self, number: int) -> OrchestrationSpec:
        """Another version of the orchestration under test, stored beside the one runs start on
        (not activated: the run under test moves to it with a ``migrate`` step)."""
        try:
            document = self.documents.version(self.scenario, number)
        except (DocumentNotFound, ValueError) as exc:
            raise _StepFailed("setup", str(exc)) from None
        if document.get("key") != self.spec.key:
            raise _StepFailed("setup", f"version {number} is a document of orchestration {document.get('key')!r}, not {self.spec.key!r}")
        try:
            spec = _compiled(document, number)
        except DocumentInvalid as exc:
            issues = "; ".join(".".join(filter(None, (i.node, i.field))) + f": {i.message}" for i in exc.issues if i.severity == "error")
            raise _StepFailed("setup", f"version {number}: {exc.message}: {issues}") from None
        with self.engine.store.transaction() as tx:
            trigger_object = spec.trigger.object if spec.trigger.type == "record" else None
            tx.insert(Version(f"{spec.key}:{number}", spec.key, number, spec.document, self.clock.now(), None, trigger_object))
        self.versions[number] = spec
        return spec

    def _people(self) -> tuple[dict[str, str], dict[str, frozenset[tuple[str, str]]]]:
        """Persona -> user (the environment's when one is chosen), and what each user is in per the file."""
        scenario = self.scenario
        users = {name: str(p.get("user", name)) for name, p in scenario.personas.items()}
        users.setdefault(OUTSIDER, OUTSIDER)
        if self.environment is not None:
            if self.environment not in scenario.environments:
                known = ", ".join(sorted(scenario.environments)) or "none"
                raise _StepFailed("setup", f"no environment {self.environment!r} in the scenario (environments: {known})")
            users.update(scenario.environments[self.environment])
        memberships: dict[str, set[tuple[str, str]]] = {user: set() for user in users.values()}
        for name, persona in scenario.personas.items():
            memberships[users[name]].update(("group", g) for g in persona.get("groups", ()))
            memberships[users[name]].update(("queue", q) for q in persona.get("queues", ()))
        return users, {user: frozenset(m) for user, m in memberships.items()}

    def _directory(self) -> InMemoryDirectory:
        people = InMemoryDirectory()
        for user, memberships in self.expected_memberships.items():
            people.add_user(user, groups=[n for k, n in memberships if k == "group"], queues=[n for k, n in memberships if k == "queue"])
        return people

    def _check_mock(self, mock: Mapping[str, Any]) -> None:
        if "step" in mock:
            # A step of any version the scenario has (a migrated run may reach steps only a later one has).
            steps = {s.id: s for spec in self.versions.values() for s in spec.steps.values() if s.type == "background"}
            if mock["step"] not in steps:
                background = ", ".join(steps) or "none"
                raise _StepFailed(
                    "mock", f"mock for step {mock['step']!r}: {self.spec.key} has no such background step (background steps: {background})"
                )
        elif mock["action"] not in _base_registry():
            raise _StepFailed(
                "mock", f"mock for action {mock['action']!r}: no such action (actions: {', '.join(_base_registry().names())})"
            )

    # ------------------------------------------------------------------ steps

    def _step(self, step: Mapping[str, Any]) -> None:
        (action,) = actions_of(step)
        if action == "expect":
            self._expect(step["expect"])
            return
        if action == "mock":
            self._check_mock(step["mock"])
            self.mocks.set(step["mock"])
            return
        if action == "advance":
            self._advance(step["advance"])
        else:
            if action != "start" and action != "event" and self.run_id is None:
                raise _StepFailed("action", f"`{action}` needs the run under test, and no run was started")
            self._act(action, step)
        if self.mocks.missing:
            message = self.mocks.missing[0]
            self.mocks.missing.clear()
            raise _StepFailed("mock", message)
        if self.run_id is not None and self.scenario.negative_checks:
            self._negative_checks()

    def _act(self, action: str, step: Mapping[str, Any]) -> None:
        wanted = step.get("expect_error")
        try:
            HANDLERS[action](self, step)
        except OvertureError as exc:
            self._settle()
            text = exc.message + (f" {json.dumps(exc.details, sort_keys=True, default=str)}" if exc.details else "")
            if wanted is None:
                raise _StepFailed("action", f"{action} failed: {text}") from None
            if not (wanted.lower() == exc.code or wanted.lower() in text.lower()):
                raise _StepFailed(
                    "action", f"{action} failed, but not as expected: {text}", expected=wanted, actual=f"{exc.code}: {text}"
                ) from None
            return
        self._settle()
        if wanted is not None:
            raise _StepFailed("action", f"{action} succeeded, but was expected to fail with {wanted!r}", expected=wanted)

    def _user(self, persona: str | None) -> str | None:
        return self.users[persona] if persona is not None else None

    def _do_start(self, step: Mapping[str, Any]) -> None:
        body = step["start"]
        user = self._user(body.get("as"))
        record = body.get("record")
        inputs = body.get("inputs") or {}
        key = self.spec.key
        ref = None
        if record is not None and "fields" in record:
            created = self.engine.create_record(record["object"], record["fields"], owner=self._user(record.get("owner")), by=user)
            ref = {"object": record["object"], "id": created["id"]}
            trigger = self.spec.trigger
            if trigger.type == "record":
                ours = [r for r in created["started_runs"] if self.engine.get_run(r)["orchestration"] == key]
                if not ours:
                    when = f" when {trigger.condition.source}" if trigger.condition is not None else ""
                    raise _Refused(
                        f"creating the {record['object']} record started no run of {key} "
                        f"(it starts on {trigger.object} {'/'.join(trigger.on)}{when})",
                        "invalid",
                    )
                if inputs:
                    raise _Refused(f"{key} is started by its record; a record-triggered run takes no inputs", "invalid")
                self.run_id = ours[0]
                return
        elif record is not None:
            ref = {"object": record["object"], "id": record["id"]}
        self.run_id = self.engine.start(key, inputs, record=ref, started_by=user)

    def _item(self, step_id: str, user: str) -> dict[str, Any]:
        """The open work item of ``step_id`` in the run under test that ``user`` should act on."""
        step = self.spec.steps.get(step_id)
        if step is None or step.type != "interactive":
            interactive = ", ".join(s.id for s in self.spec.steps.values() if s.type == "interactive")
            what = "no step" if step is None else f"step {step_id!r} is {step.type}, not interactive; there is no step"
            raise _StepFailed("action", f"{self.spec.key} has {what} {step_id!r} with work items (interactive steps: {interactive})")
        items = [i for i in self.engine.work_items(run=self.run_id) if i["step_id"] == step_id]
        if not items:
            status = next(s["status"] for s in self.engine.get_run(self.run_id or "")["steps"] if s["id"] == step_id)
            raise _Refused(f"step {step_id} has no open work item (the step is {status})", "not_found")
        for item in items:
            if item["assignee"] == {"type": "user", "value": user} or item["claimed_by"] == user:
                return item
        return next((i for i in items if self.engine.may_act(user, i["id"])), items[0])

    def _do_complete(self, step: Mapping[str, Any]) -> None:
        user = self.users[step["as"]]
        item = self._item(step["complete"], user)
        if step.get("claim"):
            self.engine.claim(item["id"], by=user)
        self.engine.complete(item["id"], by=user, outcome=step.get("outcome"), values=step.get("values"), comment=step.get("comment"))

    def _do_claim(self, step: Mapping[str, Any]) -> None:
        user = self.users[step["as"]]
        self.engine.claim(self._item(step["claim"], user)["id"], by=user)

    def _do_release(self, step: Mapping[str, Any]) -> None:
        user = self.users[step["as"]]
        self.engine.release(self._item(step["release"], user)["id"], by=user)

    def _do_reassign(self, step: Mapping[str, Any]) -> None:
        user = self._user(step.get("as"))
        ((kind, name),) = step["to"].items()
        to = {"type": "user", "value": self.users[name]} if kind == "persona" else {"type": kind, "value": name}
        self.engine.reassign(self._item(step["reassign"], user or "")["id"], to, by=user)

    def _do_event(self, step: Mapping[str, Any]) -> None:
        body = step["event"]
        self.engine.publish_event(body["name"], self._resolve_refs(body.get("correlation")), self._resolve_refs(body.get("payload")))

    def _resolve_refs(self, value: Any) -> Any:
        """``{ref: record.id}`` / ``{ref: run.id}`` / ``{ref: record.<field>}`` stand for values the run
        under test only has once it started (ids are new in every run)."""
        if isinstance(value, Mapping) and set(value) == {"ref"}:
            ref = value["ref"]
            if self.run_id is None:
                raise _StepFailed("action", f"{{ref: {ref}}} needs a started run")
            run = self.engine.get_run(self.run_id)
            if ref == "run.id":
                return run["id"]
            root, _, name = str(ref).partition(".")
            record = run.get("record")
            if root == "record" and record is not None:
                fields = record if name in record else self.engine.get_record(record["object"], record["id"])
                if name in fields:
                    return fields[name]
            raise _StepFailed("action", f"{{ref: {ref}}}: the run under test has no such value (use run.id, record.id or record.<field>)")
        if isinstance(value, Mapping):
            return {k: self._resolve_refs(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolve_refs(v) for v in value]
        return value

    def _do_update_record(self, step: Mapping[str, Any]) -> None:
        body = step["update_record"]
        record = self.engine.get_run(self.run_id or "")["record"]
        if record is None:
            raise _StepFailed("action", "update_record: the run under test has no record")
        self.engine.update_record(record["object"], record["id"], body["fields"], by=self._user(body.get("as")))

    def _do_migrate(self, step: Mapping[str, Any]) -> None:
        """Move the run under test to another version, as ``Engine.migrate`` would in production;
        a run that cannot move is refused with every reason the dry run gives."""
        body = step["migrate"]
        number = body["to"]
        run_id = self.run_id or ""
        target = self.versions.get(number) or self._add_version(number)
        plan = Plan(
            self.spec.key,
            number,
            runs=(run_id,),
            mapping=dict(body.get("map") or {}),
            recompute=tuple(body.get("recompute") or ()),
            timers=body.get("timers", "keep"),
        )
        report = self.engine.migrate(plan, by=self._user(step.get("as")))
        (result,) = [r for r in report["runs"] if r["run_id"] == run_id] or [None]
        outcome = result["outcome"] if result is not None else None
        if outcome == "moved":
            self.spec = target
            return
        if outcome == "skipped":
            raise _Refused(f"migrate to version {number}: the run is on version {number} already", "conflict")
        reasons = "; ".join(r["message"] for r in (result or {}).get("reasons", ())) or report["summary"]
        raise _Refused(f"migrate to version {number}: the run cannot move: {reasons}", "conflict")

    def _do_retry(self, step: Mapping[str, Any]) -> None:
        self.engine.retry(self.run_id or "", by=self._user(step.get("as")))

    def _do_resume(self, step: Mapping[str, Any]) -> None:
        self.engine.resume(self.run_id or "", by=self._user(step.get("as")))

    def _do_suspend(self, step: Mapping[str, Any]) -> None:
        self.engine.suspend(self.run_id or "", by=self._user(step.get("as")))

    def _do_cancel(self, step: Mapping[str, Any]) -> None:
        self.engine.cancel(self.run_id or "", by=self._user(step.get("as")))

    # ------------------------------------------------------------------ the clock

    def next_due(self, until: datetime) -> datetime | None:
        """The earliest due timer or queued job (a retry's backoff) at or before ``until``."""
        with self.engine.store.transaction(write=False) as tx:
            timers = tx.due_timers(until, 1)
            jobs = [j.run_after for j in tx.find(Job, status="queued") if j.run_after <= until]
        due = [t.due_at for t in timers] + jobs
        return min(due) if due else None

    def _move_clock(self, until: datetime) -> None:
        """Move the clock to each due moment in turn up to ``until``: what falls due fires at its time."""
        for _ in range(_MAX_CLOCK_MOVES):
            due = self.next_due(until)
            if due is None:
                return
            if due <= self.clock.now():
                if self.engine.process() == 0:
                    return  # nothing runnable (e.g. the run is suspended): leave it queued
            else:
                self.clock.set(due)
        raise _StepFailed("action", f"the clock moved {_MAX_CLOCK_MOVES} times without things settling; is a timer or retry looping?")

    def _settle(self) -> None:
        """Take pending retries now: jump the clock to each one's backoff (timers due before it fire first)."""
        for _ in range(_MAX_CLOCK_MOVES):
            with self.engine.store.transaction(write=False) as tx:
                due = min((j.run_after for j in tx.find(Job, status="queued")), default=None)
            if due is None:
                return
            if due <= self.clock.now():
                if self.engine.process() == 0:
                    return
            else:
                self._move_clock(due)
        raise _StepFailed("action", f"retries went on for {_MAX_CLOCK_MOVES} rounds; is an action retried forever?")

    def _advance(self, how: str) -> None:
        now = self.clock.now()
        if how == "next":
            due = self.next_due(FAR_FUTURE)
            if due is None:
                raise _StepFailed("action", "advance: next: no timer is waiting to fire")
            self._move_clock(max(due, now))
        else:
            target = parse_duration(how).after(now)
            self._move_clock(target)
            if self.clock.now() < target:
                self.clock.set(target)
        self._settle()

    # ------------------------------------------------------------------ negative checks

    def _negative_checks(self) -> None:
        items = self.engine.work_items(run=self.run_id)
        signature = tuple(sorted((i["id"], i["assignee"]["type"], i["assignee"]["value"], i["claimed_by"] or "") for i in items))
        if signature == self._checked:
            return
        self._checked = signature
        if not items:
            return
        users = sorted(set(self.users.values()))
        personas = {user: sorted(p for p, u in self.users.items() if u == user) for user in users}
        seen: dict[str, set[str]] = {}
        for item in items:
            for user in users:
                if self._may_act(user, item):
                    continue
                if user not in seen:
                    seen[user] = {i["id"] for i in self.engine.work_items(assignee=user, run=self.run_id)}
                breaches = []
                if item["id"] in seen[user]:
                    breaches.append("sees it in their work items")
                attempts: tuple[tuple[str, Callable[[], object]], ...] = (
                    ("claim", partial(self.engine.claim, item["id"], by=user)),
                    ("complete", partial(self.engine.complete, item["id"], by=user, outcome=_NO_OUTCOME)),
                )
                for verb, attempt in attempts:
                    try:
                        attempt()
                    except Forbidden:
                        continue
                    except OvertureError as exc:
                        # Refused for another reason: the assignee check let the person through.
                        breaches.append(f"got past the assignee check to {verb} it ({exc.code}: {exc.message})")
                        continue
                    breaches.append(f"could {verb} it")
                if breaches:
                    who = "/".join(personas[user])
                    assignee = f"{item['assignee']['type']} {item['assignee']['value']}"
                    raise _StepFailed(
                        "negative",
                        f"persona {who} (user {user}) may not act on step {item['step_id']} "
                        f"(assigned to {assignee}), but {' and '.join(breaches)}",
                        expected="forbidden",
                        actual=breaches,
                    )

    def _may_act(self, user: str, item: Mapping[str, Any]) -> bool:
        """Whether the scenario's personas say ``user`` may act on ``item`` (not what the engine says)."""
        if item["claimed_by"] == user:
            return True
        assignee = item["assignee"]
        if assignee["type"] == "user":
            return bool(assignee["value"] == user)
        return (assignee["type"], assignee["value"]) in self.expected_memberships.get(user, frozenset())

    # ------------------------------------------------------------------ assertions

    def _expect(self, expected: Mapping[str, Any]) -> None:
        if self.run_id is None:
            raise _StepFailed("expect", "nothing to check: no run was started")
        # The run view is the costly read: only what needs it asks for it.
        run = self.engine.get_run(self.run_id) if not expected.keys() <= _WITHOUT_RUN_VIEW else {}
        mismatches: list[_StepFailed] = []
        for key, wanted in expected.items():
            actual = self._actual(key, wanted, run)
            problem = _compare(key, wanted, actual)
            if problem is not None:
                mismatches.append(_StepFailed("expect", problem, wanted, actual))
        for mismatch in mismatches[:-1]:
            self._fail(mismatch)
        if mismatches:
            raise mismatches[-1]

    def _actual(self, key: str, wanted: Any, run: Mapping[str, Any]) -> Any:
        found = actual_in_view(key, wanted, run)
        if found is not NOT_IN_VIEW:
            return found
        if key == "record":
            if run["record"] is None:
                return None
            record = self.engine.get_record(run["record"]["object"], run["record"]["id"])
            return {name: record.get(name, _MISSING) for name in wanted}
        if key in ("notifications", "notification_count"):
            sent = [
                {"to": {n["to"]["type"]: n["to"]["value"]}, "kind": n["kind"], "subject": n["subject"], "body": n["body"]}
                for n in self.engine.notifications()
            ]
            return sent if key == "notifications" else len(sent)
        if key == "visible":
            return {
                persona: sorted(i["step_id"] for i in self.engine.work_items(assignee=self.users[persona], run=self.run_id))
                for persona in wanted
            }
        raise _StepFailed("expect", f"unknown assertion {key!r}")


#: What :func:`actual_in_view` answers for an assertion the run view alone cannot answer.
NOT_IN_VIEW = object()


def actual_in_view(key: str, wanted: Any, run: Mapping[str, Any]) -> Any:
    """What the run view (``Engine.get_run``, ``GET /api/runs/<id>``) says for the assertion ``key``
    of an ``expect``, to compare with ``wanted``; :data:`NOT_IN_VIEW` for ``record``,
    ``notifications``, ``notification_count``, ``visible`` and unknown keys. The UI runner
    (``runtime/testing/ui``) reads a server's view with it too."""
    steps = {s["id"]: s for s in run.get("steps", ())}
    simple = {"status": "status", "stage": "current_stage", "node": "current_node", "version": "version"}
    if key in simple:
        return run[simple[key]]
    if key == "steps":
        return {sid: steps[sid]["status"] if sid in steps else _MISSING for sid in wanted}
    if key == "outcomes":
        return {sid: steps[sid]["outcome"] if sid in steps else _MISSING for sid in wanted}
    if key == "stages_visited":
        return [h["stage"] for h in run["history"]]
    if key == "vars":
        return {name: run["vars"].get(name, _MISSING) for name in wanted}
    if key == "ball":
        return _sorted_entries({("system" if b["type"] == "system" else b["type"]): b["value"]} for b in run["ball"])
    if key == "error":
        failed = next((s for s in run["steps"] if s["status"] == "error"), None)
        if failed is not None:
            return {"step": failed["id"], "message": failed["error"]}
        if run["error"]:
            return {"step": run["error"]["node"], "message": run["error"]["message"]}
        return None
    return NOT_IN_VIEW


#: The runner's handler of each action done as a person or on the run (``ACTING`` in the scenario
#: format); :meth:`Runner._step` does ``expect``, ``mock`` and ``advance`` itself.
HANDLERS: dict[str, Callable[[Runner, Mapping[str, Any]], None]] = {
    "start": Runner._do_start,
    "complete": Runner._do_complete,
    "claim": Runner._do_claim,
    "release": Runner._do_release,
    "reassign": Runner._do_reassign,
    "event": Runner._do_event,
    "update_record": Runner._do_update_record,
    "retry": Runner._do_retry,
    "resume": Runner._do_resume,
    "suspend": Runner._do_suspend,
    "cancel": Runner._do_cancel,
    "migrate": Runner._do_migrate,
}


def _compare(key: str, wanted: Any, actual: Any) -> str | None:
    """None when ``actual`` satisfies ``wanted``; else what is wrong, in words."""
    if key == "ball":
        wanted = _sorted_entries(wanted)
    elif key == "visible":
        wanted = {persona: sorted(ids) for persona, ids in wanted.items()}
    elif key == "notifications":
        missing = [entry for entry in wanted if not any(_notification_matches(entry, n) for n in actual)]
        if not missing:
            return None
        return f"notifications: no notification matches {', '.join(json.dumps(m, sort_keys=True) for m in missing)}"
    elif key == "error":
        if (
            actual is not None
            and ("step" not in wanted or wanted["step"] == actual["step"])
            and str(wanted.get("message", "")).lower() in str(actual["message"]).lower()
        ):
            return None
        return f"error: expected {_short(wanted)}, got {_short(actual) if actual else 'no step in error'}"
    if _same(wanted, actual):
        return None
    if isinstance(wanted, dict) and isinstance(actual, dict):
        wrong = [
            f"{name}: expected {_short(wanted[name])}, got {_short(actual.get(name))}"
            for name in wanted
            if not _same(wanted[name], actual.get(name))
        ]
        return f"{key}: " + "; ".join(wrong)
    return f"{key}: expected {_short(wanted)}, got {_short(actual)}"


def _notification_matches(entry: Mapping[str, Any], sent: Mapping[str, Any]) -> bool:
    if "to" in entry and entry["to"] != sent["to"]:
        return False
    if "kind" in entry and entry["kind"] != sent["kind"]:
        return False
    return all(entry[part] in (sent[part] or "") for part in ("subject", "body") if part in entry)


def _same(a: Any, b: Any) -> bool:
    """Equality of JSON values where 1 == 1.0 but true != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _sorted_entries(entries: Iterable[Mapping[str, str]]) -> list[dict[str, str]]:
    return sorted((dict(e) for e in entries), key=lambda e: sorted(e.items()))


def _short(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str) if not isinstance(value, str) else repr(value)


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str)) if value is not None else None


def _start_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


_LITERAL = re.compile(r"""^\s*(?:'([^'\\]*)'|"([^"\\]*)")\s*$""")


def _child_keys(document: Mapping[str, Any]) -> list[str]:
    """Keys of the orchestrations a document starts as child runs (when written as literals)."""
    keys = []
    for node in document.get("nodes", []):
        if node.get("action") == "orchestration.start":
            match = _LITERAL.match(str((node.get("inputs") or {}).get("orchestration", "")))
            if match:
                keys.append(match.group(1) or match.group(2))
    return keys
