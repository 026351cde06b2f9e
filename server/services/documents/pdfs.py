"""The PDF of an issued document, made once, in the background, and kept.

The `document/render` job that issues the documents writes a `document/pdf` job for them in
its transaction; that job runs right after it, converts each new .docx (the warm LibreOffice
of its worker, `server/documents/pdf.py`) before its own transaction — so no lock is held
while LibreOffice works: not the register's counter, not SQLite's write lock — and then
stores each PDF with its SHA-256 next to the .docx. The PDF a person downloads is that
stored file, so the public check recognises it. Where LibreOffice is missing the documents
stand issued as .docx all the same (the case goes on), their PDF «waiting», and the job
plans another try, with a growing pause, until a converter is there. A web request never
converts."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.db import utcnow
from server.documents.pdf import PdfUnavailable, docx_to_pdf
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


def plan_pdfs(session: Session, case: Case | None, documents: Sequence[Document],
              attempt: int = 0) -> None:
    """Write the `document/pdf` job of documents just issued (in the issuing transaction), or
    the next try for those still without a PDF."""
    ids = [doc.id for doc in documents]
    later = None
    if attempt:
        later = utcnow() + timedelta(seconds=min(RETRY_MAX_SECONDS, RETRY_FIRST_SECONDS * 2 ** (attempt - 1)))
    enqueue(session, PDF_JOB, f"{PDF_JOB}:{ids[0]}:{attempt}", case, {"documents": ids, "attempt": attempt},
            available_at=later)


def convert_pdfs(ctx: AppContext, payload: dict[str, Any]) -> dict[str, Any]:
    """The `prepare` of `document/pdf`, outside any transaction: the PDFs of the listed
    documents that have none yet, {"pdfs": {id: bytes}, "unavailable": bool}. A conversion
    that fails (PdfFailed) propagates: the job's retries and, in the end, an incident."""
    ids = [int(i) for i in payload.get("documents") or []]
    with ctx.db.read() as session:
        sources = session.execute(select(Document.id, Document.content).where(
            Document.id.in_(ids), Document.pdf_status != READY).order_by(Document.id)).all()
    pdfs: dict[int, bytes] = {}
    try:
        for doc_id, content in sources:
            pdfs[doc_id] = docx_to_pdf(content)
    except PdfUnavailable as exc:
        log.warning("documents %s: no PDF for now (%s); %s tries again later", ids, exc, PDF_JOB)
        return {"pdfs": pdfs, "unavailable": True}
    return {"pdfs": pdfs, "unavailable": False}


def store_pdfs(ctx: AppContext, session: Session, job: OutboxJob) -> None:
    """`document/pdf`: store what `convert_pdfs` made (each PDF with its SHA-256); without
    LibreOffice, mark the rest «waiting» and plan the next try (no incident: the case is not
    held by it)."""
    prepared = session.info.pop("prepared", None) or convert_pdfs(ctx, job.payload)
    ids = [int(i) for i in job.payload.get("documents") or []]
    docs = list(session.scalars(select(Document).where(Document.id.in_(ids), Document.pdf_status != READY)
                                .order_by(Document.id)))
    waiting = []
    for doc in docs:
        content = prepared["pdfs"].get(doc.id)
        if content is None:
            doc.pdf_status = WAITING
            waiting.append(doc)
        else:
            doc.pdf = content
            doc.pdf_sha256 = hashlib.sha256(content).hexdigest()
            doc.pdf_status = READY
    if waiting and prepared["unavailable"]:
        case = session.get(Case, job.case_id) if job.case_id else None
        plan_pdfs(session, case, waiting, int(job.payload.get("attempt") or 0) + 1)


def pdf_status_name(status: str) -> Msg:
    return PDF_STATUS_NAMES.get(status) or tr("PDF готовится")
