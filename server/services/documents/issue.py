"""Issuing documents: the `document/render` job renders a template in Russian and Kazakh
(or in the languages its `languages` parameter names: a transcript in English too), numbers
it in its register and resumes the case — all in one transaction, so a failed
render consumes no number. It writes the `document/pdf` job that runs right after it and
fixes each file's PDF (`pdfs.py`), converted outside the transaction."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import Actor
from server.db import utcnow
from server.documents.contexts import BUILDERS
from server.documents.render import format_number, render_docx
from server.domain.vocabulary import using
from server.engine import Instance
from server.models import Case, Document, OutboxJob, RegisterCounter
from server.services.background.jobs import finish_service_task
from server.services.cases.lifecycle import lock_case
from server.services.cases.steps import audit
from server.services.context import AppContext
from server.services.documents.approvals import approvers
from server.services.documents.office import university_for
from server.services.documents.pdfs import plan_pdfs
from server.services.documents.template_versions import active_template, case_scope
from server.services.documents.verification import QR_WIDTH_MM, new_code, qr_png, verification_url
from server.services.documents.versions import initial_status, supersede_earlier
from server.services.procedures.deployments import definition_info
from server.services.students.names import registry_names

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LANGUAGES = ("ru", "kk")
# Every language a document may be issued in; a template has a file for each it offers.
DOCUMENT_LANGUAGES = ("ru", "kk", "en")
BLANK_REGISTERS = frozenset({"duplicates"})


def next_number(ctx: AppContext, session: Session, register: str, year: int) -> int:
    """Gap-free: the counter row is locked until the issuing transaction ends."""
    stmt = select(RegisterCounter).where(RegisterCounter.register == register,
                                         RegisterCounter.year == year)
    if ctx.db.is_postgres:
        stmt = stmt.with_for_update()
    counter = session.scalars(stmt).first()
    if counter is None:
        counter = RegisterCounter(register=register, year=year, last_number=0)
        session.add(counter)
    counter.last_number += 1
    session.flush()
    return counter.last_number


def _number_for(ctx: AppContext, session: Session, case_id: int, template: str, register: str,
                year: int) -> tuple[int, int, str, int]:
    """(year, seq, number, version) of the document about to be issued. A case that already has
    this document (the rector returned the draft, it was corrected and is rendered again) keeps
    its number in the register: the new files are the next version of the same entry, and the
    earlier ones stay stored as they were. Otherwise the register's next number — always so in
    the journal of duplicates, where every entry stands for a printed blank (a spoiled blank
    stays in the journal under its own number)."""
    previous = None if register in BLANK_REGISTERS else session.execute(
        select(Document.year, Document.seq, Document.number, Document.version)
        .where(Document.case_id == case_id, Document.kind == template, Document.register == register,
               Document.seq.is_not(None))
        .order_by(Document.version.desc()).limit(1)).first()
    if previous is not None:
        return previous.year, previous.seq, previous.number, previous.version + 1
    seq = next_number(ctx, session, register, year)
    return year, seq, format_number(register, year, seq), 1


def waiting_task(ctx: AppContext, session: Session,
                 job: OutboxJob) -> tuple[Case, Instance, str, dict[str, Any]] | None:
    """The case (locked), its workflow, the service task a background job runs for and that
    task's data; None when the task is no longer waiting (an earlier run of the job did it)."""
    case = lock_case(ctx, session, int(job.payload["case_id"]))
    task_id = str(job.payload["task_id"])
    bundle = definition_info(ctx, session, case.definition_id).bundle
    instance = ctx.restore_instance(bundle, case.state)
    if task_id not in instance.started_service_tasks():
        return None
    return case, instance, task_id, instance.task_data(task_id)


