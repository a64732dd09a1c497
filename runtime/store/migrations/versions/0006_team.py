"""A team works with it: out of office (delegates), e-mail addresses and settings of
people. It made the outbox of e-mails to send too; that table is the builder's now,
in its own chain (builder/migrations, b0001).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "out_of_office",
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("delegate_id", sa.String(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by", sa.String(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_index("ix_notifications_created", "notifications", ["created_at"], unique=False)
    with op.batch_alter_table("work_items") as batch:
        batch.add_column(sa.Column("on_behalf_of", sa.String(), nullable=True))
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(), nullable=True))
        batch.add_column(sa.Column("email_mode", sa.String(), server_default="immediate", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email_mode")
        batch.drop_column("email")
    with op.batch_alter_table("work_items") as batch:
        batch.drop_column("on_behalf_of")
    op.drop_index("ix_notifications_created", table_name="notifications")
    op.drop_table("out_of_office")
