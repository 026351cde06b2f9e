"""Database engine, sessions and the unit-of-work helper.

Repositories and models never commit; a service opens one unit of work per use case.
"""

from __future__ import annotations

import logging
import os
import select
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator


class Base(DeclarativeBase):
    """Declarative base of every model."""


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Ids are 32-bit integers in the database: larger ones are refused before a query is made.
DB_INT_MAX = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


log = logging.getLogger(__name__)

# A committing connection checkpoints the WAL itself only past this many pages (~40 MB): the
# background checkpointer (below) normally does it long before, off the request's path.
WAL_BACKSTOP_PAGES = 10_000
CHECKPOINT_EVERY_COMMITS = 32
WAL_SIZE_LIMIT = 64 * 1024 * 1024


class WalCheckpointer:
    """Copies a SQLite database's write-ahead log back into the database from a thread of
    its own, so that no request pays for it.

    SQLite's automatic checkpoint runs inside the COMMIT that pushes the log past 1000 pages:
    about one transaction in 45 then copies the log and syncs the file, many times a median
    commit (figures: docs/performance.md). Here committing connections leave it to
    this thread, which wakes after every CHECKPOINT_EVERY_COMMITS commits of its process (or
    every `idle_seconds`) and runs a PASSIVE checkpoint: it never blocks readers or writers,
    and the sqlite3 module releases the GIL while it copies and syncs. If the thread falls
    behind or is gone, commits still checkpoint past WAL_BACKSTOP_PAGES.

    One per process and database file: it starts at the first commit of the process that
    commits. A forked process (a gunicorn or Celery worker) starts its own: its copy of the
    parent's state is reset at the fork, a lock the parent held included."""

    def __init__(self, path: str, idle_seconds: float = 1.0) -> None:
        self.path = path
        self.idle_seconds = idle_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._commits = 0
        self.runs = 0  # checkpoints run by this process's thread
        self.checkpointed_frames = 0  # frames of the log in the database after the last one
        self._pid: int | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        _CHECKPOINTERS.add(self)

    def _forked(self) -> None:
        """In a child process right after fork: no thread of this process runs yet."""
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pid = None
        self._thread = None
        self._commits = 0
        self.runs = 0

    def committed(self) -> None:
        """A connection of this process committed (called from the engine's commit event)."""
        if self._pid != os.getpid():
            self._start()
        self._commits += 1  # approximate under threads: it only paces the checkpoints
        if self._commits >= CHECKPOINT_EVERY_COMMITS:
            self._commits = 0
            self._wake.set()

    def _start(self) -> None:
        with self._lock:
            if self._pid == os.getpid() or self._stop.is_set():
                return
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="sqlite-wal-checkpoint", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        except sqlite3.Error as exc:  # the commits' backstop still checkpoints
            log.warning("WAL checkpointer for %s did not start: %s", self.path, exc)
            return
        try:
            while not self._stop.is_set():
                self._wake.wait(self.idle_seconds)
                self._wake.clear()
                if self._stop.is_set():
                    break
                try:
                    _busy, _log, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                    self.runs += 1
                    self.checkpointed_frames = copied
                except sqlite3.Error as exc:  # busy or a file gone in tests: try again later
                    log.debug("WAL checkpoint of %s: %s", self.path, exc)
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread.is_alive() and self._pid == os.getpid():
            thread.join(timeout=5)


_CHECKPOINTERS: weakref.WeakSet[WalCheckpointer] = weakref.WeakSet()


def _reset_checkpointers_after_fork() -> None:
    for checkpointer in list(_CHECKPOINTERS):
        checkpointer._forked()


os.register_at_fork(after_in_child=_reset_checkpointers_after_fork)


