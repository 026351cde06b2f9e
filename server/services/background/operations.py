"""Operations: the state of background work (queue, timers, incidents, worker heartbeat),
admin actions on incidents (retry, skip) and the `diagnostics/probe` job."""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth import Actor
from server.db import utcnow
from server.engine import EngineError
from server.models import Case, OutboxJob, Timer
from server.services.background import jobs as background
from server.services.background.heartbeat import heartbeats, worker_health
from server.services.cases.lifecycle import lock_case
from server.services.cases.steps import audit, enqueue
from server.services.context import AppContext
from server.services.errors import Conflict, Forbidden, Invalid, NotFound, tr

# Who may retry or skip a failed job and see the operations status.
OPERATORS = frozenset({"admin", "registrar_head"})
QUEUED = ("pending", "sent")  # the queue; "running" jobs are in a worker's hands
PROBE = "diagnostics/probe"


class ProbeFailure(RuntimeError):
    """The deliberate failure of a diagnostics probe."""


@dataclass(frozen=True)
class Incident:
    """A job that failed every attempt: what failed, the error, when."""

    job_id: int
    kind: str
    case_id: int | None
    attempts: int
    last_error: str | None
    at: datetime | None

    @classmethod
    def of(cls, job: OutboxJob) -> Incident:
        return cls(job.id, job.kind, job.case_id, job.attempts, job.last_error,
                   job.done_at or job.sent_at or job.created_at)


@dataclass(frozen=True)
class JobState:
    job_id: int
    kind: str
    case_id: int | None
    status: str
    attempts: int
    last_error: str | None
    available_at: datetime | None

    @classmethod
    def of(cls, job: OutboxJob) -> JobState:
        return cls(job.id, job.kind, job.case_id, job.status, job.attempts, job.last_error,
                   job.available_at)


@dataclass(frozen=True)
class OldestJob:
    job_id: int
    kind: str
    case_id: int | None
    age_seconds: float  # since it became due


@dataclass(frozen=True)
class WaitingTimer:
    case_id: int
    element: str
    due_at: datetime


@dataclass
class OpsStatus:
    jobs: dict[str, int]
    queue_depth: int
    oldest_pending: OldestJob | None
    timers: list[WaitingTimer]
    incidents: list[Incident]
    heartbeats: dict[str, float]  # dispatcher name -> age in seconds
    worker_ok: bool
    worker_heartbeat: str | None
    worker_heartbeat_age: float | None
    worker_message: str
    at: datetime = field(default_factory=utcnow)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _require_operator(actor: Actor | None) -> None:
    if actor is not None and not actor.has_any(OPERATORS):
        raise Forbidden("Фоновые задания и инциденты доступны администратору и руководителю "
                        "офиса регистратора")


def status(ctx: AppContext, actor: Actor | None = None) -> OpsStatus:
    """Queue depth, the oldest due job, the next timers, open incidents, worker heartbeat.
    `actor` None: the command line (an operator on the server)."""
    _require_operator(actor)
    now = utcnow()
    with ctx.db.read() as session:
        counts = dict(session.execute(
            select(OutboxJob.status, func.count()).group_by(OutboxJob.status)).tuples().all())
        oldest = session.scalars(select(OutboxJob).where(
            OutboxJob.status.in_(QUEUED), OutboxJob.available_at <= now)
            .order_by(OutboxJob.available_at, OutboxJob.id).limit(1)).first()
        timers = session.scalars(select(Timer).where(Timer.status == "waiting")
                                 .order_by(Timer.due_at, Timer.id).limit(10)).all()
        incidents = _failed_jobs(session, limit=100)
    health = worker_health(ctx)
    return OpsStatus(
        jobs=counts, queue_depth=sum(counts.get(s, 0) for s in QUEUED),
        oldest_pending=OldestJob(oldest.id, oldest.kind, oldest.case_id,
                                 round((now - oldest.available_at).total_seconds(), 1))
        if oldest else None,
        timers=[WaitingTimer(t.case_id, t.spec_name, t.due_at) for t in timers],
        incidents=[Incident.of(j) for j in incidents],
        heartbeats={n: round((now - at).total_seconds(), 1) for n, at in heartbeats(ctx).items()},
        worker_ok=health.ok, worker_heartbeat=health.name,
        worker_heartbeat_age=round(health.age_seconds, 1) if health.age_seconds is not None else None,
        worker_message=health.message, at=now)


def _failed_jobs(session: Session, *, case_id: int | None = None, limit: int = 100) -> list[OutboxJob]:
    stmt = select(OutboxJob).where(OutboxJob.status == "failed")
    if case_id is not None:
        stmt = stmt.where(OutboxJob.case_id == case_id)
    return list(session.scalars(stmt.order_by(OutboxJob.id).limit(limit)))


