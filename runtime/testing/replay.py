"""Turn a run into a scenario that replays it (SCENARIOS.md, "Turning a run into a scenario").

The run's event log says everything a replay needs. A few of its events were caused
from outside the run — a person completing, claiming, releasing or reassigning work,
an event published, the record changed by someone else, an ops action — and those
become the scenario's steps, in the same order, with ``advance`` for the time that
passed between them. Everything else (stages, decisions, timers firing, the run's own
actions) is what the engine does by itself and happens again in the replay. Background
actions that reach outside are answered by mocks holding their recorded outputs or
failures, attempt by attempt.

``scenario_dict_from_run`` returns the scenario in the file format (a plain dict);
``scenario_from_run`` the same as a :class:`runtime.testing.Scenario`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from runtime.errors import Conflict, NotFound
from runtime.model import RecordType
from runtime.templates import RECORD_TYPES
from runtime.testing.scenario import Scenario

if TYPE_CHECKING:
    from runtime.engine import Engine
    from runtime.spec import OrchestrationSpec

#: Actions a scenario runs for real even though they are not local (SCENARIOS.md, "Mocks").
RUN_FOR_REAL = frozenset({"orchestration.start"})
#: The events a person (or a system outside the run) causes, and the step each becomes.
_DRIVERS = frozenset(
    {
        "run.started",
        "work_item.claimed",
        "work_item.released",
        "work_item.reassigned",
        "work_item.completed",
        "event.received",
        "record.updated",
        "run.retried",
        "run.resumed",
        "run.suspended",
        "run.cancelled",
        "run.migrated",
    }
)
_OPS = {"run.retried": "retry", "run.resumed": "resume", "run.suspended": "suspend", "run.cancelled": "cancel"}
_PERSONA = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_TICK = timedelta(microseconds=1)
_RECORD_FIELD_KEYS = ("name", "type", "required", "label", "options")


def scenario_from_run(engine: Engine, run_id: str, *, name: str | None = None) -> Scenario:
    """A scenario that replays run ``run_id`` of ``engine`` (see the module docstring).

    Args:
        engine: the engine that holds the run (its log, its directory of people).
        run_id: the run to replay.
        name: the scenario's name (default: "Replay of <orchestration> run <short id>").

    Raises:
        runtime.errors.NotFound: there is no such run.
        runtime.errors.Conflict: the run's log does not begin with its start.
    """
    return Scenario.from_dict(scenario_dict_from_run(engine, run_id, name=name))


def scenario_dict_from_run(engine: Engine, run_id: str, *, name: str | None = None) -> dict[str, Any]:
    """The scenario of :func:`scenario_from_run` as a dict in the file format (SCENARIOS.md)."""
    run = engine.get_run(run_id)
    events = engine.events(run_id)
    spec = engine.spec(run["orchestration"], run["version"])
    started = events[0]
    if started["type"] != "run.started":  # every run's log begins so; a store that lost it cannot be replayed
        raise Conflict(f"run {run_id} cannot be replayed: its event log does not begin with run.started")
    replay = _Replay(engine, run, events, spec)
    scenario: dict[str, Any] = {
        "scenario": 1,
        "name": name or f"Replay of {run['orchestration']} run {run_id[:8]}",
        "description": replay.description(),
        "orchestration": run["orchestration"],
        # A migrated run started on the version it first moved from; its `migrate` steps move it on.
        "version": next((e["data"]["from"] for e in events if e["type"] == "run.migrated"), run["version"]),
        "start_time": _timestamp_text(_at(started)),
    }
    steps = replay.steps()
    scenario["personas"] = replay.personas()
    record_types = replay.record_types()
    if record_types:
        scenario["record_types"] = record_types
    if replay.mocks:
        scenario["mocks"] = replay.mocks
    scenario["steps"] = steps
    return scenario


# ----------------------------------------------------------------------------- the replay


@dataclass
class _Visit:
    """What one visit of a mocked background step did, attempt by attempt."""

    step: str
    failures: list[tuple[str, bool]] = field(default_factory=list)  # (message, retryable)
    outputs: dict[str, Any] | None = None  # set when an attempt succeeded
    first_seq: int = 0  # where it was first scheduled

    def mock(self) -> dict[str, Any] | None:
        """The mock that answers this visit's attempts as they were answered."""
        if self.outputs is None and not self.failures:
            return None  # never finished: nothing to say
        mock: dict[str, Any] = {"step": self.step}
        if self.failures:
            mock["fail"] = self.failures[-1][0]  # the message a run in error shows
            if not all(retryable for _message, retryable in self.failures):
                mock["retryable"] = False
            if self.outputs is not None:
                mock["fail_times"] = len(self.failures)
        if self.outputs is not None:
            mock["result"] = self.outputs
        return mock


