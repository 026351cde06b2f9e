"""Approving and signing several tasks at once from the inbox.

A row gets a checkbox only when the one action the inbox can take completes it as it is: an
approval whose form asks nothing beyond «approve» (a dean's decision that needs the credit
difference does not qualify), a signing of an order (signed, today's date), and only for the
person who may complete it now (not a task someone else has taken). Beside such a row the
inbox shows what the action decides on: the case's key dates, in words, and for a signing the
draft order itself. Signing goes through `complete_task`, as a single signing does."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, load_only

from server.auth import Actor
from server.engine import Instance
from server.models import Case, Document, HumanTask
from server.services.cases.display import FieldWords, display_rows, procedure_fields
from server.services.context import AppContext
from server.services.documents.versions import DRAFT, is_sign_form
from server.services.errors import DomainError, Invalid
from server.services.procedures.deployments import definition_info
from server.services.tasks.forms import validate_submission
from server.services.tasks.human_tasks import (
    APPROVE,
    BulkResult,
    complete_task,
    decision_field,
    may_take,
    task_form,
)

# Who may approve several tasks at once from the inbox; who may sign several orders at once.
BULK_APPROVERS = frozenset({"vice_rector", "rector", "dean"})
BULK_SIGNERS = frozenset({"rector"})
KEY_DATES = 4  # at most this many dates beside a row


@dataclass(frozen=True)
class BulkRow:
    """What approving or signing a task from the list decides on."""

    task_id: str
    action: str  # "approve" | "sign"
    dates: list[tuple[str, str]] = field(default_factory=list)  # (title, dd.mm.yyyy)
    documents: list[Document] = field(default_factory=list)  # a signing's draft order (docx, pdf)


def signed_data(today: date) -> dict[str, Any]:
    """A signing form filled in as the rector does it: signed, today."""
    return {"signed": True, "signed_date": today.isoformat()}


def _passes(ctx: AppContext, task: HumanTask, data: dict[str, Any]) -> bool:
    try:
        schema, validator = ctx.forms.load(task.form_key or "")
        validate_submission(schema, validator, data)
    except (OSError, ValueError, DomainError):
        return False
    return True


def bulk_action(ctx: AppContext, actor: Actor, task: HumanTask, today: date) -> str | None:
    """"approve" or "sign" when the list may complete the task for `actor`; None otherwise."""
    if not task.form_key or task.form_key.startswith("camunda:") or task.status != "open":
        return None
    if task.assignee_id not in (None, actor.user_id) or not may_take(actor, task):
        return None
    if is_sign_form(task.form_key):
        return "sign" if actor.has_any(BULK_SIGNERS) and _passes(ctx, task, signed_data(today)) else None
    if not actor.has_any(BULK_APPROVERS):
        return None
    try:
        schema = ctx.forms.load(task.form_key)[0]
    except (OSError, ValueError):
        return None
    name = decision_field(schema)
    return "approve" if name and _passes(ctx, task, {name: APPROVE}) else None


def bulk_rows(ctx: AppContext, session: Session, actor: Actor, tasks: Iterable[HumanTask],
              lang: str) -> dict[str, BulkRow]:
    """The rows of `tasks` the list may complete, each with what it decides on."""
    today = ctx.local_today()
    actions = {t.id: a for t in tasks if (a := bulk_action(ctx, actor, t, today))}
    if not actions:
        return {}
    chosen = [t for t in tasks if t.id in actions]
    case_ids = {t.case_id for t in chosen}
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(case_ids)))}
    drafts: dict[int, list[Document]] = {}
    signing = {t.case_id for t in chosen if actions[t.id] == "sign"}
    if signing:
        for doc in session.scalars(select(Document).options(load_only(
                Document.id, Document.case_id, Document.filename, Document.number, Document.language,
                Document.kind)).where(Document.case_id.in_(signing), Document.status == DRAFT)
                .order_by(Document.id)):
            drafts.setdefault(doc.case_id or 0, []).append(doc)
    fields: dict[str, dict[str, FieldWords]] = {}
    rows = {}
    for task in chosen:
        case = cases.get(task.case_id)
        dates: list[tuple[str, str]] = []
        if case is not None:
            words = fields.setdefault(task.process_id, procedure_fields(ctx.forms, task.process_id))
            data = Instance.stored_data(definition_info(ctx, session, case.definition_id).bundle, case.state)
            own = set(ctx.forms.load(task.form_key or "")[0].get("properties") or {})
            date_names = [n for n, w in words.items() if w.is_date and n not in own]
            dates = display_rows(data, lang, words, only=date_names)[:KEY_DATES]
        rows[task.id] = BulkRow(task.id, actions[task.id], dates, drafts.get(task.case_id, []))
    return rows


def signing_list(ctx: AppContext, actor: Actor, task_ids: list[str],
                 lang: str) -> list[tuple[HumanTask, BulkRow]]:
    """The chosen signings as the confirmation lists them (those the rector may sign now)."""
    with ctx.db.read() as session:
        tasks = list(session.scalars(select(HumanTask).where(HumanTask.id.in_(set(task_ids)))))
        rows = bulk_rows(ctx, session, actor, tasks, lang)
        order = {tid: i for i, tid in enumerate(task_ids)}
        return sorted(((t, rows[t.id]) for t in tasks if t.id in rows and rows[t.id].action == "sign"),
                      key=lambda pair: order.get(pair[0].id, 0))


def sign_many(ctx: AppContext, actor: Actor, task_ids: list[str]) -> list[BulkResult]:
    """Sign several orders, each as its own transaction through `complete_task` (what a single
    signing does: the drafts become signed, the case runs on). One that cannot be signed as
    it is — not a signing, taken by someone else, already done — is reported; the others go on."""
    today = ctx.local_today()
    results = []
    for task_id in dict.fromkeys(task_ids):
        task = None
        try:
            task, _schema = task_form(ctx, actor, task_id)
            if not is_sign_form(task.form_key) or not actor.has_any(BULK_SIGNERS):
                raise Invalid("Эта задача — не подписание приказа: откройте её и заполните форму")
            complete_task(ctx, actor, task_id, signed_data(today))
            results.append(BulkResult(task_id, True, case_id=task.case_id, subject_name=task.subject_name))
        except DomainError as exc:
            results.append(BulkResult(task_id, False, exc.message,
                                      case_id=task.case_id if task else None,
                                      subject_name=task.subject_name if task else None))
    return results
