"""A restartable driver for the crash-safety test: ``python -m tests.runtime.crash_driver DBURL N [ACTION_LOG]``.

It works through ``N`` runs of :data:`DOCUMENT` on the database at ``DBURL`` and exits 0
once every one of them is completed. It keeps no state of its own: on every (re)start
it looks at the database and carries on from there, so it may be killed with SIGKILL
at any moment and started again.

* Runs are started idempotently: run ``i`` is started by creating the ``ticket``
  record ``{"n": i}`` with ``idempotency_key=f"run-{i}"`` (the orchestration is
  record-triggered), so a restarted driver never starts a second run for the same i.
  Records are created a few per round, in order, so that many runs are in flight at
  once and kills land in the middle of all kinds of transitions.
* Simulated people complete the open work items (a person of the assignee group, or
  the user the item names); for a third of the items the person first claims the item
  and only completes it in the next round, so claims survive restarts too.
* Background steps run the ``crash.work`` action through a :class:`~runtime.worker.Worker`
  (``run(until_idle=True)`` each round). The action appends ``"<idempotency key> <pid>"``
  to ``ACTION_LOG`` (one ``write`` on an ``O_APPEND`` file, which survives a SIGKILL of
  the writer) before it returns, and sometimes sleeps a few ms first so that kills
  land between the action's side effect and the transaction recording its result.
* Time is the :class:`~runtime.clock.SystemClock`: the timer wait lasts ``PT1S``, and
  jobs claimed by a killed driver are re-queued by the production mechanism (no
  heartbeat for ``STALE_AFTER``) rather than by anything this driver knows. Nothing
  about the end state depends on timing, only on ``i`` (see :func:`expected`).
"""

from __future__ import annotations

import os
import sys
import time
import zlib
from datetime import timedelta
from typing import Any

ACTION = "crash.work"
KEY = "crash"
OBJECT = "ticket"
STALE_AFTER = timedelta(seconds=1)
HEARTBEAT = 0.2
RECORDS_PER_ROUND = 3
TIMER = "PT1S"

PEOPLE = {"rita": ["reviewers"], "rob": ["reviewers"], "owner0": [], "owner1": [], "owner2": []}


def _work(step: str, after: list[str] | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": step,
        "type": "background",
        "label": step,
        "action": ACTION,
        "inputs": {"n": "record.n", "step": f"'{step}'"},
        "set": {"work": "vars.work + 1"},
        "retry": {"max_attempts": 1},
    }
    if after:
        node["start"] = {"when": "after", "steps": after}
    return node


