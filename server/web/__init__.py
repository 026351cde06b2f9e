"""Server-rendered pages: the public check of an issued document at /verify/<code>, and the
staff UI under /app (server/web/staff/, server/web/admin.py)."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app, render_template, request

from server.services.context import AppContext
from server.services.documents import verification

public_bp = APIBlueprint("public", __name__, template_folder="templates", enable_openapi=False)


def _ctx() -> AppContext:
    return current_app.extensions["regoffice"]


def _page(code: str, *, result: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    found = verification.find(_ctx(), code)
    if found is None:
        status = 404
    html = render_template("verify.html", found=found, result=result)
    return html, status, {"Content-Type": "text/html; charset=utf-8", **VERIFY_HEADERS}


@public_bp.get("/verify/<code>")
def verify(code: str):  # type: ignore[no-untyped-def]
    return _page(code)


@public_bp.post("/verify/<code>")
def verify_file(code: str):  # type: ignore[no-untyped-def]
    found = verification.find(_ctx(), code)
    if found is None:
        return _page(code)
    upload = request.files.get("file")
    if upload is None:
        return _page(code, result="missing", status=400)
    content = upload.read(_ctx().settings.max_upload_bytes + 1)
    lang = verification.compare_file(found, content)
    return _page(code, result=f"match_{lang}" if lang else "mismatch")


# The public check: never framed (a genuine page inside a forger's frame), never sniffed, and
# its address (the code) not passed on as a referrer.
VERIFY_HEADERS = {
    "Cache-Control": "no-store", "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
STAFF_BLUEPRINTS = ("staff", "staff_admin", "staff_reports", "staff_batch", "staff_students",
                    "staff_record_imports", "staff_sheets")
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "script-src 'self'; object-src 'none'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def is_staff_page() -> bool:
    return request.blueprint in STAFF_BLUEPRINTS or request.path.startswith("/app/")


def html_error(message: str, status: int):  # type: ignore[no-untyped-def]
    """An error as a page of the staff UI (the API answers JSON for the same errors)."""
    return render_template("staff/error.html", message=message, status=status), status


def init_web(app) -> None:  # type: ignore[no-untyped-def]
    """Register the staff UI: blueprints, languages, session settings, security headers."""
    from datetime import timedelta

    # Imported here: the blueprints use this package's helpers above (a cycle at import time).
    from server.web.admin import admin_ui_bp
    from server.web.admin_documents import template_names  # adds its pages to admin_ui_bp
    from server.web.batch import batch_ui_bp
    from server.web.i18n import init_babel
    from server.web.record_imports import imports_ui_bp
    from server.web.record_sheets import sheets_ui_bp
    from server.web.reports import reports_ui_bp
    from server.web.session import StaffSessionInterface
    from server.web.staff import staff_bp
    from server.web.students import students_ui_bp

    ctx = app.extensions["regoffice"]
    # The cookie lives as long as a session may (the server ends it sooner: idle, sign-out).
    app.config.update(PERMANENT_SESSION_LIFETIME=timedelta(hours=ctx.settings.session_max_hours),
                      SESSION_COOKIE_NAME="regoffice_session")
    app.session_interface = StaffSessionInterface()
    init_babel(app, ctx.settings.timezone)
    app.register_blueprint(staff_bp)
    app.jinja_env.globals.update(template_names=template_names)
    app.register_blueprint(admin_ui_bp)
    app.register_blueprint(reports_ui_bp)
    app.register_blueprint(batch_ui_bp)
    app.register_blueprint(students_ui_bp)
    app.register_blueprint(imports_ui_bp)
    app.register_blueprint(sheets_ui_bp)

    @app.after_request
    def _headers(response):  # type: ignore[no-untyped-def]
        # Every answer (API, public check, errors, files) is read as the type it declares.
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if is_staff_page():
            for key, value in SECURITY_HEADERS.items():
                response.headers.setdefault(key, value)
            if response.mimetype == "text/html":
                response.headers.setdefault("Cache-Control", "no-store")
        return response
