"""Scanned documents attached to a case. Stored in the database with the case (one backup,
one transaction); what may be attached and how much is checked by server/services/cases/scans.py."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from server.auth import Actor
from server.models import Attachment, Case
from server.services.cases.lifecycle import check_case_visible, lock_case
from server.services.cases.scans import MAX_FILES, Upload, check_uploads, store_uploads
from server.services.context import AppContext
from server.services.errors import NotFound

__all__ = ["MAX_FILES", "Upload", "attach", "get_attachment", "list_attachments"]


def attach(ctx: AppContext, actor: Actor, case_id: int, uploads: list[Upload], *,
           task_id: str | None = None) -> list[int]:
    """Attach scans to a case (PDF, JPEG, PNG, TIFF by their content), audited; all or
    nothing. Whoever may see the case may attach to it (an accountant a receipt, a dean a
    submission): the case is checked first, so a stranger learns nothing about the files."""
    uploads = [u for u in uploads if u.filename or u.content]
    _visible_case(ctx, actor, case_id)
    if not uploads:
        return []
    files = check_uploads(ctx, uploads)
    with ctx.db.unit_of_work() as session:
        case = lock_case(ctx, session, case_id)
        check_case_visible(actor, case)
        return store_uploads(ctx, session, case, actor, files, task_id=task_id)


def _visible_case(ctx: AppContext, actor: Actor, case_id: int) -> None:
    with ctx.db.read() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound("Дело не найдено или недоступно вам")
        check_case_visible(actor, case)


def list_attachments(ctx: AppContext, actor: Actor, case_id: int) -> list[Attachment]:
    _visible_case(ctx, actor, case_id)
    with ctx.db.read() as session:
        return attachments_in(session, case_id)


def attachments_in(session: Session, case_id: int) -> list[Attachment]:
    """A case's scans (without their content), oldest first; the caller checked the case is
    visible."""
    return list(session.scalars(select(Attachment).where(Attachment.case_id == case_id)
                                .order_by(Attachment.id)))


def get_attachment(ctx: AppContext, actor: Actor, attachment_id: int) -> Attachment:
    with ctx.db.read() as session:
        row = session.scalar(select(Attachment).options(undefer(Attachment.content))
                             .where(Attachment.id == attachment_id))
        if row is None:
            raise NotFound("Файл не найден")
        check_case_visible(actor, session.get(Case, row.case_id))
        return row
