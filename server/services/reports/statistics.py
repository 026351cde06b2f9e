"""The registrar head's and vice-rector's dashboard and the contingent movement statistics.

Both are SQL over indexed columns of ``cases`` (and the orders register); workflow state is never
loaded. Local dates (the university's time zone) are computed by the database, grouped, and
turned into working days here, once per distinct pair of days.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, cast, func, select
from sqlalchemy.orm import Session

from server.auth import Actor
from server.db import utcnow
from server.models import Case, Faculty
from server.models.case import OPEN_STATUSES
from server.services.context import AppContext
from server.services.reports import movement
from server.services.reports.public_services import check_reader, on_time_expr, rendered_clause

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
    return [{"process_id": p, "name_ru": _names(ctx, p)[0], "name_kk": _names(ctx, p)[1],
             "faculty_code": code or UNKNOWN, "faculty_name": name or UNKNOWN, "count": n}
            for p, code, name, n in session.execute(stmt)]


def _overdue_now(ctx: AppContext, session: Session, now: datetime) -> list[dict[str, Any]]:
    stmt = (select(Case.process_id, func.count())
            .where(Case.status.in_(OPEN_STATUSES), Case.deadline_at < now)
            .group_by(Case.process_id).order_by(Case.process_id))
    return [{"process_id": p, "name_ru": _names(ctx, p)[0], "name_kk": _names(ctx, p)[1], "count": n}
            for p, n in session.execute(stmt)]


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
    return [{"process_id": p, "name_ru": _names(ctx, p)[0], "name_kk": _names(ctx, p)[1], "cases": n,
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


# -- contingent movement: counted from the registry's changes (movement.py) ------------------

contingent = movement.contingent
