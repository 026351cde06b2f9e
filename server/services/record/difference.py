"""The academic difference of a transfer or a reinstatement, proposed from the earlier results.

- **Earlier results.** An applicant from another university brings the sending university's
  transcript: the registrar types its rows at registration (`applicant.earlier_results`) or at
  the check of the documents (`earlier_results`), or uploads it as CSV/XLSX (`read_transcript`:
  a column mapping as the record's import has, every row checked, nothing kept of a refused
  file). A former student (reinstatement) or our own student (internal transfer) brings our
  record (`record_of`).
- **The proposal** (`server/domain/difference.py`) compares them with the target curriculum —
  the programme's curriculum of the cohort's admission year, semesters 1..(course − 1) × 2 —
  and says what is re-credited, what is the difference, and whether it is within the transfer
  rules' limit (read from the deployed decision table; the dean decides, the proposal says).
- **The dean's step** opens with its form filled from the proposal (`difference`, `recredit`,
  `difference_credits`) when the case has no confirmed lines yet, and with the proposal shown
  beside the form. On completion `difference_credits` is computed from the lines; a total that
  disagrees with them is refused naming the field.

The order prints the confirmed difference lines (disciplines, credits, deadline); the
re-credited lines stay in the case (the student's file), since an order on enrolment states
what the student must still do, not what was already studied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import Actor
from server.domain.difference import (
    Earlier,
    Proposal,
    Target,
    earlier_from_mapping,
    load_rule,
    normalized,
    propose,
)
from server.domain.grading import GradeScale
from server.engine import ProcessBundle, literal_decision
from server.models import Case, CurriculumItem, Discipline, Student
from server.services.context import AppContext
from server.services.errors import Invalid, Msg, tr
from server.services.record.access import academic_year_start, require_keeper, scale
from server.services.record.queries import record_of
from server.services.record.results import points_problems
from server.services.students.spreadsheets import Limits, read_table

EARLIER_FIELDS = ("discipline", "discipline_code", "credits", "points", "letter", "term")
TRANSCRIPT_LIMITS = Limits(max_rows=500, max_bytes=2 * 1024 * 1024, max_unpacked=8 * 1024 * 1024)
# The steps whose form holds the difference lines, and the decision table of the limit.
DIFFERENCE_FORMS = {"transfer_in/determine_difference": "difference_limit",
                    "transfer_internal/dean_review": "difference_limit",
                    "reinstatement/check_documents": None}
EARLIER_FORMS = ("transfer_in/check_documents",)
REFUSED = "Форма заполнена с ошибками: исправьте отмеченные поля"


# --- earlier results typed or uploaded ------------------------------------------------------------
def check_earlier(rows: Any, grades: GradeScale, prefix: str = "earlier_results") -> list[dict[str, Any]]:
    """The transcript's rows checked: a discipline's name, its ECTS credits, points (0-100)
    and/or a letter of the scale that agree, a term 1-12 when given. The rows as stored (the
    letter filled from the points), or `Invalid` naming each row's field (`prefix.<n>.<field>`,
    n from 0 as the form's fields are named) with the row's number."""
    if not isinstance(rows, list):
        raise Invalid(REFUSED, {prefix: tr("ожидается список строк транскрипта")})
    fields: dict[str, Msg] = {}
    out: list[dict[str, Any]] = []
    for index, row in enumerate(rows):
        line = index + 1
        problems: dict[str, Msg] = {}
        if not isinstance(row, dict):
            fields[f"{prefix}.{index}"] = tr("строка %(line)s: ожидается объект", line=line)
            continue
        unknown = sorted(set(map(str, row)) - set(EARLIER_FIELDS))
        for name in unknown:
            problems[name] = tr("неизвестное поле: допустимы %(names)s", names=", ".join(EARLIER_FIELDS))
        name = str(row.get("discipline") or "").strip()
        if not name or len(name) > 300:
            problems["discipline"] = tr("название дисциплины обязательно (до 300 символов)")
        credits = _number(row.get("credits"))
        if credits is None or not 0 < credits <= 60:
            problems["credits"] = tr("кредиты ECTS обязательны: число больше 0, не больше 60")
        letter, points = _grade(row, grades, problems)
        term = row.get("term")
        if term not in (None, "") and (_number(term) is None or not 1 <= float(term) <= 12
                                       or float(term) != int(float(term))):
            problems["term"] = tr("номер семестра от 1 до 12")
        for field_name, reason in problems.items():
            fields[f"{prefix}.{index}.{field_name}"] = tr("строка %(line)s: %(reason)s", line=line,
                                                          reason=reason)
        if not problems:
            code = str(row.get("discipline_code") or "").strip()[:32]
            out.append({"discipline": name, "discipline_code": code or None, "credits": _whole(credits),
                        "points": points, "letter": letter,
                        "term": int(float(term)) if term not in (None, "") else None})
    if fields:
        raise Invalid("Транскрипт не принят: исправьте отмеченные строки", fields)
    return out


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(str(value).replace(",", ".")) if value not in (None, "") else None
    except ValueError:
        return None


def _whole(value: float | None) -> float | int | None:
    return int(value) if value is not None and value == int(value) else value


def _grade(row: dict[str, Any], grades: GradeScale,
           problems: dict[str, Msg]) -> tuple[str | None, int | None]:
    raw_points, raw_letter = row.get("points"), row.get("letter")
    letter = str(raw_letter).strip().upper() if raw_letter not in (None, "") else None
    if raw_points in (None, ""):
        if letter is None:
            problems["letter"] = tr("укажите буквенную оценку или баллы")
        elif letter not in grades.letters:
            problems["letter"] = tr("буквы %(letter)s нет в шкале: %(letters)s", letter=letter,
                                    letters=", ".join(grades.letters))
        return letter, None
    points, expected, by_field = points_problems(raw_points, letter, grades)
    problems.update(by_field)
    return expected, points


def read_transcript(ctx: AppContext, actor: Actor, filename: str, content: bytes,
                    mapping: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """The rows of a sending university's transcript uploaded as CSV/XLSX, checked: the
    mapping names the file's column of each field (default: the field's own name). A column
    that is neither a field nor mapped to one, and every bad row, are refused naming the row
    and the field; nothing is stored here (the rows go into the registration or the form)."""
    require_keeper(actor)
    unknown = sorted(set(mapping or {}) - set(EARLIER_FIELDS))
    if unknown:
        raise Invalid("Сопоставление столбцов не принято: %(names)s — нет таких полей",
                      {"mapping": tr("допустимые поля: %(names)s", names=", ".join(EARLIER_FIELDS))},
                      names=", ".join(unknown))
    columns = {(mapping or {}).get(f, f).strip().lower(): f for f in EARLIER_FIELDS}
    table = read_table(filename, content, TRANSCRIPT_LIMITS)
    header = list(table[0]) if table else []
    strange = [c for c in header if c and c not in columns]
    if strange:
        raise Invalid("Транскрипт не принят: в файле есть неизвестные столбцы", {
            f"columns.{c}": tr("столбец «%(column)s» (строка 1): такого поля нет, допустимы %(names)s",
                               column=c, names=", ".join(EARLIER_FIELDS)) for c in strange})
    rows = [{columns[c]: _cell(v) for c, v in r.items() if c in columns} for r in table]
    try:
        return check_earlier(rows, scale(ctx), "rows")
    except Invalid as exc:  # name the file's line: its header is line 1
        raise Invalid(exc.message, {_file_line(k): v for k, v in exc.fields.items()}) from None


def _cell(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value.strip() if isinstance(value, str) else value


def _file_line(key: str) -> str:
    parts = key.split(".")
    if len(parts) >= 2 and parts[1].isdigit():
        parts[1] = str(int(parts[1]) + 2)  # rows.0 is the file's line 2
    return ".".join(["line", *parts[1:]])


# --- the proposal ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Subject:
    """What the proposal of a case compares: whose results, which curriculum."""

    programme_code: str
    enrol_year: int
    admission_year: int
    level: str | None
    final_year: bool


def _subject(ctx: AppContext, case: Case, data: dict[str, Any]) -> Subject | None:
    person = data.get("applicant") or data.get("student") or {}
    if case.process_id == "transfer_internal":
        programme = data.get("new_programme_code") or person.get("programme_code")
    elif case.process_id == "reinstatement":
        programme = data.get("enrol_programme_code") or person.get("programme_code")
    else:
        programme = person.get("programme_code")
    try:
        year = int(data.get("enrol_year") or person.get("year") or 0)
    except (TypeError, ValueError):
        return None
    if not programme or year < 1:
        return None
    start = academic_year_start(ctx.local_today())
    level = person.get("level") or (data.get("applicant") or {}).get("level")
    return Subject(str(programme), year, start - (year - 1), level, bool(data.get("final_year")))


def _curriculum(session: Session, programme: str, admission: int) -> list[Target]:
    rows = session.execute(
        select(CurriculumItem, Discipline).join(Discipline, Discipline.id == CurriculumItem.discipline_id)
        .where(CurriculumItem.programme_code == programme, CurriculumItem.admission_year == admission)).all()
    return [Target(d.code, d.name_ru, d.name_kk, d.name_en, i.credits, i.semester) for i, d in rows]


def _own_student(session: Session, case: Case, data: dict[str, Any]) -> Student | None:
    """Our (former) student whose record a reinstatement or an internal transfer reads: the
    case's student, or the registry's student with the applicant's ИИН."""
    if case.process_id not in ("reinstatement", "transfer_internal"):
        return None
    if case.student_id is not None:
        return session.get(Student, case.student_id)
    iin = str((data.get("applicant") or {}).get("iin") or "")
    return session.scalar(select(Student).where(Student.iin == iin)) if iin else None


