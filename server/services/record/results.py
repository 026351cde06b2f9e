"""Writing the record: a result appended (entered, from a grade sheet or an import), and a
correction — a new row of the same attempt with the reason and the approving case. Nothing is
ever updated or deleted in `results`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth import Actor
from server.domain.grading import GradeScale
from server.models import AuditEvent, Case, CurriculumItem, Discipline, Result, Student
from server.services.context import AppContext
from server.services.errors import Conflict, Invalid, Msg, NotFound, tr
from server.services.record.access import admission_year, require_keeper, scale, visible_student

ACADEMIC_YEAR_LEN = 9


@dataclass(frozen=True)
class NewResult:
    student_id: int
    discipline_code: str
    academic_year: str  # 2025-2026
    term: int  # the curriculum's semester
    points: int
    letter: str | None = None  # checked against the points when given
    attempt: int = 1


def points_problems(points: Any, letter: Any, grades: GradeScale
                    ) -> tuple[int | None, str | None, dict[str, Msg]]:
    """The points as an integer 0-100 and the letter they give; the problems by field."""
    problems: dict[str, Msg] = {}
    try:
        value = int(str(points).strip()) if points not in (None, "") else None
    except ValueError:
        value = None
    if value is None or not 0 <= value <= 100:
        problems["points"] = tr("баллы — целое число от 0 до 100")
        return None, None, problems
    expected = grades.letter_of(value)
    given = str(letter).strip().upper() if letter not in (None, "") else None
    if given is not None and given != expected:
        problems["letter"] = tr("буква %(letter)s не соответствует %(points)s баллам: по шкале — "
                                "%(expected)s", letter=given, points=value, expected=expected)
    return value, expected, problems


def academic_year_problem(value: Any) -> Msg | None:
    text = str(value or "").strip()
    parts = text.split("-")
    if (len(text) != ACADEMIC_YEAR_LEN or len(parts) != 2 or not all(p.isdigit() for p in parts)
            or int(parts[1]) != int(parts[0]) + 1):
        return tr("учебный год в виде 2025-2026")
    return None


def curriculum_terms(session: Session, programme_code: str, year: int, discipline_id: int) -> set[int]:
    """The semesters the programme's curriculum of that admission year has the discipline in."""
    return set(session.scalars(select(CurriculumItem.semester).where(
        CurriculumItem.programme_code == programme_code, CurriculumItem.admission_year == year,
        CurriculumItem.discipline_id == discipline_id)))


def term_problem(session: Session, student: Student, discipline: Discipline, term: int,
                 year: int) -> Msg | None:
    terms = curriculum_terms(session, student.programme_code, year, discipline.id)
    if term in terms:
        return None
    if not terms:
        return tr("дисциплины %(code)s нет в учебном плане %(programme)s набора %(year)s",
                  code=discipline.code, programme=student.programme_code, year=year)
    return tr("в учебном плане дисциплина %(code)s — в семестре %(terms)s, не в %(term)s",
              code=discipline.code, terms=", ".join(str(t) for t in sorted(terms)), term=term)


def append_result(ctx: AppContext, actor: Actor, new: NewResult) -> int:
    """Record one result entered by hand; its id. Refused (nothing stored) naming each field."""
    require_keeper(actor)
    grades = scale(ctx)
    with ctx.db.unit_of_work() as session:
        student = visible_student(session, actor, new.student_id)
        points, letter, problems = points_problems(new.points, new.letter, grades)
        if (reason := academic_year_problem(new.academic_year)) is not None:
            problems["academic_year"] = reason
        if new.attempt < 1:
            problems["attempt"] = tr("номер попытки — 1 или больше")
        discipline = session.scalar(select(Discipline).where(Discipline.code == new.discipline_code))
        if discipline is None:
            problems["discipline_code"] = tr("неизвестная дисциплина %(code)s", code=new.discipline_code)
        elif (reason := term_problem(session, student, discipline, new.term,
                                     admission_year(student, ctx.local_today()))) is not None:
            problems["term"] = reason
        if problems:
            raise Invalid("Результат не записан: исправьте отмеченные поля", problems)
        assert discipline is not None and points is not None and letter is not None
        if session.scalar(select(Result.id).where(
                Result.student_id == student.id, Result.discipline_id == discipline.id,
                Result.attempt == new.attempt)) is not None:
            raise Conflict("Попытка %(attempt)s по дисциплине %(code)s уже записана: исправление — "
                           "через дело о корректировке", {"attempt": tr("попытка уже записана")},
                           attempt=new.attempt, code=discipline.code)
        row = Result(student_id=student.id, discipline_id=discipline.id, academic_year=new.academic_year,
                     term=new.term, attempt=new.attempt, points=points, letter=letter,
                     grade_points=grades.grade_points(letter), recorded_by=actor.user_id)
        session.add(row)
        session.flush()
        return row.id


