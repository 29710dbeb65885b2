"""task list: local user accounts and their roles

Revision ID: 0002_tasklist_users
Revises: 0001
Create Date: 2026-11-23 15:00:00
"""
from alembic import op
import sqlalchemy as sa

import engine.store.models


revision = '0002_tasklist_users'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('user_account',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=True),
    sa.Column('team', sa.String(length=100), nullable=True),
    sa.Column('locality', sa.String(length=60), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', engine.store.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('username')
    )
    op.create_table('user_role',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'role')
    )
    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.create_index('ix_user_role_role', ['role'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('user_role', schema=None) as batch_op:
        batch_op.drop_index('ix_user_role_role')
    op.drop_table('user_role')
    op.drop_table('user_account')
