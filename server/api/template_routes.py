"""Admin REST endpoints for the office's documents: template versions (upload, tags, preview
for a case, activate, roll back) and the office settings printed on documents."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from apiflask import APIBlueprint

from server.api import template_schemas as s
from server.api.auth import current_actor, token_auth
from server.api.routes import _auth_doc, ctx
from server.downloads import send_bytes
from server.services.documents import office, preview, template_versions
from server.services.documents.issue import DOCX
from server.services.errors import NotFound, Unavailable, tr

templates_bp = APIBlueprint("templates", __name__, url_prefix="/api/v1/admin", tag="office documents")


@templates_bp.get("/templates")
@templates_bp.auth_required(token_auth)
@templates_bp.output(s.TemplateListOut)
@templates_bp.doc(summary="Document templates (admins)", **_auth_doc())
def list_templates():  # type: ignore[no-untyped-def]
    return {"items": template_versions.list_bases(ctx(), current_actor())}


@templates_bp.get("/templates/<base>")
@templates_bp.auth_required(token_auth)
@templates_bp.output(s.TemplateOut)
@templates_bp.doc(summary="Every version of a template, per language, with the tags each uses "
                  "(admins)", **_auth_doc())
def get_template(base: str):  # type: ignore[no-untyped-def]
    return _versions(base)


@templates_bp.post("/templates/<base>/versions")
@templates_bp.auth_required(token_auth)
@templates_bp.input(s.TemplateUploadIn, location="form_and_files", arg_name="upload")
@templates_bp.output(s.TemplateVersionOut, status_code=201)
@templates_bp.doc(summary="Upload a new version of a template (.docx; stored inactive; refused, "
                  "naming the tag, when it does not render with the template's example context) "
                  "(admins)", **_auth_doc(422))
def upload_version(base: str, upload: dict[str, Any]):  # type: ignore[no-untyped-def]
    file = upload["file"]
    content = file.read(ctx().settings.max_upload_bytes + 1)
    view = template_versions.upload(
        ctx(), current_actor(), base, upload["language"], file.filename or "template.docx", content,
        faculty=upload["faculty"], level=upload["level"], note=upload["note"])
    return asdict(view)


@templates_bp.get("/templates/<base>/<language>/<int:version>")
@templates_bp.auth_required(token_auth)
@templates_bp.doc(summary="The .docx of a version (admins)", **_auth_doc())
def download_version(base: str, language: str, version: int):  # type: ignore[no-untyped-def]
    name, content = template_versions.version_content(ctx(), current_actor(), base, language, version)
    return send_bytes(content, DOCX, name)


@templates_bp.get("/templates/<base>/<language>/<int:version>/preview")
@templates_bp.auth_required(token_auth)
@templates_bp.input(s.PreviewIn, location="query", arg_name="query")
@templates_bp.doc(summary="A version rendered for a case: PDF (503 when LibreOffice is not "
                  "installed: ask for format=docx) or .docx (admins)", **_auth_doc(422, 503))
def preview_version(base: str, language: str, version: int,  # type: ignore[no-untyped-def]
                    query: dict[str, Any]):
    as_pdf = query["format"] == "pdf"
    result = preview.preview(ctx(), current_actor(), base, language, version, query["case_id"],
                             pdf=as_pdf)
    if not as_pdf:
        return send_bytes(result.docx, DOCX, f"{result.filename}.docx")
    if result.pdf is None:
        raise Unavailable(result.pdf_problem or tr("PDF недоступен"))
    return send_bytes(result.pdf, "application/pdf", f"{result.filename}.pdf")


@templates_bp.post("/templates/<base>/<language>/<int:version>/activate")
@templates_bp.auth_required(token_auth)
@templates_bp.output(s.TemplateOut)
@templates_bp.doc(summary="Use this version from now on for its scope; 1 returns to the built-in "
                  "file (admins)", **_auth_doc(422))
def activate_version(base: str, language: str, version: int):  # type: ignore[no-untyped-def]
    template_versions.activate(ctx(), current_actor(), base, language, version)
    return _versions(base)


@templates_bp.post("/templates/<base>/<language>/<int:version>/rollback")
@templates_bp.auth_required(token_auth)
@templates_bp.output(s.RollbackOut)
@templates_bp.doc(summary="Roll the active version back to the one active before it (admins)",
                  **_auth_doc(422))
def rollback_version(base: str, language: str, version: int):  # type: ignore[no-untyped-def]
    return {"version": template_versions.roll_back(ctx(), current_actor(), base, language, version)}


def _versions(base: str) -> dict[str, Any]:
    views = template_versions.list_versions(ctx(), current_actor(), base)
    return {"base": base, "versions": [asdict(v) for v in views]}


@templates_bp.get("/settings")
@templates_bp.auth_required(token_auth)
@templates_bp.output(s.SettingsOut)
@templates_bp.doc(summary="The office settings printed on documents (admins)", **_auth_doc())
def get_settings():  # type: ignore[no-untyped-def]
    office.require_editor(current_actor())
    return {"settings": office.current(ctx())}


@templates_bp.put("/settings/<key>")
@templates_bp.auth_required(token_auth)
@templates_bp.input(s.SettingIn, arg_name="body")
@templates_bp.output(s.SettingsOut)
@templates_bp.doc(summary="Replace one setting (letterhead, rector, positions, signatories); the "
                  "change is recorded (admins)", **_auth_doc(422))
def put_setting(key: str, body: dict[str, Any]):  # type: ignore[no-untyped-def]
    if key not in office.KEYS:
        raise NotFound("Неизвестная настройка %(key)s", key=key)
    office.update(ctx(), current_actor(), key, body["value"])
    return {"settings": office.current(ctx())}


@templates_bp.get("/settings/history")
@templates_bp.auth_required(token_auth)
@templates_bp.output(s.SettingHistoryOut)
@templates_bp.doc(summary="Changes of the office settings, latest first (admins)", **_auth_doc())
def settings_history():  # type: ignore[no-untyped-def]
    return {"items": [asdict(c) for c in office.history(ctx(), current_actor())]}
