"""The builder's own tables: API tokens, drafts, scenario tests, the e-mail outbox,
browser sessions and failed sign-ins.

Until this chain existed they were created by the runtime's migrations 0003, 0005,
0006 and 0008, so a database already past those has them, rows and all: this revision
adopts what is there and creates only what is missing (a table, or an index of a
table that is there). None of them changed shape after it was created, so a table
that exists is already in the shape below.

Revision ID: b0001
Revises:
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import SchemaItem

revision = "b0001"
down_revision = None
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _tables() -> list[tuple[str, list[SchemaItem], list[tuple[str, list[str], bool]]]]:
    """Each table as it is today: its name, columns and primary key (new objects on each
    call, as a column belongs to the one table it is given to), and its indexes
    ``(name, columns, unique)``."""
    return [
        (
            "api_tokens",
            [
                sa.Column("id", sa.String(), nullable=False),
                sa.Column("name", sa.String(), nullable=False),
                sa.Column("token_hash", sa.String(), nullable=False),
                sa.Column("created_by", sa.String(), nullable=True),
                sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
                sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
                sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
                sa.PrimaryKeyConstraint("id"),
            ],
            [("ix_api_tokens_hash", ["token_hash"], True)],
        ),
        (
            "drafts",
            [
                sa.Column("id", sa.String(), nullable=False),
                sa.Column("label", sa.String(), nullable=False),
                sa.Column("document", _JSON, nullable=False),
                sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
                sa.Column("updated_by", sa.String(), nullable=True),
                sa.Column("revision", sa.Integer(), nullable=False),
                sa.PrimaryKeyConstraint("id"),
            ],
            [],
        ),
        (
            "scenarios",
            [
                sa.Column("orchestration", sa.String(), nullable=False),
                sa.Column("name", sa.String(), nullable=False),
                sa.Column("source", sa.Text(), nullable=False),
                sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
                sa.Column("updated_by", sa.String(), nullable=True),
                sa.PrimaryKeyConstraint("orchestration", "name"),
            ],
            [],
        ),
        (
            "email_outbox",
            [
                sa.Column("id", sa.String(), nullable=False),
                sa.Column("dedupe_key", sa.String(), nullable=False),
                sa.Column("notification_id", sa.String(), nullable=True),
                sa.Column("work_item_id", sa.String(), nullable=True),
                sa.Column("user_id", sa.String(), nullable=False),
                sa.Column("address", sa.String(), nullable=False),
                sa.Column("subject", sa.String(), nullable=False),
                sa.Column("body", sa.Text(), nullable=False),
                sa.Column("kind", sa.String(), nullable=False),
                sa.Column("digest", sa.Boolean(), nullable=False),
                sa.Column("status", sa.String(), nullable=False),
                sa.Column("attempts", sa.Integer(), nullable=False),
                sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
                sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
                sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
                sa.Column("last_error", sa.Text(), nullable=True),
                sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
                sa.PrimaryKeyConstraint("id"),
            ],
            [("ix_email_outbox_dedupe", ["dedupe_key"], True), ("ix_email_outbox_due", ["status", "next_attempt_at"], False)],
        ),
        (
            "sessions",
            [
                sa.Column("id", sa.String(), nullable=False),
                sa.Column("user_id", sa.String(), nullable=False),
                sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
                sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
                sa.Column("user_agent", sa.String(), nullable=True),
                sa.Column("address", sa.String(), nullable=True),
                sa.PrimaryKeyConstraint("id"),
            ],
            [("ix_sessions_user", ["user_id"], False)],
        ),
        (
            "sign_in_failures",
            [
                sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
                sa.Column("address", sa.String(), nullable=False),
                sa.Column("username", sa.String(), nullable=False),
                sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
                sa.PrimaryKeyConstraint("id"),
            ],
            [
                ("ix_sign_in_failures_address", ["address", "failed_at"], False),
                ("ix_sign_in_failures_pair", ["address", "username", "failed_at"], False),
                ("ix_sign_in_failures_at", ["failed_at"], False),
            ],
        ),
    ]


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    present = set(inspector.get_table_names())
    for table, items, indexes in _tables():
        if table not in present:
            op.create_table(table, *items)
            have: set[str] = set()
        else:  # made by the runtime's chain before this one existed: keep it and its rows
            have = {i["name"] for i in inspector.get_indexes(table) if i["name"]}
        for name, columns, unique in indexes:
            if name not in have:
                op.create_index(name, table, columns, unique=unique)


def downgrade() -> None:
    for table, _, indexes in reversed(_tables()):
        for name, _, _ in indexes:
            op.drop_index(name, table_name=table)
        op.drop_table(table)
