"""Background use cases: run an outbox job, fire due timers, finish async service tasks.

The same functions run in the in-process dispatcher (embedded default) and in Celery
tasks (production): only the dispatcher differs.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.auth import Actor
from server.db import utcnow
from server.engine import EngineError, Instance, TaskNotReady
from server.models import Case, OutboxJob, Timer
from server.services.cases import lock_case
from server.services.context import ASYNC_OPERATORS, AppContext
from server.services.deployments import definition_info
from server.services.steps import audit, persist_step

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
Handler = Callable[[AppContext, Session, OutboxJob], None]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn
    return register


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(600, 2 ** attempts))


def claim_due_jobs(ctx: AppContext, limit: int = 50, *, stale_after: int = 300) -> list[int]:
    """Mark due pending jobs as sent and return their ids. Jobs sent but not finished
    within `stale_after` seconds (a worker died) are sent again: the sweeper."""
    now = utcnow()
    with ctx.db.unit_of_work() as session:
        stale = now - timedelta(seconds=stale_after)
        session.execute(update(OutboxJob).where(OutboxJob.status == "sent",
                                                OutboxJob.sent_at < stale)
                        .values(status="pending"))
        stmt = (select(OutboxJob).where(OutboxJob.status == "pending",
                                        OutboxJob.available_at <= now)
                .order_by(OutboxJob.available_at, OutboxJob.id).limit(limit))
        if ctx.db.is_postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        jobs = session.scalars(stmt).all()
        for job in jobs:
            job.status = "sent"
            job.sent_at = now
        return [job.id for job in jobs]


def _load_handlers() -> None:
    """Handler modules register themselves on import."""
    import server.services.documents  # noqa: F401


def run_job(ctx: AppContext, job_id: int) -> str:
    """Run one job; idempotent (a finished job is skipped). Returns the job's status."""
    _load_handlers()
    try:
        with ctx.db.unit_of_work() as session:
            stmt = select(OutboxJob).where(OutboxJob.id == job_id)
            if ctx.db.is_postgres:
                stmt = stmt.with_for_update()
            job = session.scalars(stmt).first()
            if job is None or job.status in ("done", "failed", "skipped"):
                return job.status if job else "missing"
            fn = HANDLERS.get(job.kind)
            if fn is None:
                raise LookupError(f"no handler for job kind '{job.kind}'")
            job.attempts += 1
            fn(ctx, session, job)
            job.status = "done"
            job.done_at = utcnow()
            job.last_error = None
            return "done"
    except Exception as exc:
        log.warning("job %s failed: %s", job_id, exc)
        return _record_failure(ctx, job_id, exc)


def _record_failure(ctx: AppContext, job_id: int, exc: Exception) -> str:
    with ctx.db.unit_of_work() as session:
        job = session.get(OutboxJob, job_id)
        if job is None:
            return "missing"
        job.attempts += 1
        job.last_error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
        if job.attempts >= MAX_ATTEMPTS:
            job.status = "failed"
            case = session.get(Case, job.case_id) if job.case_id else None
            audit(session, case, Actor.system(), "incident",
                  {"job_id": job.id, "kind": job.kind, "error": job.last_error,
                   "attempts": job.attempts})
        else:
            job.status = "pending"
            job.available_at = utcnow() + backoff(job.attempts)
        return job.status


def retry_job(ctx: AppContext, actor: Actor, job_id: int) -> None:
    """Admin action on an incident: run the failed job again."""
    with ctx.db.unit_of_work() as session:
        job = session.get(OutboxJob, job_id)
        if job is None or job.status != "failed":
            from server.services.errors import Conflict

            raise Conflict("Повторить можно только задание с ошибкой")
        job.status = "pending"
        job.attempts = 0
        job.available_at = utcnow()
        audit(session, session.get(Case, job.case_id) if job.case_id else None, actor,
              "incident_retry", {"job_id": job.id})


def due_timer_case_ids(ctx: AppContext, limit: int = 100) -> list[int]:
    with ctx.db.read() as session:
        rows = session.scalars(select(Timer.case_id).where(
            Timer.status == "waiting", Timer.due_at <= utcnow())
            .order_by(Timer.due_at).limit(limit)).all()
        return list(dict.fromkeys(rows))


def fire_timers_for_case(ctx: AppContext, case_id: int) -> int:
    """Refresh the engine's timers for one case and run on. Exactly once: the timer rows
    are re-checked under the case lock, and a fired timer leaves the engine's wait list."""
    with ctx.db.unit_of_work() as session:
        case = lock_case(ctx, session, case_id)
        due = session.scalars(select(Timer).where(
            Timer.case_id == case_id, Timer.status == "waiting", Timer.due_at <= utcnow())).all()
        if not due or case.status not in ("in_progress", "returned"):
            return 0
        instance = _instance(ctx, session, case)
        try:
            calls = instance.fire_due_timers()
        except EngineError as exc:
            case.status = "error"
            audit(session, case, Actor.system(), "incident", {"error": str(exc)})
            return 0
        persist_step(ctx, session, case, instance, calls, Actor.system())
        return len(due)


def fire_due_timers(ctx: AppContext) -> int:
    fired = 0
    for case_id in due_timer_case_ids(ctx):
        fired += fire_timers_for_case(ctx, case_id)
    return fired


def _instance(ctx: AppContext, session: Session, case: Case) -> Instance:
    bundle = definition_info(ctx, session, case.definition_id).bundle
    return Instance.restore(bundle, case.state, ctx.script_functions, ASYNC_OPERATORS)


def finish_service_task(ctx: AppContext, session: Session, case_id: int, task_id: str,
                        result: dict[str, Any]) -> bool:
    """Complete a waiting asynchronous service task and run on (in the job's transaction).
    Returns False when the task was already finished (a re-run of the same job)."""
    case = lock_case(ctx, session, case_id)
    instance = _instance(ctx, session, case)
    try:
        calls = instance.complete_service_task(task_id, result)
    except TaskNotReady:
        return False
    persist_step(ctx, session, case, instance, calls, Actor.system())
    return True


@handler("notify/escalation")
def _notify_escalation(ctx: AppContext, session: Session, job: OutboxJob) -> None:
    from server.services.notifications import send_for_job

    send_for_job(ctx, session, job)


@handler("notify/send")
def _notify_send(ctx: AppContext, session: Session, job: OutboxJob) -> None:
    from server.services.notifications import send_for_job

    send_for_job(ctx, session, job)