class _Replay:
    """Reads one run's log and writes the steps that replay it."""

    def __init__(self, engine: Engine, run: dict[str, Any], events: list[dict[str, Any]], spec: OrchestrationSpec):
        self.engine, self.run, self.events, self.spec = engine, run, events, spec
        self.started = events[0]
        self.users: dict[str, str] = {}  # user -> persona name
        self.mocks: list[dict[str, Any]] = []
        self._visits = self._mocked_visits()

    # -- who

    def persona(self, user: str | None) -> str | None:
        """The persona acting as ``user`` (declared on first use), or None for no one."""
        if not user:
            return None
        if user not in self.users:
            base = user if _PERSONA.match(user) else "u_" + re.sub(r"[^A-Za-z0-9_.-]", "_", user)
            taken = set(self.users.values())
            persona, n = base, 2
            while persona in taken:
                persona, n = f"{base}_{n}", n + 1
            self.users[user] = persona
        return self.users[user]

    def personas(self) -> dict[str, dict[str, Any]]:
        """One persona per person, with their groups and queues from the engine's directory."""
        for event in self.events:  # people work was given to, so approvals split the same way
            data = event["data"]
            for assignee in (data.get("assignee"), data.get("to")):
                if event["type"] in ("work_item.created", "work_item.reassigned") and _is_user(assignee):
                    self.persona(assignee["value"])
        personas: dict[str, dict[str, Any]] = {}
        for user, persona in sorted(self.users.items(), key=lambda item: item[1]):
            entry: dict[str, Any] = {"user": user}
            memberships = self.engine.directory.memberships(user)
            for kind, key in (("group", "groups"), ("queue", "queues")):
                names = sorted(n for k, n in memberships if k == kind)
                if names:
                    entry[key] = names
            personas[persona] = entry
        return personas

    # -- what it ran on

    def record_types(self) -> dict[str, list[dict[str, Any]]]:
        """The run's record type, when it is not the one the shipped templates declare."""
        record = self.started["data"].get("record") or self.run.get("record")
        if not record:
            return {}
        with self.engine.store.transaction(write=False) as tx:
            row = tx.get(RecordType, record["object"])
        if row is None:
            return {}
        fields = [{k: f[k] for k in _RECORD_FIELD_KEYS if k in f} for f in row.fields]
        if fields == [{k: f[k] for k in _RECORD_FIELD_KEYS if k in f} for f in RECORD_TYPES.get(row.id, [])]:
            return {}
        return {row.id: fields}

    def description(self) -> str:
        run = self.run
        state = "was in progress" if run["status"] == "in_progress" else f"ended {run['status']}"
        text = (
            f"Replays run {run['id']} of {run['orchestration']} version {run['version']}, started "
            f"{self.started['at']}; it {state} at {run.get('current_node') or 'its start'} when this was generated."
        )
        if run.get("record") and not self.started["data"].get("record"):
            text += " Its log does not say what its record was at the start: the record is as it was when this was generated."
        return text

    # -- how things were answered

    def _mocked_visits(self) -> dict[tuple[str, int], _Visit]:
        """Each visit of a background step whose action a scenario must mock."""
        visits: dict[tuple[str, int], _Visit] = {}
        for event in self.events:
            kind, data = event["type"], event["data"]
            if not kind.startswith("action.") or data.get("local"):
                continue
            action = self.engine.actions.get(data.get("action") or "")
            if data.get("action") in RUN_FOR_REAL or (action is not None and action.local):
                continue
            key = (event["node"], event["visit"])
            visit = visits.get(key)
            if visit is None:
                visit = visits[key] = _Visit(event["node"], first_seq=event["seq"])
            if kind == "action.failed":
                visit.failures.append((data.get("error") or "failed", data.get("retryable", True) is not False))
            elif kind == "action.succeeded":
                visit.outputs = {}
        for event in self.events:  # a success's outputs are those of the step it completed
            if event["type"] == "step.completed" and (event["node"], event["visit"]) in visits:
                visit = visits[(event["node"], event["visit"])]
                if visit.outputs is not None:
                    visit.outputs = event["data"].get("outputs") or {}
        return visits

    # -- the steps

    def steps(self) -> list[dict[str, Any]]:
        """The scenario's steps: each act from outside at its moment, then the expected end.

        The replay's clock is simulated alongside the log, because the runner does not
        move time as the original did: it fires each timer at its due time and takes each
        retry at its backoff, where a worker (or a test's big ``advance``) may have been
        later. ``stepped`` is the replay's clock after the last step written (what an
        ``advance`` counts from), ``now`` its time at the event being read, ``lag`` how far
        the original was behind it. An act is written at its original moment, but before
        any timer that had not fired yet when it happened.
        """
        events = self.events
        drivers = [i for i, e in enumerate(events) if self._is_driver(e)]
        next_driver = dict(zip(drivers, [*drivers[1:], len(events)], strict=True))
        steps: list[dict[str, Any]] = []
        mocks_now: dict[str, dict[str, Any]] = {}
        timers: dict[tuple[Any, ...], datetime] = {}  # the timers alive in the replay -> when they fall due
        retries: dict[tuple[str, int], datetime] = {}  # a step visit -> when the replay retries its action
        stepped = now = _at(events[0])
        lag = timedelta(0)
        in_advance = False  # a timer fired since the last act: the replay is inside an advance
        for index, event in enumerate(events):
            kind, at, node, visit = event["type"], _at(event), event["node"], event["visit"]
            if index in next_driver:
                target = min(at, min(timers.values()) - _TICK) if timers else at
                if target > stepped:
                    steps.append({"advance": _duration_text(target - stepped)})
                    stepped = target
                now, lag, in_advance = stepped, at - stepped, False
                steps.extend(self._before(event, events[index + 1 : next_driver[index]], mocks_now))
                steps.append(self._step(event))
            elif kind in ("timer.fired", "work_item.escalated"):
                due = timers.pop(("wait", node, visit) if kind == "timer.fired" else ("item", event["data"]["work_item"]), None)
                now, in_advance = max(now, due or now), True
                lag = at - now
            elif kind in ("action.failed", "action.succeeded") and (node, visit) in retries:
                now = max(now, retries.pop((node, visit)))
                if not in_advance:  # taken as the last step settles: its clock moved
                    stepped = max(stepped, now)
                lag = at - now
            self._track_timers(event, at - lag, lag, timers)
            if kind == "action.scheduled" and _retry_delay(event):
                retries[(node, visit)] = at - lag + _retry_delay(event)
        end = max(_at(e) for e in events) - lag
        end = min(end, min(timers.values()) - _TICK) if timers else end
        if end > stepped:
            steps.append({"advance": _duration_text(end - stepped)})
        steps.append({"expect": self._end_state()})
        return steps

    def _before(self, event: dict[str, Any], cascade: list[dict[str, Any]], mocks_now: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        """What must come before an act: the mocks of the step visits it begins (a ``mock``
        step where a step is answered differently from its earlier visits) and the events
        that were buffered before a wait it starts consumed them."""
        steps: list[dict[str, Any]] = []
        seqs = {event["seq"], *(e["seq"] for e in cascade)}
        for visit in sorted((v for v in self._visits.values() if v.first_seq in seqs), key=lambda v: v.first_seq):
            mock = visit.mock()
            if mock is None or mocks_now.get(visit.step) == mock:
                continue
            if visit.step in mocks_now:
                steps.append({"mock": mock})
            else:
                self.mocks.append(mock)
            mocks_now[visit.step] = mock
        steps.extend({"event": self._event_step(e["data"])} for e in cascade if e["type"] == "event.received" and e["data"].get("buffered"))
        return steps

    def _track_timers(self, event: dict[str, Any], replay_at: datetime, lag: timedelta, timers: dict[tuple[Any, ...], datetime]) -> None:
        """Timers born and gone with ``event``, each with its due time in the replay."""
        kind, data, node, visit = event["type"], event["data"], event["node"], event["visit"]
        step = self.spec.steps.get(node or "")
        if kind == "work_item.created" and data.get("due_at") and step is not None and step.escalation is not None:
            timers[("item", data["work_item"])] = step.escalation.after.after(_parse(data["due_at"]) - lag)
        elif kind == "step.waiting" and step is not None and step.timer_duration is not None:
            timers[("wait", node, visit)] = step.timer_duration.after(replay_at)
        elif kind == "step.waiting" and step is not None and step.timer_at is not None:
            fired = next((e for e in self.events if e["type"] == "timer.fired" and (e["node"], e["visit"]) == (node, visit)), None)
            if fired is not None:  # a moment the run computed: the same in the replay
                timers[("wait", node, visit)] = _parse(fired["data"]["due_at"])
        elif kind in ("work_item.completed", "work_item.cancelled", "work_item.escalated"):
            timers.pop(("item", data.get("work_item")), None)
        elif kind in ("step.completed", "step.discontinued", "step.cancelled", "step.error", "timer.fired"):
            timers.pop(("wait", node, visit), None)

    def _event_step(self, data: dict[str, Any]) -> dict[str, Any]:
        """The published event; the original run's (or record's) id becomes ``{ref: ...}``: the replay's ids are new."""
        refs = {self.run["id"]: "run.id"}
        if self.run.get("record"):
            refs[self.run["record"]["id"]] = "record.id"

        def ref(value: Any) -> Any:
            if isinstance(value, str) and value in refs:
                return {"ref": refs[value]}
            if isinstance(value, dict):
                return {k: ref(v) for k, v in value.items()}
            if isinstance(value, list):
                return [ref(v) for v in value]
            return value

        event: dict[str, Any] = {"name": data["name"]}
        if data.get("correlation") is not None:
            event["correlation"] = ref(data["correlation"])
        if data.get("payload"):
            event["payload"] = ref(data["payload"])
        return event

    def _is_driver(self, event: dict[str, Any]) -> bool:
        kind, data = event["type"], event["data"]
        if kind not in _DRIVERS:
            return False
        if kind == "event.received":
            return not data.get("buffered")  # a buffered one was published earlier: see _before()
        if kind == "record.updated":
            return not data.get("own_action")
        if kind == "work_item.reassigned":
            return event["by"] is not None  # else an escalation (a timer) did it
        return True

    def _step(self, event: dict[str, Any]) -> dict[str, Any]:
        kind, data, node = event["type"], event["data"], event["node"]
        who = self.persona(event["by"])
        step: dict[str, Any]
        if kind == "run.started":
            step = {"start": self._start(event)}
            return step
        if kind == "work_item.completed":
            step = {"complete": node, "as": who, "outcome": data["outcome"]}
            if data.get("values"):
                step["values"] = data["values"]
            if data.get("comment") is not None:
                step["comment"] = data["comment"]
            return step
        if kind in ("work_item.claimed", "work_item.released"):
            return {"claim" if kind == "work_item.claimed" else "release": node, "as": who}
        if kind == "work_item.reassigned":
            to = data["to"]
            return {"reassign": node, "as": who, "to": {to["type"]: to["value"]}}
        if kind == "event.received":
            return {"event": self._event_step(data)}
        if kind == "record.updated":
            step = {"update_record": {"fields": data.get("changes") or {}}}
            if who:
                step["update_record"]["as"] = who
            return step
        if kind == "run.migrated":
            return self._migrate(data, who)
        step = {_OPS[kind]: True}
        if who:
            step["as"] = who
        return step

    def _migrate(self, data: dict[str, Any], who: str | None) -> dict[str, Any]:
        """A ``migrate`` step: the version moved to, the nodes it renamed, and what the
        migration's plan recomputed (its target version comes from the database the replay
        runs against: ``overture test --database``, or the builder's Tests panel)."""
        body: dict[str, Any] = {"to": data["to"]}
        if data.get("mapping"):
            body["map"] = dict(data["mapping"])
        plan: dict[str, Any] = {}
        if data.get("migration"):
            try:
                plan = self.engine.migration(data["migration"])["plan"]
            except NotFound:  # purged since: the defaults
                plan = {}
        if plan.get("recompute"):
            body["recompute"] = list(plan["recompute"])
        if plan.get("timers", "keep") != "keep":
            body["timers"] = plan["timers"]
        step: dict[str, Any] = {"migrate": body}
        if who:
            step["as"] = who
        return step

    def _start(self, event: dict[str, Any]) -> dict[str, Any]:
        data = event["data"]
        start: dict[str, Any] = {}
        record = data.get("record")
        if record is None and self.run.get("record"):
            ref = self.run["record"]
            record = self.engine.get_record(ref["object"], ref["id"])
        if record is not None:
            fields = {k: v for k, v in record.items() if k not in ("id", "object", "owner")}
            created: dict[str, Any] = {"object": record["object"], "fields": fields}
            owner = self.persona(record.get("owner"))
            if owner:
                created["owner"] = owner
            start["record"] = created
        if data.get("trigger") is None:  # started by someone (or a parent run), not by the record
            inputs = {k: v for k, v in (data.get("inputs") or {}).items() if v is not None}
            if inputs:
                start["inputs"] = inputs
            who = self.persona(event["by"])
            if who:
                start["as"] = who
        return start

    def _end_state(self) -> dict[str, Any]:
        run = self.run
        expect: dict[str, Any] = {
            "stages_visited": [visit["stage"] for visit in run["history"]],
            "status": run["status"],
        }
        if run.get("current_node"):
            expect["node"] = run["current_node"]
        expect["vars"] = run["vars"]
        return expect


# ----------------------------------------------------------------------------- helpers


def _is_user(assignee: Any) -> bool:
    return isinstance(assignee, dict) and assignee.get("type") == "user" and isinstance(assignee.get("value"), str)


def _retry_delay(event: dict[str, Any]) -> timedelta:
    """How far the runner moves the clock to take this retry (zero for anything else)."""
    if event["type"] != "action.scheduled" or not event["data"].get("run_after"):
        return timedelta(0)
    return max(_parse(event["data"]["run_after"]) - _at(event), timedelta(0))


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _at(event: dict[str, Any]) -> datetime:
    return _parse(event["at"])


def _timestamp_text(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _duration_text(delta: timedelta) -> str:
    """An ISO-8601 duration in days, hours, minutes and seconds (``P2DT4H30M``, ``PT0.5S``)."""
    micros = delta // _TICK
    days, micros = divmod(micros, 86_400_000_000)
    hours, micros = divmod(micros, 3_600_000_000)
    minutes, micros = divmod(micros, 60_000_000)
    seconds, micros = divmod(micros, 1_000_000)
    time = (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if seconds or micros:
        time += f"{seconds}.{micros:06d}".rstrip("0") + "S" if micros else f"{seconds}S"
    if not (days or time):
        return "PT0S"
    return "P" + (f"{days}D" if days else "") + (f"T{time}" if time else "")
