"""Cases: start, view, search, cancel/withdraw."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from server.auth import Actor
from server.auth.roles import CASE_CANCELLERS
from server.db import utcnow
from server.engine import EngineError, Instance
from server.hot_path import case_records, insert_case
from server.models import (
    BatchOrderItem,
    Case,
    Faculty,
    HumanTask,
    OutboxJob,
    ProcessDefinition,
    Programme,
    Student,
)
from server.models.case import OPEN_STATUSES
from server.services.cases.applications import check_declared, student_missing
from server.services.cases.duplicates import refuse_duplicate
from server.services.cases.filters import name_or_iin, within_days
from server.services.cases.linked import close_superseded_registrations
from server.services.cases.process_map import draw
from server.services.cases.registration import StartRequest, check_start, validate_start
from server.services.cases.scans import store_uploads
from server.services.cases.steps import CaseStep, audit, persist_step
from server.services.context import AppContext
from server.services.errors import Conflict, Forbidden, Invalid, NotFound, tr
from server.services.people.routing import check_reachable
from server.services.procedures.deployments import definition_info, latest_definition_id
from server.services.record.procedures import check_entry
from server.services.students.military import check_citizenship
from server.services.students.registry import check_student_status

MAX_TRIGGER_DEPTH = 3  # case/start may open a case that opens another, not more


def student_context(student: Student, programme_name_kk: str | None = None) -> dict[str, Any]:
    """The `student` variable every case of a registered student starts with (with the
    registry's Kazakh name of the programme, as of the start)."""
    return {
        "id": student.id, "iin": student.iin, "last_name": student.last_name,
        "first_name": student.first_name, "middle_name": student.middle_name,
        "full_name": student.full_name, "latin_name": student.latin_name,
        "faculty_code": student.faculty.code, "faculty_name": student.faculty.name_ru,
        "faculty_name_kk": student.faculty.name_kk, "programme_code": student.programme_code,
        "programme_name": student.programme_name, "programme_name_kk": programme_name_kk,
        "level": student.level, "year": student.year,
        "group": student.group, "form": student.form, "language": student.language,
        "funding": student.funding, "citizenship": student.citizenship, "sex": student.sex,
        "status": student.status,
    }


def _deadline(ctx: AppContext, process_id: str, received_at: datetime, channel: str,
              data: dict[str, Any] | None = None) -> datetime | None:
    try:
        service = ctx.catalog.service(process_id)
    except (KeyError, FileNotFoundError, ImportError):
        return None
    deadline = getattr(service, "deadline", None)
    if not deadline:
        return None
    start = _deadline_start(ctx, service, data or {}) or received_at
    return ctx.calendar.deadline(start, deadline.days, deadline.kind, channel, ctx.tz)


def _deadline_start(ctx: AppContext, service: Any, data: dict[str, Any]) -> datetime | None:
    """The date the catalog's deadline counts from when the service names one (a notice of
    departure: within 3 working days of the departure date, not of the case's opening)."""
    for key in getattr(service, "deadline_from", ()):
        try:
            day = date.fromisoformat(str(data.get(key) or "")[:10])
        except ValueError:
            continue
        return datetime.combine(day, time(12), tzinfo=ctx.tz)
    return None


def start_case(ctx: AppContext, actor: Actor, req: StartRequest) -> int:
    """Register an application and run the process until it needs a person or waits."""
    return start_case_step(ctx, actor, req).case.id


def start_case_step(ctx: AppContext, actor: Actor, req: StartRequest) -> CaseStep:
    """`start_case` answering with the tasks the case now waits for, as `complete_task` does:
    a caller that goes on to the first task needs no second read."""
    checked = check_start(ctx, actor, req)
    with ctx.db.unit_of_work() as session:
        case, _instance, open_tasks, _version = _open_case(ctx, session, actor, checked.req,
                                                           given=checked.given)
        store_uploads(ctx, session, case, actor, checked.files)
        return CaseStep(case, open_tasks)


def register_case(ctx: AppContext, actor: Actor, req: StartRequest) -> CaseView:
    """`start_case` answering with the new case's view, read in the same transaction (what
    the API returns): no second transaction, no second restore of the workflow."""
    checked = check_start(ctx, actor, req)
    with ctx.db.unit_of_work() as session:
        case, instance, open_tasks, version = _open_case(ctx, session, actor, checked.req,
                                                         given=checked.given)
        store_uploads(ctx, session, case, actor, checked.files)
        check_case_visible(actor, case)
        session.flush()  # the step's timers are pending in the session
        return CaseView(case, instance.data, open_tasks, *case_records(session, case.id), version)


def open_case(ctx: AppContext, session: Session, actor: Actor, req: StartRequest,
              audit_extra: dict[str, Any] | None = None) -> Case:
    """Create the case row and run its process, inside the caller's transaction."""
    return _open_case(ctx, session, actor, req, audit_extra)[0]


def _open_case(ctx: AppContext, session: Session, actor: Actor, req: StartRequest,
               audit_extra: dict[str, Any] | None = None, *, given: frozenset[str] | None = None,
               ) -> tuple[Case, Instance, list[HumanTask], int]:
    """`given`: the keys of a registration's application, refused unless the procedure
    declares them (a case a model opens carries what the model gives it)."""
    definition_id = latest_definition_id(session, req.process_id)
    definition = definition_info(ctx, session, definition_id)
    if given is not None:
        check_declared(ctx, req.process_id, given, definition.bundle.start_inputs(),
                       definition.bundle.result_variables(), has_student=req.student_id is not None)
    student = None
    if req.student_id is not None:
        student = session.get(Student, req.student_id)
        if student is None:
            raise NotFound("Студент не найден", {"student_id": tr("Нет студента с таким id")})
        check_student_status(ctx, req.process_id, student)
        check_citizenship(ctx, req.process_id, student)
    if given is not None:  # a registration, not a case a model opens
        refuse_duplicate(ctx, session, req.process_id, req.student_id, req.data)
    received = req.received_at or utcnow()
    data = dict(req.data)
    data.update(check_entry(ctx, session, req.process_id, student, data, received))
    data.update(service_code=req.process_id, channel=req.channel)
    if student is not None:
        data["student"] = student_context(student, session.scalar(
            select(Programme.name_kk).where(Programme.code == student.programme_code)))
    subject = data.get("student") or data.get("applicant") or {}
    faculty_id = student.faculty_id if student else _faculty_id(session, subject)
    typed_faculty = isinstance(subject, dict) and bool(subject.get("faculty_code"))
    if given is not None and (student is not None or typed_faculty):
        # a registration for a known or typed faculty: refuse a case whose dean's step reaches nobody
        check_reachable(ctx, session, req.process_id, definition.bundle.task_meta, faculty_id,
                        subject, None if student else "applicant" if "applicant" in data else None)
    case = Case(
        definition_id=definition_id, process_id=req.process_id,
        student_id=student.id if student else None,
        faculty_id=faculty_id,
        subject_name=_full_name(subject),
        subject_iin=(subject.get("iin") if isinstance(subject, dict) else None),
        channel=req.channel, status="in_progress", received_at=received,
        deadline_at=_deadline(ctx, req.process_id, received, req.channel, data),
        created_by=actor.user_id, state="{}", serializer_version="",
        summary={"open_tasks": []},  # a new case has no task rows: the step need not look for any
    )
    insert_case(session, case)
    data["case_id"] = case.id
    instance = ctx.new_instance(definition.bundle, data)
    audit(session, case, actor, "case_started",
          {"process_id": req.process_id, "version": definition.version,
           "channel": req.channel, "data": req.data, **(audit_extra or {})})
    try:
        calls = instance.run()
    except EngineError as exc:
        name = exc.missing_name
        if name == "student" and student is None:
            raise student_missing() from None  # the model reads the student from its first step
        if name is not None and name not in data:
            # the model's first step reads a value the application did not give
            raise Invalid("В заявлении нет данных, нужных процедуре: %(name)s",
                          {f"data.{name}": tr("Обязательное поле")}, name=name) from None
        raise Invalid("Процесс остановился с ошибкой: %(error)s", {"data": str(exc)}, error=exc) from None
    open_tasks = persist_step(ctx, session, case, instance, calls, actor)
    close_superseded_registrations(ctx, session, case, data, actor)  # a departure ends the arrival
    return case, instance, open_tasks, definition.version


def start_triggered_case(ctx: AppContext, session: Session, parent: Case, actor: Actor,
                         params: dict[str, Any]) -> list[Case]:
    """The `case/start` service operator: a model opens a case of another procedure for the
    same student (an expulsion opens the foreign student's deregistration) — or, with
    `student_iins`, one for each listed student of the registry (a graduation order's foreign
    graduates) — in the same transaction as the step that reached it. The model was checked
    at deploy (admins only), so the person whose step triggered it needs no right to register
    applications. A listed student missing from the registry is noted in the audit trail."""
    depth = session.info.get("triggered_depth", 0)
    if depth >= MAX_TRIGGER_DEPTH:  # models that start each other in a loop
        raise Invalid("Процедура «%(process_id)s» открывает дела по цепочке глубже %(depth)s: проверьте "
                      "операторы case/start в моделях", process_id=parent.process_id, depth=MAX_TRIGGER_DEPTH)
    data = params.get("data") or {}
    process_id = str(params.get("process_id") or "")
    if "student_iins" in params:  # a batch order: one case per listed student (e.g. graduates)
        iins = [str(i) for i in params.get("student_iins") or []]
        found = dict(session.execute(select(Student.iin, Student.id).where(Student.iin.in_(iins))).all())
        for iin in iins:
            if iin not in found:
                audit(session, parent, actor, "case_trigger_skipped",
                      {"process_id": process_id, "iin": iin, "reason": "student_not_registered"})
        student_ids = [found[i] for i in iins if i in found]
    else:
        student_ids = [parent.student_id]
    children = []
    for student_id in student_ids:
        req = StartRequest(process_id=process_id, student_id=student_id, channel=parent.channel,
                           data={**data, "parent_case_id": parent.id})
        validate_start(req)
        session.info["triggered_depth"] = depth + 1
        try:
            child = open_case(ctx, session, actor, req, {"parent_case_id": parent.id})
        finally:
            session.info["triggered_depth"] = depth
        audit(session, parent, actor, "case_triggered",
              {"process_id": req.process_id, "case_id": child.id})
        children.append(child)
    return children


def _full_name(subject: Any) -> str | None:
    """The applicant's or student's name for inboxes and search (composed if not given)."""
    if not isinstance(subject, dict):
        return None
    parts = (subject.get("last_name"), subject.get("first_name"), subject.get("middle_name"))
    return subject.get("full_name") or " ".join(str(p) for p in parts if p) or None


def _faculty_id(session: Session, subject: Any) -> int | None:

    code = subject.get("faculty_code") if isinstance(subject, dict) else None
    if not code:
        return None
    return session.scalar(select(Faculty.id).where(Faculty.code == code))


def check_case_visible(actor: Actor, case: Case) -> None:
    """404 rather than 403 for cases outside a dean's faculty: existence is not disclosed."""
    if not actor.sees_faculty(case.faculty_id):
        raise NotFound("Дело не найдено или недоступно вам")


@dataclass
class CaseView:
    case: Case
    data: dict[str, Any]
    open_tasks: list[HumanTask]
    history: list[Any]  # records with AuditEvent's columns
    documents: list[Any]  # Document's columns but the file
    timers: list[Any]  # Timer's columns
    version: int
    incidents: list[OutboxJob] = field(default_factory=list)  # failed background jobs


def get_case(ctx: AppContext, actor: Actor, case_id: int, *, with_data: bool = True) -> CaseView:
    with ctx.db.read() as session:
        return case_view_in(ctx, session, actor, case_id, with_data=with_data)


def case_view_in(ctx: AppContext, session: Session, actor: Actor, case_id: int, *,
                 with_data: bool = True) -> CaseView:
    """`get_case`, read in the caller's session."""
    case = session.get(Case, case_id)
    if case is None:
        raise NotFound("Дело не найдено или недоступно вам")
    check_case_visible(actor, case)
    data: dict[str, Any] = {}
    definition = definition_info(ctx, session, case.definition_id)
    if with_data:  # read from the stored state: a view needs no running workflow
        data = Instance.stored_data(definition.bundle, case.state)
    tasks = session.scalars(_OPEN_TASKS, {"case_id": case_id}).all()
    history, docs, timers = case_records(session, case_id)
    incidents = session.scalars(_INCIDENTS, {"case_id": case_id}).all()
    return CaseView(case, data, list(tasks), history, docs, timers, definition.version,
                    list(incidents))


# Built once: every case view (GET /cases/<id>, and POST /cases's answer) runs them.
_OPEN_TASKS = select(HumanTask).where(HumanTask.case_id == bindparam("case_id"), HumanTask.status == "open")
_INCIDENTS = (select(OutboxJob).where(OutboxJob.case_id == bindparam("case_id"), OutboxJob.status == "failed")
              .order_by(OutboxJob.id))


@dataclass
class CaseQuery:
    status: str | None = None
    process_id: str | None = None
    q: str | None = None  # student name or ИИН
    faculty_id: int | None = None
    received_from: date | None = None
    received_to: date | None = None
    limit: int = 50
    offset: int = 0


def search_cases(ctx: AppContext, actor: Actor, query: CaseQuery) -> tuple[list[Case], int]:
    stmt = select(Case)
    if query.status == "open":
        stmt = stmt.where(Case.status.in_(OPEN_STATUSES))
    elif query.status == "finished":  # what people read as «завершено»: decided either way
        stmt = stmt.where(Case.status.in_(("completed", "rejected")))
    elif query.status:
        stmt = stmt.where(Case.status == query.status)
    if query.process_id:
        stmt = stmt.where(Case.process_id == query.process_id)
    if query.faculty_id:
        stmt = stmt.where(Case.faculty_id == query.faculty_id)
    if query.q:
        stmt = stmt.where(name_or_iin(Case.subject_name, Case.subject_iin, query.q))
    stmt = stmt.where(*within_days(Case.received_at, ctx, query.received_from, query.received_to))
    if not actor.sees_all_cases():
        stmt = stmt.where(Case.faculty_id == actor.faculty_id) if "dean" in actor.roles \
            else stmt.where(Case.id.is_(None))
    with ctx.db.read() as session:
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = session.scalars(stmt.order_by(Case.id.desc()).limit(query.limit)
                               .offset(query.offset)).all()
        return list(rows), total



def cancel_case(ctx: AppContext, actor: Actor, case_id: int, reason: str,
                *, withdrawn: bool = False) -> Case:
    """Cancel (by the office) or withdraw (at the applicant's request) with a reason."""
    if not actor.has_any(CASE_CANCELLERS):
        raise Forbidden("Отменять дела может специалист офиса регистратора")
    if not reason or not reason.strip():
        raise Invalid("Укажите причину", {"reason": tr("Обязательное поле")})
    with ctx.db.unit_of_work() as session:
        case = lock_case(ctx, session, case_id)
        check_case_visible(actor, case)
        if case.status not in OPEN_STATUSES:
            raise Conflict("Дело уже завершено (статус: %(status)s); отменить его нельзя", status=case.status)
        _refuse_if_in_batch_order(session, case)
        bundle = definition_info(ctx, session, case.definition_id).bundle
        instance = ctx.restore_instance(bundle, case.state)
        instance.cancel()
        case.status = "withdrawn" if withdrawn else "cancelled"
        case.cancel_reason = reason.strip()
        case.decided_at = utcnow()
        case.outcome = case.status
        persist_step(ctx, session, case, instance, [], actor)
        audit(session, case, actor, "case_" + case.status, {"reason": case.cancel_reason})
        return case


def _refuse_if_in_batch_order(session: Session, case: Case) -> None:
    """A case collected into a batch order that is not yet signed stays until that order ends:
    the draft already lists the student, and a signed order must not name someone whose case
    was closed. The office returns or cancels the batch order (its cases go back to waiting),
    then cancels this case and collects the others again."""
    batch_id = session.scalar(select(BatchOrderItem.batch_case_id).where(
        BatchOrderItem.case_id == case.id, BatchOrderItem.status == "collected"))
    if batch_id is not None:
        raise Conflict("Студент включён в проект сводного приказа (дело № %(batch_id)s). Сначала "
                       "отмените сводный приказ или верните его на доработку, затем отмените это дело",
                       {"case_id": tr("В сводном приказе, дело № %(batch_id)s", batch_id=batch_id)},
                       batch_id=batch_id)


def lock_case(ctx: AppContext, session: Session, case_id: int) -> Case:
    """One writer per case: SELECT ... FOR UPDATE on PostgreSQL (SQLite's BEGIN IMMEDIATE
    already serializes writers); the version column catches anything else."""
    pg = ctx.db.is_postgres
    case = session.get(Case, case_id, with_for_update=pg or None, populate_existing=pg)
    if case is None:
        raise NotFound("Дело не найдено или недоступно вам")
    return case



def case_map(ctx: AppContext, actor: Actor, case_id: int, lang: str = "ru") -> Any:
    """The case's process map (server/services/cases/process_map.py) from the version it runs
    on, its names in `lang`."""
    with ctx.db.read() as session:
        case = session.get(Case, case_id)
        if case is None:
            raise NotFound("Дело не найдено или недоступно вам")
        check_case_visible(actor, case)
        return case_map_in(ctx, session, case, lang)


def case_map_in(ctx: AppContext, session: Session, case: Case, lang: str = "ru") -> Any:
    """`case_map` of a case the caller read (and checked) in its session."""
    definition = session.get(ProcessDefinition, case.definition_id)
    info = definition_info(ctx, session, case.definition_id)
    instance = ctx.restore_instance(info.bundle, case.state)
    done = instance.completed_path()
    current = [] if instance.completed else instance.current_ids()
    xml = definition.sources.get(definition.filename) or next(iter(definition.sources.values()))
    return draw(xml, done, current, title=definition.name, lang=lang, process_id=case.process_id)
