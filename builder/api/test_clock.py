"""The test clock (``OVERTURE_TEST_CLOCK=1`` only): admins move the server's time forward
so that an end-to-end test's ``advance`` steps make timers, escalations and waits fall due.

The blueprint is registered only on a server started with the setting (``create_app``):
anywhere else the routes do not exist and answer 404 like any unknown path. Sessions and
sign-in throttling keep real time (``SESSION_CLOCK``), so moving by days signs nobody out.
The clock lives in the server's process: a separate ``overture worker`` does not see it
(the server's embedded worker, and the request itself, fire what fell due).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, jsonify
from marshmallow import ValidationError, fields, validates

from builder.auth import caller, roles
from builder.extensions import engine
from builder.requests import StrictSchema, body, uses
from runtime.clock import MovableClock
from runtime.durations import parse_duration

bp = Blueprint("test_clock", __name__, url_prefix="/api/test-clock")
log = logging.getLogger(__name__)


class Advance(StrictSchema):
    advance = fields.String(required=True, metadata={"description": "an ISO-8601 duration, e.g. PT2H or P3D"})

    @validates("advance")
    def _duration(self, value: str, **_: Any) -> None:
        try:
            parse_duration(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None


def _clock() -> MovableClock:
    clock = engine().clock
    if not isinstance(clock, MovableClock):  # create_app gives the engine one whenever this blueprint is registered
        raise RuntimeError("the test clock is registered, but the engine's clock is not movable")
    return clock


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
    clock.advance(data["advance"])
    log.warning("test clock moved forward %s by %s; it is now %s", data["advance"], caller().name, clock.now().isoformat())
    processed = engine().process()
    return jsonify(_view(clock, processed))
