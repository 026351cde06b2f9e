"""The procedures on the record: what their applications are checked against where they enter,
and the service steps that write the record.

- A grade appeal (`grade_appeal`) names the discipline and term of a recorded result: the
  student must have it, and the application must come no later than the next working day
  after the result was published (the grade sheet's lock, or the row's recording when it came
  otherwise) — DOMAIN.md «Academic record» [assumed time limit]. The case starts with the
  appealed result (`appealed_result`); the commission's decision is written by `record/correct`
  as a correction row naming the case.
- A retake (`retake`) lists disciplines in academic debt (the counting result FX or F): each
  must be. The case starts with `retake_items` and whether accounting confirms a payment
  (`payment_required`: an F is studied again in the paid summer semester; [assumed] an FX
  retake of the final control is free of charge unless the office says otherwise). The
  registrar records the new points; `record/append` writes them as new attempts naming the case
  (and the grade sheet when there is one).
- A certificate for those who did not complete studies (`cert_incomplete`) starts with the
  disciplines and credits of the record (`disciplines`, the rows its transcript form opens with).
- A transcript (`transcript`) needs at least one result of the student (transcripts.py).

Refusals at entry are `Invalid` naming the application's field (`data.<name>`), raised before
the case row is written: a refused application stores nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.domain.grading import GradeScale
from server.domain.labels import date_text
from server.models import Discipline, GradeSheet, Result, Student
from server.services.context import AppContext
from server.services.errors import Invalid, Msg, joined, tr
from server.services.record.access import scale
from server.services.record.difference import check_earlier
from server.services.record.queries import record_of
from server.services.record.results import append_attempt, correct_in_session
from server.services.record.transcripts import TRANSCRIPT, check_transcript

APPEAL = "grade_appeal"
RETAKE = "retake"
INCOMPLETE = "cert_incomplete"
TRANSFER_IN = "transfer_in"
# [assumed] an FX is retaken free of charge (the final control again); an F is studied again in
# the paid summer semester. The office changes this here if its rules say otherwise.
PAID_LETTERS = frozenset({"F"})
APPEAL_DECISIONS = {"raise": "grade_raised", "lower": "grade_lowered", "keep": "grade_kept"}

EntryCheck = Callable[[AppContext, Session, Student, dict[str, Any], datetime], dict[str, Any]]


def _local_date(ctx: AppContext, moment: datetime) -> date:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ctx.tz).date()


def _rows(session: Session, student_id: int, discipline_id: int) -> list[Result]:
    """Every row of the student's discipline, the counting one first (latest attempt, latest row)."""
    return list(session.scalars(select(Result).where(
        Result.student_id == student_id, Result.discipline_id == discipline_id)
        .order_by(Result.attempt.desc(), Result.id.desc())))


def _discipline_info(discipline: Discipline, row: Result) -> dict[str, Any]:
    return {"result_id": row.id, "discipline_code": discipline.code, "discipline_name": discipline.name_ru,
            "discipline_name_kk": discipline.name_kk, "discipline_name_en": discipline.name_en,
            "credits": discipline.credits, "term": row.term, "academic_year": row.academic_year,
            "attempt": row.attempt, "points": row.points, "letter": row.letter}


def published_on(ctx: AppContext, session: Session, rows: list[Result]) -> date:
    """When the counting attempt's result was published: its grade sheet's lock, or when its
    first row was recorded (an import, an entry by hand)."""
    attempt = rows[0].attempt
    first = min((r for r in rows if r.attempt == attempt), key=lambda r: r.id)
    sheet = session.get(GradeSheet, first.sheet_id) if first.sheet_id is not None else None
    moment = sheet.locked_at if sheet is not None and sheet.locked_at is not None else first.created_at
    return _local_date(ctx, moment)


