"""One process of the two-process metrics test (tests/builder/test_prometheus.py).

Run as ``python -m tests.builder.metered_process STARTED COMPLETED SECONDS`` with
PROMETHEUS_MULTIPROC_DIR set: starts STARTED runs of ``twoproc`` on an in-memory engine
with the Prometheus meter, and completes COMPLETED of them SECONDS after they started.
"""

from __future__ import annotations

import os
import sys

from builder.prometheus import MetricsSettings, enable
from runtime.clock import ManualClock
from runtime.directory import InMemoryDirectory
from runtime.engine import Engine
from runtime.store.memory import InMemoryStore

DOCUMENT = {
    "format": 1,
    "key": "twoproc",
    "label": "Two processes",
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "check", "type": "stage", "label": "Check"},
        {
            "id": "look",
            "type": "interactive",
            "stage": "check",
            "label": "Look at it",
            "assignee": {"type": "group", "value": "legal"},
            "form": {"fields": [], "outcomes": [{"value": "ok", "label": "OK"}]},
        },
        {"id": "done", "type": "end"},
    ],
    "edges": [{"id": "e1", "source": "start", "target": "check"}, {"id": "e2", "source": "check", "target": "done"}],
}


def main() -> None:
    started, completed, seconds = (int(a) for a in sys.argv[1:4])
    settings = MetricsSettings.from_environment({**os.environ, "OVERTURE_METRICS_TOKEN": "t" * 16})
    assert settings is not None
    clock = ManualClock()
    engine = Engine(InMemoryStore(), clock, InMemoryDirectory({"alice": ["legal"]}))
    engine.ledger.meter = enable(settings)
    engine.deploy(DOCUMENT)
    runs = [engine.start("twoproc") for _ in range(started)]
    clock.advance(f"PT{seconds}S")
    for run_id in runs[:completed]:
        (item,) = engine.work_items(run=run_id)
        engine.complete(item["id"], by="alice", outcome="ok")


if __name__ == "__main__":
    main()
