"""drop task_candidates: the inbox answers from human_tasks' own columns and partial indexes

The table held one row per role that may take a task. Since 0006 the inbox reads `role` and
`candidate_roles` on human_tasks instead, so each step's extra INSERT bought nothing.
The downgrade recreates the table and fills it from `candidate_roles`.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 20:50:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('task_candidates', schema=None) as batch_op:
        batch_op.drop_index('ix_task_candidates_role')
    op.drop_table('task_candidates')


def downgrade() -> None:
    op.create_table('task_candidates',
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['human_tasks.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('task_id', 'role')
    )
    with op.batch_alter_table('task_candidates', schema=None) as batch_op:
        batch_op.create_index('ix_task_candidates_role', ['role', 'task_id'], unique=False)
    rows = op.get_bind().execute(sa.text(
        "SELECT id, candidate_roles FROM human_tasks WHERE candidate_roles IS NOT NULL")).all()
    pairs = [{"task_id": task_id, "role": role} for task_id, roles in rows
             for role in dict.fromkeys(r for r in roles.split(",") if r)]
    if pairs:
        op.get_bind().execute(sa.text("INSERT INTO task_candidates (task_id, role) VALUES (:task_id, :role)"),
                              pairs)
