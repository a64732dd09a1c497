"""Indexes for lists paged in SQL (builder/queries.py): the runs list walks runs newest
first by start time whatever the filter, work items are listed by record and by
orchestration (the monitor counts an orchestration's overdue items the same way), and a
member sees the runs they completed an item on (builder/queries.py, visibility).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_runs_started", "runs", ["started_at", "id"], unique=False)
    op.create_index("ix_work_items_record", "work_items", ["record_id", "status"], unique=False)
    op.create_index("ix_work_items_completed_by", "work_items", ["completed_by"], unique=False)
    op.create_index("ix_work_items_orchestration", "work_items", ["orchestration", "status", "due_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_work_items_orchestration", table_name="work_items")
    op.drop_index("ix_work_items_completed_by", table_name="work_items")
    op.drop_index("ix_work_items_record", table_name="work_items")
    op.drop_index("ix_runs_started", table_name="runs")
