"""What a scrape reads from the database, and the scrape itself.

Gauges of state — open and overdue work items per group or queue, jobs waiting per
action, timers due, the insight projector's lag — are counted by the store when
/metrics is scraped (:meth:`runtime.store.base.Transaction.operations`): exact whichever
process changed them, with labels as bounded as the groups, queues and actions.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from runtime import insights
from runtime.clock import Clock
from runtime.model import InsightCursor
from runtime.store.base import Store

log = logging.getLogger(__name__)

__all__ = ["CONTENT_TYPE_LATEST", "DatabaseGauges", "scrape"]


class DatabaseGauges(Collector):
    """The gauges read from the store at each scrape."""

    def __init__(self, store: Store, clock: Clock):
        self.store, self.clock = store, clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("overture_database_up", "Whether the last scrape could read the database (1) or not (0).")
        now = self.clock.now()
        try:
            with self.store.transaction(write=False) as tx:
                tx.begin_snapshot()
                ops = tx.operations(now)
                cursor = tx.get(InsightCursor, insights.CURSOR)
        except Exception:  # the process's own figures are still worth a scrape
            log.exception("metrics: reading the database failed")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        assignee = ("assignee_type", "assignee")
        items = GaugeMetricFamily("overture_work_items_open", "Open work items, by group or queue (empty: a person's).", labels=assignee)
        overdue = GaugeMetricFamily(
            "overture_work_items_overdue", "Open work items past due, by group or queue (empty: a person's).", labels=assignee
        )
        for kind, name, n, late in ops.work_items:
            items.add_metric([kind, name], n)
            overdue.add_metric([kind, name], late)
        jobs = GaugeMetricFamily(
            "overture_jobs", "Jobs by action and state (ready: due; scheduled: waiting to retry; running).", labels=("action", "state")
        )
        for action, state, n in ops.jobs:
            jobs.add_metric([action, state], n)
        timers = GaugeMetricFamily("overture_timers", "Timers waiting to fire.")
        timers.add_metric([], ops.timers)
        due = GaugeMetricFamily("overture_timers_due", "Timers past due and not fired yet.")
        due.add_metric([], ops.timers_due)
        oldest = GaugeMetricFamily("overture_timer_oldest_due_seconds", "How long the most overdue unfired timer has been due (0: none).")
        oldest.add_metric([], max((now - ops.oldest_due_timer).total_seconds(), 0.0) if ops.oldest_due_timer else 0.0)
        lag = GaugeMetricFamily("overture_projector_lag_events", "Events the insight projector has not counted yet.")
        lag.add_metric([], max(ops.last_event - (cursor.position if cursor else 0), 0))
        yield from (items, overdue, jobs, timers, due, oldest, lag)


def scrape(store: Store, clock: Clock) -> bytes:
    """The text exposition of every process's files and of the database gauges."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    registry.register(DatabaseGauges(store, clock))
    return generate_latest(registry)
