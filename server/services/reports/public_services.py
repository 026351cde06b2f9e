"""The monthly public-service report to the ministry (ДВПО): figures per public service for a
month or a date range, stored snapshots, and the automatic report for the previous month.

Definitions (the report's footnotes repeat them; `DEFINITIONS`):

* The period is a range of local calendar days (the university's time zone); its bounds are
  local midnights converted to UTC, so a case received at 00:30 on the 1st of a month local time
  (still the previous day in UTC) belongs to the new month.
* **Received**: the case's ``received_at`` falls in the period; split by channel.
* **Rendered**: a final decision in the period — the case is ``completed`` (the service was
  rendered with a positive result) or ``rejected`` (a reasoned refusal), with ``decided_at`` in
  the period. Cancelled and withdrawn cases are not rendered.
* **On time**: ``decided_at`` is no later than ``deadline_at``, the end of the last allowed day
  computed in Kazakhstan working days by `server.domain.calendar` when the case was registered
  (the State Corporation rule included). A service whose deadline follows the academic
  calendar has no ``deadline_at``: its decisions count as on time [assumed].
* **Late**: rendered after ``deadline_at``; *days overdue* = working days from the deadline day
  to the decision day (``working_days_between``), summed over the late cases, and the maximum.
* **Refusals**: rendered cases that are ``rejected``, by ``refusal_ground`` (none recorded →
  ``other``).
* **In progress at the end of the period**: received before the period's end and not decided
  by then (``decided_at`` empty or after the end), whatever the case's status is now.
* **Electronic / paper results**: a rendered case received through the e-gov portal got its
  result in electronic form (the portal's personal account), any other on paper [assumed: the
  result goes back through the channel the application came by].
* **Complaints**: complaints about the service registered by the office (table
  ``service_complaints``) with the date they came in within the period.
* **Registry code**: the service's code in the register of public services (catalog
  ``registry_code``); a service the office has not yet given its code prints «код не присвоен».

Everything is SQL over indexed columns of ``cases``; workflow state is never loaded.
"""

from __future__ import annotations

import calendar as pycalendar
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.auth import Actor
from server.db import utcnow
from server.domain.calendar import CHANNELS
from server.models import Case, ReportSnapshot, ServiceComplaint
from server.services.cases.filters import local_day_start
from server.services.cases.steps import REFUSED_OUTCOMES, audit, enqueue
from server.services.context import AppContext
from server.services.errors import Forbidden, Invalid, NotFound, tr

log = logging.getLogger(__name__)

READERS = frozenset({"registrar_head", "vice_rector", "admin"})
PUBLIC_SERVICES = "public_services"
# A decision is the outcome recorded with the case's `decided_at`: the refusal, or the order
# issued (a step marked `caseDecision` in the model), even when the case goes on afterwards
# (the personal file is requested, the student returns from leave). Cancelled and withdrawn
# applications are not decisions.
NOT_RENDERED = ("cancelled", "withdrawn")


def rendered_clause() -> Any:
    return and_(Case.decided_at.is_not(None), Case.status.notin_(NOT_RENDERED))
NOTIFY_ROLE = "registrar_head"
DEFINITIONS = (
    "Поступило — дата регистрации заявления приходится на отчётный период "
    "(по местному времени университета).",
    "Оказано — окончательное решение (услуга оказана или мотивированный отказ) принято "
    "в отчётном периоде; отменённые и отозванные заявления не учитываются.",
    "В срок — решение принято не позднее срока, исчисленного в рабочих днях по календарю "
    "Республики Казахстан; при подаче через Госкорпорацию день приёма не учитывается. "
    "Для услуг без установленного срока решение считается принятым в срок.",
    "С нарушением срока — решение принято после срока; дни просрочки — рабочие дни "
    "от последнего дня срока до дня решения.",
    "В работе на конец периода — заявление поступило до конца периода и решение по нему "
    "к концу периода не принято.",
    "Результат в электронной форме — по заявлениям, поданным через портал egov.kz (результат "
    "направляется в личный кабинет); в бумажной форме — по остальным.",
    "Жалобы — жалобы на оказание услуги, поступившие в отчётном периоде и зарегистрированные "
    "офисом регистратора.",
)
COUNTERS = ("received", "received_direct", "received_egov", "received_state_corporation",
            "rendered", "positive", "on_time", "late", "days_overdue", "max_days_overdue",
            "refused", "in_progress", "results_electronic", "results_paper", "complaints")


