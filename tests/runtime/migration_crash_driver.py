"""A restartable migration worker for the crash test: ``python -m tests.runtime.migration_crash_driver DBURL MIGRATION_ID``.

It applies one persisted migration (see :func:`seed`) the way a worker does -
``Engine.finish_migration`` batch after batch, each run in its own transaction - and
exits 0 once the migration has completed. It keeps no state of its own, so it may be
killed with SIGKILL at any moment and started again: the next one takes the migration
over when the dead one's lease runs out (the production mechanism, with the lease cut
to :data:`LEASE` so the test need not wait a minute) and carries on from the results
already written.

Each run's move is slowed by :data:`DELAY` *inside* its transaction, so a kill usually
lands in the middle of a batch, often in the middle of a run's transaction.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta
from typing import Any

KEY = "contract"
BATCH = 5
DELAY = 0.02  # seconds per run, inside its transaction
LEASE = timedelta(seconds=1)
PEOPLE = {"alice": ["legal"], "fiona": ["finance"], "erin": ["compliance"]}


def document(*, compliance: bool) -> dict[str, Any]:
    """legal -> finance (-> compliance) -> end, one people step each; run ``n`` is its input."""
    from tests.runtime.docs import document as make
    from tests.runtime.docs import step

    done = {"fields": [], "outcomes": [{"value": "done", "label": "Done"}]}
    nodes = [
        {"id": "legal", "type": "stage", "label": "Legal"},
        step("review", stage="legal", label="Legal review", assignee={"type": "group", "value": "legal"}, form=done),
        {"id": "finance", "type": "stage", "label": "Finance"},
        step("approve", stage="finance", label="Budget approval", assignee={"type": "group", "value": "finance"}, form=done),
    ]
    edges: list[tuple[str, ...]] = [("start", "legal"), ("legal", "finance")]
    if compliance:
        nodes += [
            {"id": "compliance", "type": "stage", "label": "Compliance"},
            step("check", stage="compliance", label="Compliance check", assignee={"type": "group", "value": "compliance"}, form=done),
        ]
        edges += [("finance", "compliance"), ("compliance", "end")]
    else:
        edges.append(("finance", "end"))
    inputs = [{"name": "n", "type": "integer", "required": True}]
    return make(nodes, edges, key=KEY, label="Contract", inputs=inputs)


def engine_for(url: str, worker_id: str) -> Any:
    from runtime.clock import SystemClock
    from runtime.directory import InMemoryDirectory
    from runtime.engine import Engine
    from runtime.store.sql import SqlStore

    return Engine(SqlStore(url), SystemClock(), InMemoryDirectory(PEOPLE), autoprocess=False, worker_id=worker_id)


def seed(url: str, runs: int) -> str:
    """``runs`` runs at version 1 (odd ``n`` past legal, on finance), version 2 deployed, and a
    migration of them all to version 2 created (queued); returns its id."""
    from runtime.engine import Plan

    engine = engine_for(url, "seed")
    engine.deploy(document(compliance=False), by="seed")
    for n in range(runs):
        run_id = engine.start(KEY, {"n": n}, started_by="seed")
        if n % 2:
            (item,) = engine.work_items(run=run_id)
            engine.complete(item["id"], by="alice", outcome="done")
    assert engine.deploy(document(compliance=True), by="seed") == 2
    migration_id: str = engine.start_migration(Plan(KEY, 2), by="otto")
    engine.store.dispose()
    return migration_id


def apply(url: str, migration_id: str, *, slow: bool) -> dict[str, Any]:
    """Work on the migration until it has completed (taking it over from a dead worker); its view."""
    from runtime.engine.migration import batches
    from runtime.engine.migration.move import move_run

    batches.LEASE = LEASE
    if slow:

        def slowed(*args: Any, **kwargs: Any) -> Any:
            time.sleep(DELAY)
            return move_run(*args, **kwargs)

        vars(batches)["move_run"] = slowed  # batches looks it up at each call
    engine = engine_for(url, f"driver:{os.getpid()}")
    try:
        while True:
            view: dict[str, Any] = engine.finish_migration(migration_id, batch=BATCH)
            if view["status"] not in batches.PENDING:
                return view
            time.sleep(0.05)  # held by a dead worker whose lease has not run out yet
    finally:
        engine.store.dispose()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.splitlines()[0], file=sys.stderr)
        return 2
    url, migration_id = argv
    print("ready", flush=True)
    view = apply(url, migration_id, slow=True)
    print(f"{view['status']} moved={view['moved']} total={view['total']}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
