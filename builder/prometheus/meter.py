"""The counters and histograms of one process, and the engine's meter that feeds them.

Every metric is made with ``registry=None``: in multi-process mode a scrape reads the
files of every process (:func:`builder.prometheus.gauges.scrape`), not a registry.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy import event
from sqlalchemy.engine import Engine as SAEngine

from runtime.meter import FiredTimer, Observed
from runtime.model import Job

#: Time spent in a step or stage: people take minutes to weeks, background steps milliseconds.
NODE_BUCKETS = (0.01, 0.1, 1, 10, 60, 300, 900, 3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400, 30 * 86400)
#: Lateness of jobs and timers: the worker polls twice a second; minutes mean it is behind.
LAG_BUCKETS = (0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600)
#: HTTP requests: the API answers in milliseconds; a slow page should show.
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

#: Run events counted, each by orchestration and version.
_RUN_EVENTS = {"run.started": "started", "run.completed": "completed", "run.error": "failed", "run.cancelled": "cancelled"}


class PrometheusMeter:
    """The process's metrics; a :class:`runtime.meter.Meter` for the engine."""

    def __init__(self) -> None:
        run, node = ("orchestration", "version"), ("orchestration", "node")
        self.runs = {
            name: _counter(f"overture_runs_{name}", f"Runs {name}, by orchestration and version.", run) for name in _RUN_EVENTS.values()
        }
        self.step_duration = _histogram("overture_step_duration_seconds", "Time from a step's start to its completion.", node, NODE_BUCKETS)
        self.stage_duration = _histogram(
            "overture_stage_duration_seconds", "Time from entering a stage to completing it.", node, NODE_BUCKETS
        )
        self.step_errors = _counter("overture_step_errors", "Steps that failed (retries spent, or an expression failed).", node)
        self.action_attempts = _counter(
            "overture_action_attempts", "Attempts of actions (local ones too), by outcome (succeeded, failed).", ("action", "outcome")
        )
        self.job_lag = _histogram(
            "overture_job_lag_seconds", "Time from a job being due to a worker claiming it.", ("action",), LAG_BUCKETS
        )
        self.timer_lag = _histogram(
            "overture_timer_lag_seconds", "Time from a timer being due to it firing (wait, escalation).", ("kind",), LAG_BUCKETS
        )
        self.heartbeats = _counter("overture_worker_heartbeats", "Heartbeats of running workers (one per interval each).", ())
        self.jobs_in_hand = _gauge("overture_worker_jobs_in_hand", "Jobs workers hold now.", ())
        self.http = _histogram(
            "overture_http_request_duration_seconds",
            "HTTP requests, by route (the URL rule), method and status.",
            ("route", "method", "status"),
            HTTP_BUCKETS,
        )
        self.websockets = _gauge("overture_websocket_clients", "Open websockets, by route.", ("route",))
        self.pool_in_use = _gauge("overture_db_connections_in_use", "Database connections checked out of the pools.", ())
        self.pool_size = _gauge("overture_db_connections_max", "Connections the pools may open (size and overflow).", ())

    # -- runtime.meter.Meter

    def committed(self, events: Sequence[Observed], timers: Sequence[FiredTimer]) -> None:
        for key, version, e in events:
            t = e.type
            if t in _RUN_EVENTS:
                self.runs[_RUN_EVENTS[t]].labels(key, str(version)).inc()
            elif t == "step.completed" or t == "stage.completed":
                duration = e.data.get("duration")
                if isinstance(duration, (int, float)) and e.node is not None:
                    histogram = self.step_duration if t == "step.completed" else self.stage_duration
                    histogram.labels(key, e.node).observe(duration)
            elif t == "step.error" and e.node is not None:
                self.step_errors.labels(key, e.node).inc()
            elif t == "action.succeeded" or t == "action.failed":
                self.action_attempts.labels(str(e.data.get("action")), t.partition(".")[2]).inc()
        for kind, lag in timers:
            self.timer_lag.labels(kind).observe(max(lag, 0.0))

    def claimed(self, jobs: Sequence[Job]) -> None:
        for job in jobs:
            lag = (job.claimed_at - job.run_after).total_seconds() if job.claimed_at else 0.0
            self.job_lag.labels(job.action).observe(max(lag, 0.0))

    def heartbeat(self, jobs_in_hand: int) -> None:
        self.heartbeats.inc()
        self.jobs_in_hand.set(jobs_in_hand)

    # -- the database pool

    def watch_pool(self, engine: SAEngine) -> None:
        """Count ``engine``'s connections in use as they are checked out and back in."""
        pool: Any = engine.pool
        if hasattr(pool, "size") and hasattr(pool, "_max_overflow"):
            self.pool_size.inc(pool.size() + max(pool._max_overflow, 0))
        # On the engine, not the pool: the listeners follow it to the new pool of a dispose().
        event.listen(engine, "checkout", lambda *_: self.pool_in_use.inc())
        event.listen(engine, "checkin", lambda *_: self.pool_in_use.dec())


def _counter(name: str, doc: str, labels: Sequence[str]) -> Counter:
    return Counter(name, doc, labels, registry=None)


def _histogram(name: str, doc: str, labels: Sequence[str], buckets: Sequence[float]) -> Histogram:
    return Histogram(name, doc, labels, buckets=buckets, registry=None)


def _gauge(name: str, doc: str, labels: Sequence[str]) -> Gauge:
    """A gauge summed over the processes alive (a dead one's share is dropped)."""
    return Gauge(name, doc, labels, registry=None, multiprocess_mode="livesum")
