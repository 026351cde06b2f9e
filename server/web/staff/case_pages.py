"""Cases: the list, a case's page, its scans, documents and cancellation."""

from __future__ import annotations

from io import BytesIO

from flask import flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from server.downloads import send_bytes
from server.services.cases import attachments, material
from server.services.cases import lifecycle as cases
from server.services.cases import views as case_views
from server.services.documents import downloads as documents_read
from server.services.errors import Invalid
from server.services.people import administration as staff
from server.web.i18n import lang, localized_message
from server.web.session import (
    actor,
    ctx,
    login_required,
)
from server.web.staff import (
    PAGE,
    _date_arg,
    _int_arg,
    _page_arg,
    _process_choices,
    _uploads,
    staff_bp,
)


# --- cases -------------------------------------------------------------------------------------
@staff_bp.get("/cases")
@login_required
def case_list():  # type: ignore[no-untyped-def]
    page = _page_arg()
    query = cases.CaseQuery(
        status=request.args.get("status") or None, process_id=request.args.get("process") or None,
        q=request.args.get("q", "").strip() or None, faculty_id=_int_arg("faculty"),
        received_from=_date_arg("from"), received_to=_date_arg("to"), limit=PAGE, offset=(page - 1) * PAGE)
    rows, total = cases.search_cases(ctx(), actor(), query)
    return render_template("staff/cases.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE)), processes=_process_choices(),
                           faculties={f.id: f for f in staff.list_faculties(ctx())}, args=request.args)


@staff_bp.get("/cases/<int:case_id>")
@login_required
def case_page(case_id: int):  # type: ignore[no-untyped-def]
    page = case_views.case_page(ctx(), actor(), case_id, lang())
    case = page.view.case
    return render_template(
        "staff/case.html", view=page.view, case=case, process_map=page.process_map,
        names=page.names, faculty=page.faculty, files=page.files, may_cancel=page.may_cancel,
        waits=page.waits, received=page.received, material=page.material, step_names=page.step_names,
        refusal_ground=refusal_ground_words(case.process_id, case.refusal_ground))


def refusal_ground_words(process_id: str, code: str | None) -> str | None:
    """A refusal ground of the catalog in the UI language (the code itself if the catalog
    does not know it)."""
    if not code:
        return None
    try:
        ground = ctx().catalog.service(process_id).refusal_ground(code)
    except (KeyError, FileNotFoundError):
        return code
    return ground.kk if lang() == "kk" else ground.ru


@staff_bp.get("/cases/<int:case_id>/documents.json")
@login_required
def case_documents(case_id: int):  # type: ignore[no-untyped-def]
    """The documents block of the case page (and of a task page: `preview=1` adds the draft
    being signed), for the page to refresh while a background step makes a document."""
    found = case_views.case_documents(ctx(), actor(), case_id)
    preview = request.args.get("preview") == "1"
    block = render_template(
        "staff/_documents.html", case_id=case_id, documents=found.documents, pending=found.pending,
        preview=preview, draft=material.draft_for(found.documents, lang()) if preview else None)
    response = jsonify(pending=found.pending, html=block)
    response.headers["Cache-Control"] = "no-store"  # asked again and again while pending
    return response


@staff_bp.post("/cases/<int:case_id>/attachments")
@login_required
def add_attachments(case_id: int):  # type: ignore[no-untyped-def]
    try:
        added = attachments.attach(ctx(), actor(), case_id, _uploads("attachments"))
    except Invalid as exc:
        flash(localized_message(exc), "error")
    else:
        flash(_("Files attached: %(n)d.", n=len(added)) if added else _("Choose a file to attach."),
              "info" if added else "error")
    return redirect(url_for("staff.case_page", case_id=case_id) + "#files")


@staff_bp.post("/cases/<int:case_id>/cancel")
@login_required
def cancel(case_id: int):  # type: ignore[no-untyped-def]
    reason = request.form.get("reason", "").strip()
    if not reason:
        flash(_("State the reason for cancelling."), "error")
    else:
        cases.cancel_case(ctx(), actor(), case_id, reason, withdrawn=request.form.get("withdrawn") == "on")
        flash(_("The case is closed."), "info")
    return redirect(url_for("staff.case_page", case_id=case_id))


@staff_bp.get("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int):  # type: ignore[no-untyped-def]
    row = attachments.get_attachment(ctx(), actor(), attachment_id)
    return send_bytes(row.content, row.content_type, row.filename, row.sha256)


@staff_bp.get("/documents/<int:document_id>/pdf")
@login_required
def document_pdf(document_id: int):  # type: ignore[no-untyped-def]
    filename, pdf = documents_read.get_document_pdf(ctx(), actor(), document_id)
    return send_bytes(pdf, "application/pdf", filename)


@staff_bp.get("/documents/<int:document_id>/pdf/inline")
@login_required
def document_pdf_inline(document_id: int):  # type: ignore[no-untyped-def]
    """The PDF shown inside the rector's signing page: this answer alone may be framed, by this
    site only (every other staff page refuses to be framed)."""
    filename, pdf = documents_read.get_document_pdf(ctx(), actor(), document_id)
    response = send_file(BytesIO(pdf), mimetype="application/pdf", as_attachment=False,
                         download_name=filename)
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    return response


@staff_bp.get("/documents/<int:document_id>")
@login_required
def document(document_id: int):  # type: ignore[no-untyped-def]
    doc = documents_read.get_document(ctx(), actor(), document_id)
    return send_bytes(doc.content, doc.media_type, doc.filename, doc.sha256)