@dataclass(frozen=True)
class Period:
    """Local calendar days `first`..`last` (both inclusive); `label` names it (YYYY-MM)."""

    first: date
    last: date
    label: str

    def bounds(self, ctx: AppContext) -> tuple[datetime, datetime]:
        """[start, end) as aware datetimes: local midnights of `first` and the day after `last`."""
        return local_day_start(ctx, self.first), local_day_start(ctx, self.last, 1)


def month_period(month: str) -> Period:
    """'YYYY-MM' → the whole month."""
    try:
        first = datetime.strptime(month, "%Y-%m").date()
    except (TypeError, ValueError):
        raise Invalid("Месяц указывается в виде ГГГГ-ММ", {"month": tr("например, 2026-03")}) from None
    last = first.replace(day=pycalendar.monthrange(first.year, first.month)[1])
    return Period(first, last, first.strftime("%Y-%m"))


def range_period(first: date, last: date) -> Period:
    if last < first:
        raise Invalid("Начало периода позже конца", {"from": tr("позже, чем to")})
    if (last - first).days > 3660:
        raise Invalid("Период длиннее десяти лет", {"to": tr("сократите период")})
    return Period(first, last, f"{first.isoformat()}..{last.isoformat()}")


def previous_month(today: date) -> Period:
    return month_period((today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m"))


def check_reader(actor: Actor) -> None:
    if not actor.has_any(READERS):
        raise Forbidden("Отчёты доступны руководителю офиса регистратора, проректору и администратору")


def on_time_expr() -> Any:
    """1 when a decided case met its deadline (no deadline counts as met), else 0."""
    return case((or_(Case.deadline_at.is_(None), Case.decided_at <= Case.deadline_at), 1), else_=0)


def _empty_row(service: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"service": service.code, "registry_code": service.registry_code,
                           "name_ru": service.name_ru, "name_kk": service.name_kk}
    row.update({key: 0 for key in COUNTERS})
    row["refusals"] = {}
    return row


def _received(session: Session, rows: dict[str, dict[str, Any]], start: datetime, end: datetime) -> None:
    stmt = (select(Case.process_id, Case.channel, func.count())
            .where(Case.received_at >= start, Case.received_at < end, Case.process_id.in_(rows))
            .group_by(Case.process_id, Case.channel))
    for process_id, channel, n in session.execute(stmt):
        row = rows[process_id]
        row["received"] += n
        key = f"received_{channel}" if channel in CHANNELS else "received_direct"
        row[key] += n


def _rendered(session: Session, rows: dict[str, dict[str, Any]], start: datetime, end: datetime) -> None:
    in_period = and_(Case.decided_at >= start, Case.decided_at < end, rendered_clause(),
                     Case.process_id.in_(rows))
    on_time = on_time_expr()
    refused = Case.outcome.in_(REFUSED_OUTCOMES)
    stmt = (select(Case.process_id, refused, Case.refusal_ground, on_time, Case.channel, func.count())
            .where(in_period).group_by(Case.process_id, refused, Case.refusal_ground, on_time, Case.channel))
    for process_id, was_refused, ground, met, channel, n in session.execute(stmt):
        row = rows[process_id]
        row["rendered"] += n
        row["on_time" if met else "late"] += n
        row["results_electronic" if channel == "egov" else "results_paper"] += n
        if not was_refused:
            row["positive"] += n
        else:
            row["refused"] += n
            key = ground or "other"
            row["refusals"][key] = row["refusals"].get(key, 0) + n


def _overdue(ctx: AppContext, session: Session, rows: dict[str, dict[str, Any]],
             start: datetime, end: datetime) -> None:
    """Working days overdue of the late decisions (few rows: computed here, per day pair)."""
    stmt = (select(Case.process_id, Case.deadline_at, Case.decided_at)
            .where(Case.decided_at >= start, Case.decided_at < end, rendered_clause(),
                   Case.process_id.in_(rows), Case.deadline_at.is_not(None),
                   Case.decided_at > Case.deadline_at))
    cache: dict[tuple[date, date], int] = {}
    for process_id, deadline_at, decided_at in session.execute(stmt):
        pair = (deadline_at.astimezone(ctx.tz).date(), decided_at.astimezone(ctx.tz).date())
        if pair not in cache:
            cache[pair] = max(0, ctx.calendar.working_days_between(*pair))
        row = rows[process_id]
        row["days_overdue"] += cache[pair]
        row["max_days_overdue"] = max(row["max_days_overdue"], cache[pair])


def _in_progress(session: Session, rows: dict[str, dict[str, Any]], end: datetime) -> None:
    stmt = (select(Case.process_id, func.count())
            .where(Case.received_at < end, or_(Case.decided_at.is_(None), Case.decided_at >= end),
                   Case.process_id.in_(rows))
            .group_by(Case.process_id))
    for process_id, n in session.execute(stmt):
        rows[process_id]["in_progress"] += n


def _complaints(session: Session, rows: dict[str, dict[str, Any]], period: Period) -> None:
    stmt = (select(Case.process_id, func.count()).select_from(ServiceComplaint)
            .join(Case, Case.id == ServiceComplaint.case_id)
            .where(ServiceComplaint.received_on >= period.first, ServiceComplaint.received_on <= period.last,
                   Case.process_id.in_(rows))
            .group_by(Case.process_id))
    for process_id, n in session.execute(stmt):
        rows[process_id]["complaints"] += n


def _totals(rows: list[dict[str, Any]]) -> dict[str, Any]:
    totals: dict[str, Any] = {key: sum(r[key] for r in rows) for key in COUNTERS}
    totals["max_days_overdue"] = max((r["max_days_overdue"] for r in rows), default=0)
    refusals: dict[str, int] = defaultdict(int)
    for r in rows:
        for ground, n in r["refusals"].items():
            refusals[ground] += n
    totals["refusals"] = dict(refusals)
    return totals


def _ground_names(ctx: AppContext, rows: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    names: dict[str, dict[str, str]] = {}
    for row in rows:
        service = ctx.catalog.service(row["service"])
        for code in row["refusals"]:
            ground = next((g for g in service.refusal_grounds if g.code == code), None)
            names[code] = {"ru": ground.ru, "kk": ground.kk} if ground else {"ru": code, "kk": code}
    return names


def compute_public_services(ctx: AppContext, period: Period) -> dict[str, Any]:
    """Every figure of the report for `period`, as plain JSON-ready data."""
    services = ctx.catalog.public_services
    by_code = {s.code: _empty_row(s) for s in services}
    start, end = period.bounds(ctx)
    with ctx.db.read() as session:
        if by_code:
            _received(session, by_code, start, end)
            _rendered(session, by_code, start, end)
            _overdue(ctx, session, by_code, start, end)
            _in_progress(session, by_code, end)
            _complaints(session, by_code, period)
    rows = list(by_code.values())
    for row in rows:
        row["refusals"] = dict(sorted(row["refusals"].items()))
    return {
        "kind": PUBLIC_SERVICES, "period": period.label, "from": period.first.isoformat(),
        "to": period.last.isoformat(), "timezone": ctx.settings.timezone,
        "generated_at": utcnow().isoformat(), "stored": False, "rows": rows,
        "totals": _totals(rows), "grounds": _ground_names(ctx, rows),
        "definitions": list(DEFINITIONS),
    }


def public_services(ctx: AppContext, actor: Actor, period: Period, *, live: bool = False) -> dict[str, Any]:
    """The report for `period`: the stored snapshot of that month when there is one (unchanged
    since it was generated) unless `live`, else computed now."""
    check_reader(actor)
    if not live:
        with ctx.db.read() as session:
            snap = session.scalar(select(ReportSnapshot).where(
                ReportSnapshot.kind == PUBLIC_SERVICES, ReportSnapshot.period == period.label))
            if snap is not None:
                return _snapshot_data(snap)
    return compute_public_services(ctx, period)


def _snapshot_data(snap: ReportSnapshot) -> dict[str, Any]:
    return {**snap.data, "stored": True, "snapshot_id": snap.id,
            "generated_at": snap.generated_at.isoformat()}


# -- stored snapshots ------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredReport:
    snapshot_id: int
    period: str
    created: bool
    generated_at: datetime


def store_public_services(ctx: AppContext, actor: Actor, period: Period,
                          *, notify: bool = False) -> StoredReport:
    """Store the month's report once (idempotent: an existing snapshot is returned as is).
    With `notify`, the head of the office is sent a message through the outbox."""
    check_reader(actor)
    with ctx.db.read() as session:
        existing = _find(session, period.label)
        if existing is not None:
            return existing
    data = compute_public_services(ctx, period)
    try:
        with ctx.db.unit_of_work() as session:
            snap = ReportSnapshot(kind=PUBLIC_SERVICES, period=period.label,
                                  period_start=period.first, period_end=period.last,
                                  data=data, generated_at=datetime.fromisoformat(data["generated_at"]),
                                  generated_by=actor.user_id)
            session.add(snap)
            session.flush()
            audit(session, None, actor, "report_generated",
                  {"kind": PUBLIC_SERVICES, "period": period.label, "snapshot_id": snap.id})
            if notify:
                enqueue(session, "notify/report", f"notify:report:{PUBLIC_SERVICES}:{period.label}",
                        None, {"to_role": NOTIFY_ROLE, "snapshot_id": snap.id, "period": period.label,
                               "message": f"Сформирован отчёт об оказании государственных услуг "
                                          f"за {period.label}"})
            return StoredReport(snap.id, period.label, True, snap.generated_at)
    except IntegrityError:  # another dispatcher stored it first
        with ctx.db.read() as session:
            found = _find(session, period.label)
        if found is None:
            raise
        return found


def _find(session: Session, label: str) -> StoredReport | None:
    snap = session.scalar(select(ReportSnapshot).where(
        ReportSnapshot.kind == PUBLIC_SERVICES, ReportSnapshot.period == label))
    return StoredReport(snap.id, snap.period, False, snap.generated_at) if snap else None


def list_snapshots(ctx: AppContext, actor: Actor) -> list[dict[str, Any]]:
    check_reader(actor)
    with ctx.db.read() as session:
        snaps = session.execute(select(ReportSnapshot.id, ReportSnapshot.kind, ReportSnapshot.period,
                                       ReportSnapshot.generated_at)
                                .order_by(ReportSnapshot.period_start.desc(), ReportSnapshot.id)).all()
    return [{"id": i, "kind": k, "period": p, "generated_at": g.isoformat()} for i, k, p, g in snaps]


def get_snapshot(ctx: AppContext, actor: Actor, snapshot_id: int) -> dict[str, Any]:
    check_reader(actor)
    with ctx.db.read() as session:
        snap = session.get(ReportSnapshot, snapshot_id)
        if snap is None:
            raise NotFound("Сохранённый отчёт не найден")
        return _snapshot_data(snap)


def first_working_day(ctx: AppContext, day: date) -> date:
    """The first working day of `day`'s month."""
    return ctx.calendar.next_working_day(day.replace(day=1), include_self=True)


def generate_due_monthly(ctx: AppContext, now: datetime | None = None) -> StoredReport | None:
    """The beat's job: from the first working day of a month on, store the previous month's
    report once and notify the head of the office. Cheap when already done (one indexed
    look-up); the unique snapshot row decides between concurrent dispatchers."""
    today = (now or utcnow()).astimezone(ctx.tz).date()
    if today < first_working_day(ctx, today):
        return None
    stored = store_public_services(ctx, Actor.system(), previous_month(today), notify=True)
    if stored.created:
        log.info("monthly public-service report for %s stored (#%s)", stored.period, stored.snapshot_id)
    return stored
