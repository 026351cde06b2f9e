"""Letters the office sends (server/services/documents/letters.py): `letter/military_notice`
(params: `event`, 'enrolment' or 'expulsion'; `order`, a dict expression with `number` and
`date`; `students`, a list expression of student dicts) issues the military-office notice for
the students of call-up age; the reasoned refusal of a public service is issued by the
`letter/refusal` job when such a case ends refused, whatever model it runs."""

from __future__ import annotations

import ast

from server.documents.contexts.letters import EVENTS
from server.services.context import JobKind, Operator, ParamCheck
from server.services.documents.letters import (
    REFUSAL_JOB,
    issue_military_notice,
    issue_refusal,
    refusal_on_close,
)
from server.services.errors import tr


def _check(check: ParamCheck) -> list[str]:
    try:
        event = ast.literal_eval(check.params.get("event") or "")
    except (ValueError, SyntaxError):
        event = None
    problems = []
    if event not in EVENTS:
        problems.append(tr("оператор letter/military_notice: параметр event должен быть одним из: "
                           "%(known)s", known=", ".join(f"'{e}'" for e in EVENTS)))
    missing = [name for name in ("order", "students") if not check.params.get(name)]
    if missing:
        problems.append(tr("оператор letter/military_notice: нет параметра %(names)s",
                           names=", ".join(missing)))
    return ["; ".join(problems)] if problems else []


OPERATOR = Operator("letter/military_notice", "background",
                    "notify the military office of an order's students of call-up age",
                    run_job=issue_military_notice, check=_check)
JOBS = (JobKind(REFUSAL_JOB, issue_refusal),)
ON_CASE_CLOSED = (refusal_on_close,)
