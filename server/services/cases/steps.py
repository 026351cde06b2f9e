"""Writing one engine step to the database: state, inbox projection, timers, service
calls (audit + outbox), case status. Always inside the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from server.auth import Actor
from server.db import utcnow
from server.engine import SERIALIZER_VERSION, Instance, ServiceCall
from server.hot_path import WAITING_TIMERS, insert_tasks, write_case
from server.models import Case, HumanTask, OutboxJob, Timer, User
from server.services.cases.audit_trail import audit
from server.services.cases.due import task_due
from server.services.cases.instructions import render_task_instructions
from server.services.context import AppContext, StepCall
from server.services.messages.waits import sync_waits
from server.services.people.routing import raise_routing_incidents

REFUSED_OUTCOMES = frozenset({"refused", "rejected"})
# A user task with neither a role nor a lane (plain BPMN) goes to the office's group queue:
# otherwise no one but the system could ever take it.
DEFAULT_TASK_ROLE = "registrar"
CLOSED_BY_PERSON = ("cancelled", "withdrawn")

# Built once (a statement's construction and cache key cost about as much as its execution).
_JOB_BY_KEY = select(OutboxJob.id).where(OutboxJob.idempotency_key == bindparam("key"))


def enqueue(session: Session, kind: str, key: str, case: Case | None,
            payload: dict[str, Any], available_at: Any = None) -> None:
    """Write an outbox job unless one with the same idempotency key exists."""
    if session.scalar(_JOB_BY_KEY, {"key": key}) is not None:
        return
    job = OutboxJob(kind=kind, idempotency_key=key, case_id=case.id if case else None,
                    payload=payload)
    if available_at is not None:
        job.available_at = available_at
    session.add(job)
    session.info["jobs_written"] = True


@dataclass
class CaseStep:
    """The case after a step (its start, a completion) and the tasks now open in it."""

    case: Case
    open_tasks: list[HumanTask]


def persist_step(ctx: AppContext, session: Session, case: Case, instance: Instance,
                 calls: list[ServiceCall], actor: Actor) -> list[HumanTask]:
    """Write the step; return the task rows now open in the case (the next steps)."""
    rows = _apply_step(ctx, session, case, instance, calls, actor)
    write_case(session, case)
    return rows


def _apply_step(ctx: AppContext, session: Session, case: Case, instance: Instance,
                calls: list[ServiceCall], actor: Actor) -> list[HumanTask]:
    now = utcnow()
    case.state = instance.dump()
    case.serializer_version = SERIALIZER_VERSION
    case.updated_at = now
    open_tasks, rows = _project_tasks(ctx, session, case, instance, actor)
    _sync_timers(session, case, instance)
    for log in instance.take_printed():  # `print` in the model's scripts: the case history shows it
        audit(session, case, actor, "script_log", {"element": log.element, "lines": log.lines,
                                                   **({"omitted": log.omitted} if log.omitted else {})})
    sync_waits(session, case, instance)
    for call in calls:
        _handle_call(ctx, session, case, call, actor, instance)
    if instance.completed or case.status in CLOSED_BY_PERSON:
        for hook in ctx.operators.on_case_closed:
            hook(ctx, session, case, instance.data)
    if case.status in CLOSED_BY_PERSON:
        return rows  # cancel_case records the outcome and the audit event itself
    decision = next((t["case_decision"] for t in open_tasks if t.get("case_decision")), None)
    if decision and case.decided_at is None:
        _decide(session, case, str(decision), actor)
    if instance.completed:
        _finish(session, case, instance, actor)
    elif case.status in ("in_progress", "returned"):
        returned = any(t.get("case_status") == "returned" for t in open_tasks)
        case.status = "returned" if returned else "in_progress"
    return rows


def _project_tasks(ctx: AppContext, session: Session, case: Case, instance: Instance,
                   actor: Actor) -> tuple[list[dict[str, Any]], list[HumanTask]]:
    """Insert newly ready user tasks; close rows the engine no longer has ready.

    The case keeps the ids of its open task rows in `summary`, so a step reads only the
    rows it closes (usually the one just completed, already in the session)."""
    ready = {t.id: t for t in instance.ready_user_tasks()}
    summary = case.summary or {}
    if "open_tasks" in summary:
        known = set(summary["open_tasks"])
        existing = [session.get(HumanTask, tid) for tid in known - ready.keys()]
    else:
        existing = list(session.scalars(select(HumanTask).where(
            HumanTask.case_id == case.id, HumanTask.status == "open"))) if case.id else []
        known = {row.id for row in existing}
    now = utcnow()
    for row in existing:
        # Only an open row changes (the completed one was closed already): assigning an
        # unchanged value would still make the session visit it at flush.
        if row is not None and row.id not in ready and row.status == "open":
            row.status = "cancelled"
            row.completed_at = row.completed_at or now
    case.summary = {**summary, "open_tasks": sorted(ready)}
    new: dict[str, HumanTask] = {}
    for task in ready.values():
        if task.id in known:
            continue
        meta = task.meta
        roles = list(dict.fromkeys(meta.get("roles") or [])) or [ctx.role_for_lane(task.lane)
                                                                  or DEFAULT_TASK_ROLE]
        assignee = meta.get("assignee")
        new[task.id] = HumanTask(
            id=task.id, case_id=case.id, process_id=case.process_id, spec_name=task.spec_name,
            name=task.name, lane=task.lane, role=roles[0], candidate_roles=",".join(roles),
            faculty_id=case.faculty_id, form_key=meta.get("form_key"), status="open",
            subject_name=case.subject_name, subject_iin=case.subject_iin,
            due_at=task_due(ctx, case, meta,
                            instance.task_data(task.id) if meta.get("due_date") else None, now),
            created_at=now, lock_version=1,
            assignee_id=(session.scalar(select(User.id).where(User.username == assignee))
                         if assignee else None),
            **_instructions(ctx, case.process_id, meta, instance, task.id),
        )
        if ctx.settings.smtp_host:
            enqueue(session, "notify/task", f"notify:task:{task.id}", case, {"task_id": task.id})
    if new:
        # Core INSERTs: the rows are written now and the objects returned stay out of the
        # session (nothing changes them later in this transaction), which spares the
        # unit of work most of a step's bookkeeping.
        insert_tasks(session, list(new.values()))
        # a step that reaches nobody is raised to the office head at once
        raise_routing_incidents(ctx, session, case, new.values(), actor)
    rows = [new[tid] if tid in new else session.get(HumanTask, tid) for tid in ready]
    return [t.meta for t in ready.values()], [r for r in rows if r is not None]


def _instructions(ctx: AppContext, process_id: str, meta: dict[str, Any], instance: Instance,
                  task_id: str) -> dict[str, str | None]:
    """The task's instructions in Russian and Kazakh, rendered with its data in words (only
    when the model has some: most steps of a fast path have none)."""
    templates = {key: meta.get(key) for key in ("instructions", "instructions_kk")}
    if not any(templates.values()):
        return {}
    return render_task_instructions(ctx.forms, process_id, templates, instance.task_data(task_id))


def _sync_timers(session: Session, case: Case, instance: Instance) -> None:
    waiting = {t.task_id: t for t in instance.waiting_timers()}
    summary = case.summary or {}
    if not waiting and not summary.get("waiting_timers"):
        return  # no timer now and none recorded: nothing to read or write
    case.summary = {**summary, "waiting_timers": len(waiting)}
    rows = session.scalars(WAITING_TIMERS, {"case_id": case.id}).all()
    seen = set()
    now = utcnow()
    for row in rows:
        if row.engine_task_id in waiting:
            due = waiting[row.engine_task_id].due_at
            if row.due_at != due:  # unchanged rows stay clean: the flush skips them
                row.due_at = due
            seen.add(row.engine_task_id)
        elif row.due_at <= now:
            row.status = "fired"
            row.fired_at = now
            audit(session, case, None, "timer_fired",
                  {"element": row.spec_name, "due_at": row.due_at.isoformat()})
        else:
            row.status = "cancelled"
    for task_id, timer in waiting.items():
        if task_id not in seen:
            session.add(Timer(case_id=case.id, engine_task_id=task_id, spec_name=timer.spec_name,
                              due_at=timer.due_at))


def _handle_call(ctx: AppContext, session: Session, case: Case, call: ServiceCall, actor: Actor,
                 instance: Instance) -> None:
    """Dispatch a service call through the operator registry (server/services/operators/)."""
    operator = ctx.operators.get(call.operator)
    if operator is None:  # deploy refuses unknown operators: a context built without them
        raise LookupError(f"operator '{call.operator}' is not registered")
    step = StepCall(ctx, session, case, call, actor, instance)
    if operator.handle is not None:
        operator.handle(step)
    else:  # a background operator: its job runs after the commit and resumes the task
        enqueue(session, call.operator, step.key, case,
                {"case_id": case.id, "task_id": call.task_id, "params": call.params})
        audit(session, case, actor, "service_requested",
              {"operator": call.operator, "element": call.spec_name}, task_id=call.task_id)


def _decide(session: Session, case: Case, outcome: str, actor: Actor) -> None:
    """The service is rendered (the order issued) while the case goes on: the decision's time
    and outcome are what the ministry's report counts (server/services/reports/public_services.py)."""
    case.decided_at = utcnow()
    case.outcome = outcome
    case.summary = {**(case.summary or {}), "outcome": outcome}
    audit(session, case, actor, "case_decided", {"outcome": outcome})


def _finish(session: Session, case: Case, instance: Instance, actor: Actor) -> None:
    data = instance.data
    outcome = str(data.get("outcome") or "completed")
    case.outcome = outcome
    case.decided_at = case.decided_at or utcnow()
    if outcome in REFUSED_OUTCOMES:
        case.status = "rejected"
        ground = data.get("refusal_ground")
        case.refusal_ground = str(ground) if ground else None
    elif case.status not in ("cancelled", "withdrawn"):
        case.status = "completed"
    case.summary = {**(case.summary or {}), "outcome": outcome}
    audit(session, case, actor, "case_completed",
          {"status": case.status, "outcome": outcome, "refusal_ground": case.refusal_ground})
