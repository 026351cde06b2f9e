"""Contingent movement over a period, counted from the registry's recorded changes.

Every signed order that changes a student's record leaves a row in ``student_changes`` (who,
which fields from what to what, which case and order number, when: server/services/students/
registry.py). The registry as it stands now, with those changes undone from the newest back,
gives the record of every student at any moment since the changes began; this module takes the
state at the end of the period (closing), undoes the period's changes one by one down to its
start (opening), and classifies each undone change by what it did to the student:

* out of the contingent into it: **enrolled** (an enrolment order, or a record the order
  created), **transferred in** (``transfer_in``), **reinstated** (``reinstatement``);
* out of it: **expelled** (by the order's ground), **transferred out** (status
  ``transferred_out``: a transfer order or an expulsion on the ground «transfer»), **graduated**;
* within it, to another line (faculty, programme, form, funding basis or citizenship):
  **internal transfer out** of the old line and **in** to the new one (a change of programme,
  a vacant grant awarded, ...), by the procedure that made it;
* within the same line: **went on academic leave** and **returned from leave**, shown but not
  part of the balance (a student on leave stays in the contingent [assumed, as 3-НК counts them]).

The contingent is the students whose status is ``active`` or ``on_leave``. Per line, per faculty
and in total: opening + enrolled + transferred in + reinstated + internal in − expelled −
transferred out − graduated − internal out = closing (``balanced``). Students loaded by the
registry import have no change rows: their record counts as it is for the whole period
[assumed: the import is the registry's starting point, not a movement].

The expulsion ground is read from the order the change belongs to (the order's context prints
it: ``students[].ground_ru``) and named from the catalog (``expulsion.decision_grounds``); a case
whose order has no ground falls back to its outcome when that is a ground code, and only then to
«основание не указано»."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import Actor
from server.db import utcnow
from server.models import Case, Document, Faculty, Programme, Student, StudentChange
from server.services.context import AppContext
from server.services.reports.labels import UNKNOWN, Words, words
from server.services.reports.public_services import Period, check_reader

CONTINGENT = frozenset({"active", "on_leave"})
# The line a student counts in; the report's rows are these, in this order.
DIMENSIONS = ("faculty_code", "programme_code", "form", "funding", "citizenship")
# A student's state as the report reads it (faculty by its code, as student_changes records it).
FIELDS = (*DIMENSIONS, "status", "programme_name")
INFLOWS = ("enrolled", "transferred_in", "reinstated", "internal_in")
OUTFLOWS = ("expelled", "transferred_out", "graduated", "internal_out")
ON_LEAVE = ("leave_started", "leave_ended")
COUNTS = ("opening", *INFLOWS, *OUTFLOWS, "closing", *ON_LEAVE, "on_leave_closing")
CATEGORIES: dict[str, Words] = {
    "opening": {"ru": "На начало периода", "kk": "Кезең басында", "en": "At the start"},
    "enrolled": {"ru": "Зачислено", "kk": "Қабылданды", "en": "Enrolled"},
    "transferred_in": {"ru": "Переведено из других вузов", "kk": "Басқа ЖОО-дан ауысты",
                       "en": "Transferred in from other universities"},
    "reinstated": {"ru": "Восстановлено", "kk": "Қайта қабылданды", "en": "Reinstated"},
    "internal_in": {"ru": "Переведено внутри вуза (прибыло)", "kk": "ЖОО ішінде ауысып келді",
                    "en": "Internal transfer in"},
    "expelled": {"ru": "Отчислено", "kk": "Оқудан шығарылды", "en": "Expelled"},
    "transferred_out": {"ru": "Переведено в другие вузы", "kk": "Басқа ЖОО-ға ауысты",
                        "en": "Transferred out to other universities"},
    "graduated": {"ru": "Выпуск", "kk": "Бітірді", "en": "Graduated"},
    "internal_out": {"ru": "Переведено внутри вуза (выбыло)", "kk": "ЖОО ішінде ауысып кетті",
                     "en": "Internal transfer out"},
    "closing": {"ru": "На конец периода", "kk": "Кезең соңында", "en": "At the end"},
    "leave_started": {"ru": "Ушли в академический отпуск", "kk": "Академиялық демалысқа шықты",
                      "en": "Went on academic leave"},
    "leave_ended": {"ru": "Вышли из академического отпуска", "kk": "Академиялық демалыстан оралды",
                    "en": "Returned from academic leave"},
    "on_leave_closing": {"ru": "Из них в академическом отпуске на конец периода",
                         "kk": "Оның ішінде кезең соңында академиялық демалыста",
                         "en": "Of them on academic leave at the end"},
}
# What moved a student within the contingent, by the procedure of the order.
INTERNAL_REASONS: dict[str, Words] = {
    "transfer_internal": {"ru": "перевод внутри вуза", "kk": "ЖОО ішінде ауысу",
                          "en": "transfer within the university"},
    "vacant_grant": {"ru": "присуждение вакантного гранта", "kk": "бос грантты беру",
                     "en": "vacant state grant awarded"},
    "other": {"ru": "иной приказ", "kk": "өзге бұйрық", "en": "another order"},
}
NOT_SPECIFIED: Words = {"ru": "основание не указано", "kk": "негіз көрсетілмеген", "en": "ground not given"}
# English names of the catalog's expulsion grounds (the catalog holds Russian and Kazakh).
GROUNDS_EN = {
    "academic_failure": "academic failure", "absences": "absences without a valid reason",
    "integrity_violation": "breach of academic integrity",
    "rules_breach": "breach of the internal rules or the contract", "non_payment": "tuition not paid",
    "own_will": "at own request", "transfer": "transfer to another university",
    "failed_final_attestation": "failed the final attestation", "death": "death", "other": "other ground",
}

State = dict[str, Any]


def _current(session: Session) -> dict[int, State]:
    """Every student's record now, as the report reads it."""
    stmt = select(Student.id, Faculty.code, Student.programme_code, Student.form, Student.funding,
                  Student.citizenship, Student.status, Student.programme_name) \
        .join(Faculty, Faculty.id == Student.faculty_id)
    return {sid: dict(zip(FIELDS, values, strict=True)) for sid, *values in session.execute(stmt)}


