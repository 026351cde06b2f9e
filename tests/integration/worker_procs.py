"""Helpers for tests that run real `regoffice worker` / `regoffice beat` processes.

Every process is started in its own session (so the test can signal its whole process
group) and with PR_SET_PDEATHSIG, so it dies with the test run even if pytest is killed.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pytest
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REGOFFICE_TEST_REDIS_URL", "redis://127.0.0.1:6379")
PR_SET_PDEATHSIG = 1
# Resolved before any fork: the child (where other threads' locks may be held) only calls it.
_PRCTL = ctypes.CDLL("libc.so.6", use_errno=True).prctl


def redis_reason() -> str | None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"Redis not reachable at {REDIS_URL}: {type(exc).__name__}"
    return None


@contextmanager
def private_broker() -> Iterator[str]:
    """A Redis database of its own for one test (reserved on db 0, so tests running in
    parallel never share or flush each other's queues), emptied before and after."""
    import redis

    admin = redis.Redis.from_url(f"{REDIS_URL}/0")
    token = uuid.uuid4().hex
    for _ in range(300):
        index = next((i for i in range(1, 16)
                      if admin.set(f"regoffice-test:db:{i}", token, nx=True, ex=600)), None)
        if index is not None:
            break
        time.sleep(0.2)
    else:
        raise RuntimeError("no free Redis database for the test")
    url = f"{REDIS_URL}/{index}"
    redis.Redis.from_url(url).flushdb()
    try:
        yield url
    finally:
        redis.Redis.from_url(url).flushdb()
        if admin.get(f"regoffice-test:db:{index}") == token.encode():
            admin.delete(f"regoffice-test:db:{index}")


def _die_with_parent() -> None:
    """preexec_fn: SIGTERM this child when the process that started it exits."""
    _PRCTL(PR_SET_PDEATHSIG, signal.SIGTERM)


class Proc:
    """One `regoffice ...` subprocess writing to a log file (appended across restarts)."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name, self.args, self.env, self.log_path = name, args, env, log_dir / f"{name}.log"
        self.popen: subprocess.Popen[bytes] | None = None
        self._out: IO[str] | None = None

    def start(self) -> None:
        self._out = open(self.log_path, "a")  # noqa: SIM115  (closed in stop/kill)
        self.popen = subprocess.Popen([sys.executable, "-m", "server.cli", *self.args], env=self.env,
                                      stdout=self._out, stderr=subprocess.STDOUT, cwd=ROOT,
                                      start_new_session=True, preexec_fn=_die_with_parent)

    def kill(self) -> None:
        """SIGKILL the whole process group (the worker and its pool children)."""
        assert self.popen is not None
        os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)
        self._close()

    def stop(self) -> None:
        if self.popen is None:
            return
        try:
            os.killpg(self.popen.pid, signal.SIGTERM)
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)
        except ProcessLookupError:
            pass
        self._close()

    def _close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


def worker_env(database_url: str, broker: str, instance: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "CELERY_BROKER_URL": broker,
            "REGOFFICE_INSTANCE": str(instance), "SECRET_KEY": "test",
            "REGOFFICE_TICK_SECONDS": "0.5", "REGOFFICE_BACKGROUND": "celery", **extra}


def wait_until(predicate: Callable[[], bool], timeout: float, logs: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    dump = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in sorted(logs.glob("*.log")))
    raise AssertionError(f"condition not met in {timeout}s\n{dump}")


def count(ctx, stmt) -> int:  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(stmt.subquery())) or 0


@pytest.fixture(name="database_url")
def pg_only_database_url(pg_database: str) -> str:
    """The `database_url` of tests that run a worker: PostgreSQL only (the worker is another
    process). A test module that imports this fixture runs on PostgreSQL alone."""
    from tests.conftest import _truncate_pg

    _truncate_pg(pg_database)
    return pg_database


def job_row(ctx, job_id: int):  # type: ignore[no-untyped-def]
    """The outbox job as the database has it now."""
    from server.models import OutboxJob

    with ctx.db.read() as session:
        row = session.get(OutboxJob, job_id)
        assert row is not None
        return row
