"""Reading stored documents (download), with the case's visibility rules."""

from __future__ import annotations

from sqlalchemy.orm import undefer

from server.auth import Actor
from server.models import Case, Document
from server.services.cases import check_case_visible
from server.services.context import AppContext
from server.services.errors import NotFound


def get_document(ctx: AppContext, actor: Actor, document_id: int) -> Document:
    with ctx.db.read() as session:
        doc = session.get(Document, document_id, options=[undefer(Document.content)])
        if doc is None:
            raise NotFound("Документ не найден")
        if doc.case_id is not None:
            case = session.get(Case, doc.case_id)
            if case is not None:
                try:
                    check_case_visible(actor, case)
                except NotFound:
                    raise NotFound("Документ не найден") from None
        return doc
