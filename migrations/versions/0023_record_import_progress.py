"""record imports run in the background: status, progress, the kept report, the staged rows

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 12:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import server.db


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('record_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='done', nullable=False))
        batch_op.add_column(sa.Column('dry_run', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('processed', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('counts', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('report', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('mapping', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('header', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('content', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('started_at', server.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('finished_at', server.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('error', sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f('ix_record_imports_status'), ['status'], unique=False)
    op.create_table('record_import_rows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('discipline_id', sa.Integer(), nullable=False),
    sa.Column('academic_year', sa.String(length=9), nullable=False),
    sa.Column('term', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('letter', sa.String(length=2), nullable=False),
    sa.Column('grade_points', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['record_imports.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('record_import_rows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_import_rows_import_id'), ['import_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('record_import_rows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_import_rows_import_id'))
    op.drop_table('record_import_rows')
    with op.batch_alter_table('record_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_imports_status'))
        for column in ('error', 'finished_at', 'started_at', 'content', 'header', 'mapping', 'report',
                       'counts', 'processed', 'dry_run', 'status'):
            batch_op.drop_column(column)
