"""The directory of people, groups and queues kept in the database (the accounts of
the web app), for the engine's permission checks, group expansions and delegates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from runtime.directory import Membership
from runtime.store.sql import SqlStore
from runtime.store.tables import GroupRow, MembershipRow, OutOfOfficeRow, UserRow


class SqlDirectory:
    """:class:`runtime.directory.Directory` over the ``users``/``groups``/``memberships``/``out_of_office`` tables."""

    def __init__(self, store: SqlStore):
        # Read-only: the engine asks while it holds a write transaction, and on SQLite a
        # second writer would wait for that one to end (a deadlock on the same thread).
        self._engine = store.engine.execution_options(overture_write=False)

    def user_exists(self, user: str) -> bool:
        with self._engine.connect() as conn:
            return conn.execute(select(UserRow.id).where(UserRow.id == user, UserRow.active.is_(True))).first() is not None

    def memberships(self, user: str) -> frozenset[Membership]:
        statement = (
            select(GroupRow.kind, GroupRow.id)
            .join(MembershipRow, MembershipRow.group_id == GroupRow.id)
            .where(MembershipRow.user_id == user)
        )
        with self._engine.connect() as conn:
            return frozenset((kind, name) for kind, name in conn.execute(statement))

    def members(self, kind: str, name: str) -> list[str]:
        statement = (
            select(MembershipRow.user_id)
            .join(GroupRow, GroupRow.id == MembershipRow.group_id)
            .join(UserRow, UserRow.id == MembershipRow.user_id)
            .where(GroupRow.id == name, GroupRow.kind == kind, UserRow.active.is_(True))
            .order_by(MembershipRow.user_id)
        )
        with self._engine.connect() as conn:
            return [row[0] for row in conn.execute(statement)]

    def delegate(self, user: str, at: datetime) -> str | None:
        statement = (
            select(OutOfOfficeRow.delegate_id)
            .join(UserRow, UserRow.id == OutOfOfficeRow.delegate_id)
            .where(OutOfOfficeRow.user_id == user, OutOfOfficeRow.starts_at <= at, OutOfOfficeRow.ends_at > at, UserRow.active.is_(True))
        )
        with self._engine.connect() as conn:
            return conn.execute(statement).scalar()
