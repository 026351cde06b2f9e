"""The message catch events a case waits at, mirrored after every engine step into
`message_waits`, and how a message is matched to them by correlation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from server.engine import Instance, WaitingMessage, read_path
from server.models import Case, MessageDelivery, MessageWait

_WAITS_OF_CASE = (select(MessageWait).where(MessageWait.case_id == bindparam("case_id"))
                  .order_by(MessageWait.id))


def sync_waits(session: Session, case: Case, instance: Instance) -> None:
    """Write the case's waiting message catches (in the step's transaction)."""
    waiting: dict[str, WaitingMessage] = {w.task_id: w for w in instance.waiting_messages()}
    summary = case.summary or {}
    if not waiting and not summary.get("waiting_messages"):
        return  # none now and none recorded: nothing to read or write
    case.summary = {**summary, "waiting_messages": len(waiting)}
    for row in session.scalars(_WAITS_OF_CASE, {"case_id": case.id}).all():
        wait = waiting.pop(row.engine_task_id, None)
        if wait is None:
            session.delete(row)
        elif (row.properties, row.expected) != (wait.properties, wait.expected):
            row.properties, row.expected = wait.properties, wait.expected
    for wait in waiting.values():
        session.add(MessageWait(case_id=case.id, engine_task_id=wait.task_id, element=wait.element,
                                message_name=wait.name, properties=wait.properties, expected=wait.expected))


def message_correlation(properties: dict[str, Any], given: dict[str, Any], payload: Any) -> dict[str, Any]:
    """The correlation values of a message for a catch declaring `properties`: those given
    with the message, then each property's retrieval expression read from the payload."""
    values = dict(given)
    if isinstance(payload, dict):
        for prop, expression in properties.items():
            if prop not in values:
                found, value = read_path(str(expression), payload)
                if found:
                    values[prop] = value
    return values


def correlates(wait: MessageWait, given: dict[str, Any], payload: Any) -> bool:
    """Whether a message reaches this catch: a model that declares no correlation for the
    message, or a message that carries none, matches any case waiting for it; otherwise
    every property both know must agree, and at least one must."""
    if not wait.properties:
        return True
    values = message_correlation(wait.properties, given, payload)
    if not values:
        return True
    shared = [p for p in values if p in (wait.expected or {})]
    return bool(shared) and all(str(values[p]) == str(wait.expected[p]) for p in shared)


def matching_waits(session: Session, name: str, case_id: int | None, given: dict[str, Any],
                   payload: Any) -> dict[int, list[MessageWait]]:
    """The catches waiting for message `name` that it correlates with, by case."""
    stmt = select(MessageWait).where(MessageWait.message_name == name)
    if case_id is not None:
        stmt = stmt.where(MessageWait.case_id == case_id)
    found: dict[int, list[MessageWait]] = {}
    for wait in session.scalars(stmt.order_by(MessageWait.id)).all():
        if correlates(wait, given, payload):
            found.setdefault(wait.case_id, []).append(wait)
    return found


def case_messages(session: Session, case_id: int) -> tuple[list[MessageWait], list[MessageDelivery]]:
    """What a case waits for now and the messages it received (for the case page)."""
    waits = session.scalars(_WAITS_OF_CASE, {"case_id": case_id}).all()
    received = session.scalars(select(MessageDelivery).where(MessageDelivery.case_id == case_id)
                               .order_by(MessageDelivery.id)).all()
    return list(waits), list(received)