def _earlier(ctx: AppContext, session: Session, case: Case, data: dict[str, Any]) -> list[Earlier]:
    student = _own_student(session, case, data)
    if student is not None:
        lines = [x for t in record_of(session, student, scale(ctx)).terms for x in t.lines]
        return [Earlier(x.name_ru, x.credits, x.letter, x.term, x.discipline_code, x.points) for x in lines]
    rows = data.get("earlier_results")
    if rows is None:
        rows = (data.get("applicant") or {}).get("earlier_results")
    return [earlier_from_mapping(r) for r in rows or [] if isinstance(r, dict)]


@dataclass(frozen=True)
class CaseProposal:
    subject: Subject
    proposal: Proposal
    has_curriculum: bool
    from_record: bool
    has_earlier: bool  # any earlier result to compare (none typed yet: nothing is proposed)


def case_proposal(ctx: AppContext, session: Session, case: Case, bundle: ProcessBundle,
                  form_key: str | None, data: dict[str, Any]) -> CaseProposal | None:
    """The proposal a difference step shows, or None for another step (or a case that does
    not say its programme and course yet)."""
    if form_key not in DIFFERENCE_FORMS:
        return None
    subject = _subject(ctx, case, data)
    if subject is None:
        return None
    curriculum = _curriculum(session, subject.programme_code, subject.admission_year)
    limit = None
    if (task := DIFFERENCE_FORMS[form_key]) and subject.level:
        decided = literal_decision(bundle, task, {'applicant["level"]': subject.level,
                                                  "final_year": subject.final_year})
        value = (decided or {}).get("max_difference_credits")
        limit = int(value) if isinstance(value, int | float) else None
    grades = scale(ctx)
    earlier = _earlier(ctx, session, case, data) if curriculum else []
    proposal = propose(earlier, curriculum, subject.enrol_year, grades.debt_letters,
                       load_rule(ctx.settings.config_dir), limit)
    return CaseProposal(subject, proposal, bool(curriculum), _own_student(session, case, data) is not None,
                        bool(earlier))


