"""Long job kinds: their lease, their task and queue under Celery, their settings."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest

from server.config import ROOT, Settings
from server.services.background import jobs as background
from server.services.background.jobs import Claimed
from server.services.context import AppContext
from server.services.operators import build_registry
from server.services.record.import_jobs import IMPORT_JOB

BASE = Settings(instance_dir=Path("."), database_url="sqlite://", secret_key="x",
                workflows_dir=ROOT / "workflows", forms_dir=ROOT / "forms",
                templates_dir=ROOT / "templates", config_dir=ROOT / "config")


def _ctx(**settings: object) -> AppContext:
    return AppContext(settings=replace(BASE, **settings), db=None,  # type: ignore[arg-type]
                      operators=build_registry())


def test_the_record_import_is_the_long_kind():
    registry = build_registry()
    assert registry.long_kinds == {IMPORT_JOB}
    assert registry.is_long(IMPORT_JOB) and not registry.is_long("notify/task")


def test_the_lease_per_kind_under_celery():
    ctx = _ctx(background="celery", job_time_limit=180, job_stale_seconds=300, long_job_time_limit=3600)
    assert background.running_lease(ctx, "notify/task") == 185.0
    assert background.running_lease(ctx, "document/render") == 185.0
    assert background.running_lease(ctx) == 185.0
    assert background.running_lease(ctx, IMPORT_JOB) == 3605.0
    # A tiny short limit never shortens the long kind's lease.
    ctx = _ctx(background="celery", job_time_limit=3, long_job_time_limit=3600)
    assert background.running_lease(ctx, "notify/task") == 8.0
    assert background.running_lease(ctx, IMPORT_JOB) == 3605.0


def test_the_lease_per_kind_in_process_and_without_a_long_limit():
    ctx = _ctx(background="inprocess", job_stale_seconds=300, long_job_time_limit=3600)
    assert background.running_lease(ctx, "notify/task") == 300.0
    assert background.running_lease(ctx, IMPORT_JOB) == 3605.0
    # A long limit under the stale time: the stale time still holds.
    assert background.running_lease(_ctx(long_job_time_limit=60), IMPORT_JOB) == 300.0
    # No long limit: a long job is never taken for lost by time (only with a dead worker).
    assert math.isinf(background.running_lease(_ctx(long_job_time_limit=0), IMPORT_JOB))


def test_long_limits_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    monkeypatch.setenv("SECRET_KEY", "x")
    monkeypatch.setenv("REGOFFICE_INSTANCE", str(tmp_path))
    for name in ("REGOFFICE_LONG_JOB_TIME_LIMIT", "REGOFFICE_LONG_JOB_SOFT_TIME_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    default = Settings.from_env()
    assert (default.long_job_soft_time_limit, default.long_job_time_limit) == (3540, 3600)
    monkeypatch.setenv("REGOFFICE_LONG_JOB_TIME_LIMIT", "7200")
    assert Settings.from_env().long_job_soft_time_limit == 7140  # a minute less, unless set
    monkeypatch.setenv("REGOFFICE_LONG_JOB_SOFT_TIME_LIMIT", "7000")
    assert Settings.from_env().long_job_soft_time_limit == 7000
    monkeypatch.setenv("REGOFFICE_LONG_JOB_TIME_LIMIT", "30")
    monkeypatch.delenv("REGOFFICE_LONG_JOB_SOFT_TIME_LIMIT")
    assert Settings.from_env().long_job_soft_time_limit == 0  # under a minute: the hard limit alone


def test_a_long_job_goes_to_its_own_task_and_queue(monkeypatch: pytest.MonkeyPatch):
    from server.jobs import celery_app

    sent: list[tuple[str, int]] = []
    monkeypatch.setattr(celery_app.run_job, "delay", lambda job_id: sent.append(("short", job_id)))
    monkeypatch.setattr(celery_app.run_long_job, "delay", lambda job_id: sent.append(("long", job_id)))
    celery_app.send(Claimed(7, long=False))
    celery_app.send(Claimed(8, long=True))
    assert sent == [("short", 7), ("long", 8)]

    router = celery_app.celery.amqp.router
    assert router.route({}, "regoffice.run_long_job")["queue"].name == celery_app.LONG_QUEUE
    assert router.route({}, "regoffice.run_job")["queue"].name == celery_app.QUEUE
    limits = celery_app.settings()
    assert celery_app.run_long_job.time_limit == limits.long_job_time_limit
    assert celery_app.run_long_job.soft_time_limit == limits.long_job_soft_time_limit
    assert celery_app.celery.conf.task_time_limit == (limits.job_time_limit or None)


def test_the_worker_consumes_both_queues_unless_told(monkeypatch: pytest.MonkeyPatch):
    from click.testing import CliRunner

    from server.cli import main
    from server.jobs import celery_app

    argv: list[list[str]] = []
    monkeypatch.setattr(celery_app.celery, "worker_main", argv.append)
    runner = CliRunner()
    assert runner.invoke(main, ["worker"]).exit_code == 0
    assert runner.invoke(main, ["worker", "--queues", "regoffice-long", "--concurrency", "1"]).exit_code == 0
    bad = runner.invoke(main, ["worker", "--queues", "regoffice,other"])
    assert bad.exit_code != 0 and "regoffice-long" in bad.output
    assert [a[a.index("-Q") + 1] for a in argv] == ["regoffice,regoffice-long", "regoffice-long"]
