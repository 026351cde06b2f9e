"""Who a step reaches. A user task goes to a role (a dean: the dean of the case's faculty);
when no active person holds that role, the case would wait where nobody sees it.

- At registration (`check_reachable`): a procedure whose model has a step for a
  faculty-scoped role (the dean) is refused for a faculty without a dean, naming the faculty.
- At a step (`raise_routing_incidents`): a new task whose role nobody holds is raised at once
  to the office head as a routing incident: a failed `routing/unassigned` job (the incidents
  page, retry re-checks) and a `routing_incident` event in the case's history.
- On the admin page (`routing_warnings`): faculties without a dean, roles without a holder,
  substitutes whose period has ended.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth import ROLES, Actor
from server.auth.roles import FACULTY_SCOPED_ROLES
from server.db import utcnow
from server.models import Case, Faculty, HumanTask, OutboxJob, Substitution, User, UserRole
from server.services.cases.audit_trail import audit
from server.services.context import AppContext
from server.services.errors import Invalid, tr

UNASSIGNED = "routing/unassigned"
# Roles a person never holds in regoffice (the applicant acts outside it).
NOT_HELD = frozenset({"applicant"})
# How long an ended substitution stays on the admin page's warnings.
ENDED_SUBSTITUTE_DAYS = 30


class RoutingUnresolved(RuntimeError):
    """A routing incident's retry found the role still without a holder: an incident again
    at once (server/services/background/jobs.py), retrying later cannot help."""

    incident_at_once = True


def holders(session: Session, role: str, faculty_id: int | None) -> int:
    """Active people holding `role`; for a faculty-scoped role, those of `faculty_id`."""
    stmt = (select(func.count(func.distinct(User.id))).join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == role, User.active.is_(True)))
    if role in FACULTY_SCOPED_ROLES:
        if faculty_id is None:
            return 0
        stmt = stmt.where(User.faculty_id == faculty_id)
    return int(session.scalar(stmt) or 0)


def model_roles(ctx: AppContext, task_meta: dict[str, Any]) -> set[str]:
    """The roles of a process's user tasks (what `cases/steps` assigns them to)."""
    roles: set[str] = set()
    for meta in task_meta.values():
        named = list(meta.get("roles") or [])
        roles.update(named[:1] or [ctx.role_for_lane(meta.get("lane")) or "registrar"])
    return roles


def faculty_label(session: Session, faculty_id: int | None) -> str:
    """The faculty as staff name it: «PED — Педагогический факультет»."""
    faculty = session.get(Faculty, faculty_id) if faculty_id is not None else None
    return f"{faculty.code} — {faculty.name_ru}" if faculty is not None else "—"


def faculty_code(session: Session, faculty_id: int | None, subject: Any = None) -> str:
    """The faculty's code (the same in every language), or what was typed."""
    faculty = session.get(Faculty, faculty_id) if faculty_id is not None else None
    if faculty is not None:
        return faculty.code
    typed = subject.get("faculty_code") if isinstance(subject, dict) else None
    return str(typed or "—")


def _faculty_field(faculty_id: int | None, subject: Any, subject_key: str | None) -> str:
    """The field a refusal names: the student chosen, or the faculty typed in the application."""
    if subject_key and isinstance(subject, dict) and (faculty_id is None or "faculty_code" in subject):
        return f"data.{subject_key}.faculty_code"
    return "student_id"


def check_reachable(ctx: AppContext, session: Session, process_id: str,
                    task_meta: dict[str, Any], faculty_id: int | None, subject: Any = None,
                    subject_key: str | None = None) -> None:
    """Refuse a registration whose faculty-scoped steps (the dean's) would reach nobody.
    Known at registration: the case's faculty and the model's steps. Global roles are
    checked when their step is reached (a holder may be appointed before then)."""
    scoped = sorted(model_roles(ctx, task_meta) & FACULTY_SCOPED_ROLES)
    missing = [role for role in scoped if holders(session, role, faculty_id) == 0]
    if not missing:
        return
    raise Invalid(
        "Дело не может быть зарегистрировано: на факультете %(faculty)s нет декана, и шаг "
        "процедуры «%(process_id)s» никому не поступит. Попросите администратора назначить декана "
        "факультета (или его заместителя) и повторите регистрацию",
        {_faculty_field(faculty_id, subject, subject_key): tr("Нет декана факультета")},
        faculty=faculty_code(session, faculty_id, subject), process_id=process_id)