def proposed_lines(found: CaseProposal) -> dict[str, Any]:
    """The form's fields as the proposal fills them."""
    p = found.proposal
    difference = [{"discipline": m.target.name_ru, "discipline_kk": m.target.name_kk,
                   "discipline_code": m.target.code, "credits": m.target.credits,
                   "semester": m.target.semester} for m in p.difference]
    recredit = [{"discipline": r.target.name_ru, "discipline_kk": r.target.name_kk,
                 "discipline_code": r.target.code, "credits": r.target.credits, "semester": r.target.semester,
                 "earlier_discipline": r.earlier.name, "earlier_credits": _whole(float(r.earlier.credits)),
                 "earlier_letter": r.earlier.letter} for r in p.recredit]
    return {"difference": difference, "recredit": recredit, "difference_credits": p.difference_credits}


def prefilled(data: dict[str, Any], found: CaseProposal | None) -> dict[str, Any]:
    """The task's data with the proposal's difference lines and total when no one has
    confirmed lines yet (the re-credit is shown beside the form, not typed in it). With no earlier
    result in the case (the transcript not entered) nothing is proposed: every discipline would
    read as difference."""
    if found is None or not found.has_curriculum or not found.has_earlier or data.get("difference"):
        return data
    lines = proposed_lines(found)
    return {**data, "difference": lines["difference"], "difference_credits": lines["difference_credits"]}


