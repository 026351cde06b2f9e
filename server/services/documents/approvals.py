"""Who approved a case: the people an order lists under «Согласовано / Келісілді».

They are the users who completed the case's approval tasks in the workflow (a dean, the
vice-rector, accounting, the head of the office, the lawyer …), read from the task table at
the time the order is rendered, so a re-rendered order lists whoever approved it by then."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from server.models import Faculty, HumanTask, User

# Roles whose completed tasks are approvals of the order. The registrar prepares the case and
# the rector signs the order (after it is rendered): neither is an approval.
APPROVER_ROLES = ("dean", "international", "accountant", "lawyer", "registrar_head", "vice_rector")


def approvers(session: Session, case_id: int) -> list[dict[str, Any]]:
    """One entry per (role, person) in the order the approvals were given: the role, the
    person's full name and the faculty of the task (the dean's faculty) in Russian and Kazakh."""
    task_faculty = aliased(Faculty)
    user_faculty = aliased(Faculty)
    rows = session.execute(
        select(HumanTask.role, User.full_name, task_faculty.name_ru, task_faculty.name_kk,
               user_faculty.name_ru, user_faculty.name_kk)
        .join(User, User.id == HumanTask.completed_by)
        .outerjoin(task_faculty, task_faculty.id == HumanTask.faculty_id)
        .outerjoin(user_faculty, user_faculty.id == User.faculty_id)
        .where(HumanTask.case_id == case_id, HumanTask.status == "completed",
               HumanTask.role.in_(APPROVER_ROLES))
        .order_by(HumanTask.completed_at, HumanTask.id)).all()
    seen: set[tuple[str, str]] = set()
    result = []
    for role, name, task_ru, task_kk, user_ru, user_kk in rows:
        if (role, name) in seen:
            continue
        seen.add((role, name))
        result.append({"role": role, "full_name": name, "faculty_ru": task_ru or user_ru or "",
                       "faculty_kk": task_kk or user_kk or ""})
    return result
