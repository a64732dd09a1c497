"""Prometheus metrics: ``GET /metrics`` (README, "Operating Overture" → "Metrics").

Off unless ``OVERTURE_METRICS_TOKEN`` or ``OVERTURE_METRICS_PORT`` is set; then every
process of a host — each gunicorn process of ``overture serve`` and each ``overture
worker`` — writes its counters and histograms to memory-mapped files in one directory
(``PROMETHEUS_MULTIPROC_DIR``, by default ``$OVERTURE_VAR/metrics``: prometheus_client's
multi-process mode), and a scrape of any one of them adds them all up.

Where each figure comes from:

- runs, steps, stages, job attempts and timers: the engine's :class:`~runtime.meter.Meter`
  (:mod:`.meter`), told after each commit what the transaction did: an increment per event;
- HTTP latency, websocket clients and database connections in use: counted where they
  happen (:mod:`.web`, :func:`.meter.watch_pool`);
- open and overdue work items, job queue depth, timers due and the insight projector's lag:
  read from the database when scraped (:mod:`.gauges`), so they are exact whoever changed them.

Labels stay bounded: orchestration keys, versions, node ids, actions, routes, groups
and queues — never a run id or a person.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from builder.prometheus.meter import PrometheusMeter

#: A shorter token is refused at start: it would be guessed.
MIN_TOKEN_LENGTH = 16


@dataclass(frozen=True)
class MetricsSettings:
    """``OVERTURE_METRICS_*``: who may scrape, and where the processes' figures meet."""

    #: Required as ``Authorization: Bearer <token>`` on /metrics (None: not on the public port).
    token: str | None
    #: An internal port the server also listens on, where /metrics needs no token (None: none).
    port: int | None
    #: Address of that port (default 127.0.0.1: only this host).
    host: str
    directory: Path

    @classmethod
    def from_environment(cls, env: Mapping[str, str | None]) -> MetricsSettings | None:
        """The settings, or None when metrics are off; a bad value raises ValueError naming it."""
        token = env.get("OVERTURE_METRICS_TOKEN") or None
        port_text = env.get("OVERTURE_METRICS_PORT") or None
        if token is None and port_text is None:
            return None
        if token is not None and len(token) < MIN_TOKEN_LENGTH:
            raise ValueError(f"OVERTURE_METRICS_TOKEN must be at least {MIN_TOKEN_LENGTH} characters long")
        port = None
        if port_text is not None:
            if not port_text.isdigit() or not 0 < int(port_text) < 65536:
                raise ValueError(f"OVERTURE_METRICS_PORT must be a port number (1-65535), not {port_text!r}")
            port = int(port_text)
        var = Path(env.get("OVERTURE_VAR") or "var")
        directory = Path(env.get("PROMETHEUS_MULTIPROC_DIR") or var / "metrics").resolve()
        return cls(token, port, env.get("OVERTURE_METRICS_HOST") or "127.0.0.1", directory)


_meter: PrometheusMeter | None = None


def enable(settings: MetricsSettings) -> PrometheusMeter:
    """This process's meter, writing to ``settings.directory`` (made on first use).

    The metrics of a process are created once: prometheus_client's files are per process.
    """
    global _meter
    if _meter is None:
        settings.directory.mkdir(parents=True, exist_ok=True)
        # prometheus_client reads the variable when a metric is made; processes started
        # from this one (gunicorn's, a worker's) inherit it.
        os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(settings.directory))
        from prometheus_client import values

        values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]  # multi-process, whenever prometheus_client was imported
        from builder.prometheus.meter import PrometheusMeter

        _meter = PrometheusMeter()
    return _meter


def clear(directory: Path) -> None:
    """Remove the files of processes that are gone (``overture serve`` does as it starts):
    a new start counts from zero, and an ``overture worker`` already running keeps its figures."""
    for path in directory.glob("*.db"):
        pid = path.stem.rpartition("_")[2]
        if not pid.isdigit() or not _alive(int(pid)):
            path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def process_exited(pid: int) -> None:
    """Forget the gauges of a process that exited (its counters stay counted); in the
    gunicorn master, which made no meter but has the directory in its environment."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
