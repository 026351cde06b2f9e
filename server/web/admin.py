"""Administration pages of the staff UI (/app/admin): users and roles, faculties,
substitutes, deployed process versions, failed background steps."""

from __future__ import annotations

from datetime import date
from typing import Any

from apiflask import APIBlueprint
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from server.auth.roles import ROLES
from server.request_guard import whole_number
from server.services.background import operations
from server.services.errors import Invalid
from server.services.people import administration as staff
from server.services.people.routing import routing_warnings
from server.services.procedures.deployments import list_definitions
from server.web.i18n import localized_fields, localized_message
from server.web.session import actor, check_csrf, ctx, login_required

admin_ui_bp = APIBlueprint("staff_admin", __name__, url_prefix="/app/admin", template_folder="templates",
                           enable_openapi=False)
OPERATORS = operations.OPERATORS  # who sees and retries failed background steps


@admin_ui_bp.before_request
def _protect() -> None:
    check_csrf()


def _require(roles: frozenset[str]) -> None:
    if not actor().has_any(roles):
        abort(403)


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat((raw or "").strip())
    except ValueError:
        return None


@admin_ui_bp.get("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    if actor().has_any(staff.ADMINS):
        return redirect(url_for("staff_admin.users"))
    return redirect(url_for("staff_admin.incidents"))


@admin_ui_bp.get("/users")
@login_required
def users():  # type: ignore[no-untyped-def]
    _require(staff.ADMINS)
    return render_template("staff/admin/users.html", users=staff.list_users(ctx(), actor()),
                           faculties={f.id: f for f in staff.list_faculties(ctx())},
                           warnings=routing_warnings(ctx()))


def _user_form(username: str | None, values: dict[str, Any], errors: dict[str, str],
               message: str | None, status: int):  # type: ignore[no-untyped-def]
    return render_template("staff/admin/user_form.html", username=username, values=values, errors=errors,
                           message=message, roles=ROLES, faculties=staff.list_faculties(ctx())), status


@admin_ui_bp.route("/users/new", methods=["GET", "POST"])
@admin_ui_bp.route("/users/<username>", methods=["GET", "POST"])
@login_required
def user_form(username: str | None = None):  # type: ignore[no-untyped-def]
    _require(staff.ADMINS)
    existing = {u.username: u for u in staff.list_users(ctx(), actor())}
    if username is not None and username not in existing:
        abort(404)
    if request.method == "GET":
        user = existing.get(username or "")
        values = {"username": username or "", "full_name": user.full_name if user else "",
                  "email": (user.email or "") if user else "",
                  "roles": sorted(user.role_codes) if user else [],
                  "faculty_id": user.faculty_id if user else None, "active": user.active if user else True}
        return _user_form(username, values, {}, None, 200)
    form = request.form
    faculty = form.get("faculty_id", "")
    values = {"username": (username or form.get("username", "")).strip(),
              "full_name": form.get("full_name", ""), "email": form.get("email", "").strip(),
              "roles": form.getlist("roles"), "faculty_id": whole_number(faculty, "faculty_id"),
              "active": form.get("active") == "on"}
    change = staff.UserChange(values["full_name"], tuple(values["roles"]), values["faculty_id"],
                              values["active"], values["email"] or None, form.get("password") or None)
    try:
        staff.save_user(ctx(), actor(), values["username"], change, create=username is None)
    except Invalid as exc:
        return _user_form(username, values, localized_fields(exc), localized_message(exc), 422)
    flash(_("Saved: %(name)s.", name=values["username"]), "info")
    return redirect(url_for("staff_admin.users"))


@admin_ui_bp.route("/faculties", methods=["GET", "POST"])
@login_required
def faculties():  # type: ignore[no-untyped-def]
    _require(staff.ADMINS)
    errors: dict[str, str] = {}
    message = None
    if request.method == "POST":
        try:
            form = request.form
            staff.create_faculty(ctx(), actor(), form.get("code", ""), form.get("name_ru", ""),
                                 form.get("name_kk", ""))
        except Invalid as exc:
            errors, message = localized_fields(exc), localized_message(exc)
        else:
            flash(_("Faculty added."), "info")
            return redirect(url_for("staff_admin.faculties"))
    return render_template("staff/admin/faculties.html", faculties=staff.list_faculties(ctx()),
                           errors=errors, message=message, values=request.form,
                           warnings=routing_warnings(ctx())), 422 if message else 200


@admin_ui_bp.route("/substitutes", methods=["GET", "POST"])
@login_required
def substitutes():  # type: ignore[no-untyped-def]
    _require(staff.ADMINS)
    errors: dict[str, str] = {}
    message = None
    if request.method == "POST":
        form = request.form
        try:
            staff.add_substitution(ctx(), actor(), form.get("user", ""), form.get("substitute", ""),
                                   _date(form.get("starts_on")), _date(form.get("ends_on")),
                                   form.get("reason", "").strip())
        except Invalid as exc:
            errors, message = localized_fields(exc), localized_message(exc)
        else:
            flash(_("Substitute assigned."), "info")
            return redirect(url_for("staff_admin.substitutes"))
    return render_template("staff/admin/substitutes.html", rows=staff.list_substitutions(ctx(), actor()),
                           users=staff.list_users(ctx(), actor()), errors=errors, message=message,
                           values=request.form, warnings=routing_warnings(ctx())), 422 if message else 200


@admin_ui_bp.post("/substitutes/<int:row_id>/end")
@login_required
def end_substitute(row_id: int):  # type: ignore[no-untyped-def]
    staff.end_substitution(ctx(), actor(), row_id)
    flash(_("Substitution removed."), "info")
    return redirect(url_for("staff_admin.substitutes"))


@admin_ui_bp.get("/processes")
@login_required
def processes():  # type: ignore[no-untyped-def]
    _require(staff.ADMINS)
    return render_template("staff/admin/processes.html",
                           definitions=list_definitions(ctx(), all_versions=True))


@admin_ui_bp.get("/incidents")
@login_required
def incidents():  # type: ignore[no-untyped-def]
    _require(OPERATORS)
    return render_template("staff/admin/incidents.html", rows=operations.list_incidents(ctx(), actor()),
                           status=operations.status(ctx(), actor()))


@admin_ui_bp.post("/incidents/<int:job_id>/retry")
@login_required
def retry(job_id: int):  # type: ignore[no-untyped-def]
    _require(OPERATORS)
    operations.retry_job(ctx(), actor(), job_id)
    flash(_("The step will run again."), "info")
    return redirect(url_for("staff_admin.incidents"))


@admin_ui_bp.post("/incidents/<int:job_id>/skip")
@login_required
def skip(job_id: int):  # type: ignore[no-untyped-def]
    _require(OPERATORS)
    reason = request.form.get("reason", "").strip()
    if not reason:
        flash(_("State the reason for skipping."), "error")
    else:
        operations.skip_job(ctx(), actor(), job_id, reason)
        flash(_("The step is skipped."), "info")
    return redirect(url_for("staff_admin.incidents"))
