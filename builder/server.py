"""``overture serve``: the app on gunicorn with gevent workers (ARCHITECTURE §5, Serving).

Why gevent. A slow or idle client must cost memory, not a share of a fixed pool.
With threads (gunicorn ``gthread``) every connection that had not sent a whole
request header held a thread, and so did every open websocket: about 100 of either
stopped the server for everyone. A gevent worker serves each connection in a
greenlet (a few kilobytes), reads headers without blocking the others, and gives
up on a connection whose header is not complete within the header timeout.
flask-sock and simple-websocket run unchanged on it.

What that asks of the code. The standard library is monkey-patched before anything
imports ``ssl``, ``threading`` or psycopg: :func:`launch` replaces the ``overture
serve`` process with one that patches first (psycopg 3 then picks a wait function
that yields to other greenlets; the embedded worker, the live hub's poller and the
mailer become greenlets; SMTP and ``http.request`` sockets yield). Work that does
not wait on a socket — a query to SQLite, a CEL evaluation, JSON of a large
document — holds the whole process while it runs, so such work must stay short.

Limits (defaults in :data:`DEFAULTS`, set by ``OVERTURE_*`` variables):

- ``OVERTURE_HEADER_TIMEOUT`` (10 s): a connection must send a complete request
  header within this time of connecting or of its previous response, or it is
  closed; it is also how long an idle keep-alive connection is kept.
- ``OVERTURE_MAX_CONNECTIONS`` (10000): connections one process serves at once;
  beyond that new ones wait in the listen queue.
- Websockets per person and in all (``OVERTURE_WS_PER_USER``, ``OVERTURE_WS_TOTAL``):
  enforced by the app, :mod:`builder.sockets`.

Several processes (``--workers``) spread CPU over cores on PostgreSQL. Only one runs
the embedded worker (the one the master picks, and its replacement if it dies). That
is tidiness, not safety: jobs and timers are claimed in the database, so two workers
never run the same job.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

#: Settings ``overture serve`` reads from the environment, with their defaults.
DEFAULTS = {"OVERTURE_HEADER_TIMEOUT": 10, "OVERTURE_MAX_CONNECTIONS": 10_000}

# The serving process: patch first, import the app after (psycopg chooses how to wait on import).
_LAUNCH = "from gevent import monkey; monkey.patch_all(); from builder.server import main; main()"


def setting(name: str) -> int:
    """One of :data:`DEFAULTS`, from the environment; a bad value stops the server with its name."""
    from builder import sockets

    defaults = {**DEFAULTS, "OVERTURE_WS_PER_USER": sockets.DEFAULT_PER_USER, "OVERTURE_WS_TOTAL": sockets.DEFAULT_TOTAL}
    try:
        return sockets.positive_int(name, defaults[name])
    except ValueError as exc:
        raise SystemExit(f"overture serve: {exc}") from None


def launch(options: dict[str, Any], *, embedded_worker: bool) -> None:
    """Replace this process with the serving one (same pid: signals and process groups hold)."""
    payload = json.dumps({"options": options, "embedded_worker": embedded_worker})
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-c", _LAUNCH, payload])


def main() -> None:
    """Entry of the patched process that :func:`launch` starts."""
    from gevent import monkey

    if not monkey.is_module_patched("socket"):
        raise SystemExit("overture serve: run through builder.server.launch (the standard library is not patched)")
    args = json.loads(sys.argv[1])
    Server(args["options"], {}, embedded_worker=args["embedded_worker"]).run()


def raise_file_limit(wanted: int) -> int:
    """Lift the soft limit on open files towards ``wanted`` (at most the hard limit); the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


class Server(BaseApplication):  # type: ignore[misc]
    """gunicorn running ``builder.create_app(config)`` in each worker process.

    Args:
        options: gunicorn settings (``bind``, ``workers``...) over the defaults here.
        config: app config passed to ``create_app`` (``DATABASE_URL``...).
        embedded_worker: run the embedded worker in one of the processes.
    """

    def __init__(self, options: dict[str, Any], config: dict[str, Any], *, embedded_worker: bool = True):
        self.options = options
        self.config = config
        self.embedded_worker = embedded_worker
        self._holder: Any = None  # the gunicorn worker that runs the embedded worker (in the master)
        self._runs_worker = False  # in a worker process: whether this one runs it
        super().__init__()

    def load_config(self) -> None:
        connections = setting("OVERTURE_MAX_CONNECTIONS")
        settings = {
            "worker_class": "gevent",
            "workers": 1,
            "worker_connections": connections,
            # gevent's worker gives each request header this long (the first on a connection
            # too): a client that sends half a header is closed, and holds only a greenlet meanwhile.
            "keepalive": setting("OVERTURE_HEADER_TIMEOUT"),
            # The worker's loop beats every second whatever the sockets do, so `timeout`
            # only catches a process stuck in CPU work. Shutdown waits this long for sockets.
            "graceful_timeout": 10,
            # JSON logs (builder/logs.py) have a line per request of their own.
            "accesslog": None if os.environ.get("OVERTURE_LOG_FORMAT", "").strip().lower() == "json" else "-",
            # One control socket per user in $HOME would collide between servers.
            "control_socket_disable": True,
            "pre_fork": self._pre_fork,
            "post_fork": self._post_fork,
            "on_reload": self._on_reload,
            "worker_exit": _worker_exit,
            "child_exit": _child_exit,
            **self.options,
        }
        for name, value in settings.items():
            self.cfg.set(name, value)

    def run(self) -> None:
        # A connection is a socket, and an open websocket's SQLite connection a few files more.
        raise_file_limit(int(self.cfg.worker_connections) * 4 + 1024)
        super().run()

    def _pre_fork(self, server: Any, worker: Any) -> None:
        # In the master: the new process takes the embedded worker if nobody alive has it.
        if self.embedded_worker and self._holder not in server.WORKERS.values():
            self._holder = worker

    def _on_reload(self, server: Any) -> None:
        # HUP: new processes start before the old ones stop; the first new one takes over.
        self._holder = None

    def _post_fork(self, server: Any, worker: Any) -> None:
        # In the new process, before the app is loaded.
        self._runs_worker = worker is self._holder
        if self._runs_worker:
            server.log.info("Process %s runs the embedded worker (jobs and timers)", worker.pid)

    def load(self) -> Flask:
        from builder import create_app

        config = dict(self.config, HEARTBEAT=True)  # each process says it is alive (builder/health.py)
        if not self._runs_worker:
            config["EMBEDDED_WORKER"] = False
        app = create_app(config)
        # What the app holds for its life (modules, compiled statements, caches) leaves the
        # collector's generations: a full collection then scans only what requests made,
        # ~3 ms instead of a ~90 ms pause on one request in many (bench/README.md, pick list).
        gc.freeze()
        return app


def _child_exit(server: Any, worker: Any) -> None:
    """In the master: a process exited; its gauges (websockets, connections) stop counting."""
    from builder import prometheus

    prometheus.process_exited(worker.pid)


def _worker_exit(server: Any, worker: Any) -> None:
    """Stop the embedded worker and close the database pool when a process exits."""
    app = getattr(worker, "wsgi", None)
    state = getattr(app, "extensions", {}).get("overture")
    if state is not None:
        state.close()
