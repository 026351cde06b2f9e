"""Inbox queries, answered from the human-task table with indexes (never by loading cases)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, exists, false, func, or_, select

from server.auth import Actor
from server.auth.roles import FACULTY_SCOPED_ROLES, TASK_SUPERVISORS
from server.db import utcnow
from server.models import HumanTask, TaskCandidate
from server.services.context import AppContext
from server.services.errors import Forbidden, Invalid
from server.services.filters import name_or_iin, within_days

SCOPES = ("mine", "group", "any", "all")  # any: mine or my groups'


@dataclass
class InboxQuery:
    scope: str = "mine"
    overdue: bool = False
    process_id: str | None = None
    faculty_id: int | None = None
    q: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    limit: int = 50
    offset: int = 0


def _group_filter(actor: Actor):  # type: ignore[no-untyped-def]
    """Open tasks one of the actor's roles may take (faculty-scoped roles: own faculty)."""
    global_roles = [r for r in actor.roles if r not in FACULTY_SCOPED_ROLES]
    scoped_roles = [r for r in actor.roles if r in FACULTY_SCOPED_ROLES]
    clauses = []
    if global_roles:
        clauses.append(TaskCandidate.role.in_(global_roles))
    if scoped_roles and actor.faculty_id is not None:
        clauses.append(and_(TaskCandidate.role.in_(scoped_roles),
                            HumanTask.faculty_id == actor.faculty_id))
    if not clauses:
        return false()
    return exists().where(TaskCandidate.task_id == HumanTask.id, or_(*clauses))


def build_query(ctx: AppContext, actor: Actor, query: InboxQuery) -> Select[tuple[HumanTask]]:
    if query.scope not in SCOPES:
        raise Invalid("Неизвестный раздел", {"scope": f"Допустимо: {', '.join(SCOPES)}"})
    stmt = select(HumanTask).where(HumanTask.status == "open")
    if query.scope == "mine":
        stmt = stmt.where(HumanTask.assignee_id.in_(actor.own_ids))
    elif query.scope == "group":
        stmt = stmt.where(_group_filter(actor))
    elif query.scope == "any":
        stmt = stmt.where(or_(HumanTask.assignee_id.in_(actor.own_ids), _group_filter(actor)))
    elif not actor.has_any(TASK_SUPERVISORS):
        raise Forbidden("Все задачи видит руководитель офиса регистратора")
    if query.overdue:
        stmt = stmt.where(HumanTask.due_at < utcnow())
    if query.process_id:
        stmt = stmt.where(HumanTask.process_id == query.process_id)
    if query.faculty_id:
        stmt = stmt.where(HumanTask.faculty_id == query.faculty_id)
    if query.q:
        stmt = stmt.where(name_or_iin(HumanTask.subject_name, HumanTask.subject_iin, query.q))
    return stmt.where(*within_days(HumanTask.created_at, ctx, query.created_from, query.created_to))


def list_tasks(ctx: AppContext, actor: Actor, query: InboxQuery) -> tuple[list[HumanTask], int]:
    stmt = build_query(ctx, actor, query)
    with ctx.db.read() as session:
        total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
        rows = session.scalars(
            stmt.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.created_at)
            .limit(max(1, min(query.limit, 500))).offset(max(0, query.offset))
        ).all()
        return list(rows), total


def counts(ctx: AppContext, actor: Actor) -> dict[str, int]:
    """Counts per inbox tab (mine, group, overdue among mine and group)."""
    with ctx.db.read() as session:
        result = {}
        for scope in ("mine", "group"):
            stmt = build_query(ctx, actor, InboxQuery(scope=scope))
            result[scope] = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        overdue = build_query(ctx, actor, InboxQuery(scope="any", overdue=True))
        result["overdue"] = session.scalar(select(func.count()).select_from(overdue.subquery())) or 0
        return result
