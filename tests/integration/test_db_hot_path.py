"""The step's direct writes (`DirectStatement`) on each database, and SQLite's background WAL
checkpoints. (`write_versioned`'s stale-row conflict is driven through the API in
test_concurrency.py.)"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from server.db import WAL_BACKSTOP_PAGES, Base, Database
from server.db_direct import DirectStatement
from server.hot_path import AUDIT_COLUMNS, INSERT_AUDIT
from server.models import AuditEvent, Faculty
from server.services.context import AppContext


def _audit_row(kind: str, payload: dict, at: datetime) -> dict:
    return {"case_id": None, "task_id": "t-1", "actor_id": None, "kind": kind, "payload": payload, "at": at}


def test_a_direct_insert_stores_what_the_orm_reads_back(ctx: AppContext) -> None:
    at = datetime(2026, 12, 5, 9, 30, 15, 123456, tzinfo=UTC)
    with ctx.db.unit_of_work() as session:
        one = _audit_row("one", {"data": {"ФИО": "Әлия", "n": [1, 2]}}, at)
        assert INSERT_AUDIT.execute(session, one) == 1
        INSERT_AUDIT.execute(session, [_audit_row("two", {}, at), _audit_row("three", {"x": None}, at)])
    with ctx.db.read() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.task_id == "t-1")
                               .order_by(AuditEvent.id)).all()
    assert [(r.kind, r.payload, r.at) for r in rows] == [
        ("one", {"data": {"ФИО": "Әлия", "n": [1, 2]}}, at), ("two", {}, at), ("three", {"x": None}, at)]


def test_a_direct_insert_rolls_back_with_its_transaction(ctx: AppContext) -> None:
    with pytest.raises(RuntimeError), ctx.db.unit_of_work() as session:
        INSERT_AUDIT.execute(session, _audit_row("lost", {}, datetime.now(UTC)))
        raise RuntimeError("the step failed after its audit row")
    with ctx.db.read() as session:
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.kind == "lost")) is None


def test_a_missing_value_is_refused_before_anything_is_written(ctx: AppContext) -> None:
    row = _audit_row("partial", {}, datetime.now(UTC))
    del row["actor_id"]
    with pytest.raises(KeyError, match="actor_id"), ctx.db.unit_of_work() as session:
        INSERT_AUDIT.execute(session, row)


def test_a_statement_that_needs_a_python_default_is_refused(ctx: AppContext) -> None:
    # AuditEvent.at defaults to utcnow(): SQLAlchemy would compute it, a direct INSERT cannot.
    without_at = DirectStatement(insert(AuditEvent.__table__), [c for c in AUDIT_COLUMNS if c != "at"])
    with pytest.raises(ValueError, match="every column must be given"), ctx.db.unit_of_work() as session:
        without_at.execute(session, {"case_id": None, "task_id": None, "actor_id": None, "kind": "x",
                                     "payload": {}})


def test_sqlite_commits_leave_checkpoints_to_the_background_thread(tmp_path) -> None:
    path = tmp_path / "wal.db"
    db = Database(f"sqlite:///{path}")
    try:
        Base.metadata.create_all(db.engine, tables=[Faculty.__table__])
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == WAL_BACKSTOP_PAGES
        assert db.checkpointer is not None
        for i in range(100):
            with db.unit_of_work() as session:
                session.add(Faculty(code=f"F{i}", name_ru=f"Факультет {i}", name_kk=f"Факультет {i}"))
        assert "sqlite-wal-checkpoint" in [t.name for t in threading.enumerate()]
        deadline = time.monotonic() + 10
        while db.checkpointer.runs == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert db.checkpointer.runs >= 1
        assert db.checkpointer.checkpointed_frames > 0  # the log was copied back by the thread
    finally:
        db.dispose()
    assert db.checkpointer._thread is not None and not db.checkpointer._thread.is_alive()


def test_an_in_memory_database_has_no_checkpointer() -> None:
    db = Database("sqlite://")
    try:
        assert db.checkpointer is None
    finally:
        db.dispose()


# --------------------------------------------------------------------------- a case's first row
def test_a_started_case_is_the_row_in_the_database(ctx: AppContext, people: dict) -> None:
    """`insert_loaded` writes the case without the unit of work: the object the start returns
    holds what a fresh read finds (defaults included), the session has nothing left to
    flush, and the next step's version check starts from the stored version."""
    from server.auth import Actor
    from server.models import Case
    from server.services.cases import lifecycle as cases
    from server.services.procedures import deployments
    from server.services.tasks import human_tasks as tasks
    from tests.conftest import FIXTURES

    deployments.deploy_file(ctx, Actor.system(), "approval.bpmn", (FIXTURES / "approval.bpmn").read_bytes())
    with ctx.db.unit_of_work() as session:
        request = cases.StartRequest("Process_approval", data={"amount": 5})
        case, _instance, open_tasks, _version = cases._open_case(ctx, session, Actor.system(), request)
        assert not session.dirty and not session.new
    columns = [c.key for c in Case.__table__.columns]
    with ctx.db.read() as session:
        stored = session.get(Case, case.id)
        assert {k: getattr(stored, k) for k in columns} == {k: getattr(case, k) for k in columns}
    assert stored.lock_version == 2  # inserted at 1, written once by the step
    assert stored.received_at is not None and stored.updated_at is not None
    assert stored.summary["open_tasks"] == [open_tasks[0].id]
    step = tasks.complete_task(ctx, Actor.system(), open_tasks[0].id, {"approved": True})
    assert step.case.lock_version == 3 and step.case.status == "in_progress"