def raise_routing_incidents(ctx: AppContext, session: Session, case: Case,
                            rows: Iterable[HumanTask], actor: Actor) -> None:
    """For each new task whose role nobody holds: a failed `routing/unassigned` job (an
    incident the office head sees at once, with the case and the missing role) and a
    `routing_incident` event in the case's history."""
    known: dict[tuple[str, int | None], int] = session.info.setdefault("routing_holders", {})
    for row in rows:
        if row.assignee_id is not None:  # assigned to a person by the model
            continue
        roles = [r for r in (row.candidate_roles or row.role or "").split(",") if r] or [row.role]
        for role in roles:
            if (role, row.faculty_id) not in known:  # one count per role and faculty a transaction
                known[(role, row.faculty_id)] = holders(session, role, row.faculty_id)
        if any(r in NOT_HELD or known[(r, row.faculty_id)] for r in roles):
            continue
        faculty = faculty_label(session, row.faculty_id) if row.role in FACULTY_SCOPED_ROLES else None
        error = _incident_text(row, case, faculty)
        now = utcnow()
        key = f"routing:{case.id}:{row.id}"
        if session.scalar(select(OutboxJob.id).where(OutboxJob.idempotency_key == key)) is None:
            session.add(OutboxJob(
                kind=UNASSIGNED, idempotency_key=key, case_id=case.id, status="failed", attempts=1,
                payload={"task_row_id": row.id, "role": row.role, "faculty_id": row.faculty_id,
                         "spec_name": row.spec_name},
                available_at=now, created_at=now, done_at=now, last_error=error))
        audit(session, case, actor, "routing_incident",
              {"task": row.spec_name, "name": row.name, "role": row.role,
               "faculty": faculty, "message": error}, task_id=row.id)


def _incident_text(row: HumanTask, case: Case, faculty: str | None) -> str:
    role_ru, role_kk = ROLES.get(row.role, (row.role, row.role))
    if faculty:
        return (f"Дело № {case.id}: шаг «{row.name}» не поступил никому — на факультете «{faculty}» "
                f"нет пользователя с ролью «{role_ru}». Назначьте его и повторите задание. / "
                f"№ {case.id} іс: «{row.name}» қадамы ешкімге түскен жоқ — «{faculty}» факультетінде "
                f"«{role_kk}» рөлі бар пайдаланушы жоқ. Оны тағайындап, тапсырманы қайталаңыз. / "
                f"Case {case.id}: step «{row.name}» reached nobody — faculty «{faculty}» has no user "
                f"with the role «{row.role}». Appoint one and retry the job.")
    return (f"Дело № {case.id}: шаг «{row.name}» не поступил никому — нет активного пользователя с "
            f"ролью «{role_ru}». Назначьте его и повторите задание. / "
            f"№ {case.id} іс: «{row.name}» қадамы ешкімге түскен жоқ — «{role_kk}» рөлі бар белсенді "
            f"пайдаланушы жоқ. Оны тағайындап, тапсырманы қайталаңыз. / "
            f"Case {case.id}: step «{row.name}» reached nobody — no active user has the role "
            f"«{row.role}». Appoint one and retry the job.")


def run_unassigned(ctx: AppContext, session: Session, job: OutboxJob) -> None:
    """A retried routing incident: done once the role has a holder (or the task is closed)."""
    task = session.get(HumanTask, str(job.payload.get("task_row_id")))
    if task is None or task.status != "open":
        return
    if holders(session, str(job.payload.get("role")), task.faculty_id) == 0:
        raise RoutingUnresolved(job.last_error or "routing: nobody holds the role")


@dataclass
class RoutingWarnings:
    faculties_without_dean: list[Faculty] = field(default_factory=list)
    roles_without_holder: list[str] = field(default_factory=list)
    ended_substitutes: list[tuple[Substitution, str, str]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.faculties_without_dean or self.roles_without_holder
                    or self.ended_substitutes)


def routing_warnings(ctx: AppContext, today: date | None = None) -> RoutingWarnings:
    """What the admin page warns about: routing that would find nobody."""
    today = today or ctx.now().astimezone(ctx.tz).date()
    with ctx.db.read() as session:
        return routing_warnings_in(session, today)


def routing_warnings_in(session: Session, today: date) -> RoutingWarnings:
    warnings = RoutingWarnings()
    for faculty in session.scalars(select(Faculty).order_by(Faculty.code)):
        if holders(session, "dean", faculty.id) == 0:
            warnings.faculties_without_dean.append(faculty)
    held = set(session.scalars(select(UserRole.role).join(User, User.id == UserRole.user_id)
                               .where(User.active.is_(True))).all())
    warnings.roles_without_holder = [r for r in ROLES if r not in held and r not in NOT_HELD
                                     and r not in FACULTY_SCOPED_ROLES]
    names = dict(session.execute(select(User.id, User.username)).tuples().all())
    for sub in session.scalars(select(Substitution).where(
            Substitution.ends_on < today,
            Substitution.ends_on >= today - timedelta(days=ENDED_SUBSTITUTE_DAYS))
            .order_by(Substitution.ends_on)):
        warnings.ended_substitutes.append((sub, names.get(sub.user_id, "?"),
                                           names.get(sub.substitute_id, "?")))
    return warnings
