"""Inbox queries, answered from the human-task table with indexes (never by loading cases)."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import reduce

from sqlalchemy import ColumnElement, Select, and_, false, func, literal, literal_column, or_, select, true
from sqlalchemy.orm import Session

from server.auth import Actor
from server.auth.roles import FACULTY_SCOPED_ROLES, TASK_SUPERVISORS
from server.db import utcnow
from server.models import HumanTask
from server.services.cases.filters import name_or_iin, within_days
from server.services.context import AppContext
from server.services.documents.versions import SIGN_FORMS
from server.services.errors import Forbidden, Invalid, tr

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
    due_on: date | None = None  # due on this local day
    sign_only: bool = False  # only the rector's signing of an order
    limit: int = 50
    offset: int = 0


# Literals, not parameters: the planner then matches the partial indexes over the open tasks
# (server/models/task.py) in every plan, generic ones included.
OPEN = literal_column("'open'")
MULTI_ROLE = literal_column("'%,%'")


def _role_filter(actor: Actor,
                 holds: Callable[[list[str]], ColumnElement[bool]]) -> list[ColumnElement[bool]]:
    """`holds(roles)`: the task names one of `roles`; faculty-scoped roles on the actor's faculty only."""
    global_roles = sorted(r for r in actor.roles if r not in FACULTY_SCOPED_ROLES)
    scoped_roles = sorted(r for r in actor.roles if r in FACULTY_SCOPED_ROLES)
    clauses = []
    if global_roles:
        clauses.append(holds(global_roles))
    if scoped_roles and actor.faculty_id is not None:
        clauses.append(and_(holds(scoped_roles), HumanTask.faculty_id == actor.faculty_id))
    return clauses


def _among_candidates(roles: list[str]) -> ColumnElement[bool]:
    """One of `roles` is in the task's comma-separated `candidate_roles`."""
    listed = literal(",") + HumanTask.candidate_roles + literal(",")
    return or_(*(listed.contains(f",{role},", autoescape=True) for role in roles))


def _group_arms(actor: Actor) -> list[ColumnElement[bool]]:
    """Open tasks one of the actor's roles may take (faculty-scoped roles: own faculty), as
    alternatives: by the first candidate role, or among the candidate roles of the tasks that
    have several.

    A task's candidate roles are written once, when it opens (server/services/cases/steps.py): as
    the comma-separated `candidate_roles` and, the first of them, as `role`. Partial indexes
    over the open tasks answer from them (one for the first role, one for the rare tasks with
    several); a table of (task, role) rows, which closed tasks kept too, read millions of rows
    at scale and was dropped (migration 0008)."""
    first = _role_filter(actor, HumanTask.role.in_)
    if not first:
        return []
    return [or_(*first),
            and_(HumanTask.candidate_roles.like(MULTI_ROLE), or_(*_role_filter(actor, _among_candidates)))]


def _conditions(ctx: AppContext, actor: Actor, query: InboxQuery
                ) -> tuple[list[ColumnElement[bool]] | None, list[ColumnElement[bool]]]:
    """(the scope's alternatives, None for every open task; the other filters)."""
    if query.scope not in SCOPES:
        raise Invalid("Неизвестный раздел", {"scope": tr("Допустимо: %(values)s", values=", ".join(SCOPES))})
    arms: list[ColumnElement[bool]] | None = None
    mine = HumanTask.assignee_id.in_(actor.own_ids)
    if query.scope == "mine":
        arms = [mine]
    elif query.scope == "group":
        arms = _group_arms(actor)
    elif query.scope == "any":
        arms = [mine, *_group_arms(actor)]
    elif not actor.has_any(TASK_SUPERVISORS):
        raise Forbidden("Все задачи видит руководитель офиса регистратора")
    filters = [HumanTask.status == OPEN]
    if query.overdue:
        filters.append(HumanTask.due_at < utcnow())
    if query.process_id:
        filters.append(HumanTask.process_id == query.process_id)
    if query.faculty_id:
        filters.append(HumanTask.faculty_id == query.faculty_id)
    if query.q:
        filters.append(name_or_iin(HumanTask.subject_name, HumanTask.subject_iin, query.q))
    filters += within_days(HumanTask.created_at, ctx, query.created_from, query.created_to)
    if query.due_on:
        filters += within_days(HumanTask.due_at, ctx, query.due_on, query.due_on)
    if query.sign_only:
        filters.append(signing())
    return arms, filters


def signing() -> ColumnElement[bool]:
    """The task is the signing of an order (its form is one of the signing forms)."""
    return or_(*(HumanTask.form_key.like(f"%/{name}") for name in sorted(SIGN_FORMS)))


def build_query(ctx: AppContext, actor: Actor, query: InboxQuery) -> Select[tuple[HumanTask]]:
    arms, filters = _conditions(ctx, actor, query)
    stmt = select(HumanTask).where(*filters)
    return stmt if arms is None else stmt.where(or_(*arms) if arms else false())


def count_query(ctx: AppContext, actor: Actor, query: InboxQuery) -> Select[tuple[int]]:
    """How many tasks `build_query` lists: a count per alternative of the scope, each without
    the tasks of the alternatives before it. Each count then reads one index range; a count of
    the alternatives joined by OR reads every open task."""
    arms, filters = _conditions(ctx, actor, query)
    parts = [filters] if arms is None else [
        [*filters, arm, *(earlier.is_not(true()) for earlier in arms[:i])] for i, arm in enumerate(arms)]
    counts = [select(func.count()).select_from(HumanTask).where(*part).scalar_subquery() for part in parts]
    return select(reduce(operator.add, counts) if counts else literal(0))


def list_tasks(ctx: AppContext, actor: Actor, query: InboxQuery) -> tuple[list[HumanTask], int]:
    with ctx.db.read() as session:
        return tasks_in(ctx, session, actor, query)


def tasks_in(ctx: AppContext, session: Session, actor: Actor,
             query: InboxQuery) -> tuple[list[HumanTask], int]:
    """A page of the inbox and how many tasks it has in all, read in the caller's session."""
    total = session.scalar(count_query(ctx, actor, query)) or 0
    # Due first (earliest first), tasks without a due date last; the same order as
    # (due_at IS NULL, due_at), written so that the (status, due_at) index yields it.
    rows = session.scalars(
        build_query(ctx, actor, query).order_by(HumanTask.due_at.asc().nulls_last(), HumanTask.created_at)
        .limit(max(1, min(query.limit, 500))).offset(max(0, query.offset))
    ).all()
    return list(rows), total


def counts(ctx: AppContext, actor: Actor) -> dict[str, int]:
    """Counts per inbox tab (mine, group, overdue among mine and group)."""
    with ctx.db.read() as session:
        return counts_in(ctx, session, actor)


def counts_in(ctx: AppContext, session: Session, actor: Actor) -> dict[str, int]:
    result = {}
    for tab, query in (("mine", InboxQuery(scope="mine")), ("group", InboxQuery(scope="group")),
                       ("overdue", InboxQuery(scope="any", overdue=True))):
        result[tab] = session.scalar(count_query(ctx, actor, query)) or 0
    return result
