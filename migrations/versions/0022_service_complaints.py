"""complaints about public services, counted by the monthly report

Revision ID: 0022
Revises: 0019
Create Date: 2026-12-07 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import server.db


revision = '0022'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('service_complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('created_at', server.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('service_complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_complaints_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_complaints_received_on'), ['received_on'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('service_complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_complaints_received_on'))
        batch_op.drop_index(batch_op.f('ix_service_complaints_case_id'))
    op.drop_table('service_complaints')
