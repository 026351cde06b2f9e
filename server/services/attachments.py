"""Scanned documents attached to a case. Stored in the database with the case (one backup,
one transaction); the size limit is the upload limit of the settings."""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import undefer

from server.auth import Actor
from server.models import Attachment, Case
from server.services.cases import check_case_visible, lock_case
from server.services.context import AppContext
from server.services.errors import Invalid, NotFound, tr
from server.services.steps import audit

ALLOWED_TYPES = {"application/pdf", "image/jpeg", "image/png", "image/tiff"}
MAX_FILES = 10


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    content_type: str | None = None


def _clean_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in base if ch.isprintable())[:200] or "file"


def attach(ctx: AppContext, actor: Actor, case_id: int, uploads: list[Upload], *,
           task_id: str | None = None) -> list[int]:
    """Attach scans to a case (PDF, JPEG, PNG, TIFF), audited; all or nothing. Whoever may
    see the case may attach to it (an accountant a receipt, a dean a submission)."""
    uploads = [u for u in uploads if u.filename or u.content]
    if not uploads:
        _visible_case(ctx, actor, case_id)
        return []
    if len(uploads) > MAX_FILES:
        raise Invalid("Не больше %(limit)s файлов за раз", {"attachments": tr("Слишком много файлов")},
                      limit=MAX_FILES)
    limit = ctx.settings.max_upload_bytes
    kinds = [u.content_type or mimetypes.guess_type(u.filename)[0] or "" for u in uploads]
    for upload, kind in zip(uploads, kinds, strict=True):
        if kind not in ALLOWED_TYPES:
            raise Invalid("Файл «%(name)s»: допустимы PDF, JPEG, PNG, TIFF",
                          {"attachments": tr("Недопустимый тип файла")}, name=_clean_name(upload.filename))
        if not upload.content:
            raise Invalid("Файл «%(name)s» пуст", {"attachments": tr("Пустой файл")},
                          name=_clean_name(upload.filename))
        if len(upload.content) > limit:
            raise Invalid("Файл «%(name)s» больше %(megabytes)s МБ",
                          {"attachments": tr("Файл слишком большой")},
                          name=_clean_name(upload.filename), megabytes=limit // (1024 * 1024))
    with ctx.db.unit_of_work() as session:
        case = lock_case(ctx, session, case_id)
        check_case_visible(actor, case)
        ids = []
        for upload, kind in zip(uploads, kinds, strict=True):
            row = Attachment(case_id=case.id, task_id=task_id, filename=_clean_name(upload.filename),
                             content_type=kind, size=len(upload.content),
                             sha256=hashlib.sha256(upload.content).hexdigest(),
                             content=upload.content, uploaded_by=actor.user_id)
            session.add(row)
            session.flush()
            ids.append(row.id)
            audit(session, case, actor, "attachment_added",
                  {"attachment_id": row.id, "filename": row.filename, "size": row.size},
                  task_id=task_id)
        return ids


def _visible_case(ctx: AppContext, actor: Actor, case_id: int) -> None:
    with ctx.db.read() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound("Дело не найдено или недоступно вам")
        check_case_visible(actor, case)


def list_attachments(ctx: AppContext, actor: Actor, case_id: int) -> list[Attachment]:
    _visible_case(ctx, actor, case_id)
    with ctx.db.read() as session:
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
