"""The standing of each version of an issued document, recorded on its rows.

An order or a duplicate is a **draft** from its issue until the rector signs it (the signing
task completed with «signed»); then **signed**. When the rector returns it and it is rendered
again under the same number, the earlier version becomes **superseded** — it was never signed
and the register must not say it was. A certificate has no signing step: it is **issued**."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server.models import Document
from server.services.errors import tr

DRAFT, SIGNED, SUPERSEDED, ISSUED = "draft", "signed", "superseded", "issued"
#: how the registers, the case page and the API name a status (Russian msgids, errors.po)
STATUS_NAMES = {DRAFT: tr("проект, не подписан"), SIGNED: tr("подписан"),
                SUPERSEDED: tr("заменён новой версией"), ISSUED: tr("выдан")}
#: the registers whose documents the rector signs; the others are final when issued
SIGNED_REGISTERS = frozenset({"orders", "duplicates"})
#: the last part of the form key of a task where the rector signs the case's document
SIGN_FORMS = frozenset({"sign_order", "rector_sign"})


def initial_status(register: str) -> str:
    return DRAFT if register in SIGNED_REGISTERS else ISSUED


def supersede_earlier(session: Session, documents: Sequence[Document]) -> None:
    """The versions before the one just issued under the same register entry are superseded."""
    first = documents[0]
    if first.seq is None or first.version <= 1:
        return
    session.execute(update(Document).where(
        Document.register == first.register, Document.year == first.year,
        Document.seq == first.seq, Document.version < first.version,
    ).values(status=SUPERSEDED))


def is_sign_form(form_key: str | None) -> bool:
    return bool(form_key) and str(form_key).rsplit("/", 1)[-1] in SIGN_FORMS


def record_signature(session: Session, case_id: int, form_key: str | None, data: dict[str, Any],
                     at: datetime, by: int | None) -> int:
    """After a signing task: the case's drafts are signed when the rector ticked «signed»
    (a return leaves them drafts until the next version supersedes them). Returns how many
    rows changed; any other task changes nothing."""
    if not is_sign_form(form_key) or data.get("signed") is not True:
        return 0
    ids = list(session.scalars(select(Document.id).where(
        Document.case_id == case_id, Document.status == DRAFT)))
    if ids:
        session.execute(update(Document).where(Document.id.in_(ids))
                        .values(status=SIGNED, signed_at=at, signed_by=by))
    return len(ids)


CORRECTION_NOTE = "correction"  # the correction step's description (forms/*/correct_*.schema.json)


def return_and_correction_events(form_key: str | None, data: dict[str, Any],
                                 case_data: Callable[[], dict[str, Any]],
                                 ) -> tuple[str, dict[str, Any]] | None:
    """The history's record of the rector's return loop: `order_returned` with the remark when a
    signing task is completed without the signature, `order_corrected` with the description and
    what changed (field: [was, now]) when the correction step is completed; None otherwise."""
    if is_sign_form(form_key) and data.get("signed") is False:
        return "order_returned", {"remark": data.get("rector_comment")}
    correcting = bool(form_key) and str(form_key).rsplit("/", 1)[-1].startswith("correct_")
    if (correcting and CORRECTION_NOTE in data) or str(data.get(CORRECTION_NOTE) or "").strip():
        # the correction step, or a draft step the return goes back to (the expulsion's)
        before = case_data()  # the case's data before the correction (read only here)
        changed = {k: [before.get(k), v] for k, v in data.items()
                   if k != CORRECTION_NOTE and before.get(k) != v}
        return "order_corrected", {"correction": data[CORRECTION_NOTE], "changed": changed,
                                   "remark": before.get("rector_comment")}
    return None
