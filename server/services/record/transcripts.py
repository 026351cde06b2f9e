"""The transcript on request (`transcript`): the record as of the day it is issued.

A transcript is never typed: the procedure's service step (`record/transcript`) takes a
snapshot of the student's record (`record_of`: each discipline's counting result by term, term
and cumulative GPA, credits, academic debt) into the case's data, and the `document/render`
step that follows prints exactly that snapshot. A later change of the record (an appeal, a
retake) does not change an issued transcript; a new request prints the record anew.

A student with no results in the record is refused where the application enters
(`check_transcript`, one of `procedures.ENTRY_CHECKS`): there is nothing to print.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.domain.grading import GradeScale, Standing
from server.models import Result, Student
from server.services.context import AppContext
from server.services.errors import Invalid, tr
from server.services.record.queries import ResultLine, record_of

TRANSCRIPT = "transcript"
# The languages a transcript is issued in (templates/transcript_<lang>.docx).
TRANSCRIPT_LANGUAGES = ("ru", "kk", "en")


def _standing(standing: Standing) -> dict[str, Any]:
    return {"gpa": standing.gpa, "credits_graded": standing.credits_graded,
            "credits_earned": standing.credits_earned}


def _line(line: ResultLine) -> dict[str, Any]:
    return {"code": line.discipline_code, "name_ru": line.name_ru, "name_kk": line.name_kk,
            "name_en": line.name_en, "credits": line.credits, "academic_year": line.academic_year,
            "attempt": line.attempt, "points": line.points, "letter": line.letter,
            "grade_points": line.grade_points, "debt": line.debt}


def transcript_data(session: Session, student: Student, grades: GradeScale) -> dict[str, Any]:
    """The student's record as plain data (JSON-safe), what the transcript prints: the terms
    with their lines and standings, the cumulative standing, the disciplines in academic debt
    and the grade scale's bands."""
    record = record_of(session, student, grades)
    terms = [{"term": t.term,
              "academic_year": t.lines[0].academic_year if t.lines else "",
              "lines": [_line(x) for x in t.lines],
              **_standing(t.standing),
              "cumulative_gpa": t.cumulative.gpa}
             for t in record.terms]
    return {
        "student_id": student.id,
        "latin_name": student.latin_name or "",
        "terms": terms,
        **_standing(record.overall),
        "debts": [{"term": x.term, **_line(x)} for x in record.debts],
        "scale": [{"letter": b.letter, "min": b.min, "max": b.max, "points": b.points}
                  for b in grades.bands],
    }


def results_count(session: Session, student_id: int) -> int:
    return int(session.scalar(select(func.count(Result.id)).where(Result.student_id == student_id)) or 0)


def check_transcript(ctx: AppContext, session: Session, student: Student, data: dict[str, Any],
                     received: datetime) -> dict[str, Any]:
    """A transcript needs results: a student the record has none of is refused naming
    `student_id` (the registrar enters the grade sheets or imports the transcript first)."""
    if not results_count(session, student.id):
        raise Invalid("Заявление на транскрипт не зарегистрировано: в учёте учебных достижений нет "
                      "результатов обучающегося",
                      {"student_id": tr("в учёте учебных достижений нет ни одного результата "
                                        "обучающегося: сначала внесите ведомости или импортируйте "
                                        "результаты")})
    return {}
