"""The message catch events a case waits at, mirrored after every engine step into
`message_waits`, and how a message is matched to them by correlation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session

from server.engine import Instance, WaitingMessage, read_path
from server.models import Case, MessageDelivery, MessageWait

_WAITS_OF_CASE = (select(MessageWait).where(MessageWait.case_id == bindparam("case_id"))
                  .order_by(MessageWait.id))


def sync_waits(session: Session, case: Case, instance: Instance) -> None:
    """Write the case's waiting message catches (in the step's transaction)."""
    waiting: dict[tuple[str, str], WaitingMessage] = {
        (w.task_id, w.name): w for w in instance.waiting_messages()}
    summary = case.summary or {}
    if not waiting and not summary.get("waiting_messages"):
        return  # none now and none recorded: nothing to read or write
    case.summary = {**summary, "waiting_messages": len(waiting)}
    for row in session.scalars(_WAITS_OF_CASE, {"case_id": case.id}).all():
        wait = waiting.pop((row.engine_task_id, row.message_name), None)
        if wait is None:
            session.delete(row)
        elif (row.properties, row.expected) != (wait.properties, wait.expected):
            row.properties, row.expected = wait.properties, wait.expected
            row.hint_prop, row.hint_expression, row.hint_value = _hint(wait)
    for wait in waiting.values():
        hint_prop, hint_expression, hint_value = _hint(wait)
        session.add(MessageWait(case_id=case.id, engine_task_id=wait.task_id, element=wait.element,
                                message_name=wait.name, properties=wait.properties, expected=wait.expected,
                                hint_prop=hint_prop, hint_expression=hint_expression, hint_value=hint_value))


def _hint(wait: WaitingMessage) -> tuple[str | None, str | None, str | None]:
    for prop in sorted(wait.expected):
        if prop in wait.properties:
            return prop, str(wait.properties[prop]), _text(wait.expected[prop])
    return None, None, None


def _text(value: Any) -> str:
    return str(value)[:200]


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
    return bool(shared) and all(_text(values[p]) == _text(wait.expected[p]) for p in shared)


def matching_waits(session: Session, name: str, case_id: int | None, given: dict[str, Any],
                   payload: Any) -> dict[int, list[MessageWait]]:
    """The catches waiting for message `name` that it correlates with, by case. The index
    narrows the rows read: a catch whose hint property the message has a value for is read
    only when the values agree (`correlates` would refuse it otherwise)."""
    stmt = select(MessageWait).where(MessageWait.message_name == name)
    if case_id is not None:
        stmt = stmt.where(MessageWait.case_id == case_id)
    else:
        hints = session.execute(select(MessageWait.hint_prop, MessageWait.hint_expression).where(
            MessageWait.message_name == name, MessageWait.hint_prop.is_not(None)).distinct()).all()
        narrowed = [MessageWait.hint_prop.is_(None)]
        for prop, expression in hints:
            values = message_correlation({prop: expression}, given, payload)
            narrowed.append(and_(MessageWait.hint_prop == prop, MessageWait.hint_value == _text(values[prop]))
                            if prop in values else MessageWait.hint_prop == prop)
        stmt = stmt.where(or_(*narrowed))
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
