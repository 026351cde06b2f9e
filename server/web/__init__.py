"""Public, server-rendered pages (no login): the check of an issued document at /verify/<code>."""

from __future__ import annotations

from apiflask import APIBlueprint
from flask import current_app, render_template, request

from server.services import verification
from server.services.context import AppContext

public_bp = APIBlueprint("public", __name__, template_folder="templates", enable_openapi=False)


def _ctx() -> AppContext:
    return current_app.extensions["regoffice"]


def _page(code: str, *, result: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    found = verification.find(_ctx(), code)
    if found is None:
        status = 404
    html = render_template("verify.html", found=found, result=result)
    return html, status, {"Content-Type": "text/html; charset=utf-8",
                          "Cache-Control": "no-store", "X-Robots-Tag": "noindex",
                          "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                                     "form-action 'self'"}


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
