"""A second application while the first is still open: refused at registration.

A registrar who registers the same procedure again for the same person (a registered student,
or an applicant by ИИН) while a case of it is open makes two cases that race each other: two
orders, two arrival notices. The catalog says where that is right (`allow_parallel`: a
certificate asked for again) and which application field tells two cases apart
(`parallel_by`: an arrival and a departure are two notices). Otherwise the registration is
refused with the open case's number, and the registrar goes on with that case or cancels it.
Only registrations are checked: a case a model opens (a deregistration after an expulsion)
carries what the model decided.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.models import AuditEvent, Case
from server.models.case import OPEN_STATUSES
from server.services.context import AppContext
from server.services.errors import Invalid, tr


def refuse_duplicate(ctx: AppContext, session: Session, process_id: str, student_id: int | None,
                     data: dict[str, Any]) -> None:
    """Raise `Invalid` naming the open case this registration would repeat, if any."""
    try:
        service = ctx.catalog.service(process_id)
    except (KeyError, FileNotFoundError, ImportError):
        return
    if service.allow_parallel:
        return
    applicant = data.get("applicant") if isinstance(data.get("applicant"), dict) else {}
    iin = applicant.get("iin") if student_id is None else None
    if student_id is None and not isinstance(iin, str):
        return  # a procedure about no one in particular (a vacant-grant announcement)
    same_person = Case.student_id == student_id if student_id is not None else Case.subject_iin == iin
    open_ids = list(session.scalars(
        select(Case.id).where(Case.process_id == process_id, Case.status.in_(OPEN_STATUSES), same_person)
        .order_by(Case.id)))
    if service.parallel_by and open_ids:
        open_ids = _same_value(session, open_ids, service.parallel_by, data.get(service.parallel_by))
    if not open_ids:
        return
    field = "student_id" if student_id is not None else "data.applicant.iin"
    raise Invalid("Заявление не зарегистрировано: для этого же лица уже открыто дело № %(case)s по "
                  "этой процедуре. Продолжите работу по нему или отмените его, прежде чем регистрировать "
                  "новое заявление.",
                  {field: tr("Уже открыто дело № %(case)s", case=open_ids[0])}, case=open_ids[0])


def _same_value(session: Session, case_ids: list[int], field: str, value: Any) -> list[int]:
    """The cases whose start data (the audit trail's `case_started`) have `field` = `value`."""
    rows = session.execute(select(AuditEvent.case_id, AuditEvent.payload).where(
        AuditEvent.case_id.in_(case_ids), AuditEvent.kind == "case_started"))
    started = {case_id: (payload or {}).get("data") or {} for case_id, payload in rows}
    return [cid for cid in case_ids if started.get(cid, {}).get(field) == value]
