"""A long job on a real Celery worker and beat (Redis, PostgreSQL): with the short jobs' limit
at 3 s (REGOFFICE_JOB_TIME_LIMIT), a record import of 128,000 rows that runs far longer goes to
`regoffice.run_long_job` with the long limits and completes once: not killed, not sent again by
the sweeper (the beat ticks every 0.5 s throughout)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from server.auth import Actor
from server.models import AuditEvent, OutboxJob
from server.services.record import import_jobs
from tests.integration.record_big import seed_big
from tests.integration.worker_procs import (
    Proc,
    pg_only_database_url,  # noqa: F401  (PostgreSQL only)
    private_broker,
    redis_reason,
    wait_until,
    worker_env,
)

pytestmark = pytest.mark.skipif(bool(redis_reason()), reason=redis_reason() or "")
SHORT_LIMIT = 3
STUDENTS = 8000  # 128,000 rows


def test_a_long_import_outlives_the_short_limit_and_runs_once(ctx, people, tmp_path: Path):
    content = seed_big(ctx, STUDENTS)
    with private_broker() as broker:
        env = worker_env(ctx.settings.database_url, broker, tmp_path / "worker",
                         REGOFFICE_JOB_TIME_LIMIT=str(SHORT_LIMIT), REGOFFICE_JOB_SOFT_TIME_LIMIT="2",
                         REGOFFICE_JOB_STALE_SECONDS="5")
        logs = tmp_path / "logs"
        logs.mkdir()
        procs = [Proc("worker", ["worker", "--concurrency", "1"], env, logs),
                 Proc("beat", ["beat", "--schedule", str(tmp_path / "beat-schedule")], env, logs)]
        for proc in procs:
            proc.start()
        try:
            import_id = import_jobs.queue_import(ctx, Actor.system(), "transcripts", "big.csv", content,
                                                 dry_run=False)
            status = lambda: import_jobs.get_import(ctx, Actor.system(), import_id).status  # noqa: E731
            wait_until(lambda: status() in import_jobs.FINISHED, 300, logs)
        finally:
            for proc in procs:
                proc.stop()
    row = import_jobs.get_import(ctx, Actor.system(), import_id)
    assert (row.status, row.counts["new"]) == ("done", STUDENTS * 16), import_jobs.error_text(row)
    ran = (row.finished_at - row.started_at).total_seconds()
    # Longer than the short limit and the short jobs' lease (limit + 5 s): either would have
    # killed it or had the sweeper send it again.
    assert ran > SHORT_LIMIT + 5, f"the import took only {ran:.1f} s: make the file bigger"
    print(f"the import ran {ran:.1f} s")
    with ctx.db.read() as session:
        job = session.scalars(select(OutboxJob).where(OutboxJob.kind == import_jobs.IMPORT_JOB)).one()
        resent = session.scalars(select(AuditEvent).where(AuditEvent.kind == "job_resent")).all()
    assert (job.status, job.attempts, job.last_error) == ("done", 1, None)
    assert resent == []
    worker_log = (logs / "worker.log").read_text()
    assert "regoffice.run_long_job" in worker_log and "TimeLimitExceeded" not in worker_log
