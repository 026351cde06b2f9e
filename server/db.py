"""Database engine, sessions and the unit-of-work helper.

Repositories and models never commit; a service opens one unit of work per use case.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Engine, Update, bindparam, create_engine, event, inspect, update
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError
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


def write_versioned(session: Session, obj: Any) -> None:
    """UPDATE a loaded row's changed columns now, guarded by its version column, and tell the
    session the values are stored: the statement the unit of work would issue at flush, without
    its bookkeeping (on the step's hot path that bookkeeping cost more than the SQL). A writer
    that changed the row since it was read makes it match no row: StaleDataError, as at flush.
    Changes this UPDATE does not cover (relationships) are left to the flush."""
    state = inspect(obj)
    if state.transient or state.pending:
        return  # not in the database yet: the session inserts it
    mapper = state.mapper
    # The attributes set since the row was read or last written (possibly to an equal value,
    # which is then written again: cheaper than comparing a 4 KB workflow state).
    modified = state.manager.keys() - state.unmodified
    values = {key: state.dict[key] for key in modified if key in mapper.columns}
    if not values:
        return
    version_key = mapper.get_property_by_column(mapper.version_id_col).key
    seen = state.dict[version_key]
    values[version_key] = seen + 1
    params = {f"new_{key}": value for key, value in values.items()}
    params.update(row_id=state.identity[0], seen_version=seen)
    if session.connection().execute(_versioned_update(mapper, tuple(sorted(values))), params).rowcount != 1:
        raise StaleDataError(f"{mapper.local_table.name} {state.identity[0]} was changed by another "
                             f"writer (version {seen})")
    for key, value in values.items():
        set_committed_value(obj, key, value)
    if all(key in mapper.columns for key in modified):
        # Nothing is left to flush: clear the object's "modified" mark as a flush would, or
        # the session visits it again at flush and at commit for nothing.
        state._commit_all(state.dict, session.identity_map)


@functools.lru_cache(maxsize=128)
def _versioned_update(mapper: Any, keys: tuple[str, ...]) -> Update:
    """The version-guarded UPDATE of these attributes' columns, built once per set of them."""
    (pk,) = mapper.primary_key
    version = mapper.version_id_col
    return (update(mapper.local_table).where(pk == bindparam("row_id"), version == bindparam("seen_version"))
            .values({mapper.columns[key]: bindparam(f"new_{key}", type_=mapper.columns[key].type)
                     for key in keys}))


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def make_engine(url: str, **kwargs: object) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            dbapi_conn.isolation_level = None  # let SQLAlchemy emit BEGIN itself
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
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
            # machinery, which cost a third of an empty transaction.
            conn.connection.driver_connection.execute("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    # No pre-ping: it costs a round trip per transaction; a connection found dead is
    # invalidated with its pool and the request fails once, so pool_recycle bounds it.
    kwargs.setdefault("pool_recycle", 1800)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, **kwargs)


class Database:
    """Owns the engine and the session factory of one application instance."""

    def __init__(self, url: str, **kwargs: object) -> None:
        self.url = url
        self.engine = make_engine(url, **kwargs)
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
        self.engine.dispose()
