"""Request and response schemas: the source of the OpenAPI document."""

from __future__ import annotations

from datetime import date

from apiflask import Schema
from apiflask.fields import Boolean, Date, DateTime, Dict, File, Float, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range

from server.db import DB_INT_MAX
from server.domain.calendar import CHANNELS
from server.services.cases.filters import FIRST_YEAR, LAST_YEAR

# Dates a query may name (a typo like 0001-01-01 is refused instead of overflowing).
DATE_RANGE = Range(date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31))


class ErrorOut(Schema):
    error = String(required=True, metadata={"description": "machine-readable code"})
    message = String(required=True, metadata={"description": "what happened and what to do"})
    fields = Dict(keys=String(), values=String(), metadata={"description": "field -> reason"})


class CaseIn(Schema):
    process_id = String(required=True, validate=Length(1, 100))
    student_id = Integer(allow_none=True, load_default=None, validate=Range(1, DB_INT_MAX))
    channel = String(load_default="direct", validate=OneOf(CHANNELS))
    data = Dict(keys=String(), load_default=dict, metadata={
        "description": "only what the procedure declares: its application form's fields, `applicant` "
        "(a registration form, no student_id), its model's BPMN data inputs; other keys, values the "
        "server sets (outcome, refusal_ground, …) and data over REGOFFICE_MAX_APPLICATION_KB: 422"})
    received_at = DateTime(allow_none=True, load_default=None)


class ContingentOrderIn(Schema):
    file = File(required=True)
    # checked by the service after the permission check (a non-starter gets 403, not 422)
    order_kind = String(load_default=None)
    effective_date = Date(load_default=None)
    channel = String(load_default="direct", validate=OneOf(CHANNELS))


class TransferBatchIn(Schema):
    # checked by the service after the permission check (a non-starter gets 403, not 422)
    process_id = String(load_default=None, metadata={
        "description": "collect only this process's cases (transfer_in); all when absent"})
    faculty_code = String(load_default=None, validate=Length(max=20), metadata={
        "description": "collect only this faculty's cases; all when absent"})
    effective_date = Date(load_default=None, validate=DATE_RANGE, metadata={
        "description": "the order's effective date; today when absent"})
    channel = String(load_default="direct", validate=OneOf(CHANNELS))


class CaseQueryIn(Schema):
    status = String(load_default=None)
    process_id = String(load_default=None)
    q = String(load_default=None, validate=Length(max=200))
    faculty_id = Integer(load_default=None, validate=Range(1, DB_INT_MAX))
    received_from = Date(load_default=None, validate=DATE_RANGE)
    received_to = Date(load_default=None, validate=DATE_RANGE)
    limit = Integer(load_default=50, validate=Range(1, 500))
    offset = Integer(load_default=0, validate=Range(0, DB_INT_MAX))


class CancelIn(Schema):
    reason = String(required=True, validate=Length(1, 2000))
    withdrawn = Boolean(load_default=False)


class TaskOut(Schema):
    id = String(required=True)
    case_id = Integer(required=True)
    process_id = String()
    spec_name = String()
    name = String()
    lane = String(allow_none=True)
    role = String(allow_none=True)
    candidate_roles = List(String())
    faculty_id = Integer(allow_none=True)
    assignee_id = Integer(allow_none=True)
    form_key = String(allow_none=True)
    status = String()
    status_display = String(metadata={"description": "the status in words (Accept-Language)"})
    subject_name = String(allow_none=True)
    subject_iin = String(allow_none=True)
    created_at = DateTime()
    due_at = DateTime(allow_none=True)
    completed_at = DateTime(allow_none=True)
    overdue = Boolean()
    instructions = String(allow_none=True)
    instructions_kk = String(allow_none=True, metadata={"description": "The instructions in Kazakh, "
                                                       "where the model has them"})


class TaskDetailOut(TaskOut):
    form = Dict(allow_none=True)
    ui_schema = Dict(allow_none=True)
    data = Dict()
    can_act = Boolean()


class TaskListOut(Schema):
    items = List(Nested(TaskOut))
    total = Integer()
    limit = Integer()
    offset = Integer()


class TaskQueryIn(Schema):
    scope = String(load_default="mine", validate=OneOf(("mine", "group", "all")))
    overdue = Boolean(load_default=False)
    process_id = String(load_default=None)
    faculty_id = Integer(load_default=None, validate=Range(1, DB_INT_MAX))
    q = String(load_default=None, validate=Length(max=200))
    created_from = Date(load_default=None, validate=DATE_RANGE)
    created_to = Date(load_default=None, validate=DATE_RANGE)
    limit = Integer(load_default=50, validate=Range(1, 500))
    offset = Integer(load_default=0, validate=Range(0, DB_INT_MAX))


class CompleteIn(Schema):
    data = Dict(keys=String(), load_default=dict)


class DelegateIn(Schema):
    username = String(required=True, validate=Length(1, 64))


class AuditOut(Schema):
    id = Integer()
    kind = String()
    at = DateTime()
    actor_id = Integer(allow_none=True)
    task_id = String(allow_none=True)
    payload = Dict()


