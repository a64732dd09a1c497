"""Scenario tests stored per orchestration, for the builder's Tests panel
(runtime/testing/SCENARIOS.md, "In the builder"). Empty now: the table is the
builder's, made by its own chain (builder/migrations, b0001); the revision stays so
databases that passed it keep their place in the chain.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""

from __future__ import annotations

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the builder's chain (builder/migrations, b0001) makes the table now


def downgrade() -> None:
    pass
