"""A case's lock held by another transaction (a step that hangs, a stuck script) never hangs a
request or a background job: PostgreSQL's lock_timeout and SQLite's busy timeout turn the wait
into a 409 "try again" for people and a retry for jobs; /healthz tells strangers only
ok/unavailable."""

from __future__ import annotations

import io
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import select, text

from server.models import HumanTask, OutboxJob
from server.services.background import jobs as background
from server.services.background import operations
from tests.conftest import FIXTURES

API = "/api/v1"
LOCK_MS = 1000


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    return replace(settings, db_lock_timeout_ms=LOCK_MS)


@pytest.fixture
def case(client, people) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = client.post(f"{API}/processes", headers=people["admin"],
                    data={"file": (io.BytesIO((FIXTURES / "approval.bpmn").read_bytes()), "approval.bpmn")},
                    content_type="multipart/form-data")
    assert r.status_code == 201, r.json
    r = client.post(f"{API}/cases", headers=people["registrar"],
                    json={"process_id": "Process_approval", "data": {"amount": 5}})
    assert r.status_code == 201, r.json
    return r.json


@contextmanager
def case_locked(ctx, case_id: int) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Another connection holds the case's row lock (PostgreSQL: SELECT ... FOR UPDATE) or
    SQLite's write lock (an open write transaction), as a hung step would."""
    if ctx.db.is_postgres:
        import psycopg

        conninfo = ctx.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        conn = psycopg.connect(conninfo)
        conn.execute("SELECT id FROM cases WHERE id = %s FOR UPDATE", (case_id,))
    else:
        conn = sqlite3.connect(ctx.db.engine.url.database, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE cases SET id = id WHERE id = ?", (case_id,))
    try:
        yield
    finally:
        conn.rollback()
        conn.close()


def within(seconds: float, call: Callable[[], Any]) -> tuple[Any, float]:
    """Run `call` in a thread; fail (not hang) if it has not returned after `seconds`."""
    result: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            result.append(call())
        except BaseException as exc:
            errors.append(exc)

    started = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting after {seconds} s: the held lock hangs it"
    if errors:
        raise errors[0]
    return result[0], time.monotonic() - started


def assert_busy(response: Any) -> None:
    assert response.status_code == 409, response.get_data(as_text=True)[:500]
    assert response.json["error"] == "busy"
    assert "обрабатывается" in response.json["message"]
    assert response.headers["Retry-After"] == "2"


def test_a_locked_case_answers_409_to_completion_and_cancel(client, people, case, ctx):
    task_id = case["open_tasks"][0]["id"]
    with case_locked(ctx, case["id"]):
        done, took = within(10, lambda: client.post(
            f"{API}/tasks/{task_id}/complete", headers=people["registrar"],
            json={"data": {"approved": True}}))
        assert_busy(done)
        assert took < LOCK_MS / 1000 + 3
        cancelled, took = within(10, lambda: client.post(
            f"{API}/cases/{case['id']}/cancel", headers=people["registrar"], json={"reason": "тест"}))
        assert_busy(cancelled)
        english = client.post(f"{API}/cases/{case['id']}/cancel", json={"reason": "тест"},
                              headers={**people["registrar"], "Accept-Language": "en"})
        assert english.status_code == 409
        assert "being processed" in english.json["message"]
    # nothing was stored: the task is still open, and once the lock is gone it completes
    with ctx.db.read() as session:
        status = session.scalar(select(HumanTask.status).where(HumanTask.id == task_id))
    assert status == "open"
    r = client.post(f"{API}/tasks/{task_id}/complete", headers=people["registrar"],
                    json={"data": {"approved": True}})
    assert r.status_code == 200, r.json


def test_a_job_on_a_locked_case_is_retried_not_hung(case, ctx):
    job_id = operations.enqueue_probe(ctx, None, 0, case_id=case["id"])
    assert background.claim_due_jobs(ctx) == [job_id]
    with case_locked(ctx, case["id"]):
        status, took = within(10, lambda: background.run_job(ctx, job_id))
    assert took < 2 * LOCK_MS / 1000 + 3
    with ctx.db.read() as session:
        job = session.get(OutboxJob, job_id)
        assert job is not None
    if ctx.db.is_postgres:  # the row lock: the failure is recorded, the retry scheduled
        assert status == "pending" and job.attempts == 1
        assert "lock timeout" in (job.last_error or "")
    else:  # the whole database was locked: nothing could be written, the lease stands
        assert status == "busy" and job.status == "sent"
    # once the lock is gone, the retry (or the re-sent lease) runs it
    with ctx.db.unit_of_work() as session:
        session.get(OutboxJob, job_id).available_at = job.created_at  # type: ignore[union-attr]
    assert background.claim_due_jobs(ctx, stale_after=0) == [job_id]
    assert background.run_job(ctx, job_id) == "done"


def test_a_locked_case_does_not_stop_the_other_cases_timers(ctx):
    """Two cases whose timers are due; one case is locked (its step hangs). The timer sweep
    returns within seconds: on PostgreSQL it fires the other case's timer; on SQLite (one lock
    for the whole database) it fires nothing this round. Once the lock is gone, all fire."""
    from server.auth import Actor
    from server.services.cases import lifecycle as cases
    from server.services.procedures import deployments

    deployments.deploy_file(ctx, Actor.system(), "short_timer.bpmn",
                            (FIXTURES / "short_timer.bpmn").read_bytes())
    registrar = Actor(None, "registrar", frozenset({"registrar"}))
    stuck, other = (cases.start_case(ctx, registrar, cases.StartRequest(process_id="short_timer"))
                    for _ in range(2))
    time.sleep(2.2)  # the model's timer is 2 s
    with case_locked(ctx, stuck):
        fired, took = within(15, lambda: background.fire_due_timers(ctx))
    assert took < (1 if ctx.db.is_postgres else LOCK_MS / 1000 + 3)  # PostgreSQL: skipped at once
    assert fired == (1 if ctx.db.is_postgres else 0)
    open_tasks = select(HumanTask.case_id).where(HumanTask.status == "open")
    with ctx.db.read() as session:
        assert set(session.scalars(open_tasks)) == ({other} if ctx.db.is_postgres else set())
    background.fire_due_timers(ctx)
    with ctx.db.read() as session:
        assert set(session.scalars(open_tasks)) == {stuck, other}


def test_postgresql_connections_carry_the_limits(ctx):
    if not ctx.db.is_postgres:
        pytest.skip("PostgreSQL session settings")
    with ctx.db.read() as session:
        shown = {name: session.execute(text(f"SHOW {name}")).scalar()
                 for name in ("lock_timeout", "statement_timeout", "idle_in_transaction_session_timeout")}
    assert shown == {"lock_timeout": "1s", "statement_timeout": "1min",
                     "idle_in_transaction_session_timeout": "5min"}


def _database_down_once(ctx, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The health check's query fails with a driver's message (address, user, password);
    later reads (who is asking) work."""
    real = ctx.db.read
    calls = {"n": 0}

    @contextmanager
    def read():  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError('connection to server at "10.1.2.3", port 5432 failed: '
                               'FATAL: password authentication failed for user "regoffice"')
        with real() as session:
            yield session

    monkeypatch.setattr(ctx.db, "read", read)


def test_healthz_tells_a_stranger_only_ok_or_unavailable(client, people, ctx, monkeypatch):
    assert client.get("/healthz").json == {"status": "ok", "database": "ok"}
    _database_down_once(ctx, monkeypatch)
    r = client.get("/healthz")
    assert r.status_code == 503
    assert r.json == {"status": "unavailable", "database": "unavailable"}
    assert "10.1.2.3" not in r.get_data(as_text=True)


def test_healthz_gives_an_admin_the_details(client, people, ctx, monkeypatch):
    _database_down_once(ctx, monkeypatch)
    r = client.get("/healthz", headers=people["admin"])
    assert r.status_code == 503
    assert r.json["database"] == "unavailable"
    assert "password authentication failed" in r.json["detail"]["database"]
    _database_down_once(ctx, monkeypatch)
    r = client.get("/healthz", headers=people["registrar"])  # staff, but not an admin
    assert "detail" not in r.json


def test_healthz_gives_details_to_an_admins_staff_session(app, people, ctx, monkeypatch):
    from tests.integration.web import Staff

    admin = Staff(app, "admin")
    _database_down_once(ctx, monkeypatch)
    r = admin.client.get("/healthz")
    assert r.status_code == 503 and "10.1.2.3" in r.json["detail"]["database"]


def test_the_first_request_after_a_database_disconnect_succeeds(client, people, case, ctx):
    """Every backend of the app's pool terminated between two requests (a database restart)."""
    if not ctx.db.is_postgres:
        pytest.skip("a server-side disconnect: PostgreSQL only")
    import psycopg

    assert client.get(f"{API}/cases/{case['id']}", headers=people["head"]).status_code == 200
    conninfo = ctx.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as admin:
        ended = admin.execute("SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
                              "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                              ).fetchone()
    assert ended and ended[0] >= 1
    task_id = case["open_tasks"][0]["id"]
    r = client.post(f"{API}/tasks/{task_id}/complete", headers=people["registrar"],
                    json={"data": {"approved": True}})
    assert r.status_code == 200, r.json
    assert client.get(f"{API}/cases/{case['id']}", headers=people["head"]).status_code == 200


def test_the_staff_ui_says_the_case_is_busy_in_the_users_language(app, case, ctx):
    from tests.integration.web import Staff, text

    staff = Staff(app, "registrar", lang="kk")
    with case_locked(ctx, case["id"]):
        r, took = within(10, lambda: staff.post(f"/app/cases/{case['id']}/cancel",
                                                {"reason": "тест"}, status=409))
    assert took < 2 * LOCK_MS / 1000 + 3
    assert "Іс қазір басқа сұраныспен немесе фондық тапсырмамен өңделіп жатыр" in text(
        r.get_data(as_text=True))
