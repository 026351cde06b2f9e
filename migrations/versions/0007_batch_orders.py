"""batch orders: cases waiting to be included in one (transfers collected into one order)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 18:40:00.000000
"""
from alembic import op
import sqlalchemy as sa
import server.db


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('batch_order_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('process_id', sa.String(length=100), nullable=False),
    sa.Column('faculty_id', sa.Integer(), nullable=True),
    sa.Column('student', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('batch_case_id', sa.Integer(), nullable=True),
    sa.Column('created_at', server.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('collected_at', server.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('released_at', server.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['batch_case_id'], ['cases.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['faculty_id'], ['faculties.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'task_id')
    )
    with op.batch_alter_table('batch_order_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_batch_order_items_batch_case_id'), ['batch_case_id'],
                              unique=False)
        batch_op.create_index('ix_batch_items_status_process', ['status', 'process_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('batch_order_items', schema=None) as batch_op:
        batch_op.drop_index('ix_batch_items_status_process')
        batch_op.drop_index(batch_op.f('ix_batch_order_items_batch_case_id'))
    op.drop_table('batch_order_items')
