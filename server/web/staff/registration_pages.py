"""Registering an application, and the registers of issued documents."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from server.downloads import send_bytes
from server.request_guard import whole_number
from server.services.cases import lifecycle as cases
from server.services.cases import views as case_views
from server.services.documents import registers
from server.services.errors import Invalid
from server.web import formfields, transcript_fill
from server.web.i18n import lang, localized_fields, localized_message
from server.web.session import (
    actor,
    ctx,
    login_required,
)
from server.web.staff import (
    FILES,
    PAGE,
    _date_arg,
    _int_arg,
    _page_arg,
    _process_choices,
    _uploads,
    staff_bp,
)

# --- registering an application ---------------------------------------------------------------
# The application's fields (forms/<process>/application.schema.json) share the page's form with
# the applicant's: their inputs are named "app.<field>" so the two can never collide.
APPLICATION_PREFIX = "app."


def _prefixed(form: MultiDict[str, str], prefix: str) -> MultiDict[str, str]:
    return MultiDict([(k.removeprefix(prefix), v) for k, v in form.items(multi=True) if k.startswith(prefix)])


@staff_bp.route("/cases/new", methods=["GET", "POST"])
@login_required
def register():  # type: ignore[no-untyped-def]
    me = actor()
    form = request.form if request.method == "POST" else request.args
    process_id = form.get("process", "")
    channel = form.get("channel", "direct")
    q = form.get("q", "").strip()
    view = case_views.registration_page(ctx(), me, process_id, q)
    found, schema, app_schema = view.found, view.applicant_schema, view.application_schema
    errors: dict[str, str] = {}
    app_errors: dict[str, str] = {}
    message = file_error = None
    files_dropped = False
    applicant: dict[str, Any] = {}
    application: dict[str, Any] = {}
    filled: transcript_fill.Filled | None = None
    if request.method == "GET" and app_schema is not None and any(
            k.startswith(APPLICATION_PREFIX) for k in request.args):
        # a link may fill in the application (a locked grade sheet's «register an appeal»)
        application = formfields.parse(app_schema, _prefixed(request.args, APPLICATION_PREFIX))
    if request.method == "POST" and process_id:
        student_id = form.get("student_id", "").strip()
        if schema is not None and not student_id:
            applicant = formfields.parse(schema, request.form)
        if app_schema is not None:
            application = formfields.parse(app_schema, _prefixed(request.form, APPLICATION_PREFIX))
        data: dict[str, Any] = dict(application)
        if applicant or (schema and not student_id):
            data["applicant"] = applicant
        uploads = _uploads(FILES)
        files_dropped = bool(uploads)
        table = transcript_fill.requested(schema) if not student_id else None
        if schema is not None and table is not None:  # the rows filled in, nothing registered yet
            filled = transcript_fill.read(schema, table, applicant)
        else:
            try:  # the case and its scans are registered together, or neither is
                case_id = cases.start_case(ctx(), me, cases.StartRequest(
                    process_id=process_id, channel=channel,
                    student_id=whole_number(student_id, "student_id"), data=data, uploads=uploads))
            except Invalid as exc:
                message = localized_message(exc)
                for name, reason in localized_fields(exc).items():
                    if name.startswith("data.applicant."):
                        errors[name.removeprefix("data.applicant.")] = reason
                    elif app_schema is not None and name.removeprefix("data.") in app_schema["properties"]:
                        app_errors[name.removeprefix("data.")] = reason
                    elif name == "student_id":
                        continue  # the message asks for the student, whose list is the field
                    elif name == FILES:
                        file_error = reason
                    else:
                        errors[name] = reason
            else:
                flash(_("The application is registered: case № %(id)d.", id=case_id), "info")
                return redirect(url_for("staff.case_page", case_id=case_id))
    fields = formfields.fields_for(schema, applicant, lang(), errors) if schema else []
    transcript_fill.show(fields, filled)
    app_fields = formfields.fields_for(app_schema, application, lang(), app_errors) if app_schema else []
    for f in app_fields:
        f.name = APPLICATION_PREFIX + f.name
    status = 422 if message or (filled and filled.reasons) else 200
    return render_template("staff/register.html", processes=_process_choices(view.process_ids),
                           process_id=process_id, channel=channel, q=q, found=found, fields=fields,
                           app_fields=app_fields, needs_student=view.needs_student, message=message,
                           errors=errors, student_id=form.get("student_id", ""), file_error=file_error,
                           files_dropped=files_dropped), status



# --- registers of issued documents --------------------------------------------------------------
@staff_bp.get("/registers")
@login_required
def register_page():  # type: ignore[no-untyped-def]
    """The order register and the journals of certificates and duplicates, with filters and
    the XLSX export (the same rows as GET /api/v1/registers/documents)."""
    page = _page_arg()
    year = _int_arg("year", high=9999)
    query = registers.RegisterQuery(
        register=request.args.get("register") or None, year=year, q=request.args.get("q", "").strip() or None,
        date_from=_date_arg("from"), date_to=_date_arg("to"), limit=PAGE, offset=(page - 1) * PAGE)
    if request.args.get("format") == "xlsx":
        return send_bytes(registers.export_xlsx(ctx(), actor(), query, lang()), registers.XLSX,
                          registers.export_filename(query))
    rows, total = registers.list_register(ctx(), actor(), query)
    return render_template("staff/registers.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE)), args=request.args)
