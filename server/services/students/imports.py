"""The student registry: import from the student information system's CSV/XLSX export."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from server.domain.iin import InvalidIIN, iin_sex, validate_iin
from server.domain.registry import CHOICES
from server.domain.registry import ENROL_REQUIRED as REQUIRED
from server.models import Case, Faculty, Programme, Student, StudentChange
from server.services.context import AppContext
from server.services.errors import Invalid, NotFound, iin_reason, tr
from server.services.students.names import record_programme
from server.services.students.spreadsheets import Limits, read_table

COLUMNS = ("iin", "last_name", "first_name", "middle_name", "latin_name", "faculty_code",
           "programme_code", "programme_name", "programme_name_kk", "programme_name_en", "level",
           "year", "group", "form", "language", "funding", "citizenship", "email")


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)
    # rows imported whose programme has no Kazakh name: its Kazakh documents cannot be issued
    warnings: list[str] = field(default_factory=list)


# An import from the student information system: the whole university in one file.
IMPORT_LIMITS = Limits(max_rows=100_000, max_bytes=64 * 1024 * 1024, max_unpacked=128 * 1024 * 1024)


def read_rows(path: Path) -> list[dict[str, Any]]:
    with path.open("rb") as file:  # a byte past the limit is enough to refuse it
        return parse_rows(path.name, file.read(IMPORT_LIMITS.max_bytes + 1))


def parse_rows(filename: str, content: bytes, limits: Limits = IMPORT_LIMITS) -> list[dict[str, Any]]:
    """Rows of a CSV (comma, semicolon or tab; UTF-8) or XLSX file, keyed by lower-case header,
    read within `limits` (server/services/students/spreadsheets.py); Invalid naming the file otherwise."""
    return read_table(filename, content, limits)


def clean_row(row: dict[str, Any], faculties: dict[str, int]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The row's values, and its problems as (column, reason)."""
    values = {k: (str(row.get(k)).strip() if row.get(k) not in (None, "") else None) for k in COLUMNS}
    problems = [(k, tr("обязательное поле")) for k in REQUIRED if not values.get(k)]
    if values.get("iin"):
        try:
            values["iin"] = validate_iin(values["iin"])
        except InvalidIIN as exc:
            problems.append(("iin", iin_reason(exc)))
    if values.get("faculty_code") and values["faculty_code"] not in faculties:
        problems.append(("faculty_code", tr("неизвестный факультет %(code)s", code=values["faculty_code"])))
    try:
        values["year"] = int(float(values["year"])) if values.get("year") else None
    except ValueError:
        problems.append(("year", tr("ожидается число")))
    for key, allowed in CHOICES.items():
        if values.get(key) and values[key] not in allowed:
            problems.append((key, tr("допустимо %(values)s", values=", ".join(allowed))))
    return values, problems


def import_students(ctx: AppContext, path: Path, *, dry_run: bool = False) -> ImportResult:
    """Upsert students by ИИН. Any invalid row stops the import: nothing is written."""
    rows = read_rows(path)
    result = ImportResult()
    with ctx.db.unit_of_work() as session:
        faculties = {f.code: f.id for f in session.scalars(select(Faculty))}
        cleaned = []
        for line, row in enumerate(rows, start=2):
            values, problems = clean_row(row, faculties)
            result.errors += [tr("строка %(line)s: %(field)s: %(reason)s", line=line, field=field,
                                 reason=reason) for field, reason in problems]
            cleaned.append(values)
        if result.errors:
            raise Invalid("Импорт не выполнен: исправьте ошибки в файле",
                          {str(i): e for i, e in enumerate(result.errors)})
        existing = {s.iin: s for s in session.scalars(select(Student).where(
            Student.iin.in_([v["iin"] for v in cleaned])))}
        for values in cleaned:
            student = existing.get(values["iin"])
            if student is None:
                student = Student(iin=values["iin"])
                session.add(student)
                result.created += 1
            else:
                result.updated += 1
            apply_values(student, values, faculties)
        result.warnings = record_programmes(session, cleaned)
        if dry_run:
            session.rollback()
    return result


