"""inbox at scale: partial indexes over the open tasks

The inbox filters on status = 'open'; with a million closed cases the existing indexes hold
millions of closed rows. These stay as small as the open inboxes (bench/inbox_scale.py).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 19:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

OPEN = {"postgresql_where": sa.text("status = 'open'"), "sqlite_where": sa.text("status = 'open'")}
MULTI_ROLE = "status = 'open' AND candidate_roles LIKE '%,%'"


def upgrade() -> None:
    op.create_index('ix_tasks_open_role', 'human_tasks', ['role', 'faculty_id', 'due_at', 'assignee_id'],
                    **OPEN)
    op.create_index('ix_tasks_open_multi_role', 'human_tasks',
                    ['role', 'faculty_id', 'due_at', 'assignee_id', 'candidate_roles'],
                    postgresql_where=sa.text(MULTI_ROLE), sqlite_where=sa.text(MULTI_ROLE))
    op.create_index('ix_tasks_open_assignee', 'human_tasks', ['assignee_id', 'due_at'], **OPEN)
    op.create_index('ix_tasks_open_faculty', 'human_tasks', ['faculty_id', 'due_at'], **OPEN)
    if op.get_bind().dialect.name == 'postgresql':
        # pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: the database owner
        # may create it
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index('ix_tasks_open_name_trgm', 'human_tasks',
                        [sa.func.lower(sa.literal_column('subject_name')).label('name_lower')],
                        postgresql_using='gin', postgresql_ops={'name_lower': 'gin_trgm_ops'},
                        postgresql_where=OPEN["postgresql_where"])


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_tasks_open_name_trgm', table_name='human_tasks')
    op.drop_index('ix_tasks_open_faculty', table_name='human_tasks')
    op.drop_index('ix_tasks_open_assignee', table_name='human_tasks')
    op.drop_index('ix_tasks_open_multi_role', table_name='human_tasks')
    op.drop_index('ix_tasks_open_role', table_name='human_tasks')
