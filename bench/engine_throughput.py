#!/usr/bin/env python3
"""Engine throughput: Overture's contract approval against SpiffWorkflow's.

A benchmark, not a test: it prints figures and never asserts a wall-clock time.

Cases (each on a fresh engine and store; see bench/README.md):

* ``people``       Overture, the shipped ``contract_approval`` template. Per run: a
                   contract record is created (which starts the run), then simulated
                   users of the legal, finance and executives groups complete the
                   run's open work item in turn until the run completes. One run at a
                   time.
* ``interleaved``  The same, but every run is started first and the items are then
                   completed round-robin, one per run per round, so that the store
                   holds all N runs while they are worked on.
* ``background``   Overture, the same contract-shaped document with every
                   interactive step replaced by a background ``vars.set`` step: a run
                   goes from start to end inside ``create_record`` with no people.
* ``spiff``        SpiffWorkflow, bench/contract_approval.bpmn driven the same way as
                   ``people``, in memory and with the workflow serialized to JSON
                   (BpmnWorkflowSerializer) at every wait and restored before the next
                   completion.

Figures per case: runs, seconds, completed runs/s, steps/s, events/s, and p50/p99 of
"complete to next item": the time of one completion plus the query for the run's next
open item (Overture: ``Engine.complete`` + ``Engine.work_items(run=...)``; Spiff:
``task.run()`` + ``do_engine_steps()`` + ``get_tasks(READY, manual=True)``, with the
JSON restore before and the JSON dump after it in serialized mode).

Run it with ``make bench`` or ``.venv/bin/python bench/engine_throughput.py --help``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import itertools
import json
import os
import platform
import pstats
import re
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from runtime import templates
from runtime.clock import ManualClock
from runtime.directory import InMemoryDirectory
from runtime.engine import Engine
from runtime.store.memory import InMemoryStore

BPMN_FILE = Path(__file__).resolve().parent / "contract_approval.bpmn"

# ---------------------------------------------------------------------------- stores
#
# Overture stores to benchmark: name -> factory(database_url) -> a fresh, empty store.
# Every case gets its own store. To add a store, add one line here.

StoreFactory = Callable[[str | None], Any]

STORES: dict[str, StoreFactory] = {
    "memory": lambda database_url=None: InMemoryStore(),
}
#: Stores that could not be set up, with the reason (printed under the table).
STORE_NOTES: dict[str, str] = {}
#: Stores whose state outlives the process (used for the "durable" ratio).
DURABLE_STORES = ("postgres", "sqlite")

try:
    from runtime.store.sql import SqlStore  # the durable store: SQLite file, or PostgreSQL
except ImportError as exc:
    STORE_NOTES["sqlite/postgres"] = f"skipped: runtime.store.sql cannot be imported ({exc})"
else:
    _TMP = tempfile.TemporaryDirectory(prefix="overture-bench-")
    _DB_NUMBER = itertools.count(1)

    STORES["sqlite"] = lambda database_url=None: SqlStore(f"sqlite:///{_TMP.name}/bench-{next(_DB_NUMBER)}.db")
    # Cases share the one database: point --database-url at a scratch database. Each case
    # checks and counts only its own runs, so rows left by earlier cases do no harm.
    STORES["postgres"] = lambda database_url=None: SqlStore(database_url)


# ---------------------------------------------------------------------------- people

PEOPLE = {
    "alice": ["legal"],
    "bob": ["legal"],
    "fiona": ["finance"],
    "frank": ["finance"],
    "erin": ["executives"],
    "ed": ["executives"],
    "eve": ["executives"],
    "sam": ["sales"],
}
MEMBERS: dict[str, list[str]] = {}
for _user, _groups in PEOPLE.items():
    for _group in _groups:
        MEMBERS.setdefault(_group, []).append(_user)
_TURN = itertools.count()

#: Which form field of a step's data carries its outcome in the BPMN version.
SPIFF_OUTCOME = {
    "legal_review": "legal_outcome",
    "finance_review": "finance_outcome",
    "vp_approval": "vp_outcome",
    "sign": "sign_outcome",
    "revise_contract": "revise_outcome",
}


def contract_fields(i: int) -> dict[str, Any]:
    """Run i's contract: amounts alternate below and above $50k so both paths run."""
    amount = 20_000.0 + (i % 7) * 1_000 if i % 2 == 0 else 60_000.0 + (i % 7) * 1_000
    return {"title": f"MSA #{i}", "customer": f"Customer {i % 97}", "amount": amount, "status": "submitted"}


