"""The :class:`Scenario`: a scenario file as a Python object, and a builder that reads the same way.

A scenario is kept as the plain data of its file (what :meth:`Scenario.to_dict`
returns), plus, when it was read from a file, the line of each key so the runner can
say where a failing step is. The builder methods append the same entries a person
would write in YAML, so ``load_scenario(s.to_yaml()) == s``.

A scenario is data: running one is :func:`runtime.testing.runner.run_scenario`'s job (the
runner imports the scenario, never the other way round).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import yaml

from runtime.testing.scenario_format import KeyPath, line_of, parse, validate, version_number

#: Order of the top-level keys in a written file.
_TOP_ORDER = (
    "scenario",
    "name",
    "description",
    "orchestration",
    "document",
    "version",
    "versions",
    "start_time",
    "negative_checks",
    "personas",
    "environments",
    "record_types",
    "mocks",
    "steps",
)


class Scenario:
    """One path through an orchestration, built in Python or read from a file.

    Args:
        name: what the scenario proves (1..200 characters).
        orchestration: key of the orchestration under test.
        description: a longer explanation.
        document: path of the orchestration document, relative to the scenario file.
        version: a version number (database-backed runs).
        start_time: where the virtual clock starts (ISO-8601 with a time zone).
        negative_checks: check that nobody else can see or act on open work (default true).
    """

    def __init__(
        self,
        name: str,
        *,
        orchestration: str,
        description: str | None = None,
        document: str | None = None,
        version: int | None = None,
        start_time: str | None = None,
        negative_checks: bool | None = None,
    ):
        self._data: dict[str, Any] = {"scenario": 1, "name": name}
        if description is not None:
            self._data["description"] = description
        self._data["orchestration"] = orchestration
        for key, value in (("document", document), ("version", version), ("start_time", start_time), ("negative_checks", negative_checks)):
            if value is not None:
                self._data[key] = value
        self._data["steps"] = []
        #: The file the scenario was read from (None when built in Python).
        self.source: str | None = None
        self._lines: dict[KeyPath, int] = {}

    # ------------------------------------------------------------------ reading and writing

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str | None = None) -> Scenario:
        """A scenario from the data of a file; raises ``ScenarioFormatError`` when it is not valid."""
        copied = copy.deepcopy(dict(data))
        validate(copied, None, source)
        return cls._from_valid(copied, {}, source)

    @classmethod
    def _from_valid(cls, data: dict[str, Any], lines: dict[KeyPath, int], source: str | None) -> Scenario:
        scenario = cls.__new__(cls)
        scenario._data, scenario._lines, scenario.source = data, lines, source
        return scenario

    def to_dict(self) -> dict[str, Any]:
        """The scenario as the data of its file (a deep copy, keys in file order)."""
        ordered = {key: self._data[key] for key in _TOP_ORDER if key in self._data}
        return copy.deepcopy(ordered)

    def to_yaml(self) -> str:
        """The scenario as a ``*.scenario.yaml`` file."""
        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True, width=120, default_flow_style=None)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Scenario):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Scenario({self.name!r}, orchestration={self.orchestration!r}, steps={len(self.steps)})"

    # ------------------------------------------------------------------ what it says

    @property
    def name(self) -> str:
        return str(self._data["name"])

    @property
    def orchestration(self) -> str:
        return str(self._data["orchestration"])

    @property
    def description(self) -> str | None:
        return self._data.get("description")

    @property
    def document(self) -> str | None:
        """The ``document`` path as written (relative to :attr:`source`)."""
        return self._data.get("document")

    @property
    def version(self) -> int | None:
        return self._data.get("version")

    @property
    def versions(self) -> dict[int, str | dict[str, Any]]:
        """Other versions of the orchestration (for ``migrate`` steps): number -> the document's
        path as written (relative to :attr:`source`) or the document itself."""
        raw: dict[Any, Any] = self._data.get("versions", {})
        found: dict[int, str | dict[str, Any]] = {}
        for key, value in raw.items():
            number = version_number(key)
            if number is not None:
                found[number] = value
        return found

    @property
    def start_time(self) -> str | None:
        return self._data.get("start_time")

    @property
    def negative_checks(self) -> bool:
        return bool(self._data.get("negative_checks", True))

    @property
    def personas(self) -> dict[str, dict[str, Any]]:
        personas: dict[str, dict[str, Any]] = self._data.get("personas", {})
        return personas

    @property
    def environments(self) -> dict[str, dict[str, str]]:
        environments: dict[str, dict[str, str]] = self._data.get("environments", {})
        return environments

    @property
    def record_types(self) -> dict[str, list[dict[str, Any]]] | None:
        return self._data.get("record_types")

    @property
    def mocks(self) -> list[dict[str, Any]]:
        mocks: list[dict[str, Any]] = self._data.get("mocks", [])
        return mocks

    @property
    def steps(self) -> list[dict[str, Any]]:
        steps: list[dict[str, Any]] = self._data["steps"]
        return steps

    def line(self, *path: Any) -> int | None:
        """The 1-based line of a key or item in the file (e.g. ``line("steps", 3)``), or None."""
        return line_of(self._lines, path) if self._lines else None

    # ------------------------------------------------------------------ building

    def persona(self, name: str, *, user: str | None = None, groups: list[str] | None = None, queues: list[str] | None = None) -> Scenario:
        """Declare a persona: who acts. ``user`` defaults to the persona's name."""
        entry: dict[str, Any] = {}
        if user is not None:
            entry["user"] = user
        if groups:
            entry["groups"] = list(groups)
        if queues:
            entry["queues"] = list(queues)
        self._section("personas", {})[name] = entry
        return self

    def environment(self, name: str, users: Mapping[str, str]) -> Scenario:
        """Bind personas to the users they are in another environment."""
        self._section("environments", {})[name] = dict(users)
        return self

    def record_type(self, name: str, fields: list[dict[str, Any]]) -> Scenario:
        """Declare a record type (default: the shipped templates' record types)."""
        self._section("record_types", {})[name] = copy.deepcopy(list(fields))
        return self

    def with_version(self, number: int, document: str | Mapping[str, Any]) -> Scenario:
        """Another version of the orchestration, for ``migrate`` steps: a path relative to the
        scenario file, or the document itself."""
        self._section("versions", {})[number] = document if isinstance(document, str) else copy.deepcopy(dict(document))
        return self

    def migrate(
        self,
        to: int,
        *,
        map: Mapping[str, str] | None = None,
        recompute: list[str] | None = None,
        timers: str | None = None,
        as_: str | None = None,
        expect_error: str | None = None,
    ) -> Scenario:
        """Move the run under test to version ``to`` (``map``: old node id -> new node id)."""
        body: dict[str, Any] = {"to": to}
        if map:
            body["map"] = dict(map)
        if recompute:
            body["recompute"] = list(recompute)
        if timers is not None:
            body["timers"] = timers
        entry: dict[str, Any] = {"as": as_} if as_ is not None else {}
        entry["migrate"] = body
        return self._add(entry, expect_error)

    def mock(
        self,
        *,
        step: str | None = None,
        action: str | None = None,
        result: Mapping[str, Any] | None = None,
        fail: str | None = None,
        timeout: bool = False,
        fail_times: int | None = None,
        retryable: bool | None = None,
    ) -> Scenario:
        """Answer a background action: before any step it applies to the whole scenario,
        after steps it is a ``mock`` step that takes effect from there on."""
        entry: dict[str, Any] = {}
        for key, value in (
            ("step", step),
            ("action", action),
            ("result", dict(result) if result is not None else None),
            ("fail", fail),
            ("timeout", True if timeout else None),
            ("fail_times", fail_times),
            ("retryable", retryable),
        ):
            if value is not None:
                entry[key] = value
        if self.steps:
            return self._add({"mock": entry})
        self._section("mocks", []).append(entry)
        return self

    def start(
        self,
        *,
        inputs: Mapping[str, Any] | None = None,
        record: Mapping[str, Any] | None = None,
        as_: str | None = None,
        expect_error: str | None = None,
    ) -> Scenario:
        """Start the run under test (creating its record when ``record`` has ``fields``)."""
        body: dict[str, Any] = {}
        if inputs is not None:
            body["inputs"] = copy.deepcopy(dict(inputs))
        if record is not None:
            body["record"] = copy.deepcopy(dict(record))
        if as_ is not None:
            body["as"] = as_
        return self._add({"start": body}, expect_error)

    def as_(self, persona: str) -> _Acting:
        """Act as ``persona``: ``.as_("legal").complete("legal_review", outcome="approve")``."""
        return _Acting(self, persona)

    def event(
        self, name: str, *, correlation: Any = None, payload: Mapping[str, Any] | None = None, expect_error: str | None = None
    ) -> Scenario:
        """Publish an event to the runs waiting for it."""
        body: dict[str, Any] = {"name": name}
        if correlation is not None:
            body["correlation"] = copy.deepcopy(correlation)
        if payload is not None:
            body["payload"] = copy.deepcopy(dict(payload))
        return self._add({"event": body}, expect_error)

    def update_record(self, fields: Mapping[str, Any], *, as_: str | None = None, expect_error: str | None = None) -> Scenario:
        """Change fields of the run's record."""
        body: dict[str, Any] = {"fields": copy.deepcopy(dict(fields))}
        if as_ is not None:
            body["as"] = as_
        return self._add({"update_record": body}, expect_error)

    def advance(self, duration: str) -> Scenario:
        """Move the virtual clock by an ISO-8601 duration, or to the ``"next"`` due timer."""
        return self._add({"advance": duration})

    def retry(self, *, as_: str | None = None, expect_error: str | None = None) -> Scenario:
        """Retry the run in error (ops)."""
        return self._ops("retry", as_, expect_error)

    def resume(self, *, as_: str | None = None, expect_error: str | None = None) -> Scenario:
        """Resume the suspended run (ops)."""
        return self._ops("resume", as_, expect_error)

    def suspend(self, *, as_: str | None = None, expect_error: str | None = None) -> Scenario:
        """Suspend the run (ops)."""
        return self._ops("suspend", as_, expect_error)

    def cancel(self, *, as_: str | None = None, expect_error: str | None = None) -> Scenario:
        """Cancel the run (ops)."""
        return self._ops("cancel", as_, expect_error)

    def expect(self, **assertions: Any) -> Scenario:
        """Check the run: ``status``, ``stage``, ``node``, ``version``, ``steps``, ``outcomes``, ``stages_visited``,
        ``vars``, ``record``, ``ball``, ``notifications``, ``notification_count``, ``visible``, ``error``."""
        return self._add({"expect": copy.deepcopy(assertions)})

    def _ops(self, action: str, as_: str | None, expect_error: str | None) -> Scenario:
        entry: dict[str, Any] = {"as": as_} if as_ is not None else {}
        entry[action] = True
        return self._add(entry, expect_error)

    def _section(self, key: str, empty: Any) -> Any:
        if key not in self._data:
            self._data[key] = empty
        return self._data[key]

    def _add(self, entry: dict[str, Any], expect_error: str | None = None) -> Scenario:
        if expect_error is not None:
            entry["expect_error"] = expect_error
        self.steps.append(entry)
        self._lines = {}  # lines of a file no longer describe a changed scenario
        return self


