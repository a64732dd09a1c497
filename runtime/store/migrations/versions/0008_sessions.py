"""Server-side sessions (signing out ends them) and failed sign-ins shared by every
process (throttling by address and user name).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sessions',
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('user_id', sa.String(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_agent', sa.String(), nullable=True),
    sa.Column('address', sa.String(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_sessions_user', 'sessions', ['user_id'], unique=False)
    op.create_table('sign_in_failures',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('address', sa.String(), nullable=False),
    sa.Column('username', sa.String(), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_sign_in_failures_address', 'sign_in_failures', ['address', 'failed_at'], unique=False)
    op.create_index('ix_sign_in_failures_pair', 'sign_in_failures', ['address', 'username', 'failed_at'], unique=False)
    op.create_index('ix_sign_in_failures_at', 'sign_in_failures', ['failed_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_sign_in_failures_at', table_name='sign_in_failures')
    op.drop_index('ix_sign_in_failures_pair', table_name='sign_in_failures')
    op.drop_index('ix_sign_in_failures_address', table_name='sign_in_failures')
    op.drop_table('sign_in_failures')
    op.drop_index('ix_sessions_user', table_name='sessions')
    op.drop_table('sessions')