def _changes_since(session: Session, start: datetime) -> list[tuple[Any, ...]]:
    """(student, action, changes, case, process, outcome, at) of every change since `start`,
    newest first (the order they are undone in)."""
    stmt = (select(StudentChange.student_id, StudentChange.action, StudentChange.changes,
                   StudentChange.case_id, Case.process_id, Case.outcome, StudentChange.at,
                   Student.iin)
            .join(Case, Case.id == StudentChange.case_id)
            .join(Student, Student.id == StudentChange.student_id)
            .where(StudentChange.at >= start)
            .order_by(StudentChange.at.desc(), StudentChange.id.desc()))
    return list(session.execute(stmt))


def _undo(states: dict[int, State], student_id: int, action: str, changes: dict[str, Any]) -> None:
    """The record before the change: a record the change created did not exist."""
    if action == "created":
        states.pop(student_id, None)
        return
    state = states.get(student_id)
    if state is None:  # [assumed] cannot happen: an update follows the creation
        return
    for name, values in (changes or {}).items():
        if name in state and isinstance(values, dict):
            state[name] = values.get("before")


def _line(state: State) -> tuple[str, ...]:
    return tuple(str(state.get(d) or "") for d in DIMENSIONS)


def _expulsion_grounds(ctx: AppContext, session: Session,
                       case_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """(case, ИИН) -> the ground code of the expulsion order that case issued (its latest version)."""
    ids = sorted(set(case_ids))
    if not ids:
        return {}
    by_words = {g.ru: g.code for g in _grounds_catalog(ctx)}
    stmt = (select(Document.case_id, Document.context)
            .where(Document.case_id.in_(ids), Document.register == "orders", Document.language == "ru")
            .order_by(Document.case_id, Document.version, Document.id))
    found: dict[tuple[int, str], str] = {}
    for case_id, context in session.execute(stmt):
        for row in (context or {}).get("students") or []:
            ground = str(row.get("ground_ru") or "")
            if ground:
                found[(case_id, str(row.get("iin") or ""))] = by_words.get(ground, "other")
    return found


def _grounds_catalog(ctx: AppContext) -> tuple[Any, ...]:
    try:
        return ctx.catalog.service("expulsion").decision_grounds
    except KeyError:
        return ()


def ground_names(ctx: AppContext) -> dict[str, Words]:
    names = {g.code: {"ru": g.ru, "kk": g.kk, "en": GROUNDS_EN.get(g.code, g.ru)}
             for g in _grounds_catalog(ctx)}
    names.setdefault("other", {"ru": "иное основание", "kk": "өзге негіз", "en": GROUNDS_EN["other"]})
    names["not_specified"] = dict(NOT_SPECIFIED)
    return names


class _Tally:
    """Counts per line, with the expulsion grounds and the reasons of internal transfers."""

    def __init__(self) -> None:
        self.lines: dict[tuple[str, ...], dict[str, int]] = {}
        self.grounds: dict[tuple[str, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.reasons: dict[tuple[str, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.names: dict[tuple[str, ...], str] = {}

    def add(self, line: tuple[str, ...], what: str, n: int = 1) -> None:
        counts = self.lines.setdefault(line, dict.fromkeys(COUNTS, 0))
        counts[what] += n


def _classify(tally: _Tally, before: State | None, after: State, process: str, ground: str) -> None:
    was_in = before is not None and before["status"] in CONTINGENT
    now_in = after["status"] in CONTINGENT
    if not was_in and now_in:
        what = {"transfer_in": "transferred_in", "reinstatement": "reinstated"}.get(process, "enrolled")
        tally.add(_line(after), what)
    elif was_in and not now_in:
        assert before is not None
        line = _line(before)
        if after["status"] == "graduated":
            tally.add(line, "graduated")
        elif after["status"] == "transferred_out":
            tally.add(line, "transferred_out")
        else:
            tally.add(line, "expelled")
            tally.grounds[line][ground] += 1
    elif was_in and now_in:
        assert before is not None
        if _line(before) != _line(after):
            reason = process if process in INTERNAL_REASONS else "other"
            tally.add(_line(before), "internal_out")
            tally.add(_line(after), "internal_in")
            tally.reasons[_line(after)][reason] += 1
        elif before["status"] != after["status"]:
            tally.add(_line(after), "leave_started" if after["status"] == "on_leave" else "leave_ended")


def _count(tally: _Tally, states: dict[int, State], what: str) -> None:
    for state in states.values():
        if state["status"] in CONTINGENT:
            tally.add(_line(state), what)
            if what == "closing" and state["status"] == "on_leave":
                tally.add(_line(state), "on_leave_closing")
            tally.names.setdefault(_line(state), str(state.get("programme_name") or ""))


def movement(ctx: AppContext, session: Session, period: Period) -> _Tally:
    """The tally of `period`: closing and opening counts and every classified change."""
    start, end = period.bounds(ctx)
    states = _current(session)
    changes = _changes_since(session, start)
    grounds = _expulsion_grounds(ctx, session, (c[3] for c in changes if c[4] == "expulsion"))
    catalog_grounds = {g.code for g in _grounds_catalog(ctx)}
    tally = _Tally()
    pending = iter(changes)
    row = next(pending, None)
    while row is not None and _aware(ctx, row[6]) >= end:  # after the period: undo to the closing
        _undo(states, row[0], row[1], row[2])
        row = next(pending, None)
    _count(tally, states, "closing")
    while row is not None:
        student_id, action, diff, case_id, process, outcome, _at, iin = row
        after = dict(states[student_id]) if student_id in states else None
        _undo(states, student_id, action, diff)
        before = dict(states[student_id]) if student_id in states else None
        if after is not None:
            ground = grounds.get((case_id, iin)) \
                or (outcome if outcome in catalog_grounds else "not_specified")
            _classify(tally, before, after, process, ground)
        row = next(pending, None)
    _count(tally, states, "opening")
    return tally


def _aware(ctx: AppContext, at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=ctx.tz)


def _balanced(counts: dict[str, int]) -> bool:
    inflow = sum(counts[k] for k in INFLOWS)
    outflow = sum(counts[k] for k in OUTFLOWS)
    return counts["opening"] + inflow - outflow == counts["closing"]


def _sum(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = dict.fromkeys(COUNTS, 0)
    grounds: dict[str, int] = defaultdict(int)
    reasons: dict[str, int] = defaultdict(int)
    for r in rows:
        for k in COUNTS:
            total[k] += r[k]
        for g, n in r["expelled_by_ground"].items():
            grounds[g] += n
        for g, n in r["internal_by_reason"].items():
            reasons[g] += n
    total["expelled_by_ground"] = dict(sorted(grounds.items()))
    total["internal_by_reason"] = dict(sorted(reasons.items()))
    total["balanced"] = _balanced(total)
    return total


def contingent(ctx: AppContext, actor: Actor, period: Period) -> dict[str, Any]:
    """The movement report: one row per line (faculty, programme, form, funding, citizenship),
    subtotals per faculty, totals; every code with its words (ru/kk/en)."""
    check_reader(actor)
    with ctx.db.read() as session:
        tally = movement(ctx, session, period)
        faculties = {f.code: {"ru": f.name_ru, "kk": f.name_kk or f.name_ru, "en": f.name_en or f.name_ru}
                     for f in session.scalars(select(Faculty))}
        programmes = {p.code: {"ru": p.name_ru, "kk": p.name_kk or p.name_ru, "en": p.name_en or p.name_ru}
                      for p in session.scalars(select(Programme))}
    rows = []
    for line in sorted(tally.lines):
        faculty, programme, form, funding, citizenship = line
        counts = tally.lines[line]
        name = tally.names.get(line) or ""
        rows.append({
            "faculty_code": faculty, "faculty": faculties.get(faculty) or dict(UNKNOWN),
            "programme_code": programme,
            "programme": programmes.get(programme) or ({"ru": name, "kk": name, "en": name} if name
                                                       else dict(UNKNOWN)),
            "form": form, "form_name": words("form", form), "funding": funding,
            "funding_name": words("funding", funding), "citizenship": citizenship,
            "citizenship_name": words("citizenship", citizenship), **counts,
            "expelled_by_ground": dict(sorted(tally.grounds.get(line, {}).items())),
            "internal_by_reason": dict(sorted(tally.reasons.get(line, {}).items())),
            "balanced": _balanced(counts)})
    by_faculty: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_faculty[r["faculty_code"]].append(r)
    faculty_rows = [{"faculty_code": code, "faculty": faculties.get(code) or dict(UNKNOWN), **_sum(items)}
                    for code, items in sorted(by_faculty.items())]
    return {"kind": "contingent", "basis": "student_changes", "period": period.label,
            "from": period.first.isoformat(), "to": period.last.isoformat(),
            "generated_at": utcnow().isoformat(), "timezone": ctx.settings.timezone,
            "categories": CATEGORIES, "grounds": ground_names(ctx), "reasons": INTERNAL_REASONS,
            "rows": rows, "faculties": faculty_rows, "totals": _sum(rows)}
