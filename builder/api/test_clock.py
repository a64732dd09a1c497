"""The test clock (``OVERTURE_TEST_CLOCK=1`` only): admins move the server's time forward
so that an end-to-end test's ``advance`` steps make timers, escalations and waits fall due.

The blueprint is registered only on a server started with the setting (``create_app``):
anywhere else the routes do not exist and answer 404 like any unknown path. Sessions and
sign-in throttling keep real time (``SESSION_CLOCK``), so moving by days signs nobody out.
The clock lives in the server's process: a separate ``overture worker``, or another process
of ``overture serve --workers N``, does not see it (the server's embedded worker, and the
request itself, fire what fell due), so a test server runs one process.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, jsonify
from marshmallow import ValidationError, fields, validate, validates

from builder.auth import caller, roles
from builder.errors import ApiError
from builder.extensions import engine
from builder.requests import StrictSchema, body, uses
from runtime.clock import MovableClock
from runtime.durations import parse_duration
from runtime.engine.context import require_run
from runtime.errors import Conflict
from runtime.model import Timer

bp = Blueprint("test_clock", __name__, url_prefix="/api/test-clock")
log = logging.getLogger(__name__)
#: ``{"advance": "next", "run": id}``: to the run's next timer, as a scenario's ``advance: next``.
NEXT = "next"


class Advance(StrictSchema):
    advance = fields.String(
        required=True, metadata={"description": "an ISO-8601 duration (PT2H, P3D), or `next`: to the next timer of `run`"}
    )
    run = fields.String(load_default=None, validate=validate.Length(min=1, max=64), metadata={"description": "with `next`: the run"})

    @validates("advance")
    def _duration(self, value: str, **_: Any) -> None:
        if value == NEXT:
            return
        try:
            parse_duration(value)
        except ValueError as exc:
            raise ValidationError(f"{exc}, or next") from None


def _clock() -> MovableClock:
    clock = engine().clock
    if not isinstance(clock, MovableClock):  # create_app gives the engine one whenever this blueprint is registered
        raise RuntimeError("the test clock is registered, but the engine's clock is not movable")
    return clock


def _next_timer(run_id: str | None) -> datetime:
    """When the run's earliest timer falls due (a timeout, an escalation, a wait)."""
    if run_id is None:
        raise ApiError(422, "invalid", "advance: next needs the run whose next timer to go to", {"run": ["required with next"]})
    with engine().store.transaction(write=False) as tx:
        require_run(tx, run_id)
        due = [t.due_at for t in tx.find(Timer, run_id=run_id)]
    if not due:
        raise Conflict(f"run {run_id} has no timer waiting to fire")
    return min(due)


def _view(clock: MovableClock, fired: int | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {"now": clock.now().isoformat(), "offset_seconds": clock.offset.total_seconds()}
    if fired is not None:
        view["processed"] = fired
    return view


@bp.get("")
@uses()
@roles("admin", "ops")
def read_clock() -> Any:
    """The server's time and how far it was moved ahead of real time."""
    return jsonify(_view(_clock()))


@bp.post("")
@uses(Advance)
@roles("admin")
def advance_clock() -> Any:
    """Move the server's time forward; what fell due (timers, jobs) is processed before the answer."""
    data = body(Advance())
    clock = _clock()
    if data["advance"] == NEXT:
        clock.advance(max(_next_timer(data["run"]) - clock.now(), timedelta(0)))
    else:
        clock.advance(data["advance"])
    log.warning("test clock moved forward %s by %s; it is now %s", data["advance"], caller().name, clock.now().isoformat())
    processed = engine().process()
    return jsonify(_view(clock, processed))