def record_programmes(session: Session, cleaned: list[dict[str, Any]]) -> list[str]:
    """Record each programme's names (programme_name_kk, programme_name_en) in the registry;
    a row whose programme still has no Kazakh name is imported all the same (its Russian
    documents are issued) and named in a warning: a Kazakh document for it stops at an incident."""
    warnings: list[str] = []
    names = {p.code: p for p in session.scalars(select(Programme))}
    for values in cleaned:
        code = values["programme_code"]
        if code not in names or values.get("programme_name_kk") or values.get("programme_name_en"):
            names[code] = record_programme(session, code, values["programme_name"],
                                           values.get("programme_name_kk"), values.get("programme_name_en"))
    for line, values in enumerate(cleaned, start=2):
        if not names[values["programme_code"]].name_kk:
            warnings.append(tr("строка %(line)s: programme_name_kk: нет казахского названия программы "
                               "%(code)s, документы на казахском языке для неё не будут выданы",
                               line=line, code=values["programme_code"]))
    return warnings


def apply_values(student: Student, values: dict[str, Any], faculties: dict[str, int]) -> None:
    student.last_name = values["last_name"]
    student.first_name = values["first_name"]
    student.middle_name = values.get("middle_name")
    student.latin_name = values.get("latin_name")
    student.faculty_id = faculties[values["faculty_code"]]
    student.programme_code = values["programme_code"]
    student.programme_name = values["programme_name"]
    student.year = values["year"]
    student.group = values.get("group")
    student.level = values.get("level") or "bachelor"
    student.form = values.get("form") or "full_time"
    student.language = values.get("language") or "ru"
    student.funding = values.get("funding") or "grant"
    student.citizenship = values.get("citizenship") or "KAZ"
    student.email = values.get("email")
    student.sex = iin_sex(student.iin)


def search_students(ctx: AppContext, actor: Any, q: str, limit: int = 20) -> list[Student]:
    """Students by ИИН (prefix) or surname (case-insensitive prefix), for registering a case.
    A dean finds only the dean's own faculty."""
    with ctx.db.read() as session:
        return students_in(session, actor, q, limit)


def students_in(session: Session, actor: Any, q: str, limit: int = 20) -> list[Student]:
    """`search_students`, read in the caller's session."""
    q = (q or "").strip()
    if len(q) < 2:
        return []
    stmt = select(Student)
    if q.isdigit():
        stmt = stmt.where(Student.iin.startswith(q))
    else:
        prefix = q.split()[0].lower()  # `%` and `_` match themselves, not any text
        stmt = stmt.where(or_(func.lower(Student.last_name).startswith(prefix, autoescape=True),
                              func.lower(Student.latin_name).startswith(prefix, autoescape=True)))
    if not actor.sees_all_cases():
        stmt = stmt.where(Student.faculty_id == actor.faculty_id)
    return list(session.scalars(stmt.order_by(Student.last_name, Student.first_name).limit(limit)))


@dataclass
class StudentCard:
    """A student's registry record with what the signed orders changed in it, and the cases."""

    student: Student
    changes: list[Any]
    cases: list[Any]
    # the programme's name in each language (ru/kk/en), from the registry's programmes
    programme_names: dict[str, str | None] = field(default_factory=dict)


def get_student_card(ctx: AppContext, actor: Any, student_id: int, limit: int = 50) -> StudentCard:
    """The record as the staff see it; a dean only the dean's faculty's students (404 otherwise,
    as for cases: existence is not disclosed)."""
    with ctx.db.read() as session:
        student = session.get(Student, student_id)
        if student is None or not actor.sees_faculty(student.faculty_id):
            raise NotFound("Обучающийся не найден или недоступен вам",
                           {"student_id": tr("Нет такого обучающегося")})
        changes = list(session.scalars(select(StudentChange).where(StudentChange.student_id == student_id)
                                       .order_by(StudentChange.id.desc()).limit(limit)))
        cases = list(session.scalars(select(Case).where(Case.student_id == student_id)
                                     .order_by(Case.received_at.desc()).limit(limit)))
        programme = session.scalars(select(Programme).where(
            Programme.code == student.programme_code)).first() if student.programme_code else None
        names = ({"ru": programme.name_ru, "kk": programme.name_kk, "en": programme.name_en}
                 if programme else {})
        return StudentCard(student, changes, cases, names)
