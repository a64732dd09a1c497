"""What an engine reports as it works, for an operator's metrics.

The engine counts nothing itself. Given a :class:`Meter` (``engine.ledger.meter = ...``), it
hands it what each transaction did once that transaction has committed — the events
appended to run logs, the timers fired and how late — so a transaction retried after a
concurrent update is counted once, and one rolled back not at all. Claims of jobs and a
worker's heartbeats are reported as they happen. Without a meter the engine pays an
attribute check per event; with one, an append per event and a call per commit.

``builder/prometheus/`` turns these into Prometheus counters and histograms; gauges
(open work items, queue depth...) are read from the database when scraped, not here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

from runtime.model import Job, RunEvent


class Observed(NamedTuple):
    """An event appended to a run's log, with the orchestration and version of the run."""

    orchestration: str
    version: int
    event: RunEvent


class FiredTimer(NamedTuple):
    """A timer fired: its kind (``wait`` or ``escalation``) and how late, in seconds."""

    kind: str
    lag: float


class Meter(Protocol):
    """Receives what an engine did (every call is made outside any transaction)."""

    def committed(self, events: Sequence[Observed], timers: Sequence[FiredTimer]) -> None:
        """One transaction committed these events and fired these timers."""
        ...

    def claimed(self, jobs: Sequence[Job]) -> None:
        """These jobs were claimed (``claimed_at`` set; ``run_after`` is when they were due)."""
        ...

    def heartbeat(self, jobs_in_hand: int) -> None:
        """A worker is alive and holds this many jobs (once per heartbeat interval)."""
        ...
