"""What the staff UI's case page and registration page show, each built in one read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from server.auth import Actor
from server.auth.roles import CASE_CANCELLERS, CASE_STARTERS
from server.models import Attachment, Case, Faculty, MessageDelivery, MessageWait, Student
from server.models.case import OPEN_STATUSES
from server.services.cases.applications import application_schema, needs_student
from server.services.cases.attachments import attachments_in
from server.services.cases.lifecycle import CaseView, case_map_in, case_view_in, check_case_visible
from server.services.cases.material import CaseMaterial, case_material, document_state
from server.services.cases.step_names import history_names
from server.services.context import AppContext
from server.services.errors import Forbidden, NotFound
from server.services.messages.waits import case_messages
from server.services.people.users import names_in
from server.services.procedures.deployments import definition_info, definitions_in
from server.services.students.imports import students_in
from server.services.tasks.references import has_choices, resolve


@dataclass(frozen=True)
class CasePage:
    view: CaseView
    process_map: Any
    names: dict[int, str]  # who appears in the history and the open tasks
    faculty: Faculty | None
    files: list[Attachment]
    may_cancel: bool
    waits: list[MessageWait]  # the messages the case waits for now
    received: list[MessageDelivery]  # and the ones it received
    material: CaseMaterial  # what the application says, what each step decided, the documents
    # spec name -> the step's name in the page's language (the history's completed steps)
    step_names: dict[str, str] = field(default_factory=dict)


def case_page(ctx: AppContext, actor: Actor, case_id: int, lang: str = "ru") -> CasePage:
    """The case page in `lang` (the material, the process map's and the history's step names)."""
    with ctx.db.read() as session:
        view = case_view_in(ctx, session, actor, case_id)
        case = view.case
        waits, received = case_messages(session, case_id)
        material = case_material(ctx, session, case, view.data, view.history, view.documents, lang)
        return CasePage(
            view=view, process_map=case_map_in(ctx, session, case, lang),
            names=names_in(session, {e.actor_id for e in view.history}
                           | {t.assignee_id for t in view.open_tasks} | {case.created_by}
                           | {d.task.completed_by for d in material.decisions}),
            faculty=session.get(Faculty, case.faculty_id) if case.faculty_id else None,
            files=attachments_in(session, case_id),
            may_cancel=actor.has_any(CASE_CANCELLERS) and case.status in OPEN_STATUSES,
            waits=waits, received=received, material=material,
            step_names=history_names(
                definition_info(ctx, session, case.definition_id).bundle.task_meta, lang))


@dataclass(frozen=True)
class CaseDocuments:
    case_id: int
    documents: list[Any]  # Document's columns but the file
    pending: bool  # a document or its PDF is still being made


def case_documents(ctx: AppContext, actor: Actor, case_id: int) -> CaseDocuments:
    """The case's documents for a page that refreshes them while a background step makes
    one (the same permission as the case page)."""
    with ctx.db.read() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound("Дело не найдено или недоступно вам")
        check_case_visible(actor, case)
        docs, pending = document_state(session, case_id)
        return CaseDocuments(case_id, docs, pending)


@dataclass(frozen=True)
class RegistrationPage:
    process_ids: list[str]  # the procedures one may register
    found: list[Student]  # students matching the search
    applicant_schema: dict[str, Any] | None  # an applicant who is not a registered student
    application_schema: dict[str, Any] | None  # what the application says
    needs_student: bool


def registration_page(ctx: AppContext, actor: Actor, process_id: str, q: str) -> RegistrationPage:
    if not actor.has_any(CASE_STARTERS):
        raise Forbidden("Регистрировать заявления может специалист офиса регистратора")
    key = f"{process_id}/register"
    applicant = ctx.forms.load(key)[0] if process_id and ctx.forms.exists(key) else None
    application = application_schema(ctx, process_id)
    with ctx.db.read() as session:
        applicant = resolve(applicant, session) if applicant and has_choices(applicant) else applicant
        return RegistrationPage(
            process_ids=[d.process_id for d in definitions_in(session) if d.kind == "bpmn"],
            found=students_in(session, actor, q), applicant_schema=applicant,
            application_schema=application, needs_student=needs_student(application))
