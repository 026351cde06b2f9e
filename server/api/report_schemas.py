"""Request and response schemas of the registers, the reports and the military register (the
rest: server/api/schemas.py)."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, Date, DateTime, Dict, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range

from server.api.schemas import DATE_RANGE
from server.db import DB_INT_MAX
from server.services.documents.registers import REGISTERS


class RegisterQueryIn(Schema):
    register = String(load_default=None, validate=OneOf(REGISTERS),
                      metadata={"description": " | ".join(REGISTERS) + " (all when absent)"})
    year = Integer(load_default=None, validate=Range(1900, 9999))
    kind = String(load_default=None, validate=Length(max=64),
                  metadata={"description": "template kind, e.g. cert_study"})
    q = String(load_default=None, validate=Length(max=200),
               metadata={"description": "number or holder name (substring)"})
    date_from = Date(load_default=None, validate=DATE_RANGE,
                 data_key="from", metadata={"description": "issued on or after"})
    date_to = Date(load_default=None, validate=DATE_RANGE,
                 data_key="to", metadata={"description": "issued on or before"})
    format = String(load_default="json", validate=OneOf(("json", "xlsx")),
                    metadata={"description": "json (paged) or xlsx (every matching row)"})
    limit = Integer(load_default=50, validate=Range(1, 500))
    offset = Integer(load_default=0, validate=Range(0, DB_INT_MAX))


class RegisterRowOut(Schema):
    register = String(required=True)
    year = Integer(required=True)
    seq = Integer(required=True)
    number = String(required=True)
    date = Date(required=True, metadata={"description": "date of issue, local time zone"})
    kind = String(required=True)
    kind_name = String(metadata={"description": "what the document is, in Russian"})
    kind_display = String(metadata={"description": "what the document is, in the Accept-Language language"})
    register_display = String(metadata={"description": "the register's name (Accept-Language)"})
    version = Integer()
    languages = List(String())
    document_ids = List(Integer())
    case_id = Integer(allow_none=True)
    subject = String(allow_none=True, metadata={"description": "holder (the case's subject)"})
    case_status = String(allow_none=True)
    case_status_display = String(allow_none=True, metadata={"description": "the case's status in words"})
    signed_by = String(allow_none=True, metadata={"description": "who signed this version (signed only)"})
    status = String(metadata={"description": "this version: draft, signed, superseded or issued"})
    status_name = String(metadata={"description": "the status in words, in the Accept-Language language"})
    status_display = String(metadata={"description": "the same as status_name"})
    blank = String(allow_none=True, metadata={"description": "a duplicate's blank: series and number"})


class RegisterListOut(Schema):
    items = List(Nested(RegisterRowOut))
    total = Integer()
    limit = Integer()
    offset = Integer()


# -- reports ---------------------------------------------------------------------------------

REPORT_FORMATS = ("json", "xlsx", "docx")


class PublicServicesQueryIn(Schema):
    month = String(load_default=None, validate=Length(equal=7),
                   metadata={"description": "YYYY-MM (or give from and to)"})
    date_from = Date(load_default=None, validate=DATE_RANGE,
                 data_key="from", metadata={"description": "first local day"})
    date_to = Date(load_default=None, validate=DATE_RANGE,
                 data_key="to", metadata={"description": "last local day"})
    format = String(load_default="json", validate=OneOf(REPORT_FORMATS))
    lang = String(load_default="ru", validate=OneOf(("ru", "kk")),
                  metadata={"description": "the DOCX's language: ru or kk"})
    live = Boolean(load_default=False, metadata={
        "description": "compute now even when the month's report is stored (a snapshot)"})


class ContingentQueryIn(Schema):
    date_from = Date(required=True, validate=DATE_RANGE,
                 data_key="from", metadata={"description": "first local day"})
    date_to = Date(required=True, validate=DATE_RANGE,
                 data_key="to", metadata={"description": "last local day"})
    format = String(load_default="json", validate=OneOf(("json", "xlsx")))


class StudentBodyQueryIn(Schema):
    on = Date(load_default=None, validate=DATE_RANGE,
              metadata={"description": "the date of the counts (today when absent; not in the future)"})
    format = String(load_default="json", validate=OneOf(("json", "xlsx")))


class StudentBodyOut(Schema):
    kind = String()
    on = String(metadata={"description": "YYYY-MM-DD"})
    basis = String(metadata={"description": "registry (today) or registry_and_changes (an earlier date: "
                             "the registry with the later orders' changes undone)"})
    generated_at = String(metadata={"description": "ISO 8601, UTC"})
    timezone = String()
    totals = Dict(keys=String(), values=Integer())
    columns = Dict(keys=String(), values=Dict(), metadata={"description": "column -> {ru, kk, en}"})
    tables = List(Dict(), metadata={"description": "per dimension (year, form, language, funding, "
                                    "citizenship, sex, age, level, faculty_code, status): rows of "
                                    "{code, name {ru, kk, en}, total, female, grant, foreign, on_leave}"})
    years = List(String())
    year_names = Dict(keys=String(), values=Dict())
    by_faculty = List(Dict(), metadata={"description": "students per course in each faculty"})


class PublicServiceRowOut(Schema):
    service = String(required=True)
    registry_code = String(allow_none=True)
    name_ru = String()
    name_kk = String()
    received = Integer()
    received_direct = Integer()
    received_egov = Integer()
    received_state_corporation = Integer()
    rendered = Integer()
    positive = Integer()
    on_time = Integer()
    late = Integer()
    days_overdue = Integer(metadata={"description": "working days overdue, summed over late cases"})
    max_days_overdue = Integer()
    refused = Integer()
    results_electronic = Integer(metadata={"description": "rendered, applied through the e-gov portal"})
    results_paper = Integer(metadata={"description": "rendered, applied otherwise"})
    complaints = Integer(metadata={"description": "complaints received in the period"})
    refusals = Dict(keys=String(), values=Integer(), metadata={"description": "ground -> count"})
    in_progress = Integer()


class PublicServicesOut(Schema):
    kind = String()
    period = String()
    from_ = String(data_key="from", attribute="from", metadata={"description": "YYYY-MM-DD"})
    to = String(metadata={"description": "YYYY-MM-DD"})
    timezone = String()
    generated_at = String(metadata={"description": "ISO 8601, UTC"})
    stored = Boolean(metadata={"description": "true: a stored snapshot, unchanged since generated_at"})
    snapshot_id = Integer(allow_none=True)
    rows = List(Nested(PublicServiceRowOut))
    totals = Nested(PublicServiceRowOut(partial=True))
    grounds = Dict(keys=String(), values=Dict(), metadata={"description": "ground -> {ru, kk}"})
    definitions = List(String())


class ComplaintIn(Schema):
    case_id = Integer(required=True, validate=Range(1, DB_INT_MAX),
                      metadata={"description": "the public service's case the complaint is about"})
    received_on = Date(required=True, validate=DATE_RANGE, metadata={"description": "the day it came in"})
    summary = String(required=True, validate=Length(min=1, max=2000))


class ComplaintOut(Schema):
    id = Integer()
    case_id = Integer()
    service = String()
    received_on = String(metadata={"description": "YYYY-MM-DD"})
    summary = String()


class ComplaintListOut(Schema):
    items = List(Nested(ComplaintOut))


class ComplaintQueryIn(Schema):
    month = String(required=True, validate=Length(equal=7), metadata={"description": "YYYY-MM"})


class SnapshotOut(Schema):
    id = Integer()
    kind = String()
    period = String()
    generated_at = String(metadata={"description": "ISO 8601, UTC"})


class SnapshotListOut(Schema):
    items = List(Nested(SnapshotOut))


class SnapshotIn(Schema):
    month = String(required=True, validate=Length(equal=7), metadata={"description": "YYYY-MM"})


class StoredReportOut(Schema):
    snapshot_id = Integer()
    period = String()
    created = Boolean(metadata={"description": "false: the month was already stored"})
    generated_at = DateTime()


class ContingentOut(Schema):
    kind = String()
    basis = String(metadata={"description": "student_changes: counted from the registry's recorded changes"})
    period = String()
    from_ = String(data_key="from", attribute="from", metadata={"description": "YYYY-MM-DD"})
    to = String(metadata={"description": "YYYY-MM-DD"})
    generated_at = String(metadata={"description": "ISO 8601, UTC"})
    timezone = String()
    categories = Dict(keys=String(), values=Dict(), metadata={"description": "column -> {ru, kk, en}"})
    grounds = Dict(keys=String(), values=Dict(), metadata={"description": "expulsion ground -> {ru, kk, en}"})
    reasons = Dict(keys=String(), values=Dict(),
                   metadata={"description": "reason of an internal transfer -> {ru, kk, en}"})
    rows = List(Dict(), metadata={"description": "per faculty, programme, form, funding and citizenship: "
                                  "opening, movements, closing, balanced"})
    faculties = List(Dict(), metadata={"description": "the same per faculty"})
    totals = Dict()


class DashboardOut(Schema):
    generated_at = String(metadata={"description": "ISO 8601, UTC"})
    timezone = String()
    in_progress = List(Dict(), metadata={"description": "open cases per procedure and faculty"})
    overdue_now = List(Dict())
    processing_time = List(Dict(), metadata={"description": "average working days per procedure"})
    processing_window_days = Integer()
    on_time_trend = List(Dict())


class ConscriptsQueryIn(Schema):
    faculty = String(load_default=None, validate=Length(max=32),
                     metadata={"description": "faculty code (all faculties when absent)"})
    on = Date(load_default=None, metadata={"description": "age on this date (today when absent)"})


class ConscriptOut(Schema):
    student_id = Integer()
    iin = String()
    full_name = String()
    birth_date = Date()
    age = Integer()
    year = Integer()
    group = String(allow_none=True)
    programme_code = String()


class FacultyConscriptsOut(Schema):
    faculty_code = String()
    faculty_name = String()
    students = List(Nested(ConscriptOut))


class ConscriptsOut(Schema):
    on = Date()
    faculties = List(Nested(FacultyConscriptsOut))
