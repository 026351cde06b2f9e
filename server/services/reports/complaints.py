"""Complaints about public services: the office registers each one against the case it is about
(Law on public services: a complaint goes to the provider's head); the monthly report counts
the complaints received in its period, per service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from server.auth import Actor
from server.db import utcnow
from server.hot_path import append_audit
from server.models import Case, ServiceComplaint
from server.services.context import AppContext
from server.services.errors import Forbidden, Invalid, tr
from server.services.reports.public_services import Period, check_reader

RECORDERS = frozenset({"registrar", "registrar_head", "admin"})
MAX_SUMMARY = 2000


@dataclass(frozen=True)
class ComplaintIn:
    case_id: int
    received_on: date
    summary: str


def check_recorder(actor: Actor) -> None:
    if not actor.has_any(RECORDERS):
        raise Forbidden("Жалобы регистрирует специалист или руководитель офиса регистратора")


def record_complaint(ctx: AppContext, actor: Actor, req: ComplaintIn) -> dict[str, Any]:
    """Register a complaint; refused (nothing stored) when the case is not a public service's,
    the date is in the future or before the application, or the summary is empty."""
    check_recorder(actor)
    summary = (req.summary or "").strip()
    errors: dict[str, Any] = {}
    if not summary:
        errors["summary"] = tr("Обязательное поле: суть жалобы")
    elif len(summary) > MAX_SUMMARY:
        errors["summary"] = tr("Не длиннее %(n)s символов", n=MAX_SUMMARY)
    if req.received_on > ctx.local_today():
        errors["received_on"] = tr("Дата поступления жалобы не может быть в будущем")
    services = {s.code for s in ctx.catalog.public_services}
    with ctx.db.unit_of_work() as session:
        case = session.get(Case, req.case_id)
        if case is None:
            errors["case_id"] = tr("Дело № %(id)s не найдено", id=req.case_id)
        elif case.process_id not in services:
            errors["case_id"] = tr("Дело № %(id)s — не государственная услуга: жалобы на него в отчёт "
                                   "не входят", id=req.case_id)
        elif req.received_on < case.received_at.astimezone(ctx.tz).date():
            errors["received_on"] = tr("Жалоба не может поступить раньше заявления (%(date)s)",
                                       date=case.received_at.astimezone(ctx.tz).strftime("%d.%m.%Y"))
        if errors:
            raise Invalid("Жалоба не зарегистрирована: %(first)s", errors, first=next(iter(errors.values())))
        row = ServiceComplaint(case_id=req.case_id, received_on=req.received_on, summary=summary,
                               created_by=actor.user_id)
        session.add(row)
        session.flush()
        append_audit(session, [{"case_id": req.case_id, "task_id": None, "actor_id": actor.user_id,
                                "kind": "complaint_registered", "at": utcnow(),
                                "payload": {"complaint_id": row.id,
                                            "received_on": req.received_on.isoformat()}}])
        return _out(row, case.process_id)


def _out(row: ServiceComplaint, process_id: str) -> dict[str, Any]:
    return {"id": row.id, "case_id": row.case_id, "service": process_id,
            "received_on": row.received_on.isoformat(), "summary": row.summary}


def list_complaints(ctx: AppContext, actor: Actor, period: Period) -> list[dict[str, Any]]:
    check_reader(actor)
    with ctx.db.read() as session:
        rows = session.execute(select(ServiceComplaint, Case.process_id)
                               .join(Case, Case.id == ServiceComplaint.case_id)
                               .where(ServiceComplaint.received_on >= period.first,
                                      ServiceComplaint.received_on <= period.last)
                               .order_by(ServiceComplaint.received_on, ServiceComplaint.id)).all()
        return [_out(row, process_id) for row, process_id in rows]
