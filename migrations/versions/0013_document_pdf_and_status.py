"""documents: the PDF fixed at the issue, and each version's status

Every issued document keeps the PDF made from its .docx once, in the background, with its
SHA-256 (the public check accepts it), and its state: pending, ready, waiting (no LibreOffice
yet). Documents issued before this revision get theirs from a `document/pdf` job per issue,
written here. A version's status (draft, signed, superseded; issued for certificates) is
recorded: earlier versions of a register entry are superseded; a later one is signed where
its case's signing task was completed after it was issued (the closest reading of the past
available: the form's «signed» box is in the audit trail only).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 06:30:00.000000
"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
import server.db


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='draft', nullable=False))
        batch_op.add_column(sa.Column('signed_at', server.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('signed_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_documents_signed_by_users', 'users', ['signed_by'], ['id'])
        batch_op.add_column(sa.Column('pdf', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('pdf_sha256', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('pdf_status', sa.String(length=16), server_default='pending',
                                      nullable=False))
    op.execute("UPDATE documents SET status = 'issued' WHERE register NOT IN ('orders', 'duplicates') "
               "OR register IS NULL")
    op.execute("UPDATE documents SET status = 'superseded' WHERE seq IS NOT NULL AND EXISTS ("
               "SELECT 1 FROM documents later WHERE later.register = documents.register "
               "AND later.year = documents.year AND later.seq = documents.seq "
               "AND later.version > documents.version)")
    signing = ("FROM human_tasks t WHERE t.case_id = documents.case_id AND t.status = 'completed' "
               "AND t.spec_name IN ('sign_order', 'rector_sign') AND t.completed_at >= documents.created_at")
    op.execute(f"UPDATE documents SET status = 'signed', "
               f"signed_at = (SELECT MIN(t.completed_at) {signing}), "
               f"signed_by = (SELECT t.completed_by {signing} ORDER BY t.completed_at LIMIT 1) "
               f"WHERE status = 'draft' AND EXISTS (SELECT 1 {signing})")
    # One document/pdf job per issue (the files sharing a verification code).
    issues: dict[str, tuple[int | None, list[int]]] = {}
    for doc_id, case_id, code in op.get_bind().execute(sa.text(
            "SELECT id, case_id, verification_code FROM documents ORDER BY id")):
        issues.setdefault(code or f"#{doc_id}", (case_id, []))[1].append(doc_id)
    now = datetime.now(timezone.utc)
    jobs = sa.table('outbox_jobs', sa.column('kind', sa.String), sa.column('idempotency_key', sa.String),
                    sa.column('case_id', sa.Integer), sa.column('payload', sa.JSON),
                    sa.column('status', sa.String), sa.column('attempts', sa.Integer),
                    sa.column('available_at', server.db.UTCDateTime(timezone=True)),
                    sa.column('created_at', server.db.UTCDateTime(timezone=True)))
    rows = [{"kind": "document/pdf", "idempotency_key": f"document/pdf:{ids[0]}:migration",
             "case_id": case_id, "payload": {"documents": ids}, "status": "pending", "attempts": 0,
             "available_at": now, "created_at": now} for case_id, ids in issues.values()]
    if rows:
        op.bulk_insert(jobs, rows)


def downgrade() -> None:
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_column('pdf_status')
        batch_op.drop_column('pdf_sha256')
        batch_op.drop_column('pdf')
        batch_op.drop_constraint('fk_documents_signed_by_users', type_='foreignkey')
        batch_op.drop_column('signed_by')
        batch_op.drop_column('signed_at')
        batch_op.drop_column('status')
