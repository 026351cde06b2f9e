"""Human tasks: view with form, claim, unclaim, delegate, complete."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from server.auth import Actor
from server.auth.roles import TASK_SUPERVISORS
from server.db import utcnow
from server.engine import EngineError, Instance, TaskNotReady
from server.hot_path import case_records, read_task_and_case, write_task
from server.models import Case, Faculty, HumanTask, Programme, Student, User
from server.services.cases.lifecycle import check_case_visible
from server.services.cases.material import CaseMaterial, case_material
from server.services.cases.scans import Upload, check_uploads, store_uploads
from server.services.cases.steps import CaseStep, audit, persist_step
from server.services.context import AppContext
from server.services.documents.versions import record_signature, return_and_correction_events
from server.services.errors import Conflict, DomainError, Forbidden, Invalid, NotFound, tr
from server.services.procedures.deployments import definition_info
from server.services.record.access import scale as record_scale
from server.services.record.difference import (
    CaseProposal,
    case_proposal,
    checked_lines,
    earlier_step,
    prefilled,
    with_recredit,
)
from server.services.record.queries import with_recorded_standing
from server.services.students.registry import with_registry_facts
from server.services.tasks.date_rules import check_dates, has_rules
from server.services.tasks.forms import camunda_validator, validate_submission
from server.services.tasks.references import with_choices


def _candidates(task: HumanTask) -> list[str]:
    """Roles that may take the task (comma-separated on the row; the first is also `role`)."""
    return task.candidate_roles.split(",") if task.candidate_roles else []


def may_take(actor: Actor, task: HumanTask) -> bool:
    """Whether the person may act on the task (its assignee, or one of its candidate roles)."""
    return may_act(actor, task, _candidates(task))


def may_act(actor: Actor, task: HumanTask, candidates: list[str]) -> bool:
    if actor.is_system:
        return True
    if task.assignee_id is not None and task.assignee_id in actor.own_ids:
        return True
    return any(actor.may_take_role(role, task.faculty_id) for role in candidates)


def _load_task(session: Session, task_id: str) -> HumanTask:
    task = session.get(HumanTask, task_id)
    if task is None:
        raise NotFound("Задача не найдена")
    return task


def _lock_task(ctx: AppContext, session: Session, task_id: str) -> tuple[HumanTask, Case]:
    """Lock the task's case and read the task, in one statement. Every writer of a case or its
    task rows (complete, claim, cancel, timers, jobs) takes the case lock first, so they wait
    for each other instead of deadlocking, and the task row needs no lock of its own.

    On SQLite, BEGIN IMMEDIATE already made this transaction the only writer. On PostgreSQL,
    `FOR UPDATE OF cases` waits for a writer holding the case, then returns the case as that
    writer left it; the task row, though, may be the one read before the wait (READ COMMITTED
    re-reads only the locked row). Such a stale task cannot be acted on: every change to it is
    guarded by its version (`_close_task`, the ORM's version counter), and the engine, restored
    from the fresh case, no longer has a task that was completed meanwhile — either way the
    later writer gets a conflict (409) and the case is not touched twice.

    The row is read on the driver and the two objects put into the session as loaded
    (server/hot_path.py)."""
    found = read_task_and_case(session, task_id, lock_case=ctx.db.is_postgres)
    if found is None:
        raise NotFound("Задача не найдена")
    return found


def _check_visible(session: Session, actor: Actor, task: HumanTask) -> list[str]:
    candidates = _candidates(task)
    if may_act(actor, task, candidates) or actor.has_any(TASK_SUPERVISORS):
        return candidates
    case = session.get(Case, task.case_id)
    if case is not None:
        check_case_visible(actor, case)
    return candidates


@dataclass
class TaskView:
    task: HumanTask
    candidates: list[str]
    form: dict[str, Any] | None
    ui_schema: dict[str, Any] | None
    data: dict[str, Any]
    can_act: bool
    case: Case | None = None
    material: CaseMaterial | None = None  # the case's data and documents beside the form (pages)
    student: Student | None = None  # the student's registry record, in words on the page
    programme_kk: str | None = None  # the registry's Kazakh name of the student's programme
    faculty: Faculty | None = None  # the case's faculty
    difference: CaseProposal | None = None  # the academic difference proposed beside the form


def form_for(ctx: AppContext, session: Session, task: HumanTask) -> tuple[dict[str, Any] | None, Any]:
    if not task.form_key:
        return None, None
    if task.form_key.startswith("camunda:"):
        info = definition_info(ctx, session, session.get(Case, task.case_id).definition_id)
        schema = info.forms.get(task.form_key)
        return (schema, camunda_validator(schema)) if schema else (None, None)
    return with_choices(ctx, *ctx.forms.load(task.form_key), session)


def task_form(ctx: AppContext, actor: Actor, task_id: str) -> tuple[HumanTask, dict[str, Any] | None]:
    """The task and its form's schema, for whoever may see it — without restoring the case's
    workflow (what a form submission needs before `complete_task`)."""
    with ctx.db.read() as session:
        task = _load_task(session, task_id)
        _check_visible(session, actor, task)
        return task, form_for(ctx, session, task)[0]


def get_task(ctx: AppContext, actor: Actor, task_id: str, lang: str | None = None) -> TaskView:
    """The task with its form and data; with `lang` (a page), also the case's material in that
    language and the student's record, read in the same transaction."""
    with ctx.db.read() as session:
        task = _load_task(session, task_id)
        candidates = _check_visible(session, actor, task)
        schema, _ = form_for(ctx, session, task)
        ui = None
        if task.form_key and not task.form_key.startswith("camunda:"):
            ui = ctx.forms.ui_schema(task.form_key)
        data: dict[str, Any] = {}
        case = session.get(Case, task.case_id)
        found = None
        if task.status == "open":
            bundle = definition_info(ctx, session, case.definition_id).bundle
            instance = ctx.restore_instance(bundle, case.state)
            try:
                data = instance.task_data(task.id)
            except TaskNotReady:
                data = {}
            found = case_proposal(ctx, session, case, bundle, task.form_key, data)
        view = TaskView(task, candidates, schema, ui, prefilled(data, found),
                        may_act(actor, task, candidates), case, difference=found)
        if lang is not None:
            _add_material(ctx, session, view, lang)
        return view


def _add_material(ctx: AppContext, session: Session, view: TaskView, lang: str) -> None:
    case = view.case
    bundle = definition_info(ctx, session, case.definition_id).bundle
    case_data = Instance.stored_data(bundle, case.state)
    history, documents, _timers = case_records(session, case.id)
    view.material = case_material(ctx, session, case, case_data, history, documents, lang)
    view.faculty = session.get(Faculty, case.faculty_id) if case.faculty_id else None
    if case.student_id is not None:
        view.student = session.get(Student, case.student_id)
        if view.student is not None:
            view.programme_kk = session.scalar(select(Programme.name_kk).where(
                Programme.code == view.student.programme_code))


def claim_task(ctx: AppContext, actor: Actor, task_id: str) -> HumanTask:
    with ctx.db.unit_of_work() as session:
        task, case = _lock_task(ctx, session, task_id)
        candidates = _check_visible(session, actor, task)
        _require_open(task)
        if not any(actor.may_take_role(r, task.faculty_id) for r in candidates):
            raise Forbidden("Эта задача предназначена другой роли или другому факультету")
        if task.assignee_id not in (None, actor.user_id):
            raise Conflict("Задачу уже взял в работу %(name)s", name=_username(session, task.assignee_id))
        if task.assignee_id == actor.user_id:
            return task  # already claimed by this user (a second click): nothing to record
        task.assignee_id = actor.user_id
        task.claimed_at = utcnow()
        audit(session, case, actor, "task_claimed",
              {"task": task.spec_name}, task_id=task.id)
        _flush(session)
        return task


def unclaim_task(ctx: AppContext, actor: Actor, task_id: str) -> HumanTask:
    with ctx.db.unit_of_work() as session:
        task, case = _lock_task(ctx, session, task_id)
        _check_visible(session, actor, task)
        _require_open(task)
        if task.assignee_id is None:
            raise Conflict("Задача никем не взята в работу")
        if task.assignee_id != actor.user_id and not actor.has_any(TASK_SUPERVISORS):
            raise Forbidden("Вернуть задачу в общую очередь может исполнитель или руководитель")
        task.assignee_id = None
        task.claimed_at = None
        audit(session, case, actor, "task_unclaimed",
              {"task": task.spec_name}, task_id=task.id)
        _flush(session)
        return task


def delegate_task(ctx: AppContext, actor: Actor, task_id: str, username: str) -> HumanTask:
    """Hand a task to another user who holds one of its roles (and the faculty, if scoped)."""
    with ctx.db.unit_of_work() as session:
        task, case = _lock_task(ctx, session, task_id)
        candidates = _check_visible(session, actor, task)
        _require_open(task)
        if task.assignee_id != actor.user_id and not actor.has_any(TASK_SUPERVISORS):
            raise Forbidden("Передать задачу может её исполнитель или руководитель")
        target = session.scalar(select(User).where(User.username == username, User.active))
        if target is None:
            raise Invalid("Пользователь не найден", {"username": tr("Нет активного пользователя")})
        target_actor = Actor(target.id, target.username, target.role_codes, target.faculty_id)
        if not any(target_actor.may_take_role(r, task.faculty_id) for r in candidates):
            raise Invalid("У пользователя нет роли, которой предназначена задача",
                          {"username": tr("Нет нужной роли или факультета")})
        task.assignee_id = target.id
        task.claimed_at = utcnow()
        audit(session, case, actor, "task_delegated",
              {"task": task.spec_name, "to": target.username}, task_id=task.id)
        _flush(session)
        return task


def complete_task(ctx: AppContext, actor: Actor, task_id: str, data: Any,
                  uploads: Sequence[Upload] = ()) -> CaseStep:
    """Validate the form, complete the task in the engine and run on; one transaction. Scans
    sent with the form are stored in it, after the person's right to the task and the form
    were checked: a refused submission stores none of them."""
    with ctx.db.unit_of_work() as session:
        task, case = _lock_task(ctx, session, task_id)
        candidates = _check_visible(session, actor, task)
        _require_open(task)
        if not may_act(actor, task, candidates):
            raise Forbidden("Эта задача предназначена другой роли или другому факультету")
        if task.assignee_id not in (None, actor.user_id) and not actor.is_system:
            raise Conflict("Задачу выполняет %(name)s", name=_username(session, task.assignee_id))
        schema, validator = form_for(ctx, session, task)
        clean = checked_lines(session, task.form_key, earlier_step(task.form_key, validate_submission(
            schema, validator, data), record_scale(ctx)))
        if isinstance(clean.get("applicants"), list):  # a competition's list: the registry decides
            clean["applicants"] = with_recorded_standing(
                session, with_registry_facts(session, clean["applicants"]), record_scale(ctx))
        files = check_uploads(ctx, uploads)
        bundle = definition_info(ctx, session, case.definition_id).bundle
        instance = ctx.restore_instance(bundle, case.state)
        clean = with_recredit(ctx, session, case, bundle, task.form_key, clean, _task_data(instance, task.id))
        if task.form_key and has_rules(ctx, task.form_key):
            check_dates(ctx, task.form_key, clean, known=_task_data(instance, task.id),
                        message="Форма заполнена с ошибками: исправьте отмеченные поля")
        loop_event = return_and_correction_events(task.form_key, clean,
                                                  lambda: instance.task_data(task.id))
        try:
            calls = instance.complete_user_task(task.id, clean)
        except TaskNotReady:
            raise Conflict("Задача уже выполнена или отменена") from None
        except EngineError as exc:
            raise Invalid("Процесс не может продолжиться: %(error)s", {"_form": str(exc)},
                          error=exc) from None
        _close_task(session, task, actor)
        audit(session, case, actor, "task_completed",
              {"task": task.spec_name, "name": task.name, "data": clean}, task_id=task.id)
        record_signature(session, case.id, task.form_key, clean, task.completed_at or utcnow(),
                         task.completed_by)
        if loop_event is not None:  # the rector's return and its correction, in the history
            audit(session, case, actor, loop_event[0], loop_event[1], task_id=task.id)
        following = persist_step(ctx, session, case, instance, calls, actor)
        store_uploads(ctx, session, case, actor, files, task_id=task.id)
        _flush(session)
        return CaseStep(case, following)


def _task_data(instance: Instance, task_id: str) -> dict[str, Any]:
    """The case's data as the task sees it (what a date rule compares with), or nothing."""
    try:
        return instance.task_data(task_id)
    except TaskNotReady:
        return {}


def _close_task(session: Session, task: HumanTask, actor: Actor) -> None:
    """Mark the task completed and write it at once, guarded by its version (a concurrent
    writer that got there first makes it match no row), so the step's projection sees it
    closed and no flush repeats it."""
    task.status = "completed"
    task.completed_at = utcnow()
    task.completed_by = actor.user_id
    task.assignee_id = task.assignee_id or actor.user_id
    with _conflict_if_stale():
        write_task(session, task)


def _require_open(task: HumanTask) -> None:
    if task.status != "open":
        raise Conflict("Задача уже выполнена или отменена: обновите страницу")


def _username(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return user.full_name if user else tr("другой пользователь")


def _flush(session: Session) -> None:
    with _conflict_if_stale():
        session.flush()


@contextmanager
def _conflict_if_stale() -> Iterator[None]:
    """Another writer changed the task since it was read (its version moved): 409."""
    try:
        yield
    except StaleDataError:
        raise Conflict("Задачу только что изменил другой пользователь: обновите страницу") from None


APPROVE = "approve"


def decision_field(schema: dict[str, Any] | None) -> str | None:
    """The form's approve/reject field (`*decision` with an "approve" choice), if it has one."""
    for name, prop in ((schema or {}).get("properties") or {}).items():
        if name.endswith("decision") and isinstance(prop, dict) and APPROVE in (prop.get("enum") or []):
            return name
    return None


@dataclass(frozen=True)
class BulkResult:
    task_id: str
    ok: bool
    message: str = ""  # why it failed: the error's `Msg`, translatable
    case_id: int | None = None  # the case and the student it names (None: no such task)
    subject_name: str | None = None


def approve_many(ctx: AppContext, actor: Actor, task_ids: list[str]) -> list[BulkResult]:
    """Approve several tasks in one action (the vice-rector's list of pending approvals).
    Each task is its own transaction: one that cannot be approved as is (another field is
    required, it was taken by someone else) is reported and the others still go through."""
    results = []
    for task_id in dict.fromkeys(task_ids):
        task = None
        try:
            task, schema = task_form(ctx, actor, task_id)
            name = decision_field(schema)
            if name is None:
                raise Invalid("У этой задачи нет решения «Согласовать»: откройте её и заполните форму")
            complete_task(ctx, actor, task_id, {name: APPROVE})
            results.append(BulkResult(task_id, True, case_id=task.case_id,
                                      subject_name=task.subject_name))
        except DomainError as exc:
            results.append(BulkResult(task_id, False, exc.message,
                                      case_id=task.case_id if task else None,
                                      subject_name=task.subject_name if task else None))
    return results