#: start -> intake (review by a person ∥ enrich in the background) -> route:
#:   n % 3 == 0 goes round intake once more; a rejected review ends at `rejected`;
#:   even n wait a timer in `cool` (then a background step); every other run signs in `final`.
DOCUMENT: dict[str, Any] = {
    "format": 1,
    "key": KEY,
    "label": "Crash safety",
    "trigger": {"type": "record", "object": OBJECT, "on": ["create"]},
    "variables": [
        {"name": "reviews", "type": "integer", "default": 0},
        {"name": "work", "type": "integer", "default": 0},
    ],
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "intake", "type": "stage", "label": "Intake"},
        {
            "id": "review",
            "type": "interactive",
            "stage": "intake",
            "label": "Review",
            "assignee": {"type": "group", "value": "reviewers"},
            "form": {
                "fields": [{"name": "notes", "type": "text", "label": "Notes"}],
                "outcomes": [{"value": "approve", "label": "Approve"}, {"value": "reject", "label": "Reject"}],
            },
            "set": {"reviews": "vars.reviews + 1"},
        },
        {**_work("enrich"), "stage": "intake"},
        {
            "id": "route",
            "type": "decision",
            "label": "Route",
            "outcomes": [
                {"id": "again", "label": "Once more", "condition": "record.n % 3 == 0 && stages.intake.visits < 2"},
                {"id": "rejected", "label": "Rejected", "condition": "steps.review.outcome == 'reject'"},
                {"id": "timed", "label": "Cool down", "condition": "record.n % 2 == 0"},
            ],
        },
        {"id": "cool", "type": "stage", "label": "Cool down"},
        {"id": "pause", "type": "wait", "stage": "cool", "label": "Pause", "timer": {"duration": TIMER}},
        {**_work("after_pause", ["pause"]), "stage": "cool"},
        {"id": "final", "type": "stage", "label": "Sign-off"},
        {
            "id": "sign",
            "type": "interactive",
            "stage": "final",
            "label": "Sign",
            "assignee": {"type": "expression", "value": "record.owner"},
            "form": {"fields": [], "outcomes": [{"value": "ok", "label": "OK"}]},
        },
        {**_work("archive"), "stage": "final"},
        {"id": "done", "type": "end"},
        {"id": "rejected_end", "type": "end", "label": "Rejected"},
    ],
    "edges": [
        {"id": "e_start", "source": "start", "target": "intake"},
        {"id": "e_intake", "source": "intake", "target": "route"},
        {"id": "e_again", "source": "route", "target": "intake", "outcome": "again"},
        {"id": "e_rejected", "source": "route", "target": "rejected_end", "outcome": "rejected"},
        {"id": "e_timed", "source": "route", "target": "cool", "outcome": "timed"},
        {"id": "e_default", "source": "route", "target": "final", "outcome": "default"},
        {"id": "e_cool", "source": "cool", "target": "final"},
        {"id": "e_final", "source": "final", "target": "done"},
    ],
}


def owner(n: int) -> str:
    return f"owner{n % 3}"


def rejects(n: int) -> bool:
    return n % 5 == 4


def claims_first(n: int) -> bool:
    return n % 3 == 1


def expected(n: int) -> dict[str, Any]:
    """Where run ``n`` ends and what it went through; a function of ``n`` alone."""
    intake_visits = 2 if n % 3 == 0 else 1
    visits = [("intake", v) for v in range(1, intake_visits + 1)]
    decisions = ["again"] * (intake_visits - 1)
    steps = {("review", v): "approve" for v in range(1, intake_visits + 1)}
    steps.update({("enrich", v): None for v in range(1, intake_visits + 1)})
    if rejects(n):
        steps[("review", intake_visits)] = "reject"
        decisions.append("rejected")
        end = "rejected_end"
    else:
        if n % 2 == 0:
            decisions.append("timed")
            visits.append(("cool", 1))
            steps.update({("pause", 1): None, ("after_pause", 1): None})
        else:
            decisions.append("default")
        visits.append(("final", 1))
        steps.update({("sign", 1): "ok", ("archive", 1): None})
        end = "done"
    background = [key for key in steps if key[0] in ("enrich", "after_pause", "archive")]
    return {
        "end": end,
        "visits": visits,  # stage visits in the order they happen
        "decisions": decisions,
        "steps": steps,  # (step, visit) -> outcome (None for non-interactive steps)
        "background": sorted(background),
        "vars": {"reviews": intake_visits, "work": len(background)},
    }


def person(item: dict[str, Any], n: int) -> str:
    """Who completes an item: the user it names, else a reviewer picked by n and visit."""
    if item["assignee"]["type"] == "user":
        return item["assignee"]["value"]
    return ("rita", "rob")[(n + item["visit"]) % 2]


def notes(n: int, visit: int) -> str:
    return f"run {n} visit {visit}"


def default_log(url: str) -> str:
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///") :] + ".actions.log"
    return os.path.abspath("crash_actions.log")