# --------------------------------------------------------------------------- driver errors
def test_a_refused_direct_write_raises_sqlalchemys_error(ctx: AppContext) -> None:
    from sqlalchemy.exc import IntegrityError

    row = _audit_row("orphan", {}, datetime.now(UTC))
    row["case_id"] = 2_000_000_000  # no such case: the foreign key refuses it
    with pytest.raises(IntegrityError), ctx.db.unit_of_work() as session:
        INSERT_AUDIT.execute(session, row)
    with ctx.db.read() as session:
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.kind == "orphan")) is None


def _terminate_backend(ctx: AppContext, pid: int) -> None:
    """pg_terminate_backend from a connection of its own, waiting until the backend is gone."""
    import psycopg

    conninfo = ctx.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as admin:  # not from the pool
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))


def test_a_connection_dropped_in_a_transaction_is_invalidated_and_the_next_step_runs(
        ctx: AppContext) -> None:
    """PostgreSQL restarted in the middle of a transaction (here: the session's backend
    terminated): the direct statement fails once with SQLAlchemy's OperationalError, the pool
    drops the dead connection, the next transaction gets a live one."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    if not ctx.db.is_postgres:
        pytest.skip("a server-side disconnect: PostgreSQL only (SQLite has no server)")
    with pytest.raises(OperationalError) as failed, ctx.db.unit_of_work() as session:
        _terminate_backend(ctx, session.execute(text("SELECT pg_backend_pid()")).scalar())
        INSERT_AUDIT.execute(session, _audit_row("after-restart", {}, datetime.now(UTC)))
    assert failed.value.connection_invalidated
    with ctx.db.unit_of_work() as session:
        INSERT_AUDIT.execute(session, _audit_row("after-restart", {}, datetime.now(UTC)))
    with ctx.db.read() as session:
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.kind == "after-restart")) is not None


def test_the_first_step_after_a_disconnect_succeeds(ctx: AppContext) -> None:
    """Every pooled connection's backend terminated between two steps (a database restart):
    the next step, on the hot path's direct statements, still succeeds: a connection the
    server closed while it sat in the pool is replaced at checkout."""
    from sqlalchemy import text

    if not ctx.db.is_postgres:
        pytest.skip("a server-side disconnect: PostgreSQL only (SQLite has no server)")
    with ctx.db.unit_of_work() as first, ctx.db.read() as second:
        pids = {first.execute(text("SELECT pg_backend_pid()")).scalar(),
                second.execute(text("SELECT pg_backend_pid()")).scalar()}
    for pid in pids:
        _terminate_backend(ctx, pid)
    with ctx.db.unit_of_work() as session:
        INSERT_AUDIT.execute(session, _audit_row("after-restart", {}, datetime.now(UTC)))
    with ctx.db.read() as session:
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.kind == "after-restart")) is not None


def test_a_forked_process_checkpoints_with_its_own_thread(tmp_path) -> None:
    """A gunicorn or Celery worker forked from a process whose checkpointer runs (its lock
    possibly held at that moment) starts a thread of its own at its first commit."""
    import os

    path = tmp_path / "fork.db"
    db = Database(f"sqlite:///{path}")
    try:
        Base.metadata.create_all(db.engine, tables=[Faculty.__table__])
        with db.unit_of_work() as session:
            session.add(Faculty(code="P", name_ru="Родитель", name_kk="Ата-ана"))
        assert db.checkpointer is not None and db.checkpointer._thread is not None
        db.engine.dispose(close=False)  # the child opens its own connections
        db.checkpointer._lock.acquire()  # as if the parent's thread held it at the fork
        pid = os.fork()
        if pid == 0:  # the child: commit, and report through the exit status
            code = 1
            try:
                for i in range(40):
                    with db.unit_of_work() as session:
                        session.add(Faculty(code=f"C{i}", name_ru="Ребёнок", name_kk="Бала"))
                thread = db.checkpointer._thread
                deadline = time.monotonic() + 10
                while db.checkpointer.runs == 0 and time.monotonic() < deadline:
                    time.sleep(0.01)
                code = 0 if thread is not None and thread.is_alive() and db.checkpointer.runs >= 1 else 2
            finally:
                os._exit(code)
        db.checkpointer._lock.release()
        deadline = time.monotonic() + 30
        while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        if done[0] == 0:  # the child hangs (on the inherited lock): stop it and fail
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            pytest.fail("the forked process did not finish its commits in 30 s")
        assert os.waitstatus_to_exitcode(done[1]) == 0
    finally:
        db.dispose()


def test_start_up_refuses_a_listener_or_onupdate_the_hot_path_would_skip(settings, monkeypatch):
    """The direct statements skip ORM events and onupdate: a class they write may have neither,
    and the server says so when it starts instead of skipping them silently."""
    from sqlalchemy import event

    from server.bootstrap import build_context
    from server.hot_path import check_mappers
    from server.models import Case, HumanTask

    check_mappers()  # as the models are today

    def stamp(*_args):  # type: ignore[no-untyped-def]
        pass

    event.listen(Case, "before_update", stamp)
    try:
        with pytest.raises(RuntimeError, match="Case: before_update listener"):
            build_context(settings, database=False)
    finally:
        event.remove(Case, "before_update", stamp)
    event.listen(HumanTask.status, "set", stamp)
    try:
        with pytest.raises(RuntimeError, match=r"HumanTask\.status: set listener"):
            check_mappers()
    finally:
        event.remove(HumanTask.status, "set", stamp)
    column = Case.__table__.c.updated_at
    monkeypatch.setattr(column, "onupdate", object())
    with pytest.raises(RuntimeError, match=r"Case\.updated_at: onupdate"):
        check_mappers()
