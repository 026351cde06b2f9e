"""Grade sheets as the office's screens read them: the list with its filters, the choices of a
new sheet (the registry's groups, the disciplines, academic years), and a sheet's page — its
lines with the group's students who have none yet, the people who created, checked and locked
it, and what the reader may do with it. Writing stays in `sheets`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, exists, false, func, or_, select
from sqlalchemy.orm import Session

from server.auth import Actor
from server.domain.grading import Band
from server.models import Discipline, GradeSheet, GradeSheetLine, Student, User
from server.services.context import AppContext
from server.services.record.access import (
    RECORD_KEEPERS,
    SHEET_LOCKERS,
    academic_year_start,
    require_sheet_reader,
    scale,
)
from server.services.record.sheets import SheetView, get_sheet

STATUSES = ("draft", "checked", "locked")
YEARS_BACK = 5  # the academic years a new sheet may be for: this one and the ones before


@dataclass(frozen=True)
class SheetFilter:
    group: str | None = None
    discipline_code: str | None = None
    academic_year: str | None = None
    term: int | None = None
    status: str | None = None
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class SheetRow:
    id: int
    group: str
    discipline: Discipline
    academic_year: str
    term: int
    status: str
    lines: int
    created_by: str
    created_at: datetime
    checked_by: str
    checked_at: datetime | None
    locked_by: str
    locked_at: datetime | None


@dataclass(frozen=True)
class SheetChoices:
    groups: list[str]
    disciplines: list[Discipline]
    academic_years: list[str]


@dataclass(frozen=True)
class RosterLine:
    """A row of the sheet's page: a line, or a student of the group without one yet."""

    student_id: int
    iin: str
    full_name: str
    points: int | None
    letter: str | None
    grade_points: float | None
    attempt: int
    result_id: int | None
    corrected: bool


@dataclass(frozen=True)
class SheetPage:
    view: SheetView
    rows: list[RosterLine]
    people: dict[str, str]  # created / checked / locked -> the person's name
    may_edit: bool  # the office on a draft
    may_check: bool
    may_lock: bool  # the registrar on a checked sheet
    bands: list[Band] = field(default_factory=list)


def _group_faculties(session: Session) -> dict[str, set[int]]:
    found: dict[str, set[int]] = defaultdict(set)
    for group, faculty_id in session.execute(select(Student.group, Student.faculty_id).distinct()):
        if group:
            found[group].add(faculty_id)
    return found


def _visible_groups(session: Session, actor: Actor) -> set[str] | None:
    """The groups a dean sees (all of their students of the dean's faculty); None: all."""
    if actor.sees_all_cases():
        return None
    return {g for g, faculties in _group_faculties(session).items()
            if all(actor.sees_faculty(f) for f in faculties)}


def _dean_sees(faculty_id: int | None) -> list[ColumnElement[bool]]:
    """A dean's sheets, as `sheets.get_sheet` decides: its group's students in the registry and
    its lines' students are some, and all of the dean's faculty (a summer group: its lines)."""
    if faculty_id is None:
        return [false()]
    group = select(Student.id).where(Student.group == GradeSheet.group)
    lines = select(GradeSheetLine.id).join(Student, Student.id == GradeSheetLine.student_id).where(
        GradeSheetLine.sheet_id == GradeSheet.id)
    return [or_(exists(group), exists(lines)), ~exists(group.where(Student.faculty_id != faculty_id)),
            ~exists(lines.where(Student.faculty_id != faculty_id))]


