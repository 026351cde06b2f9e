"""Administration pages for the office's documents (/app/admin/templates, /app/admin/settings):
template versions (upload, tags, preview for a case, activate, roll back) and the settings
printed on documents (letterhead, rector, approval positions, signatories)."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from server.documents.checking import TEMPLATE_LANGUAGES
from server.documents.contexts.common import LETTERHEAD_FIELDS, POSITIONS, SIGNED_REGISTERS
from server.documents.pdf import soffice
from server.domain import labels
from server.downloads import send_bytes
from server.request_guard import whole_number
from server.services.documents import office, preview, template_versions
from server.services.documents.issue import DOCX
from server.services.errors import Invalid
from server.services.people import administration as staff
from server.web.admin import admin_ui_bp
from server.web.i18n import lang, localized, localized_fields, localized_message, pick
from server.web.session import actor, ctx, login_required


def _require_admin() -> None:
    if not actor().has_any(template_versions.MANAGERS):
        abort(403)


def template_names() -> dict[str, str]:
    """What the office calls each template, in the page's language (the vocabulary's
    document kinds, server/domain/labels.py)."""
    return {code: labels.label("document_kind", code, lang()) for code in labels.DOCUMENT_KIND}


def _labels() -> dict[str, Any]:
    return {
        "languages": {"ru": _("Russian"), "kk": _("Kazakh")},
        "levels": {"bachelor": _("Bachelor's degree"), "master": _("Master's degree"),
                   "doctoral": _("Doctoral studies")},
        "people": {"rector": _("Rector"), "registrar_head": _("Head of the Registrar's Office"),
                   "vice_rector": _("Vice-rector for academic affairs"), "lawyer": _("Lawyer"),
                   "accountant": _("Chief accountant")},
        "registers": {"orders": _("Orders"), "certificates": _("Certificates"),
                      "duplicates": _("Duplicates")},
        "letterhead": {"name_ru": _("University name (Russian)"), "name_kk": _("University name (Kazakh)"),
                       "city_ru": _("City (Russian)"), "city_kk": _("City (Kazakh)"),
                       "address_ru": _("Address (Russian)"), "address_kk": _("Address (Kazakh)"),
                       "contacts": _("Phone and e-mail")},
        "person": {"title_ru": _("Position (Russian)"), "title_kk": _("Position (Kazakh)"),
                   "name": _("Name as printed")},
    }


@admin_ui_bp.get("/templates")
@login_required
def templates():  # type: ignore[no-untyped-def]
    _require_admin()
    bases = template_versions.list_bases(ctx(), actor())
    in_use = {base: {v.language: v for v in template_versions.list_versions(ctx(), actor(), base)
                     if v.active and not v.faculty and not v.level} for base in bases}
    return render_template("staff/admin/templates.html", bases=bases, in_use=in_use,
                           names=template_names(), labels=_labels())


def _template_page(base: str, errors: dict[str, str], message: str | None, status: int):  # type: ignore[no-untyped-def]
    versions = template_versions.list_versions(ctx(), actor(), base)
    faculties = staff.list_faculties(ctx())
    chosen = {"language": request.args.get("language", "ru"),
              "version": whole_number(request.args.get("version", ""), "version"),
              "case_id": whole_number(request.args.get("case_id", ""), "case_id")}
    return render_template(
        "staff/admin/template.html", base=base, name=template_names().get(base, base),
        versions=versions, languages=TEMPLATE_LANGUAGES, labels=_labels(), errors=errors,
        message=message, values=request.form, faculties=faculties,
        faculty_names={f.code: pick(f, "name") for f in faculties},
        levels=template_versions.LEVELS, cases=preview.cases_for(ctx(), base), chosen=chosen,
        pdf_available=soffice() is not None), status


@admin_ui_bp.get("/templates/<base>")
@login_required
def template(base: str):  # type: ignore[no-untyped-def]
    _require_admin()
    return _template_page(base, {}, None, 200)


@admin_ui_bp.post("/templates/<base>")
@login_required
def upload_template(base: str):  # type: ignore[no-untyped-def]
    _require_admin()
    form = request.form
    file = request.files.get("file")
    content = file.read(ctx().settings.max_upload_bytes + 1) if file else b""
    try:
        view = template_versions.upload(ctx(), actor(), base, form.get("language", ""),
                                        (file.filename if file else "") or "", content,
                                        faculty=form.get("faculty", ""), level=form.get("level", ""),
                                        note=form.get("note", ""))
    except Invalid as exc:
        return _template_page(base, localized_fields(exc), localized_message(exc), 422)
    flash(_("Version %(version)s is uploaded. Preview it for a case, then activate it.",
            version=view.version), "info")
    return redirect(url_for("staff_admin.template", base=base, language=view.language,
                            version=view.version, _anchor="preview"))


@admin_ui_bp.post("/templates/<base>/<language>/<int:version>/activate")
@login_required
def activate_template(base: str, language: str, version: int):  # type: ignore[no-untyped-def]
    _require_admin()
    template_versions.activate(ctx(), actor(), base, language, version)
    flash(_("Version %(version)s is in use from now on.", version=version), "info")
    return redirect(url_for("staff_admin.template", base=base))


@admin_ui_bp.post("/templates/<base>/<language>/<int:version>/rollback")
@login_required
def roll_back_template(base: str, language: str, version: int):  # type: ignore[no-untyped-def]
    _require_admin()
    try:
        now = template_versions.roll_back(ctx(), actor(), base, language, version)
    except Invalid as exc:
        flash(localized_message(exc), "error")
    else:
        flash(_("Rolled back: version %(version)s is in use.", version=now), "info")
    return redirect(url_for("staff_admin.template", base=base))


@admin_ui_bp.get("/templates/<base>/<language>/<int:version>/file")
@login_required
def template_file(base: str, language: str, version: int):  # type: ignore[no-untyped-def]
    _require_admin()
    name, content = template_versions.version_content(ctx(), actor(), base, language, version)
    return send_bytes(content, DOCX, name)


@admin_ui_bp.get("/templates/<base>/<language>/<int:version>/preview.<kind>")
@login_required
def template_preview(base: str, language: str, version: int, kind: str):  # type: ignore[no-untyped-def]
    _require_admin()
    if kind not in ("pdf", "docx"):
        abort(404)
    case_id = whole_number(request.args.get("case_id", ""), "case_id")
    if case_id is None:
        abort(404)
    result = preview.preview(ctx(), actor(), base, language, version, case_id, pdf=kind == "pdf")
    if kind == "docx":
        return send_bytes(result.docx, DOCX, f"{result.filename}.docx")
    if result.pdf is None:
        return render_template("staff/error.html", message=localized(result.pdf_problem or ""),
                               status=503), 503
    response = send_file(BytesIO(result.pdf), mimetype="application/pdf", as_attachment=False,
                         download_name=f"{result.filename}.pdf")
    # Shown inside the template page: this answer alone may be framed, by this site only.
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Content-Security-Policy"] = "default-src 'none'; frame-ancestors 'self'"
    response.headers["Cache-Control"] = "no-store"
    return response


def _settings_form(key: str) -> dict[str, Any]:
    form = request.form
    if key == "letterhead":
        return {k: form.get(k, "") for k in LETTERHEAD_FIELDS}
    if key == "rector":
        return {k: form.get(f"rector.{k}", "") for k in ("title_ru", "title_kk", "name")}
    if key == "positions":
        return {p: {k: form.get(f"{p}.{k}", "") for k in ("title_ru", "title_kk", "name")} for p in POSITIONS}
    return {r: form.get(r, "") for r in SIGNED_REGISTERS}


def _flat(value: dict[str, Any], labels: dict[str, Any]) -> dict[str, str]:
    """A setting's fields as «label: value» lines (positions nested by person)."""
    names = {**labels["letterhead"], **labels["person"], **labels["people"], **labels["registers"]}
    out: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, dict):
            for field, text in item.items():
                out[f"{names.get(key, key)} · {names.get(field, field)}"] = str(text)
        else:
            out[names.get(key, key)] = str(labels["people"].get(item, item))
    return out


