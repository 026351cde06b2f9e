"""Several approved transfers collected into one batch order (procedure 11, order_kind
`transfer` or `transfer_internal`).

A transfer case (transfer_in, transfer_internal) whose registrar chose «в сводный приказ»
reaches the service task `order/await_batch` after the vice-rector's approval and waits there:
no job, one row in `batch_order_items` (written in the step's transaction). The registrar collects every case
waiting (optionally of one process and one faculty) into one `contingent_order` case, approved
and numbered once. When that case ends, its collected cases are settled in the same
transaction: released with the order's number, date and documents when the rector signed it,
back to waiting otherwise (refused, cancelled), to be collected again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.auth import Actor
from server.auth.roles import CASE_STARTERS
from server.db import utcnow
from server.domain.iin import iin_sex
from server.engine import EngineError, ServiceCall, TaskNotReady
from server.models import BatchOrderItem, Case, Document, Faculty
from server.models.case import OPEN_STATUSES
from server.services.cases.lifecycle import StartRequest, lock_case, open_case
from server.services.cases.steps import audit, persist_step
from server.services.context import AppContext
from server.services.errors import Conflict, Forbidden, Invalid, tr
from server.services.procedures.deployments import definition_info

# The order's wording (document_context.CONTINGENT_KINDS): «О зачислении в порядке перевода» when
# every student comes from another university, «О переводе обучающихся» when any moves inside it.
ORDER_KIND = "transfer"
ORDER_KIND_INTERNAL = "transfer_internal"
ISSUED = "issued"


@dataclass
class BatchRequest:
    """Which waiting cases to collect (all when no filter) and the order's effective date
    (today when none)."""

    process_id: str | None = None
    faculty_code: str | None = None
    effective_date: date | None = None
    channel: str = "direct"


@dataclass
class WaitingCase:
    case_id: int
    process_id: str
    faculty_code: str | None
    full_name: str
    iin: str
    since: Any


def _transfer_in_row(data: dict[str, Any]) -> dict[str, Any]:
    """The order's line for a transfer from another university: the applicant as enrolled
    (course and funding decided on the way) and where the student comes from."""
    applicant = dict(data.get("applicant") or {})
    iin = str(applicant.get("iin") or "")
    sending = str(applicant.get("sending_university") or "")
    sending_kk = str(applicant.get("sending_university_kk") or "").strip()
    return {
        **{k: v for k, v in applicant.items() if k != "full_name"},
        "sex": applicant.get("sex") or (iin_sex(iin) if len(iin) == 12 else None),
        "year": data.get("enrol_year") or applicant.get("year"),
        "funding": data.get("funding_basis") or applicant.get("funding"),
        "difference_credits": data.get("difference_credits"),
        "difference_deadline": data.get("difference_deadline"),
        "note_ru": f"из «{sending}»",
        # no Kazakh name typed: the order's Kazakh text stops at an incident naming it
        "note_kk": f"«{sending_kk}» ЖОО-дан" if sending_kk else None,
    }


def _transfer_internal_row(data: dict[str, Any]) -> dict[str, Any]:
    """The order's line for a transfer inside the university: the student on the new
    programme, form and language (course and funding decided on the way), and the old programme."""
    student = dict(data.get("student") or {})
    previous = str(student.get("programme_code") or "")
    new_name = data.get("new_programme_name")
    new_kk = data.get("new_programme_name_kk")  # else the registry's, by the programme's code
    return {
        **student,
        "programme_code": data.get("new_programme_code") or previous,
        "programme_name": new_name or student.get("programme_name"),
        "programme_name_kk": new_kk if data.get("new_programme_code") else student.get("programme_name_kk"),
        "form": data.get("new_form") or student.get("form"),
        "language": data.get("new_language") or student.get("language"),
        "year": data.get("enrol_year") or student.get("year"),
        "funding": data.get("funding_basis") or student.get("funding"),
        "difference_credits": data.get("difference_credits"),
        "difference_deadline": data.get("difference_deadline"),
        "note_ru": f"с программы {previous}",
        "note_kk": f"{previous} бағдарламасынан",
    }


def _person_row(data: dict[str, Any]) -> dict[str, Any]:
    """Any other model with `order/await_batch`: the student (or applicant) as registered."""
    person = dict(data.get("student") or data.get("applicant") or {})
    iin = str(person.get("iin") or "")
    return {**person, "sex": person.get("sex") or (iin_sex(iin) if len(iin) == 12 else None)}


ROWS = {"transfer_in": _transfer_in_row, "transfer_internal": _transfer_internal_row}
# Processes whose cases may wait for a batch order (their models have `order/await_batch`).
BATCH_PROCESSES = tuple(ROWS)


def await_batch(session: Session, case: Case, call: ServiceCall, data: dict[str, Any], actor: Actor) -> None:
    """The `order/await_batch` operator: the case joins the queue of the next batch order."""
    row = ROWS.get(case.process_id, _person_row)(data)
    session.add(BatchOrderItem(case_id=case.id, task_id=call.task_id, process_id=case.process_id,
                               faculty_id=case.faculty_id, student=row, status="waiting"))
    audit(session, case, actor, "batch_order_awaited", {"element": call.spec_name}, task_id=call.task_id)


def _faculty_id(session: Session, code: str | None) -> int | None:
    if not code:
        return None
    faculty_id = session.scalar(select(Faculty.id).where(Faculty.code == code))
    if faculty_id is None:
        raise Invalid("Факультет не найден",
                      {"faculty_code": tr("Нет факультета с кодом %(code)s", code=code)})
    return faculty_id


def _waiting_query(session: Session, process_id: str | None, faculty_code: str | None) -> Any:
    if process_id is not None and process_id not in BATCH_PROCESSES:
        raise Invalid("Эта процедура не ждёт сводного приказа",
                      {"process_id": tr("Допустимо: %(values)s", values=", ".join(BATCH_PROCESSES))})
    stmt = (select(BatchOrderItem).join(Case, Case.id == BatchOrderItem.case_id)
            .where(BatchOrderItem.status == "waiting", Case.status.in_(OPEN_STATUSES))
            .order_by(BatchOrderItem.id))
    if process_id:
        stmt = stmt.where(BatchOrderItem.process_id == process_id)
    faculty_id = _faculty_id(session, faculty_code)
    if faculty_id is not None:
        stmt = stmt.where(BatchOrderItem.faculty_id == faculty_id)
    return stmt


def list_waiting(ctx: AppContext, actor: Actor, process_id: str | None = None,
                 faculty_code: str | None = None) -> list[WaitingCase]:
    """The cases a batch order would collect now (the office's view before collecting)."""
    if not actor.has_any(CASE_STARTERS):
        raise Forbidden("Сводные приказы формирует специалист офиса регистратора")
    with ctx.db.read() as session:
        items = session.scalars(_waiting_query(session, process_id, faculty_code)).all()
        codes = dict(session.execute(select(Faculty.id, Faculty.code)).all())
        return [WaitingCase(item.case_id, item.process_id, codes.get(item.faculty_id),
                            " ".join(str(item.student.get(k) or "") for k in
                                     ("last_name", "first_name", "middle_name")).strip(),
                            str(item.student.get("iin") or ""), item.created_at) for item in items]


def _order_kind(items: list[BatchOrderItem]) -> str:
    return ORDER_KIND if all(item.process_id == "transfer_in" for item in items) else ORDER_KIND_INTERNAL


def collect_transfers(ctx: AppContext, actor: Actor, req: BatchRequest) -> int:
    """Open one batch order (`contingent_order`, order_kind `transfer[_internal]`) listing every case
    waiting now; returns its case id. The rows are locked (PostgreSQL; SQLite's BEGIN
    IMMEDIATE serializes writers) and taken only while still `waiting`: a concurrent
    collection gets the cases this one did not take, or none."""
    if not actor.has_any(CASE_STARTERS):
        raise Forbidden("Сводные приказы формирует специалист офиса регистратора")
    with ctx.db.unit_of_work() as session:
        stmt = _waiting_query(session, req.process_id, req.faculty_code)
        if ctx.db.is_postgres:
            stmt = stmt.with_for_update(of=BatchOrderItem, skip_locked=True)
        items = list(session.scalars(stmt).all())
        if not items:
            raise Invalid("Нет дел, ожидающих сводного приказа: согласованные переводы с отметкой "
                          "«В сводный приказ» появятся здесь после согласования проректором",
                          {"cases": tr("Нет ожидающих дел")})
        effective = req.effective_date or ctx.local_today()
        students = [{**item.student, "case_id": item.case_id} for item in items]
        batch = open_case(ctx, session, actor, StartRequest(
            "contingent_order", channel=req.channel,
            data={"order_kind": _order_kind(items), "effective_date": str(effective), "students": students,
                  "transfer_cases": [item.case_id for item in items]}))
        taken = session.execute(
            update(BatchOrderItem)
            .where(BatchOrderItem.id.in_([item.id for item in items]), BatchOrderItem.status == "waiting")
            .values(status="collected", batch_case_id=batch.id, collected_at=utcnow())
            .execution_options(synchronize_session=False)).rowcount
        if taken != len(items):  # another collection took some meanwhile: nothing is saved
            raise Conflict("Часть дел уже включена в другой сводный приказ: повторите")
        batch.summary = {**(batch.summary or {}), "batch_items": len(items)}
        for item in items:
            case = session.get(Case, item.case_id)
            audit(session, case, actor, "batch_order_collected", {"batch_case_id": batch.id})
        return batch.id


def _order_reference(session: Session, batch: Case, data: dict[str, Any]) -> dict[str, Any]:
    order = data.get("order") or {}
    doc = session.get(Document, order.get("document_id")) if order.get("document_id") else None
    return {"number": order.get("number"), "date": (doc.context or {}).get("date") if doc else None,
            "signed_date": data.get("signed_date"), "document_id": order.get("document_id"),
            "documents": list(order.get("documents") or []), "batch_case_id": batch.id}


def settle_batch(ctx: AppContext, session: Session, batch: Case, data: dict[str, Any]) -> None:
    """The batch order's case ended (inside its transaction): release its collected cases when
    the order was signed, else put them back in the queue. Any other case: nothing to do."""
    if not (batch.summary or {}).get("batch_items"):
        return
    items = session.scalars(select(BatchOrderItem).where(
        BatchOrderItem.batch_case_id == batch.id, BatchOrderItem.status == "collected")
        .order_by(BatchOrderItem.case_id)).all()
    issued = data.get("outcome") == ISSUED and batch.status not in ("cancelled", "withdrawn")
    reference = _order_reference(session, batch, data) if issued else {}
    for item in items:
        case = lock_case(ctx, session, item.case_id)
        if case.status not in OPEN_STATUSES:
            item.status = "dropped"
            audit(session, batch, Actor.system(), "batch_order_case_dropped",
                  {"case_id": case.id, "status": case.status})
        elif issued:
            _release(ctx, session, case, item, reference)
        else:
            item.status, item.batch_case_id, item.collected_at = "waiting", None, None
            audit(session, case, Actor.system(), "batch_order_refused",
                  {"batch_case_id": batch.id, "outcome": data.get("outcome") or batch.status})


def _release(ctx: AppContext, session: Session, case: Case, item: BatchOrderItem,
             reference: dict[str, Any]) -> None:
    bundle = definition_info(ctx, session, case.definition_id).bundle
    instance = ctx.restore_instance(bundle, case.state)
    item.status, item.released_at = "released", utcnow()
    audit(session, case, Actor.system(), "batch_order_included",
          {"number": reference["number"], "date": reference["date"],
           "batch_case_id": reference["batch_case_id"], "documents": reference["documents"]})
    try:
        calls = instance.complete_service_task(item.task_id, reference)
    except (EngineError, TaskNotReady) as exc:  # the case is marked, the batch order stands
        case.status = "error"
        audit(session, case, Actor.system(), "incident", {"error": str(exc)})
        return
    persist_step(ctx, session, case, instance, calls, Actor.system())
