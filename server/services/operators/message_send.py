"""`message/send` (params: `name`, a quoted message name; `payload`, a dict expression;
optional `case_id` and `correlation`, a dict of correlation property -> value): throws a
message to another case in the step's transaction (server/services/messages/delivery.py).

Every message a model throws itself (an intermediate throw event, a send task, a message
end event) that no element of its own process catches reaches the services as this call
too: that is how the pools of a collaboration, run as linked cases, talk to each other.
A message nobody waits for is noted in the sender's history; the sender goes on."""

from __future__ import annotations

import ast

from server.engine import MESSAGE_SEND
from server.services.cases.audit_trail import audit
from server.services.context import Operator, ParamCheck, StepCall
from server.services.errors import Conflict, NotFound, tr
from server.services.messages.delivery import MessageIn, deliver_in


def _send(step: StepCall) -> None:
    params = step.call.params
    name = str(params.get("name") or "")
    payload = params.get("payload")
    correlation = params.get("correlation")
    case_id = params.get("case_id")
    msg = MessageIn(name, f"case:{step.case.id}:{step.call.task_id}",
                    payload if payload is not None else {},
                    correlation if isinstance(correlation, dict) else {},
                    int(case_id) if isinstance(case_id, int | str) and str(case_id).isdigit() else None)
    element = step.call.spec_name or None
    try:
        row = deliver_in(step.ctx, step.session, step.actor, msg, sender=step.case)
    except (NotFound, Conflict) as exc:
        audit(step.session, step.case, step.actor, "message_undelivered",
              {"name": name, "element": element, "reason": str(exc)})
        return
    audit(step.session, step.case, step.actor, "message_sent",
          {"name": name, "element": element, "to_case": row.case_id, "delivery_id": row.id})


def _check(check: ParamCheck) -> list[str]:
    try:
        name = ast.literal_eval(check.params.get("name") or "")
    except (ValueError, SyntaxError):
        name = None
    if not isinstance(name, str) or not name:
        return [tr("оператор message/send: параметр name должен быть именем сообщения в кавычках ('имя')")]
    return []


OPERATOR = Operator(MESSAGE_SEND, "step", "throw a message to another case", handle=_send, check=_check)
