"""Celery app (production): the worker runs jobs by id; beat ticks the dispatcher.

Each task is a thin shim over one service call, by id, idempotent: a job run twice is a
no-op the second time (see `services.background.run_job`). Every task has a soft and a hard
time limit (REGOFFICE_JOB_SOFT_TIME_LIMIT, REGOFFICE_JOB_TIME_LIMIT): a job that hangs is
interrupted and retried (its transaction rolled back, its case's lock released), and past the
hard limit its pool process is killed, so one stuck case never holds a pool process forever.

The job kinds declared long (`JobKind.long`: the record import of a whole university takes
minutes) go to `regoffice.run_long_job` instead: the same body with the long limits
(REGOFFICE_LONG_JOB_SOFT_TIME_LIMIT, REGOFFICE_LONG_JOB_TIME_LIMIT), on the queue
`regoffice-long`. `regoffice worker` consumes both queues; a worker of its own for the long
jobs (`--queues regoffice-long`) keeps them off the pool processes the short jobs need.
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache

from celery import Celery, signals

from server.bootstrap import build_context
from server.config import Settings
from server.jobs.handoff import Handoff
from server.jobs.worker_beat import WorkerBeat
from server.services.background import heartbeat
from server.services.background import jobs as background
from server.services.context import AppContext
from server.services.reports import public_services as reports

log = logging.getLogger(__name__)
TICK_SECONDS = float(os.environ.get("REGOFFICE_TICK_SECONDS", "2"))
# A pool process grows as it renders documents; once its resident memory passes this cap it
# finishes its current job and is replaced by a fresh one. MiB; 0 turns the cap off. Celery
# takes the value in KiB.
MAX_MEMORY_MB = int(os.environ.get("REGOFFICE_WORKER_MAX_MEMORY_MB", "200"))
QUEUE = "regoffice"
LONG_QUEUE = "regoffice-long"


@lru_cache(maxsize=1)
def settings() -> Settings:
    return Settings.from_env()


celery = Celery("regoffice")
celery.conf.update(
    broker_url=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"),
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    worker_max_memory_per_child=MAX_MEMORY_MB * 1024 if MAX_MEMORY_MB > 0 else None,
    task_default_queue=QUEUE,
    task_routes={"regoffice.run_long_job": {"queue": LONG_QUEUE}},
    broker_connection_retry_on_startup=True,
    task_soft_time_limit=settings().job_soft_time_limit or None,
    task_time_limit=settings().job_time_limit or None,
    # A tick nobody ran within a few periods (the worker was down) is dropped, not piled up.
    beat_schedule={"regoffice-tick": {"task": "regoffice.tick", "schedule": TICK_SECONDS,
                                      "options": {"expires": max(10.0, TICK_SECONDS * 5)}}},
    timezone="UTC",
)


@lru_cache(maxsize=1)
def context() -> AppContext:
    """The pool process's context (created in the pool process, never in the main one: a
    forked child must not share the parent's pooled connections). Jobs a job writes (the
    next step's notifications, a triggered case's documents) leave at its commit."""
    ctx = build_context(settings())
    Handoff(ctx, run_job.delay, run_long_job.delay).install()
    return ctx


@celery.task(name="regoffice.run_job")
def run_job(job_id: int) -> str:
    return background.run_job(context(), job_id)


# Its own limits (0: none; a task's limit set here is never replaced by the short defaults).
@celery.task(name="regoffice.run_long_job", soft_time_limit=settings().long_job_soft_time_limit,
             time_limit=settings().long_job_time_limit)
def run_long_job(job_id: int) -> str:
    """A job of a long kind: the same body as `run_job`, with the long time limits."""
    return background.run_job(context(), job_id)


def send(job: background.Claimed) -> None:
    """Hand a claimed job to the workers: a long kind to its own task."""
    (run_long_job if job.long else run_job).delay(job.id)


@celery.task(name="regoffice.tick")
def tick() -> dict[str, int]:
    """Record the worker's heartbeat, store the monthly report when due, hand due outbox jobs to
    the workers (the sweeper re-sends jobs a dead worker held or never finished), fire due
    timers, then hand out the jobs they wrote. Jobs go out before timers fire: a case whose
    timer step runs long cannot hold up the other cases' jobs."""
    ctx = context()
    try:
        heartbeat.record_heartbeat(ctx, heartbeat.WORKER)
    except Exception:  # the health check will say so; timers and jobs must still run
        log.exception("could not record the worker's heartbeat")
    try:  # the previous month's public-service report, once, from its first working day
        reports.generate_due_monthly(ctx)
    except Exception:
        log.exception("could not generate the monthly report")
    jobs = _dispatch(ctx)
    fired = background.fire_due_timers(ctx)
    if fired:
        jobs += _dispatch(ctx)
    return {"timers": fired, "jobs": jobs}


def web_handoff(ctx: AppContext) -> Handoff:
    """The web app's handoff: jobs its requests write go to the workers at their commit."""
    return Handoff(ctx, run_job.delay, run_long_job.delay).install()


def _dispatch(ctx: AppContext) -> int:
    jobs = background.claim_jobs(ctx)
    for job in jobs:
        send(job)
    return len(jobs)


_beat: WorkerBeat | None = None


@signals.worker_ready.connect
def _start_beating(sender: object = None, **_kwargs: object) -> None:
    """The worker's own heartbeat, from its main process (see server/jobs/worker_beat.py)."""
    global _beat
    node = str(getattr(sender, "hostname", None) or "celery")
    _beat = WorkerBeat(settings(), node)
    _beat.start()


@signals.worker_shutdown.connect
def _stop_beating(**_kwargs: object) -> None:
    if _beat is not None:
        _beat.stop()
