"""`record/correct` and `record/append`: a case on the academic record writes it in the step's
transaction (server/services/record/procedures.py); `record/transcript` reads it.

- `record/correct` (params `result_id`, `decision` keep | raise | lower, `points`, `reason`): the
  appeal commission's decision; a raise or lowering is a correction row naming the case.
- `record/append` (params `items` — the application's disciplines, `results` — a list of
  {discipline_code, points}, `academic_year`, optional `sheet_id`): the retake's new attempts.
- `record/transcript` (no params; background): the student's record as of now
  (server/services/record/transcripts.py) as the task's result, which the transcript prints.

Each written row is in the case's history with the old and the new points and letters
(`result_corrected`, `result_recorded`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from server.models import Discipline, OutboxJob, Result, Student
from server.services.background.jobs import finish_service_task
from server.services.cases.steps import audit
from server.services.context import AppContext, Operator, ParamCheck, StepCall
from server.services.documents.issue import waiting_task
from server.services.errors import tr
from server.services.record.access import scale
from server.services.record.procedures import write_appeal_decision, write_retake_results
from server.services.record.transcripts import transcript_data

CORRECT = "record/correct"
APPEND = "record/append"
SNAPSHOT = "record/transcript"


def _attempt(step: StepCall, old: Result, new: Result) -> dict[str, Any]:
    """The `result_recorded` event of a retake's new attempt: `name` as a correction's reads
    (what the case page prints), and the old and new points and letters."""
    discipline = step.session.get(Discipline, new.discipline_id)
    code = discipline.code if discipline else str(new.discipline_id)
    return {"name": f"{code}: {old.points} ({old.letter}) → {new.points} ({new.letter})",
            "result_id": new.id, "student_id": new.student_id, "discipline_code": code,
            "term": new.term, "attempt": new.attempt, "sheet_id": new.sheet_id,
            "old_points": old.points, "old_letter": old.letter,
            "new_points": new.points, "new_letter": new.letter}


def _correct(step: StepCall) -> None:
    params, case = step.call.params, step.case
    assert case.student_id is not None
    # a raise or lowering is a correction: its row and the case's `result_corrected` event
    # (old and new points and letters) are written by server/services/record/results.py
    write_appeal_decision(step.session, scale(step.ctx), case.id, case.student_id, params, step.actor.user_id)


def _append(step: StepCall) -> None:
    params, case = step.call.params, step.case
    assert case.student_id is not None
    for old, new in write_retake_results(
            step.session, scale(step.ctx), case.id, case.student_id, list(params.get("items") or []),
            params.get("results") or [], str(params.get("academic_year") or ""), params.get("sheet_id"),
            step.actor.user_id):
        audit(step.session, case, step.actor, "result_recorded", _attempt(step, old, new),
              task_id=step.call.task_id)


def _snapshot(ctx: AppContext, session: Session, job: OutboxJob) -> None:
    """The record of the case's student as of this job, into the waiting task's result."""
    waiting = waiting_task(ctx, session, job)
    if waiting is None:
        return  # an earlier run of this job did it
    case, instance, task_id, _data = waiting
    student = session.get(Student, case.student_id) if case.student_id is not None else None
    if student is None:
        raise LookupError(f"case {case.id} has no student: a transcript needs one")
    finish_service_task(ctx, session, case.id, task_id, transcript_data(session, student, scale(ctx)),
                        instance)


def _needs(*names: str):  # type: ignore[no-untyped-def]
    def check(params: ParamCheck) -> list[str]:
        return [tr("параметр %(name)s обязателен", name=name)
                for name in names if not params.params.get(name)]
    return check


OPERATORS = (
    Operator(CORRECT, "step", "write the appeal commission's decision into the academic record",
             handle=_correct, check=_needs("result_id", "decision", "points", "reason")),
    Operator(APPEND, "step", "write a retake's results into the academic record as new attempts",
             handle=_append, check=_needs("items", "results", "academic_year")),
    Operator(SNAPSHOT, "background", "take the student's academic record as of now (for a transcript)",
             run_job=_snapshot),
)
