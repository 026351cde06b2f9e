"""A case's step on the driver, by name: the only door to server/db_direct.py.

A start or a completion is one transaction of a handful of one-row statements; these run
them straight on the driver (why and how much: server/db_direct.py, docs/performance.md):
read a task with its case (locking the case), insert a new case, insert tasks, append audit
events, write the case or a task back under its version, and read a case view's records. So
does the check every API request makes of its token (read, never cached, so a revoked token
is refused by every process at once): who it belongs to and whom that person stands in for.

The direct statements skip the ORM's events and `onupdate` column defaults. The classes they
write may therefore have neither: `check_mappers()` refuses, at start-up, a listener or an
`onupdate` on them (server/bootstrap.py calls it), so whoever adds one learns it at once
instead of finding it silently skipped.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, false, insert, inspect, select, true
from sqlalchemy.orm import Session

from server.db_direct import DirectStatement, attach_loaded, column_keys, insert_loaded, write_versioned
from server.models import (
    ApiToken,
    AuditEvent,
    Case,
    Document,
    HumanTask,
    ProcessDefinition,
    Substitution,
    Timer,
    User,
    UserRole,
)

# What the direct statements write: no ORM event and no `onupdate` may depend on them.
WRITTEN = (Case, HumanTask, AuditEvent)
_MAPPER_EVENTS = ("before_insert", "after_insert", "before_update", "after_update")
_INSTANCE_EVENTS = ("load", "refresh", "refresh_flush")
_ATTRIBUTE_EVENTS = ("set", "modified", "init_scalar")

AUDIT_COLUMNS = ("case_id", "task_id", "actor_id", "kind", "payload", "at")
INSERT_AUDIT = DirectStatement(insert(AuditEvent.__table__), AUDIT_COLUMNS)
TASK_COLUMNS = column_keys(HumanTask)
_INSERT_TASKS = DirectStatement(insert(HumanTask.__table__), TASK_COLUMNS)
_CASE_COLUMNS = column_keys(Case)
_TASK_AND_CASE = (select(*HumanTask.__table__.columns, *Case.__table__.columns)
                  .join_from(HumanTask, Case, Case.id == HumanTask.case_id)
                  .where(HumanTask.id == bindparam("task_id")))
_READ_TASK_AND_CASE = DirectStatement(_TASK_AND_CASE)
_READ_TASK_AND_LOCK_CASE = DirectStatement(_TASK_AND_CASE.with_for_update(of=Case.__table__))
# The case's waiting timers (the step refreshes them as ORM rows; a case view reads records).
WAITING_TIMERS = select(Timer).where(Timer.case_id == bindparam("case_id"), Timer.status == "waiting")
_HISTORY = DirectStatement(select(AuditEvent.__table__).where(AuditEvent.case_id == bindparam("case_id"))
                           .order_by(AuditEvent.id))
_FILES = ("content", "pdf")
_DOCUMENTS = DirectStatement(select(*(c for c in Document.__table__.columns if c.key not in _FILES))
                             .where(Document.case_id == bindparam("case_id")).order_by(Document.id))
_TIMER_RECORDS = DirectStatement(WAITING_TIMERS.order_by(Timer.id))
_LATEST_ID = DirectStatement(select(ProcessDefinition.id).where(
    ProcessDefinition.process_id == bindparam("process_id"), ProcessDefinition.is_latest,
    ProcessDefinition.kind == "bpmn"))

# The API token's user and roles (a row per role), and the active people that user stands in for
# today with their roles: an API request's actor, in two statements.
_TOKEN_USER = DirectStatement(
    select(User.id, User.username, User.full_name, User.faculty_id, UserRole.role)
    .join_from(ApiToken, User, User.id == ApiToken.user_id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("digest"), ApiToken.revoked == false(),
           User.active == true()))
_STANDS_IN_FOR = DirectStatement(
    select(User.id, User.faculty_id, UserRole.role)
    .join_from(Substitution, User, User.id == Substitution.user_id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .where(Substitution.substitute_id == bindparam("user_id"),
           Substitution.starts_on <= bindparam("today"), Substitution.ends_on >= bindparam("today"),
           User.active == true()))


def check_mappers() -> None:
    """Refuse an ORM event or an `onupdate` on a class the direct statements write."""
    problems = []
    for cls in WRITTEN:
        mapper = inspect(cls)
        problems += [f"{cls.__name__}: {name} listener" for name in _MAPPER_EVENTS
                     if getattr(mapper.dispatch, name)]
        problems += [f"{cls.__name__}: {name} listener" for name in _INSTANCE_EVENTS
                     if getattr(mapper.class_manager.dispatch, name)]
        for column in mapper.local_table.columns:
            if column.onupdate is not None or column.server_onupdate is not None:
                problems.append(f"{cls.__name__}.{column.key}: onupdate")
        for attr in mapper.column_attrs:
            dispatch = attr.class_attribute.dispatch
            problems += [f"{cls.__name__}.{attr.key}: {name} listener" for name in _ATTRIBUTE_EVENTS
                         if getattr(dispatch, name)]
    if problems:
        raise RuntimeError("server/hot_path.py writes these classes without the ORM, which would "
                           "skip: " + "; ".join(problems))


def append_audit(session: Session, events: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> None:
    """Append audit events (each with AUDIT_COLUMNS) at once; their ids keep the call order."""
    INSERT_AUDIT.execute(session, events)


def insert_tasks(session: Session, tasks: Sequence[HumanTask]) -> None:
    """INSERT new task rows now; the objects stay out of the session (nothing changes them
    later in the step)."""
    _INSERT_TASKS.execute(session, [{key: getattr(task, key) for key in TASK_COLUMNS} for task in tasks])


def insert_case(session: Session, case: Case) -> None:
    """INSERT a new case now (its id read back) and keep it in the session as loaded."""
    insert_loaded(session, case)


def write_case(session: Session, case: Case) -> None:
    """UPDATE the case's changed columns under its version (StaleDataError if another writer
    changed it since it was read)."""
    write_versioned(session, case)


def write_task(session: Session, task: HumanTask) -> None:
    """UPDATE the task's changed columns under its version."""
    write_versioned(session, task)


