"""Import of the student information system's exports: curricula and transcripts (CSV/XLSX).

A column mapping names, for each field, the file's column (default: the field's own name). Every
row is checked and reported (row number, ИИН, discipline, status, reason); a dry run stops
there and writes nothing. A real run with any refused row writes nothing either (all or
nothing). A transcript row is keyed by ИИН + discipline + term + attempt: a row already recorded
with the same points is `unchanged` (a file imported twice adds nothing); a row recorded with
other points is refused — the record is append-only, a change is a correction with a case.
Refused: an unknown student or discipline, a letter that does not match its points, the same
attempt twice in the file, a term the student's curriculum does not have the discipline in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from server.auth import Actor
from server.domain import labels
from server.domain.iin import InvalidIIN, validate_iin
from server.models import CurriculumItem, Discipline, RecordImport, Result, Student
from server.services.context import AppContext
from server.services.errors import Invalid, Msg, iin_reason, joined, tr
from server.services.record import reasons
from server.services.record.access import admission_year, require_keeper, scale
from server.services.record.results import academic_year_problem, points_problems
from server.services.students.spreadsheets import Limits, read_table

TRANSCRIPT_FIELDS = ("iin", "discipline_code", "academic_year", "term", "attempt", "points", "letter",
                     "admission_year")
TRANSCRIPT_REQUIRED = ("iin", "discipline_code", "academic_year", "term", "points")
CURRICULUM_FIELDS = ("programme_code", "admission_year", "discipline_code", "name_ru", "name_kk", "name_en",
                     "credits", "control_form", "semester", "kind")
CONTROL_FORMS = tuple(labels.CONTROL_FORM)
KINDS = tuple(labels.CURRICULUM_KIND)
# A transcript export of a whole faculty at once; the bench imports 100,000 rows in one file.
RECORD_LIMITS = Limits(max_rows=200_000, max_bytes=96 * 1024 * 1024, max_unpacked=192 * 1024 * 1024)
CHUNK = 5_000


@dataclass(frozen=True)
class RowReport:
    row: int
    iin: str | None
    discipline: str | None
    status: str  # new | unchanged | refused (transcripts); new | updated | unchanged | refused (curricula)
    reason: str | None = None


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    rows: list[RowReport] = field(default_factory=list)
    import_id: int | None = None

    def count(self, status: str) -> int:
        return sum(1 for r in self.rows if r.status == status)

    @property
    def refused(self) -> list[RowReport]:
        return [r for r in self.rows if r.status == "refused"]


def mapped(rows: list[dict[str, Any]], fields: tuple[str, ...], mapping: Mapping[str, str] | None
            ) -> list[dict[str, str | None]]:
    """Rows keyed by field, through the mapping (field -> the file's column, case-insensitive)."""
    columns = {f: (mapping or {}).get(f, f).strip().lower() for f in fields}
    out = []
    for row in rows:
        values: dict[str, str | None] = {}
        for name, column in columns.items():
            raw = row.get(column)
            text = str(raw).strip() if raw is not None else ""
            if isinstance(raw, float) and raw.is_integer():
                text = str(int(raw))  # XLSX numbers: 2 rather than 2.0
            if name == "iin" and isinstance(raw, int | float) and text.isdigit():
                text = text.zfill(12)  # an ИИН typed as a number lost its leading zero
            values[name] = text or None
        out.append(values)
    return out


def check_mapping(mapping: Mapping[str, str] | None, fields: tuple[str, ...]) -> None:
    unknown = sorted(set(mapping or {}) - set(fields))
    if unknown:
        raise Invalid("Сопоставление столбцов не принято: %(names)s — нет таких полей",
                      {"mapping": tr("допустимые поля: %(names)s", names=", ".join(fields))},
                      names=", ".join(unknown))


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _refuse_all(report: ImportReport) -> Invalid:
    fields = {str(r.row): tr("строка %(line)s: %(reason)s", line=r.row, reason=r.reason or "")
              for r in report.refused[:200]}
    return Invalid("Импорт не выполнен: исправьте ошибки в файле (%(count)s строк)", fields,
                   count=len(report.refused))


# --- curricula -----------------------------------------------------------------------------------
def import_curricula(ctx: AppContext, actor: Actor, filename: str, content: bytes, *,
                     mapping: Mapping[str, str] | None = None, dry_run: bool = True) -> ImportReport:
    """Disciplines (upserted by code) and curriculum lines (by programme, admission year, discipline)."""
    require_keeper(actor)
    check_mapping(mapping, CURRICULUM_FIELDS)
    rows = mapped(read_table(filename, content, RECORD_LIMITS), CURRICULUM_FIELDS, mapping)
    report = ImportReport("curricula", dry_run)
    with ctx.db.unit_of_work() as session:
        apply_curricula(session, rows, report)
        if report.refused:
            session.rollback()
            if not dry_run:
                raise _refuse_all(report)
            return report
        if dry_run:
            session.rollback()
            return report
        batch = RecordImport(kind="curricula", filename=filename[:200], rows=len(rows),
                             created_by=actor.user_id)
        session.add(batch)
        session.flush()
        report.import_id = batch.id
    return report


def apply_curricula(session: Session, rows: list[dict[str, str | None]], report: ImportReport) -> None:
    """Check and apply every row in `session`, reporting each; the caller commits or rolls back."""
    disciplines = {d.code: d for d in session.scalars(select(Discipline))}
    items = {(i.programme_code, i.admission_year, i.discipline_id): i for i in session.scalars(
        select(CurriculumItem).where(CurriculumItem.programme_code.in_(
            {r["programme_code"] for r in rows if r["programme_code"]})))}
    seen: dict[tuple[str, int, str], int] = {}
    for line, values in enumerate(rows, start=2):
        problems = _curriculum_problems(values)
        key = (values["programme_code"] or "", _int(values["admission_year"]) or 0,
               values["discipline_code"] or "")
        if not problems and key in seen:
            problems.append(tr("дисциплина уже есть в строке %(line)s", line=seen[key]))
        if problems:
            report.rows.append(RowReport(line, None, values["discipline_code"], "refused", joined(problems)))
            continue
        seen[key] = line
        status = _apply_curriculum_row(session, values, disciplines, items)
        report.rows.append(RowReport(line, None, key[2], status))


def _curriculum_problems(values: dict[str, str | None]) -> list[Msg]:
    """The row's problems; its form of assessment and component, given as words, become codes."""
    problems = [reasons.required(f) for f in CURRICULUM_FIELDS if not values[f]]
    if problems:
        return problems
    for name, low, high in (("admission_year", 1990, 2100), ("credits", 1, 60), ("semester", 1, 12)):
        number = _int(values[name])
        if number is None or not low <= number <= high:
            problems.append(reasons.whole_number(name, low, high))
    control_form = reasons.choice(values["control_form"], labels.CONTROL_FORM)
    if control_form is None:
        problems.append(reasons.control_form_choices())
    kind = reasons.choice(values["kind"], labels.CURRICULUM_KIND)
    if kind is None:
        problems.append(reasons.kind_choices())
    values.update(control_form=control_form, kind=kind)
    for name, limit in (("programme_code", 32), ("discipline_code", 32), ("name_ru", 300), ("name_kk", 300),
                        ("name_en", 300)):
        if len(values[name] or "") > limit:
            problems.append(reasons.too_long(name, limit))
    return problems


def _apply_curriculum_row(session: Session, values: dict[str, Any], disciplines: dict[str, Discipline],
                          items: dict[tuple[str, int, int], CurriculumItem]) -> str:
    code = values["discipline_code"]
    wanted = {"name_ru": values["name_ru"], "name_kk": values["name_kk"], "name_en": values["name_en"],
              "credits": int(values["credits"]), "control_form": values["control_form"]}
    discipline = disciplines.get(code)
    status = "unchanged"
    if discipline is None:
        discipline = disciplines[code] = Discipline(code=code, **wanted)
        session.add(discipline)
        session.flush()
        status = "new"
    elif any(getattr(discipline, k) != v for k, v in wanted.items()):
        for k, v in wanted.items():
            setattr(discipline, k, v)
        status = "updated"
    key = (values["programme_code"], int(values["admission_year"]), discipline.id)
    line = {"semester": int(values["semester"]), "kind": values["kind"], "credits": int(values["credits"])}
    item = items.get(key)
    if item is None:
        items[key] = item = CurriculumItem(programme_code=key[0], admission_year=key[1], discipline_id=key[2],
                                           **line)
        session.add(item)
        return "new"
    if any(getattr(item, k) != v for k, v in line.items()):
        for k, v in line.items():
            setattr(item, k, v)
        return "updated"
    return status


# --- transcripts ---------------------------------------------------------------------------------
Progress = Callable[[int, int], None]


def import_transcripts(ctx: AppContext, actor: Actor, filename: str, content: bytes, *,
                       mapping: Mapping[str, str] | None = None, dry_run: bool = True,
                       progress: Progress | None = None, checking: Progress | None = None,
                       limits: Limits = RECORD_LIMITS) -> ImportReport:
    """Results from a transcript export; all or nothing, in one transaction. `checking(done, total)`
    while the rows are checked, `progress(done, total)` after each chunk written."""
    require_keeper(actor)
    check_mapping(mapping, TRANSCRIPT_FIELDS)
    rows = mapped(read_table(filename, content, limits), TRANSCRIPT_FIELDS, mapping)
    report = ImportReport("transcripts", dry_run)
    with ctx.db.unit_of_work() as session:
        new_rows = check_transcripts(ctx, session, rows, report, checking)
        if report.refused and not dry_run:
            raise _refuse_all(report)
        if dry_run or report.refused:
            return report
        batch = RecordImport(kind="transcripts", filename=filename[:200], rows=len(rows),
                             created_by=actor.user_id)
        session.add(batch)
        session.flush()
        report.import_id = batch.id
        now = ctx.now()
        for start in range(0, len(new_rows), CHUNK):
            chunk = [{**r, "import_id": batch.id, "recorded_by": actor.user_id, "created_at": now}
                     for r in new_rows[start:start + CHUNK]]
            session.execute(insert(Result), chunk)
            if progress:
                progress(min(start + CHUNK, len(new_rows)), len(new_rows))
    return report


def check_transcripts(ctx: AppContext, session: Session, rows: list[dict[str, str | None]],
                      report: ImportReport, progress: Progress | None = None) -> list[dict[str, Any]]:
    """Check every row against the registry, the curricula and what is recorded; report each
    in `report`; return the new results' values (without import, author and time). Reads only."""
    grades = scale(ctx)
    today = ctx.local_today()
    students = _students(session, rows)
    disciplines = {d.code: d for d in session.scalars(select(Discipline))}
    plans = _plans(session, {s.programme_code for s in students.values()})
    recorded = _recorded(session, [s.id for s in students.values()])
    seen: dict[tuple[str, str, int], int] = {}
    new_rows: list[dict[str, Any]] = []
    for line, values in enumerate(rows, start=2):
        if progress and line > 2 and (line - 2) % CHUNK == 0:
            progress(line - 2, len(rows))
        problems: list[Msg] = []
        for name in TRANSCRIPT_REQUIRED:
            if not values[name]:
                problems.append(reasons.required(name))
        iin = values["iin"]
        student = None
        if iin:
            try:
                iin = validate_iin(iin)
                student = students.get(iin)
                if student is None:
                    problems.append(tr("неизвестный обучающийся: ИИН %(iin)s нет в реестре", iin=iin))
            except InvalidIIN as exc:
                problems.append(iin_reason(exc))
        code = values["discipline_code"]
        discipline = disciplines.get(code or "")
        if code and discipline is None:
            problems.append(tr("неизвестная дисциплина %(code)s", code=code))
        if values["academic_year"] and (reason := academic_year_problem(values["academic_year"])):
            problems.append(reason)
        term, attempt = _int(values["term"]), _int(values["attempt"] or "1")
        if values["term"] and (term is None or not 1 <= term <= 12):
            problems.append(reasons.term_range())
        if attempt is None or not 1 <= attempt <= 9:
            problems.append(reasons.attempt_range())
        points, letter, by_field = points_problems(values["points"], values["letter"], grades) \
            if values["points"] else (None, None, {})
        problems += list(by_field.values())
        if student and discipline and term and not problems:
            year = _int(values["admission_year"]) or admission_year(student, today)
            terms = plans.get((student.programme_code, year, discipline.id), set())
            if term not in terms:
                problems.append(tr("семестр %(term)s: в учебном плане %(programme)s набора %(year)s "
                                   "дисциплины %(code)s в этом семестре нет", term=term,
                                   programme=student.programme_code, year=year, code=code))
        key = (iin or "", code or "", attempt or 0)
        if not problems and key in seen:
            problems.append(tr("попытка %(attempt)s повторяет строку %(line)s", attempt=attempt,
                               line=seen[key]))
        if problems:
            report.rows.append(RowReport(line, iin, code, "refused", joined(problems)))
            continue
        assert student and discipline and term and attempt and points is not None and letter
        seen[key] = line
        before = recorded.get((student.id, discipline.id, term, attempt))
        if before is not None:
            status = "unchanged" if before == points else "refused"
            reason = None if before == points else tr(
                "уже записано %(before)s баллов: изменить результат можно только корректировкой по делу",
                before=before)
            report.rows.append(RowReport(line, iin, code, status, reason))
            continue
        report.rows.append(RowReport(line, iin, code, "new"))
        new_rows.append({"student_id": student.id, "discipline_id": discipline.id,
                         "academic_year": values["academic_year"], "term": term, "attempt": attempt,
                         "points": points, "letter": letter, "grade_points": grades.grade_points(letter)})
    if progress:
        progress(len(rows), len(rows))
    return new_rows


def _students(session: Session, rows: list[dict[str, str | None]]) -> dict[str, Student]:
    iins = sorted({r["iin"] for r in rows if r["iin"]})
    out: dict[str, Student] = {}
    for start in range(0, len(iins), 900):  # under SQLite's bound-parameter limit
        for s in session.scalars(select(Student).where(Student.iin.in_(iins[start:start + 900]))):
            out[s.iin] = s
    return out


def _plans(session: Session, programmes: set[str]) -> dict[tuple[str, int, int], set[int]]:
    plans: dict[tuple[str, int, int], set[int]] = {}
    for code, year, discipline_id, semester in session.execute(
            select(CurriculumItem.programme_code, CurriculumItem.admission_year, CurriculumItem.discipline_id,
                   CurriculumItem.semester).where(CurriculumItem.programme_code.in_(sorted(programmes)))):
        plans.setdefault((code, year, discipline_id), set()).add(semester)
    return plans


def _recorded(session: Session, student_ids: list[int]) -> dict[tuple[int, int, int, int], int]:
    """The points that count now of each (student, discipline, term, attempt) already recorded."""
    out: dict[tuple[int, int, int, int], tuple[int, int]] = {}
    for start in range(0, len(student_ids), 900):
        part = student_ids[start:start + 900]
        for rid, sid, did, term, attempt, points in session.execute(
                select(Result.id, Result.student_id, Result.discipline_id, Result.term, Result.attempt,
                       Result.points).where(Result.student_id.in_(part))):
            key = (sid, did, term, attempt)
            if key not in out or out[key][0] < rid:
                out[key] = (rid, points)
    return {k: v[1] for k, v in out.items()}