def list_sheets(ctx: AppContext, actor: Actor, query: SheetFilter) -> tuple[list[SheetRow], int]:
    """One page of the sheets the actor may read, newest first, with who created, checked and
    locked them; and how many there are."""
    require_sheet_reader(actor)
    with ctx.db.read() as session:
        stmt = select(GradeSheet, Discipline).join(Discipline, Discipline.id == GradeSheet.discipline_id)
        if query.group:
            stmt = stmt.where(GradeSheet.group == query.group)
        if query.discipline_code:
            stmt = stmt.where(Discipline.code == query.discipline_code)
        if query.academic_year:
            stmt = stmt.where(GradeSheet.academic_year == query.academic_year)
        if query.term:
            stmt = stmt.where(GradeSheet.term == query.term)
        if query.status:
            stmt = stmt.where(GradeSheet.status == query.status)
        if not actor.sees_all_cases():
            stmt = stmt.where(*_dean_sees(actor.faculty_id))
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        page = stmt.order_by(GradeSheet.id.desc()).limit(query.limit).offset(query.offset)
        found = [(sheet, discipline) for sheet, discipline in session.execute(page)]
        ids = [sheet.id for sheet, _d in found]
        counts = {sid: n for sid, n in session.execute(select(GradeSheetLine.sheet_id, func.count()).where(
            GradeSheetLine.sheet_id.in_(ids)).group_by(GradeSheetLine.sheet_id))}
        names = _names(session, {u for s, _d in found for u in (s.created_by, s.checked_by, s.locked_by)})
        return [SheetRow(s.id, s.group, d, s.academic_year, s.term, s.status, counts.get(s.id, 0),
                         names.get(s.created_by, ""), s.created_at, names.get(s.checked_by, ""), s.checked_at,
                         names.get(s.locked_by, ""), s.locked_at) for s, d in found], total


def _names(session: Session, user_ids: set[int | None]) -> dict[int | None, str]:
    wanted = [u for u in user_ids if u is not None]
    rows = session.execute(select(User.id, User.full_name).where(User.id.in_(wanted)))
    return {uid: name for uid, name in rows}


def sheet_choices(ctx: AppContext, actor: Actor) -> SheetChoices:
    """What a sheet is opened for: the registry's groups (a dean: the faculty's), the disciplines,
    this academic year and the ones before it."""
    require_sheet_reader(actor)
    first = academic_year_start(ctx.local_today())
    years = [f"{y}-{y + 1}" for y in range(first, first - YEARS_BACK, -1)]
    with ctx.db.read() as session:
        visible = _visible_groups(session, actor)
        groups = sorted(g for g in _group_faculties(session) if visible is None or g in visible)
        disciplines = list(session.scalars(select(Discipline).order_by(Discipline.code)))
        used = set(session.scalars(select(GradeSheet.academic_year).distinct()))
    return SheetChoices(groups, disciplines, sorted(set(years) | used, reverse=True))


def sheet_page(ctx: AppContext, actor: Actor, sheet_id: int) -> SheetPage:
    """A sheet with its rows: an open sheet lists the group's students who study (and anyone
    with a line), so the office types the points straight into the group's list."""
    view = get_sheet(ctx, actor, sheet_id)
    sheet = view.sheet
    grades = scale(ctx)
    rows = [RosterLine(x.student_id, x.iin, x.full_name, x.points, x.letter, grades.grade_points(x.letter),
                       x.attempt, x.result_id, x.corrected) for x in view.lines]
    with ctx.db.read() as session:
        if sheet.status != "locked":
            have = {x.student_id for x in view.lines}
            for s in session.scalars(select(Student).where(Student.group == sheet.group,
                                                           Student.status == "active")):
                if s.id not in have:
                    rows.append(RosterLine(s.id, s.iin, s.full_name, None, None, None, 1, None, False))
            rows.sort(key=lambda r: r.full_name)
        names = _names(session, {sheet.created_by, sheet.checked_by, sheet.locked_by})
    people = {"created": names.get(sheet.created_by, ""), "checked": names.get(sheet.checked_by, ""),
              "locked": names.get(sheet.locked_by, "")}
    keeper = actor.has_any(RECORD_KEEPERS)
    return SheetPage(view, rows, people, may_edit=keeper and sheet.status == "draft",
                     may_check=keeper and sheet.status == "draft",
                     may_lock=actor.has_any(SHEET_LOCKERS) and sheet.status == "checked",
                     bands=list(grades.bands))
