"""Schemas of the academic record's endpoints."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Dict, File, Float, Integer, List, Nested, String
from apiflask.validators import Length, Range

from server.db import DB_INT_MAX


class StandingOut(Schema):
    gpa = Float(allow_none=True, metadata={
        "description": "credit-weighted grade points, two decimals (half up); null before any grade"})
    credits_graded = Float(required=True)
    credits_earned = Float(required=True, metadata={"description": "credits of results that are not FX/F"})
    debts = List(String(), metadata={"description": "discipline codes whose counting result is FX or F"})


class ResultOut(Schema):
    id = Integer(required=True)
    discipline_code = String(required=True)
    name_ru = String(required=True)
    name_kk = String(required=True)
    name_en = String(required=True)
    credits = Integer(required=True, metadata={"description": "ECTS"})
    control_form = String(required=True)
    academic_year = String(required=True)
    term = Integer(required=True)
    attempt = Integer(required=True)
    points = Integer(required=True)
    letter = String(required=True)
    grade_points = Float(required=True)
    debt = Boolean(required=True)
    corrected = Boolean(required=True, metadata={"description": "this row corrects an earlier one"})
    sheet_id = Integer(allow_none=True)
    import_id = Integer(allow_none=True)


class TermOut(Schema):
    term = Integer(required=True)
    results = List(Nested(ResultOut), metadata={"description": "the counting result of each discipline"})
    standing = Nested(StandingOut, required=True)
    cumulative = Nested(StandingOut, required=True, metadata={"description": "up to and with this term"})


class RecordOut(Schema):
    student_id = Integer(required=True)
    iin = String(required=True)
    full_name = String(required=True)
    programme_code = String(required=True)
    terms = List(Nested(TermOut))
    overall = Nested(StandingOut, required=True)
    promoted = Boolean(required=True, metadata={
        "description": "no academic debt and GPA at least promotion_min_gpa (config/grading.yaml)"})
    promotion_min_gpa = Float(required=True)


class ResultIn(Schema):
    discipline_code = String(required=True, validate=Length(1, 32))
    academic_year = String(required=True, validate=Length(1, 9), metadata={"example": "2025-2026"})
    term = Integer(required=True, validate=Range(1, 12),
                   metadata={"description": "the curriculum's semester"})
    points = Integer(required=True, metadata={"description": "0-100 (checked by the service)"})
    letter = String(load_default=None, allow_none=True, validate=Length(max=2), metadata={
        "description": "when given, must match the points on the scale"})
    attempt = Integer(load_default=1, validate=Range(1, 9))


class CorrectionIn(Schema):
    points = Integer(required=True)
    letter = String(load_default=None, allow_none=True, validate=Length(max=2))
    reason = String(load_default="", validate=Length(max=2000))
    case_id = Integer(load_default=None, allow_none=True, validate=Range(1, DB_INT_MAX), metadata={
        "description": "the case that approved the correction (an appeal, a correction case)"})


class CreatedOut(Schema):
    id = Integer(required=True)


class ImportIn(Schema):
    file = File(required=True)
    # checked after the permission check (a reader who may not import gets 403, not 422)
    kind = String(load_default=None, metadata={"description": "transcripts | curricula"})
    dry_run = Boolean(load_default=True, metadata={"description": "check and report; write nothing"})
    mapping = String(load_default="", validate=Length(max=4000), metadata={
        "description": "JSON object: field -> the file's column, e.g. {\"iin\": \"ИИН\"}"})
    run_async = Boolean(load_default=None, allow_none=True, data_key="async", metadata={
        "description": "true: queue the import (202); false: run it in this request; not given: "
                       "queued when the file is larger than 1 MiB (about 20,000 transcript rows)"})


class TranscriptRowsIn(Schema):
    file = File(required=True)
    mapping = String(load_default="", validate=Length(max=4000), metadata={
        "description": "JSON object: field -> the file's column, e.g. {\"discipline\": \"Дисциплина\"}"})


class TranscriptRowOut(Schema):
    discipline = String(required=True)
    discipline_code = String(allow_none=True)
    credits = Float(required=True)
    points = Integer(allow_none=True)
    letter = String(required=True)
    term = Integer(allow_none=True)


class TranscriptRowsOut(Schema):
    rows = List(Nested(TranscriptRowOut), required=True)


class RowOut(Schema):
    row = Integer(required=True, metadata={"description": "the file's row number (the header is row 1)"})
    iin = String(allow_none=True)
    discipline = String(allow_none=True)
    status = String(required=True, metadata={"description": "new | updated | unchanged | refused"})
    reason = String(allow_none=True)


class ImportOut(Schema):
    kind = String(required=True)
    dry_run = Boolean(required=True)
    import_id = Integer(allow_none=True)
    counts = Dict(keys=String(), values=Integer())
    rows = List(Nested(RowOut))
    status = String(metadata={"description": "a queued import (202): queued; its progress at "
                                             "GET /record/imports/{id} (the Location header)"})


class ImportStateOut(Schema):
    id = Integer(required=True)
    kind = String(required=True, metadata={"description": "transcripts | curricula"})
    filename = String(required=True)
    dry_run = Boolean(required=True)
    status = String(required=True, metadata={
        "description": "queued | checking | writing | done | refused (a row refused: nothing written) | "
                       "failed (an error: nothing written)"})
    status_display = String(metadata={"description": "the status in words (Accept-Language)"})
    total = Integer(required=True, metadata={"description": "the file's data rows (0 until it is read)"})
    processed = Integer(required=True, metadata={
        "description": "rows done in the phase: checked (checking), written (writing, of counts.new)"})
    percent = Integer(required=True, metadata={"description": "the current phase's progress, 0-100"})
    counts = Dict(keys=String(), values=Integer(), allow_none=True, metadata={
        "description": "new, updated, unchanged, refused (once the rows are checked)"})
    rows = List(Nested(RowOut), metadata={
        "description": "the kept per-row report: every row of a file of at most 1,000 rows, else the "
                       "first 1,000 refused rows (counts.refused gives them all)"})
    error = String(allow_none=True, metadata={"description": "why the import failed (Accept-Language)"})
    created_at = DateTime(required=True)
    started_at = DateTime(allow_none=True)
    finished_at = DateTime(allow_none=True)


class ImportListOut(Schema):
    items = List(Nested(ImportStateOut))


class StayOut(Schema):
    student_id = Integer(required=True)
    iin = String(required=True)
    full_name = String(required=True)
    year = Integer(required=True)
    group = String(allow_none=True)
    gpa = Float(allow_none=True)
    debts = Integer(required=True)


class PromotionOut(Schema):
    faculty = String(required=True)
    min_gpa = Float(required=True)
    computed_at = DateTime(required=True)
    items = List(Nested(StayOut))


class SheetIn(Schema):
    group = String(required=True, validate=Length(1, 32))
    discipline_code = String(required=True, validate=Length(1, 32))
    academic_year = String(required=True, validate=Length(1, 9), metadata={"example": "2025-2026"})
    term = Integer(required=True, validate=Range(1, 12))
    summer_group = Boolean(load_default=False, metadata={
        "description": "a summer semester's group formed for retakes, which the student registry does not "
                       "have (any other group must be the registry's)"})


class SheetLineIn(Schema):
    iin = String(load_default=None, allow_none=True, validate=Length(max=12))
    student_id = Integer(load_default=None, allow_none=True, validate=Range(1, DB_INT_MAX))
    points = Integer(required=True)
    letter = String(load_default=None, allow_none=True, validate=Length(max=2))
    attempt = Integer(load_default=1, validate=Range(1, 9))


class SheetLinesIn(Schema):
    lines = List(Nested(SheetLineIn), required=True, validate=Length(1, 2000))


class SheetUploadIn(Schema):
    file = File(required=True)


class SheetCorrectionIn(Schema):
    student_id = Integer(required=True, validate=Range(1, DB_INT_MAX))
    points = Integer(required=True)
    letter = String(load_default=None, allow_none=True, validate=Length(max=2))
    reason = String(load_default="", validate=Length(max=2000))
    case_id = Integer(load_default=None, allow_none=True, validate=Range(1, DB_INT_MAX))


class SheetLineOut(Schema):
    student_id = Integer(required=True)
    iin = String(required=True)
    full_name = String(required=True)
    points = Integer(required=True)
    letter = String(required=True)
    attempt = Integer(required=True)
    result_id = Integer(allow_none=True, metadata={
        "description": "a locked sheet's line: its counting result"})
    corrected = Boolean(required=True)


class SheetOut(Schema):
    id = Integer(required=True)
    group = String(required=True)
    discipline_code = String(required=True)
    academic_year = String(required=True)
    term = Integer(required=True)
    status = String(required=True, metadata={"description": "draft | checked | locked"})
    locked_at = DateTime(allow_none=True)
    lines = List(Nested(SheetLineOut))
