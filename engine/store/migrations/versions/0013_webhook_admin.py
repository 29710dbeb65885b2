"""webhook_subscription: deleted_at, so an admin's delete keeps the delivery log (issue 7)

Revision ID: 0013_webhook_admin
Revises: 0010_pack_builds
Create Date: 2026-11-23 16:30:00
"""
from alembic import op
import sqlalchemy as sa

import engine.store.models


revision = '0013_webhook_admin'
down_revision = '0010_pack_builds'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('webhook_subscription', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', engine.store.models.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('webhook_subscription', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