def issue_languages(value: Any) -> tuple[str, ...]:
    """The languages a `document/render` call names (its `languages` parameter, evaluated: a
    list such as the application's ['ru', 'en']), in DOCUMENT_LANGUAGES' order; Russian and
    Kazakh when it names none. Anything else is the model's error (the job's incident)."""
    if value is None or value == "":
        return LANGUAGES
    chosen = [value] if isinstance(value, str) else value
    if not isinstance(chosen, (list, tuple)) or not chosen \
            or any(lang not in DOCUMENT_LANGUAGES for lang in chosen):
        raise ValueError(f"document/render: languages must be a non-empty list of {DOCUMENT_LANGUAGES}, "
                         f"not {value!r}")
    return tuple(lang for lang in DOCUMENT_LANGUAGES if lang in chosen)


def render_case_document(ctx: AppContext, session: Session, job: OutboxJob) -> None:
    params: dict[str, Any] = job.payload.get("params") or {}
    template = str(params.get("template") or "")
    register = str(params.get("register") or "orders")
    if template not in BUILDERS:
        raise LookupError(f"no context builder for template '{template}'")
    languages = issue_languages(params.get("languages"))
    waiting = waiting_task(ctx, session, job)
    if waiting is None:
        return  # already done by an earlier run of this job
    case, instance, task_id, data = waiting
    ids, number = issue_document(ctx, session, case, template, register, data, languages)
    finish_service_task(ctx, session, case.id, task_id,
                        {"document_id": ids[0], "documents": ids, "number": number}, instance)


def document_context(ctx: AppContext, session: Session, case: Case, template: str, register: str,
                     data: dict[str, Any], number: str, today: date) -> dict[str, Any]:
    """What the template prints for `case`: its data, the people who approved it so far (an
    order's «Согласовано»), the office's settings and the registry's names in effect — a value
    with no Kazakh name raises MissingName here (a job's incident, a preview's 422), before any
    file is stored. The issue and the admin's preview build it the same way."""
    data = {**data, "approved_by": approvers(session, case.id)}
    with using(registry_names(session)):
        return BUILDERS[template](data, university_for(ctx, session, register), number, today)


def issue_document(ctx: AppContext, session: Session, case: Case, template: str, register: str,
                   data: dict[str, Any], languages: tuple[str, ...] = LANGUAGES) -> tuple[list[int], str]:
    """Number, render (each of `languages`, one verification code) and store a document of
    `case` from `data`; returns the ids of the stored files and the number."""
    today = utcnow().astimezone(ctx.tz).date()
    year, seq, number, version = _number_for(ctx, session, case.id, template, register, today.year)
    context = document_context(ctx, session, case, template, register, data, number, today)
    faculty, level = case_scope(session, case, data)
    # One code for all the files of this issue (each language), printed as a link and a QR code.
    code = new_code(ctx.settings)
    url = verification_url(ctx.settings.public_url, code)
    context["verification_url"] = url
    images = {"qr": qr_png(url)}
    docs = []
    for lang in languages:
        source = active_template(ctx, session, template, lang, faculty, level)
        content = render_docx(source.content, context, images=images, image_width_mm=QR_WIDTH_MM)
        doc = Document(
            case_id=case.id, kind=template, template=f"{template}_{lang}.docx",
            template_sha256=source.sha256, template_version=source.version,
            template_version_id=source.version_id, language=lang,
            register=register, year=year, seq=seq, number=number, version=version,
            filename=f"{template}_{number}{f'_v{version}' if version > 1 else ''}_{lang}.docx"
            .replace("/", "-"), media_type=DOCX,
            content=content, sha256=hashlib.sha256(content).hexdigest(), context=context,
            verification_code=code, status=initial_status(register),
        )
        session.add(doc)
        session.flush()
        docs.append(doc)
    ids = [doc.id for doc in docs]
    supersede_earlier(session, docs)
    plan_pdfs(session, case, docs)
    audit(session, case, Actor.system(), "document_issued",
          {"template": template, "number": number, "documents": ids, "template_version": source.version,
           **({"version": version} if version > 1 else {})})
    return ids, number
