"""Scans uploaded with a case: checked before anything is written, then stored inside the
caller's unit of work (a registration, a completed task, the case page), so a refused file
leaves no case, no row and no audit event behind.

A file's type is read from its first bytes, not from the name or the type the browser
claims: a page of HTML named `scan.pdf` is refused. The allowed kinds are the scans the
office keeps (PDF, JPEG, PNG, TIFF); a name whose extension says another kind is refused too,
so the stored name never disagrees with the type the file is served as.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth import Actor
from server.models import Attachment, Case
from server.services.cases.audit_trail import audit
from server.services.context import AppContext
from server.services.errors import Invalid, tr

FIELD = "attachments"  # the form field (and the API's error key) of uploaded scans
MAX_FILES = 10

# media type -> (leading signatures, extensions that name it)
KINDS: dict[str, tuple[tuple[bytes, ...], tuple[str, ...]]] = {
    "application/pdf": ((b"%PDF-",), (".pdf",)),
    "image/jpeg": ((b"\xff\xd8\xff",), (".jpg", ".jpeg", ".jpe", ".jfif")),
    "image/png": ((b"\x89PNG\r\n\x1a\n",), (".png",)),
    "image/tiff": ((b"II*\x00", b"MM\x00*"), (".tif", ".tiff")),
}
_BY_EXTENSION = {ext: kind for kind, (_magic, exts) in KINDS.items() for ext in exts}


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    content_type: str | None = None  # what the client claimed: recorded nowhere, trusted never


@dataclass(frozen=True)
class CheckedFile:
    filename: str  # cleaned: no path, no control characters
    content: bytes
    content_type: str  # read from the content


def clean_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return "".join(ch for ch in base if ch.isprintable())[:200] or "file"


def sniff(content: bytes) -> str | None:
    """The allowed media type the content starts with, or None."""
    for kind, (signatures, _exts) in KINDS.items():
        if content.startswith(signatures):
            return kind
    return None


def check_uploads(ctx: AppContext, uploads: Sequence[Upload]) -> list[CheckedFile]:
    """The uploads as they will be stored, or `Invalid` naming the field `attachments` and
    the first file that cannot be: too many, empty, too large (each, or together more than a
    case may hold), or not a PDF/JPEG/PNG/TIFF by its content. Writes nothing."""
    uploads = [u for u in uploads if u.filename or u.content]
    if len(uploads) > MAX_FILES:
        raise Invalid("Не больше %(limit)s файлов за раз", {FIELD: tr("Слишком много файлов")},
                      limit=MAX_FILES)
    per_file, per_case = ctx.settings.max_upload_bytes, ctx.settings.max_case_files_bytes
    checked = []
    for upload in uploads:
        name = clean_name(upload.filename)
        if not upload.content:
            raise Invalid("Файл «%(name)s» пуст", {FIELD: tr("Пустой файл")}, name=name)
        if len(upload.content) > per_file:
            raise Invalid("Файл «%(name)s» больше %(megabytes)s МБ", {FIELD: tr("Файл слишком большой")},
                          name=name, megabytes=_megabytes(per_file))
        kind = sniff(upload.content)
        named = _BY_EXTENSION.get(_extension(name))
        if kind is None or named not in (kind, None) or (named is None and _extension(name)):
            raise Invalid("Файл «%(name)s»: допустимы PDF, JPEG, PNG, TIFF (проверяется содержимое "
                          "файла, а не его имя)", {FIELD: tr("Недопустимый тип файла")}, name=name)
        checked.append(CheckedFile(name, upload.content, kind))
    if sum(len(f.content) for f in checked) > per_case:
        raise _case_limit(per_case)
    return checked


def _extension(name: str) -> str:
    """`.pdf` of `scan.PDF`; "" for a name without one (a dot inside a Cyrillic name is none)."""
    tail = name.rsplit(".", 1)[-1] if "." in name else ""
    return "." + tail.lower() if tail.isascii() and tail.isalnum() and len(tail) <= 5 else ""


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def _case_limit(per_case: int) -> Invalid:
    return Invalid("Файлы дела вместе больше %(megabytes)s МБ: приложите меньше или сожмите сканы",
                   {FIELD: tr("Превышен объём файлов дела")}, megabytes=_megabytes(per_case))


def store_uploads(ctx: AppContext, session: Session, case: Case, actor: Actor, files: Sequence[CheckedFile],
                  *, task_id: str | None = None) -> list[int]:
    """Store checked files with their case inside the caller's transaction, audited; refuse
    them (`Invalid`, nothing stored) when the case would hold more than its limit."""
    if not files:
        return []
    held = session.scalar(select(func.coalesce(func.sum(Attachment.size), 0))
                          .where(Attachment.case_id == case.id)) or 0
    if held + sum(len(f.content) for f in files) > ctx.settings.max_case_files_bytes:
        raise _case_limit(ctx.settings.max_case_files_bytes)
    ids = []
    for file in files:
        row = Attachment(case_id=case.id, task_id=task_id, filename=file.filename,
                         content_type=file.content_type, size=len(file.content),
                         sha256=hashlib.sha256(file.content).hexdigest(),
                         content=file.content, uploaded_by=actor.user_id)
        session.add(row)
        session.flush()
        ids.append(row.id)
        audit(session, case, actor, "attachment_added",
              {"attachment_id": row.id, "filename": row.filename, "size": row.size}, task_id=task_id)
    return ids
