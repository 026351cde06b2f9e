"""The registrar head's and vice-rector's dashboard and the contingent movement statistics.

Both are SQL over indexed columns of ``cases`` (and the orders register); workflow state is never
loaded. Local dates (the university's time zone) are computed by the database, grouped, and
turned into working days here, once per distinct pair of days.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, and_, cast, func, literal, or_, select
from sqlalchemy.orm import Session

from server.auth import Actor
from server.db import utcnow
from server.models import Case, Document, Faculty, Student
from server.models.case import OPEN_STATUSES
from server.services.context import AppContext
from server.services.reports.public_services import Period, check_reader, on_time_expr, rendered_clause

# The dashboard's average processing time covers the cases decided in this many days [assumed].
PROCESSING_WINDOW_DAYS = 90
TREND_MONTHS = 12
UNKNOWN = "—"


def local_date(ctx: AppContext, column: Any) -> Any:
    """SQL for the local calendar date of a UTC timestamp column.

    PostgreSQL converts with the zone's rules for each timestamp. SQLite (the single-user
    default) has no zone database: the zone's current UTC offset is applied, which differs
    only for timestamps before the zone's last offset change (Almaty: 1 March 2024)."""
    if ctx.db.is_postgres:
        return cast(func.timezone(ctx.settings.timezone, column), Date)
    offset = utcnow().astimezone(ctx.tz).utcoffset() or timedelta(0)
    return func.date(column, f"{int(offset.total_seconds()) // 60:+d} minutes")


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def _names(ctx: AppContext, process_id: str) -> tuple[str, str]:
    try:
        service = ctx.catalog.service(process_id)
    except KeyError:
        return process_id, process_id
    return service.name_ru, service.name_kk


# -- dashboard -------------------------------------------------------------------------------


def _in_progress(ctx: AppContext, session: Session) -> list[dict[str, Any]]:
    stmt = (select(Case.process_id, Faculty.code, Faculty.name_ru, func.count())
            .outerjoin(Faculty, Faculty.id == Case.faculty_id)
            .where(Case.status.in_(OPEN_STATUSES))
            .group_by(Case.process_id, Faculty.code, Faculty.name_ru)
            .order_by(Case.process_id, Faculty.code))
    return [{"process_id": p, "name_ru": _names(ctx, p)[0], "faculty_code": code or UNKNOWN,
             "faculty_name": name or UNKNOWN, "count": n}
            for p, code, name, n in session.execute(stmt)]


def _overdue_now(ctx: AppContext, session: Session, now: datetime) -> list[dict[str, Any]]:
    stmt = (select(Case.process_id, func.count())
            .where(Case.status.in_(OPEN_STATUSES), Case.deadline_at < now)
            .group_by(Case.process_id).order_by(Case.process_id))
    return [{"process_id": p, "name_ru": _names(ctx, p)[0], "count": n} for p, n in session.execute(stmt)]


def _processing_time(ctx: AppContext, session: Session, now: datetime) -> list[dict[str, Any]]:
    """Average working days from receipt to decision, per procedure, over the window."""
    received, decided = local_date(ctx, Case.received_at), local_date(ctx, Case.decided_at)
    stmt = (select(Case.process_id, received, decided, func.count())
            .where(Case.decided_at >= now - timedelta(days=PROCESSING_WINDOW_DAYS),
                   Case.decided_at < now, rendered_clause())
            .group_by(Case.process_id, received, decided))
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    cache: dict[tuple[date, date], int] = {}
    for process_id, r_day, d_day, n in session.execute(stmt):
        pair = (_as_date(r_day), _as_date(d_day))
        if pair not in cache:
            cache[pair] = max(0, ctx.calendar.working_days_between(*pair))
        totals[process_id][0] += cache[pair] * n
        totals[process_id][1] += n
    return [{"process_id": p, "name_ru": _names(ctx, p)[0], "cases": n,
             "avg_working_days": round(days / n, 2)} for p, (days, n) in sorted(totals.items())]


def _month_start(day: date, back: int) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _trend(ctx: AppContext, session: Session, today: date) -> list[dict[str, Any]]:
    """On-time rate of the decisions of each of the last months (the current one included)."""
    first = _month_start(today, TREND_MONTHS - 1)
    start = datetime.combine(first, datetime.min.time(), tzinfo=ctx.tz)
    day = local_date(ctx, Case.decided_at)
    stmt = (select(day, func.count(), func.sum(on_time_expr()))
            .where(Case.decided_at >= start, rendered_clause()).group_by(day))
    months = {_month_start(today, back).strftime("%Y-%m"): [0, 0] for back in range(TREND_MONTHS)}
    for d, n, met in session.execute(stmt):
        key = _as_date(d).strftime("%Y-%m")
        if key in months:
            months[key][0] += n
            months[key][1] += int(met or 0)
    return [{"month": m, "rendered": n, "on_time": met,
             "on_time_rate": round(met / n, 4) if n else None} for m, (n, met) in sorted(months.items())]


def dashboard(ctx: AppContext, actor: Actor, now: datetime | None = None) -> dict[str, Any]:
    """Cases in progress per procedure and faculty, overdue now, average processing time in
    working days, the on-time rate by month."""
    check_reader(actor)
    now = now or utcnow()
    with ctx.db.read() as session:
        return {
            "generated_at": now.isoformat(), "timezone": ctx.settings.timezone,
            "in_progress": _in_progress(ctx, session),
            "overdue_now": _overdue_now(ctx, session, now),
            "processing_time": _processing_time(ctx, session, now),
            "processing_window_days": PROCESSING_WINDOW_DAYS,
            "on_time_trend": _trend(ctx, session, now.astimezone(ctx.tz).date()),
        }


