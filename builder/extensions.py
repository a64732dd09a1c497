"""Objects created at import time and bound to an app in ``init_app`` (no I/O here)."""

from __future__ import annotations

import os
import socket
from typing import Any, cast

from flask import Flask, current_app
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.local import LocalProxy

from builder import mail
from builder.migrate import open_store
from runtime.clock import Clock, MovableClock, SystemClock
from runtime.engine import Engine
from runtime.heartbeat import Heartbeat
from runtime.retention import NightlyPurge, RetentionSettings
from runtime.store.directory import SqlDirectory
from runtime.store.secrets import SqlSecrets
from runtime.store.sql import SqlStore
from runtime.worker import Worker


class Overture:
    """Binds the runtime behind the app (store, engine, embedded worker) in ``init_app``."""

    def init_app(self, app: Flask) -> None:
        store = open_store(app.config.get("DATABASE_URL"))
        clock: Clock = app.config.get("CLOCK") or SystemClock()
        if app.config.get("TEST_CLOCK") and not isinstance(clock, MovableClock):
            clock = MovableClock(clock)  # admins move it forward (builder/api/test_clock.py)
        secrets = SqlSecrets(store.engine, app.config["SECRET_KEY"])
        engine = Engine(
            store,
            clock,
            SqlDirectory(store),
            autoprocess=bool(app.config.get("AUTOPROCESS", False)),
            # Its own name in claims and leases: two server processes (or a server and
            # `overture migrate`) must not both think they hold one migration.
            worker_id=app.config.get("WORKER_ID") or f"{socket.gethostname()}:{os.getpid()}:{id(app):x}",
            settings={"http_allowlist": list(app.config.get("HTTP_ALLOWLIST", []))},
            secrets=secrets,
        )
        state = _State(store, engine, sessionmaker(store.engine, expire_on_commit=False), secrets)
        mailer = mail.from_environment(
            {
                "OVERTURE_SMTP_URL": app.config.get("SMTP_URL"),
                "OVERTURE_BASE_URL": app.config.get("BASE_URL"),
                "OVERTURE_DIGEST_HOUR": app.config.get("DIGEST_HOUR"),
            },
            store.engine,
            clock,
        )
        purging = RetentionSettings.from_environment(
            {
                "OVERTURE_PURGE_OLDER_THAN": app.config.get("PURGE_OLDER_THAN"),
                "OVERTURE_PURGE_HOUR": app.config.get("PURGE_HOUR"),
                "OVERTURE_PURGE_ARCHIVE": app.config.get("PURGE_ARCHIVE"),
                "OVERTURE_AUDIT_OLDER_THAN": app.config.get("AUDIT_OLDER_THAN"),
            }
        )
        if app.config.get("EMBEDDED_WORKER", True):
            state.worker = Worker(engine, poll_interval=float(app.config.get("WORKER_POLL", 0.5)))
            state.worker.start()
            if mailer is not None:  # e-mail goes out where background work runs
                state.mail_runner = mail.MailRunner(mailer, mail.poll_interval({"OVERTURE_MAIL_POLL": app.config.get("MAIL_POLL")}))
                state.mail_runner.start()
            if purging is not None:  # so does the nightly purge
                state.nightly_purge = NightlyPurge(store, purging, clock)
                state.nightly_purge.start()
        # Readiness and the doctor see a process by its heartbeat: every one that runs background
        # work, wherever the app is served, and every one `overture serve` starts (builder/server.py).
        if app.config.get("HEARTBEAT", state.worker is not None):
            state.heartbeat = Heartbeat(
                store, clock, engine.worker_id, kind="web", runs_worker=state.worker is not None, key=app.config["SECRET_KEY"]
            )
            state.heartbeat.start()
        app.extensions["overture"] = state


class _State:
    def __init__(self, store: SqlStore, engine: Engine, sessions: sessionmaker[Session], secrets: SqlSecrets):
        self.store = store
        self.engine = engine
        self.sessions = sessions
        self.secrets = secrets
        self.worker: Worker | None = None
        self.mail_runner: mail.MailRunner | None = None
        self.nightly_purge: NightlyPurge | None = None
        self.heartbeat: Heartbeat | None = None

    def close(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.stop()
        if self.mail_runner is not None:
            self.mail_runner.stop()
        if self.nightly_purge is not None:
            self.nightly_purge.stop()
        if self.worker is not None:
            self.worker.stop()
        self.store.dispose()


overture = Overture()


def state() -> _State:
    found: _State = current_app.extensions["overture"]
    return found


def real_app() -> Flask:
    """The app behind ``current_app``, for what outlives the request (a thread, a cache)."""
    # Flask types current_app as the Flask it stands for; it is a LocalProxy of it.
    proxy = cast("LocalProxy[Flask]", current_app)
    return proxy._get_current_object()


def engine() -> Engine:
    return state().engine


def db() -> sessionmaker[Session]:
    """``with db().begin() as session:`` — a transaction opened at the edge."""
    return state().sessions


def config(name: str, default: Any = None) -> Any:
    return current_app.config.get(name, default)
