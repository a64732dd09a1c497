"""Live insights: per node and edge figures (hourly buckets and all-time totals),
where each run is as the projector saw it, and the projector's cursor.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "insight_figures",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("orchestration", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("element", sa.String(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("waiting", sa.Integer(), nullable=False),
        sa.Column("error", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("taken", sa.Integer(), nullable=False),
        sa.Column("durations", _JSON, nullable=False),
        sa.Column("duration_count", sa.Integer(), nullable=False),
        sa.Column("duration_sum", sa.Float(), nullable=False),
        sa.Column("duration_min", sa.Float(), nullable=True),
        sa.Column("duration_max", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("insight_figures", schema=None) as batch_op:
        batch_op.create_index("ix_insight_figures_orchestration", ["orchestration", "hour", "version"], unique=False)

    op.create_table(
        "insight_positions",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("orchestration", sa.String(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("node", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("insight_positions", schema=None) as batch_op:
        batch_op.create_index("ix_insight_positions_run", ["run_id"], unique=False)

    cursors = op.create_table(
        "insight_cursors",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("position", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("skipped", _JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    # The projector's one cursor: existing events are counted from the start.
    op.bulk_insert(cursors, [{"id": "figures", "position": 0, "skipped": {}, "updated_at": None}])


def downgrade() -> None:
    op.drop_table("insight_cursors")
    with op.batch_alter_table("insight_positions", schema=None) as batch_op:
        batch_op.drop_index("ix_insight_positions_run")

    op.drop_table("insight_positions")
    with op.batch_alter_table("insight_figures", schema=None) as batch_op:
        batch_op.drop_index("ix_insight_figures_orchestration")

    op.drop_table("insight_figures")
