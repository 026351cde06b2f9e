"""programmes with their Kazakh (and English) names; faculties' English names

Every value a Kazakh document prints has its Kazakh form in the registry: a programme's name
by its code (programmes), a faculty's name in English beside the Russian and Kazakh ones.
The programmes already in students are copied in with their Russian names; their Kazakh
names are entered by the next registry import (column programme_name_kk).

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-07 06:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('programmes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_ru', sa.String(length=300), nullable=False),
    sa.Column('name_kk', sa.String(length=300), nullable=True),
    sa.Column('name_en', sa.String(length=300), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('faculties', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=200), nullable=True))
    op.execute("INSERT INTO programmes (code, name_ru) SELECT programme_code, MIN(programme_name) "
               "FROM students GROUP BY programme_code")


def downgrade() -> None:
    with op.batch_alter_table('faculties', schema=None) as batch_op:
        batch_op.drop_column('name_en')
    op.drop_table('programmes')
