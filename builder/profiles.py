"""A person's own settings: display name, e-mail address and how often to be e-mailed,
password, and out of office (a delegate who takes their personal work for a while).

Helpers take a session and never commit; the API opens the transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from builder.cpu import check_password_hash
from runtime.errors import InvalidInput, NotFound
from runtime.store.tables import OutOfOfficeRow, UserRow

#: off: in-app notifications only; immediate: an e-mail each; digest: one e-mail a day.
EMAIL_MODES = ("off", "immediate", "digest")
#: The longest out-of-office period, and how far ahead it may end.
LONGEST_ABSENCE = timedelta(days=366)


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"{field}: {message}", {field: [message]})


def get_user(session: Session, username: str) -> UserRow:
    user = session.get(UserRow, username)
    if user is None:
        raise NotFound(f"no such user: {username}")
    return user


def display_names(session: Session, usernames: set[str]) -> dict[str, str]:
    if not usernames:
        return {}
    rows = session.execute(select(UserRow.id, UserRow.display_name).where(UserRow.id.in_(usernames)))
    return {name: display for name, display in rows}


def out_of_office_view(session: Session, username: str, now: datetime) -> dict[str, Any] | None:
    row = session.get(OutOfOfficeRow, username)
    if row is None:
        return None
    names = display_names(session, {name for name in (row.delegate_id, row.set_by) if name is not None})
    return {
        "delegate": row.delegate_id,
        "delegate_display_name": names.get(row.delegate_id, row.delegate_id),
        "starts_at": row.starts_at.isoformat(),
        "ends_at": row.ends_at.isoformat(),
        "active": row.starts_at <= now < row.ends_at,
        "set_by": row.set_by,
        "updated_at": row.updated_at.isoformat(),
    }


def set_out_of_office(
    session: Session, username: str, *, delegate: str, starts_at: datetime, ends_at: datetime, by: str, now: datetime
) -> None:
    """Replace ``username``'s out-of-office period; refused with a reason when it makes no sense."""
    get_user(session, username)
    if delegate == username:
        raise _invalid("delegate", "choose someone else; work cannot be delegated to yourself")
    other = session.get(UserRow, delegate)
    if other is None or not other.active:
        raise _invalid("delegate", f"{delegate} is not an active user")
    if ends_at <= starts_at:
        raise _invalid("ends_at", "the period must end after it starts")
    if ends_at <= now:
        raise _invalid("ends_at", "the period is already over")
    if ends_at - max(starts_at, now) > LONGEST_ABSENCE or ends_at > now + LONGEST_ABSENCE:
        raise _invalid("ends_at", "the period must end within a year")
    row = session.get(OutOfOfficeRow, username)
    if row is None:
        row = OutOfOfficeRow(user_id=username)
        session.add(row)
    row.delegate_id, row.starts_at, row.ends_at, row.set_by, row.updated_at = delegate, starts_at, ends_at, by, now


def clear_out_of_office(session: Session, username: str) -> None:
    get_user(session, username)
    row = session.get(OutOfOfficeRow, username)
    if row is not None:
        session.delete(row)


def profile_view(session: Session, user: UserRow, now: datetime) -> dict[str, Any]:
    return {
        "username": user.id,
        "display_name": user.display_name,
        "role": user.role,
        "email": user.email,
        "email_mode": user.email_mode,
        "out_of_office": out_of_office_view(session, user.id, now),
    }


def update_settings(user: UserRow, changes: dict[str, Any]) -> None:
    """Apply ``display_name``, ``email`` (None or "" clears it) and ``email_mode`` when given."""
    if "display_name" in changes:
        name = changes["display_name"].strip()
        if not name:
            raise _invalid("display_name", "must not be blank")
        user.display_name = name
    if "email" in changes:
        user.email = (changes["email"] or "").strip() or None
    if "email_mode" in changes:
        if changes["email_mode"] not in EMAIL_MODES:
            raise _invalid("email_mode", f"must be one of {', '.join(EMAIL_MODES)}")
        user.email_mode = changes["email_mode"]


def check_password(user: UserRow, password: str) -> bool:
    return bool(user.password_hash) and check_password_hash(user.password_hash or "", password)


def people(session: Session) -> list[dict[str, str]]:
    """Every active person, by display name: whom work can be delegated to."""
    rows = session.execute(
        select(UserRow.id, UserRow.display_name).where(UserRow.active.is_(True)).order_by(UserRow.display_name, UserRow.id)
    )
    return [{"username": name, "display_name": display} for name, display in rows]
