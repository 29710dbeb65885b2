"""incident.kind and incident.details: incidents other modules raise and retry (documents)

Revision ID: 0006_incident_kind
Revises: 0005_documents
Create Date: 2026-11-23 15:10:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0006_incident_kind'
down_revision = '0005_documents'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), nullable=False, server_default='engine'))
        batch_op.add_column(sa.Column('details', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_column('details')
        batch_op.drop_column('kind')
