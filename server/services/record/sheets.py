"""Grade sheets (экзаменационная ведомость) of a group, discipline and term.

draft: lines are entered or uploaded (each student's points; the letter, when given, must match)
→ checked (the lines are frozen; back to draft to change them) → locked by the registrar: each
line becomes a result naming the sheet. A locked sheet changes only by a correction with the
approving case (an appeal, a correction case): a new result row, the old one kept.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import Actor
from server.db import utcnow
from server.domain import labels
from server.domain.iin import InvalidIIN, validate_iin
from server.models import Discipline, GradeSheet, GradeSheetLine, Result, Student
from server.services.context import AppContext
from server.services.errors import Conflict, Forbidden, Invalid, Msg, NotFound, iin_reason, joined, tr
from server.services.record.access import (
    SHEET_LOCKERS,
    admission_year,
    require_keeper,
    require_sheet_reader,
    scale,
)
from server.services.record.reasons import attempt_range, choice, required, term_range
from server.services.record.results import (
    academic_year_problem,
    correct_result,
    curriculum_terms,
    points_problems,
    term_problem,
)
from server.services.students.spreadsheets import Limits, read_table

SHEET_LIMITS = Limits(max_rows=2_000, max_bytes=2 * 1024 * 1024)


@dataclass(frozen=True)
class SheetLine:
    student_id: int
    iin: str
    full_name: str
    points: int
    letter: str
    attempt: int
    result_id: int | None  # the counting result of a locked sheet's line
    corrected: bool


@dataclass(frozen=True)
class SheetView:
    sheet: GradeSheet
    discipline: Discipline
    lines: list[SheetLine]


def _sheet(session: Session, sheet_id: int, *, lock: bool = False) -> GradeSheet:
    stmt = select(GradeSheet).where(GradeSheet.id == sheet_id)
    sheet = session.scalar(stmt.with_for_update() if lock else stmt)
    if sheet is None:
        raise NotFound("Ведомость не найдена", {"sheet_id": tr("нет такой ведомости")})
    return sheet


def create_sheet(ctx: AppContext, actor: Actor, group: str, discipline_code: str, academic_year: str,
                 term: int, *, summer_group: bool = False) -> int:
    """A draft sheet. The group is the registry's, and its curriculum has the discipline in that
    term; a summer semester's group formed for retakes (`summer_group`) is not in the registry:
    its lines are checked student by student when entered."""
    require_keeper(actor)
    problems: dict[str, Msg] = {}
    group = (group or "").strip()
    if not group or len(group) > 32:
        problems["group"] = tr("группа: от 1 до 32 символов")
    if (reason := academic_year_problem(academic_year)) is not None:
        problems["academic_year"] = reason
    if not 1 <= term <= 12:
        problems["term"] = term_range()
    with ctx.db.unit_of_work() as session:
        discipline = session.scalar(select(Discipline).where(Discipline.code == discipline_code))
        if discipline is None:
            problems["discipline_code"] = tr("неизвестная дисциплина %(code)s", code=discipline_code)
        if "group" not in problems:
            _group_problems(session, group, discipline, term, ctx.local_today(), problems, summer_group)
        if problems:
            raise Invalid("Ведомость не создана: исправьте отмеченные поля", problems)
        assert discipline is not None
        existing = session.scalar(select(GradeSheet.id).where(
            GradeSheet.group == group, GradeSheet.discipline_id == discipline.id,
            GradeSheet.academic_year == academic_year, GradeSheet.term == term))
        if existing is not None:
            raise Conflict("Ведомость группы %(group)s по дисциплине %(code)s за этот семестр уже есть",
                           {"term": tr("эта ведомость уже есть: № %(id)s", id=existing)},
                           group=group, code=discipline.code)
        sheet = GradeSheet(group=group, discipline_id=discipline.id, academic_year=academic_year, term=term,
                           status="draft", created_by=actor.user_id)
        session.add(sheet)
        session.flush()
        return sheet.id


def _group_problems(session: Session, group: str, discipline: Discipline | None, term: int, today: date,
                    problems: dict[str, Msg], summer_group: bool) -> None:
    """The group is the registry's, and its curriculum has the discipline in that term."""
    students = list(session.scalars(select(Student).where(Student.group == group)))
    if summer_group:
        if students:
            problems["group"] = tr("группа %(group)s есть в реестре: это не группа летнего семестра",
                                   group=group)
        return
    if not students:
        problems["group"] = tr("группы %(group)s нет в реестре обучающихся", group=group)
        return
    if discipline is None or "term" in problems:
        return
    plans = {(s.programme_code, admission_year(s, today)) for s in students}
    terms = set().union(*(curriculum_terms(session, code, year, discipline.id) for code, year in plans))
    if term in terms:
        return
    if not terms:
        problems["discipline_code"] = tr("дисциплины %(code)s нет в учебном плане группы %(group)s",
                                         code=discipline.code, group=group)
    else:
        problems["term"] = tr("в учебном плане группы %(group)s дисциплина %(code)s — в семестре %(terms)s",
                              group=group, code=discipline.code, terms=", ".join(map(str, sorted(terms))))


