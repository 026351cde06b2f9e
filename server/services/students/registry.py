"""The student registry follows the signed orders: the `student/update` and `student/enrol`
service operators, run inside the step's transaction (server/services/cases/steps.py `_handle_call`).

What an order changes is written in its model (the operator's parameters: status, changes,
the students of a batch order); this module applies it, records each change with its values
before and after (table `student_changes`, audit event `student_updated`) and applies a step
once: the row keyed by case, BPMN element and ИИН is the guard, so a step that runs again, or
a batch order released twice, changes nothing more. A student a batch order lists but the
registry does not know is noted in the audit trail (`student_not_found`); the order stands."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.auth import Actor
from server.db import utcnow
from server.domain.iin import iin_sex
from server.domain.registry import (
    UPDATE,
    EnrolSpec,
    RegistryParamError,
    UpdateSpec,
    missing_for_new,
    parse_enrol,
    parse_update,
    status_label,
)
from server.engine import ServiceCall
from server.hot_path import append_audit
from server.models import Case, Faculty, Student, StudentChange
from server.services.context import AppContext
from server.services.errors import Invalid, tr


class _Step:
    """One registry step being applied: the case, the service call and who triggered it."""

    def __init__(self, ctx: AppContext, session: Session, case: Case, call: ServiceCall,
                 actor: Actor, order_number: str | None) -> None:
        self.ctx, self.session, self.case, self.call, self.actor = ctx, session, case, call, actor
        self.order_number = order_number
        self.events: list[dict[str, Any]] = []
        self._faculties: dict[str, int] | None = None

    def _faculty_ids(self) -> dict[str, int]:
        if self._faculties is None:
            self._faculties = dict(self.session.execute(select(Faculty.code, Faculty.id)).all())
        return self._faculties

    def faculty_id(self, code: str) -> int:
        if code not in self._faculty_ids():
            raise self.invalid(f"факультета с кодом «{code}» нет в справочнике")
        return self._faculty_ids()[code]

    def faculty_code(self, faculty_id: int | None) -> str | None:
        return next((code for code, fid in self._faculty_ids().items() if fid == faculty_id), None)

    def invalid(self, reason: str) -> Invalid:
        element = self.call.spec_name
        return Invalid("Реестр обучающихся не изменён (шаг «%(element)s» модели %(process)s): %(reason)s. "
                       "Исправьте модель или данные дела и повторите.",
                       {f"{self.case.process_id}#{element}": reason},
                       element=element, process=self.case.process_id, reason=reason)

    def applied(self) -> set[str]:
        """ИИН of the students this step of this case has changed already."""
        return set(self.session.scalars(select(StudentChange.iin).where(
            StudentChange.case_id == self.case.id, StudentChange.element == self.call.spec_name)))

    def load(self, iins: list[str]) -> dict[str, Student]:
        if not iins:
            return {}
        stmt = select(Student).where(Student.iin.in_(iins))
        if self.ctx.db.is_postgres:  # two orders on one student: the second waits, then reads the first's
            stmt = stmt.with_for_update(of=Student).execution_options(populate_existing=True)
        return {s.iin: s for s in self.session.scalars(stmt)}

    def event(self, kind: str, payload: dict[str, Any]) -> None:
        self.events.append({"case_id": self.case.id, "task_id": self.call.task_id,
                            "actor_id": self.actor.user_id, "kind": kind, "at": utcnow(),
                            "payload": {"element": self.call.spec_name, "order_number": self.order_number,
                                        **payload}})

    def record(self, student: Student, action: str, changes: dict[str, Any]) -> None:
        self.session.add(StudentChange(case_id=self.case.id, element=self.call.spec_name,
                                       task_id=self.call.task_id, student_id=student.id, iin=student.iin,
                                       action=action, changes=changes, order_number=self.order_number))
        self.event("student_updated", {"student_id": student.id, "iin": student.iin, "action": action,
                                       "changes": changes})

    def flush_events(self) -> None:
        if self.events:
            append_audit(self.session, self.events)

    def apply(self, student: Student, values: dict[str, Any]) -> dict[str, Any]:
        """Set the values on the record; {field: {before, after}} of those that differ."""
        changes: dict[str, Any] = {}
        for name, new in values.items():
            if name == "faculty_code":
                before = self.faculty_code(student.faculty_id)
                if before != new:
                    student.faculty_id = self.faculty_id(str(new))
                    changes[name] = {"before": before, "after": new}
                continue
            before = getattr(student, name)
            if before != new:
                setattr(student, name, new)
                changes[name] = {"before": before, "after": new}
        return changes


def apply_registry_call(ctx: AppContext, session: Session, case: Case, call: ServiceCall,
                        actor: Actor) -> None:
    """Run a registry operator reached by the engine in this step (server/services/cases/steps.py)."""
    try:
        spec: UpdateSpec | EnrolSpec = parse_update(call.params) if call.operator == UPDATE \
            else parse_enrol(call.params)
    except RegistryParamError as exc:
        raise _Step(ctx, session, case, call, actor, None).invalid(str(exc)) from None
    step = _Step(ctx, session, case, call, actor, spec.order_number)
    if isinstance(spec, UpdateSpec):
        _update(step, spec)
    else:
        _enrol(step, spec)
    step.flush_events()


def _update(step: _Step, spec: UpdateSpec) -> None:
    if spec.rows is None:  # the case's own student
        iin = step.session.scalar(select(Student.iin).where(Student.id == step.case.student_id)) \
            if step.case.student_id else None
        if iin is None:
            step.event("student_not_found", {"iin": step.case.subject_iin, "reason": "case_without_student"})
            return
        rows: dict[str, dict[str, Any]] = {iin: {}}
    else:
        rows = spec.rows
    done = step.applied()
    found = step.load([iin for iin in rows if iin not in done])
    for iin, row in rows.items():
        if iin in done:
            continue
        student = found.get(iin)
        if student is None:
            step.event("student_not_found", {"iin": iin, "reason": "not_in_registry"})
            continue
        values = {**spec.changes, **row}
        if spec.status is not None:
            values["status"] = spec.status
        step.record(student, "updated", step.apply(student, values))


def _enrol(step: _Step, spec: EnrolSpec) -> None:
    """Create the record of a person the registry does not know, or re-enrol the one it does
    (a former student): the study record as the order states it, and the status."""
    done = step.applied()
    found = step.load([p["iin"] for p in spec.persons if p["iin"] not in done])
    for person in spec.persons:
        if person["iin"] in done:
            continue
        iin = person["iin"]
        values = {**person, "status": spec.status}
        values.pop("iin")
        student = found.get(iin) or _create(step, person, values)
        if student is None:  # enrolled by another order at this very moment: re-enrol that record
            student = found[iin] = step.load([iin])[iin]
        if iin in found:
            step.record(student, "updated", step.apply(student, values))
        if spec.single and step.case.student_id is None:
            # the case of an applicant now belongs to the enrolled student (student page, search)
            step.case.student_id = student.id


def _create(step: _Step, person: dict[str, Any], values: dict[str, Any]) -> Student | None:
    """A new record for the person; None when another transaction created one with this ИИН
    since `load` looked (the unique ИИН refused the INSERT; only that INSERT is undone)."""
    missing = missing_for_new(person)
    if missing:
        raise step.invalid(f"для зачисления {person['iin']} не хватает полей: {', '.join(missing)}")
    student = Student(iin=person["iin"], sex=iin_sex(person["iin"]),
                      faculty_id=step.faculty_id(str(person["faculty_code"])))
    step.apply(student, {k: v for k, v in values.items() if k != "faculty_code"})
    try:
        with step.session.begin_nested():
            step.session.add(student)
    except IntegrityError:
        return None
    created = {k: {"before": None, "after": v} for k, v in values.items() if v is not None}
    step.record(student, "created", created)
    return student


def check_student_status(ctx: AppContext, process_id: str, student: Student) -> None:
    """A case opens only for a student whose registry status the service allows (catalog,
    `student_statuses`): a certificate from the place of study is not issued to someone the
    signed orders have expelled, graduated, transferred out or sent on academic leave."""
    try:
        service = ctx.catalog.service(process_id)
    except (KeyError, FileNotFoundError, ImportError):
        return
    allowed = service.student_statuses
    if not allowed or student.status in allowed:
        return
    wanted = ", ".join(f"«{status_label(s)}»" for s in allowed)
    current = status_label(student.status)
    if student.status == "active":  # a certificate for those who left, asked for a student
        raise Invalid("Заявление не зарегистрировано: по реестру %(name)s обучается («%(current)s»), а "
                      "«%(service)s» оформляется только со статусом %(wanted)s. Обучающемуся выдаётся "
                      "справка с места учёбы; если обучающийся отчислен или переведён, сначала "
                      "проверьте подписанный приказ.",
                      {"student_id": tr("Статус в реестре: %(current)s", current=current)},
                      service=service.name_ru, wanted=wanted, name=student.full_name, current=current)
    raise Invalid("Заявление не зарегистрировано: «%(service)s» оформляется обучающимся со статусом "
                  "%(wanted)s, а по реестру %(name)s — «%(current)s» (по подписанному приказу). "
                  "Выберите услугу по статусу (например, справку лицам, не завершившим обучение) "
                  "или проверьте приказы по обучающемуся.",
                  {"student_id": tr("Статус в реестре: %(current)s", current=current)},
                  service=service.name_ru, wanted=wanted, name=student.full_name, current=current)


# What the registry says about a listed applicant: the registry, not the typed list, decides
# who may compete (a vacant grant: citizenship, funding basis, level).
REGISTRY_FACTS = ("citizenship", "funding", "level")


def with_registry_facts(session: Session, rows: list[Any],
                        facts: tuple[str, ...] = REGISTRY_FACTS) -> list[Any]:
    """The list's rows with the registry's `facts` (citizenship, funding, level) laid over what
    was typed, matched by ИИН; a row of a person the registry does not know keeps what was typed
    and gets `in_registry: False`."""
    iins = [str(r.get("iin")) for r in rows if isinstance(r, dict) and r.get("iin")]
    if not iins:
        return rows
    found = {s.iin: s for s in session.scalars(select(Student).where(Student.iin.in_(iins)))}
    result = []
    for row in rows:
        student = found.get(str(row.get("iin"))) if isinstance(row, dict) else None
        if student is None:
            result.append({**row, "in_registry": False} if isinstance(row, dict) else row)
            continue
        result.append({**row, **{k: getattr(student, k) for k in facts}, "in_registry": True})
    return result