class _Acting:
    """Steps done as one persona; each method returns the :class:`Scenario` to go on chaining."""

    def __init__(self, scenario: Scenario, persona: str):
        self._scenario, self._persona = scenario, persona

    def complete(
        self,
        step: str,
        *,
        outcome: str | None = None,
        values: Mapping[str, Any] | None = None,
        comment: str | None = None,
        claim: bool = False,
        expect_error: str | None = None,
    ) -> Scenario:
        """Complete the open work item of ``step``."""
        entry: dict[str, Any] = {"as": self._persona, "complete": step}
        if outcome is not None:
            entry["outcome"] = outcome
        if values is not None:
            entry["values"] = copy.deepcopy(dict(values))
        if comment is not None:
            entry["comment"] = comment
        if claim:
            entry["claim"] = True
        return self._scenario._add(entry, expect_error)

    def claim(self, step: str, *, expect_error: str | None = None) -> Scenario:
        """Claim the open work item of ``step``."""
        return self._scenario._add({"as": self._persona, "claim": step}, expect_error)

    def release(self, step: str, *, expect_error: str | None = None) -> Scenario:
        """Release the claimed work item of ``step``."""
        return self._scenario._add({"as": self._persona, "release": step}, expect_error)

    def reassign(self, step: str, to: Mapping[str, str], *, expect_error: str | None = None) -> Scenario:
        """Reassign the open work item of ``step`` to ``{user|group|queue|persona: name}``."""
        return self._scenario._add({"as": self._persona, "reassign": step, "to": dict(to)}, expect_error)

    def start(
        self, *, inputs: Mapping[str, Any] | None = None, record: Mapping[str, Any] | None = None, expect_error: str | None = None
    ) -> Scenario:
        """Start the run under test as this persona."""
        return self._scenario.start(inputs=inputs, record=record, as_=self._persona, expect_error=expect_error)

    def update_record(self, fields: Mapping[str, Any], *, expect_error: str | None = None) -> Scenario:
        """Change the run's record as this persona."""
        return self._scenario.update_record(fields, as_=self._persona, expect_error=expect_error)

    def retry(self, *, expect_error: str | None = None) -> Scenario:
        """Retry the run in error as this persona."""
        return self._scenario.retry(as_=self._persona, expect_error=expect_error)

    def resume(self, *, expect_error: str | None = None) -> Scenario:
        """Resume the suspended run as this persona."""
        return self._scenario.resume(as_=self._persona, expect_error=expect_error)

    def suspend(self, *, expect_error: str | None = None) -> Scenario:
        """Suspend the run as this persona."""
        return self._scenario.suspend(as_=self._persona, expect_error=expect_error)

    def cancel(self, *, expect_error: str | None = None) -> Scenario:
        """Cancel the run as this persona."""
        return self._scenario.cancel(as_=self._persona, expect_error=expect_error)

    def migrate(
        self,
        to: int,
        *,
        map: Mapping[str, str] | None = None,
        recompute: list[str] | None = None,
        timers: str | None = None,
        expect_error: str | None = None,
    ) -> Scenario:
        """Move the run under test to version ``to`` as this persona."""
        return self._scenario.migrate(to, map=map, recompute=recompute, timers=timers, as_=self._persona, expect_error=expect_error)


def load_scenario(text: str, *, source: str | None = None) -> Scenario:
    """Parse and validate a scenario file.

    Args:
        text: the YAML.
        source: the file's path, for messages and to find ``document`` relative to it.

    Raises:
        ScenarioFormatError: with every problem and its 1-based line.
    """
    data, lines = parse(text, source)
    validate(data, lines, source)
    return Scenario._from_valid(data, lines, source)
