"""Registers of issued documents (orders, certificates, duplicates): list and XLSX export."""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from server.api import report_schemas as rs
from server.api.auth import current_actor, token_auth
from server.api.routes import _auth_doc, ctx
from server.db import utcnow
from server.domain import labels
from server.downloads import send_bytes
from server.services.documents import registers
from server.services.students import military
from server.web.i18n import api_locale

registers_bp = APIBlueprint("registers", __name__, url_prefix="/api/v1/registers", tag="registers")


@registers_bp.get("/documents")
@registers_bp.auth_required(token_auth)
@registers_bp.input(rs.RegisterQueryIn, location="query", arg_name="query")
@registers_bp.output(rs.RegisterListOut)
@registers_bp.doc(
    summary="Register of issued documents: one row per number, filters; format=xlsx exports "
            "(registrar office, rector, vice-rector, admins)",
    **{"responses": {**_auth_doc(422)["responses"],
                     200: {"description": "Rows (JSON) or an XLSX file with format=xlsx",
                           "content": {"application/json": {"schema": rs.RegisterListOut},
                                       registers.XLSX: {}}}}})
def list_documents(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    fmt = query.pop("format")
    q = registers.RegisterQuery(**query)
    if fmt == "xlsx":
        return send_bytes(registers.export_xlsx(ctx(), current_actor(), q, api_locale()), registers.XLSX,
                          registers.export_filename(q))
    rows, total = registers.list_register(ctx(), current_actor(), q)
    locale = api_locale()
    items = [dict(r.to_dict(), status_name=labels.label("document_status", r.status, locale),
                  status_display=labels.label("document_status", r.status, locale),
                  kind_display=labels.label("document_kind", r.kind, locale),
                  register_display=labels.label("register", r.register, locale),
                  case_status_display=(labels.label("case_status", r.case_status, locale)
                                       if r.case_status else None))
             for r in rows]
    return {"items": items, "total": total,
            "limit": q.limit, "offset": q.offset}


@registers_bp.get("/military")
@registers_bp.auth_required(token_auth)
@registers_bp.input(rs.ConscriptsQueryIn, location="query", arg_name="query")
@registers_bp.output(rs.ConscriptsOut)
@registers_bp.doc(summary="Male students of conscription age per faculty, for the military offices "
                          "(registrar office, deans for their faculty, leadership)", **_auth_doc(422))
def list_conscripts(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    on = query["on"] or utcnow().astimezone(ctx().tz).date()
    lists = military.conscription_lists(ctx(), current_actor(), on, query["faculty"])
    return {"on": on, "faculties": [f.to_dict() for f in lists]}