def list_incidents(ctx: AppContext, actor: Actor | None = None, limit: int = 100) -> list[Incident]:
    _require_operator(actor)
    with ctx.db.read() as session:
        return [Incident.of(j) for j in _failed_jobs(session, limit=limit)]


def _failed_job(ctx: AppContext, session: Session, job_id: int, *, retry: bool) -> OutboxJob:
    stmt = select(OutboxJob).where(OutboxJob.id == job_id)
    if ctx.db.is_postgres:
        stmt = stmt.with_for_update()
    job = session.scalars(stmt).first()
    if job is None:
        raise NotFound("Задание №%(job_id)s не найдено", job_id=job_id)
    if job.status == "failed":
        return job
    if retry:
        raise Conflict("Повторить можно только задание с ошибкой; задание №%(job_id)s в состоянии "
                       "«%(status)s». Обновите список инцидентов", job_id=job_id, status=job.status)
    raise Conflict("Пропустить можно только задание с ошибкой; задание №%(job_id)s в состоянии "
                   "«%(status)s». Обновите список инцидентов", job_id=job_id, status=job.status)


def retry_job(ctx: AppContext, actor: Actor, job_id: int) -> JobState:
    """Admin action on an incident: run the failed job again, with a fresh set of attempts."""
    _require_operator(actor)
    with ctx.db.unit_of_work() as session:
        job = _failed_job(ctx, session, job_id, retry=True)
        job.status = "pending"
        job.attempts = 0
        job.available_at = utcnow()
        job.done_at = None
        case = session.get(Case, job.case_id) if job.case_id else None
        audit(session, case, actor, "incident_retry", {"job_id": job.id, "kind": job.kind})
        session.info["jobs_written"] = True  # wakes the in-process dispatcher
        return JobState.of(job)


def skip_job(ctx: AppContext, actor: Actor, job_id: int, reason: str) -> JobState:
    """Admin action on an incident: give the job up. A waiting service task of the case is
    completed with {"skipped": True, "reason": ...}, so the case moves on."""
    _require_operator(actor)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("Укажите причину пропуска задания", {"reason": tr("Обязательное поле")})
    with ctx.db.unit_of_work() as session:
        job = _failed_job(ctx, session, job_id, retry=False)
        job.status = "skipped"
        job.done_at = utcnow()
        case = session.get(Case, job.case_id) if job.case_id else None
        task_id = job.payload.get("task_id")
        resumed = False
        if case is not None and task_id:
            try:
                resumed = background.finish_service_task(ctx, session, case.id, str(task_id),
                                                         {"skipped": True, "reason": reason})
            except EngineError as exc:
                raise Conflict("Дело №%(case_id)s не может продолжиться без этого шага: %(error)s. "
                               "Исправьте причину ошибки и повторите задание", case_id=case.id,
                               error=exc) from None
        audit(session, case, actor, "incident_skipped",
              {"job_id": job.id, "kind": job.kind, "reason": reason, "error": job.last_error,
               "resumed": resumed}, task_id=str(task_id) if task_id else None)
        return JobState.of(job)


def enqueue_probe(ctx: AppContext, actor: Actor | None, fail_times: int, *,
                  sleep_seconds: float = 0.0, case_id: int | None = None) -> int:
    """A `diagnostics/probe` job that fails its first `fail_times` attempts, then succeeds:
    shows retries (and, with fail_times ≥ MAX_ATTEMPTS, an incident) end to end. With a
    `case_id` it holds that case's lock, and with `sleep_seconds` it takes that long (a step
    that hangs: shows the time limits and lock timeouts at work)."""
    _require_operator(actor)
    if fail_times < 0:
        raise Invalid("Число сбоев не может быть отрицательным", {"fail_times": tr("Не меньше 0")})
    key = f"probe:{uuid.uuid4().hex}"
    with ctx.db.unit_of_work() as session:
        case = session.get(Case, case_id) if case_id is not None else None
        if case_id is not None and case is None:
            raise NotFound("Дело не найдено или недоступно вам")
        enqueue(session, PROBE, key, case, {"fail_times": fail_times, "sleep_seconds": sleep_seconds,
                                            "case_id": case_id})
        session.flush()
        return int(session.scalars(select(OutboxJob.id).where(OutboxJob.idempotency_key == key)).one())


def run_probe(ctx: AppContext, session: Session, job: OutboxJob) -> None:
    """The `diagnostics/probe` job (see enqueue_probe)."""
    if job.payload.get("case_id") is not None:
        lock_case(ctx, session, int(job.payload["case_id"]))
    time.sleep(float(job.payload.get("sleep_seconds") or 0))
    fail_times = int(job.payload.get("fail_times") or 0)
    if job.attempts <= fail_times:
        raise ProbeFailure(f"Диагностическое задание: намеренный сбой {job.attempts} из {fail_times}")
