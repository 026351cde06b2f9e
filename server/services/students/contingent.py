"""Batch contingent orders (procedure 11): a list of students from the student information
system's CSV/XLSX export becomes one `contingent_order` case and, once approved, one order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from server.auth import Actor
from server.auth.roles import CASE_STARTERS
from server.domain.grading import GradeScale, Standing, promoted
from server.domain.iin import iin_sex
from server.domain.registry import status_label
from server.models import Faculty, Student
from server.services.cases.lifecycle import StartRequest, start_case
from server.services.context import AppContext
from server.services.errors import Forbidden, Invalid, Msg, tr
from server.services.procedures.rules import load_rules
from server.services.record.access import scale as record_scale
from server.services.record.queries import standings_by_iin
from server.services.students.imports import clean_row, parse_rows
from server.services.students.spreadsheets import Limits

ORDER_KINDS = ("enrolment", "promotion", "graduation")
MAX_ROWS = 2000  # [assumed] one order; a larger list is split by faculty or programme
MAX_UNPACKED = 16 * 1024 * 1024  # an XLSX of 2,000 rows unpacks to about 2 MB


@dataclass
class ContingentList:
    order_kind: str | None
    effective_date: date | None
    filename: str
    content: bytes
    channel: str = "direct"


def read_order_list(ctx: AppContext, filename: str, content: bytes,
                    order_kind: str | None = None) -> list[dict[str, Any]]:
    """The checked rows of the list; any bad row rejects the whole file, naming row and field
    (row numbers as in the file: the header is row 1). With `order_kind`, each row is checked
    against the registry too (config/procedures.yaml, contingent_order.list_rules)."""
    limits = Limits(max_rows=MAX_ROWS, max_bytes=ctx.settings.max_upload_bytes,
                    max_unpacked=MAX_UNPACKED)
    rows = parse_rows(filename, content, limits)  # Invalid naming the file when it is refused
    if not rows:
        raise Invalid("Файл «%(name)s»: в списке нет ни одной строки с обучающимся",
                      {"file": tr("Нет строк")}, name=filename)
    with ctx.db.read() as session:
        faculties = {f.code: f.id for f in session.scalars(select(Faculty))}
    errors: dict[str, str] = {}
    cleaned: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(rows, start=2):
        values, problems = clean_row(row, faculties)
        for field, reason in problems:
            errors.setdefault(f"row {line}.{field}", tr("строка %(line)s, поле %(field)s: %(reason)s",
                                                        line=line, field=field, reason=reason))
        iin = values.get("iin")
        if iin and iin in seen:
            errors[f"row {line}.iin"] = tr("строка %(line)s, поле iin: ИИН повторяет строку %(first)s",
                                           line=line, first=seen[iin])
        elif iin:
            seen[iin] = line
        values["sex"] = iin_sex(iin) if iin and not problems else None
        cleaned.append({k: v for k, v in values.items() if v is not None})
    if not errors and order_kind:
        errors = _registry_problems(ctx, order_kind, cleaned)
    if errors:
        first = next(iter(errors.values()))
        if len(errors) > 1:
            raise Invalid("Список не принят, ничего не сохранено: %(first)s (всего ошибок: %(count)s)",
                          errors, first=first, count=len(errors))
        raise Invalid("Список не принят, ничего не сохранено: %(first)s", errors, first=first)
    # What the list leaves out is taken from the registry: the citizenship (foreign graduates are
    # deregistered when the order is signed: workflows/contingent_order.bpmn) and the form,
    # language and funding the order's table prints (an export for a promotion often lists
    # only the name, the programme and the course).
    missing = [r["iin"] for r in cleaned if any(k not in r for k in REGISTRY_FILLED)]
    if missing:
        with ctx.db.read() as session:
            known = {s.iin: s for s in session.scalars(select(Student).where(Student.iin.in_(missing)))}
        for row in cleaned:
            student = known.get(row["iin"])
            for key in REGISTRY_FILLED:
                if key not in row and student is not None and getattr(student, key):
                    row[key] = getattr(student, key)
    return cleaned


REGISTRY_FILLED = ("citizenship", "form", "language", "funding")


def _registry_problems(ctx: AppContext, order_kind: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Rows the registry says cannot be in this order, as `row <n>.iin` → the row number, ИИН
    and reason: not in the registry, a status the order does not take, or a faculty,
    programme or course other than the registry's."""
    rule = ((load_rules(ctx.settings.config_dir).get("contingent_order") or {}).get("list_rules")
            or {}).get(order_kind) or {}
    if not rule:
        return {}
    grades = record_scale(ctx) if rule.get("record") == "promoted" else None
    with ctx.db.read() as session:
        known = {s.iin: (s, code) for s, code in session.execute(
            select(Student, Faculty.code).join(Faculty, Student.faculty_id == Faculty.id)
            .where(Student.iin.in_([r["iin"] for r in rows])))}
        standings = standings_by_iin(session, list(known), grades) if grades else {}
    wanted = list(rule.get("statuses") or [])
    refused = list(rule.get("not_statuses") or [])
    errors: dict[str, Any] = {}
    for line, row in enumerate(rows, start=2):
        found = known.get(row["iin"])
        reason = None
        if found is None:
            if wanted:
                reason = tr("нет в реестре обучающихся")
        else:
            student, faculty_code = found
            registered = {"faculty_code": faculty_code, "programme_code": student.programme_code,
                          "year": student.year}
            if wanted and student.status not in wanted:
                reason = tr("по реестру — «%(status)s»: в этот приказ включаются только обучающиеся со "
                            "статусом %(wanted)s", status=status_label(student.status),
                            wanted=", ".join(f"«{status_label(s)}»" for s in wanted))
            elif student.status in refused:
                reason = tr("по реестру уже обучается («%(status)s»): повторно не зачисляется",
                            status=status_label(student.status))
            else:
                for field in rule.get("match") or []:
                    if field in row and str(row[field]) != str(registered[field]):
                        reason = tr("%(field)s в списке «%(listed)s», а в реестре «%(registered)s»",
                                    field=field, listed=row[field], registered=registered[field])
                        break
            if reason is None and grades is not None and row["iin"] in standings:
                reason = _stays(standings[row["iin"]], grades)
        if reason is not None:
            errors[f"row {line}.iin"] = tr("строка %(line)s, ИИН %(iin)s: %(reason)s", line=line,
                                           iin=row["iin"], reason=reason)
    return errors


