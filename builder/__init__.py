"""Overture's web app: the REST API, the live stream, sign-in, and the front end.

``create_app(test_config=None)`` builds it; nothing connects to a database at import.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from flask import Flask

from runtime import limits

VAR = Path(os.environ.get("OVERTURE_VAR", "var"))


def server_key() -> str:
    """OVERTURE_SECRET_KEY, else one generated once and kept in var/secret_key (mode 600).

    It signs sessions and is what the secrets store's keys derive from: the web app and every
    `overture worker` of one database need the same one."""
    if os.environ.get("OVERTURE_SECRET_KEY"):
        return os.environ["OVERTURE_SECRET_KEY"]
    path = VAR / "secret_key"
    if not path.exists():
        VAR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def http_allowlist() -> list[str]:
    """The hosts ``http.request`` may call: OVERTURE_HTTP_ALLOWLIST, comma-separated."""
    return [h for h in os.environ.get("OVERTURE_HTTP_ALLOWLIST", "").split(",") if h]


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    from builder.live.subscribers import DEFAULT_INTERVAL
    from builder.sockets import DEFAULT_PER_USER, DEFAULT_TOTAL, positive_int

    app = Flask(__name__, static_folder=None)
    app.config.from_mapping(
        DATABASE_URL=os.environ.get("DATABASE_URL"),
        EMBEDDED_WORKER=os.environ.get("OVERTURE_EMBEDDED_WORKER", "1") != "0",
        HTTP_ALLOWLIST=http_allowlist(),
        # E-mail (builder/mail.py): nothing is queued or sent without OVERTURE_SMTP_URL.
        SMTP_URL=os.environ.get("OVERTURE_SMTP_URL"),
        BASE_URL=os.environ.get("OVERTURE_BASE_URL"),
        DIGEST_HOUR=os.environ.get("OVERTURE_DIGEST_HOUR"),
        MAIL_POLL=os.environ.get("OVERTURE_MAIL_POLL"),
        # Retention (runtime/retention.py): old runs purged nightly where background work runs.
        PURGE_OLDER_THAN=os.environ.get("OVERTURE_PURGE_OLDER_THAN"),
        PURGE_HOUR=os.environ.get("OVERTURE_PURGE_HOUR"),
        PURGE_ARCHIVE=os.environ.get("OVERTURE_PURGE_ARCHIVE"),
        # Logs and traces (builder/logs.py, builder/telemetry.py; README, "Operating Overture").
        LOG_FORMAT=os.environ.get("OVERTURE_LOG_FORMAT"),
        # Audit entries older than this are deleted by the same nightly purge (README, "Audit log").
        AUDIT_OLDER_THAN=os.environ.get("OVERTURE_AUDIT_OLDER_THAN"),
        # Prometheus (builder/prometheus/): off unless one of them is set.
        METRICS_TOKEN=os.environ.get("OVERTURE_METRICS_TOKEN"),
        METRICS_PORT=os.environ.get("OVERTURE_METRICS_PORT"),
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        # Open websockets per person and in all, per process (builder/sockets.py).
        WS_PER_USER=positive_int("OVERTURE_WS_PER_USER", DEFAULT_PER_USER),
        WS_TOTAL=positive_int("OVERTURE_WS_TOTAL", DEFAULT_TOTAL),
        # The least time between two /ws/live deltas to one client (builder/LIVE.md, Coalescing).
        LIVE_MIN_INTERVAL=positive_int("OVERTURE_LIVE_INTERVAL_MS", round(DEFAULT_INTERVAL * 1000)) / 1000,
        # Browsers answer pings: a socket whose peer vanished is closed within two intervals
        # (and frees its place under the caps); the server reads no large messages.
        SOCK_SERVER_OPTIONS={"ping_interval": 25, "max_message_size": 64 * 1024},
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("OVERTURE_SECURE_COOKIES", "0") == "1",
        JSON_SORT_KEYS=False,
        # A clock admins may move forward (builder/api/test_clock.py): end-to-end tests only.
        TEST_CLOCK=os.environ.get("OVERTURE_TEST_CLOCK", "0") not in ("", "0"),
    )
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = server_key()
    # The value caps and expression budget (runtime/limits.py): a bad OVERTURE_* value
    # stops the start here rather than failing the first request that needs it.
    limits.current()

    from builder import api, auth, errors, headers, health, inbox, live, logs, sockets, telemetry
    from builder.extensions import overture
    from builder.prometheus import web as prometheus
    from builder.sockets import sock

    logs.init_app(app)
    telemetry.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    overture.init_app(app)
    prometheus.init_app(app)
    sock.init_app(app)
    sockets.init_app(app)
    auth.init_app(app)
    api.init_app(app)
    if app.config["TEST_CLOCK"]:  # absent otherwise: its routes answer 404 like any unknown path
        from builder.api import test_clock

        app.register_blueprint(test_clock.bp)
    app.register_blueprint(health.bp)
    from builder import spa

    app.register_blueprint(spa.bp)
    spa.init_app(app)
    live.init_app(app)
    inbox.init_app(app)
    return app