def check_appeal(ctx: AppContext, session: Session, student: Student, data: dict[str, Any],
                 received: datetime) -> dict[str, Any]:
    """The appealed result, or `Invalid` naming the field: an unknown discipline, no result of
    the student in it, a result of another term, an application after the time limit."""
    refused = "Апелляция не зарегистрирована: исправьте отмеченные поля"
    code = str(data.get("discipline_code") or "").strip()
    discipline = session.scalar(select(Discipline).where(Discipline.code == code))
    if discipline is None:
        raise Invalid(refused, {"data.discipline_code": tr("неизвестная дисциплина %(code)s", code=code)})
    rows = _rows(session, student.id, discipline.id)
    if not rows:
        raise Invalid(refused, {"data.discipline_code": tr(
            "у обучающегося нет результата по дисциплине %(code)s", code=code)})
    counting = rows[0]
    if counting.term != data.get("term"):
        raise Invalid(refused, {"data.term": tr(
            "результат по дисциплине %(code)s записан за %(term)s семестр", code=code, term=counting.term)})
    published = published_on(ctx, session, rows)
    last_day = ctx.calendar.next_working_day(published)
    if _local_date(ctx, received) > last_day:
        raise Invalid("Апелляция не зарегистрирована: срок подачи истёк", {"received_at": tr(
            "результат опубликован %(published)s, апелляция подаётся не позднее следующего рабочего "
            "дня — %(last_day)s", published=date_text(published), last_day=date_text(last_day))})
    return {"appealed_result": {**_discipline_info(discipline, counting),
                                "sheet_id": counting.sheet_id, "published_on": date_text(published),
                                "appeal_until": date_text(last_day)}}


def check_retake(ctx: AppContext, session: Session, student: Student, data: dict[str, Any],
                 received: datetime) -> dict[str, Any]:
    """The listed disciplines in debt, or `Invalid` naming `data.disciplines` with the reason of
    each discipline that is not in debt or not known."""
    grades = scale(ctx)
    codes = [str(c).strip() for c in data.get("disciplines") or []]
    known = {d.code: d for d in session.scalars(select(Discipline).where(Discipline.code.in_(codes)))}
    items: list[dict[str, Any]] = []
    reasons: list[Msg] = []
    for code in codes:
        discipline = known.get(code)
        rows = _rows(session, student.id, discipline.id) if discipline is not None else []
        if discipline is None:
            reasons.append(tr("неизвестная дисциплина %(code)s", code=code))
        elif not rows:
            reasons.append(tr("у обучающегося нет результата по дисциплине %(code)s", code=code))
        elif not grades.is_debt(rows[0].letter):
            reasons.append(tr("дисциплина %(code)s не в академической задолженности: %(letter)s, баллы — "
                              "%(points)s", code=code, letter=rows[0].letter, points=rows[0].points))
        else:
            paid = rows[0].letter in PAID_LETTERS
            items.append({**_discipline_info(discipline, rows[0]),
                          "kind": "summer_semester" if paid else "final_control_retake", "paid": paid})
    if reasons:
        raise Invalid("Заявление на пересдачу не зарегистрировано: исправьте отмеченные поля",
                      {"data.disciplines": joined(reasons)})
    return {"retake_items": items, "payment_required": any(x["paid"] for x in items)}


def incomplete_disciplines(ctx: AppContext, session: Session, student: Student, data: dict[str, Any],
                           received: datetime) -> dict[str, Any]:
    """The certificate for those who did not complete studies lists the disciplines studied:
    from the record, each discipline's counting result in the rows of the registrar's form
    (`disciplines` of cert_incomplete/prepare_transcript, which opens filled with them and
    is checked and completed there; the certificate prints what the form holds). Hours are
    the ECTS credits × HOURS_PER_CREDIT. Nothing when the record has no results (the registrar
    types them from the grade sheets as before)."""
    lines = sorted((line for term in record_of(session, student, scale(ctx)).terms for line in term.lines),
                   key=lambda x: (x.term, x.discipline_code))
    listed = [{"semester": x.term, "discipline": x.name_ru, "discipline_kk": x.name_kk, "credits": x.credits,
               "hours": x.credits * HOURS_PER_CREDIT, "grade": x.letter, "grade_points": x.points}
              for x in lines]
    return {"disciplines": listed} if listed else {}


# One ECTS credit is 30 academic hours (the rules on organising study under the credit
# technology).
HOURS_PER_CREDIT = 30
ENTRY_CHECKS: dict[str, EntryCheck] = {APPEAL: check_appeal, RETAKE: check_retake,
                                       INCOMPLETE: incomplete_disciplines, TRANSCRIPT: check_transcript}


