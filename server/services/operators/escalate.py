"""`case/escalate` (params: `to_role`, optional `reason`): records an escalation and notifies
the role; when the step is still open a working day later, the next role of the service's
escalation chain in config/catalog.yaml is told too (job `case/escalate_next`)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth import Actor
from server.models import Case, HumanTask, OutboxJob
from server.models.case import OPEN_STATUSES
from server.services.cases.lifecycle import lock_case
from server.services.cases.steps import audit, enqueue
from server.services.context import AppContext, JobKind, Operator, StepCall

ESCALATION_STEP_DAYS = 1  # [assumed] working days before the next level of the catalog's chain


def _escalate(step: StepCall) -> None:
    params, case = step.call.params, step.case
    audit(step.session, case, step.actor, "escalated",
          {"to_role": params.get("to_role"), "element": step.call.spec_name,
           **({"reason": params["reason"]} if params.get("reason") else {})})
    enqueue(step.session, "notify/escalation", step.key, case,
            {"case_id": case.id, "to_role": params.get("to_role"), "element": step.call.spec_name})
    schedule_next_escalation(step.ctx, step.session, case, str(params.get("to_role") or ""),
                             step.call.spec_name, step.key)


def schedule_next_escalation(ctx: AppContext, session: Session, case: Case, level_role: str,
                             element: str, key: str) -> None:
    """The catalog's escalation chain (e.g. registrar head, then vice-rector): when a step that
    was escalated to `level_role` is still not done a working day later, the next role in the
    chain is told (the `case/escalate_next` job below)."""
    try:
        chain = list(ctx.catalog.service(case.process_id).escalation)
    except KeyError:
        return
    if level_role not in chain or chain.index(level_role) + 1 >= len(chain):
        return
    due = ctx.end_of_working_day(ctx.local_today(), ESCALATION_STEP_DAYS)
    open_tasks = list((case.summary or {}).get("open_tasks") or [])
    enqueue(session, "case/escalate_next", f"{key}:after:{level_role}", case,
            {"case_id": case.id, "to_role": chain[chain.index(level_role) + 1], "element": element,
             "tasks": open_tasks}, available_at=due)


def _escalate_next(ctx: AppContext, session: Session, job: OutboxJob) -> None:
    """The next level of the escalation chain, if the escalated step is still open."""
    case = lock_case(ctx, session, int(job.payload["case_id"]))
    still_open = session.scalar(select(func.count()).select_from(HumanTask).where(
        HumanTask.id.in_(job.payload.get("tasks") or []), HumanTask.status == "open")) or 0
    if case.status not in OPEN_STATUSES or not still_open:
        return  # done in time after the first escalation: nobody else is bothered
    role, element = str(job.payload["to_role"]), str(job.payload.get("element") or "")
    audit(session, case, Actor.system(), "escalated",
          {"to_role": role, "element": element, "reason": "still_overdue"})
    key = f"esc:{job.idempotency_key}"
    enqueue(session, "notify/escalation", key, case,
            {"case_id": case.id, "to_role": role, "element": element})
    schedule_next_escalation(ctx, session, case, role, element, key)


OPERATOR = Operator("case/escalate", "step", "record an escalation and notify the role",
                    handle=_escalate)
JOBS = (JobKind("case/escalate_next", _escalate_next),)
