"""The staff UI (server-rendered, /app): sign-in, inbox, task forms, registration of an
application, case pages with the process map. Views only translate HTTP to the services
(the same ones the REST API uses) and back; no business rules live here."""

from __future__ import annotations

from datetime import date
from typing import Any

from apiflask import APIBlueprint
from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from server.auth.roles import CASE_CANCELLERS, CASE_STARTERS, ROLES, TASK_SUPERVISORS
from server.db import DB_INT_MAX, utcnow
from server.downloads import send_bytes
from server.request_guard import int_param, page_param, whole_number
from server.services.cases import applications, attachments
from server.services.cases import lifecycle as cases
from server.services.documents import downloads as documents_read
from server.services.documents import registers
from server.services.errors import Invalid
from server.services.people import administration as staff
from server.services.people.throttle import SignInFailed, sign_in
from server.services.people.users import display_names
from server.services.procedures.deployments import list_definitions
from server.services.students import imports as students
from server.services.tasks import human_tasks as tasks
from server.services.tasks import inbox
from server.web import formfields
from server.web.i18n import LANGUAGES, lang, localized, localized_fields, localized_message
from server.web.session import (
    actor,
    check_csrf,
    csrf_token,
    ctx,
    current_actor,
    login_required,
    safe_next,
    sign_in_session,
    sign_out_session,
)

staff_bp = APIBlueprint("staff", __name__, url_prefix="/app", template_folder="templates",
                        static_folder="static", static_url_path="/static", enable_openapi=False)
PAGE = 50
TABS = ("mine", "group", "overdue", "all")


@staff_bp.before_request
def _protect() -> None:
    check_csrf()


@staff_bp.app_context_processor
def _globals() -> dict[str, Any]:
    return {"csrf_token": csrf_token, "me": current_actor, "ROLES": ROLES, "now": utcnow,
            "service_name": _service_name, "task_title": _task_title, "channel_names": _channel_names}


def _channel_names() -> dict[str, str]:
    """How an application reached the office (cases.channel), in the UI language."""
    return {"direct": _("directly"), "egov": _("e-gov portal"), "state_corporation": _("State Corporation")}


def _task_title(task: Any) -> str:
    """A task's name in the UI language: the model names steps in Russian; in Kazakh the
    task's form title (`x-title-kk`) is used when the form has one."""
    if lang() == "kk" and task.form_key and not task.form_key.startswith("camunda:"):
        try:
            schema, _validator = ctx().forms.load(task.form_key)
        except (OSError, ValueError):
            return task.name
        return str(schema.get("x-title-kk") or task.name)
    return task.name


def _service_name(code: str | None) -> str:
    if not code:
        return ""
    try:
        return ctx().catalog.service(code).name(lang() if lang() in ("ru", "kk") else "ru")
    except KeyError:
        return code


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        flash(_("Invalid date: %(value)s (expected YYYY-MM-DD)", value=raw), "error")
        return None


def _int_arg(name: str, high: int = DB_INT_MAX) -> int | None:
    return int_param(name, high=high)


def _page_arg() -> int:
    return page_param()


# --- sign-in, language -----------------------------------------------------------------------
@staff_bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    error, status = None, 200
    if request.method == "POST":
        try:
            who = sign_in(ctx(), request.form.get("username", ""), request.form.get("password", ""),
                          request.remote_addr or "")
        except SignInFailed as exc:  # one answer for a wrong name, a wrong password, a wait
            error, status = localized_message(exc), 401
        else:
            sign_in_session(who)
            return redirect(safe_next(request.args.get("next")))
    return render_template("staff/login.html", error=error,
                           username=request.form.get("username", "")), status


@staff_bp.post("/logout")
def logout():  # type: ignore[no-untyped-def]
    sign_out_session(everywhere=request.form.get("everywhere") == "1")
    flash(_("You have signed out."), "info")
    return redirect(url_for("staff.login"))


@staff_bp.get("/lang/<code>")
def set_language(code: str):  # type: ignore[no-untyped-def]
    if code not in LANGUAGES:
        abort(404)
    session["lang"] = code
    return redirect(safe_next(request.args.get("next")))