@dataclass
class Case:
    """What the simulated people of one run decide."""

    index: int
    amount: float
    reject_once: bool  # finance rejects the first time; the sales rep resubmits
    rejected: bool = False

    def decide(self, step_id: str) -> tuple[str, dict[str, Any]]:
        """(outcome, form values) a person gives for ``step_id``; the same for both engines."""
        if step_id == "legal_review":
            return "approve", {"notes": "fine"}
        if step_id == "finance_review":
            if self.reject_once and not self.rejected:
                self.rejected = True
                return "reject", {"reason": "margin too thin"}
            return "approve", {"margin": 12.5}
        if step_id == "vp_approval":
            return "approve", {}
        if step_id == "sign":
            return "sign", {"signed_on": "2026-01-06"}
        if step_id == "revise_contract":
            return "resubmit", {"amount": self.amount, "changes": "discount"}
        raise KeyError(f"no simulated person knows step {step_id!r}")


def make_cases(n: int, reject_every: int) -> list[Case]:
    return [Case(i, contract_fields(i)["amount"], bool(reject_every) and i % reject_every == reject_every - 1) for i in range(n)]


def person_for(item: dict[str, Any]) -> str:
    """A user who may complete ``item``: its user, or members of its group in turn."""
    assignee = item["assignee"]
    if assignee["type"] == "user":
        return assignee["value"]
    members = MEMBERS[assignee["value"]]
    return members[next(_TURN) % len(members)]


# ---------------------------------------------------------------------------- results


@dataclass
class Result:
    engine: str
    store: str
    mode: str
    runs: int
    seconds: float
    steps: int  # Overture: step.completed events; Spiff: user + script tasks completed
    events: int  # Overture: run-log events; Spiff: tasks completed of any kind
    latencies: list[float] = field(default_factory=list)
    note: str = ""
    #: SQL stores: statements sent and (PostgreSQL) network round trips in the timed part.
    statements: int | None = None
    round_trips: int | None = None

    @property
    def runs_per_s(self) -> float:
        return self.runs / self.seconds if self.seconds else float("nan")

    @property
    def steps_per_s(self) -> float:
        return self.steps / self.seconds if self.seconds else float("nan")

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds else float("nan")

    def percentile_ms(self, p: float) -> float | None:
        return percentile(self.latencies, p) * 1000 if self.latencies else None


