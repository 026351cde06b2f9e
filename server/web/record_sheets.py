"""Grade sheets (экзаменационные ведомости) in the staff UI (/app/record/sheets): the list with
its filters, a new sheet, and a sheet's page — the group's students with a points field each,
saved as a draft or uploaded as CSV/XLSX, checked, returned for correction and locked by the
registrar after a confirmation naming what goes into the record. A locked sheet is read-only:
a result changes only through an appeal or a correction case. The office edits; a dean reads the
sheets of the dean's faculty (server/services/record/sheet_lists.py, sheets.py)."""

from __future__ import annotations

import json
from typing import Any

from apiflask import APIBlueprint
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from server.domain import labels
from server.request_guard import int_param, page_param
from server.services.errors import Conflict, DomainError, Invalid, Msg
from server.services.record import sheet_lists, sheets
from server.services.record.access import RECORD_KEEPERS, SHEET_LOCKERS
from server.web.i18n import lang, localized, localized_fields, localized_message
from server.web.session import actor, check_csrf, ctx, login_required

sheets_ui_bp = APIBlueprint("staff_sheets", __name__, url_prefix="/app/record/sheets",
                            template_folder="templates", enable_openapi=False)
PAGE = 50


@sheets_ui_bp.before_request
def _protect() -> None:
    check_csrf()


def _require(roles: frozenset[str]) -> None:
    """A page that changes a sheet: the office only (403 before anything is read)."""
    if not actor().has_any(roles):
        abort(403)


def _text(name: str) -> str | None:
    return request.args.get(name, "").strip() or None


@sheets_ui_bp.get("/")
@login_required
def sheet_list():  # type: ignore[no-untyped-def]
    me = actor()
    status = _text("status")
    page = page_param()
    query = sheet_lists.SheetFilter(group=_text("group"), discipline_code=_text("discipline"),
                                    academic_year=_text("year"), term=int_param("term", high=12),
                                    status=status if status in sheet_lists.STATUSES else None,
                                    limit=PAGE, offset=(page - 1) * PAGE)
    rows, total = sheet_lists.list_sheets(ctx(), me, query)
    return render_template("staff/sheets.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE)), choices=sheet_lists.sheet_choices(ctx(), me),
                           statuses=labels.choices("sheet_status", lang()), args=request.args,
                           may_create=me.has_any(RECORD_KEEPERS))


@sheets_ui_bp.route("/new", methods=["GET", "POST"])
@login_required
def new_sheet():  # type: ignore[no-untyped-def]
    _require(RECORD_KEEPERS)
    me = actor()
    values: dict[str, str] = dict(request.form) if request.method == "POST" else {}
    errors: dict[str, str] = {}
    message = None
    status = 200
    if request.method == "POST":
        term_text = values.get("term", "").strip()
        term = int(term_text) if term_text.isdigit() and len(term_text) < 3 else 0
        try:
            sheet_id = sheets.create_sheet(ctx(), me, values.get("group", ""),
                                           values.get("discipline_code", ""), values.get("academic_year", ""),
                                           term, summer_group=values.get("summer_group") == "on")
        except (Invalid, Conflict) as exc:
            errors, message = localized_fields(exc), localized_message(exc)
            status = 409 if isinstance(exc, Conflict) else 422
        else:
            flash(_("The grade sheet is opened as a draft: enter the students' points."), "info")
            return redirect(url_for("staff_sheets.sheet_page", sheet_id=sheet_id))
    return render_template("staff/sheet_new.html", choices=sheet_lists.sheet_choices(ctx(), me),
                           values=values, errors=errors, message=message), status


def _page(sheet_id: int, status: int = 200, **extra: Any):  # type: ignore[no-untyped-def]
    page = sheet_lists.sheet_page(ctx(), actor(), sheet_id)
    bands = json.dumps([{"letter": b.letter, "min": b.min, "max": b.max, "points": b.points}
                        for b in page.bands])
    extra.setdefault("row_errors", {})
    extra.setdefault("typed", {})
    return render_template("staff/sheet.html", page=page, sheet=page.view.sheet,
                           discipline=page.view.discipline, bands_json=bands, **extra), status


@sheets_ui_bp.get("/<int:sheet_id>")
@login_required
def sheet_page(sheet_id: int):  # type: ignore[no-untyped-def]
    return _page(sheet_id)


def _row_reason(reason: str) -> str:
    """A refused line's reason without its «строка N:» (the page shows it beside the row)."""
    inner = reason.params.get("reason") if isinstance(reason, Msg) else None
    return localized(inner if isinstance(inner, Msg) else reason)


