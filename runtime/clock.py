"""Time for the engine: the system clock in production, a manual one in tests.

The core never reads the wall clock itself; everything asks the clock it was given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from runtime.durations import parse_duration


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to; listeners run after every move.

    The engine subscribes to fire timers that became due, so
    ``clock.advance(timedelta(days=3))`` is all a test needs.
    """

    def __init__(self, start: datetime | None = None):
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._listeners: list[Callable[[datetime], None]] = []

    def now(self) -> datetime:
        return self._now

    def subscribe(self, listener: Callable[[datetime], None]) -> None:
        self._listeners.append(listener)

    def advance(self, delta: timedelta | str) -> datetime:
        """Move forward by a timedelta or an ISO-8601 duration such as ``"P3D"``."""
        if isinstance(delta, str):
            target = parse_duration(delta).after(self._now)
        else:
            if delta < timedelta(0):
                raise ValueError("time does not go backwards")
            target = self._now + delta
        return self.set(target)

    def set(self, moment: datetime) -> datetime:
        if moment < self._now:
            raise ValueError("time does not go backwards")
        self._now = moment
        for listener in list(self._listeners):
            listener(moment)
        return moment


class MovableClock:
    """Another clock (the system's by default) plus an offset that only grows: the test
    clock of a server started with ``OVERTURE_TEST_CLOCK=1``, which admins move forward
    (``POST /api/test-clock``) so that timers, escalations and waits fall due in an
    end-to-end test. Never in production: ``overture doctor`` fails while it is set.
    """

    def __init__(self, base: Clock | None = None):
        self._base = base or SystemClock()
        self._offset = timedelta(0)

    @property
    def offset(self) -> timedelta:
        """How far ahead of its base clock this clock is."""
        return self._offset

    def now(self) -> datetime:
        return self._base.now() + self._offset

    def advance(self, delta: timedelta | str) -> datetime:
        """Move forward by a timedelta or an ISO-8601 duration such as ``"PT2H"``; the new time."""
        now = self.now()
        target = parse_duration(delta).after(now) if isinstance(delta, str) else now + delta
        if target < now:
            raise ValueError("time does not go backwards")
        self._offset += target - now
        return target