def make_registry(log_path: str):
    from runtime.actions import Action, ActionField, default_registry

    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def work(ctx, inputs):
        os.write(fd, f"{ctx.idempotency_key} {os.getpid()}\n".encode())
        if zlib.crc32(ctx.idempotency_key.encode()) % 3 == 0:
            time.sleep(0.002 + (zlib.crc32(ctx.idempotency_key.encode()) % 7) / 1000)
        return {"n": inputs["n"], "step": inputs["step"]}

    registry = default_registry()
    registry.register(
        Action(
            ACTION,
            work,
            (ActionField("n", "integer", True), ActionField("step", "string", True)),
            (ActionField("n", "integer"), ActionField("step", "string")),
        )
    )
    return registry


class Driver:
    def __init__(self, url: str, total: int, log_path: str):
        from runtime.clock import SystemClock
        from runtime.directory import InMemoryDirectory
        from runtime.engine import Engine
        from runtime.store.sql import SqlStore

        self.total = total
        self.store = SqlStore(url)
        self.engine = Engine(
            self.store,
            SystemClock(),
            InMemoryDirectory(PEOPLE),
            actions=make_registry(log_path),
            autoprocess=False,
            worker_id=f"driver:{os.getpid()}",
        )
        # Deploying an identical document returns the active version: safe on every start.
        self.engine.deploy(DOCUMENT, by="crash-driver")

    def records(self) -> dict[int, Any]:
        from runtime.model import Record

        with self.store.transaction(write=False) as tx:
            return {r.fields["n"]: r for r in tx.find(Record, object=OBJECT)}

    def create_missing(self, existing: dict[int, Any]) -> int:
        created = 0
        for n in range(self.total):
            if n in existing:
                continue
            if created == RECORDS_PER_ROUND:
                break
            self.engine.create_record(OBJECT, {"n": n}, owner=owner(n), by="crash-driver", idempotency_key=f"run-{n}")
            created += 1
        return created

    def work_items(self, numbers: dict[str, int]) -> int:
        moved = 0
        for item in self.engine.work_items(status=("open", "claimed")):
            n = numbers[item["record"]["id"]]
            if item["status"] == "claimed":
                who = item["claimed_by"]
            else:
                who = person(item, n)
                if claims_first(n):
                    self.engine.claim(item["id"], by=who)  # completed next round (or after a restart)
                    moved += 1
                    continue
            if item["step_id"] == "review":
                expect = expected(n)["steps"][("review", item["visit"])]
                self.engine.complete(item["id"], by=who, outcome=expect, values={"notes": notes(n, item["visit"])}, comment=f"by {who}")
            else:
                self.engine.complete(item["id"], by=who, outcome="ok")
            moved += 1
        return moved

    def background(self) -> int:
        from runtime.worker import Worker

        # A Worker stays stopped after run(until_idle=True), so each round has its own.
        worker = Worker(self.engine, poll_interval=0.05, heartbeat_interval=HEARTBEAT, stale_after=STALE_AFTER, batch=5)
        return worker.run(until_idle=True)

    def finished(self, records: dict[int, Any]) -> bool:
        from runtime.model import Run

        if len(records) < self.total:
            return False
        with self.store.transaction(write=False) as tx:
            runs = tx.find(Run, orchestration=KEY)
        broken = [r for r in runs if r.status not in ("in_progress", "completed")]
        if broken:
            raise SystemExit(f"crash_driver: runs went wrong: {[(r.id, r.status, r.error) for r in broken]}")
        done = {r.record_id for r in runs if r.status == "completed"}
        return all(r.id in done for r in records.values())

    def run(self) -> None:
        while True:
            records = self.records()
            if self.finished(records):
                return
            moved = self.create_missing(records)
            moved += self.work_items({r.id: n for n, r in self.records().items()})
            moved += self.background()
            if not moved:
                time.sleep(0.05)  # waiting for the timer, or for a dead driver's jobs to go stale


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    url, total = argv[0], int(argv[1])
    log_path = argv[2] if len(argv) == 3 else default_log(url)
    driver = Driver(url, total, log_path)
    print("ready", flush=True)
    started = time.monotonic()
    driver.run()
    print(f"finished {total} runs in {time.monotonic() - started:.2f}s", flush=True)
    driver.store.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
