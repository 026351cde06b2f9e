"""Background work on a real Celery worker and beat with Redis and PostgreSQL.

The worker and beat run as separate processes (`regoffice worker`, `regoffice beat`), as
in production; the test only starts cases and watches the database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from server.auth import Actor
from server.models import AuditEvent, Case, Document, HumanTask, OutboxJob
from server.services import cases, deployments, tasks
from tests.conftest import FIXTURES
from tests.integration.test_transfer_in import ALL_DOCS, APPLICANT

REDIS_URL = os.environ.get("REGOFFICE_TEST_REDIS_URL", "redis://127.0.0.1:6379")


def _redis_reason() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}"
    return None


pytestmark = pytest.mark.skipif(bool(_redis_reason()), reason=_redis_reason() or "")


@pytest.fixture
def database_url(pg_database: str) -> str:
    """These tests need PostgreSQL (the worker is another process)."""
    from tests.conftest import _truncate_pg

    _truncate_pg(pg_database)
    return pg_database


@pytest.fixture
def celery_procs(database_url: str, tmp_path: Path):
    """Start `regoffice worker` and `regoffice beat` on a private Redis database."""
    import redis

    db_index = 1 + uuid.uuid4().int % 14
    broker = f"{REDIS_URL}/{db_index}"
    redis.Redis.from_url(broker).flushdb()
    env = {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": broker,
           "REGOFFICE_INSTANCE": str(tmp_path / "worker"), "SECRET_KEY": "test",
           "REGOFFICE_TICK_SECONDS": "0.5", "REGOFFICE_BACKGROUND": "celery"}
    exe = [sys.executable, "-m", "server.cli"]
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    procs = []
    for name, args in (("worker", ["worker", "--concurrency", "1"]),
                       ("beat", ["beat", "--schedule", str(tmp_path / "beat-schedule")])):
        out = open(log_dir / f"{name}.log", "w")  # noqa: SIM115
        procs.append((subprocess.Popen(exe + args, env=env, stdout=out, stderr=subprocess.STDOUT,
                                       cwd=Path(__file__).resolve().parents[2],
                                       start_new_session=True), out))
    yield log_dir
    for proc, out in procs:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        out.close()
    redis.Redis.from_url(broker).flushdb()


def _wait(predicate, timeout: float, logs: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    dump = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(logs.glob("*.log")))
    raise AssertionError(f"condition not met in {timeout}s\n{dump}")


def _count(ctx, stmt) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


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
    answers = {
        "check_documents": ALL_DOCS,
        "determine_difference": {"final_year": False, "difference": [], "difference_credits": 0,
                                 "dean_decision": "approve"},
        "paid_contract": {"contract_number": "Д-1", "contract_date": "2026-08-12",
                          "prepayment_received": True},
        "vr_approval": {"vr_decision": "approve"},
    }
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