@sheets_ui_bp.post("/<int:sheet_id>/lines")
@login_required
def save_lines(sheet_id: int):  # type: ignore[no-untyped-def]
    """The points typed into the page: a row left empty is not entered (its line, if it had
    one, is taken off the sheet)."""
    _require(RECORD_KEEPERS)
    form = request.form
    order: list[str] = []
    lines: list[dict[str, Any]] = []
    emptied: list[int] = []
    typed: dict[str, dict[str, str]] = {}
    for key in form:
        if not key.startswith("points-"):
            continue
        sid = key.removeprefix("points-")
        typed[sid] = {"points": form.get(key, "").strip(), "attempt": form.get(f"attempt-{sid}", "").strip()}
        if typed[sid]["points"]:
            order.append(sid)
            lines.append({"student_id": sid, "points": typed[sid]["points"],
                          "attempt": typed[sid]["attempt"] or 1})
        elif sid.isdigit() and len(sid) < 12:
            emptied.append(int(sid))
    extra = {name: form.get(f"extra-{name}", "").strip() for name in ("iin", "points", "attempt")}
    if extra["iin"] or extra["points"]:  # a student outside the group (a retake, a summer group)
        order.append("extra")
        lines.append({"iin": extra["iin"], "points": extra["points"], "attempt": extra["attempt"] or 1})
    typed["extra"] = extra
    try:
        sheets.enter_lines(ctx(), actor(), sheet_id, lines, remove=emptied)
    except Invalid as exc:
        row_errors = {order[int(n) - 1]: _row_reason(reason) for n, reason in exc.fields.items()
                      if n.isdigit() and 0 < int(n) <= len(order)}
        return _page(sheet_id, 422, message=localized_message(exc), row_errors=row_errors, typed=typed)
    flash(_("Draft saved: %(n)d lines.", n=len(lines)), "info")
    return redirect(url_for("staff_sheets.sheet_page", sheet_id=sheet_id))


@sheets_ui_bp.post("/<int:sheet_id>/upload")
@login_required
def upload(sheet_id: int):  # type: ignore[no-untyped-def]
    _require(RECORD_KEEPERS)
    file = request.files.get("file")
    if file is None or not file.filename:
        return _page(sheet_id, 422, upload_message=_("Choose a CSV or XLSX file."))
    content = file.read(sheets.SHEET_LIMITS.max_bytes + 1)
    try:
        view = sheets.upload_lines(ctx(), actor(), sheet_id, file.filename, content)
    except Invalid as exc:
        reasons = localized_fields(exc)
        ordered = sorted(reasons.items(), key=lambda kv: int(kv[0]) if kv[0].isdigit() else 0)
        return _page(sheet_id, 422, upload_message=localized_message(exc),
                     upload_errors=[reason for _line, reason in ordered])
    flash(_("File uploaded: %(n)d lines in the sheet.", n=len(view.lines)), "info")
    return redirect(url_for("staff_sheets.sheet_page", sheet_id=sheet_id))


@sheets_ui_bp.post("/<int:sheet_id>/check")
@login_required
def check(sheet_id: int):  # type: ignore[no-untyped-def]
    _require(RECORD_KEEPERS)
    try:
        sheets.check_sheet(ctx(), actor(), sheet_id)
    except Invalid as exc:
        return _page(sheet_id, 422, message=localized_message(exc))
    flash(_("The sheet is checked: its lines can no longer be changed."), "info")
    return redirect(url_for("staff_sheets.sheet_page", sheet_id=sheet_id))


@sheets_ui_bp.post("/<int:sheet_id>/reopen")
@login_required
def reopen(sheet_id: int):  # type: ignore[no-untyped-def]
    _require(RECORD_KEEPERS)
    sheets.reopen_sheet(ctx(), actor(), sheet_id)
    flash(_("The sheet is returned for correction: it is a draft again."), "info")
    return redirect(url_for("staff_sheets.sheet_page", sheet_id=sheet_id))


@sheets_ui_bp.route("/<int:sheet_id>/lock", methods=["GET", "POST"])
@login_required
def lock(sheet_id: int):  # type: ignore[no-untyped-def]
    """GET: what locking writes into the record, to confirm; POST: the sheet locked."""
    _require(SHEET_LOCKERS)
    me = actor()
    message = None
    fields: dict[str, str] = {}
    if request.method == "POST":
        try:
            sheets.lock_sheet(ctx(), me, sheet_id)
        except DomainError as exc:
            if not isinstance(exc, Conflict):
                raise
            message, fields = localized_message(exc), localized_fields(exc)
        else:
            flash(_("The sheet is locked: its results are in the academic record."), "info")
            return redirect(url_for("staff_sheets.sheet_page", sheet_id=sheet_id))
    page = sheet_lists.sheet_page(ctx(), me, sheet_id)
    if page.view.sheet.status != "checked":
        flash(_("Only a checked sheet can be locked."), "error")
        return redirect(url_for("staff_sheets.sheet_page", sheet_id=sheet_id))
    return render_template("staff/sheet_lock.html", page=page, sheet=page.view.sheet,
                           discipline=page.view.discipline, message=message,
                           clashes=fields), 409 if message else 200
