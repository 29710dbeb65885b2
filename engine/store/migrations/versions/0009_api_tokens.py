"""api_token: bearer tokens for the REST API, stored as sha256 hashes (issue 6)

Revision ID: 0009_api_tokens
Revises: 0011_reports_speed
Create Date: 2026-11-23 16:40:00
"""
from alembic import op
import sqlalchemy as sa

import engine.store.models


revision = '0009_api_tokens'
down_revision = '0011_reports_speed'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', engine.store.models.UTCDateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('last_used_at', engine.store.models.UTCDateTime(), nullable=True),
    sa.Column('revoked_at', engine.store.models.UTCDateTime(), nullable=True),
    sa.Column('revoked_by', sa.String(length=100), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_api_token_user_id', 'api_token', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_api_token_user_id', table_name='api_token')
    op.drop_table('api_token')