# -- contingent movement -------------------------------------------------------------------

# Movement categories, in the report's column order, with their Russian headings.
CATEGORIES = {
    "enrolled": "Зачислено", "transferred_in": "Переведено из других вузов",
    "transferred_out": "Переведено в другие вузы", "reinstated": "Восстановлено",
    "expelled": "Отчислено", "academic_leave": "Академический отпуск", "graduated": "Выпуск",
}
# process_id → category. `contingent_order` (batch orders) by its outcome [assumed: the batch
# model sets outcome "enrolment"/"enrolled" or "graduation"/"graduated"; promotion is no movement].
PROCESS_CATEGORY = {"transfer_in": "transferred_in", "transfer_out": "transferred_out",
                    "reinstatement": "reinstated", "expulsion": "expelled",
                    "academic_leave": "academic_leave"}
BATCH_OUTCOMES = {"enrolment": "enrolled", "enrolled": "enrolled", "graduation": "graduated",
                  "graduated": "graduated"}
MOVEMENT_PROCESSES = (*PROCESS_CATEGORY, "contingent_order")
NOT_MOVED = ("rejected", "cancelled", "withdrawn")
# Outcomes that name no expulsion ground (the ground is then `refusal_ground`, if recorded).
GENERIC_OUTCOMES = frozenset({"issued", "completed", "expelled"})
DIMENSIONS = ("faculty_code", "faculty_name", "programme_code", "programme_name", "form", "funding")


def category(process_id: str, outcome: str | None) -> str | None:
    if process_id == "contingent_order":
        return BATCH_OUTCOMES.get(outcome or "")
    return PROCESS_CATEGORY.get(process_id)


def expulsion_ground(outcome: str | None, refusal_ground: str | None) -> str:
    """[assumed] The expulsion model records its ground in `refusal_ground`, or as the outcome
    itself (e.g. "academic_failure"); neither → "not_specified"."""
    if refusal_ground:
        return refusal_ground
    if outcome and outcome not in GENERIC_OUTCOMES:
        return outcome
    return "not_specified"


def _movement_select() -> Any:
    student_join = or_(Student.id == Case.student_id,
                       and_(Case.student_id.is_(None), Student.iin == Case.subject_iin))
    faculty_id = func.coalesce(Case.faculty_id, Student.faculty_id)
    return (select(Case.process_id, Case.outcome, Case.refusal_ground, Faculty.code, Faculty.name_ru,
                   Student.programme_code, Student.programme_name, Student.form, Student.funding,
                   func.count())
            .outerjoin(Student, student_join).outerjoin(Faculty, Faculty.id == faculty_id)
            .where(Case.process_id.in_(MOVEMENT_PROCESSES), Case.status.not_in(NOT_MOVED))
            .group_by(Case.process_id, Case.outcome, Case.refusal_ground, Faculty.code, Faculty.name_ru,
                      Student.programme_code, Student.programme_name, Student.form, Student.funding))


def _movements(ctx: AppContext, session: Session, period: Period) -> list[tuple[Any, ...]]:
    """A movement happens when its order is issued: the first document of the case in the
    orders register (its creation time); a case with no order in the register counts when it
    is completed [assumed]."""
    start, end = period.bounds(ctx)
    first_order = (select(Document.case_id, func.min(Document.created_at).label("issued_at"))
                   .where(Document.register == "orders").group_by(Document.case_id).subquery())
    with_order = (_movement_select().join(first_order, first_order.c.case_id == Case.id)
                  .where(first_order.c.issued_at >= start, first_order.c.issued_at < end))
    has_order = select(literal(1)).where(Document.case_id == Case.id, Document.register == "orders")
    without = _movement_select().where(Case.status == "completed", Case.decided_at >= start,
                                       Case.decided_at < end, ~has_order.exists())
    return [*session.execute(with_order).all(), *session.execute(without).all()]


@dataclass
class _Line:
    key: tuple[str, ...]
    counts: dict[str, int]
    expelled_by_ground: dict[str, int]


def contingent(ctx: AppContext, actor: Actor, period: Period) -> dict[str, Any]:
    """Movements per faculty, programme, form and funding basis in `period`, with totals."""
    check_reader(actor)
    with ctx.db.read() as session:
        raw = _movements(ctx, session, period)
    lines: dict[tuple[str, ...], _Line] = {}
    for process_id, outcome, ground, *dims, n in raw:
        cat = category(process_id, outcome)
        if cat is None:
            continue
        key = tuple(str(d) if d else UNKNOWN for d in dims)
        line = lines.setdefault(key, _Line(key, dict.fromkeys(CATEGORIES, 0), {}))
        line.counts[cat] += n
        if cat == "expelled":
            g = expulsion_ground(outcome, ground)
            line.expelled_by_ground[g] = line.expelled_by_ground.get(g, 0) + n
    rows = [{**dict(zip(DIMENSIONS, line.key, strict=True)), **line.counts,
             "expelled_by_ground": dict(sorted(line.expelled_by_ground.items()))}
            for line in sorted(lines.values(), key=lambda x: x.key)]
    totals: dict[str, Any] = {c: sum(r[c] for r in rows) for c in CATEGORIES}
    grounds: dict[str, int] = defaultdict(int)
    for r in rows:
        for g, n in r["expelled_by_ground"].items():
            grounds[g] += n
    totals["expelled_by_ground"] = dict(sorted(grounds.items()))
    return {"kind": "contingent", "period": period.label, "from": period.first.isoformat(),
            "to": period.last.isoformat(), "generated_at": utcnow().isoformat(),
            "categories": CATEGORIES, "rows": rows, "totals": totals}
