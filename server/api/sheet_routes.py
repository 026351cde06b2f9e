"""Grade sheets: created, lines entered or uploaded, checked, locked by the registrar, and a
locked sheet corrected only with the approving case."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from server.api import record_schemas as rs
from server.api.auth import current_actor, token_auth
from server.api.routes import _auth_doc, api_bp, ctx
from server.services.record import sheets


def sheet_out(view: sheets.SheetView) -> dict[str, Any]:
    s = view.sheet
    return {"id": s.id, "group": s.group, "discipline_code": view.discipline.code,
            "academic_year": s.academic_year, "term": s.term, "status": s.status, "locked_at": s.locked_at,
            "lines": [asdict(x) for x in view.lines]}


@api_bp.post("/grade-sheets")
@api_bp.auth_required(token_auth)
@api_bp.input(rs.SheetIn, arg_name="body")
@api_bp.output(rs.SheetOut, status_code=201)
@api_bp.doc(summary="Open a grade sheet (draft) of a group, discipline and term", **_auth_doc(409, 422))
def create_sheet(body: dict[str, Any]):  # type: ignore[no-untyped-def]
    app, actor = ctx(), current_actor()
    sheet_id = sheets.create_sheet(app, actor, body["group"], body["discipline_code"], body["academic_year"],
                                   body["term"], summer_group=body["summer_group"])
    return sheet_out(sheets.get_sheet(app, actor, sheet_id))


@api_bp.get("/grade-sheets/<int:sheet_id>")
@api_bp.auth_required(token_auth)
@api_bp.output(rs.SheetOut)
@api_bp.doc(summary="A grade sheet with its lines (a locked sheet: the counting results)", **_auth_doc())
def get_sheet(sheet_id: int):  # type: ignore[no-untyped-def]
    return sheet_out(sheets.get_sheet(ctx(), current_actor(), sheet_id))


@api_bp.put("/grade-sheets/<int:sheet_id>/lines")
@api_bp.auth_required(token_auth)
@api_bp.input(rs.SheetLinesIn, arg_name="body")
@api_bp.output(rs.SheetOut)
@api_bp.doc(summary="Enter students' points on a draft sheet (all lines or none)", **_auth_doc(409, 422))
def enter_lines(sheet_id: int, body: dict[str, Any]):  # type: ignore[no-untyped-def]
    return sheet_out(sheets.enter_lines(ctx(), current_actor(), sheet_id, body["lines"]))


@api_bp.post("/grade-sheets/<int:sheet_id>/upload")
@api_bp.auth_required(token_auth)
@api_bp.input(rs.SheetUploadIn, location="files", arg_name="upload")
@api_bp.output(rs.SheetOut)
@api_bp.doc(summary="Upload a draft sheet's lines (CSV/XLSX: iin, points, letter, attempt)",
            **_auth_doc(409, 422))
def upload_lines(sheet_id: int, upload: dict[str, Any]):  # type: ignore[no-untyped-def]
    file = upload["file"]
    content = file.read(sheets.SHEET_LIMITS.max_bytes + 1)
    return sheet_out(sheets.upload_lines(ctx(), current_actor(), sheet_id, file.filename or "sheet.csv",
                                         content))


@api_bp.post("/grade-sheets/<int:sheet_id>/check")
@api_bp.auth_required(token_auth)
@api_bp.output(rs.SheetOut)
@api_bp.doc(summary="Mark a draft sheet checked (its lines frozen)", **_auth_doc(409, 422))
def check_sheet(sheet_id: int):  # type: ignore[no-untyped-def]
    return sheet_out(sheets.check_sheet(ctx(), current_actor(), sheet_id))


@api_bp.post("/grade-sheets/<int:sheet_id>/reopen")
@api_bp.auth_required(token_auth)
@api_bp.output(rs.SheetOut)
@api_bp.doc(summary="Return a checked sheet to draft", **_auth_doc(409))
def reopen_sheet(sheet_id: int):  # type: ignore[no-untyped-def]
    return sheet_out(sheets.reopen_sheet(ctx(), current_actor(), sheet_id))


@api_bp.post("/grade-sheets/<int:sheet_id>/lock")
@api_bp.auth_required(token_auth)
@api_bp.output(rs.SheetOut)
@api_bp.doc(summary="Lock a checked sheet (the registrar): its lines become results", **_auth_doc(409))
def lock_sheet(sheet_id: int):  # type: ignore[no-untyped-def]
    return sheet_out(sheets.lock_sheet(ctx(), current_actor(), sheet_id))


@api_bp.post("/grade-sheets/<int:sheet_id>/corrections")
@api_bp.auth_required(token_auth)
@api_bp.input(rs.SheetCorrectionIn, arg_name="body")
@api_bp.output(rs.CreatedOut, status_code=201)
@api_bp.doc(summary="Correct a locked sheet's line: a new result with the reason and the approving case",
            **_auth_doc(409, 422))
def correct_sheet(sheet_id: int, body: dict[str, Any]):  # type: ignore[no-untyped-def]
    return {"id": sheets.correct_sheet(ctx(), current_actor(), sheet_id, body["student_id"], body["points"],
                                       body["reason"], body["case_id"], body["letter"])}
