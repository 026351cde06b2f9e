"""Background use cases: run an outbox job, fire due timers, finish async service tasks.

The same functions run in the in-process dispatcher (embedded default) and in Celery
tasks (production): only the dispatcher differs.
"""

from __future__ import annotations

import logging
import math
import traceback
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from server.auth import Actor
from server.db import DATABASE_ERRORS, is_busy_error, utcnow
from server.domain.vocabulary import MissingName
from server.engine import EngineError, Instance, TaskNotReady
from server.models import AuditEvent, Case, OutboxJob, Timer
from server.services.background.heartbeat import dead_workers, forget_heartbeats
from server.services.cases.lifecycle import lock_case
from server.services.cases.steps import audit, persist_step
from server.services.context import AppContext
from server.services.procedures.deployments import definition_info

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5
FINISHED = ("done", "failed", "skipped")
# pending: waits for its time; sent: handed to a worker; running: a worker started it.
LEASED = ("sent", "running")


def backoff(attempts: int, base: float = 2.0) -> timedelta:
    """Delay before the next try after `attempts` failed ones: base, 2·base, 4·base… ≤ 10 min."""
    return timedelta(seconds=min(600.0, base * 2 ** max(0, attempts - 1)))


def running_lease(ctx: AppContext, kind: str | None = None) -> float:
    """Seconds after its start a running job of `kind` counts as lost (`math.inf`: never by
    time alone). Under Celery's hard time limit no run lasts longer than the limit, so a job
    still running a little after it was killed with its pool process; otherwise
    job_stale_seconds. A long kind (`JobKind.long`) has the long limit in every mode: an
    import running for minutes is never taken for lost and run a second time beside itself
    (a worker that dies is found by its heartbeat instead)."""
    settings = ctx.settings
    if kind is not None and ctx.operators.is_long(kind):
        limit = settings.long_job_time_limit
        return max(float(settings.job_stale_seconds), limit + 5.0) if limit > 0 else math.inf
    if settings.background == "celery" and settings.job_time_limit > 0:
        return min(float(settings.job_stale_seconds), settings.job_time_limit + 5.0)
    return float(settings.job_stale_seconds)


class Claimed(NamedTuple):
    """A job handed out: its id, and whether its kind is long (it goes to the long task)."""

    id: int
    long: bool


def claim_due_jobs(ctx: AppContext, limit: int = 50, *, stale_after: float | None = None,
                   long: bool | None = None) -> list[int]:
    """The ids of `claim_jobs` (below)."""
    return [job.id for job in claim_jobs(ctx, limit, stale_after=stale_after, long=long)]


def claim_jobs(ctx: AppContext, limit: int = 50, *, stale_after: float | None = None,
               long: bool | None = None) -> list[Claimed]:
    """Mark due pending jobs as sent and return them: all, or (`long`) only the long kinds or
    only the others. Jobs sent but not started within `stale_after` seconds (default:
    settings.job_stale_seconds), or started longer than their kind's `running_lease` ago, were
    lost with a worker: the sweeper sends them again, and so it does at once for every
    unfinished job when a worker's heartbeat stops (a dead worker). A job a worker is running
    right now holds its row lock on PostgreSQL and is skipped, however long it runs (a long
    kind's `prepare` holds none: its lease is the long limit)."""
    now = utcnow()
    stale_after = ctx.settings.job_stale_seconds if stale_after is None else stale_after
    long_kinds = sorted(ctx.operators.long_kinds)
    with ctx.db.unit_of_work() as session:
        _sweep(ctx, session, now, stale_after, limit)
        stmt = (select(OutboxJob).where(OutboxJob.status == "pending",
                                        OutboxJob.available_at <= now)
                .order_by(OutboxJob.available_at, OutboxJob.id).limit(limit))
        if long is True:
            stmt = stmt.where(OutboxJob.kind.in_(long_kinds))
        elif long is False and long_kinds:
            stmt = stmt.where(OutboxJob.kind.not_in(long_kinds))
        if ctx.db.is_postgres:
            stmt = stmt.with_for_update(skip_locked=True)
        jobs = session.scalars(stmt).all()
        for job in jobs:
            job.status = "sent"
            job.sent_at = now
        return [Claimed(job.id, ctx.operators.is_long(job.kind)) for job in jobs]


