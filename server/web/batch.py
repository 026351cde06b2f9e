"""The batch transfer order in the staff UI (/app/batch-transfers): the transfer cases waiting
for a batch order, filtered by procedure and faculty, and the button that collects them into
one order (the same service as POST /api/v1/contingent-orders/transfers)."""

from __future__ import annotations

from datetime import date

from apiflask import APIBlueprint
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from server.auth.roles import CASE_STARTERS
from server.services.cases import batch_orders
from server.services.errors import Invalid
from server.services.people import administration as staff
from server.web.i18n import localized_message
from server.web.session import actor, check_csrf, ctx, login_required

batch_ui_bp = APIBlueprint("staff_batch", __name__, url_prefix="/app/batch-transfers",
                           template_folder="templates", enable_openapi=False)


@batch_ui_bp.before_request
def _protect() -> None:
    check_csrf()


def _filters() -> tuple[str | None, str | None]:
    source = request.form if request.method == "POST" else request.args
    return source.get("process") or None, source.get("faculty") or None


@batch_ui_bp.route("/", methods=["GET", "POST"])
@login_required
def index():  # type: ignore[no-untyped-def]
    me = actor()
    if not me.has_any(CASE_STARTERS):
        abort(403)
    process_id, faculty = _filters()
    message = None
    if request.method == "POST":
        raw = request.form.get("effective_date", "").strip()
        try:
            effective = date.fromisoformat(raw) if raw else None
            case_id = batch_orders.collect_transfers(ctx(), me, batch_orders.BatchRequest(
                process_id=process_id, faculty_code=faculty, effective_date=effective))
        except ValueError:
            message = _("Invalid date: %(value)s (expected YYYY-MM-DD)", value=raw)
        except Invalid as exc:
            message = localized_message(exc)
        else:
            flash(_("The batch order is formed: case № %(id)d.", id=case_id), "info")
            return redirect(url_for("staff.case_page", case_id=case_id))
    try:
        waiting = batch_orders.list_waiting(ctx(), me, process_id, faculty)
    except Invalid as exc:
        message, waiting = localized_message(exc), []
    return render_template("staff/batch_transfers.html", waiting=waiting, message=message,
                           process_id=process_id or "", faculty=faculty or "",
                           processes=batch_orders.BATCH_PROCESSES,
                           faculties=staff.list_faculties(ctx())), 422 if message else 200