def check_entry(ctx: AppContext, session: Session, process_id: str, student: Student | None,
                data: dict[str, Any], received: datetime) -> dict[str, Any]:
    """The case data a procedure on the record adds to its application, once it is checked
    against the record (nothing for other procedures). A transfer's transcript typed at
    registration is checked row by row and kept as the case's `earlier_results`."""
    if process_id == TRANSFER_IN and isinstance(data.get("applicant"), dict) \
            and data["applicant"].get("earlier_results") is not None:
        return {"earlier_results": check_earlier(data["applicant"]["earlier_results"], scale(ctx),
                                                 "data.applicant.earlier_results")}
    check = ENTRY_CHECKS.get(process_id)
    if check is None or student is None:
        return {}
    return check(ctx, session, student, data, received)


# --- the service steps --------------------------------------------------------------------------
def write_appeal_decision(session: Session, grades: GradeScale, case_id: int, student_id: int,
                          params: dict[str, Any], recorded_by: int | None) -> tuple[Result, Result] | None:
    """The commission's decision on an appealed result: keep (nothing written), raise or lower
    (a correction row of the attempt naming the case). The (old, new) rows, or None when kept.
    A raise that does not raise (or a lowering that does not lower) is refused naming
    `new_points`."""
    decision = str(params.get("decision") or "")
    if decision not in APPEAL_DECISIONS:
        raise Invalid("Решение комиссии не записано: исправьте отмеченные поля",
                      {"commission_decision": tr("решение: оставить, повысить или понизить")})
    if decision == "keep":
        return None
    original = session.get(Result, int(params.get("result_id") or 0))
    if original is None or original.student_id != student_id:
        raise Invalid("Решение комиссии не записано: исправьте отмеченные поля",
                      {"result_id": tr("нет такого результата")})
    try:
        points = int(params.get("points"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        points = -1
    wrong = ((decision == "raise" and points <= original.points)
             or (decision == "lower" and points >= original.points))
    if wrong:
        reason = (tr("при повышении новые баллы должны быть больше %(points)s", points=original.points)
                  if decision == "raise" else
                  tr("при понижении новые баллы должны быть меньше %(points)s", points=original.points))
        raise Invalid("Решение комиссии не записано: исправьте отмеченные поля", {"new_points": reason})
    new = correct_in_session(session, grades, original, points, str(params.get("reason") or ""), case_id,
                             recorded_by)
    return original, new


def write_retake_results(session: Session, grades: GradeScale, case_id: int, student_id: int,
                         items: list[dict[str, Any]], entered: list[Any], academic_year: str,
                         sheet_id: Any, recorded_by: int | None) -> list[tuple[Result, Result]]:
    """Each retaken discipline's new points as the next attempt naming the case (and the grade
    sheet when given): the (previous counting row, new row) pairs. Every discipline of the
    application gets exactly one result; anything else is refused naming `results`."""
    wanted = {str(x["discipline_code"]): x for x in items}
    given: dict[str, Any] = {}
    for entry in entered if isinstance(entered, list) else []:
        if isinstance(entry, dict):
            given[str(entry.get("discipline_code") or "")] = entry.get("points")
    if set(given) != set(wanted):
        missing = sorted(set(wanted) - set(given))
        extra = sorted(set(given) - set(wanted))
        raise Invalid("Результаты пересдачи не записаны: исправьте отмеченные поля", {"results": tr(
            "нужны баллы по каждой дисциплине заявления, и только по ним: не хватает %(missing)s; "
            "лишние %(extra)s", missing=", ".join(missing) or "—", extra=", ".join(extra) or "—")})
    digits = isinstance(sheet_id, str) and sheet_id.isdigit()
    sheet = int(sheet_id) if isinstance(sheet_id, int) or digits else None
    if sheet is not None and session.get(GradeSheet, sheet) is None:
        raise Invalid("Результаты пересдачи не записаны: исправьте отмеченные поля",
                      {"sheet_id": tr("нет такой ведомости")})
    written = []
    for code, item in wanted.items():
        previous = session.get(Result, int(item["result_id"]))
        assert previous is not None and previous.student_id == student_id
        new = append_attempt(session, grades, student_id, previous.discipline_id, academic_year,
                             previous.term, given[code], recorded_by=recorded_by, case_id=case_id,
                             sheet_id=sheet)
        written.append((previous, new))
    return written
