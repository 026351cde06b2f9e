"""Background work on a real Celery worker and beat with Redis and PostgreSQL.

The worker and beat run as separate processes (`regoffice worker`, `regoffice beat`), as
in production; the test only starts cases and watches the database.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from celery import Celery
from sqlalchemy import select

from server.auth import Actor
from server.jobs.handoff import Handoff
from server.models import AuditEvent, Case, Document, HumanTask, OutboxJob
from server.services.cases import lifecycle as cases
from server.services.procedures import deployments
from server.services.tasks import human_tasks as tasks
from tests.conftest import FIXTURES
from tests.integration.test_transfer_in import APPLICANT, TO_ORDER
from tests.integration.worker_procs import (
    Proc,
    count,
    pg_only_database_url,  # noqa: F401  (PostgreSQL only)
    private_broker,
    redis_reason,
    wait_until,
    worker_env,
)

pytestmark = pytest.mark.skipif(bool(redis_reason()), reason=redis_reason() or "")


@pytest.fixture
def celery_procs(database_url: str, tmp_path: Path):
    """Start `regoffice worker` and `regoffice beat` on a private Redis database; they die
    with the test run even if pytest is killed (PR_SET_PDEATHSIG)."""
    with private_broker() as broker:
        env = worker_env(database_url, broker, tmp_path / "worker")
        log_dir = tmp_path / "logs"
        log_dir.mkdir()
        procs = [Proc("worker", ["worker", "--concurrency", "1"], env, log_dir),
                 Proc("beat", ["beat", "--schedule", str(tmp_path / "beat-schedule")], env, log_dir)]
        for proc in procs:
            proc.start()
        try:
            yield log_dir
        finally:
            for proc in procs:
                proc.stop()


def _wait(predicate, timeout: float, logs: Path) -> None:
    wait_until(predicate, timeout, logs)


def _count(ctx, stmt) -> int:
    return count(ctx, stmt)


def test_timer_fires_once_on_beat_and_worker(ctx, people, celery_procs):
    deployments.deploy_file(ctx, Actor.system(), "short_timer.bpmn",
                            (FIXTURES / "short_timer.bpmn").read_bytes())
    registrar = Actor(None, "registrar", frozenset({"registrar"}))
    case_id = cases.start_case(ctx, registrar, cases.StartRequest(process_id="short_timer"))
    open_tasks = select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.status == "open")
    assert _count(ctx, open_tasks) == 0
    started = time.monotonic()
    _wait(lambda: _count(ctx, open_tasks) == 1, 30, celery_procs)
    late = time.monotonic() - started - 2
    time.sleep(2)  # a few more ticks: nothing may fire twice
    fired = select(AuditEvent).where(AuditEvent.case_id == case_id, AuditEvent.kind == "timer_fired")
    assert _count(ctx, fired) == 1
    assert late < 10, f"timer fired {late:.1f}s late"


def test_document_step_runs_on_the_worker(ctx, people, celery_procs):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    registrar = Actor(None, "registrar", frozenset({"registrar"}))
    case_id = cases.start_case(ctx, registrar, cases.StartRequest(
        process_id="transfer_in", data={"applicant": dict(APPLICANT)}))
    answers = TO_ORDER
    for _ in answers:
        view = cases.get_case(ctx, Actor.system(), case_id, with_data=False)
        task = view.open_tasks[0]
        tasks.complete_task(ctx, Actor.system(), task.id, answers[task.spec_name])
    docs = select(Document).where(Document.case_id == case_id)
    _wait(lambda: _count(ctx, docs) == 2, 60, celery_procs)
    sign = select(HumanTask).where(HumanTask.case_id == case_id, HumanTask.spec_name == "sign_order",
                                   HumanTask.status == "open")
    _wait(lambda: _count(ctx, sign) == 1, 10, celery_procs)
    with ctx.db.read() as session:
        job = session.scalars(select(OutboxJob).where(OutboxJob.kind == "document/render")).one()
        assert job.status == "done" and job.attempts == 1
        assert session.get(Case, case_id).status == "in_progress"


def test_a_document_job_reaches_a_worker_without_any_tick(ctx, people, tmp_path: Path):
    """No beat runs here: only the handoff can bring the render job to the worker."""
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    with private_broker() as broker:
        env = worker_env(ctx.settings.database_url, broker, tmp_path / "worker")
        logs = tmp_path / "logs"
        logs.mkdir()
        worker = Proc("worker", ["worker", "--concurrency", "1"], env, logs)
        worker.start()
        client = Celery("regoffice-test", broker=broker)
        handoff = Handoff(ctx, lambda job_id: client.send_task("regoffice.run_job", args=[job_id],
                                                                 queue="regoffice")).install()
        try:
            case_id = cases.start_case(ctx, Actor.system(), cases.StartRequest(
                process_id="transfer_in", data={"applicant": dict(APPLICANT)}))
            for _ in TO_ORDER:
                task = cases.get_case(ctx, Actor.system(), case_id, with_data=False).open_tasks[0]
                tasks.complete_task(ctx, Actor.system(), task.id, TO_ORDER[task.spec_name])
            docs = select(Document).where(Document.case_id == case_id)
            wait_until(lambda: count(ctx, docs) == 2, 60, logs)
        finally:
            handoff.stop()
            worker.stop()
