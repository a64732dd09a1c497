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

An attempt is counted before its password is checked (:func:`claim`): a failure row
is written at once, under a lock per address, and a success takes it back with the
pair's other failures. Counting after the check let concurrent guesses through —
several requests, in one process or several, could each read "4 failures" and each
check a password — and a password hash takes long enough (~50 ms) for a script to
line them up. A refused attempt is not checked at all (a correct guess must not get
through a throttle), and is not counted either, so waiting is enough to be let in
again. Nothing is ever locked for everyone: an address that failed does not hold back
another address.

Helpers take a SQLAlchemy session and ``now``, and never commit.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
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


def claim(session: Session, address: str, username: str, now: datetime, *, known_browser: bool = False) -> float:
    """Count an attempt before its password is checked: 0, with a failure row written
    (:func:`succeeded` takes it back), when it may go on; else the seconds to wait, and
    nothing written. Commit before checking the password, so that the row counts for
    every other attempt at once."""
    _lock(session, address)
    seconds = wait(session, address, username, now, known_browser=known_browser)
    if not seconds:
        failed(session, address, username, now)
    return seconds


def _lock(session: Session, address: str) -> None:
    """Hold the attempts of one address back from each other until this transaction ends.

    PostgreSQL: an advisory lock on the address (both limits count per address), so
    two attempts cannot both read the count before either writes its row. SQLite needs
    nothing: a writing transaction starts with BEGIN IMMEDIATE (runtime/store/sql.py),
    which already lets one writer at a time in, across processes too.
    """
    if session.get_bind().dialect.name == "postgresql":
        number = int.from_bytes(hashlib.sha256(b"overture sign-in:" + address.encode()).digest()[:8], "big", signed=True)
        session.execute(select(func.pg_advisory_xact_lock(number)))


def failed(session: Session, address: str, username: str, now: datetime) -> None:
    session.execute(delete(SignInFailureRow).where(SignInFailureRow.failed_at <= now - WINDOW))
    session.add(SignInFailureRow(address=address, username=key(username), failed_at=now))


def succeeded(session: Session, address: str, username: str) -> None:
    session.execute(delete(SignInFailureRow).where(SignInFailureRow.address == address, SignInFailureRow.username == key(username)))
