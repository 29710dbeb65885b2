"""reports: a covering index for the step-down tray's allocation look-up (issue 8)

Revision ID: 0011_reports_speed
Revises: 0013_webhook_admin
Create Date: 2026-11-23 16:40:00
"""
from alembic import op

revision = '0011_reports_speed'
down_revision = '0013_webhook_admin'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The first allocation completed after each step-down decision: one seek per instance,
    # read from the index alone (instance, element, completion).
    op.create_index('ix_human_task_report_instance', 'human_task', ['instance_id', 'element_id', 'completed_at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_human_task_report_instance', table_name='human_task')
