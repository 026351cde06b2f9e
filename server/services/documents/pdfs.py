"""The PDF of an issued document, made once, in the background, and kept.

The `document/render` job converts each new .docx right after rendering it (the warm
LibreOffice of its worker, `server/documents/pdf.py`) and stores the PDF with its SHA-256 next
to the .docx: the PDF a person downloads is that stored file, so the public check recognises
it. Where LibreOffice is missing, the documents are issued as .docx all the same (the case
goes on) with the PDF «waiting», and a `document/pdf` job tries again later, with a growing
pause, until a converter is there. A web request never converts."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from server.db import utcnow
from server.documents.pdf import PdfFailed, PdfUnavailable, docx_to_pdf
from server.models import Case, Document, OutboxJob
from server.services.cases.steps import enqueue
from server.services.context import AppContext
from server.services.errors import Msg, tr

log = logging.getLogger(__name__)

PDF_JOB = "document/pdf"
PENDING, READY, WAITING = "pending", "ready", "waiting"
#: how the case page and the API name a PDF's state (Russian msgids, errors.po)
PDF_STATUS_NAMES = {PENDING: tr("PDF готовится"), READY: tr("PDF готов"),
                    WAITING: tr("PDF будет добавлен, когда на сервере появится LibreOffice")}
RETRY_FIRST_SECONDS = 60
RETRY_MAX_SECONDS = 3600


def store_pdf(doc: Document, pdf: bytes) -> None:
    doc.pdf = pdf
    doc.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    doc.pdf_status = READY


def _retry(session: Session, case_id: int | None, ids: list[int], attempt: int) -> None:
    delay = min(RETRY_MAX_SECONDS, RETRY_FIRST_SECONDS * 2 ** attempt)
    case = session.get(Case, case_id) if case_id else None
    enqueue(session, PDF_JOB, f"{PDF_JOB}:{ids[0]}:{attempt}", case,
            {"documents": ids, "attempt": attempt}, available_at=utcnow() + timedelta(seconds=delay))


def attach_pdfs(session: Session, documents: Sequence[Document]) -> None:
    """Convert the just-rendered documents and store their PDFs (in the render job's
    transaction). Without LibreOffice, or when it fails on them, the documents stay issued
    and a `document/pdf` job will make the PDFs."""
    try:
        for doc in documents:
            store_pdf(doc, docx_to_pdf(doc.content))
    except (PdfUnavailable, PdfFailed) as exc:
        status = WAITING if isinstance(exc, PdfUnavailable) else PENDING
        log.warning("documents %s issued without PDF for now (%s): a %s job will add it",
                    [d.id for d in documents], exc, PDF_JOB)
        for doc in documents:
            if doc.pdf_status != READY:
                doc.pdf_status = status
        session.flush()
        _retry(session, documents[0].case_id, [d.id for d in documents if d.pdf_status != READY], 0)


def run_pdf_job(ctx: AppContext, session: Session, job: OutboxJob) -> None:
    """`document/pdf`: the PDFs still missing of the listed documents. No LibreOffice yet:
    try again later (no incident, the case is not held). A conversion that fails
    (PdfFailed) propagates: the job's retries and, in the end, an incident apply."""
    ids = [int(i) for i in job.payload.get("documents") or []]
    docs = list(session.scalars(select(Document).where(Document.id.in_(ids), Document.pdf_status != READY)
                                .options(undefer(Document.content)).order_by(Document.id)))
    if not docs:
        return
    try:
        for doc in docs:
            store_pdf(doc, docx_to_pdf(doc.content))
    except PdfUnavailable:
        for doc in docs:
            doc.pdf_status = WAITING
        _retry(session, job.case_id, [d.id for d in docs], int(job.payload.get("attempt") or 0) + 1)


def pdf_status_name(status: str) -> Msg:
    return PDF_STATUS_NAMES.get(status) or tr("PDF готовится")
