"""Workers: claim background jobs and due timers from the store and run them, and
move runs of migrations to another version a batch at a time.

Any number of workers, in any number of processes, may share one PostgreSQL
database: jobs are claimed in one statement with ``FOR UPDATE SKIP LOCKED``, timers
by deleting their row. While a worker runs actions it sends heartbeats for the jobs
it holds; a job whose heartbeats stop (the worker died mid-action) is put back in
the queue with the same attempt number, so its next execution carries the same
idempotency key.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import timedelta

from runtime.engine import Engine

log = logging.getLogger(__name__)


class Worker:
    """Drains an engine's jobs and timers until stopped.

    Args:
        engine: built with ``autoprocess=False`` (the worker does the processing).
        poll_interval: seconds to wait when there is nothing to do.
        heartbeat_interval: seconds between heartbeats for the jobs in hand.
        stale_after: a running job without a heartbeat for this long is re-queued.
        batch: jobs claimed at a time (small keeps work spread across workers).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        poll_interval: float = 0.5,
        heartbeat_interval: float = 5.0,
        stale_after: timedelta = timedelta(seconds=60),
        batch: int = 10,
    ):
        self.engine = engine
        # This process runs what it schedules, so jobs may be claimed as they are created.
        engine.claim_inline = True
        self.poll_interval = poll_interval
        self.heartbeat_interval = heartbeat_interval
        self.stale_after = stale_after
        self.batch = batch
        self.stop_event = threading.Event()
        #: Set by :meth:`request_stop`; a plain flag, so a signal handler may set it.
        self.stopping = False
        self._threads: list[threading.Thread] = []
        self._migrations_due = 0.0

    def run(self, *, until_idle: bool = False) -> int:
        """Work until :meth:`stop` (or, with ``until_idle``, until nothing is left)."""
        if until_idle:
            self.stop_event.clear()  # a drain may follow an earlier one
        heart = threading.Thread(target=self._heartbeats, name="overture-heartbeat", daemon=True)
        heart.start()
        done = 0
        try:
            while not self.stop_event.is_set() and not self.stopping:
                try:
                    self.engine.store.requeue_stale(self.engine.clock.now(), self.stale_after)
                    handled = self.engine.process(limit=self.batch)
                    if handled == 0 or time.monotonic() >= self._migrations_due:
                        # A batch of a migration (runtime/engine/migrations.py) between jobs.
                        handled += self.engine.work_on_migrations()
                        self._migrations_due = time.monotonic() + self.poll_interval
                except Exception:  # keep the worker alive (a dropped connection); work is retried
                    log.exception("worker: processing failed")
                    handled = 0
                done += handled
                if handled == 0:
                    if until_idle:
                        break
                    self.stop_event.wait(self.poll_interval)
        finally:
            self.stop_event.set()  # ends the heartbeat thread
            try:
                self.engine.release_local_jobs()
            except Exception:
                log.exception("worker: could not hand back unstarted jobs; they are re-queued when stale")
            heart.join(timeout=self.heartbeat_interval + 1)
        return done

    def start(self) -> threading.Thread:
        """Run in a daemon thread (the server's embedded worker)."""
        thread = threading.Thread(target=self.run, name="overture-worker", daemon=True)
        thread.start()
        self._threads.append(thread)
        return thread

    def request_stop(self) -> None:
        """Ask :meth:`run` to finish after the current batch. Safe in a signal handler:
        it takes no lock (setting the Event there can deadlock with the loop's own wait)."""
        self.stopping = True

    def stop(self, timeout: float | None = 10) -> None:
        self.stop_event.set()
        for thread in self._threads:
            thread.join(timeout)

    def _heartbeats(self) -> None:
        while not self.stop_event.wait(self.heartbeat_interval):
            held = list(self.engine.jobs_in_hand)
            if self.engine.ledger.meter is not None:
                self.engine.ledger.meter.heartbeat(len(held))
            if held:
                try:
                    self.engine.store.heartbeat(held, self.engine.clock.now())
                except Exception:
                    log.exception("worker: heartbeat failed")
