"""Who may see which runs, read from indexes alone (builder/queries.py, visibility): the
indexes a member's runs are found by carry the run's id - work items by assignee, by who
claimed and who completed them, runs by who started them - so the runs a member reaches are
read without visiting a row. Work items by assignee are ordered (assignee, status, type): the
runs list's pick list steps through the distinct assignees of open work one index probe each
(no query ever used its ``due_at``: My work sorts by an expression).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

#: (index, table, columns before, columns after)
WIDENED = (
    (
        "ix_work_items_assignee",
        "work_items",
        ["assignee_value", "status", "due_at"],
        ["assignee_value", "status", "assignee_type", "run_id"],
    ),
    ("ix_work_items_claimed_by", "work_items", ["claimed_by", "status"], ["claimed_by", "status", "run_id"]),
    ("ix_work_items_completed_by", "work_items", ["completed_by"], ["completed_by", "run_id"]),
    ("ix_runs_started_by", "runs", ["started_by"], ["started_by", "id"]),
)


def upgrade() -> None:
    for name, table, _before, after in WIDENED:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, after, unique=False)


def downgrade() -> None:
    for name, table, before, _after in WIDENED:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, before, unique=False)
