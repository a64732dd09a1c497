"""Process heartbeats: every serving process and worker of a database says every few
seconds that it is alive (table ``processes``, migration 0017).

Readiness (``builder/health.py``) asks whether a process that runs background work beat
within :data:`FRESH` while jobs or timers are due; ``overture doctor`` lists the processes,
compares each one's clock with the database's and their server keys' fingerprints. Each
beat writes the database's time (``beat_at``: freshness is judged on one clock, the
database's) and the process's own (``clock_at``: the two differ by the process's clock
skew). A process that stops cleanly deletes its row; a row that has not beaten for a day
goes at the next beat of any process.

A beat is one small write every :data:`INTERVAL` seconds per process, in its own thread:
it costs the engine nothing. Only the SQL store keeps heartbeats - the in-memory store has
no other processes.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import platform
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from runtime.clock import Clock

log = logging.getLogger(__name__)

#: Seconds between two beats of a process.
INTERVAL = 10.0
#: A process whose last beat is older than this (by the database's clock) is taken for gone.
FRESH = timedelta(seconds=60)
#: Rows of processes silent for longer are deleted (a process killed without a goodbye).
FORGOTTEN = timedelta(days=1)


@dataclass
class ProcessBeat:
    """One process as its heartbeat row records it."""

    id: str
    kind: str  # web (a serving process) | worker (``overture worker``)
    host: str
    pid: int
    runs_worker: bool  # claims jobs and timers (a worker, or a server's embedded worker)
    started_at: datetime
    clock_at: datetime  # the process's clock at its last beat
    key_id: str | None = None  # :func:`key_id` of its server key
    beat_at: datetime | None = None  # the database's clock at its last beat (set by the store)


def key_id(key: str) -> str:
    """A short fingerprint of a server key: processes with different keys break each other's
    sessions and secrets, and the doctor compares fingerprints. Keyed with the key itself, and
    only 48 bits: it tells nothing about the key."""
    return hmac.new(key.encode(), b"overture process key id", hashlib.sha256).hexdigest()[:12]


class BeatStore(Protocol):
    """What a heartbeat needs of its store (:class:`~runtime.store.sql.SqlStore` has it)."""

    def beat(self, process: ProcessBeat) -> None: ...

    def forget_process(self, process_id: str) -> None: ...


class Heartbeat:
    """Beats for one process in a daemon thread until :meth:`stop`.

    Args:
        store: the SQL store of the process.
        clock: the clock the process acts on (its skew is what the doctor reports).
        process_id: the process's name in claims (the engine's ``worker_id``).
        kind: ``web`` or ``worker``.
        runs_worker: whether it claims jobs and timers.
        key: its server key (only a fingerprint is written).
    """

    def __init__(
        self,
        store: BeatStore,
        clock: Clock,
        process_id: str,
        *,
        kind: str,
        runs_worker: bool,
        key: str | None = None,
        interval: float = INTERVAL,
    ):
        self.store = store
        self.clock = clock
        self.interval = interval
        now = clock.now()
        self.process = ProcessBeat(
            id=process_id,
            kind=kind,
            host=platform.node(),
            pid=os.getpid(),
            runs_worker=runs_worker,
            started_at=now,
            clock_at=now,
            key_id=key_id(key) if key else None,
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        self.process.clock_at = self.clock.now()
        self.store.beat(self.process)

    def start(self) -> None:
        """Beat once now (the process is seen as soon as it is up), then every ``interval`` in a thread."""
        self._beat_once()
        self._thread = threading.Thread(target=self._run, name="overture-process-heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 1)
            self._thread = None
        try:
            self.store.forget_process(self.process.id)
        except Exception:  # the database is gone: the row ages out
            log.warning("heartbeat: could not remove this process's row", exc_info=True)

    def _beat_once(self) -> None:
        try:
            self.beat()
        except Exception:  # a dropped connection: the next beat tries again
            log.warning("heartbeat: beat failed", exc_info=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._beat_once()
