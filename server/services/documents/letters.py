"""Outgoing letters a case produces (server/documents/contexts/letters.py): the reasoned
refusal of a public service, issued when such a case ends refused, and the military-office
notice of an order, issued for the students of call-up age only."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.documents.contexts.common import ddmmyyyy
from server.domain.military import military_liable
from server.models import Case, Document, OutboxJob
from server.services.background.jobs import finish_service_task
from server.services.cases.lifecycle import lock_case
from server.services.cases.steps import CLOSED_BY_PERSON, REFUSED_OUTCOMES, enqueue
from server.services.context import AppContext
from server.services.documents.issue import issue_document, waiting_task
from server.services.procedures.deployments import definition_info
from server.services.students.registry import with_registry_facts

LETTERS = "letters"
REFUSAL_JOB = "letter/refusal"
REFUSAL_TEMPLATE = "letter_refusal"
MILITARY_TEMPLATE = "letter_military"


def is_public_service(ctx: AppContext, process_id: str) -> bool:
    try:
        return ctx.catalog.service(process_id).public_service
    except KeyError:
        return False


def refusal_on_close(ctx: AppContext, session: Session, case: Case, data: dict[str, Any]) -> None:
    """A public service that ends refused gets its reasoned refusal letter: one mechanism for
    every public service of the catalog, whichever step of its model refused. A case cancelled
    or withdrawn by a person is no refusal."""
    if case.status in CLOSED_BY_PERSON or str(data.get("outcome")) not in REFUSED_OUTCOMES:
        return
    if is_public_service(ctx, case.process_id):
        enqueue(session, REFUSAL_JOB, f"letter:refusal:{case.id}", case, {"case_id": case.id})


def issue_refusal(ctx: AppContext, session: Session, job: OutboxJob) -> None:
    """The refusal letter of a refused case, from its final data and the catalog's texts."""
    case = lock_case(ctx, session, int(job.payload["case_id"]))
    issued = session.scalar(select(Document.id).where(Document.case_id == case.id,
                                                      Document.kind == REFUSAL_TEMPLATE).limit(1))
    if issued is not None:
        return  # an earlier run of this job issued it
    instance = ctx.restore_instance(definition_info(ctx, session, case.definition_id).bundle, case.state)
    data = dict(instance.data)
    service = ctx.catalog.service(case.process_id)
    ground = service.refusal_ground(str(data.get("refusal_ground") or case.refusal_ground or "other"))
    local_received = case.received_at.astimezone(ctx.tz).date() if case.received_at else None
    data["refusal"] = {
        "service": {"code": service.code, "name_ru": service.name_ru, "name_kk": service.name_kk},
        "ground": {"code": ground.code, "ru": ground.ru, "kk": ground.kk},
        "received_at": local_received.isoformat() if local_received else "",
    }
    issue_document(ctx, session, case, REFUSAL_TEMPLATE, LETTERS, data)


def _order_date(order: dict[str, Any], today: date) -> date:
    try:
        return date.fromisoformat(str(order.get("date") or "")[:10])
    except ValueError:
        return today


def issue_military_notice(ctx: AppContext, session: Session, job: OutboxJob) -> None:
    """`letter/military_notice` job: the notice lists the students of the order who are male
    citizens of call-up age on the order's date; with none, nothing is issued and the step
    records `issued: False`."""
    waiting = waiting_task(ctx, session, job)
    if waiting is None:
        return
    case, instance, task_id, data = waiting
    params: dict[str, Any] = job.payload.get("params") or {}
    order = dict(params.get("order") or {})
    # the order's date: as the parameter gives it, else the rector's signature date
    on = _order_date({"date": order.get("date") or data.get("signed_date")}, ctx.local_today())
    # the registry decides citizenship and sex: foreign citizens are never in the military register
    listed = with_registry_facts(session, [p for p in params.get("students") or [] if isinstance(p, dict)],
                                 ("citizenship", "sex"))
    students = [p for p in listed if military_liable(p, on)]
    result: dict[str, Any] = {"issued": False, "students": 0}
    if students:
        letter = {"event": params.get("event"), "students": students,
                  "order": {"number": order.get("number"), "date": ddmmyyyy(on.isoformat())}}
        ids, number = issue_document(ctx, session, case, MILITARY_TEMPLATE, LETTERS,
                                     {**data, "letter": letter})
        result = {"issued": True, "students": len(students), "number": number, "documents": ids}
    finish_service_task(ctx, session, case.id, task_id, result, instance)
