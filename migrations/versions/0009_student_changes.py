"""student changes: what each signed order changed in the student registry

One row per student and registry step of a case (service operators `student/update` and
`student/enrol`), with the fields' values before and after; the unique key (case, element,
ИИН) keeps a step from applying twice.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-10 12:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import server.db


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('student_changes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('element', sa.String(length=100), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('student_id', sa.Integer(), nullable=False),
    sa.Column('iin', sa.String(length=12), nullable=False),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('order_number', sa.String(length=64), nullable=True),
    sa.Column('at', server.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['student_id'], ['students.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'element', 'iin', name='uq_student_changes_step')
    )
    with op.batch_alter_table('student_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_student_changes_student_id'), ['student_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('student_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_student_changes_student_id'))
    op.drop_table('student_changes')
