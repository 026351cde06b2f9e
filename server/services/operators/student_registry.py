"""`student/update` and `student/enrol`: a signed order changes the student registry in the
step's transaction (server/services/students/registry.py; parameters in server/domain/registry.py)."""

from __future__ import annotations

from server.domain.registry import ENROL, UPDATE, literal_problems
from server.services.context import Operator, ParamCheck, StepCall
from server.services.errors import joined
from server.services.students.registry import apply_registry_call


def _apply(step: StepCall) -> None:
    apply_registry_call(step.ctx, step.session, step.case, step.call, step.actor)


def _checker(name: str):  # type: ignore[no-untyped-def]
    def check(params: ParamCheck) -> list[str]:
        problems = literal_problems(name, params.params)
        # One reason per element: the API answers one reason per element.
        return [joined(problems)] if problems else []
    return check


OPERATORS = (
    Operator(UPDATE, "step", "change the registry record(s) as the signed order says",
             handle=_apply, check=_checker(UPDATE)),
    Operator(ENROL, "step", "create or re-enrol the registry record(s) of an order",
             handle=_apply, check=_checker(ENROL)),
)
