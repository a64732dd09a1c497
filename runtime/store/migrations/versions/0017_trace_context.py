"""Trace context on jobs and timers: the W3C ``traceparent`` of the span that scheduled
them, so the span of whichever worker runs a job or fires a timer later continues that
trace (runtime/tracing.py). NULL while tracing is off.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("trace_context", sa.String(), nullable=True))
    op.add_column("timers", sa.Column("trace_context", sa.String(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("timers") as batch:
        batch.drop_column("trace_context")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("trace_context")
