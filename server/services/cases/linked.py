"""Cases of one student that another case ends. A foreign student's deregistration (opened by
an expulsion, a graduation, an academic leave or a transfer order, or by the office) ends the
student's open arrival registration: the registration it tracks (visa extension, expiry) no
longer exists once the student has left. An arrival already notified to the migration service
ends `completed` with the outcome `registered` (the registration was made); one not yet
notified ends `cancelled` (there is nothing left to notify). Both cases record the link."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import Actor
from server.db import utcnow
from server.models import Case
from server.models.case import OPEN_STATUSES
from server.services.cases.steps import audit, persist_step
from server.services.context import AppContext
from server.services.procedures.deployments import definition_info

REGISTRATION = "foreign_registration"
DEPARTURE = "deregistration"
ARRIVAL = "arrival"


def close_superseded_registrations(ctx: AppContext, session: Session, case: Case,
                                   data: dict[str, Any], actor: Actor) -> list[int]:
    """Close the student's open arrival registrations when `case` is a deregistration;
    returns the ids of the cases closed."""
    if (case.process_id != REGISTRATION or data.get("registration_kind") != DEPARTURE
            or case.student_id is None):
        return []
    stmt = select(Case).where(Case.student_id == case.student_id, Case.process_id == REGISTRATION,
                              Case.status.in_(OPEN_STATUSES), Case.id != case.id).order_by(Case.id)
    if ctx.db.is_postgres:
        stmt = stmt.with_for_update()
    closed = []
    for other in session.scalars(stmt).all():
        instance = ctx.restore_instance(definition_info(ctx, session, other.definition_id).bundle,
                                        other.state)
        current = instance.data
        if current.get("registration_kind") != ARRIVAL:
            continue
        notified = bool(current.get("notification_number"))
        link = {"closed_by_case_id": case.id, "departure_date": data.get("departure_date"),
                "deregistration_reason": data.get("deregistration_reason")}
        instance.cancel({**link, "outcome": "registered"} if notified else link)
        other.decided_at = other.decided_at or utcnow()
        if notified:
            other.status = "completed"
        else:
            other.status = "cancelled"
            other.outcome = "cancelled"
            other.cancel_reason = (f"Обучающийся убыл ({data.get('departure_date')}): снятие с учёта — "
                                   f"дело № {case.id}")
        persist_step(ctx, session, other, instance, [], actor)
        audit(session, other, actor, "closed_by_deregistration", {**link, "notified": notified})
        audit(session, case, actor, "registration_closed", {"case_id": other.id, "notified": notified})
        closed.append(other.id)
    return closed
