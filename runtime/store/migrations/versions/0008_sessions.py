"""Server-side sessions (signing out ends them) and failed sign-ins shared by every
process (throttling by address and user name). Empty now: the tables are the builder's,
made by its own chain (builder/migrations, b0001); the revision stays so databases that
passed it keep their place in the chain.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the builder's chain (builder/migrations, b0001) makes the tables now


def downgrade() -> None:
    pass
