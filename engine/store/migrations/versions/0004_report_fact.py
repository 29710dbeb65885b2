"""reports: report_fact, the reportable values recorded as events happen (issue 8)

Revision ID: 0004_report_fact
Revises: 0003_webhooks
Create Date: 2026-11-23 16:00:00
"""
from alembic import op
import sqlalchemy as sa

import engine.store.models


revision = '0004_report_fact'
down_revision = '0003_webhooks'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('report_fact',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', engine.store.models.UTCDateTime(), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('business_key', sa.String(length=100), nullable=False),
    sa.Column('process_key', sa.String(length=100), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('element_id', sa.String(length=200), nullable=True),
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('field', sa.String(length=100), nullable=True),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('report_fact', schema=None) as batch_op:
        batch_op.create_index('ix_report_fact_name_at', ['name', 'at', 'process_key', 'value', 'instance_id'], unique=False)
        batch_op.create_index('ix_report_fact_instance', ['instance_id', 'name', 'id', 'value'], unique=False)
    # Indexes the reports read instead of the tables (covering: no table lookups on SQLite).
    op.create_index('ix_instance_report_started', 'process_instance',
                    ['started_at', 'definition_id', 'state', 'case_id', 'id'], unique=False)
    op.create_index('ix_instance_report_ended', 'process_instance',
                    ['ended_at', 'definition_id', 'state', 'case_id', 'id'], unique=False)
    op.create_index('ix_human_task_report_element', 'human_task',
                    ['element_id', 'completed_at', 'process_key', 'instance_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_human_task_report_element', table_name='human_task')
    op.drop_index('ix_instance_report_ended', table_name='process_instance')
    op.drop_index('ix_instance_report_started', table_name='process_instance')
    with op.batch_alter_table('report_fact', schema=None) as batch_op:
        batch_op.drop_index('ix_report_fact_instance')
        batch_op.drop_index('ix_report_fact_name_at')
    op.drop_table('report_fact')