def sheet_faculties(session: Session, group: str, student_ids: list[int]) -> set[int]:
    """The faculties of a sheet: of its group's students in the registry and of its lines."""
    return set(session.scalars(select(Student.faculty_id).where(
        (Student.group == group) | Student.id.in_(student_ids)).distinct()))


def enter_lines(ctx: AppContext, actor: Actor, sheet_id: int, lines: list[Mapping[str, Any]],
                remove: Collection[int] = (), first_line: int = 1) -> SheetView:
    """Set the points of the students given (by `iin` or `student_id`; `points`, optional `letter`
    and `attempt`) on a draft sheet, and take the lines of the students in `remove` off it (a
    row the page's user emptied). Any bad line refuses them all, naming the line (numbered from
    `first_line`: a file's first data line is its line 2)."""
    require_keeper(actor)
    grades = scale(ctx)
    today = ctx.local_today()
    with ctx.db.unit_of_work() as session:
        sheet = _sheet(session, sheet_id, lock=True)
        _require_draft(sheet)
        discipline = session.get(Discipline, sheet.discipline_id)
        assert discipline is not None
        existing = {x.student_id: x for x in session.scalars(
            select(GradeSheetLine).where(GradeSheetLine.sheet_id == sheet.id))}
        problems: dict[str, Msg] = {}
        seen: set[int] = set()
        cleaned: list[tuple[Student, int, str, int]] = []
        for n, line in enumerate(lines, start=first_line):
            reasons: list[Msg] = []
            student = _student(session, line, reasons)
            points, letter, by_field = points_problems(line.get("points"), line.get("letter"), grades)
            reasons += list(by_field.values())
            try:
                attempt = int(line.get("attempt") or 1)
            except (TypeError, ValueError):
                attempt = 0
            if not 1 <= attempt <= 9:
                reasons.append(attempt_range())
            if student is not None:
                if student.id in seen:
                    reasons.append(tr("обучающийся уже есть в ведомости выше"))
                seen.add(student.id)
                if (reason := term_problem(session, student, discipline, sheet.term,
                                           admission_year(student, today))) is not None:
                    reasons.append(reason)
            if reasons:
                problems[str(n)] = tr("строка %(line)s: %(reason)s", line=n, reason=joined(reasons))
                continue
            assert student is not None and points is not None and letter is not None
            cleaned.append((student, points, letter, attempt))
        if problems:
            raise Invalid("Ведомость не изменена: исправьте отмеченные строки", problems)
        for student, points, letter, attempt in cleaned:
            row = existing.get(student.id)
            if row is None:
                session.add(GradeSheetLine(sheet_id=sheet.id, student_id=student.id, points=points,
                                           letter=letter, attempt=attempt))
            else:
                row.points, row.letter, row.attempt = points, letter, attempt
        for student_id in set(remove) - {student.id for student, *_rest in cleaned}:
            if student_id in existing:
                session.delete(existing[student_id])
        session.flush()
        return _view(session, sheet)


