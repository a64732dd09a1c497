"""Moving runs to another version: each migration's plan and progress, and what it did
with each run (runtime/engine/migrations.py).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "migrations",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("orchestration", sa.String(), nullable=False),
        sa.Column("plan", _JSON, nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("moved", sa.Integer(), nullable=False),
        sa.Column("refused", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_migrations_orchestration", "migrations", ["orchestration", "created_at"], unique=False)
    op.create_index("ix_migrations_status", "migrations", ["status"], unique=False)
    op.create_table(
        "migration_results",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("migration_id", sa.String(), nullable=False),
        sa.Column("run_id", sa.String(), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=False),
        sa.Column("node", sa.String(), nullable=True),
        sa.Column("reasons", _JSON, nullable=False),
        sa.Column("notes", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_migration_results_migration", "migration_results", ["migration_id", "outcome", "run_id"], unique=False)
    op.create_index("ix_migration_results_run", "migration_results", ["run_id"], unique=False)


def downgrade() -> None:
    op.drop_table("migration_results")
    op.drop_table("migrations")
