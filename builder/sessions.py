"""Server-side sessions of people signed in through the browser (ARCHITECTURE §8,
Sessions and passwords).

The cookie carries a random token and nothing else; the ``sessions`` table keeps its
SHA-256, whose person it is, when it began and when it was last used. Ending a session
is deleting its row, so a copied or old cookie opens nothing after sign-out, after a
password change, when the person is deactivated or when someone signs them out
everywhere. A session also ends after ``idle`` without a request and ``longest`` after
it began, whatever happens.

Helpers take a SQLAlchemy session and ``now``, and never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.orm import Session

from builder.tables import SessionRow
from runtime.durations import parse_duration
from runtime.store.tables import UserRow

DEFAULT_IDLE = timedelta(hours=8)
DEFAULT_LONGEST = timedelta(days=7)
#: last_seen_at is written at most this often per session, not on every request.
TOUCH_EVERY = timedelta(minutes=1)
#: Kept for the person's list of sessions; longer headers are cut.
_SHORT = 200


@dataclass(frozen=True)
class Found:
    """The session a cookie opens, with its person."""

    id: str
    user: UserRow
    last_seen_at: datetime


def limit(configured: Any, default: timedelta, setting: str) -> timedelta:
    """A timeout from its ``OVERTURE_*`` setting: an ISO-8601 duration such as PT8H or P7D."""
    if configured in (None, ""):
        return default
    if isinstance(configured, timedelta):
        return configured
    try:
        duration = parse_duration(str(configured))
    except ValueError as exc:
        raise ValueError(f"{setting}: {exc}") from None
    if duration.months or duration.delta <= timedelta(0):
        raise ValueError(f"{setting}: give a positive duration in weeks, days, hours or minutes (PT8H, P7D), not {configured!r}")
    return duration.delta


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(secret_key: bytes, token: str) -> str:
    """The session's CSRF token, derived from its token: nothing more to store or leak."""
    return hmac.new(secret_key, b"csrf:" + token.encode(), hashlib.sha256).hexdigest()


def start(
    session: Session, user_id: str, *, now: datetime, user_agent: str | None, address: str | None, idle: timedelta, longest: timedelta
) -> str:
    """A new session for ``user_id``; returns the token for the cookie (never stored).

    Sessions that timed out without their browser coming back are deleted on the way.
    """
    session.execute(delete(SessionRow).where(or_(SessionRow.last_seen_at <= now - idle, SessionRow.created_at <= now - longest)))
    token = secrets.token_urlsafe(32)
    session.add(
        SessionRow(
            id=_digest(token),
            user_id=user_id,
            created_at=now,
            last_seen_at=now,
            user_agent=(user_agent or "")[:_SHORT] or None,
            address=(address or "")[:_SHORT] or None,
        )
    )
    return token


def find(session: Session, token: str, *, now: datetime, idle: timedelta, longest: timedelta) -> Found | None:
    """The live session ``token`` opens, or None; a timed-out or orphaned one is deleted."""
    if not token or len(token) > 100:
        return None
    key = _digest(token)
    row = session.execute(select(SessionRow, UserRow).join(UserRow, UserRow.id == SessionRow.user_id).where(SessionRow.id == key)).first()
    if row is None:
        return None
    found, user = row
    if not user.active or now - found.last_seen_at >= idle or now - found.created_at >= longest:
        session.execute(delete(SessionRow).where(SessionRow.id == key))
        return None
    return Found(key, user, found.last_seen_at)


def alive(session: Session, session_id: str, *, now: datetime, idle: timedelta, longest: timedelta) -> bool:
    """Whether the session ``session_id`` (a row id, not a token) still opens anything."""
    row = session.execute(
        select(SessionRow.created_at, SessionRow.last_seen_at, UserRow.active)
        .join(UserRow, UserRow.id == SessionRow.user_id)
        .where(SessionRow.id == session_id)
    ).first()
    return row is not None and bool(row.active) and now - row.last_seen_at < idle and now - row.created_at < longest


def touch(session: Session, found: Found, *, now: datetime) -> None:
    """Move the idle timeout on, writing only when the last write is a minute old."""
    if now - found.last_seen_at >= TOUCH_EVERY:
        session.execute(update(SessionRow).where(SessionRow.id == found.id).values(last_seen_at=now))


def end(session: Session, session_id: str) -> None:
    session.execute(delete(SessionRow).where(SessionRow.id == session_id))


def end_all(session: Session, user_id: str, *, keep: str | None = None) -> int:
    """End every session of ``user_id`` (but ``keep``, the caller's own); how many ended."""
    statement = delete(SessionRow).where(SessionRow.user_id == user_id)
    if keep is not None:
        statement = statement.where(SessionRow.id != keep)
    # SQLAlchemy types Session.execute as a Result; a DELETE's is a CursorResult, with a rowcount.
    result = cast("CursorResult[Any]", session.execute(statement))
    return int(result.rowcount or 0)


def of_user(
    session: Session, user_id: str, *, current: str | None, now: datetime, idle: timedelta, longest: timedelta
) -> list[dict[str, Any]]:
    """The person's live sessions, newest use first, for them to see where they are signed in."""
    rows = session.scalars(
        select(SessionRow)
        .where(SessionRow.user_id == user_id, SessionRow.last_seen_at > now - idle, SessionRow.created_at > now - longest)
        .order_by(SessionRow.last_seen_at.desc(), SessionRow.created_at.desc())
    )
    return [
        {
            "started_at": r.created_at.isoformat(),
            "last_seen_at": r.last_seen_at.isoformat(),
            "user_agent": r.user_agent,
            "address": r.address,
            "current": r.id == current,
        }
        for r in rows
    ]