def _sweep(ctx: AppContext, session: Session, now: datetime, stale_after: float, limit: int) -> int:
    dead_seconds = ctx.settings.worker_dead_seconds
    dead = dead_workers(session, now, dead_seconds)
    sent_before = now - timedelta(seconds=stale_after)
    stale = or_(and_(OutboxJob.status == "sent", OutboxJob.sent_at < sent_before),
                _running_too_long(ctx, now, stale_after))
    if dead:
        # A dead worker may have held any job sent before it died (prefetched or running):
        # send those again now. Jobs live workers run are row-locked (skipped); a duplicate
        # message for a job queued elsewhere is a no-op (run_job is idempotent).
        died_by = max(dead.values()) + timedelta(seconds=dead_seconds)
        stale = or_(stale, and_(OutboxJob.status.in_(LEASED), OutboxJob.sent_at < died_by))
    stmt = select(OutboxJob).where(stale).order_by(OutboxJob.id).limit(limit)
    if ctx.db.is_postgres:
        stmt = stmt.with_for_update(skip_locked=True)
    jobs = session.scalars(stmt).all()
    if dead and len(jobs) < limit:  # all its jobs are taken care of
        log.warning("worker(s) %s stopped beating: their unfinished jobs are sent again",
                    ", ".join(sorted(dead)))
        forget_heartbeats(session, dead)
    for job in jobs:
        log.warning("job %s (%s) sent at %s never finished: sending it again", job.id, job.kind,
                    job.sent_at)
        session.add(AuditEvent(case_id=job.case_id, kind="job_resent",
                               payload={"job_id": job.id, "kind": job.kind,
                                        "sent_at": job.sent_at.isoformat() if job.sent_at else None,
                                        "attempts": job.attempts,
                                        **({"dead_workers": sorted(dead)} if dead else {})}))
        job.status = "pending"
    session.flush()  # the claim below must see them (the session does not autoflush)
    return len(jobs)


def _running_too_long(ctx: AppContext, now: datetime, stale_after: float) -> ColumnElement[bool]:
    """Running jobs started longer than their kind's lease ago (the long kinds have their own)."""
    running_before = now - timedelta(seconds=min(stale_after, running_lease(ctx)))
    long_kinds = sorted(ctx.operators.long_kinds)
    if not long_kinds:
        return and_(OutboxJob.status == "running", OutboxJob.sent_at < running_before)
    short = and_(OutboxJob.status == "running", OutboxJob.kind.not_in(long_kinds),
                 OutboxJob.sent_at < running_before)
    lease = running_lease(ctx, long_kinds[0])  # one long limit for every long kind
    if math.isinf(lease):
        return short
    return or_(short, and_(OutboxJob.status == "running", OutboxJob.kind.in_(long_kinds),
                           OutboxJob.sent_at < now - timedelta(seconds=lease)))


def _locked_job(ctx: AppContext, session: Session, job_id: int) -> OutboxJob | None:
    stmt = select(OutboxJob).where(OutboxJob.id == job_id)
    if ctx.db.is_postgres:
        stmt = stmt.with_for_update()
    return session.scalars(stmt).first()


def run_job(ctx: AppContext, job_id: int) -> str:
    """Run one job; idempotent (a finished job is skipped). Returns the job's status.

    The attempt is counted and the job's lease renewed in a transaction of its own before
    the handler runs: a run that kills its worker (SIGKILL, out of memory) still counts,
    so a job that always kills the worker ends as an incident instead of looping forever."""
    try:
        started: dict[str, Any] = {}
        refused = _start_attempt(ctx, job_id, started)
        if refused is not None:
            return refused
        prepare = ctx.operators.prepare(started["kind"])
        # A kind's slow part (a PDF conversion) runs here, before the transaction: no lock held.
        prepared = prepare(ctx, started["payload"]) if prepare is not None else None
        with ctx.db.unit_of_work() as session:
            session.info["prepared"] = prepared
            job = _locked_job(ctx, session, job_id)
            if job is None or job.status != "running":
                return job.status if job else "missing"  # another run finished it meanwhile
            fn = ctx.operators.job(job.kind)
            if fn is None:
                raise LookupError(f"no handler for job kind '{job.kind}'")
            fn(ctx, session, job)
            job.status = "done"
            job.done_at = utcnow()
            job.last_error = None
            return "done"
    except Exception as exc:
        log.warning("job %s failed: %s", job_id, exc)
        try:
            return _record_failure(ctx, job_id, exc)
        except Exception as again:
            if not is_busy_error(again):
                raise
            # Nothing can be written (SQLite's database-wide lock is held): the job keeps its
            # lease and is sent again when the lease runs out.
            log.warning("job %s: the failure could not be recorded (%s)", job_id, again)
            return "busy"


