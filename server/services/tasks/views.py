"""What the staff UI's inbox page shows, built in one read."""

from __future__ import annotations

from dataclasses import dataclass

from server.auth import Actor
from server.models import Faculty, HumanTask
from server.services.context import AppContext
from server.services.people.administration import faculties_in
from server.services.people.users import names_in
from server.services.procedures.deployments import definitions_in
from server.services.tasks.bulk import BULK_APPROVERS, BULK_SIGNERS, BulkRow, bulk_rows
from server.services.tasks.inbox import InboxQuery, count_query, counts_in, tasks_in


@dataclass(frozen=True)
class InboxPage:
    rows: list[HumanTask]
    total: int
    counts: dict[str, int]  # per tab
    names: dict[int, str]  # assignees' full names
    faculties: dict[int, Faculty]
    bulk: dict[str, BulkRow]  # the rows offered for approving or signing several at once
    process_ids: list[str]  # the procedures to filter by

    @property
    def approvable(self) -> set[str]:
        return {tid for tid, row in self.bulk.items() if row.action == "approve"}

    @property
    def signable(self) -> set[str]:
        return {tid for tid, row in self.bulk.items() if row.action == "sign"}


def inbox_page(ctx: AppContext, actor: Actor, query: InboxQuery, lang: str = "ru") -> InboxPage:
    with ctx.db.read() as session:
        rows, total = tasks_in(ctx, session, actor, query)
        counts = counts_in(ctx, session, actor)
        counts["today"] = session.scalar(count_query(
            ctx, actor, InboxQuery(scope="any", due_on=ctx.local_today()))) or 0
        return InboxPage(
            rows=rows, total=total, counts=counts,
            names=names_in(session, {t.assignee_id for t in rows}),
            faculties={f.id: f for f in faculties_in(session)},
            bulk=bulk_rows(ctx, session, actor, rows, lang)
            if actor.has_any(BULK_APPROVERS | BULK_SIGNERS) else {},
            process_ids=[d.process_id for d in definitions_in(session) if d.kind == "bpmn"])