def with_recredit(ctx: AppContext, session: Session, case: Case, bundle: ProcessBundle,
                  form_key: str | None, clean: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """A confirmed difference step keeps the proposal's re-credit lines (`recredit`: the
    curriculum discipline and the earlier result that covers it) for the student's file —
    without the disciplines the dean put into the difference."""
    if form_key not in DIFFERENCE_FORMS or not isinstance(clean.get("difference"), list):
        return clean
    found = case_proposal(ctx, session, case, bundle, form_key, {**data, **clean})
    if found is None or not found.has_curriculum:
        return clean
    kept = {str(x.get("discipline_code") or "") for x in clean["difference"]} - {""}
    recredit = [x for x in proposed_lines(found)["recredit"] if x["discipline_code"] not in kept]
    return {**clean, "recredit": recredit}


def checked_lines(session: Session, form_key: str | None, clean: dict[str, Any]) -> dict[str, Any]:
    """A difference step's submission with `difference_credits` computed from its lines (a
    total typed that disagrees with them is refused naming the field) and each line's Kazakh
    name: typed, or our discipline's (by code, else by the Russian name); a line with neither
    is refused naming its `discipline_kk` — the Kazakh order prints it."""
    if form_key not in DIFFERENCE_FORMS or not isinstance(clean.get("difference"), list):
        return clean
    lines = [dict(x) for x in clean["difference"] if isinstance(x, dict)]
    fields: dict[str, Msg] = {}
    known = _kazakh_names(session, lines)
    for index, line in enumerate(lines):
        kk = str(line.get("discipline_kk") or "").strip() or known.get(
            str(line.get("discipline_code") or "")) or known.get(normalized(line.get("discipline") or ""))
        if kk:
            line["discipline_kk"] = kk
        else:
            fields[f"difference.{index}.discipline_kk"] = tr(
                "строка %(line)s: укажите название дисциплины на казахском языке — его нет в справочнике "
                "дисциплин", line=index + 1)
    total = sum(int(x.get("credits") or 0) for x in lines)
    given = clean.get("difference_credits")
    if given is not None and given != total:
        fields["difference_credits"] = tr(
            "всего %(given)s кредитов, а сумма дисциплин академической разницы — %(total)s: исправьте "
            "итог или строки", given=given, total=total)
    if fields:
        raise Invalid(REFUSED, fields)
    return {**clean, "difference": lines, "difference_credits": total}


def _kazakh_names(session: Session, lines: list[dict[str, Any]]) -> dict[str, str]:
    """Our disciplines' Kazakh names by code and by normalized Russian name (one read)."""
    codes = {str(x.get("discipline_code")) for x in lines if x.get("discipline_code")}
    names = {str(x.get("discipline") or "").strip() for x in lines}
    found = session.scalars(select(Discipline).where(
        Discipline.code.in_(sorted(codes)) | Discipline.name_ru.in_(sorted(names)))).all()
    out = {d.code: d.name_kk for d in found if d.name_kk}
    out.update({normalized(d.name_ru): d.name_kk for d in found if d.name_kk})
    return out


def earlier_step(form_key: str | None, clean: dict[str, Any], grades: GradeScale) -> dict[str, Any]:
    """The check step of a transfer: the transcript's rows the registrar typed, checked."""
    if form_key in EARLIER_FORMS and clean.get("earlier_results") is not None:
        return {**clean, "earlier_results": check_earlier(clean["earlier_results"], grades)}
    return clean