def _start_attempt(ctx: AppContext, job_id: int, started: dict[str, Any] | None = None) -> str | None:
    """None when the job may run now (its attempt counted; its kind and payload put into
    `started`); else the status to report."""
    with ctx.db.unit_of_work() as session:
        job = _locked_job(ctx, session, job_id)
        if job is None:
            return "missing"
        if job.status in FINISHED:
            return job.status
        now = utcnow()
        if job.status == "pending" and job.available_at > now:
            return "pending"  # a duplicate message: the retry is not due yet
        lease = running_lease(ctx, job.kind)
        if job.status == "running" and job.sent_at is not None and (
                math.isinf(lease) or job.sent_at > now - timedelta(seconds=lease)):
            return "running"  # a duplicate message: another worker is on it
        if job.attempts >= MAX_ATTEMPTS:
            job.last_error = (f"Задание прерывалось {job.attempts} раз(а): процесс исполнителя "
                              "завершался, не закончив его (сбой, нехватка памяти или предел времени)")
            _mark_failed(session, job)
            return "failed"
        job.attempts += 1
        job.status = "running"
        job.sent_at = now  # the lease starts again
        if started is not None:
            started.update(kind=job.kind, payload=dict(job.payload or {}))
        return None


def _mark_failed(session: Session, job: OutboxJob) -> None:
    job.status = "failed"
    job.done_at = utcnow()
    case = session.get(Case, job.case_id) if job.case_id else None
    audit(session, case, Actor.system(), "incident",
          {"job_id": job.id, "kind": job.kind, "error": job.last_error, "attempts": job.attempts})


def _record_failure(ctx: AppContext, job_id: int, exc: Exception) -> str:
    with ctx.db.unit_of_work() as session:
        job = _locked_job(ctx, session, job_id)
        if job is None:
            return "missing"
        if job.status in FINISHED:
            return job.status
        if isinstance(exc, MissingName) or getattr(exc, "incident_at_once", False):
            # Retrying cannot help until someone enters the name (or appoints the missing
            # role): an incident at once, in the words the registrar reads (ru / kk / en);
            # the retry button runs it again.
            job.last_error = str(exc)[:2000]
            _mark_failed(session, job)
            return job.status
        job.last_error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
        if job.attempts >= MAX_ATTEMPTS:
            _mark_failed(session, job)
        else:
            job.status = "pending"
            job.available_at = utcnow() + backoff(job.attempts, ctx.settings.job_retry_seconds)
        return job.status


def due_timer_case_ids(ctx: AppContext, limit: int = 100) -> list[int]:
    with ctx.db.read() as session:
        rows = session.scalars(select(Timer.case_id).where(
            Timer.status == "waiting", Timer.due_at <= utcnow())
            .order_by(Timer.due_at).limit(limit)).all()
        return list(dict.fromkeys(rows))


def fire_timers_for_case(ctx: AppContext, case_id: int) -> int:
    """Refresh the engine's timers for one case and run on. Exactly once: the timer rows
    are re-checked under the case lock, and a fired timer leaves the engine's wait list.
    On PostgreSQL a case another transaction holds is skipped at once (SKIP LOCKED): its
    timers fire in a later round, and the sweep never waits on a step that runs long."""
    with ctx.db.unit_of_work() as session:
        if ctx.db.is_postgres:
            case = session.scalars(select(Case).where(Case.id == case_id).with_for_update(
                skip_locked=True).execution_options(populate_existing=True)).first()
            if case is None:
                return 0
        else:
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
    """Fire every case's due timers. A case whose lock another transaction holds (a step
    running long) is left for the next round: it never stops the other cases' timers."""
    fired = 0
    for case_id in due_timer_case_ids(ctx):
        try:
            fired += fire_timers_for_case(ctx, case_id)
        except DATABASE_ERRORS as exc:
            if not is_busy_error(exc):
                raise
            log.warning("timers of case %s: the case is locked by another transaction, "
                        "next round", case_id)
    return fired


def _instance(ctx: AppContext, session: Session, case: Case) -> Instance:
    bundle = definition_info(ctx, session, case.definition_id).bundle
    return ctx.restore_instance(bundle, case.state)


def finish_service_task(ctx: AppContext, session: Session, case_id: int, task_id: str,
                        result: dict[str, Any], instance: Instance | None = None) -> bool:
    """Complete a waiting asynchronous service task and run on (in the job's transaction).
    Returns False when the task was already finished (a re-run of the same job).
    `instance` is the case's workflow when the caller restored it already under the same lock
    (and has not changed it): restoring is a good part of a short job."""
    case = lock_case(ctx, session, case_id)
    instance = instance or _instance(ctx, session, case)
    try:
        calls = instance.complete_service_task(task_id, result)
    except TaskNotReady:
        return False
    persist_step(ctx, session, case, instance, calls, Actor.system())
    return True
