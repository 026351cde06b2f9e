"""Delivering a message: into the case waiting for it (matched by name and correlation), or
into a new case of the procedure whose message start event catches it. One delivery per
idempotency key: a repeat answers the first result and changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.auth import Actor
from server.auth.roles import MESSAGE_SENDERS
from server.engine import TaskNotReady, message_start_names
from server.models import Case, MessageDelivery, MessageWait, ProcessDefinition
from server.services.cases.applications import SERVER_KEYS
from server.services.cases.audit_trail import audit
from server.services.cases.lifecycle import lock_case, open_case
from server.services.cases.registration import StartRequest
from server.services.cases.steps import persist_step
from server.services.context import AppContext
from server.services.errors import Conflict, Forbidden, Invalid, NotFound, tr
from server.services.messages.waits import matching_waits, message_correlation
from server.services.procedures.deployments import definition_info

MAX_MESSAGE_DEPTH = 5  # a message whose case sends one on, and so on: not deeper


@dataclass
class MessageIn:
    name: str
    idempotency_key: str
    payload: Any = field(default_factory=dict)
    correlation: dict[str, Any] = field(default_factory=dict)
    case_id: int | None = None


@dataclass(frozen=True)
class Delivery:
    id: int
    name: str
    outcome: str  # delivered | started
    case_id: int
    element: str | None
    delivered_at: datetime
    duplicate: bool = False


def _out(row: MessageDelivery, duplicate: bool) -> Delivery:
    return Delivery(row.id, row.message_name, row.outcome, row.case_id or 0, row.element,
                    row.delivered_at, duplicate)


def send_message(ctx: AppContext, actor: Actor, msg: MessageIn) -> Delivery:
    """`POST /api/v1/messages`: deliver a message from outside (the ENIC's decision, the
    accounting system's payment confirmation)."""
    if not actor.has_any(MESSAGE_SENDERS):
        raise Forbidden("Отправлять сообщения в дела может специалист офиса регистратора, "
                        "бухгалтерия, международный отдел или администратор")
    _validate(msg)
    try:
        with ctx.db.unit_of_work() as session:
            first = _by_key(session, msg.idempotency_key)
            if first is not None:
                return _out(first, True)
            return _out(deliver_in(ctx, session, actor, msg), False)
    except IntegrityError:  # the same key delivered at the same moment by another request
        with ctx.db.read() as session:
            first = _by_key(session, msg.idempotency_key)
            if first is None:
                raise
            return _out(first, True)


def _by_key(session: Session, key: str) -> MessageDelivery | None:
    return session.scalar(select(MessageDelivery).where(MessageDelivery.idempotency_key == key))


def _validate(msg: MessageIn) -> None:
    fields = {}
    if not msg.name.strip():
        fields["name"] = tr("Обязательное поле")
    if not msg.idempotency_key.strip():
        fields["idempotency_key"] = tr("Обязательное поле")
    if not isinstance(msg.correlation, dict) or any(
            isinstance(v, (dict, list)) for v in msg.correlation.values()):
        fields["correlation"] = tr("Ключи корреляции: имя свойства и его значение (строка или число)")
    if isinstance(msg.payload, dict):
        for key in msg.payload:
            if key in SERVER_KEYS or str(key).startswith("_"):
                fields[f"payload.{key}"] = tr("Это значение устанавливает система, а не сообщение")
    if fields:
        raise Invalid("Исправьте отмеченные поля", fields)


def deliver_in(ctx: AppContext, session: Session, actor: Actor, msg: MessageIn,
               sender: Case | None = None) -> MessageDelivery:
    """Deliver inside the caller's transaction. A case that sent the message (`sender`)
    reaches its linked cases first (the other pools of its collaboration), and a message
    start event only of a process deployed from the same file."""
    depth = session.info.get("message_depth", 0)
    if depth >= MAX_MESSAGE_DEPTH:
        raise Invalid("Сообщение «%(name)s» передаётся между делами по цепочке глубже %(depth)s: "
                      "проверьте модели", name=msg.name, depth=MAX_MESSAGE_DEPTH)
    session.info["message_depth"] = depth + 1
    senders: list[int] = session.info.setdefault("message_senders", [])
    if sender is not None:
        senders.append(sender.id)
    try:
        return _deliver(ctx, session, actor, msg, sender)
    finally:
        session.info["message_depth"] = depth
        if sender is not None:
            senders.pop()


def _deliver(ctx: AppContext, session: Session, actor: Actor, msg: MessageIn,
             sender: Case | None) -> MessageDelivery:
    session.flush()  # the waits of a case stepped earlier in this transaction
    by_case = matching_waits(session, msg.name, msg.case_id, msg.correlation, msg.payload)
    # Not into a case whose step is sending right now (its own message, or an answer to it
    # in the same transaction): that step has not been written yet.
    for busy in session.info.get("message_senders", []):
        by_case.pop(busy, None)
    if sender is not None and len(by_case) > 1:
        linked = set((sender.summary or {}).get("linked_cases") or [])
        by_case = {cid: waits for cid, waits in by_case.items() if cid in linked} or by_case
    if len(by_case) > 1:
        cases = ", ".join(str(cid) for cid in sorted(by_case))
        raise Conflict("Сообщение «%(name)s» ждут несколько дел (№ %(cases)s): укажите номер дела или "
                       "ключи корреляции", {"correlation": tr("Подходит нескольким делам")},
                       name=msg.name, cases=cases)
    if by_case:
        [(case_id, waits)] = by_case.items()
        return _into_case(ctx, session, actor, msg, lock_case(ctx, session, case_id), waits,
                          "delivered", sender)
    if msg.case_id is None:
        process_id = _message_start(ctx, session, msg.name, sender)
        if process_id is not None:
            data = dict(msg.payload) if isinstance(msg.payload, dict) else {}
            case = open_case(ctx, session, actor, StartRequest(process_id=process_id, data=data),
                             {"message": msg.name})
            session.flush()
            waits = matching_waits(session, msg.name, case.id, {}, None).get(case.id, [])
            return _into_case(ctx, session, actor, msg, case, waits, "started", sender)
    raise NotFound("Сообщение «%(name)s» не ждёт ни одно дело: проверьте имя сообщения, номер дела и "
                   "ключи корреляции", {"name": tr("Никто не ждёт это сообщение")}, name=msg.name)


def _message_start(ctx: AppContext, session: Session, name: str, sender: Case | None) -> str | None:
    """The procedure whose message start event catches `name` (of the sender's file when a
    case sent it); 409 when several do."""
    stmt = select(ProcessDefinition).where(ProcessDefinition.is_latest, ProcessDefinition.kind == "bpmn")
    if sender is not None:
        filename = session.scalar(select(ProcessDefinition.filename)
                                  .where(ProcessDefinition.id == sender.definition_id))
        stmt = stmt.where(ProcessDefinition.filename == filename)
    found = [d.process_id for d in session.scalars(stmt.order_by(ProcessDefinition.process_id))
             if name in message_start_names(definition_info(ctx, session, d.id).bundle.spec)]
    if len(found) > 1:
        raise Conflict("Сообщение «%(name)s» начинает несколько процедур (%(processes)s): такое "
                       "сообщение не доставить", name=name, processes=", ".join(found))
    return found[0] if found else None


def _into_case(ctx: AppContext, session: Session, actor: Actor, msg: MessageIn, case: Case,
               waits: list[MessageWait], outcome: str, sender: Case | None) -> MessageDelivery:
    bundle = definition_info(ctx, session, case.definition_id).bundle
    instance = ctx.restore_instance(bundle, case.state)
    correlation = message_correlation(waits[0].properties if waits else {}, msg.correlation, msg.payload)
    calls = []
    caught = []
    for wait in waits:
        try:
            calls += instance.deliver_message(wait.engine_task_id, msg.name, msg.payload, correlation)
        except TaskNotReady:  # an earlier catch of this message ended this one (a boundary event)
            continue
        caught.append(wait.element)
    if not caught:
        raise NotFound("Сообщение «%(name)s» не ждёт ни одно дело: проверьте имя сообщения, номер дела и "
                       "ключи корреляции", {"name": tr("Никто не ждёт это сообщение")}, name=msg.name)
    element = caught[0]
    row = MessageDelivery(idempotency_key=msg.idempotency_key, message_name=msg.name, case_id=case.id,
                          element=element, outcome=outcome, sent_by=actor.user_id,
                          source_case_id=sender.id if sender else None,
                          payload=msg.payload, correlation=correlation)
    session.add(row)
    session.flush()
    if sender is not None:
        _link(sender, case)
    audit(session, case, actor, "message_received",
          {"name": msg.name, "element": element, "delivery_id": row.id, "outcome": outcome,
           "correlation": correlation, "from_case": sender.id if sender else None})
    persist_step(ctx, session, case, instance, calls, actor)
    return row


def _link(sender: Case, receiver: Case) -> None:
    """The cases of one collaboration know each other: their next messages go between them."""
    for one, other in ((sender, receiver), (receiver, sender)):
        linked = list((one.summary or {}).get("linked_cases") or [])
        if other.id not in linked:
            one.summary = {**(one.summary or {}), "linked_cases": [*linked, other.id]}
