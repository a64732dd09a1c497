"""A team works with it: out of office (delegates), e-mail addresses and settings of
people, and the outbox of e-mails to send.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('out_of_office',
    sa.Column('user_id', sa.String(), nullable=False),
    sa.Column('delegate_id', sa.String(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('set_by', sa.String(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id')
    )
    op.create_table('email_outbox',
    sa.Column('id', sa.String(), nullable=False),
    sa.Column('dedupe_key', sa.String(), nullable=False),
    sa.Column('notification_id', sa.String(), nullable=True),
    sa.Column('work_item_id', sa.String(), nullable=True),
    sa.Column('user_id', sa.String(), nullable=False),
    sa.Column('address', sa.String(), nullable=False),
    sa.Column('subject', sa.String(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('kind', sa.String(), nullable=False),
    sa.Column('digest', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index('ix_email_outbox_dedupe', 'email_outbox', ['dedupe_key'], unique=True)
    op.create_index('ix_email_outbox_due', 'email_outbox', ['status', 'next_attempt_at'], unique=False)
    op.create_index('ix_notifications_created', 'notifications', ['created_at'], unique=False)
    with op.batch_alter_table('work_items') as batch:
        batch.add_column(sa.Column('on_behalf_of', sa.String(), nullable=True))
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('email', sa.String(), nullable=True))
        batch.add_column(sa.Column('email_mode', sa.String(), server_default='immediate', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.drop_column('email_mode')
        batch.drop_column('email')
    with op.batch_alter_table('work_items') as batch:
        batch.drop_column('on_behalf_of')
    op.drop_index('ix_notifications_created', table_name='notifications')
    op.drop_index('ix_email_outbox_due', table_name='email_outbox')
    op.drop_index('ix_email_outbox_dedupe', table_name='email_outbox')
    op.drop_table('email_outbox')
    op.drop_table('out_of_office')
