"""Operations on background work (SQLite and PostgreSQL, in-process drain, controlled clock):
retries with backoff, incidents after the last attempt, admin retry and skip, the sweeper,
worker heartbeat and health, `regoffice status`."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

import pytest
import time_machine
from click.testing import CliRunner
from sqlalchemy import select

from server.auth import Actor
from server.config import Settings
from server.db import utcnow
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.models import AuditEvent, Document, OutboxJob
from server.services.background import jobs as background
from server.services.background import operations
from server.services.background.heartbeat import INPROCESS, WORKER, record_heartbeat, worker_health
from server.services.cases import lifecycle as cases
from server.services.errors import Conflict, Forbidden
from server.services.procedures import deployments
from server.services.tasks import human_tasks as tasks
from tests.integration.test_transfer_in import APPLICANT, TO_ORDER

API = "/api/v1"
ANSWERS = TO_ORDER


@pytest.fixture
def deployed(ctx, people):  # type: ignore[no-untyped-def]
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    return people


_SERIALS = itertools.count(5000)  # one open transfer per applicant: each case another person


def start_to_document_step(ctx, applicant: dict | None = None) -> int:  # type: ignore[no-untyped-def]
    """A transfer_in case driven through its four user tasks: it waits for its order."""
    registrar = Actor(None, "registrar", frozenset({"registrar"}))
    person = applicant or {**APPLICANT, "iin": make_iin(date(2004, 3, 9), "M", next(_SERIALS))}
    case_id = cases.start_case(ctx, registrar, cases.StartRequest(
        process_id="transfer_in", data={"applicant": dict(person)}))
    for _ in ANSWERS:
        task = cases.get_case(ctx, Actor.system(), case_id, with_data=False).open_tasks[0]
        tasks.complete_task(ctx, Actor.system(), task.id, ANSWERS[task.spec_name])
    return case_id


class Clock:
    """Moves the clock forward past every backoff, one step per drain (never back)."""

    def __init__(self) -> None:
        self.now = utcnow()

    def drain(self, ctx, *, rounds: int = 1, step: timedelta = timedelta(minutes=11)) -> None:  # type: ignore[no-untyped-def]
        for _ in range(rounds):
            self.now += step
            with time_machine.travel(self.now, tick=True):
                drain(ctx)


def job(ctx, job_id: int) -> OutboxJob:  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        row = session.get(OutboxJob, job_id)
        assert row is not None
        return row


def render_job(ctx, case_id: int) -> OutboxJob:  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        return session.scalars(select(OutboxJob).where(OutboxJob.case_id == case_id,
                                                       OutboxJob.kind == "document/render")).one()


def history(ctx, case_id: int) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.case_id == case_id)
                                    .order_by(AuditEvent.id)))


# --- retries and incidents ------------------------------------------------------------------
def test_probe_fails_twice_then_succeeds(ctx):
    job_id = operations.enqueue_probe(ctx, None, 2)
    drain(ctx)
    first = job(ctx, job_id)
    assert (first.status, first.attempts) == ("pending", 1)
    assert "намеренный сбой 1 из 2" in first.last_error
    delay = (first.available_at - utcnow()).total_seconds()
    assert 0 < delay <= ctx.settings.job_retry_seconds
    drain(ctx)
    assert job(ctx, job_id).attempts == 1, "a retry waits for its backoff"
    clock = Clock()
    clock.drain(ctx)
    second = job(ctx, job_id)
    assert (second.status, second.attempts) == ("pending", 2)
    clock.drain(ctx)
    done = job(ctx, job_id)
    assert (done.status, done.attempts, done.last_error) == ("done", 3, None)
    clock.drain(ctx)
    assert job(ctx, job_id).attempts == 3


def test_probe_always_failing_becomes_an_incident(ctx):
    job_id = operations.enqueue_probe(ctx, None, 99)
    Clock().drain(ctx, rounds=background.MAX_ATTEMPTS + 2)
    failed = job(ctx, job_id)
    assert (failed.status, failed.attempts) == ("failed", background.MAX_ATTEMPTS)
    assert failed.done_at is not None
    [incident] = operations.list_incidents(ctx)
    assert (incident.job_id, incident.kind, incident.case_id) == (job_id, "diagnostics/probe", None)
    assert "намеренный сбой 5 из 99" in incident.last_error
    with ctx.db.read() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.kind == "incident")).all()
    assert [e.payload["job_id"] for e in events] == [job_id]


def test_a_run_that_kills_its_worker_still_counts(ctx, monkeypatch):
    """SystemExit stands for SIGKILL/OOM mid-job: the run's transaction is lost, its attempt
    is not; a job that kills every worker ends as an incident instead of looping forever."""
    job_id = operations.enqueue_probe(ctx, None, 0)

    def crash(ctx, session, job):  # type: ignore[no-untyped-def]
        raise SystemExit("worker killed")

    monkeypatch.setitem(ctx.operators.jobs, "diagnostics/probe", crash)
    for attempt in range(1, background.MAX_ATTEMPTS + 1):
        assert background.claim_due_jobs(ctx, stale_after=0) == [job_id]
        with pytest.raises(SystemExit):
            background.run_job(ctx, job_id)
        assert (job(ctx, job_id).status, job(ctx, job_id).attempts) == ("running", attempt)
    assert background.claim_due_jobs(ctx, stale_after=0) == [job_id]
    assert background.run_job(ctx, job_id) == "failed"
    assert "прерывалось 5 раз" in job(ctx, job_id).last_error


def test_render_incident_retry_and_skip(client, ctx, deployed, tmp_path):
    people = deployed
    good = ctx.settings
    empty = tmp_path / "no-templates"
    empty.mkdir()
    ctx.settings = replace(good, templates_dir=empty)  # every render fails: a real case incident
    first, second = start_to_document_step(ctx), start_to_document_step(ctx)
    Clock().drain(ctx, rounds=background.MAX_ATTEMPTS + 1)
    jobs = {cid: render_job(ctx, cid) for cid in (first, second)}
    assert {(j.status, j.attempts) for j in jobs.values()} == {("failed", background.MAX_ATTEMPTS)}
    assert all("order_transfer_in_ru.docx" in j.last_error for j in jobs.values())

    r = client.get(f"{API}/admin/status", headers=people["admin"])
    assert r.status_code == 200, r.json
    assert r.json["jobs"]["failed"] == 2 and r.json["queue_depth"] == 0
    assert {i["case_id"] for i in r.json["incidents"]} == {first, second}
    r = client.get(f"{API}/admin/incidents", headers=people["head"])
    assert r.status_code == 200
    assert [i["job_id"] for i in r.json["items"]] == [jobs[first].id, jobs[second].id]
    detail = client.get(f"{API}/cases/{first}", headers=people["registrar"]).json
    assert detail["status"] == "in_progress" and detail["open_tasks"] == []
    [incident] = detail["incidents"]
    assert incident["job_id"] == jobs[first].id and incident["attempts"] == 5
    assert incident["kind"] == "document/render" and incident["at"]
    assert "incident" in [e["kind"] for e in detail["history"]]

    # only admins and the registrar head act on incidents
    for user in ("dean_it", "registrar"):
        for method, path, body in (("get", "/admin/status", None), ("get", "/admin/incidents", None),
                                   ("post", f"/admin/jobs/{jobs[first].id}/retry", None),
                                   ("post", f"/admin/jobs/{jobs[first].id}/skip", {"reason": "x"})):
            r = getattr(client, method)(f"{API}{path}", headers=people[user], json=body)
            assert r.status_code == 403, (user, path, r.json)
            assert r.json["error"] == "forbidden"

    # the template is back: the admin retries, the order is issued with the first number
    ctx.settings = good
    r = client.post(f"{API}/admin/jobs/{jobs[first].id}/retry", headers=people["admin"])
    assert r.status_code == 200, r.json
    assert (r.json["status"], r.json["attempts"]) == ("pending", 0)
    drain(ctx)
    assert (render_job(ctx, first).status, render_job(ctx, first).attempts) == ("done", 1)
    detail = client.get(f"{API}/cases/{first}", headers=people["registrar"]).json
    assert detail["incidents"] == []
    assert [t["spec_name"] for t in detail["open_tasks"]] == ["sign_order"]
    assert {d["number"] for d in detail["documents"]} == {"1-у"}, "failed runs consumed no number"
    r = client.post(f"{API}/admin/jobs/{jobs[first].id}/retry", headers=people["admin"])
    assert r.status_code == 409 and "с ошибкой" in r.json["message"]

    # the head skips the other one: the case moves on to the rector without an order
    r = client.post(f"{API}/admin/jobs/{jobs[second].id}/skip", headers=people["head"], json={"reason": " "})
    assert r.status_code == 422 and "reason" in r.json["fields"]
    r = client.post(f"{API}/admin/jobs/{jobs[second].id}/skip", headers=people["head"],
                    json={"reason": "Приказ оформлен на бумаге"})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "skipped"
    detail = client.get(f"{API}/cases/{second}", headers=people["registrar"]).json
    assert [t["spec_name"] for t in detail["open_tasks"]] == ["sign_order"]
    assert detail["documents"] == [] and detail["incidents"] == []
    skipped = [e for e in detail["history"] if e["kind"] == "incident_skipped"]
    assert skipped and skipped[0]["payload"]["reason"] == "Приказ оформлен на бумаге"
    assert skipped[0]["payload"]["resumed"] is True
    r = client.post(f"{API}/admin/jobs/{jobs[second].id}/skip", headers=people["admin"],
                    json={"reason": "ещё раз"})
    assert r.status_code == 409
    assert client.post(f"{API}/admin/jobs/999999/retry", headers=people["admin"]).status_code == 404
    r = client.get(f"{API}/admin/status", headers=people["admin"])
    # done: the render retried and the PDF job it wrote (documents/pdfs.py)
    assert r.json["incidents"] == [] and r.json["jobs"] == {"done": 2, "skipped": 1}


def test_retry_and_skip_need_an_operator_and_a_failed_job(ctx):
    job_id = operations.enqueue_probe(ctx, None, 0)
    dean = Actor(None, "dean", frozenset({"dean"}), faculty_id=1)
    with pytest.raises(Forbidden):
        operations.retry_job(ctx, dean, job_id)
    with pytest.raises(Forbidden):
        operations.enqueue_probe(ctx, dean, 1)
    head = Actor(None, "head", frozenset({"registrar_head"}))
    with pytest.raises(Conflict):
        operations.retry_job(ctx, head, job_id)  # pending, not failed
    with pytest.raises(Conflict):
        operations.skip_job(ctx, head, job_id, "причина")


# --- the sweeper ----------------------------------------------------------------------------
def test_sweeper_resends_lost_jobs_after_the_configured_time(ctx):
    ctx.settings = replace(ctx.settings, job_stale_seconds=5)
    job_id = operations.enqueue_probe(ctx, None, 0)
    assert background.claim_due_jobs(ctx) == [job_id]  # sent, then lost with its worker
    assert background.claim_due_jobs(ctx) == []
    with time_machine.travel(utcnow() + timedelta(seconds=4)):
        assert background.claim_due_jobs(ctx) == []
    with time_machine.travel(utcnow() + timedelta(seconds=6)):
        assert background.claim_due_jobs(ctx) == [job_id]
        assert background.run_job(ctx, job_id) == "done"
        assert background.run_job(ctx, job_id) == "done"  # the lost message arrives late
    assert job(ctx, job_id).attempts == 1
    with ctx.db.read() as session:
        resent = session.scalars(select(AuditEvent).where(AuditEvent.kind == "job_resent")).all()
    assert [e.payload["job_id"] for e in resent] == [job_id]


def test_a_duplicate_message_never_runs_a_job_twice(ctx):
    job_id = operations.enqueue_probe(ctx, None, 0)
    assert background.claim_due_jobs(ctx) == [job_id]
    assert background._start_attempt(ctx, job_id) is None  # worker A started it
    assert background.run_job(ctx, job_id) == "running"  # the same message on worker B
    assert job(ctx, job_id).attempts == 1
    with time_machine.travel(utcnow() + timedelta(seconds=ctx.settings.job_stale_seconds + 1)):
        assert background.run_job(ctx, job_id) == "done"  # A's lease ran out: B takes over
    assert (job(ctx, job_id).status, job(ctx, job_id).attempts) == ("done", 2)
    assert background.run_job(ctx, job_id) == "done"
    assert job(ctx, job_id).attempts == 2


def test_sweeper_skips_a_job_that_is_running(ctx):
    if not ctx.db.is_postgres:
        pytest.skip("row locks: PostgreSQL only (SQLite serialises writers)")
    job_id = operations.enqueue_probe(ctx, None, 0)
    background.claim_due_jobs(ctx)
    with ctx.db.unit_of_work() as session:  # a worker runs it: it holds the row lock
        session.scalars(select(OutboxJob).where(OutboxJob.id == job_id).with_for_update()).one()
        with time_machine.travel(utcnow() + timedelta(hours=1)):
            assert background.claim_due_jobs(ctx) == []
    assert job(ctx, job_id).status == "sent"


def test_stale_and_retry_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("REGOFFICE_JOB_STALE_SECONDS", "7")
    monkeypatch.setenv("REGOFFICE_JOB_RETRY_SECONDS", "0.5")
    monkeypatch.setenv("REGOFFICE_HEARTBEAT_MAX_AGE", "12")
    settings = Settings.from_env()
    assert (settings.job_stale_seconds, settings.job_retry_seconds, settings.heartbeat_max_age) == \
        (7, 0.5, 12)
    assert background.backoff(1, 0.5) == timedelta(seconds=0.5)
    assert background.backoff(4, 0.5) == timedelta(seconds=4)
    assert background.backoff(40) == timedelta(minutes=10)


# --- heartbeats and health ------------------------------------------------------------------
def test_worker_health_endpoint(client, ctx):
    r = client.get("/healthz/worker")
    assert r.status_code == 503 and "worker" in r.json["message"]
    record_heartbeat(ctx, WORKER)
    record_heartbeat(ctx, WORKER)  # an upsert
    r = client.get("/healthz/worker")
    assert r.status_code == 200, r.json
    assert r.json["status"] == "ok" and r.json["heartbeat"] == WORKER and r.json["age_seconds"] < 5
    with time_machine.travel(utcnow() + timedelta(seconds=ctx.settings.heartbeat_max_age + 5)):
        r = client.get("/healthz/worker")
        assert r.status_code == 503 and "не отвечает" in r.json["message"]
    ctx.settings = replace(ctx.settings, background="inprocess")
    assert not worker_health(ctx).ok, "the in-process dispatcher has not beaten yet"
    record_heartbeat(ctx, INPROCESS)
    assert worker_health(ctx).ok
    assert "/healthz/worker" not in client.get(f"{API}/openapi.json").json["paths"]


def test_inprocess_dispatcher_beats_and_drains(ctx):
    from server.jobs.inprocess import InProcessDispatcher

    job_id = operations.enqueue_probe(ctx, None, 0)
    dispatcher = InProcessDispatcher(ctx, interval=0.05)
    dispatcher.start()
    try:
        for _ in range(100):
            if job(ctx, job_id).status == "done":
                break
            time.sleep(0.05)
    finally:
        dispatcher.stop()
    assert job(ctx, job_id).status == "done"
    assert INPROCESS in operations.status(ctx).heartbeats


# --- the command line ------------------------------------------------------------------------
@pytest.fixture
def cli_env(settings, monkeypatch, tmp_path) -> Iterator[Settings]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("REGOFFICE_INSTANCE", str(tmp_path / "inst"))
    monkeypatch.setenv("REGOFFICE_BACKGROUND", "none")
    yield settings


def run(*args: str) -> tuple[int, str]:
    from server.cli import main

    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_cli_status_incidents_retry_skip(cli_env, ctx):
    code, out = run("status", "--probe", "99")
    assert code == 0, out
    assert "Диагностическое задание №" in out and "Очередь заданий: 1" in out
    job_id = int(out.split("№", 1)[1].split()[0])
    clock = Clock()
    clock.drain(ctx, rounds=background.MAX_ATTEMPTS + 1)
    code, out = run("status")
    assert code == 0, out
    assert "Инциденты: 1" in out and f"№{job_id} diagnostics/probe" in out
    assert "Очередь заданий: 0" in out and "с ошибкой: 1" in out
    assert run("status", "--strict")[0] == 1
    code, out = run("status", "--json")
    data = json.loads(out)
    assert data["queue_depth"] == 0 and data["jobs"] == {"failed": 1}
    assert data["incidents"][0]["job_id"] == job_id and data["worker_ok"] is False
    code, out = run("incidents", "list")
    assert code == 0 and f"№{job_id}" in out

    code, out = run("incidents", "retry", str(job_id))
    assert code == 0, out
    assert job(ctx, job_id).status == "pending"
    code, out = run("incidents", "retry", str(job_id))
    assert code == 2 and "с ошибкой" in out
    clock.drain(ctx, rounds=background.MAX_ATTEMPTS + 1)
    code, out = run("incidents", "skip", str(job_id), "--reason", "проверка завершена")
    assert code == 0, out
    assert job(ctx, job_id).status == "skipped"

    record_heartbeat(ctx, WORKER)
    code, out = run("status", "--strict")
    assert code == 0, out
    assert "Инциденты: 0" in out and "Фоновый исполнитель: в порядке" in out


def test_document_numbers_survive_incidents(ctx, deployed):
    """A failing render never holds a number: the next issued order takes the next one."""
    good = ctx.settings
    ctx.settings = replace(good, templates_dir=good.instance_dir / "missing")
    broken = start_to_document_step(ctx)
    Clock().drain(ctx, rounds=background.MAX_ATTEMPTS + 1)
    ctx.settings = good
    fine = start_to_document_step(ctx)
    drain(ctx)
    operations.skip_job(ctx, Actor.system(), render_job(ctx, broken).id, "вручную")
    with ctx.db.read() as session:
        numbers = session.scalars(select(Document.number).where(Document.case_id == fine)).all()
    assert set(numbers) == {"1-у"}
