"""``overture serve``: the app on gunicorn, sized for many open websockets.

flask-sock keeps a thread for as long as a websocket is open, so the server uses
gunicorn's ``gthread`` workers: few processes, each with many threads. An idle socket
costs a thread stack and almost no CPU (the live hub polls the event log once per
process and fans out to its sockets), and the GIL means extra processes help only
CPU-bound load. Hence one process with 100 threads by default — about 100 open
sockets plus requests; a socket beyond that waits for a free thread — and, on
PostgreSQL, ``--workers 2-4`` to spread CPU over cores.

Only one process runs the embedded worker (the one the master picks, and its
replacement if it dies). That is tidiness, not safety: jobs and timers are claimed in
the database, so two workers never run the same job.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

#: Threads per process: the number of websockets (plus requests) one process serves at once.
DEFAULT_THREADS = 100


class Server(BaseApplication):  # type: ignore[misc]
    """gunicorn running ``builder.create_app(config)`` in each worker process.

    Args:
        options: gunicorn settings (``bind``, ``workers``, ``threads``...).
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
        settings = {
            "worker_class": "gthread",
            "workers": 1,
            "threads": DEFAULT_THREADS,
            # A websocket holds its thread; the worker's main loop keeps beating meanwhile,
            # so `timeout` only catches a stuck process. Shutdown waits this long for sockets.
            "graceful_timeout": 10,
            "keepalive": 5,
            "accesslog": "-",
            # One control socket per user in $HOME would collide between servers.
            "control_socket_disable": True,
            "pre_fork": self._pre_fork,
            "post_fork": self._post_fork,
            "on_reload": self._on_reload,
            "worker_exit": _worker_exit,
            **self.options,
        }
        for name, value in settings.items():
            self.cfg.set(name, value)

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

        config = dict(self.config)
        if not self._runs_worker:
            config["EMBEDDED_WORKER"] = False
        return create_app(config)


def _worker_exit(server: Any, worker: Any) -> None:
    """Stop the embedded worker and close the database pool when a process exits."""
    app = getattr(worker, "wsgi", None)
    state = getattr(app, "extensions", {}).get("overture")
    if state is not None:
        state.close()
