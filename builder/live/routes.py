"""The websocket routes: ``/ws/live`` (an orchestration's figures) and ``/ws/runs/<id>`` (a
run's events). The handshake is checked before the upgrade (an HTTP error, not a socket);
then each client gets its first message and, from its subscriber, what follows.

Who may watch: people with a session cookie (``builder.auth.screen_principal``).
``/ws/live`` needs the ops or admin role; ``/ws/runs/<id>`` any person who may see the
run (members: runs they started or worked on).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Blueprint, current_app, request
from marshmallow import fields, validate
from simple_websocket import ConnectionClosed

from builder.auth import close_if_session_ended, screen_principal
from builder.errors import ApiError
from builder.extensions import state
from builder.live.hub import hub
from builder.live.outlet import Outlet
from builder.live.snapshots import elements_of, resume, snapshot
from builder.live.subscribers import DEFAULT_INTERVAL, LiveSubscriber, RunSubscriber, encode
from builder.queries import may_see_run
from builder.requests import StrictSchema, query, uses
from builder.sockets import sock
from runtime import insights
from runtime.errors import NotFound
from runtime.model import Run

bp = Blueprint("live", __name__)


class LiveArgs(StrictSchema):
    orchestration = fields.String(required=True)
    version = fields.Integer(load_default=None, validate=validate.Range(min=1))
    window = fields.String(load_default="all", validate=validate.OneOf(tuple(insights.WINDOWS)))
    after = fields.Integer(load_default=None, validate=validate.Range(min=0))


@bp.before_request
def _authenticate() -> None:
    """Refuse the handshake itself (an HTTP error, not an upgraded socket)."""
    principal = screen_principal()
    if request.endpoint == "live.live_figures":
        if principal.role not in ("admin", "ops"):
            raise ApiError(403, "forbidden", f"live figures need the role ops or admin; you are {principal.role}")
        args = query(LiveArgs())
        try:
            elements_of(args["orchestration"], args["version"])
        except NotFound as exc:
            raise ApiError(404, "not_found", exc.message) from None
        request.environ["overture.live"] = args
    elif request.endpoint == "live.run_events":
        run_id = (request.view_args or {}).get("run_id", "")
        if not may_see_run(principal, run_id) or not _run_exists(run_id):
            raise ApiError(404, "not_found", f"run {run_id} does not exist")


def _run_exists(run_id: str) -> bool:
    with state().store.transaction(write=False) as tx:
        return tx.get(Run, run_id) is not None


def _send(ws: Any, message: dict[str, Any]) -> None:
    ws.send(encode(message))


def _serve(ws: Any, sub: LiveSubscriber | RunSubscriber, send_pending: Callable[[], None]) -> None:
    """Send what is pending, when the subscriber's pacing lets it (``sub.wait()``), until
    the client leaves or its session ends."""
    recheck = float(current_app.config.get("SESSION_RECHECK", 30.0))
    checked = time.monotonic()
    while ws.connected:
        if time.monotonic() - checked >= recheck:
            if close_if_session_ended(ws):
                return
            checked = time.monotonic()
        if not sub.ready.wait(timeout=min(1.0, recheck)):
            continue
        wait = sub.wait()
        if wait > 0:
            time.sleep(wait)
        send_pending()


@sock.route("/ws/live", bp=bp)
@uses(query=LiveArgs)
def live_figures(ws: Any) -> None:
    args = request.environ["overture.live"]
    key, version, window, after = args["orchestration"], args["version"], args["window"], args["after"]
    live = hub()
    sub = LiveSubscriber(key, version, window, interval=float(current_app.config.get("LIVE_MIN_INTERVAL", DEFAULT_INTERVAL)))
    live.subscribe_live(sub)
    try:
        first = resume(key, version, window, after) if after is not None else None
        if first is None:
            first = {"type": "snapshot", **snapshot(key, version, window)}
        sub.start_at(first, time.monotonic())
        outlet = ws.sock = Outlet(ws.sock)  # every write from here on, simple_websocket's too
        _send(ws, first)
        sub.attach(outlet)  # the hub writes the view's frames itself from now on

        def send_pending() -> None:
            # Woken for a frame it must hold to its pace, figures of its own, or a
            # backlog the hub left (a slow client): the backlog first, then the rest.
            if not outlet.flush():  # another greenlet is writing it (a pong): wait for that
                time.sleep(sub.interval)
                sub.ready.set()
                return
            wait = sub.wait()  # the backlog may have been part of a frame sent just now
            if wait > 0:
                time.sleep(wait)
            text = sub.take()
            if text is not None:
                ws.send(text)

        _serve(ws, sub, send_pending)
    except ConnectionClosed:
        pass
    finally:
        live.unsubscribe(sub)


@sock.route("/ws/runs/<run_id>", bp=bp)
def run_events(ws: Any, run_id: str) -> None:
    live = hub()
    live.catch_up()
    sub = RunSubscriber(run_id)
    upto = live.subscribe_run(sub)
    try:
        history = [e for e in state().engine.events(run_id) if e["seq"] <= upto]
        _send(ws, {"type": "history", "run_id": run_id, "seq": upto, "events": history})

        def send_pending() -> None:
            events = sub.take()
            if events:
                _send(ws, {"type": "events", "run_id": run_id, "seq": events[-1]["seq"], "events": events})

        _serve(ws, sub, send_pending)  # a run's events come a few at a time: not coalesced
    except ConnectionClosed:
        pass
    finally:
        live.unsubscribe(sub)