class DocumentOut(Schema):
    id = Integer()
    kind = String()
    number = String(allow_none=True)
    language = String()
    version = Integer()
    filename = String()
    sha256 = String()
    template_version = Integer(allow_none=True, metadata={
        "description": "the version of the template it was rendered from (1: the built-in file)"})
    created_at = DateTime()
    status = String(metadata={"description": "this version: draft (not signed yet), signed, superseded "
                                             "(a later version replaced it) or issued (certificates)"})
    status_name = String(metadata={"description": "the status in words (Accept-Language)"})
    status_display = String(metadata={"description": "the status in words (Accept-Language); "
                                                    "the same as status_name"})
    kind_display = String(metadata={"description": "what the document is, in words (Accept-Language)"})
    language_display = String(metadata={"description": "the document's language in words"})
    signed_at = DateTime(allow_none=True)
    pdf_status = String(metadata={"description": "pending (being made), ready (GET .../pdf serves it) "
                                                 "or waiting (no LibreOffice on the server yet)"})
    pdf_status_name = String(metadata={"description": "the PDF's state in words (Accept-Language)"})
    pdf_sha256 = String(allow_none=True, metadata={"description": "SHA-256 of the stored PDF"})


class TimerOut(Schema):
    spec_name = String()
    due_at = DateTime()


class CaseOut(Schema):
    id = Integer(required=True)
    process_id = String()
    process_version = Integer()
    process_display = String(metadata={"description": "the procedure's name (Accept-Language)"})
    status = String()
    status_display = String(metadata={"description": "the status in words (Accept-Language)"})
    outcome = String(allow_none=True)
    outcome_display = String(allow_none=True, metadata={"description": "the outcome in words"})
    refusal_ground = String(allow_none=True)
    refusal_ground_display = String(allow_none=True, metadata={
        "description": "the refusal ground in the catalog's words (Accept-Language)"})
    channel = String()
    channel_display = String(allow_none=True, metadata={"description": "the channel in words"})
    student_id = Integer(allow_none=True)
    faculty_id = Integer(allow_none=True)
    subject_name = String(allow_none=True)
    subject_iin = String(allow_none=True)
    received_at = DateTime()
    deadline_at = DateTime(allow_none=True)
    decided_at = DateTime(allow_none=True)
    cancel_reason = String(allow_none=True)


class CaseStepOut(CaseOut):
    open_tasks = List(Nested(TaskOut))


class IncidentOut(Schema):
    job_id = Integer(required=True)
    kind = String(required=True, metadata={"description": "job kind, e.g. document/render"})
    case_id = Integer(allow_none=True)
    attempts = Integer()
    last_error = String(allow_none=True, metadata={"description": "the error of the last attempt"})
    at = DateTime(allow_none=True, metadata={"description": "when the last attempt failed"})


class CaseDetailOut(CaseOut):
    data = Dict()
    open_tasks = List(Nested(TaskOut))
    history = List(Nested(AuditOut))
    documents = List(Nested(DocumentOut))
    timers = List(Nested(TimerOut))
    incidents = List(Nested(IncidentOut), metadata={"description": "failed background jobs"})


class CaseListOut(Schema):
    items = List(Nested(CaseOut))
    total = Integer()
    limit = Integer()
    offset = Integer()


class ProcessOut(Schema):
    id = Integer()
    process_id = String()
    version = Integer()
    name = String()
    kind = String()
    dialect = String()
    filename = String()
    content_hash = String()
    is_latest = Boolean()
    deployed_at = DateTime()
    user_tasks = List(Dict())
    application_form = Dict(allow_none=True, metadata={"description": (
        "JSON Schema of what POST /cases takes in `data` for this procedure "
        "(forms/<process_id>/application.schema.json), null when it has none")})


class ProcessListOut(Schema):
    items = List(Nested(ProcessOut))


class DeployIn(Schema):
    file = File(required=True)


class DeployOut(Schema):
    process_id = String()
    version = Integer()
    definition_id = Integer()
    created = Boolean()


class DeployListOut(Schema):
    items = List(Nested(DeployOut))


# --- operations (admin) ---------------------------------------------------------------------
class IncidentListOut(Schema):
    items = List(Nested(IncidentOut))


class OldestJobOut(Schema):
    job_id = Integer()
    kind = String()
    case_id = Integer(allow_none=True)
    age_seconds = Float(metadata={"description": "seconds since the job became due"})


class WaitingTimerOut(Schema):
    case_id = Integer()
    element = String()
    due_at = DateTime()


class OpsStatusOut(Schema):
    jobs = Dict(keys=String(), values=Integer(), metadata={"description": "jobs by status"})
    queue_depth = Integer(metadata={"description": "pending + sent jobs"})
    oldest_pending = Nested(OldestJobOut, allow_none=True)
    timers = List(Nested(WaitingTimerOut), metadata={"description": "the next waiting timers"})
    incidents = List(Nested(IncidentOut))
    heartbeats = Dict(keys=String(), values=Float(), metadata={"description": "name -> age, s"})
    worker_ok = Boolean()
    worker_heartbeat = String(allow_none=True)
    worker_heartbeat_age = Float(allow_none=True)
    worker_message = String()
    at = DateTime()


class JobOut(Schema):
    job_id = Integer()
    kind = String()
    case_id = Integer(allow_none=True)
    status = String()
    attempts = Integer()
    last_error = String(allow_none=True)
    available_at = DateTime(allow_none=True)


class SkipIn(Schema):
    reason = String(required=True, validate=Length(1, 2000))