def upload_lines(ctx: AppContext, actor: Actor, sheet_id: int, filename: str, content: bytes) -> SheetView:
    """A CSV/XLSX of the sheet's lines: columns ИИН, points, letter (optional), attempt (optional),
    headed by their codes (iin, points, letter, attempt) or their words in any of the three
    languages («ЖСН», «Балл»…)."""
    require_keeper(actor)
    fields = {code: labels.IMPORT_FIELD[code] for code in SHEET_COLUMNS}
    rows = [{choice(key, fields) or key: value for key, value in row.items()}
            for row in read_table(filename, content, SHEET_LIMITS)]
    return enter_lines(ctx, actor, sheet_id, rows, first_line=2)  # line 1: the header


# A sheet file's columns, in the order the page names them.
SHEET_COLUMNS = ("iin", "points", "letter", "attempt")


def _student(session: Session, line: Mapping[str, Any], reasons: list[Msg]) -> Student | None:
    if line.get("student_id") not in (None, ""):
        try:
            student = session.get(Student, int(line["student_id"]))
        except (TypeError, ValueError):
            student = None
        if student is None:
            reasons.append(tr("нет такого обучающегося"))
        return student
    raw = str(line.get("iin") or "").strip()
    if not raw:
        reasons.append(required("iin"))
        return None
    try:
        iin = validate_iin(raw)
    except InvalidIIN as exc:
        reasons.append(iin_reason(exc))
        return None
    student = session.scalar(select(Student).where(Student.iin == iin))
    if student is None:
        reasons.append(tr("неизвестный обучающийся: ИИН %(iin)s нет в реестре", iin=iin))
    return student


def _require_draft(sheet: GradeSheet) -> None:
    if sheet.status == "checked":
        raise Conflict("Ведомость проверена: чтобы изменить её, верните её в черновик")
    if sheet.status == "locked":
        raise Conflict("Ведомость закрыта: изменить результат можно только корректировкой по делу")


def check_sheet(ctx: AppContext, actor: Actor, sheet_id: int) -> SheetView:
    require_keeper(actor)
    with ctx.db.unit_of_work() as session:
        sheet = _sheet(session, sheet_id, lock=True)
        _require_draft(sheet)
        if session.scalar(select(GradeSheetLine.id).where(GradeSheetLine.sheet_id == sheet.id)) is None:
            raise Invalid("В ведомости нет ни одной строки", {"lines": tr("внесите баллы обучающихся")})
        sheet.status, sheet.checked_by, sheet.checked_at = "checked", actor.user_id, utcnow()
        return _view(session, sheet)


def reopen_sheet(ctx: AppContext, actor: Actor, sheet_id: int) -> SheetView:
    """A checked sheet back to draft (a locked one never)."""
    require_keeper(actor)
    with ctx.db.unit_of_work() as session:
        sheet = _sheet(session, sheet_id, lock=True)
        if sheet.status == "locked":
            _require_draft(sheet)
        sheet.status, sheet.checked_by, sheet.checked_at = "draft", None, None
        return _view(session, sheet)


