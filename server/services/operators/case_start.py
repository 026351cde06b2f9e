"""`case/start` (params: `process_id`, a quoted catalog code; `data`, a dict expression; or
`student_iins`, a list expression): opens a case of another procedure for the same student,
or one per listed student, in the step's transaction (server/services/cases/lifecycle.py)."""

from __future__ import annotations

import ast

from server.services.cases.lifecycle import start_triggered_case
from server.services.context import Operator, ParamCheck, StepCall
from server.services.errors import tr


def _start(step: StepCall) -> None:
    start_triggered_case(step.ctx, step.session, step.case, step.actor, step.call.params)


def _check(check: ParamCheck) -> list[str]:
    try:
        target = ast.literal_eval(check.params.get("process_id") or "")
    except (ValueError, SyntaxError):
        target = None
    if not isinstance(target, str):
        return [tr("оператор case/start: параметр process_id должен быть строкой в кавычках ('код')")]
    if check.known_processes and target not in check.known_processes:
        return [tr("оператор case/start: процедуры «%(process_id)s» нет в каталоге услуг "
                   "(config/catalog.yaml)", process_id=target)]
    return []


OPERATOR = Operator("case/start", "step", "open a case of another procedure", handle=_start,
                    check=_check)
