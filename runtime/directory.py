"""Who is who: the engine asks a directory which groups and queues a person is in.

The web app's accounts implement :class:`Directory`; tests use :class:`InMemoryDirectory`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Protocol

Membership = tuple[str, str]  # ("group" | "queue", name)


class Directory(Protocol):
    def user_exists(self, user: str) -> bool: ...

    def memberships(self, user: str) -> frozenset[Membership]:
        """Every ("group", name) and ("queue", name) the user belongs to."""
        ...

    def members(self, kind: str, name: str) -> list[str]:
        """User names in a group or queue, sorted."""
        ...

    def delegate(self, user: str, at: datetime) -> str | None:
        """Who takes the user's personal work at ``at`` (they are out of office), or None."""
        ...


class InMemoryDirectory:
    """A directory from plain data: ``{"alice": ["legal"]}`` plus queues.

    Args:
        groups: user name -> names of the groups the user is in.
        queues: queue name -> user names that work the queue.
    """

    def __init__(self, groups: Mapping[str, Iterable[str]] | None = None, queues: Mapping[str, Iterable[str]] | None = None):
        self._users: dict[str, set[Membership]] = {}
        self._away: dict[str, tuple[str, datetime | None, datetime | None]] = {}
        for user, names in (groups or {}).items():
            self.add_user(user, groups=names)
        for queue, users in (queues or {}).items():
            for user in users:
                self._users.setdefault(user, set()).add(("queue", queue))

    def add_user(self, user: str, *, groups: Iterable[str] = (), queues: Iterable[str] = ()) -> None:
        entry = self._users.setdefault(user, set())
        entry.update(("group", g) for g in groups)
        entry.update(("queue", q) for q in queues)

    def user_exists(self, user: str) -> bool:
        return user in self._users

    def memberships(self, user: str) -> frozenset[Membership]:
        return frozenset(self._users.get(user, ()))

    def members(self, kind: str, name: str) -> list[str]:
        return sorted(u for u, m in self._users.items() if (kind, name) in m)

    def set_delegate(self, user: str, delegate: str | None, starts_at: datetime | None = None, ends_at: datetime | None = None) -> None:
        """``user`` is out of office from ``starts_at`` until ``ends_at`` (None: open-ended);
        ``delegate=None`` clears it."""
        if delegate is None:
            self._away.pop(user, None)
        else:
            self._away[user] = (delegate, starts_at, ends_at)

    def delegate(self, user: str, at: datetime) -> str | None:
        entry = self._away.get(user)
        if entry is None:
            return None
        delegate, starts_at, ends_at = entry
        if (starts_at is not None and at < starts_at) or (ends_at is not None and at >= ends_at):
            return None
        return delegate if self.user_exists(delegate) else None
