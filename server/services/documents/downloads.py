"""Reading stored documents (download), with the case's visibility rules."""

from __future__ import annotations

from sqlalchemy.orm import undefer

from server.auth import Actor
from server.documents.pdf import PdfFailed, PdfUnavailable, docx_to_pdf
from server.models import Case, Document
from server.services.cases.lifecycle import check_case_visible
from server.services.context import AppContext
from server.services.errors import NotFound, Unavailable


def get_document(ctx: AppContext, actor: Actor, document_id: int) -> Document:
    with ctx.db.read() as session:
        doc = session.get(Document, document_id, options=[undefer(Document.content)])
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


def get_document_pdf(ctx: AppContext, actor: Actor, document_id: int) -> tuple[str, bytes]:
    """The document converted to PDF (the stored .docx stays the document of record): its
    file name and content."""
    doc = get_document(ctx, actor, document_id)
    try:
        return doc.filename.rsplit(".", 1)[0] + ".pdf", docx_to_pdf(doc.content)
    except PdfUnavailable:
        raise Unavailable("PDF недоступен: на сервере не установлен LibreOffice (пакет "
                          "libreoffice-writer-nogui). Скачайте документ в формате .docx.") from None
    except PdfFailed as exc:
        raise Unavailable("Не удалось преобразовать документ в PDF: %(error)s. Скачайте .docx.",
                          error=exc) from None
