"""Faults on a real Celery worker and beat with Redis and PostgreSQL.

Retries and incidents run on the worker (the `diagnostics/probe` job); then cases run
continuously while the worker is SIGKILLed mid-job several times and restarted: afterwards
every case waits for the rector with exactly one order, numbered without gap or duplicate,
and no job is lost.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from server.auth import Actor
from server.db import utcnow
from server.domain.iin import make_iin
from server.models import AuditEvent, Case, Document, HumanTask, OutboxJob, RegisterCounter
from server.services.background import jobs as background
from server.services.background import operations
from server.services.procedures import deployments
from tests.integration.test_operations import start_to_document_step
from tests.integration.test_transfer_in import APPLICANT
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
CASES = 20
KILLS = 4


@pytest.fixture
def procs(database_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """An unstarted worker (concurrency 2) and beat with a short lease and fast retries."""
    with private_broker() as broker:
        env = worker_env(database_url, broker, tmp_path / "worker",
                         REGOFFICE_JOB_STALE_SECONDS="3", REGOFFICE_JOB_RETRY_SECONDS="0.2")
        log_dir = tmp_path / "logs"
        log_dir.mkdir()
        worker = Proc("worker", ["worker", "--concurrency", "2"], env, log_dir)
        beat = Proc("beat", ["beat", "--schedule", str(tmp_path / "beat-schedule")], env, log_dir)
        try:
            yield worker, beat, log_dir
        finally:
            worker.stop()
            beat.stop()


def test_retries_and_incident_on_the_worker(ctx, procs):
    worker, beat, logs = procs
    flaky = operations.enqueue_probe(ctx, None, 2)
    broken = operations.enqueue_probe(ctx, None, 99)
    worker.start()
    beat.start()
    wait_until(lambda: _job(ctx, flaky).status == "done" and _job(ctx, broken).status == "failed",
               40, logs)
    assert _job(ctx, flaky).attempts == 3
    assert _job(ctx, broken).attempts == background.MAX_ATTEMPTS
    status = operations.status(ctx)
    assert [i.job_id for i in status.incidents] == [broken]
    assert "намеренный сбой 5 из 99" in status.incidents[0].last_error
    assert status.queue_depth == 0
    assert status.heartbeats["worker"] < 5 and status.worker_ok


def _running_job(ctx, since) -> bool:  # type: ignore[no-untyped-def]
    """A job a worker started (its attempt counted) since `since` and has not finished."""
    stmt = select(OutboxJob.id).where(OutboxJob.status == "running", OutboxJob.sent_at >= since)
    return count(ctx, stmt) > 0


def _drive_cases(ctx, made: list[int], errors: list[BaseException]) -> None:  # type: ignore[no-untyped-def]
    try:
        for n in range(CASES):
            applicant = {**APPLICANT, "iin": make_iin(date(2004, 3, 9), "M", 5000 + n)}
            made.append(start_to_document_step(ctx, applicant))
            time.sleep(random.uniform(0.3, 0.9))
    except BaseException as exc:
        errors.append(exc)


def test_killing_the_worker_mid_job_loses_and_duplicates_nothing(ctx, people, procs):
    started = time.monotonic()
    worker, beat, logs = procs
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    worker.start()
    beat.start()
    made: list[int] = []
    errors: list[BaseException] = []
    driver = threading.Thread(target=_drive_cases, args=(ctx, made, errors), daemon=True)
    driver.start()
    kills = mid_job = 0
    for _ in range(KILLS):
        since = utcnow()
        time.sleep(random.uniform(0.5, 2.0))
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline and not _running_job(ctx, since):
            time.sleep(0.01)
        mid_job += _running_job(ctx, since)
        time.sleep(random.uniform(0, 0.05))
        worker.kill()
        kills += 1
        time.sleep(random.uniform(0.2, 1.0))
        worker.start()
    driver.join(timeout=40)
    assert not driver.is_alive() and not errors, errors
    assert len(made) == CASES

    renders = select(OutboxJob).where(OutboxJob.kind == "document/render")
    # each order's PDF job (documents/pdfs.py) follows its render: wait for those to finish too
    unfinished = select(OutboxJob).where(OutboxJob.status.in_(("pending", "sent", "running")))
    wait_until(lambda: count(ctx, renders.where(OutboxJob.status == "done")) == CASES
               and count(ctx, unfinished) == 0, 45, logs)

    with ctx.db.read() as session:
        jobs = session.scalars(renders).all()
        all_jobs = session.scalars(select(OutboxJob)).all()
        docs = session.scalars(select(Document).order_by(Document.seq, Document.language)).all()
        counter = session.scalars(select(RegisterCounter)).one()
        resent = session.scalars(select(AuditEvent).where(AuditEvent.kind == "job_resent")).all()
        case_rows = session.scalars(select(Case).where(Case.id.in_(made))).all()
        open_tasks = session.scalars(select(HumanTask).where(HumanTask.case_id.in_(made),
                                                             HumanTask.status == "open")).all()
    attempts = sum(j.attempts for j in jobs)
    print(f"\nworker faults: cases {CASES}, kills {kills} (mid-job {mid_job}), jobs re-sent "
          f"{len(resent)}, render attempts {attempts} for {len(jobs)} jobs "
          f"({sum(j.attempts > 1 for j in jobs)} jobs re-run after a kill; jobs by attempts "
          f"{dict(sorted(Counter(j.attempts for j in jobs).items()))}), documents {len(docs)}, "
          f"numbers 1..{counter.last_number}, {time.monotonic() - started:.1f}s")

    # no job lost, none failed or left behind: one finished order job per case
    assert sorted(j.case_id for j in jobs) == sorted(made)
    assert {j.status for j in all_jobs} == {"done"}, [(j.id, j.kind, j.status) for j in all_jobs]
    # every case waits for the rector's signature
    assert {c.status for c in case_rows} == {"in_progress"}
    assert sorted(t.case_id for t in open_tasks) == sorted(made)
    assert {t.spec_name for t in open_tasks} == {"sign_order"}
    # exactly one order per case (ru + kk), numbers 1..N: no gap, no duplicate
    by_case: dict[int, list[Document]] = {}
    for d in docs:
        by_case.setdefault(d.case_id, []).append(d)
    assert sorted(by_case) == sorted(made)
    for case_docs in by_case.values():
        assert sorted(d.language for d in case_docs) == ["kk", "ru"]
        assert len({d.seq for d in case_docs}) == 1
    assert sorted(d.seq for d in docs if d.language == "ru") == list(range(1, CASES + 1))
    assert len({d.number for d in docs}) == CASES
    assert counter.last_number == CASES
    assert kills == KILLS
    assert time.monotonic() - started < 90
