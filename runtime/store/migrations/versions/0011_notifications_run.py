"""Notifications by run: a purge (runtime/retention.py) deletes a run's notifications with
it, a batch of runs at a time, without reading the whole table for each batch.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notifications_run", "notifications", ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_notifications_run", table_name="notifications")
