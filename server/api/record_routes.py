"""The academic record: a student's record, results entered and corrected, imports, the
promotion list."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from flask import url_for

from server.api import record_schemas as rs
from server.api.auth import current_actor, token_auth
from server.api.routes import _auth_doc, api_bp, ctx
from server.db import utcnow
from server.domain import labels
from server.domain.grading import Standing
from server.models import RecordImport
from server.services.errors import Invalid, msg_from_data, tr
from server.services.record import difference, import_jobs, imports, queries, results
from server.services.record.access import require_keeper, scale
from server.web.i18n import api_locale, localized


def _standing(s: Standing) -> dict[str, Any]:
    return {"gpa": s.gpa, "credits_graded": s.credits_graded, "credits_earned": s.credits_earned,
            "debts": list(s.debts)}


def record_out(rec: queries.StudentRecord) -> dict[str, Any]:
    st = rec.student
    return {"student_id": st.id, "iin": st.iin, "full_name": st.full_name,
            "programme_code": st.programme_code,
            "terms": [{"term": t.term, "results": [asdict(x) for x in t.lines],
                       "standing": _standing(t.standing), "cumulative": _standing(t.cumulative)}
                      for t in rec.terms],
            "overall": _standing(rec.overall), "promoted": rec.promoted,
            "promotion_min_gpa": rec.promotion_min_gpa}


@api_bp.get("/students/<int:student_id>/record")
@api_bp.auth_required(token_auth)
@api_bp.output(rs.RecordOut)
@api_bp.doc(summary="A student's academic record by term with term and cumulative GPA, credits, debt",
            description="Per discipline the latest attempt counts (of it, the latest correction); FX and F "
            "are academic debt until passed. Computed on read. A dean sees only the dean's faculty's "
            "students (404 otherwise).", **_auth_doc())
def student_record(student_id: int):  # type: ignore[no-untyped-def]
    return record_out(queries.student_record(ctx(), current_actor(), student_id))


@api_bp.post("/students/<int:student_id>/results")
@api_bp.auth_required(token_auth)
@api_bp.input(rs.ResultIn, arg_name="body")
@api_bp.output(rs.CreatedOut, status_code=201)
@api_bp.doc(summary="Record one result (the registrar office)", description="Refused (422, nothing "
            "stored) for an unknown discipline, a letter that does not match the points, a term the "
            "student's curriculum does not have the discipline in; 409 for an attempt already recorded.",
            **_auth_doc(409, 422))
def add_result(student_id: int, body: dict[str, Any]):  # type: ignore[no-untyped-def]
    new = results.NewResult(student_id=student_id, **body)
    return {"id": results.append_result(ctx(), current_actor(), new)}


@api_bp.post("/results/<int:result_id>/corrections")
@api_bp.auth_required(token_auth)
@api_bp.input(rs.CorrectionIn, arg_name="body")
@api_bp.output(rs.CreatedOut, status_code=201)
@api_bp.doc(summary="Correct a recorded result: a new row with the reason and the approving case",
            description="The corrected row stays in the record; the correction counts from now on.",
            **_auth_doc(422))
def correct_result(result_id: int, body: dict[str, Any]):  # type: ignore[no-untyped-def]
    return {"id": results.correct_result(ctx(), current_actor(), result_id, body["points"], body["reason"],
                                         body["case_id"], body["letter"])}


def _queued_doc() -> dict[str, Any]:
    doc = _auth_doc(422)
    doc["responses"][202] = {"description": "Queued: the import's id, status `queued`; its progress at "
                             "the Location header's address", "content": {
                                 "application/json": {"schema": rs.ImportOut}}}
    return doc


@api_bp.post("/record/imports")
@api_bp.auth_required(token_auth)
@api_bp.input(rs.ImportIn, location="form_and_files", arg_name="upload")
@api_bp.output(rs.ImportOut)
@api_bp.doc(summary="Import transcripts or curricula (CSV/XLSX): a dry run reports every row",
            description="dry_run (the default) checks every row and reports it (row, ИИН, discipline, "
            "status, reason), writing nothing. A real run writes all rows or, with any refused row, "
            "nothing (422 listing the rows). A file over 1 MiB, or any file with async=true, is queued "
            "instead: 202 with the import's id and its Location, where its progress is read.",
            **_queued_doc())
def import_record(upload: dict[str, Any]):  # type: ignore[no-untyped-def]
    actor = current_actor()
    require_keeper(actor)
    if upload["kind"] not in ("transcripts", "curricula"):
        raise Invalid("Импорт не выполнен: укажите, что импортируется", {
            "kind": tr("допустимо %(values)s", values="transcripts, curricula")})
    mapping = _mapping(upload["mapping"])
    file = upload["file"]
    queued = upload["run_async"]
    content = file.read(import_jobs.QUEUED_LIMITS.max_bytes + 1 if queued is not False
                        else imports.RECORD_LIMITS.max_bytes + 1)
    if queued or (queued is None and len(content) > import_jobs.ASYNC_BYTES):
        import_id = import_jobs.queue_import(ctx(), actor, upload["kind"], file.filename or "import.csv",
                                             content, mapping=mapping, dry_run=upload["dry_run"])
        body = {"kind": upload["kind"], "dry_run": upload["dry_run"], "import_id": import_id,
                "status": "queued", "counts": {}, "rows": []}
        return body, 202, {"Location": url_for("api.record_import", import_id=import_id)}
    run = imports.import_transcripts if upload["kind"] == "transcripts" else imports.import_curricula
    report = run(ctx(), actor, file.filename or "import.csv", content, mapping=mapping,
                 dry_run=upload["dry_run"])
    counts = {s: report.count(s) for s in ("new", "updated", "unchanged", "refused")}
    return {"kind": report.kind, "dry_run": report.dry_run, "import_id": report.import_id, "counts": counts,
            "status": "done", "rows": [asdict(r) for r in report.rows]}


def import_out(row: RecordImport) -> dict[str, Any]:
    """An import's state; its texts in the client's language."""
    locale = api_locale()
    kept = [{**r, "reason": localized(msg_from_data(r.get("reason")) or "", locale) or None}
            for r in row.report or []]
    error = import_jobs.error_text(row)
    return {"id": row.id, "kind": row.kind, "filename": row.filename, "dry_run": row.dry_run,
            "status": row.status, "status_display": labels.label("import_status", row.status, locale),
            "total": row.rows, "processed": row.processed, "percent": import_jobs.percent(row),
            "counts": row.counts, "rows": kept, "error": localized(error, locale) if error else None,
            "created_at": row.created_at, "started_at": row.started_at, "finished_at": row.finished_at}


@api_bp.get("/record/imports/<int:import_id>")
@api_bp.auth_required(token_auth)
@api_bp.output(rs.ImportStateOut)
@api_bp.doc(summary="An import's progress and outcome (poll it while it runs)",
            description="The record keepers only. While it runs: status checking or writing, processed "
            "and percent of the phase; then done (counts), refused (the refused rows: nothing written) or "
            "failed (error: nothing written).", **_auth_doc())
def record_import(import_id: int):  # type: ignore[no-untyped-def]
    return import_out(import_jobs.get_import(ctx(), current_actor(), import_id))


@api_bp.get("/record/imports")
@api_bp.auth_required(token_auth)
@api_bp.output(rs.ImportListOut)
@api_bp.doc(summary="The latest 50 imports, newest first (the record keepers)", **_auth_doc())
def record_imports():  # type: ignore[no-untyped-def]
    return {"items": [import_out(r) for r in import_jobs.recent_imports(ctx(), current_actor())]}


def _mapping(text: str) -> dict[str, str]:
    try:
        mapping = json.loads(text) if text.strip() else {}
    except ValueError:
        mapping = None
    if not isinstance(mapping, dict) or not all(isinstance(v, str) for v in mapping.values()):
        raise Invalid("Сопоставление столбцов не принято: ожидается объект JSON «поле: столбец»",
                      {"mapping": tr("ожидается объект JSON «поле: столбец»")})
    return mapping


@api_bp.post("/record/transcript-rows")
@api_bp.auth_required(token_auth)
@api_bp.input(rs.TranscriptRowsIn, location="form_and_files", arg_name="upload")
@api_bp.output(rs.TranscriptRowsOut)
@api_bp.doc(summary="Read a sending university's transcript (CSV/XLSX) into checked rows",
            description="Fields: discipline, discipline_code, credits, points, letter, term. Every row "
            "is checked (credits required, the letter agrees with the points); an unknown column or a "
            "bad row is a 422 naming the file's line and the field. Nothing is stored: the rows go into "
            "a transfer's registration (applicant.earlier_results) or its check step (earlier_results).",
            **_auth_doc(422))
def transcript_rows(upload: dict[str, Any]):  # type: ignore[no-untyped-def]
    actor = current_actor()
    require_keeper(actor)
    file = upload["file"]
    content = file.read(difference.TRANSCRIPT_LIMITS.max_bytes + 1)
    return {"rows": difference.read_transcript(ctx(), actor, file.filename or "transcript.csv", content,
                                               _mapping(upload["mapping"]))}


@api_bp.get("/faculties/<faculty_code>/promotion")
@api_bp.auth_required(token_auth)
@api_bp.output(rs.PromotionOut)
@api_bp.doc(summary="The faculty's students who do not move up: academic debt or GPA under the threshold",
            description="The threshold is config/grading.yaml's promotion.min_gpa. A dean sees only the "
            "dean's faculty.", **_auth_doc())
def promotion(faculty_code: str):  # type: ignore[no-untyped-def]
    items = queries.promotion_list(ctx(), current_actor(), faculty_code)
    return {"faculty": faculty_code, "min_gpa": scale(ctx()).promotion_min_gpa, "computed_at": utcnow(),
            "items": [asdict(i) for i in items]}