@staff_bp.get("/")
@login_required
def home():  # type: ignore[no-untyped-def]
    return redirect(url_for("staff.inbox_page"))


# --- inbox -------------------------------------------------------------------------------------
@staff_bp.get("/inbox")
@login_required
def inbox_page():  # type: ignore[no-untyped-def]
    me = actor()
    tab = request.args.get("tab", "mine")
    if tab not in TABS or (tab == "all" and not me.has_any(TASK_SUPERVISORS)):
        tab = "mine"
    page = _page_arg()
    query = inbox.InboxQuery(
        scope="any" if tab == "overdue" else tab, overdue=tab == "overdue",
        process_id=request.args.get("process") or None, faculty_id=_int_arg("faculty"),
        q=request.args.get("q", "").strip() or None, created_from=_date_arg("from"),
        created_to=_date_arg("to"), limit=PAGE, offset=(page - 1) * PAGE)
    rows, total = inbox.list_tasks(ctx(), me, query)
    counts = inbox.counts(ctx(), me)
    names = display_names(ctx(), {t.assignee_id for t in rows})
    faculties = {f.id: f for f in staff.list_faculties(ctx())}
    approvable = _approvable(rows) if me.has_any({"vice_rector", "rector", "dean"}) else set()
    return render_template(
        "staff/inbox.html", tab=tab, rows=rows, total=total, counts=counts, page=page, pages=
        max(1, -(-total // PAGE)), names=names, faculties=faculties, approvable=approvable,
        processes=_process_choices(), args=request.args)


def _approvable(rows: list[Any]) -> set[str]:
    """Tasks whose form is a plain approve/reject decision (offered for approving several)."""
    found = set()
    for task in rows:
        if task.form_key and not task.form_key.startswith("camunda:"):
            schema, _validator = ctx().forms.load(task.form_key)
            if tasks.decision_field(schema):
                found.add(task.id)
    return found


def _process_choices() -> list[tuple[str, str]]:
    return [(d.process_id, _service_name(d.process_id)) for d in list_definitions(ctx())
            if d.kind == "bpmn"]


@staff_bp.post("/inbox/approve")
@login_required
def approve_selected():  # type: ignore[no-untyped-def]
    ids = request.form.getlist("task")
    if not ids:
        flash(_("Select the items to approve."), "error")
        return redirect(url_for("staff.inbox_page", tab="group"))
    results = tasks.approve_many(ctx(), actor(), ids)
    done = sum(r.ok for r in results)
    flash(_("Approved: %(done)d of %(total)d.", done=done, total=len(results)),
          "info" if done == len(results) else "error")
    for r in results:
        if not r.ok:
            flash(f"{r.task_id[:8]}: {localized(r.message)}", "error")
    return redirect(url_for("staff.inbox_page", tab=request.form.get("tab", "group")))


# --- tasks -------------------------------------------------------------------------------------
def _task_page(task_id: str, *, data: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
               message: str | None = None, status: int = 200,
               files_dropped: bool = False):  # type: ignore[no-untyped-def]
    view = tasks.get_task(ctx(), actor(), task_id)
    schema = view.form or {}
    values = data if data is not None else view.data
    fields = formfields.fields_for(schema, values, lang(), errors)
    names = display_names(ctx(), {view.task.assignee_id})
    field_names = {f.name for f in fields} | {c.name for f in fields for row in f.rows for c in row}
    other_errors = {k: v for k, v in (errors or {}).items() if k not in field_names | {FILES}}
    return render_template(
        "staff/task.html", view=view, task=view.task, case=view.case, schema=schema,
        fields=fields, names=names, message=message, other_errors=other_errors,
        file_error=(errors or {}).get(FILES), files_dropped=files_dropped,
        attachments=attachments.list_attachments(ctx(), actor(), view.task.case_id)), status


@staff_bp.get("/tasks/<task_id>")
@login_required
def task_page(task_id: str):  # type: ignore[no-untyped-def]
    return _task_page(task_id)


@staff_bp.post("/tasks/<task_id>/claim")
@login_required
def claim(task_id: str):  # type: ignore[no-untyped-def]
    tasks.claim_task(ctx(), actor(), task_id)
    flash(_("The task is yours now."), "info")
    return redirect(url_for("staff.task_page", task_id=task_id))


@staff_bp.post("/tasks/<task_id>/unclaim")
@login_required
def unclaim(task_id: str):  # type: ignore[no-untyped-def]
    tasks.unclaim_task(ctx(), actor(), task_id)
    flash(_("The task is back in the group's inbox."), "info")
    return redirect(url_for("staff.inbox_page", tab="group"))


FILES = "attachments"  # the file input of the task and registration forms


def _uploads(name: str) -> list[attachments.Upload]:
    return [attachments.Upload(f.filename or "", f.read(), f.mimetype or None)
            for f in request.files.getlist(name) if f and (f.filename or "")]


@staff_bp.post("/tasks/<task_id>")
@login_required
def complete(task_id: str):  # type: ignore[no-untyped-def]
    task, schema = tasks.task_form(ctx(), actor(), task_id)
    data = formfields.parse(schema or {}, request.form)
    uploads = _uploads("attachments")
    try:  # the scans are stored with the step, or not at all
        step = tasks.complete_task(ctx(), actor(), task_id, data, uploads)
    except Invalid as exc:
        return _task_page(task_id, data=data, errors=localized_fields(exc), message=localized_message(exc),
                          status=422, files_dropped=bool(uploads))
    flash(_("Done: «%(name)s».", name=task.name), "info")
    following = [t for t in step.open_tasks if tasks.may_take(actor(), t)]
    if following:  # the next step is the same person's (e.g. the registrar's next check)
        return redirect(url_for("staff.task_page", task_id=following[0].id))
    return redirect(url_for("staff.case_page", case_id=step.case.id))


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
    me = actor()
    view = cases.get_case(ctx(), me, case_id, with_data=False)  # the page shows no case data
    process_map = cases.case_map(ctx(), me, case_id)
    names = display_names(ctx(), {e.actor_id for e in view.history} | {t.assignee_id for t in view.open_tasks}
                          | {view.case.created_by})
    faculties = {f.id: f for f in staff.list_faculties(ctx())}
    return render_template(
        "staff/case.html", view=view, case=view.case, process_map=process_map, names=names,
        faculty=faculties.get(view.case.faculty_id), files=attachments.list_attachments(ctx(), me, case_id),
        may_cancel=me.has_any(CASE_CANCELLERS) and view.case.status in ("in_progress", "waiting"))


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


@staff_bp.get("/documents/<int:document_id>")
@login_required
def document(document_id: int):  # type: ignore[no-untyped-def]
    doc = documents_read.get_document(ctx(), actor(), document_id)
    return send_bytes(doc.content, doc.media_type, doc.filename, doc.sha256)


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
    if not me.has_any(CASE_STARTERS):
        abort(403)
    form = request.form if request.method == "POST" else request.args
    process_id = form.get("process", "")
    channel = form.get("channel", "direct")
    q = form.get("q", "").strip()
    found = students.search_students(ctx(), me, q) if q else []
    key = f"{process_id}/register"
    schema = ctx().forms.load(key)[0] if process_id and ctx().forms.exists(key) else None
    app_schema = applications.application_schema(ctx(), process_id)
    errors: dict[str, str] = {}
    app_errors: dict[str, str] = {}
    message = file_error = None
    files_dropped = False
    applicant: dict[str, Any] = {}
    application: dict[str, Any] = {}
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
    app_fields = formfields.fields_for(app_schema, application, lang(), app_errors) if app_schema else []
    for f in app_fields:
        f.name = APPLICATION_PREFIX + f.name
    status = 422 if message else 200
    return render_template("staff/register.html", processes=_process_choices(), process_id=process_id,
                           channel=channel, q=q, found=found, fields=fields, app_fields=app_fields,
                           needs_student=applications.needs_student(app_schema), message=message,
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
        return send_bytes(registers.export_xlsx(ctx(), actor(), query), registers.XLSX,
                          registers.export_filename(query))
    rows, total = registers.list_register(ctx(), actor(), query)
    return render_template("staff/registers.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE)), args=request.args,
                           names=registers.REGISTER_NAMES)