def percentile(values: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


#: Set by --profile: it records only the timed part of a case, not its set-up and checks.
PROFILER: cProfile.Profile | None = None
#: The store of the case running; its statement counters are read around the timed part.
COUNTED: Any = None
#: (statements, round trips) of the last timed part, when the store counts them.
COUNTS: list[tuple[int, int]] = []


def store_counts() -> tuple[int, int] | None:
    if COUNTED is None or not hasattr(COUNTED, "statements"):
        return None
    return COUNTED.statements, COUNTED.round_trips


def clock_start() -> float:
    COUNTS[:] = [c] if (c := store_counts()) else []
    if PROFILER is not None:
        PROFILER.enable()
    return time.perf_counter()


def clock_stop(t0: float) -> float:
    seconds = time.perf_counter() - t0
    if PROFILER is not None:
        PROFILER.disable()
    if COUNTS and (c := store_counts()):
        COUNTS[:] = [(c[0] - COUNTS[0][0], c[1] - COUNTS[0][1])]
    return seconds


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- Overture


#: The all-background variant runs on its own record type, so that creating a record
#: never starts both documents when cases share a database (postgres).
AUTO_OBJECT = "contract_auto"


def new_engine(store: Any, document: dict[str, Any]) -> Engine:
    engine = Engine(store, ManualClock(), InMemoryDirectory(PEOPLE))
    engine.define_record_type("contract", templates.RECORD_TYPES["contract"])
    engine.define_record_type(AUTO_OBJECT, templates.RECORD_TYPES["contract"], label="Contract (benchmark, no people)")
    engine.deploy(document)
    return engine


def check_and_count(engine: Engine, run_ids: list[str], what: str) -> Counter[str]:
    """After the clock stopped: every run completed? Returns their log events by type."""
    statuses = Counter(engine.get_run(run_id)["status"] for run_id in run_ids)
    if statuses != Counter({"completed": len(run_ids)}):
        raise RuntimeError(f"{what}: expected {len(run_ids)} completed runs, found {dict(statuses)}")
    events: Counter[str] = Counter()
    for run_id in run_ids:
        events.update(e["type"] for e in engine.events(run_id))
    return events


def start_contract(engine: Engine, case: Case, object: str = "contract") -> str:
    record = engine.create_record(object, contract_fields(case.index), owner="sam")
    (run_id,) = record["started_runs"]
    return run_id


def complete_next(engine: Engine, case: Case, run_id: str, item: dict[str, Any], latencies: list[float]) -> list[dict[str, Any]]:
    """One person completes ``item``; returns the run's open items after it."""
    outcome, values = case.decide(item["step_id"])
    by = person_for(item)
    t0 = time.perf_counter()
    engine.complete(item["id"], by=by, outcome=outcome, values=values)
    items = engine.work_items(run=run_id)
    latencies.append(time.perf_counter() - t0)
    return items


def overture_people(store_name: str, store: Any, cases: list[Case]) -> Result:
    """One run at a time: create the contract, then people complete its items until it ends."""
    engine = new_engine(store, templates.load("contract_approval"))
    latencies: list[float] = []
    run_ids = []
    t0 = clock_start()
    for case in cases:
        run_id = start_contract(engine, case)
        run_ids.append(run_id)
        items = engine.work_items(run=run_id)
        while items:
            items = complete_next(engine, case, run_id, items[0], latencies)
    seconds = clock_stop(t0)
    events = check_and_count(engine, run_ids, "overture people")
    return Result(
        "overture", store_name, "people, one run at a time", len(cases), seconds, events["step.completed"], sum(events.values()), latencies
    )


def overture_interleaved(store_name: str, store: Any, cases: list[Case]) -> Result:
    """Start every run, then complete one item per run per round until all have ended."""
    engine = new_engine(store, templates.load("contract_approval"))
    latencies: list[float] = []
    t0 = clock_start()
    active = []
    for case in cases:
        run_id = start_contract(engine, case)
        active.append((case, run_id, engine.work_items(run=run_id)))
    run_ids = [run_id for _case, run_id, _items in active]
    while active:
        still = []
        for case, run_id, items in active:
            items = complete_next(engine, case, run_id, items[0], latencies)
            if items:
                still.append((case, run_id, items))
        active = still
    seconds = clock_stop(t0)
    events = check_and_count(engine, run_ids, "overture interleaved")
    return Result(
        "overture",
        store_name,
        f"people, {len(cases)} runs interleaved",
        len(cases),
        seconds,
        events["step.completed"],
        sum(events.values()),
        latencies,
    )


#: What each interactive step sets in the all-background document (CEL literals).
_AUTOMATIC = {
    "legal_review": {"legal_review_outcome": "'approve'", "notes": "'fine'"},
    "finance_review": {"finance_review_outcome": "'approve'", "margin": "12.5"},
    "vp_approval": {"vp_approval_outcome": "'approve'"},
    "sign": {"sign_outcome": "'sign'", "signed_on": "'2026-01-06'"},
    "revise_contract": {"revise_contract_outcome": "'resubmit'", "amount": "double(record.amount)"},
}
_EXTRA_VARIABLES = {"notes": "string", "margin": "number", "signed_on": "string", "amount": "number"}


def all_background_document() -> dict[str, Any]:
    """contract_approval with every interactive step a background ``vars.set`` step.

    The step "decides" by setting ``vars.<step>_outcome``; decisions and inputs that
    read ``steps.<step>.outcome`` read that variable instead. Everything else (stages,
    decisions, the record.update steps, ``set`` assignments) is the template's; it
    triggers on records of type ``contract_auto`` (the contract's fields).
    """
    doc = templates.load("contract_approval")
    doc["key"], doc["label"] = "contract_approval_auto", "Contract approval (no people)"
    doc["trigger"]["object"] = AUTO_OBJECT
    nodes = []
    for node in doc["nodes"]:
        if node["type"] == "interactive":
            step = {k: node[k] for k in ("id", "stage", "label", "start", "set") if k in node}
            step.update(type="background", action="vars.set", inputs=dict(_AUTOMATIC[node["id"]]))
            node = step
        nodes.append(node)
    doc["nodes"] = nodes
    doc["variables"] += [{"name": f"{step}_outcome", "type": "string", "default": None} for step in _AUTOMATIC]
    doc["variables"] += [{"name": name, "type": t, "default": None} for name, t in _EXTRA_VARIABLES.items()]
    text = re.sub(r"\bsteps\.(\w+)\.outcome\b", r"vars.\1_outcome", json.dumps(doc))
    return json.loads(text)


def overture_background(store_name: str, store: Any, cases: list[Case]) -> Result:
    """Each run goes start to end inside create_record (autoprocess runs its jobs)."""
    engine = new_engine(store, all_background_document())
    t0 = clock_start()
    run_ids = [start_contract(engine, case, AUTO_OBJECT) for case in cases]
    seconds = clock_stop(t0)
    events = check_and_count(engine, run_ids, "overture all-background")
    return Result("overture", store_name, "all background (no people)", len(cases), seconds, events["step.completed"], sum(events.values()))


OVERTURE_CASES = {
    "people": overture_people,
    "interleaved": overture_interleaved,
    "background": overture_background,
}


# ---------------------------------------------------------------------------- SpiffWorkflow


def spiff_version() -> str | None:
    try:
        from importlib.metadata import version

        return version("SpiffWorkflow")
    except Exception:
        return None


class SpiffBench:
    """Drives bench/contract_approval.bpmn with SpiffWorkflow's public API."""

    def __init__(self) -> None:
        from SpiffWorkflow.bpmn import BpmnWorkflow
        from SpiffWorkflow.bpmn.parser import BpmnParser
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
        from SpiffWorkflow.bpmn.specs.defaults import ScriptTask
        from SpiffWorkflow.util.task import TaskState

        parser = BpmnParser()
        parser.add_bpmn_file(str(BPMN_FILE))
        self.spec = parser.get_spec("contract_approval")  # parsed once
        self.subprocess_specs = parser.get_subprocess_specs("contract_approval")
        self.Workflow = BpmnWorkflow
        self.READY = TaskState.READY
        self.script_task = ScriptTask
        self.serializer = BpmnWorkflowSerializer()
        self.steps = 0
        self.events = 0

    def _did_complete(self, task: Any) -> None:
        self.events += 1
        if isinstance(task.task_spec, self.script_task):
            self.steps += 1

    def _advance(self, workflow: Any) -> None:
        workflow.do_engine_steps(did_complete_task=self._did_complete)

    def _ready(self, workflow: Any) -> list[Any]:
        return workflow.get_tasks(state=self.READY, manual=True)

    def _new(self, case: Case) -> Any:
        workflow = self.Workflow(self.spec, self.subprocess_specs)
        start = workflow.get_next_task(state=self.READY)
        start.data.update(contract_fields(case.index), owner="sam")
        self._advance(workflow)
        return workflow

    def _fill(self, task: Any, case: Case) -> None:
        outcome, values = case.decide(task.task_spec.name)
        if task.task_spec.name == "revise_contract":
            values = {"revised_amount": values.pop("amount"), **values}
        task.data.update(values)
        task.data[SPIFF_OUTCOME[task.task_spec.name]] = outcome

    def _finish(self, workflow: Any) -> None:
        if not workflow.is_completed():
            raise SystemExit(f"spiff: a run stopped before its end: {[t.task_spec.name for t in self._ready(workflow)]}")

    def in_memory(self, cases: list[Case]) -> Result:
        self.steps = self.events = 0
        latencies: list[float] = []
        t0 = clock_start()
        for case in cases:
            workflow = self._new(case)
            ready = self._ready(workflow)
            while ready:
                task = ready[0]
                self._fill(task, case)
                t1 = time.perf_counter()
                task.run()
                self._advance(workflow)
                ready = self._ready(workflow)
                latencies.append(time.perf_counter() - t1)
                self.steps += 1
                self.events += 1
            self._finish(workflow)
        seconds = clock_stop(t0)
        return Result("spiff", "memory", "people, one run at a time", len(cases), seconds, self.steps, self.events, latencies)

    def serialized(self, cases: list[Case]) -> Result:
        """Serialize at every wait; restore before the next completion (the durable comparison)."""
        self.steps = self.events = 0
        latencies: list[float] = []
        serializer = self.serializer
        t0 = clock_start()
        for case in cases:
            workflow = self._new(case)
            state = serializer.serialize_json(workflow)
            ready_ids = [t.id for t in self._ready(workflow)]
            del workflow
            while ready_ids:
                t1 = time.perf_counter()
                workflow = serializer.deserialize_json(state)
                task = workflow.get_task_from_id(ready_ids[0])
                self._fill(task, case)
                task.run()
                self._advance(workflow)
                state = serializer.serialize_json(workflow)
                ready_ids = [t.id for t in self._ready(workflow)]
                latencies.append(time.perf_counter() - t1)
                self.steps += 1
                self.events += 1
            self._finish(workflow)
        seconds = clock_stop(t0)
        return Result(
            "spiff",
            "json",
            "people, serialized at every wait",
            len(cases),
            seconds,
            self.steps,
            self.events,
            latencies,
            note=f"snapshot {len(state) / 1024:.0f} KiB at the end",
        )


# ---------------------------------------------------------------------------- report


def fmt(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def print_table(results: list[Result]) -> None:
    headers = ["engine", "store", "mode", "runs", "seconds", "runs/s", "steps/s", "events/s", "p50 ms", "p99 ms", "stmts/run", "trips/run"]
    rows = [
        [
            r.engine,
            r.store,
            r.mode,
            fmt(r.runs),
            fmt(r.seconds, 2),
            fmt(r.runs_per_s),
            fmt(r.steps_per_s),
            fmt(r.events_per_s),
            fmt(r.percentile_ms(50), 3),
            fmt(r.percentile_ms(99), 3),
            fmt(r.statements / r.runs if r.statements is not None else None, 1),
            fmt(r.round_trips / r.runs if r.round_trips else None, 1),
        ]
        for r in results
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
    left = {0, 1, 2}

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))


def find(results: list[Result], engine: str, store: str | None, mode_prefix: str) -> Result | None:
    for r in results:
        if r.engine == engine and (store is None or r.store == store) and r.mode.startswith(mode_prefix):
            return r
    return None


def print_ratios(results: list[Result]) -> None:
    lines = []
    ov_mem = find(results, "overture", "memory", "people, one run")
    sp_mem = find(results, "spiff", "memory", "people")
    if ov_mem and sp_mem:
        lines.append(
            f"Overture in-memory / Spiff in-memory (runs/s, people, one run at a time): {ov_mem.runs_per_s / sp_mem.runs_per_s:.2f}x"
        )
    durable = next((d for s in DURABLE_STORES if (d := find(results, "overture", s, "people, one run"))), None)
    stand_in = ""
    if durable is None:
        durable, stand_in = ov_mem, " [no durable Overture store yet: the in-memory store stands in]"
    sp_json = find(results, "spiff", "json", "people")
    if durable and sp_json:
        lines.append(
            f"Overture {durable.store} / Spiff serialized to JSON at every wait (runs/s): "
            f"{durable.runs_per_s / sp_json.runs_per_s:.2f}x{stand_in}"
        )
    if lines:
        print()
        print("\n".join(lines))


def print_notes(results: list[Result], args: argparse.Namespace) -> None:
    print()
    print("steps/s  Overture: step.completed events (interactive and background steps); Spiff: user and script tasks completed.")
    print(
        "events/s Overture: every event appended to the run logs; Spiff: tasks completed of any kind (events, gateways, tasks, internal)."
    )
    print(
        "p50/p99  one completion plus the query for the run's next open item "
        "(Spiff JSON: restore + complete + engine steps + dump + query)."
    )
    print(
        "stmts/run SQL statements the store sent per run (each row of a batch counts); "
        "trips/run PostgreSQL: network round trips per run (BEGIN, COMMIT and pings included)."
    )
    for r in results:
        if r.note:
            print(f"note     {r.engine}/{r.store}/{r.mode}: {r.note}")
    for name, note in STORE_NOTES.items():
        print(f"note     {name}: {note}")
    if args.reject_every:
        print(f"note     1 run in {args.reject_every}: finance rejects once, the sales rep resubmits (the revise loop runs).")


# ---------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Cases: people, interleaved, background (Overture); spiff (SpiffWorkflow).",
    )
    parser.add_argument("--runs", type=int, default=2000, help="runs per case (default 2000)")
    parser.add_argument("--quick", action="store_true", help="a fast smoke run: 100 runs per case")
    parser.add_argument("--interleaved-runs", type=int, help="runs in the interleaved case (default: --runs)")
    parser.add_argument(
        "--stores", default=None, help=f"comma-separated Overture stores (default: every available one; known: {', '.join(STORES)})"
    )
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL"), help="database for the postgres store (default: $DATABASE_URL)"
    )
    parser.add_argument("--cases", default="people,interleaved,background,spiff", help="comma-separated cases to run (default: all)")
    parser.add_argument(
        "--reject-every",
        type=int,
        default=0,
        metavar="K",
        help="every Kth run, finance rejects once and the run goes round the revise loop (default: never)",
    )
    parser.add_argument(
        "--profile",
        nargs="?",
        const="people",
        choices=sorted(OVERTURE_CASES),
        metavar="CASE",
        help="run one Overture case (default: people) on --profile-store under cProfile and print where the time goes",
    )
    parser.add_argument("--profile-store", default="memory", help="the store to profile (default: memory)")
    parser.add_argument("--top", type=int, default=25, help="functions to list per profile ordering (default 25)")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs = 100
        args.interleaved_runs = min(args.interleaved_runs or 100, 100)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    args.interleaved_runs = args.interleaved_runs or args.runs
    args.cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = set(args.cases) - {*OVERTURE_CASES, "spiff"}
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    if args.stores is None:
        args.stores = [s for s in STORES if s != "postgres" or args.database_url]
    else:
        args.stores = [s.strip() for s in args.stores.split(",") if s.strip()]
        missing = [s for s in args.stores if s not in STORES]
        if missing:
            parser.error(f"unknown or unavailable store(s): {', '.join(missing)} (available: {', '.join(STORES)})")
    if args.profile_store not in STORES:
        parser.error(f"unknown or unavailable store {args.profile_store!r} (available: {', '.join(STORES)})")
    if "postgres" in (*args.stores, args.profile_store) and not args.database_url:
        parser.error("the postgres store needs --database-url (or DATABASE_URL)")
    return args


