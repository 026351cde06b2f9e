"""What a person's home page counts: the work waiting for them and for their groups, what is
overdue or due today, the cases they registered this week; for the head of the office the
office-wide overdue tasks and the incidents, for the rector the orders to sign.

Every number is a COUNT in SQL (the inbox's own queries, `count_query`), all read in one
transaction, so the numbers agree with each other and with the inbox they link to."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.auth import Actor
from server.auth.roles import CASE_STARTERS, TASK_SUPERVISORS
from server.models import Case, OutboxJob
from server.services.background.operations import OPERATORS
from server.services.cases.filters import local_day_start
from server.services.context import AppContext
from server.services.tasks.inbox import InboxQuery, count_query

# Who signs orders (their home page leads with the orders waiting for a signature).
SIGNERS = frozenset({"rector"})
RECENT_CASES = 10


@dataclass(frozen=True)
class Home:
    today: date
    week_start: date  # Monday of this week, the office's time zone
    # mine, group, overdue, today; to_sign (signers); started (who registers cases);
    # office_overdue (the head of the office); incidents (who handles background failures)
    counts: dict[str, int]
    my_cases: list[Case] = field(default_factory=list)  # registered by me this week, newest first


def home(ctx: AppContext, actor: Actor) -> Home:
    with ctx.db.read() as session:
        return home_in(ctx, session, actor)


def home_in(ctx: AppContext, session: Session, actor: Actor) -> Home:
    today = ctx.local_today()
    week_start = today - timedelta(days=today.weekday())
    queries = {"mine": InboxQuery(scope="mine"), "group": InboxQuery(scope="group"),
               "overdue": InboxQuery(scope="any", overdue=True),
               "today": InboxQuery(scope="any", due_on=today)}
    if actor.has_any(SIGNERS):
        queries["to_sign"] = InboxQuery(scope="any", sign_only=True)
    if actor.has_any(TASK_SUPERVISORS):
        queries["office_overdue"] = InboxQuery(scope="all", overdue=True)
    counts = {key: session.scalar(count_query(ctx, actor, query)) or 0 for key, query in queries.items()}
    if actor.has_any(OPERATORS):
        counts["incidents"] = session.scalar(
            select(func.count()).select_from(OutboxJob).where(OutboxJob.status == "failed")) or 0
    my_cases: list[Case] = []
    if actor.has_any(CASE_STARTERS) and actor.user_id is not None:
        mine = [Case.created_by == actor.user_id, Case.received_at >= local_day_start(ctx, week_start)]
        counts["started"] = session.scalar(select(func.count()).select_from(Case).where(*mine)) or 0
        my_cases = list(session.scalars(select(Case).where(*mine).order_by(Case.id.desc())
                                        .limit(RECENT_CASES)))
    return Home(today, week_start, counts, my_cases)
