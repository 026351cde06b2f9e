"""Imports of the academic record in the staff UI (/app/record/imports), for the registrar
office: the upload form (what is imported, the columns of the file for each field, a dry run or
a real one), the recent imports, and an import's page whose progress bar refreshes itself from
a small JSON answer until the import ends, then shows the counts and the report row by row.

Every upload is queued (server/services/record/import_jobs.py): a large file never holds the
request, and a small one is done by the time the page opens. After a dry run the file stays
with its import, so the real run (or a run with the columns chosen from the file's header)
needs no second upload."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import abort, jsonify, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from server.models import RecordImport
from server.services.errors import DomainError, msg_from_data
from server.services.record import import_jobs
from server.services.record.access import RECORD_KEEPERS
from server.web.i18n import label, localized, localized_fields, localized_message
from server.web.session import actor, check_csrf, ctx, login_required

imports_ui_bp = APIBlueprint("staff_record_imports", __name__, url_prefix="/app/record/imports",
                             template_folder="templates", enable_openapi=False)


@imports_ui_bp.before_request
def _protect() -> None:
    check_csrf()


def _keeper() -> Any:
    me = actor()
    if not me.has_any(RECORD_KEEPERS):
        abort(403)
    return me


def _fields(kind: str) -> tuple[str, ...]:
    return import_jobs.fields_of(kind)


def _mapping_from_form(kind: str) -> dict[str, str]:
    """The columns typed (or chosen) for the kind's fields; a field left empty reads its own name."""
    prefix = f"map-{kind}-"
    return {name: value.strip() for name in _fields(kind)
            if (value := request.form.get(prefix + name, "")).strip()}


@imports_ui_bp.route("/", methods=["GET", "POST"])
@login_required
def index():  # type: ignore[no-untyped-def]
    me = _keeper()
    problem: dict[str, Any] | None = None
    form = {"kind": "transcripts", "dry_run": True}
    if request.method == "POST":
        kind = request.form.get("kind", "")
        form = {"kind": kind, "dry_run": request.form.get("run") != "real"}
        file = request.files.get("file")
        try:
            import_id = import_jobs.queue_import(
                ctx(), me, kind, (file.filename if file else "") or "", file.read() if file else b"",
                mapping=_mapping_from_form(kind) if kind in import_jobs.KINDS else {},
                dry_run=bool(form["dry_run"]))
        except DomainError as exc:
            problem = {"message": localized_message(exc), "fields": localized_fields(exc)}
        else:
            return redirect(url_for(".import_page", import_id=import_id))
    recent = import_jobs.recent_imports(ctx(), me, limit=30)
    return render_template("staff/record_imports.html", recent=recent, problem=problem, form=form,
                           fields={k: _fields(k) for k in import_jobs.KINDS},
                           percent=import_jobs.percent), 422 if problem else 200


@imports_ui_bp.get("/<int:import_id>")
@login_required
def import_page(import_id: int):  # type: ignore[no-untyped-def]
    me = _keeper()
    try:
        row = import_jobs.get_import(ctx(), me, import_id)
    except DomainError:
        abort(404)
    return render_template("staff/record_import.html", imp=row, state=_state(row), rows=_rows(row),
                           fields=_fields(row.kind), can_rerun=import_jobs.has_file(ctx(), import_id))


@imports_ui_bp.post("/<int:import_id>/again")
@login_required
def run_again(import_id: int) -> Response:
    """The same file again: the real run after a dry run, or with other columns."""
    me = _keeper()
    try:
        row = import_jobs.get_import(ctx(), me, import_id)
    except DomainError:
        abort(404)
    prefix = f"map-{row.kind}-"
    mapping = {name: value for name in _fields(row.kind) if (value := request.form.get(prefix + name, ""))}
    try:
        again = import_jobs.queue_again(ctx(), me, import_id, mapping=mapping,
                                        dry_run=request.form.get("run") != "real")
    except DomainError:
        abort(404)
    return redirect(url_for(".import_page", import_id=again))


@imports_ui_bp.get("/<int:import_id>/state.json")
@login_required
def import_state(import_id: int) -> Response:
    """What the progress bar polls: the phase in words, how far, and whether it ended."""
    me = _keeper()
    try:
        row = import_jobs.get_import(ctx(), me, import_id)
    except DomainError:
        abort(404)
    return jsonify(_state(row))


def _state(row: RecordImport) -> dict[str, Any]:
    return {"status": row.status, "status_text": label("import_status", row.status),
            "percent": import_jobs.percent(row), "processed": row.processed, "total": row.rows,
            "finished": row.status in import_jobs.FINISHED}


def _rows(row: RecordImport) -> list[dict[str, Any]]:
    """The kept report, its reasons in the page's language."""
    return [{**r, "status_text": label("import_row", r.get("status")),
             "reason": localized(msg_from_data(r.get("reason")) or "") or ""} for r in row.report or []]


def error_text(row: RecordImport) -> str:
    text = import_jobs.error_text(row)
    return localized(text) if text else ""


@imports_ui_bp.app_template_global("import_error")
def _import_error(row: RecordImport) -> str:
    return error_text(row)