def read_task_and_case(session: Session, task_id: str, *, lock_case: bool) -> tuple[HumanTask, Case] | None:
    """The task and its case in one statement, put into the session as loaded; `lock_case`
    (PostgreSQL): FOR UPDATE OF cases. None when there is no such task."""
    statement = _READ_TASK_AND_LOCK_CASE if lock_case else _READ_TASK_AND_CASE
    found = statement.rows(session, {"task_id": task_id})
    if not found:
        return None
    row, split = found[0], len(TASK_COLUMNS)
    task = attach_loaded(session, HumanTask, dict(zip(TASK_COLUMNS, row[:split], strict=True)))
    case = attach_loaded(session, Case, dict(zip(_CASE_COLUMNS, row[split:], strict=True)))
    return task, case


def case_records(session: Session, case_id: int) -> tuple[list[Any], list[Any], list[Any]]:
    """The case's audit trail, documents (without their files) and waiting timers, oldest
    first, as read-only records named by their columns."""
    key = {"case_id": case_id}
    return (_HISTORY.records(session, key), _DOCUMENTS.records(session, key),
            _TIMER_RECORDS.records(session, key))


def latest_definition_id(session: Session, process_id: str) -> int | None:
    """The id of the latest deployed version of a procedure (read at every start)."""
    rows = _LATEST_ID.rows(session, {"process_id": process_id})
    return rows[0][0] if rows else None


def token_user(session: Session, digest: str) -> list[tuple[Any, ...]]:
    """(id, username, full name, faculty id, role) of an active user's live token, a row per
    role (role None when the user has none); no rows for an unknown or revoked token."""
    return _TOKEN_USER.rows(session, {"digest": digest})


def stands_in_for(session: Session, user_id: int, today: Any) -> list[tuple[Any, ...]]:
    """(id, faculty id, role) of each active person `user_id` substitutes for on `today`, a row
    per role."""
    return _STANDS_IN_FOR.rows(session, {"user_id": user_id, "today": today})
