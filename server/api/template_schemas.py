"""Schemas of the template versions and office settings endpoints (admins)."""

from __future__ import annotations

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Dict, File, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range

from server.db import DB_INT_MAX
from server.documents.checking import TEMPLATE_LANGUAGES


class TemplateVersionOut(Schema):
    base = String()
    language = String()
    version = Integer(metadata={"description": "1 is the file shipped in templates/ (built-in)"})
    faculty = String(metadata={"description": "faculty code it is limited to, empty for every faculty"})
    level = String(metadata={"description": "level of study it is limited to, empty for every level"})
    filename = String()
    tags = List(String(), metadata={"description": "top-level names the template prints"})
    active = Boolean()
    builtin = Boolean()
    note = String()
    uploaded_by = String()
    created_at = DateTime(allow_none=True)


class TemplateOut(Schema):
    base = String()
    versions = List(Nested(TemplateVersionOut))


class TemplateListOut(Schema):
    items = List(String(), metadata={"description": "template bases (order_transfer_in, …)"})


class TemplateUploadIn(Schema):
    file = File(required=True, metadata={"description": ".docx, at most REGOFFICE_MAX_UPLOAD_MB"})
    # checked by the service after the permission check (a non-admin gets 403, not 422)
    language = String(load_default="", metadata={"description": " or ".join(TEMPLATE_LANGUAGES)})
    faculty = String(load_default="", validate=Length(max=32))
    level = String(load_default="", validate=Length(max=16))
    note = String(load_default="", validate=Length(max=300))


class PreviewIn(Schema):
    case_id = Integer(required=True, validate=Range(1, DB_INT_MAX))
    format = String(load_default="pdf", validate=OneOf(("pdf", "docx")))


class RollbackOut(Schema):
    version = Integer(metadata={"description": "the version now in use for that scope"})


class SettingsOut(Schema):
    settings = Dict(metadata={"description": "letterhead, rector, positions, signatories"})


class SettingChangeOut(Schema):
    key = String()
    old = Dict()
    new = Dict()
    changed_by = String()
    changed_at = DateTime()


class SettingHistoryOut(Schema):
    items = List(Nested(SettingChangeOut))


class SettingIn(Schema):
    value = Dict(required=True, metadata={"description": "the whole setting, e.g. for rector "
                                          "{title_ru, title_kk, name}"})

