"""Who reads and who writes the record, and the scale it is graded on."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from server.auth import Actor
from server.domain.grading import GradeScale, load_scale
from server.models import Student
from server.services.context import AppContext
from server.services.errors import Forbidden, NotFound, tr

# The registrar office keeps the record (its regulation's first duty); administrators too.
RECORD_KEEPERS = frozenset({"registrar", "registrar_head", "admin"})
# Locking a grade sheet is the registrar's act.
SHEET_LOCKERS = frozenset({"registrar", "registrar_head"})
# Grade sheets are read by the office and by deans (a dean: the sheets of the dean's faculty).
SHEET_READERS = RECORD_KEEPERS | {"dean"}


def scale(ctx: AppContext) -> GradeScale:
    return load_scale(ctx.settings.config_dir)


def require_keeper(actor: Actor) -> None:
    if not actor.has_any(RECORD_KEEPERS):
        raise Forbidden("Вносить результаты в учёт учебных достижений может офис регистратора")


def require_sheet_reader(actor: Actor) -> None:
    if not actor.has_any(SHEET_READERS):
        raise Forbidden("Экзаменационные ведомости видят офис регистратора и деканы")


def visible_student(session: Session, actor: Actor, student_id: int) -> Student:
    """The student, if the actor sees the student's faculty (404 otherwise: existence is not
    disclosed, as for the student's page)."""
    student = session.get(Student, student_id)
    if student is None or not actor.sees_faculty(student.faculty_id):
        raise NotFound("Обучающийся не найден или недоступен вам",
                       {"student_id": tr("Нет такого обучающегося")})
    return student


def academic_year_start(today: date) -> int:
    """The first calendar year of the academic year `today` is in (it starts on 1 September)."""
    return today.year if today.month >= 9 else today.year - 1


def admission_year(student: Student, today: date) -> int:
    """The student's year of admission, from the course the student is in now: the curriculum
    the student studies by. [assumed] a student who took leave or repeated a course is
    imported with the admission year stated (the import's admission_year column)."""
    return academic_year_start(today) - (max(student.year, 1) - 1)
