"""Celery app (production): the worker runs jobs by id; beat ticks the dispatcher.

Each task is a thin shim over one service call, by id, idempotent: a job run twice is a
no-op the second time (see `services.background.run_job`).
"""

from __future__ import annotations

import logging
import os
from functools import lru_cache

from celery import Celery

from server.bootstrap import build_context
from server.config import Settings
from server.services import background, heartbeat, reports
from server.services.context import AppContext

log = logging.getLogger(__name__)
TICK_SECONDS = float(os.environ.get("REGOFFICE_TICK_SECONDS", "2"))
# A pool process grows as it renders documents; once its resident memory passes this cap it
# finishes its current job and is replaced by a fresh one. MiB; 0 turns the cap off. Celery
# takes the value in KiB.
MAX_MEMORY_MB = int(os.environ.get("REGOFFICE_WORKER_MAX_MEMORY_MB", "200"))

celery = Celery("regoffice")
celery.conf.update(
    broker_url=os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"),
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    worker_max_memory_per_child=MAX_MEMORY_MB * 1024 if MAX_MEMORY_MB > 0 else None,
    task_default_queue="regoffice",
    broker_connection_retry_on_startup=True,
    # A tick nobody ran within a few periods (the worker was down) is dropped, not piled up.
    beat_schedule={"regoffice-tick": {"task": "regoffice.tick", "schedule": TICK_SECONDS,
                                      "options": {"expires": max(10.0, TICK_SECONDS * 5)}}},
    timezone="UTC",
)


@lru_cache(maxsize=1)
def context() -> AppContext:
    return build_context(Settings.from_env())


@celery.task(name="regoffice.run_job")
def run_job(job_id: int) -> str:
    return background.run_job(context(), job_id)


@celery.task(name="regoffice.tick")
def tick() -> dict[str, int]:
    """Record the worker's heartbeat, store the monthly report when due, fire due timers, then
    hand due outbox jobs to the workers (the sweeper re-sends jobs sent long ago but never finished)."""
    ctx = context()
    try:
        heartbeat.record_heartbeat(ctx, heartbeat.WORKER)
    except Exception:  # the health check will say so; timers and jobs must still run
        log.exception("could not record the worker's heartbeat")
    try:  # the previous month's public-service report, once, from its first working day
        reports.generate_due_monthly(ctx)
    except Exception:
        log.exception("could not generate the monthly report")
    fired = background.fire_due_timers(ctx)
    job_ids = background.claim_due_jobs(ctx)
    for job_id in job_ids:
        run_job.delay(job_id)
    return {"timers": fired, "jobs": len(job_ids)}