def correct_result(ctx: AppContext, actor: Actor, result_id: int, points: int, reason: str,
                   case_id: int | None, letter: str | None = None) -> int:
    """A correction of a recorded result: a new row of the same attempt naming the corrected row,
    the reason and the approving case (required). The corrected row stays as it was."""
    require_keeper(actor)
    grades = scale(ctx)
    with ctx.db.unit_of_work() as session:
        original = session.get(Result, result_id)
        if original is None:
            raise NotFound("Результат не найден", {"result_id": tr("нет такого результата")})
        visible_student(session, actor, original.student_id)
        return correct_in_session(session, grades, original, points, reason, case_id, actor.user_id,
                                  letter).id


def correct_in_session(session: Session, grades: GradeScale, original: Result, points: Any, reason: str,
                       case_id: int | None, recorded_by: int | None, letter: str | None = None) -> Result:
    """`correct_result` inside the caller's transaction (a case's service step: the appeal
    commission's decision), with no check of who acts: the caller has checked it."""
    value, new_letter, problems = points_problems(points, letter, grades)
    if not (reason or "").strip():
        problems["reason"] = tr("Обязательное поле")
    case = session.get(Case, case_id) if case_id is not None else None
    if case is None:
        problems["case_id"] = tr("укажите дело, которым одобрена корректировка")
    elif case.student_id is not None and case.student_id != original.student_id:
        problems["case_id"] = tr("дело № %(case)s — другого обучающегося", case=case.id)
    if problems:
        raise Invalid("Корректировка не записана: исправьте отмеченные поля", problems)
    assert value is not None and new_letter is not None
    row = Result(student_id=original.student_id, discipline_id=original.discipline_id,
                 academic_year=original.academic_year, term=original.term, attempt=original.attempt,
                 points=value, letter=new_letter, grade_points=grades.grade_points(new_letter),
                 recorded_by=recorded_by, sheet_id=original.sheet_id, import_id=original.import_id,
                 corrects_id=original.id, reason=reason.strip()[:2000], case_id=case_id)
    session.add(row)
    session.flush()
    discipline = session.get(Discipline, original.discipline_id)
    code = discipline.code if discipline else str(original.discipline_id)
    # the approving case's history shows what changed (its page lists the case's events)
    session.add(AuditEvent(case_id=case_id, actor_id=recorded_by, kind="result_corrected", payload={
        "name": f"{code}: {original.points} ({original.letter}) → {value} ({new_letter})",
        "reason": row.reason, "result_id": row.id, "corrects_id": original.id,
        "student_id": original.student_id, "discipline_code": code, "attempt": original.attempt,
        "old_points": original.points, "old_letter": original.letter,
        "new_points": value, "new_letter": new_letter}))
    session.flush()  # in the case's history before the events the rest of a step appends directly
    return row


def append_attempt(session: Session, grades: GradeScale, student_id: int, discipline_id: int,
                   academic_year: str, term: int, points: Any, *, recorded_by: int | None,
                   case_id: int | None = None, sheet_id: int | None = None) -> Result:
    """A new attempt of a discipline (a retake), the attempt after the latest recorded one,
    inside the caller's transaction; the case and the grade sheet it came by are named."""
    value, letter, problems = points_problems(points, None, grades)
    if (reason := academic_year_problem(academic_year)) is not None:
        problems["academic_year"] = reason
    if problems:
        raise Invalid("Результат не записан: исправьте отмеченные поля", problems)
    assert value is not None and letter is not None
    last = session.scalar(select(func.max(Result.attempt)).where(
        Result.student_id == student_id, Result.discipline_id == discipline_id)) or 0
    row = Result(student_id=student_id, discipline_id=discipline_id, academic_year=academic_year,
                 term=term, attempt=last + 1, points=value, letter=letter,
                 grade_points=grades.grade_points(letter), recorded_by=recorded_by, sheet_id=sheet_id,
                 case_id=case_id)
    session.add(row)
    session.flush()
    return row


def history(ctx: AppContext, actor: Actor, student_id: int, discipline_code: str) -> list[Result]:
    """Every row of a student's discipline, oldest first: attempts and corrections."""
    with ctx.db.read() as session:
        visible_student(session, actor, student_id)
        return list(session.scalars(select(Result).join(Discipline, Discipline.id == Result.discipline_id)
                                    .where(Result.student_id == student_id,
                                           Discipline.code == discipline_code)
                                    .order_by(Result.id)))
