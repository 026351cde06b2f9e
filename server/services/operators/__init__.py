"""Every service-task operator a model may name, and every background job kind, in one
registry. An operator is one module here: its name, its mode (in the step, in the
background, or waiting), its parameter check (deploy and `regoffice check`) and its handler.
A new operator is a new module and one line below."""

from __future__ import annotations

from server.services.background.operations import PROBE, run_probe
from server.services.context import JobKind, OperatorRegistry
from server.services.documents.pdfs import PDF_JOB, convert_pdfs, store_pdfs
from server.services.operators import (
    await_batch,
    case_start,
    document_render,
    escalate,
    letters,
    message_send,
    notify,
    record,
    set_status,
    student_registry,
)
from server.services.people.routing import UNASSIGNED, run_unassigned
from server.services.record.import_jobs import IMPORT_JOB, finish_job, run_import


def build_registry() -> OperatorRegistry:
    return OperatorRegistry(
        operators=(document_render.OPERATOR, escalate.OPERATOR, notify.OPERATOR,
                   set_status.OPERATOR, case_start.OPERATOR, await_batch.OPERATOR, message_send.OPERATOR,
                   letters.OPERATOR, *student_registry.OPERATORS,
                   *record.OPERATORS),
        jobs=(*escalate.JOBS, *notify.JOBS, *letters.JOBS, JobKind(PROBE, run_probe),
              JobKind(PDF_JOB, store_pdfs, prepare=convert_pdfs), JobKind(UNASSIGNED, run_unassigned),
              JobKind(IMPORT_JOB, finish_job, prepare=run_import, long=True)),
        on_case_closed=(*await_batch.ON_CASE_CLOSED, *letters.ON_CASE_CLOSED),
    )
