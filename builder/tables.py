"""SQLAlchemy tables only the builder uses: API tokens, browser sessions, failed
sign-ins, drafts, scenario tests and the e-mail outbox.

They have their own declarative base and metadata, and their own Alembic chain in
``builder/migrations`` (version table ``builder_alembic_version``, run by
:func:`builder.migrate.upgrade` after the runtime's), so the runtime neither creates
nor knows them. The rows the runtime reads as well - people, groups and queues,
memberships, out of office (``runtime/store/directory.py``), secrets
(``runtime/store/secrets.py``) and notifications (the notify action) - stay in
``runtime/store/tables.py`` with the runtime's migrations. No table here has a foreign
key; one to a runtime table would name the runtime table's Column object, since a
string reference only resolves within one metadata.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import Boolean, Index, Integer, String, Table, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from runtime.store.tables import EventId, Json, UTCDateTime


class Base(DeclarativeBase):
    """The builder's tables; the runtime's are in :class:`runtime.store.tables.Base`."""

    # As in runtime.store.tables: every mapping is a plain Table (SQLAlchemy's issue 9130).
    __table__: ClassVar[Table]


class ApiTokenRow(Base):
    """A bearer token for an external system; only its hash is kept."""

    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    name: Mapped[str] = mapped_column(String)
    token_hash: Mapped[str] = mapped_column(String)
    created_by: Mapped[str | None] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    __table_args__ = (Index("ix_api_tokens_hash", "token_hash", unique=True),)


class SessionRow(Base):
    """A signed-in browser (ARCHITECTURE §4, Sessions): the cookie holds a random token and
    only its SHA-256 is kept here, so ending a session is deleting its row."""

    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String, primary_key=True)  # SHA-256 of the cookie's token
    user_id: Mapped[str] = mapped_column(String)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    user_agent: Mapped[str | None] = mapped_column(String)  # for the person's list of sessions
    address: Mapped[str | None] = mapped_column(String)
    __table_args__ = (Index("ix_sessions_user", "user_id"),)


class SignInFailureRow(Base):
    """A failed sign-in, counted by address and user name to slow guessing down (shared by
    every server process, unlike memory)."""

    __tablename__ = "sign_in_failures"
    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    address: Mapped[str] = mapped_column(String)
    username: Mapped[str] = mapped_column(String)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        Index("ix_sign_in_failures_address", "address", "failed_at"),
        Index("ix_sign_in_failures_pair", "address", "username", "failed_at"),
        Index("ix_sign_in_failures_at", "failed_at"),
    )


class DraftRow(Base):
    """The document an admin is editing, saved on every change; activation deploys it."""

    __tablename__ = "drafts"
    id: Mapped[str] = mapped_column(String, primary_key=True)  # the orchestration key
    label: Mapped[str] = mapped_column(String)
    document: Mapped[Any] = mapped_column(Json)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str | None] = mapped_column(String)
    revision: Mapped[int] = mapped_column(Integer)


class ScenarioRow(Base):
    """A scenario test of an orchestration, as YAML (runtime/testing/SCENARIOS.md)."""

    __tablename__ = "scenarios"
    orchestration: Mapped[str] = mapped_column(String, primary_key=True)  # the orchestration key
    name: Mapped[str] = mapped_column(String, primary_key=True)  # a slug, unique per orchestration
    source: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_by: Mapped[str | None] = mapped_column(String)


class EmailOutboxRow(Base):
    """An e-mail to send (builder/mail.py): written in the same database as the work,
    claimed by one mailer, and sent at most once."""

    __tablename__ = "email_outbox"
    id: Mapped[str] = mapped_column(String, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String)  # "n:<notification>:<user>" or "r:<item>:<due_at>:<user>"
    notification_id: Mapped[str | None] = mapped_column(String)
    work_item_id: Mapped[str | None] = mapped_column(String)
    user_id: Mapped[str] = mapped_column(String)
    address: Mapped[str] = mapped_column(String)
    subject: Mapped[str] = mapped_column(String)
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String)  # assignment | reassignment | escalation | reminder
    digest: Mapped[bool] = mapped_column(Boolean)  # waits for the person's daily digest
    status: Mapped[str] = mapped_column(String)  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    __table_args__ = (
        Index("ix_email_outbox_dedupe", "dedupe_key", unique=True),
        Index("ix_email_outbox_due", "status", "next_attempt_at"),
    )
