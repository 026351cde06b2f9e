"""Reading the record: a student's results by term with GPA, credits and debt; the whole
university's (or a faculty's) standings as one SQL aggregate; the course promotion list.

GPA is computed on read, never stored: a student's record is one indexed read of ~60 rows
folded by server/domain/grading.py; the university's standings are one statement (a window
picks each discipline's counting row — the latest attempt, of it the latest correction — and
a GROUP BY weighs grade points by credits), so nothing needs recomputing after a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session, aliased

from server.auth import Actor
from server.domain.grading import (
    Graded,
    GradeScale,
    Standing,
    effective,
    promoted,
    round_gpa,
    standing,
    term_standings,
)
from server.models import Discipline, Faculty, Result, Student
from server.services.context import AppContext
from server.services.errors import NotFound, tr
from server.services.record.access import scale, visible_student


@dataclass(frozen=True)
class ResultLine:
    id: int
    discipline_code: str
    name_ru: str
    name_kk: str
    name_en: str
    credits: int
    control_form: str
    academic_year: str
    term: int
    attempt: int
    points: int
    letter: str
    grade_points: float
    debt: bool
    corrected: bool  # this row corrects an earlier one
    sheet_id: int | None
    import_id: int | None


@dataclass(frozen=True)
class TermRecord:
    term: int
    lines: list[ResultLine]
    standing: Standing  # the term's
    cumulative: Standing  # up to and with this term


@dataclass(frozen=True)
class StudentRecord:
    student: Student
    terms: list[TermRecord]
    overall: Standing
    debts: list[ResultLine]
    promoted: bool
    promotion_min_gpa: float


def student_record(ctx: AppContext, actor: Actor, student_id: int) -> StudentRecord:
    with ctx.db.read() as session:
        student = visible_student(session, actor, student_id)
        return record_of(session, student, scale(ctx))


def record_of(session: Session, student: Student, grades: GradeScale) -> StudentRecord:
    """The student's record, read in the caller's session."""
    rows = session.execute(
        select(Result, Discipline).join(Discipline, Discipline.id == Result.discipline_id)
        .where(Result.student_id == student.id)).all()
    graded = [Graded(d.code, r.term, r.attempt, r.id, d.credits, r.letter, r.grade_points) for r, d in rows]
    counting = {g.order for g in effective(graded).values()}
    lines = sorted((_line(r, d, grades) for r, d in rows if r.id in counting),
                   key=lambda x: (x.term, x.discipline_code))
    by_term = term_standings(graded, grades)
    terms = [TermRecord(t, [x for x in lines if x.term == t], *by_term[t]) for t in by_term]
    overall = standing(effective(graded).values(), grades)
    debts = [x for x in lines if x.debt]
    return StudentRecord(student, terms, overall, debts, promoted(overall, grades), grades.promotion_min_gpa)


def _line(r: Result, d: Discipline, grades: GradeScale) -> ResultLine:
    return ResultLine(r.id, d.code, d.name_ru, d.name_kk, d.name_en, d.credits, d.control_form,
                      r.academic_year, r.term, r.attempt, r.points, r.letter, r.grade_points,
                      grades.is_debt(r.letter), r.corrects_id is not None, r.sheet_id, r.import_id)


# --- the whole university in one statement --------------------------------------------------------
@dataclass(frozen=True)
class StudentStanding:
    student_id: int
    gpa: float | None
    credits_graded: int
    credits_earned: int
    debts: int


def standings_query(grades: GradeScale, faculty_id: int | None = None,
                    dialect: str = "postgresql") -> Select[tuple[int, ...]]:
    """Per student: GPA (unrounded), credits graded and earned, the number of debts.

    The counting row of each (student, discipline) is picked in the shape each database runs
    fastest over the index `ix_results_student` (bench/record.py, 900,000 rows): PostgreSQL
    keeps the first row of each pair in index order (DISTINCT ON, no sort); SQLite, whose
    window functions are several times slower, keeps the row a correlated index seek finds
    first; another database numbers the rows with a window. A faculty's students are an IN
    list, so the read starts from them and seeks their results by index."""
    students = None if faculty_id is None else select(Student.id).where(Student.faculty_id == faculty_id)
    if dialect == "sqlite":
        later = aliased(Result)
        latest = (select(later.id).where(later.student_id == Result.student_id,
                                          later.discipline_id == Result.discipline_id)
                  .order_by(later.attempt.desc(), later.id.desc()).limit(1)
                  .correlate(Result).scalar_subquery())
        counted = (select(Result.student_id, Result.letter, Result.grade_points, Discipline.credits)
                   .join(Discipline, Discipline.id == Result.discipline_id).where(Result.id == latest))
    elif dialect == "postgresql":
        counted = (select(Result.student_id, Result.letter, Result.grade_points, Discipline.credits)
                   .join(Discipline, Discipline.id == Result.discipline_id)
                   .distinct(Result.student_id, Result.discipline_id)
                   .order_by(Result.student_id, Result.discipline_id, Result.attempt.desc(),
                             Result.id.desc()))
    else:  # any other database: a window
        rank = func.row_number().over(partition_by=(Result.student_id, Result.discipline_id),
                                      order_by=(Result.attempt.desc(), Result.id.desc()))
        counted = (select(Result.student_id, Result.letter, Result.grade_points, Discipline.credits,
                          rank.label("rank"))
                   .join(Discipline, Discipline.id == Result.discipline_id))
    if students is not None:
        counted = counted.where(Result.student_id.in_(students))
    c = counted.subquery()
    debt = c.c.letter.in_(sorted(grades.debt_letters))
    graded = func.sum(c.c.credits)
    stmt = (select(c.c.student_id,
                   (func.sum(c.c.credits * c.c.grade_points) / func.nullif(graded, 0)).label("gpa"),
                   graded.label("graded"),
                   func.sum(case((debt, 0), else_=c.c.credits)).label("earned"),
                   func.sum(case((debt, 1), else_=0)).label("debts"))
            .group_by(c.c.student_id))
    return stmt.where(c.c.rank == 1) if "rank" in c.c else stmt


def university_standings(ctx: AppContext, faculty_id: int | None = None) -> list[StudentStanding]:
    """Every student's GPA, credits and debts (of one faculty if given), computed in the database."""
    grades = scale(ctx)
    with ctx.db.read() as session:
        dialect = session.get_bind().dialect.name
        rows = session.execute(standings_query(grades, faculty_id, dialect)).all()
    return [StudentStanding(sid, round_gpa(gpa) if gpa is not None else None, int(g or 0), int(e or 0),
                            int(d or 0)) for sid, gpa, g, e, d in rows]