def profile(args: argparse.Namespace) -> None:
    global PROFILER
    case, store_name = args.profile, args.profile_store
    n = args.interleaved_runs if case == "interleaved" else args.runs
    store = STORES[store_name](args.database_url)
    PROFILER = cProfile.Profile()
    try:
        result = OVERTURE_CASES[case](store_name, store, make_cases(n, args.reject_every))
    finally:
        profiler, PROFILER = PROFILER, None
        if hasattr(store, "dispose"):
            store.dispose()
    print(
        f"Profile of Overture / {store_name} / {result.mode}: {result.runs} runs in {result.seconds:.2f} s under cProfile "
        f"({result.runs_per_s:,.0f} runs/s; profiling slows it down). Only the timed part is recorded."
    )
    prefixes = sorted({str(ROOT) + os.sep, *(p + os.sep for p in sys.path if p.endswith("-packages"))}, key=len, reverse=True)
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.top)
        text = out.getvalue()
        text = text[text.find("   ncalls") :] if "   ncalls" in text else text
        for prefix in prefixes:
            text = text.replace(prefix, "")
        print()
        print(f"== top {args.top} by {'cumulative time' if order == 'cumulative' else 'own time (tottime)'} ==")
        print(text.rstrip())


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"Python {platform.python_version()} on {platform.platform()}; SpiffWorkflow {spiff_version() or 'not installed'}", flush=True)
    if args.profile:
        profile(args)
        return 0

    results: list[Result] = []
    for store_name in args.stores:
        factory = STORES[store_name]
        for case in ("people", "interleaved", "background"):
            if case not in args.cases:
                continue
            n = args.interleaved_runs if case == "interleaved" else args.runs
            log(f"overture / {store_name} / {case}: {n} runs ...")
            try:
                store = factory(args.database_url)
            except Exception as exc:
                STORE_NOTES[store_name] = f"skipped: the store could not be opened ({type(exc).__name__}: {exc})"
                log(f"  {STORE_NOTES[store_name]}")
                break
            gc.collect()
            global COUNTED
            COUNTED = store
            try:
                result = OVERTURE_CASES[case](store_name, store, make_cases(n, args.reject_every))
                if COUNTS:
                    result.statements, result.round_trips = COUNTS[0]
                results.append(result)
            except Exception as exc:
                traceback.print_exc()
                STORE_NOTES[f"{store_name}/{case}"] = f"failed: {type(exc).__name__}: {exc}"
            finally:
                COUNTED = None
                if hasattr(store, "dispose"):
                    store.dispose()

    if "spiff" in args.cases:
        if spiff_version() is None:
            STORE_NOTES["SpiffWorkflow"] = (
                "skipped: SpiffWorkflow is not installed (.venv/bin/pip install -c constraints.txt -e '.[bench]')"
            )
        else:
            bench = SpiffBench()
            for mode in ("in_memory", "serialized"):
                log(f"spiff / {mode}: {args.runs} runs ...")
                gc.collect()
                results.append(getattr(bench, mode)(make_cases(args.runs, args.reject_every)))

    print()
    print_table(results)
    print_ratios(results)
    print_notes(results, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
