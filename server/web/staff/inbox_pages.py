"""The inbox (tabs, filters, approving several at once) and a task's form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from server.auth.roles import TASK_SUPERVISORS
from server.db import utcnow
from server.services.cases import attachments, material
from server.services.errors import Invalid
from server.services.people.users import display_names
from server.services.tasks import bulk, inbox
from server.services.tasks import human_tasks as tasks
from server.services.tasks import views as task_views
from server.services.tasks.human_tasks import BulkResult
from server.web import formfields, transcript_fill
from server.web.i18n import lang, localized, localized_fields, localized_message
from server.web.session import (
    actor,
    ctx,
    login_required,
)
from server.web.staff import (
    FILES,
    PAGE,
    TABS,
    _date_arg,
    _int_arg,
    _page_arg,
    _process_choices,
    _uploads,
    staff_bp,
)

# --- inbox -------------------------------------------------------------------------------------
# Tabs beyond the shared ones: «due today» (mine and my groups'); "any" (mine and my groups',
# reached from the home page's links with a filter, not shown as a tab).
INBOX_TABS = (*TABS, "today", "any")
SCOPE_OF_TAB = {"overdue": "any", "today": "any"}


def _inbox_query(tab: str, page: int) -> inbox.InboxQuery:
    """The tab and the filters of the request; `due` (overdue, today) and `kind=sign` narrow
    any tab (the home page links to them)."""
    due = request.args.get("due")
    return inbox.InboxQuery(
        scope=SCOPE_OF_TAB.get(tab, tab), overdue=tab == "overdue" or due == "overdue",
        due_on=ctx().local_today() if tab == "today" or due == "today" else None,
        sign_only=request.args.get("kind") == "sign",
        process_id=request.args.get("process") or None, faculty_id=_int_arg("faculty"),
        q=request.args.get("q", "").strip() or None, created_from=_date_arg("from"),
        created_to=_date_arg("to"), limit=PAGE, offset=(page - 1) * PAGE)


@staff_bp.get("/inbox")
@login_required
def inbox_page():  # type: ignore[no-untyped-def]
    me = actor()
    tab = request.args.get("tab", "mine")
    if tab not in INBOX_TABS or (tab == "all" and not me.has_any(TASK_SUPERVISORS)):
        tab = "mine"
    page = _page_arg()
    view = task_views.inbox_page(ctx(), me, _inbox_query(tab, page), lang())
    if "tab" not in request.args and tab == "mine" and not view.counts.get("mine") \
            and view.counts.get("group"):
        # nothing is assigned to me, the work waits in my groups' queue: open that tab
        return redirect(url_for("staff.inbox_page", tab="group", **request.args))
    return render_template(
        "staff/inbox.html", tab=tab, rows=view.rows, total=view.total, counts=view.counts, page=page,
        pages=max(1, -(-view.total // PAGE)), names=view.names, faculties=view.faculties,
        approvable=view.approvable, signable=view.signable, bulk=view.bulk,
        processes=_process_choices(view.process_ids), args=request.args)


def _report(results: list[BulkResult], summary: Callable[[int, int], str]) -> None:
    """Flash how many went through and, for each one that did not, the case, the student, why."""
    done = sum(r.ok for r in results)
    flash(summary(done, len(results)), "info" if done == len(results) else "error")
    for r in results:
        if r.ok:
            continue
        if r.case_id is None:
            flash(_("A task that no longer exists: %(reason)s", reason=localized(r.message)), "error")
        else:
            flash(_("Case No. %(case)s (%(student)s): %(reason)s", case=r.case_id,
                    student=r.subject_name or "—", reason=localized(r.message)), "error")


def _back_to_inbox():  # type: ignore[no-untyped-def]
    tab = request.form.get("tab", "group")
    return redirect(url_for("staff.inbox_page", tab=tab if tab in INBOX_TABS else "group"))


@staff_bp.post("/inbox/approve")
@login_required
def approve_selected():  # type: ignore[no-untyped-def]
    ids = request.form.getlist("task")
    if not ids:
        flash(_("Select the items to approve."), "error")
        return redirect(url_for("staff.inbox_page", tab="group"))
    _report(tasks.approve_many(ctx(), actor(), ids),
            lambda done, total: _("Approved: %(done)d of %(total)d.", done=done, total=total))
    return _back_to_inbox()


@staff_bp.post("/inbox/sign")
@login_required
def sign_selected():  # type: ignore[no-untyped-def]
    """The rector signs several orders: first a confirmation listing them (student, procedure,
    the draft order), then, confirmed, each is signed as a single signing is."""
    ids = request.form.getlist("task")
    if request.form.get("confirm") != "1":
        chosen = bulk.signing_list(ctx(), actor(), ids, lang())
        if not chosen:
            flash(_("Select the orders to sign."), "error")
            return _back_to_inbox()
        return render_template("staff/inbox_sign.html", chosen=chosen, tab=request.form.get("tab", "group"),
                               today=ctx().local_today())
    if not ids:
        flash(_("Select the orders to sign."), "error")
        return _back_to_inbox()
    _report(bulk.sign_many(ctx(), actor(), ids),
            lambda done, total: _("Signed: %(done)d of %(total)d.", done=done, total=total))
    return _back_to_inbox()


# --- tasks -------------------------------------------------------------------------------------
def _task_page(task_id: str, *, data: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
               message: str | None = None, status: int = 200, files_dropped: bool = False,
               filled: transcript_fill.Filled | None = None):  # type: ignore[no-untyped-def]
    view = tasks.get_task(ctx(), actor(), task_id, lang())
    schema = view.form or {}
    values = data if data is not None else view.data
    today = utcnow().astimezone(ctx().tz).date()
    fields = formfields.fields_for(schema, values, lang(), errors, today=today)
    transcript_fill.show(fields, filled)
    found = view.material
    names = display_names(ctx(), {view.task.assignee_id} | {d.task.completed_by for d in found.decisions})
    sign = material.is_sign_step(view.task)
    field_names = {f.name for f in fields} | {c.name for f in fields for row in f.rows for c in row}
    other_errors = {k: v for k, v in (errors or {}).items() if k not in field_names | {FILES}}
    return render_template(
        "staff/task.html", view=view, task=view.task, case=view.case, schema=schema,
        fields=fields, names=names, message=message, other_errors=other_errors,
        file_error=(errors or {}).get(FILES), files_dropped=files_dropped,
        attachments=attachments.list_attachments(ctx(), actor(), view.task.case_id),
        material=found, student=view.student, faculty=view.faculty, programme_kk=view.programme_kk, sign=sign,
        draft=material.draft_for(found.documents, lang()) if sign else None), status


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


@staff_bp.post("/tasks/<task_id>")
@login_required
def complete(task_id: str):  # type: ignore[no-untyped-def]
    task, schema = tasks.task_form(ctx(), actor(), task_id)
    data = formfields.parse(schema or {}, request.form)
    uploads = _uploads("attachments")
    table = transcript_fill.requested(schema)
    if schema is not None and table is not None:  # the rows filled in, the step not done yet
        filled = transcript_fill.read(schema, table, data)
        return _task_page(task_id, data=data, status=422 if filled.reasons else 200,
                          files_dropped=bool(uploads), filled=filled)
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
