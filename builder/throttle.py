"""Failed sign-ins slow guessing down (ARCHITECTURE §8, Sessions and passwords).

Failures are rows in the database, so every server process counts the same ones. Two
limits, both over a sliding window:

- per (client address, user name): someone guessing one person's password from one
  place waits; the person themselves, from anywhere else, signs in as usual;
- per client address across user names: trying a few passwords on many people (a
  "spray") from one place waits too.

A browser where a person signed in before carries a device cookie for them (builder/auth.py)
and is held back by the per-user limit only, so a spray from an office's shared address
does not keep its people out.

A refused attempt is not checked at all (a correct guess must not get through a
throttle), and is not counted either, so waiting is enough to be let in again. A
success clears that pair's failures. Nothing is ever locked for everyone: an address
that failed does not hold back another address.

Helpers take a SQLAlchemy session and ``now``, and never commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.orm import Session

from builder.tables import SignInFailureRow

WINDOW = timedelta(minutes=15)
#: Wrong passwords for one user name from one address within WINDOW before it must wait.
PER_USER = 5
#: Wrong passwords from one address, whatever the user names, within WINDOW.
PER_ADDRESS = 20
#: User names are at most 64 characters; anything longer is counted by its start.
_NAME = 100


def key(username: str) -> str:
    """The user name as counted: case and surrounding spaces do not make another one."""
    return username.strip().lower()[:_NAME]


def _wait(session: Session, where: list[ColumnElement[bool]], allowed: int, now: datetime) -> float:
    """Seconds until fewer than ``allowed`` failures matching ``where`` are in the window."""
    times = list(
        session.scalars(
            select(SignInFailureRow.failed_at)
            .where(*where, SignInFailureRow.failed_at > now - WINDOW)
            .order_by(SignInFailureRow.failed_at.desc())
            .limit(allowed)
        )
    )
    if len(times) < allowed:
        return 0.0
    return max((times[-1] + WINDOW - now).total_seconds(), 1.0)


def wait(session: Session, address: str, username: str, now: datetime, *, known_browser: bool = False) -> float:
    """Seconds this address must wait before trying ``username`` again; 0 when it may try now.

    ``known_browser``: the browser shows it signed in as ``username`` before (a device
    cookie). A spray from a shared address (an office behind one NAT) then does not hold
    that person back; the per-user limit still applies.
    """
    by_address = SignInFailureRow.address == address
    pair = _wait(session, [by_address, SignInFailureRow.username == key(username)], PER_USER, now)
    return pair if known_browser else max(pair, _wait(session, [by_address], PER_ADDRESS, now))


def failed(session: Session, address: str, username: str, now: datetime) -> None:
    session.execute(delete(SignInFailureRow).where(SignInFailureRow.failed_at <= now - WINDOW))
    session.add(SignInFailureRow(address=address, username=key(username), failed_at=now))


def succeeded(session: Session, address: str, username: str) -> None:
    session.execute(delete(SignInFailureRow).where(SignInFailureRow.address == address, SignInFailureRow.username == key(username)))
