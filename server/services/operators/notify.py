"""`notify/send` (params: `to_role` and any others): an e-mail notification, sent by a
background job after the step commits; the other notification jobs (a new task, an
escalation, a stored report) are sent the same way."""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.models import OutboxJob
from server.services.background.notifications import send_for_job
from server.services.cases.steps import enqueue
from server.services.context import AppContext, JobKind, Operator, StepCall


def _send(step: StepCall) -> None:
    enqueue(step.session, "notify/send", step.key, step.case,
            {"case_id": step.case.id, **step.call.params})


def _deliver(ctx: AppContext, session: Session, job: OutboxJob) -> None:
    send_for_job(ctx, session, job)


OPERATOR = Operator("notify/send", "step", "send an e-mail notification", handle=_send)
JOBS = tuple(JobKind(kind, _deliver)
             for kind in ("notify/send", "notify/escalation", "notify/task", "notify/report"))
