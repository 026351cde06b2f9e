"""`case/set_status` (param: `status`): sets the case's status in the step."""

from __future__ import annotations

from server.services.context import Operator, StepCall


def _set_status(step: StepCall) -> None:
    step.case.status = str(step.call.params.get("status") or step.case.status)


OPERATOR = Operator("case/set_status", "step", "set the case's status", handle=_set_status)
