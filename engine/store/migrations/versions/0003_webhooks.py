"""webhooks: subscriptions, outbox, delivery attempts, inbound sources and log (issue 7)

Revision ID: 0003_webhooks
Revises: 0002_tasklist_users
Create Date: 2026-11-23 15:30:00
"""
from alembic import op
import sqlalchemy as sa

import engine.store.models


revision = '0003_webhooks'
down_revision = '0002_tasklist_users'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
_AT = engine.store.models.UTCDateTime


def upgrade() -> None:
    op.create_table('webhook_subscription',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('event_types', sa.JSON(), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', _AT(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('webhook_outbox',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('webhook_id', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', _AT(), nullable=True),
    sa.Column('created_at', _AT(), nullable=False),
    sa.Column('delivered_at', _AT(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['subscription_id'], ['webhook_subscription.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('webhook_id')
    )
    with op.batch_alter_table('webhook_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_outbox_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_outbox_subscription_id'), ['subscription_id'], unique=False)

    op.create_table('webhook_attempt',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('outbox_id', _ID, nullable=False),
    sa.Column('at', _AT(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['outbox_id'], ['webhook_outbox.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('webhook_attempt', schema=None) as batch_op:
        batch_op.create_index('ix_webhook_attempt_outbox', ['outbox_id', 'id'], unique=False)

    op.create_table('webhook_source',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('secret', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', _AT(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('inbound_webhook',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('webhook_id', sa.String(length=200), nullable=True),
    sa.Column('accepted_id', sa.String(length=200), nullable=True),
    sa.Column('received_at', _AT(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('instance_id', sa.String(length=36), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'accepted_id', name='uq_inbound_webhook_accepted')
    )


def downgrade() -> None:
    op.drop_table('inbound_webhook')
    op.drop_table('webhook_source')
    with op.batch_alter_table('webhook_attempt', schema=None) as batch_op:
        batch_op.drop_index('ix_webhook_attempt_outbox')
    op.drop_table('webhook_attempt')
    with op.batch_alter_table('webhook_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_outbox_subscription_id'))
        batch_op.drop_index('ix_webhook_outbox_due')
    op.drop_table('webhook_outbox')
    op.drop_table('webhook_subscription')
