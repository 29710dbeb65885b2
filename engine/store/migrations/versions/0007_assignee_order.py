"""human_task: an index for a person's own tasks in the task list's order

Revision ID: 0007_assignee_order
Revises: 0006_incident_kind
Create Date: 2026-11-23 15:40:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0007_assignee_order'
down_revision = '0006_incident_kind'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_assignee')
        batch_op.create_index('ix_human_task_assignee_order', ['assignee', 'state', sa.text('(due_at IS NULL)'), 'due_at',
                                                              'created_at', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_assignee_order')
        batch_op.create_index('ix_human_task_assignee', ['assignee', 'state'], unique=False)
