"""task list: saved filters (shareable with a team) and account invites

Comments on tasks and cases need no table: each is an audit row (`comment.added`), append-only
by 0001's triggers, and so shown in the case timeline.

Revision ID: 0008_tasklist_filters_comments
Revises: 0009_api_tokens
Create Date: 2026-11-23 17:00:00
"""
from alembic import op
import sqlalchemy as sa

import engine.store.models

revision = '0008_tasklist_filters_comments'
down_revision = '0009_api_tokens'  # migrations chained in merge order
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('saved_filter',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('owner', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('tab', sa.String(length=20), nullable=False),
    sa.Column('process_key', sa.String(length=100), nullable=True),
    sa.Column('due', sa.String(length=20), nullable=True),
    sa.Column('team', sa.String(length=100), nullable=True),
    sa.Column('created_at', engine.store.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('owner', 'name', name='uq_saved_filter_owner_name'),
    )
    op.create_index('ix_saved_filter_team', 'saved_filter', ['team'], unique=False)
    op.create_table('account_invite',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', engine.store.models.UTCDateTime(), nullable=False),
    sa.Column('expires_at', engine.store.models.UTCDateTime(), nullable=False),
    sa.Column('used_at', engine.store.models.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_sha256'),
    )
    op.create_index('ix_account_invite_user_id', 'account_invite', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_account_invite_user_id', table_name='account_invite')
    op.drop_table('account_invite')
    op.drop_index('ix_saved_filter_team', table_name='saved_filter')
    op.drop_table('saved_filter')
