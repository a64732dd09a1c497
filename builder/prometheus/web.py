"""``GET /metrics`` and what the web app counts itself: HTTP requests and websockets.

Who may scrape: a request with ``Authorization: Bearer <OVERTURE_METRICS_TOKEN>``, or
any request that came in on the internal port (``OVERTURE_METRICS_PORT``, which ``overture
serve`` binds on ``OVERTURE_METRICS_HOST``, 127.0.0.1 by default). Which port a request
came in on is read from the accepted socket, not from a header a client could write.
"""

from __future__ import annotations

import hmac
import os
import time
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request

from builder.errors import error_response
from builder.extensions import state
from builder.prometheus import MetricsSettings, enable
from builder.prometheus.gauges import CONTENT_TYPE_LATEST, scrape
from builder.prometheus.meter import PrometheusMeter

bp = Blueprint("prometheus", __name__)

OFF = "metrics are off: set OVERTURE_METRICS_TOKEN (or OVERTURE_METRICS_PORT) and restart (README, Operating Overture)"


def _settings() -> MetricsSettings | None:
    found: MetricsSettings | None = current_app.extensions.get("overture_metrics")
    return found


def _on_internal_port(port: int | None) -> bool:
    sock = request.environ.get("gunicorn.socket")
    if port is None or sock is None:
        return False
    try:
        return int(sock.getsockname()[1]) == port
    except (OSError, IndexError, TypeError, ValueError):
        return False


@bp.get("/metrics")
def metrics() -> Any:
    settings = _settings()
    if settings is None:
        return error_response(404, "metrics_off", OFF)
    if not _on_internal_port(settings.port):
        if settings.token is None:
            return error_response(403, "forbidden", f"metrics are served on the internal port {settings.port} only")
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            response = error_response(401, "unauthorized", "metrics need the token: Authorization: Bearer <OVERTURE_METRICS_TOKEN>")
            response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
        if not hmac.compare_digest(header[len("Bearer ") :].strip().encode(), settings.token.encode()):
            return error_response(403, "forbidden", "the metrics token is wrong")
    body = scrape(state().store, state().engine.clock)
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def _started() -> None:
    g.metrics_started = time.perf_counter()


def _timed(meter: PrometheusMeter) -> Any:
    def finished(response: Response) -> Response:
        started = g.get("metrics_started")
        rule = request.url_rule.rule if request.url_rule is not None else "(unmatched)"
        if started is not None and not rule.startswith("/ws/"):  # a websocket's "request" lasts as long as it is open
            meter.http.labels(rule, request.method, str(response.status_code)).observe(time.perf_counter() - started)
        return response

    return finished


def init_app(app: Flask) -> None:
    """Read the settings (a bad value stops the start) and, when metrics are on, feed them."""
    settings = MetricsSettings.from_environment(
        {**os.environ, "OVERTURE_METRICS_TOKEN": app.config.get("METRICS_TOKEN"), "OVERTURE_METRICS_PORT": app.config.get("METRICS_PORT")}
    )
    app.register_blueprint(bp)
    if settings is None:
        return
    app.extensions["overture_metrics"] = settings
    meter = enable(settings)
    overture = app.extensions["overture"]
    overture.engine.ledger.meter = meter
    meter.watch_pool(overture.store.engine)
    app.extensions["overture_meter"] = meter
    app.before_request(_started)
    app.after_request(_timed(meter))


def meter() -> PrometheusMeter | None:
    """The app's meter (None: metrics are off)."""
    found: PrometheusMeter | None = current_app.extensions.get("overture_meter")
    return found
