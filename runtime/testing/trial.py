"""Trial runs: play scenario steps on a fresh in-memory engine and show where the run stands.

The builder's **Test run** panel lets an admin walk a draft step by step (start it, act
as each persona, move the clock, deliver events, answer background actions). The server
keeps nothing between requests: every request replays all the steps so far on the
scenario runner's own engine, manual clock and personas, and answers with the state
after the last one. Nothing touches the database and no action reaches the outside
world (an action without a mock is reported as a question for the admin to answer).

``play(document, steps, ...)`` raises :class:`StepRefused` when a step cannot be applied:
its index, why, and (for an unanswered background action) which step needs a mock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runtime.clock import ManualClock
from runtime.testing.documents import DocumentSource
from runtime.testing.runner import FAR_FUTURE, Runner
from runtime.testing.scenario import Scenario
from runtime.testing.scenario_format import OUTSIDER, ScenarioFormatError

#: The persona who starts runs and owns the records they start on.
REQUESTER = "requester"
#: The most steps one trial replays.
MAX_STEPS = 500


class StepRefused(Exception):
    """A step of a trial could not be applied.

    Attributes:
        index: 0-based index of the step in ``steps`` (None for a problem of the whole trial).
        message: why, in words.
        kind: the runner's failure kind (``action``, ``expect``, ``mock``, ``setup``) or ``format``.
        unanswered: for ``kind == "mock"``: ``{"step": id, "action": name}`` of the background
            step that ran without a mock (answer it with a ``mock`` step before this one).
        problems: for ``kind == "format"``: the scenario format's problems.
    """

    def __init__(
        self,
        index: int | None,
        message: str,
        kind: str,
        *,
        unanswered: dict[str, str] | None = None,
        problems: list[dict[str, Any]] | None = None,
    ):
        super().__init__(message)
        self.index, self.message, self.kind = index, message, kind
        self.unanswered, self.problems = unanswered, problems or []


@dataclass
class Trial:
    """Where a trial run stands after its steps (JSON-ready through :meth:`to_dict`)."""

    personas: dict[str, dict[str, Any]]
    run: dict[str, Any] | None
    work_items: list[dict[str, Any]]
    events: list[dict[str, Any]]
    now: str
    next_timer: str | None
    #: The steps as a scenario test ending in an ``expect`` of this state (None before any step).
    scenario: Scenario | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "personas": self.personas,
            "run": self.run,
            "work_items": self.work_items,
            "events": self.events,
            "now": self.now,
            "next_timer": self.next_timer,
            "scenario": self.scenario.to_yaml() if self.scenario is not None else None,
        }


def personas_of(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """One persona per assignee the document names (a group's or queue's member, a user),
    plus ``requester``, who starts runs and owns their records (``record.owner`` assignees)."""
    personas: dict[str, dict[str, Any]] = {REQUESTER: {"user": REQUESTER}}

    def add(assignee: Any) -> None:
        if not isinstance(assignee, Mapping):
            return
        kind, value = assignee.get("type"), str(assignee.get("value", ""))
        if kind in ("group", "queue") and value:
            persona = personas.setdefault(value, {"user": f"{value}_user"})
            members = persona.setdefault(f"{kind}s", [])
            if value not in members:
                members.append(value)
        elif kind == "user" and value and value not in personas:
            personas[value] = {"user": value}

    for node in document.get("nodes", []):
        if not isinstance(node, Mapping) or node.get("type") != "interactive":
            continue
        add(node.get("assignee"))
        approval = node.get("approval") or {}
        for approver in approval.get("approvers") or []:
            add(approver)
        escalation = node.get("escalation") or {}
        add(escalation.get("to"))
    personas.pop(OUTSIDER, None)
    return personas


def play(
    document: Mapping[str, Any],
    steps: list[dict[str, Any]],
    *,
    name: str = "Test run",
    personas: Mapping[str, Mapping[str, Any]] | None = None,
    record_types: Mapping[str, list[dict[str, Any]]] | None = None,
    documents: DocumentSource | None = None,
) -> Trial:
    """Replay ``steps`` (scenario steps, SCENARIOS.md) on a fresh engine running ``document``.

    Args:
        document: a valid orchestration document (the draft or a version).
        steps: the steps so far; an empty list shows the run before it starts.
        name: the scenario's name (when saved).
        personas: personas to add to (or replace among) those :func:`personas_of` gives.
        record_types: the record types the engine knows (default: the templates').
        documents: where the documents of child runs' orchestrations come from (default: none).

    Raises:
        StepRefused: a step is not a valid scenario step, or cannot be applied.
    """
    if len(steps) > MAX_STEPS:
        raise StepRefused(None, f"a test run has at most {MAX_STEPS} steps; this one has {len(steps)}", "format")
    cast = {**personas_of(document), **{k: dict(v) for k, v in (personas or {}).items()}}
    data: dict[str, Any] = {
        "scenario": 1,
        "name": name,
        "orchestration": document.get("key"),
        "negative_checks": False,
        "personas": cast,
        "steps": list(steps),
    }
    if not steps:  # the run before it starts: who may act in it, and the clock
        return Trial(personas=cast, run=None, work_items=[], events=[], now=ManualClock().now().isoformat(), next_timer=None, scenario=None)
    if record_types is not None:
        data["record_types"] = {k: list(v) for k, v in record_types.items()}
    try:
        scenario = Scenario.from_dict(data)
    except ScenarioFormatError as exc:
        raise _scenario_format_refusal(exc) from None
    runner = Runner(scenario, environment=None, directory=None)
    result = runner.run(document, documents or DocumentSource(templates=False))
    if result.failures:
        failure = result.failures[0]
        unanswered = runner.mocks.unanswered[-1] if failure.kind == "mock" and runner.mocks.unanswered else None
        raise StepRefused(
            failure.step, failure.message, failure.kind, unanswered={"step": unanswered[0], "action": unanswered[1]} if unanswered else None
        )
    return _trial(runner, scenario)


def _trial(runner: Runner, scenario: Scenario) -> Trial:
    engine = runner.engine
    users = runner.users
    run = engine.get_run(runner.run_id) if runner.run_id is not None else None
    items: list[dict[str, Any]] = []
    if run is not None:
        forms = {n["id"]: n.get("form") for n in runner.spec.document["nodes"] if n.get("type") == "interactive"}
        for item in run["work_items"]:
            acting = sorted(p for p, user in users.items() if p != OUTSIDER and engine.may_act(user, item["id"]))
            items.append({**item, "personas": acting, "form": forms.get(item["step_id"])})
    due = runner.next_due(FAR_FUTURE)
    return Trial(
        personas={p: scenario.personas[p] for p in scenario.personas},
        run=run,
        work_items=items,
        events=engine.events(runner.run_id) if runner.run_id is not None else [],
        now=runner.clock.now().isoformat(),
        next_timer=due.isoformat() if due is not None else None,
        scenario=_as_test(scenario, run),
    )


def _as_test(scenario: Scenario, run: Mapping[str, Any] | None) -> Scenario:
    """The trial's steps as a scenario test: negative checks on, and the state reached asserted."""
    data = scenario.to_dict()
    data.pop("negative_checks", None)
    if run is not None:
        expect: dict[str, Any] = {"status": run["status"], "stages_visited": [h["stage"] for h in run["history"]]}
        if run["status"] == "in_progress":
            expect["stage"] = run["current_stage"]
        elif run["current_node"] is not None:
            expect["node"] = run["current_node"]
        data["steps"] = [*data["steps"], {"expect": expect}]
    return Scenario.from_dict(data)


def _scenario_format_refusal(error: ScenarioFormatError) -> StepRefused:
    """The first problem of the steps, with its index (``steps[3].complete`` -> 3)."""
    for problem in error.problems:
        path = str(problem.get("path", ""))
        if path.startswith("steps["):
            index = int(path[len("steps[") : path.index("]")])
            return StepRefused(index, f"step {index + 1}: {path}: {problem['message']}", "format", problems=list(error.problems))
    first = error.problems[0] if error.problems else {"path": "", "message": str(error)}
    where = f"{first['path']}: " if first.get("path") else ""
    return StepRefused(None, f"{where}{first['message']}", "format", problems=list(error.problems))