def _stays(overall: Standing, grades: GradeScale) -> Msg | None:
    """Why the record keeps a student on the course (config/grading.yaml `promotion`), or None."""
    if promoted(overall, grades):
        return None
    if overall.debts:
        return tr("по учёту успеваемости остаётся на курсе: академическая задолженность (%(debts)s)",
                  debts=", ".join(overall.debts))
    return tr("по учёту успеваемости остаётся на курсе: GPA %(gpa)s ниже переводного балла %(min)s",
              gpa=f"{overall.gpa or 0:.2f}", min=f"{grades.promotion_min_gpa:.2f}")


def start_contingent_order(ctx: AppContext, actor: Actor, req: ContingentList) -> int:
    """Check the list and open one case for the whole order."""
    if not actor.has_any(CASE_STARTERS):
        raise Forbidden("Загружать списки для приказов может специалист офиса регистратора")
    fields = {}
    if req.order_kind not in ORDER_KINDS:
        fields["order_kind"] = tr("Допустимо: %(values)s", values=", ".join(ORDER_KINDS))
    if req.effective_date is None:
        fields["effective_date"] = tr("Обязательное поле: дата, с которой действует приказ")
    if fields:
        raise Invalid("Укажите вид приказа и дату, с которой он действует", fields)
    students = read_order_list(ctx, req.filename, req.content, req.order_kind)
    data = {"order_kind": req.order_kind, "effective_date": str(req.effective_date),
            "students": students, "source_file": req.filename}
    return start_case(ctx, actor, StartRequest("contingent_order", channel=req.channel, data=data))
