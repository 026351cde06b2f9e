"""A template version previewed for a real case before the office activates it: rendered with
the context of the case's document of that template when it has one (what was printed), else
built from the case's data; converted to PDF by LibreOffice when it is installed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import Actor
from server.documents.contexts import BUILDERS
from server.documents.pdf import PdfFailed, PdfUnavailable, docx_to_pdf
from server.documents.render import TemplateRenderError, render_docx
from server.domain.vocabulary import MissingName
from server.engine import Instance
from server.models import Case, Document
from server.services.context import AppContext
from server.services.documents.issue import document_context
from server.services.documents.template_versions import preview_day, version_content
from server.services.documents.verification import QR_WIDTH_MM, qr_png, verification_url
from server.services.errors import Invalid, Msg, NotFound, tr
from server.services.procedures.deployments import definition_info

PREVIEW_NUMBER = "000"


@dataclass(frozen=True)
class Preview:
    filename: str
    docx: bytes
    pdf: bytes | None
    # Why there is no PDF (LibreOffice missing or failed), in the reader's language.
    pdf_problem: Msg | None


@dataclass(frozen=True)
class PreviewCase:
    case_id: int
    subject: str
    number: str


def cases_for(ctx: AppContext, base: str, limit: int = 20) -> list[PreviewCase]:
    """Recent cases with a document of this template: the natural cases to preview with."""
    with ctx.db.read() as session:
        rows = session.execute(
            select(Document.case_id, Case.subject_name, Document.number)
            .join(Case, Case.id == Document.case_id)
            .where(Document.kind == base, Document.language == "ru")
            .order_by(Document.id.desc()).limit(limit * 2)).all()
    seen: dict[int, PreviewCase] = {}
    for case_id, subject, number in rows:
        seen.setdefault(case_id, PreviewCase(case_id, subject or "", number or ""))
    return list(seen.values())[:limit]


def _context(ctx: AppContext, session: Session, base: str, case_id: int) -> dict[str, Any]:
    case = session.get(Case, case_id)
    if case is None:
        raise Invalid("Дело не найдено", {"case_id": tr("Нет дела № %(id)s", id=case_id)})
    printed = session.scalars(select(Document).where(
        Document.case_id == case_id, Document.kind == base).order_by(Document.id.desc()).limit(1)).first()
    if printed is not None and printed.context:
        return dict(printed.context)
    if base not in BUILDERS:
        raise NotFound("Шаблон %(base)s не найден", base=base)
    data = Instance.stored_data(definition_info(ctx, session, case.definition_id).bundle, case.state)
    try:
        context = document_context(ctx, session, case, base, "", data, PREVIEW_NUMBER, preview_day(ctx))
    except MissingName as exc:
        raise Invalid("Для этого дела шаблон не заполнить", {"case_id": tr(
            "Нет названия на казахском языке: %(value)s", value=exc.value)}) from None
    except (KeyError, TypeError, ValueError, AttributeError):
        raise Invalid("Для этого дела шаблон не заполнить", {"case_id": tr(
            "В деле № %(id)s нет данных, которые печатает этот шаблон", id=case_id)}) from None
    context["verification_url"] = verification_url(ctx.settings.public_url, "PREVIEW")
    return context


def preview(ctx: AppContext, actor: Actor, base: str, language: str, version: int,
            case_id: int, *, pdf: bool = True) -> Preview:
    """The version rendered for the case: the .docx and, where LibreOffice is installed, the PDF."""
    filename, template = version_content(ctx, actor, base, language, version)
    with ctx.db.read() as session:
        context = _context(ctx, session, base, case_id)
    url = str(context.get("verification_url") or verification_url(ctx.settings.public_url, "PREVIEW"))
    try:
        content = render_docx(template, context, images={"qr": qr_png(url)}, image_width_mm=QR_WIDTH_MM)
    except TemplateRenderError as exc:
        raise Invalid("Шаблон не заполнить данными дела: %(error)s", {"case_id": tr(
            "Шаблон не заполнить данными дела № %(id)s", id=case_id)}, error=exc.reason) from None
    name = f"{filename.rsplit('.', 1)[0]}_case{case_id}"
    if not pdf:
        return Preview(name, content, None, None)
    try:
        return Preview(name, content, docx_to_pdf(content), None)
    except PdfUnavailable:
        return Preview(name, content, None, tr(
            "PDF недоступен: на сервере не установлен LibreOffice. Скачайте предпросмотр в формате .docx."))
    except PdfFailed as exc:
        return Preview(name, content, None, tr(
            "Не удалось преобразовать предпросмотр в PDF: %(error)s. Скачайте .docx.", error=exc))
