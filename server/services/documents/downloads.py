"""Reading stored documents (download), with the case's visibility rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import undefer

from server.auth import Actor
from server.models import Case, Document
from server.services.cases.lifecycle import check_case_visible
from server.services.context import AppContext
from server.services.documents.pdfs import READY, WAITING
from server.services.errors import NotFound, Unavailable


def _visible(ctx: AppContext, actor: Actor, document_id: int, file: Any) -> Document:
    """The document with `file` (a deferred column) loaded, if the actor may see its case."""
    with ctx.db.read() as session:
        doc = session.get(Document, document_id, options=[undefer(file)])
        if doc is None:
            raise NotFound("Документ не найден")
        if doc.case_id is not None:
            case = session.get(Case, doc.case_id)
            if case is not None:
                try:
                    check_case_visible(actor, case)
                except NotFound:
                    raise NotFound("Документ не найден") from None
        return doc


def get_document(ctx: AppContext, actor: Actor, document_id: int) -> Document:
    return _visible(ctx, actor, document_id, Document.content)


def get_document_pdf(ctx: AppContext, actor: Actor, document_id: int) -> tuple[str, bytes]:
    """The PDF stored when the document was issued (the file the public check knows): its
    file name and content. Never converted here: a PDF not made yet is a 503 saying why."""
    doc = _visible(ctx, actor, document_id, Document.pdf)
    if doc.pdf_status != READY or doc.pdf is None:
        if doc.pdf_status == WAITING:
            raise Unavailable("PDF недоступен: на сервере не установлен LibreOffice (пакет "
                              "libreoffice-writer-nogui). PDF будет добавлен, когда он появится; "
                              "пока скачайте документ в формате .docx.")
        raise Unavailable("PDF документа ещё готовится. Скачайте .docx или повторите позже.")
    return doc.filename.rsplit(".", 1)[0] + ".pdf", doc.pdf