def lock_sheet(ctx: AppContext, actor: Actor, sheet_id: int) -> SheetView:
    """The registrar locks a checked sheet: each line becomes a result naming the sheet."""
    if not actor.has_any(SHEET_LOCKERS):
        raise Forbidden("Закрыть ведомость может только офис регистратора")
    grades = scale(ctx)
    with ctx.db.unit_of_work() as session:
        sheet = _sheet(session, sheet_id, lock=True)
        if sheet.status != "checked":
            if sheet.status == "locked":
                _require_draft(sheet)
            raise Conflict("Закрыть можно только проверенную ведомость")
        lines = list(session.scalars(select(GradeSheetLine).where(GradeSheetLine.sheet_id == sheet.id)))
        recorded = set(session.execute(select(Result.student_id, Result.attempt).where(
            Result.discipline_id == sheet.discipline_id,
            Result.student_id.in_([x.student_id for x in lines]))).tuples())
        clashes = {str(x.student_id): tr("попытка %(attempt)s уже записана", attempt=x.attempt)
                   for x in lines if (x.student_id, x.attempt) in recorded}
        if clashes:
            raise Conflict("Ведомость не закрыта: у части обучающихся эта попытка уже записана", clashes)
        now = utcnow()
        for x in lines:
            session.add(Result(student_id=x.student_id, discipline_id=sheet.discipline_id,
                               academic_year=sheet.academic_year, term=sheet.term, attempt=x.attempt,
                               points=x.points, letter=x.letter, grade_points=grades.grade_points(x.letter),
                               recorded_by=actor.user_id, sheet_id=sheet.id, created_at=now))
        sheet.status, sheet.locked_by, sheet.locked_at = "locked", actor.user_id, now
        session.flush()
        return _view(session, sheet)


def correct_sheet(ctx: AppContext, actor: Actor, sheet_id: int, student_id: int, points: int, reason: str,
                  case_id: int | None, letter: str | None = None) -> int:
    """A correction of a locked sheet's line: a new result with the reason and the case."""
    require_keeper(actor)
    with ctx.db.read() as session:
        sheet = _sheet(session, sheet_id)
        if sheet.status != "locked":
            raise Conflict("Ведомость ещё не закрыта: измените строку в черновике")
        result_id = session.scalar(select(Result.id).where(
            Result.sheet_id == sheet.id, Result.student_id == student_id).order_by(Result.id.desc()).limit(1))
        if result_id is None:
            raise NotFound("В ведомости нет этого обучающегося", {"student_id": tr("нет в ведомости")})
    return correct_result(ctx, actor, result_id, points, reason, case_id, letter)


def get_sheet(ctx: AppContext, actor: Actor, sheet_id: int) -> SheetView:
    """The sheet as the office sees it; a dean only a sheet whose group and lines are all of
    the dean's faculty (404 otherwise, as for a student); other roles not at all (403)."""
    require_sheet_reader(actor)
    with ctx.db.read() as session:
        view = _view(session, _sheet(session, sheet_id))
        if not actor.sees_all_cases():
            faculties = sheet_faculties(session, view.sheet.group, [x.student_id for x in view.lines])
            if not faculties or any(not actor.sees_faculty(f) for f in faculties):
                raise NotFound("Ведомость не найдена", {"sheet_id": tr("нет такой ведомости")})
        return view


def _view(session: Session, sheet: GradeSheet) -> SheetView:
    discipline = session.get(Discipline, sheet.discipline_id)
    assert discipline is not None
    lines: list[SheetLine] = []
    if sheet.status == "locked":
        latest: dict[int, Result] = {}
        for r in session.scalars(select(Result).where(Result.sheet_id == sheet.id).order_by(Result.id)):
            latest[r.student_id] = r
        students = {s.id: s for s in session.scalars(select(Student).where(Student.id.in_(list(latest))))}
        for sid, r in latest.items():
            s = students[sid]
            lines.append(SheetLine(sid, s.iin, s.full_name, r.points, r.letter, r.attempt, r.id,
                                   r.corrects_id is not None))
    else:
        for x, s in session.execute(select(GradeSheetLine, Student).join(
                Student, Student.id == GradeSheetLine.student_id).where(GradeSheetLine.sheet_id == sheet.id)):
            lines.append(SheetLine(s.id, s.iin, s.full_name, x.points, x.letter, x.attempt, None, False))
    lines.sort(key=lambda x: x.full_name)
    return SheetView(sheet, discipline, lines)
