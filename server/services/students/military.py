"""Military registration (procedure 14): the list of conscription-age male students per
faculty that the office sends to the military offices."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from server.auth import Actor
from server.domain.iin import InvalidIIN, iin_birth_date, iin_sex
from server.models import Faculty, Student
from server.services.context import AppContext
from server.services.errors import Forbidden, Invalid, NotFound, tr

# [assumed] call-up age of the Law on military service: men from 18 to 27 years inclusive
CONSCRIPTION_AGE = (18, 27)
READERS = frozenset({"registrar", "registrar_head", "dean", "vice_rector", "rector", "admin"})


@dataclass
class Conscript:
    student_id: int
    iin: str
    full_name: str
    birth_date: date
    age: int
    year: int
    group: str | None
    programme_code: str


@dataclass
class FacultyList:
    faculty_code: str
    faculty_name: str
    students: list[Conscript] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _male(student: Student) -> bool:
    if student.sex:
        return student.sex == "M"
    try:
        return iin_sex(student.iin) == "M"
    except InvalidIIN:
        return False


def conscription_lists(ctx: AppContext, actor: Actor, on: date,
                       faculty_code: str | None = None) -> list[FacultyList]:
    """Active male students aged CONSCRIPTION_AGE on `on`, by faculty and name. A dean gets
    only the dean's own faculty."""
    if not actor.has_any(READERS):
        raise Forbidden("Списки призывного возраста доступны офису регистратора, деканам и руководству")
    low, high = CONSCRIPTION_AGE
    with ctx.db.read() as session:
        stmt = (select(Student).join(Faculty, Faculty.id == Student.faculty_id)
                .where(Student.status == "active").order_by(Faculty.code, Student.last_name,
                                                             Student.first_name))
        if faculty_code:
            if session.scalar(select(Faculty.id).where(Faculty.code == faculty_code)) is None:
                raise NotFound("Факультет не найден", {"faculty": tr("Нет факультета с таким кодом")})
            stmt = stmt.where(Faculty.code == faculty_code)
        if not actor.sees_all_cases():
            stmt = stmt.where(Student.faculty_id == actor.faculty_id)
        lists: dict[str, FacultyList] = {}
        for student in session.scalars(stmt):
            try:
                born = iin_birth_date(student.iin)
            except InvalidIIN:
                continue
            age = _age(born, on)
            if not (_male(student) and low <= age <= high):
                continue
            faculty = lists.setdefault(student.faculty.code,
                                       FacultyList(student.faculty.code, student.faculty.name_ru))
            faculty.students.append(Conscript(student.id, student.iin, student.full_name, born, age,
                                              student.year, student.group, student.programme_code))
    return list(lists.values())


def check_citizenship(ctx: AppContext, process_id: str, student: Student) -> None:
    """A case opens only for a student whose citizenship the service allows (catalog,
    `student_citizenship`): foreign citizens are not in the military register."""
    try:
        allowed = ctx.catalog.service(process_id).student_citizenship
    except (KeyError, FileNotFoundError, ImportError):
        return
    citizenship = (student.citizenship or "KAZ").upper()
    if not allowed or citizenship in allowed:
        return
    raise Invalid("Заявление не зарегистрировано: по реестру %(name)s — гражданин(ка) %(citizenship)s, "
                  "а иностранные граждане не состоят на воинском учёте в Республике Казахстан",
                  {"student_id": tr("Гражданство по реестру: %(citizenship)s", citizenship=citizenship)},
                  name=student.full_name, citizenship=citizenship)
