"""Recovery on a real Celery worker (Redis, PostgreSQL): a job that hangs is killed at the hard
time limit while the other jobs go on; a worker killed with SIGKILL is found dead by its
heartbeat and the job it was running is sent again within seconds, not after the lease."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import select

from server.models import AuditEvent
from server.services.background import operations
from tests.integration.worker_procs import (
    Proc,
    count,
    pg_only_database_url,  # noqa: F401  (PostgreSQL only)
    private_broker,
    redis_reason,
    wait_until,
    worker_env,
)
from tests.integration.worker_procs import job_row as _job

pytestmark = pytest.mark.skipif(bool(redis_reason()), reason=redis_reason() or "")


@pytest.fixture
def cluster(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Start worker and beat with the given settings; stopped at the end of the test."""
    started: list[Proc] = []
    with private_broker() as broker:
        log_dir = tmp_path / "logs"
        log_dir.mkdir()

        def start(concurrency: int, **extra: str) -> tuple[Proc, Path]:
            env = worker_env(database_url, broker, tmp_path / "worker", **extra)
            worker = Proc("worker", ["worker", "--concurrency", str(concurrency)], env, log_dir)
            beat = Proc("beat", ["beat", "--schedule", str(tmp_path / "beat-schedule")], env, log_dir)
            for proc in (worker, beat):
                proc.start()
                started.append(proc)
            return worker, log_dir

        try:
            yield start
        finally:
            for proc in started:
                proc.stop()


def test_a_hanging_job_is_killed_at_the_hard_limit_and_the_next_job_runs(ctx, cluster):
    """One pool process; a job sleeps far longer than the 2 s hard limit (the soft limit off,
    as if the job could not be interrupted): the pool process is killed and replaced, the next
    job runs, and the killed job is sent again after its short lease."""
    hung = operations.enqueue_probe(ctx, None, 0, sleep_seconds=60)
    _worker, logs = cluster(1, REGOFFICE_JOB_SOFT_TIME_LIMIT="0", REGOFFICE_JOB_TIME_LIMIT="2")
    wait_until(lambda: _job(ctx, hung).status == "running", 30, logs)
    started = time.monotonic()
    after = operations.enqueue_probe(ctx, None, 0)
    wait_until(lambda: _job(ctx, after).status == "done", 15, logs)
    assert time.monotonic() - started < 15
    assert "TimeLimitExceeded" in (logs / "worker.log").read_text()
    assert _job(ctx, hung).status != "done"
    # the killed run held no row lock any more: sent again once its lease (limit + 10 s) ran out
    wait_until(lambda: _job(ctx, hung).attempts >= 2, 30, logs)


def test_a_soft_limit_ends_a_job_cleanly_and_it_is_retried(ctx, cluster):
    hung = operations.enqueue_probe(ctx, None, 0, sleep_seconds=60)
    _worker, logs = cluster(1, REGOFFICE_JOB_SOFT_TIME_LIMIT="3", REGOFFICE_JOB_TIME_LIMIT="30",
                            REGOFFICE_JOB_RETRY_SECONDS="0.2")
    wait_until(lambda: _job(ctx, hung).attempts >= 2, 30, logs)
    assert "SoftTimeLimitExceeded" in (_job(ctx, hung).last_error or "")


def test_a_killed_worker_is_found_dead_and_its_job_sent_again_within_seconds(ctx, cluster):
    """The lease is the 300 s default: only the dead worker's silent heartbeat (3 s here)
    brings the job back so soon."""
    job_id = operations.enqueue_probe(ctx, None, 0, sleep_seconds=4)
    worker, logs = cluster(1, REGOFFICE_WORKER_HEARTBEAT_SECONDS="0.5",
                           REGOFFICE_WORKER_DEAD_SECONDS="3")
    wait_until(lambda: _job(ctx, job_id).status == "running", 30, logs)
    worker.kill()  # SIGKILL: the worker and its pool process, mid-job
    killed = time.monotonic()
    worker.start()
    wait_until(lambda: _job(ctx, job_id).status == "done", 25, logs)
    assert time.monotonic() - killed < 25
    job = _job(ctx, job_id)
    assert job.attempts == 2
    resent = select(AuditEvent).where(AuditEvent.kind == "job_resent")
    assert count(ctx, resent) >= 1
    with ctx.db.read() as session:
        event = session.scalars(resent).first()
        assert event is not None and event.payload.get("dead_workers")
