"""What the staff UI's inbox page shows, built in one read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.auth import Actor
from server.models import Faculty, HumanTask
from server.services.context import AppContext
from server.services.people.administration import faculties_in
from server.services.people.users import names_in
from server.services.procedures.deployments import definitions_in
from server.services.tasks.human_tasks import decision_field
from server.services.tasks.inbox import InboxQuery, counts_in, tasks_in

# Who may approve several tasks at once from the inbox.
BULK_APPROVERS = frozenset({"vice_rector", "rector", "dean"})


@dataclass(frozen=True)
class InboxPage:
    rows: list[HumanTask]
    total: int
    counts: dict[str, int]  # per tab
    names: dict[int, str]  # assignees' full names
    faculties: dict[int, Faculty]
    approvable: set[str]  # task ids offered for approving several at once
    process_ids: list[str]  # the procedures to filter by


def inbox_page(ctx: AppContext, actor: Actor, query: InboxQuery) -> InboxPage:
    with ctx.db.read() as session:
        rows, total = tasks_in(ctx, session, actor, query)
        return InboxPage(
            rows=rows, total=total, counts=counts_in(ctx, session, actor),
            names=names_in(session, {t.assignee_id for t in rows}),
            faculties={f.id: f for f in faculties_in(session)},
            approvable=_approvable(ctx, rows) if actor.has_any(BULK_APPROVERS) else set(),
            process_ids=[d.process_id for d in definitions_in(session) if d.kind == "bpmn"])


def _approvable(ctx: AppContext, rows: list[HumanTask]) -> set[str]:
    """Tasks whose form is a plain approve/reject decision (offered for approving several)."""
    found = set()
    for task in rows:
        if task.form_key and not task.form_key.startswith("camunda:"):
            schema: dict[str, Any] = ctx.forms.load(task.form_key)[0]
            if decision_field(schema):
                found.add(task.id)
    return found
