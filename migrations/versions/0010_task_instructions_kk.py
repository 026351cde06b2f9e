"""task instructions in Kazakh: human_tasks.instructions_kk

A model may give each user task its instructions in Kazakh too (property `instructionsKk`);
they are rendered with the task's data when the task is created, like the Russian ones.
Tasks created before this revision have none: the staff UI shows the Russian text.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 23:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('human_tasks') as batch:
        batch.add_column(sa.Column('instructions_kk', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('human_tasks') as batch:
        batch.drop_column('instructions_kk')