def _changes(history: list[office.SettingChange], labels: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for change in history:
        old, new = _flat(change.old, labels), _flat(change.new, labels)
        rows.append({"at": change.changed_at, "who": change.changed_by, "key": change.key,
                     "fields": [(k, old.get(k, ""), v) for k, v in new.items() if old.get(k) != v]})
    return rows


@admin_ui_bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():  # type: ignore[no-untyped-def]
    _require_admin()
    errors: dict[str, str] = {}
    message = None
    current = office.current(ctx())
    if request.method == "POST":
        key = request.form.get("key", "")
        if key not in office.KEYS:
            abort(404)
        value = _settings_form(key)
        try:
            office.update(ctx(), actor(), key, value)
        except Invalid as exc:
            errors, message = localized_fields(exc), localized_message(exc)
            current[key] = value
        else:
            flash(_("Saved. The next documents print the new values."), "info")
            return redirect(url_for("staff_admin.settings"))
    labels = _labels()
    return render_template("staff/admin/settings.html", current=current, labels=labels, errors=errors,
                           message=message, positions=POSITIONS, registers=SIGNED_REGISTERS,
                           signers=office.SIGNERS, letterhead_fields=LETTERHEAD_FIELDS,
                           history=_changes(office.history(ctx(), actor(), limit=20), labels)
                           ), 422 if message else 200
