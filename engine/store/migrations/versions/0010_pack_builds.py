"""pack_build: case and meeting packs built in the background for the admin pages (issue 5)

Revision ID: 0010_pack_builds
Revises: 0007_assignee_order
Create Date: 2026-11-23 16:40:00
"""
from alembic import op
import sqlalchemy as sa

import engine.store.models


revision = '0010_pack_builds'
down_revision = '0007_assignee_order'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('pack_build',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('target', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('steps_done', sa.Integer(), nullable=False),
    sa.Column('steps_total', sa.Integer(), nullable=False),
    sa.Column('step_label', sa.String(length=200), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('requested_by', sa.String(length=100), nullable=False),
    sa.Column('requested_at', engine.store.models.UTCDateTime(), nullable=False),
    sa.Column('updated_at', engine.store.models.UTCDateTime(), nullable=False),
    sa.Column('finished_at', engine.store.models.UTCDateTime(), nullable=True),
    sa.Column('docx', sa.LargeBinary(), nullable=True),
    sa.Column('zip', sa.LargeBinary(), nullable=True),
    sa.Column('xlsx', sa.LargeBinary(), nullable=True),
    sa.Column('pdf', sa.LargeBinary(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_pack_build_status', 'pack_build', ['status', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_pack_build_status', table_name='pack_build')
    op.drop_table('pack_build')
