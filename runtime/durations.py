"""ISO-8601 durations (``P2D``, ``PT4H30M``, ``P1M``) added to aware datetimes."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

_PATTERN = re.compile(
    r"^P(?!$)(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)
#: No duration in a document may be longer: anything near it is a typo, and far longer
#: ones (P9999Y, P2147483648D) overflow the dates every run would compute with them.
MAX_YEARS = 100
_MAX = timedelta(days=366 * MAX_YEARS)


@dataclass(frozen=True)
class Duration:
    """Calendar months plus an exact time delta, as ISO-8601 durations mean."""

    months: int
    delta: timedelta
    text: str

    def after(self, moment: datetime) -> datetime:
        """The moment this duration after ``moment`` (months keep the day, clamped)."""
        if self.months:
            month_index = moment.month - 1 + self.months
            year = moment.year + month_index // 12
            month = month_index % 12 + 1
            day = min(moment.day, calendar.monthrange(year, month)[1])
            moment = moment.replace(year=year, month=month, day=day)
        return moment + self.delta


def parse_duration(text: str) -> Duration:
    """Parse an ISO-8601 duration or raise ``ValueError`` saying what is expected."""
    match = _PATTERN.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"{text!r} is not an ISO-8601 duration such as P2D, PT4H or P1M")
    parts = {k: float(v) if k == "seconds" else int(v) for k, v in match.groupdict().items() if v is not None}
    months = int(parts.get("years", 0)) * 12 + int(parts.get("months", 0))  # \d+ in the pattern: whole numbers
    too_long = ValueError(f"{text!r} is longer than {MAX_YEARS} years")
    if months > MAX_YEARS * 12:
        raise too_long
    try:
        delta = timedelta(
            weeks=parts.get("weeks", 0),
            days=parts.get("days", 0),
            hours=parts.get("hours", 0),
            minutes=parts.get("minutes", 0),
            seconds=parts.get("seconds", 0),
        )
    except OverflowError:
        raise too_long from None
    if delta + timedelta(days=31 * months) > _MAX:
        raise too_long
    return Duration(months=months, delta=delta, text=text)


def moment_problem(value: Any, now: datetime | None) -> str | None:
    """What is wrong with ``value`` as a timer's ``at`` time; ``None`` when it is fine.

    A timestamp (or an ISO-8601 date and time with an offset) within :data:`MAX_YEARS`
    years of ``now`` (any year when ``now`` is ``None``); further ones are typos, and
    near the ends of the calendar they overflow the dates computed from them.
    """
    moment = as_moment(value)
    shown = value.isoformat() if isinstance(value, datetime) else repr(value)
    if moment is None:
        return f"gave {shown}, not a date and time with an offset such as 2030-01-31T09:00:00Z"
    if now is None:
        return None
    try:
        distance = abs(moment - now)
    except OverflowError:
        distance = _MAX + _MAX
    if distance > _MAX:
        return f"gave {shown}, more than {MAX_YEARS} years from now"
    return None


def as_moment(value: Any) -> datetime | None:
    """A CEL timestamp or an ISO-8601 date and time with an offset, as an aware datetime; else ``None``."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            return None
    return value if isinstance(value, datetime) and value.tzinfo is not None else None