@dataclass(frozen=True)
class StaysLine:
    student_id: int
    iin: str
    full_name: str
    year: int
    group: str | None
    gpa: float | None
    debts: int


def promotion_list(ctx: AppContext, actor: Actor, faculty_code: str,
                   min_gpa: float | None = None) -> list[StaysLine]:
    """The faculty's students who do not move up: academic debt, or GPA under the threshold
    (config/grading.yaml's promotion.min_gpa unless given). A dean sees only the dean's faculty."""
    grades = scale(ctx)
    threshold = grades.promotion_min_gpa if min_gpa is None else min_gpa
    with ctx.db.read() as session:
        faculty = session.scalar(select(Faculty).where(Faculty.code == faculty_code))
        if faculty is None or not actor.sees_faculty(faculty.id):
            raise NotFound("Факультет не найден или недоступен вам",
                           {"faculty": tr("Нет такого факультета")})
        s = standings_query(grades, faculty.id, session.get_bind().dialect.name).subquery()
        # GPA is shown rounded half up to two decimals: a GPA that rounds to the threshold passes.
        stays = (select(Student.id, Student.iin, Student.last_name, Student.first_name, Student.middle_name,
                        Student.year, Student.group, s.c.gpa, s.c.debts)
                 .join(s, s.c.student_id == Student.id)
                 .where((s.c.debts > 0) | (s.c.gpa < threshold - 0.005))
                 .order_by(Student.year, Student.group, Student.last_name, Student.first_name))
        rows = session.execute(stays).all()
    return [StaysLine(i, iin, " ".join(p for p in (last, first, middle) if p), year, group,
                      round_gpa(gpa) if gpa is not None else None, int(debts))
            for i, iin, last, first, middle, year, group, gpa, debts in rows]


# --- lists of students read against the record ---------------------------------------------------
def standings_by_iin(session: Session, iins: list[str], grades: GradeScale) -> dict[str, Standing]:
    """The cumulative standing of each student (by ИИН) the record has results of, one read."""
    ids = dict(session.execute(select(Student.id, Student.iin).where(Student.iin.in_(iins))).all())
    graded: dict[int, list[Graded]] = {}
    found = session.execute(
        select(Result.student_id, Result.id, Result.term, Result.attempt, Result.letter, Result.grade_points,
               Discipline.code, Discipline.credits)
        .join(Discipline, Discipline.id == Result.discipline_id)
        .where(Result.student_id.in_(list(ids)))).all()
    for sid, rid, term, attempt, letter, points, code, credits in found:
        graded.setdefault(sid, []).append(Graded(code, term, attempt, rid, credits, letter, points))
    return {ids[sid]: standing(effective(rows).values(), grades) for sid, rows in graded.items()}


def with_recorded_standing(session: Session, rows: list[Any], grades: GradeScale) -> list[Any]:
    """A competition's list (rows with an `iin`) with each recorded student's cumulative GPA,
    credits earned and academic debt laid over what was typed: the record decides, as the
    registry does for citizenship and funding. A student without results keeps the typed values
    (`gpa_from_record: False`)."""
    iins = [str(r["iin"]) for r in rows if isinstance(r, dict) and r.get("iin")]
    if not iins:
        return rows
    standings = standings_by_iin(session, iins, grades)
    out = []
    for row in rows:
        overall = standings.get(str(row.get("iin"))) if isinstance(row, dict) else None
        if overall is None:
            out.append({**row, "gpa_from_record": False} if isinstance(row, dict) else row)
            continue
        out.append({**row, "gpa": overall.gpa, "credits_earned": overall.credits_earned,
                    "academic_debt": bool(overall.debts), "gpa_from_record": True})
    return out
