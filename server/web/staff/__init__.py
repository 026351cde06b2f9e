"""The staff UI (server-rendered, /app): sign-in, inbox, task forms, registration of an
application, case pages with the process map. Views only translate HTTP to the services
(the same ones the REST API uses) and back; no business rules live here. One blueprint, its
views by area: signin.py, inbox_pages.py (the inbox and task forms), case_pages.py,
registration_pages.py (an application, the registers); each page calls one service."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from apiflask import APIBlueprint
from flask import flash, request
from flask_babel import gettext as _

from server.auth.roles import ROLES
from server.db import DB_INT_MAX, utcnow
from server.request_guard import int_param, page_param
from server.services.cases import attachments, step_names
from server.services.procedures.deployments import list_definitions
from server.web.i18n import lang
from server.web.session import check_csrf, csrf_token, ctx, current_actor

# Its templates and static files are server/web's (the blueprint's root is that folder).
staff_bp = APIBlueprint("staff", __name__, url_prefix="/app", template_folder="templates",
                        static_folder="static", static_url_path="/static", enable_openapi=False,
                        root_path=str(Path(__file__).resolve().parent.parent))
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
    """A task's name in the UI language: the model names its steps in Russian and, with the
    properties nameKk / nameEn, in Kazakh and English; a task of an older version without
    them is named in Kazakh by its form's title (`x-title-kk`), else in Russian."""
    language = lang()
    named = step_names.task_name(ctx(), getattr(task, "process_id", None),
                                 getattr(task, "spec_name", None), language)
    if named:
        return named
    if language == "kk" and task.form_key and not task.form_key.startswith("camunda:"):
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


FILES = "attachments"  # the file input of the task and registration forms


def _uploads(name: str) -> list[attachments.Upload]:
    return [attachments.Upload(f.filename or "", f.read(), f.mimetype or None)
            for f in request.files.getlist(name) if f and (f.filename or "")]


def _process_choices(process_ids: list[str] | None = None) -> list[tuple[str, str]]:
    """The procedures to choose from, with their names in the UI language."""
    ids = process_ids if process_ids is not None else [
        d.process_id for d in list_definitions(ctx()) if d.kind == "bpmn"]
    return [(pid, _service_name(pid)) for pid in ids]


# The views register themselves on staff_bp when imported (they import the helpers above).
from server.web.staff import case_pages, inbox_pages, registration_pages, signin  # noqa: E402, F401
