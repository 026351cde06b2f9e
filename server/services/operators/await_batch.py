"""`order/await_batch`: the case waits to be collected into a batch order; the batch order's
signature releases it (server/services/cases/batch_orders.py)."""

from __future__ import annotations

from server.services.cases.batch_orders import await_batch, settle_batch
from server.services.context import Operator, StepCall


def _await(step: StepCall) -> None:
    await_batch(step.session, step.case, step.call, step.instance.task_data(step.call.task_id),
                step.actor)


OPERATOR = Operator("order/await_batch", "wait", "wait for a batch order", handle=_await)
ON_CASE_CLOSED = (settle_batch,)
