"""A narrated run of the shipped templates on an in-memory engine (``overture demo``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.clock import ManualClock
from runtime.directory import InMemoryDirectory
from runtime.engine import Engine
from runtime.store.memory import InMemoryStore
from runtime.templates import RECORD_TYPES, TEMPLATES, load

PEOPLE = {
    "sam": ["sales"],
    "alice": ["legal"],
    "fiona": ["finance"],
    "erin": ["executives"],
    "sue": ["support"],
    "walt": ["warehouse"],
    "pat": ["project_managers"],
}


def run_demo(say: Callable[[str], None]) -> Engine:
    clock = ManualClock()
    engine = Engine(InMemoryStore(), clock, InMemoryDirectory(PEOPLE, queues={"warehouse": ["walt"]}))
    for name, fields in RECORD_TYPES.items():
        engine.define_record_type(name, fields)
    for name in TEMPLATES:
        say(f"deployed {name} v{engine.deploy(load(name))}")

    record = engine.create_record(
        "contract", {"title": "Acme MSA", "customer": "Acme", "amount": 72000, "status": "submitted"}, owner="sam"
    )
    (run_id,) = record["started_runs"]
    say(f"sam submitted contract {record['id'][:8]} for $72,000: run {run_id[:8]} started")

    def act(user: str, outcome: str, values: dict[str, Any] | None = None, wait: str = "PT5H") -> None:
        clock.advance(wait)
        (item,) = [i for i in engine.work_items(assignee=user) if i["run_id"] == run_id]
        engine.complete(item["id"], by=user, outcome=outcome, values=values or {})
        run = engine.get_run(run_id)
        where = run["current_stage"] or run["current_node"]
        holders = ", ".join(f"{b['type']} {b['value']}" for b in run["ball"]) or "nobody"
        say(f"  {clock.now():%a %H:%M} {user:6} {item['label']!r} -> {outcome:9} | now at {where}; ball with {holders}")

    act("alice", "approve", {"notes": "standard terms"})
    act("fiona", "reject", {"reason": "discount too deep"})
    act("sam", "resubmit", {"amount": 48000, "changes": "smaller discount"})
    act("alice", "approve")
    act("fiona", "approve", {"margin": 31})
    act("erin", "sign", {"signed_on": clock.now().date().isoformat()})
    run = engine.get_run(run_id)
    say(f"run {run['status']} at {run['current_node']!r}; stages visited: " + " -> ".join(h["stage"] for h in run["history"]))
    say(f"contract is now {engine.get_record('contract', record['id'])['status']}; {len(engine.events(run_id))} events in its log")
    return engine
