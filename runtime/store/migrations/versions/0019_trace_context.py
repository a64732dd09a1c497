"""Trace context on jobs, timers and work items: the W3C ``traceparent`` of the span that
scheduled or created them, so the span of whichever worker runs a job or fires a timer
later continues that trace, and the span of completing a work item links to it
(runtime/tracing.py). NULL while tracing is off.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("trace_context", sa.String(), nullable=True))
    op.add_column("timers", sa.Column("trace_context", sa.String(), nullable=True))
    op.add_column("work_items", sa.Column("trace_context", sa.String(), nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN, SQLite's own too (3.35 and later): no batch, which would
    # rebuild work_items on SQLite and lose the triggers of 0016.
    for table in ("work_items", "timers", "jobs"):
        op.drop_column(table, "trace_context")