def _sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL; None for an in-memory database or another backend."""
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return database


@dataclass(frozen=True)
class DbLimits:
    """How long a connection waits, in milliseconds (0: no limit). `lock` is PostgreSQL's
    lock_timeout and SQLite's busy timeout (0 keeps SQLite's 30 s); `statement` and
    `idle_in_transaction` are PostgreSQL's statement_timeout and
    idle_in_transaction_session_timeout."""

    lock: int = 5000
    statement: int = 60_000
    idle_in_transaction: int = 300_000

    @classmethod
    def of(cls, settings: Any) -> DbLimits:
        """The limits a `server.config.Settings` asks for."""
        return cls(settings.db_lock_timeout_ms, settings.db_statement_timeout_ms,
                   settings.db_idle_timeout_ms)


# SQLSTATEs of a lock that could not be had in time: lock_not_available (lock_timeout, NOWAIT),
# deadlock_detected, serialization_failure. The caller may simply try again.
_BUSY_SQLSTATES = frozenset({"55P03", "40P01", "40001"})
_TIMEOUT_SQLSTATES = frozenset({"57014"})  # query_canceled: statement_timeout


# What a database error can be: SQLAlchemy's wrapper, or SQLite's own error from the BEGIN
# IMMEDIATE that make_engine runs on the driver's connection.
DATABASE_ERRORS: tuple[type[Exception], ...] = (DBAPIError, sqlite3.Error)


def _driver_error(exc: BaseException) -> BaseException:
    return getattr(exc, "orig", None) or exc


def is_busy_error(exc: BaseException) -> bool:
    """A database error that means "another transaction holds the lock": PostgreSQL's
    lock_timeout (or a deadlock), SQLite's busy timeout. Trying again later is the answer."""
    orig = _driver_error(exc)
    if getattr(orig, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    if isinstance(orig, sqlite3.OperationalError):
        text = str(orig).lower()
        return "locked" in text or "busy" in text
    return False


def is_timeout_error(exc: BaseException) -> bool:
    """A statement PostgreSQL cancelled at statement_timeout."""
    return getattr(_driver_error(exc), "sqlstate", None) in _TIMEOUT_SQLSTATES


def _pg_options(existing: str | None, limits: DbLimits) -> str:
    """The libpq `options` of every connection: the limits as session settings (no round trip)."""
    parts = [existing] if existing else []
    parts += [f"-c lock_timeout={limits.lock}", f"-c statement_timeout={limits.statement}",
              f"-c idle_in_transaction_session_timeout={limits.idle_in_transaction}"]
    return " ".join(parts)


def _closed_while_idle(dbapi_conn: object) -> bool:
    """True when an idle pooled connection is known dead without a round trip: its socket is
    readable (an idle PostgreSQL connection receives nothing unless the server ends it: a
    terminated backend, a restart) or already closed."""
    try:
        fd = dbapi_conn.fileno()  # type: ignore[attr-defined]
    except Exception:  # closed: the driver refuses fileno()
        return True
    poller = select.poll()  # poll, not select(): any descriptor number
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def make_engine(url: str, checkpointer: WalCheckpointer | None = None,
                limits: DbLimits | None = None, **kwargs: object) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys, a busy timeout and, given a
    `checkpointer` for its file, checkpoints off the committing thread. PostgreSQL gets the
    `limits` on every connection and a dead-connection check at checkout."""
    limits = limits or DbLimits()
    if url.startswith("sqlite"):
        busy_ms = limits.lock or 30_000
        engine = create_engine(
            url, connect_args={"timeout": busy_ms / 1000, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None  # let SQLAlchemy emit BEGIN itself
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
            if checkpointer is not None:
                cur.execute(f"PRAGMA wal_autocheckpoint={WAL_BACKSTOP_PAGES}")
                # Under steady load the log restarts only at a backstop checkpoint: past this
                # size the file is truncated then, instead of staying as large as it ever was.
                cur.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
            cur.close()
            # SQLite's lower() folds ASCII only: searches by Cyrillic names need Unicode.
            dbapi_conn.create_function("lower", 1, _unicode_lower, deterministic=True)

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
            # Writers BEGIN IMMEDIATE: the write lock up front, one writer at a time, no
            # deadlock-prone lock upgrades between read-then-write transactions. Readers
            # (WAL snapshots) never block or wait for writers.
            read_only = conn.get_execution_options().get("regoffice_read_only", False)
            # On the driver's connection: the statement needs none of SQLAlchemy's execution
            # machinery (docs/performance.md).
            conn.connection.driver_connection.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")

        if checkpointer is not None:
            event.listen(engine, "commit", lambda _conn: checkpointer.committed())
        return engine
    if url.startswith("postgresql"):
        connect_args = dict(kwargs.pop("connect_args", None) or {})  # type: ignore[call-overload]
        connect_args["options"] = _pg_options(
            connect_args.get("options") or make_url(url).query.get("options"), limits)  # type: ignore[arg-type]
        kwargs["connect_args"] = connect_args
    # Instead of pool_pre_ping (a round trip per transaction): a connection the server ended
    # while it sat in the pool (a terminated backend, a restart) is seen at checkout by its
    # readable socket and replaced, so the first request after a disconnect succeeds too.
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_recycle", 1800)
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "checkout")
    def _check_alive(dbapi_conn, _record, _proxy):  # type: ignore[no-untyped-def]
        if _closed_while_idle(dbapi_conn):
            raise DisconnectionError("the server closed the pooled connection")

    return engine


class Database:
    """Owns the engine and the session factory of one application instance."""

    def __init__(self, url: str, limits: DbLimits | None = None, **kwargs: object) -> None:
        self.url = url
        path = _sqlite_file(url)
        self.checkpointer = WalCheckpointer(path) if path else None
        self.engine = make_engine(url, self.checkpointer, limits, **kwargs)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        read_options: dict[str, object] = {"regoffice_read_only": True}
        if self.engine.dialect.name == "postgresql":
            # Reads need no transaction of their own: no BEGIN/ROLLBACK round trips.
            read_options["isolation_level"] = "AUTOCOMMIT"
        self.read_sessions = sessionmaker(
            self.engine.execution_options(**read_options), expire_on_commit=False, autoflush=False)
        # Called after a commit that wrote outbox jobs (wakes the dispatcher).
        self.after_jobs: list[Callable[[], None]] = []

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction: commit on success, roll back on any error."""
        session = self.sessions()
        try:
            yield session
            session.commit()
            if session.info.pop("jobs_written", False):
                for callback in list(self.after_jobs):
                    callback()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only session. Closing (not rolling back) keeps loaded objects readable."""
        session = self.read_sessions()
        try:
            yield session
        finally:
            session.close()

    def dispose(self) -> None:
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.engine.dispose()
