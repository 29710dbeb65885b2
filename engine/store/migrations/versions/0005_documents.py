"""documents: the document table, rendered Word documents, immutable (issue 5)

Revision ID: 0005_documents
Revises: 0004_report_fact
Create Date: 2026-11-23 17:00:00
"""
from alembic import op
import sqlalchemy as sa

import engine.store.models


revision = '0005_documents'
down_revision = '0004_report_fact'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('document',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('business_key', sa.String(length=100), nullable=False),
    sa.Column('instance_id', sa.String(length=36), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('template_id', sa.String(length=100), nullable=False),
    sa.Column('template_sha256', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('created_at', engine.store.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('business_key', 'template_id', 'version', name='uq_document_version'),
    )
    op.create_index('ix_document_business_key', 'document', ['business_key', 'template_id', 'version'], unique=False)
    op.create_index('ix_document_instance', 'document', ['instance_id'], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER document_no_{verb.lower()} BEFORE {verb} ON document "
                "BEGIN SELECT RAISE(ABORT, 'document is immutable: a re-issue is a new version'); END"
            )
    else:
        op.execute(
            "CREATE FUNCTION document_immutable() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'document is immutable: a re-issue is a new version'; END $$"
        )
        op.execute(
            "CREATE TRIGGER document_immutable BEFORE UPDATE OR DELETE ON document "
            "FOR EACH ROW EXECUTE FUNCTION document_immutable()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS document_no_update")
        op.execute("DROP TRIGGER IF EXISTS document_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS document_immutable ON document")
        op.execute("DROP FUNCTION IF EXISTS document_immutable()")
    op.drop_index('ix_document_instance', table_name='document')
    op.drop_index('ix_document_business_key', table_name='document')
    op.drop_table('document')
