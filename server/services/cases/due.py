"""When an open task is due: its own deadline, not the case's.

A task's due moment, first that applies:

1. the model's `dueDate` property on the user task names a value of the case data (a data
   path such as `leave_end`, `notify_due` or `difference.deadline`): a control task is due when
   the controlled thing is (the leave's last day, the end of the academic difference, the
   migration notice's last day) — the end of that local day;
2. the service catalog's `step_deadlines` gives the step a number of working days
   (config/catalog.yaml): due at the end of the n-th working day after the task opened, and
   never after the case's legal deadline (a 3-day step of a 3-day service opened on the day of
   receipt is due when the case is);
3. otherwise the case's legal deadline (none when the procedure has none).

The case keeps the legal deadline; reports count against it, the inbox against the task's.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any

from server.models import Case
from server.services.context import AppContext

_DOTTED = re.compile(r"^(\d{2})\.(\d{2})\.(\d{4})$")


def parse_day(value: Any) -> date | None:
    """A date from the case data: a date, an ISO «2027-06-30» or the office's «30.06.2027»;
    None for an empty or unreadable value (the task then falls back to the next rule)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    dotted = _DOTTED.match(text)
    try:
        if dotted:
            return date(int(dotted[3]), int(dotted[2]), int(dotted[1]))
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _lookup(data: dict[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def task_due(ctx: AppContext, case: Case, meta: dict[str, Any], data: dict[str, Any] | None,
             now: datetime) -> datetime | None:
    """The moment a newly opened task is due (see the module's docstring)."""
    path = meta.get("due_date")
    if path and data is not None:
        day = parse_day(_lookup(data, str(path)))
        if day is not None:
            return _end_of(ctx, day)
    days = _step_days(ctx, case.process_id, meta.get("bpmn_id"))
    if days is not None:
        due = _end_of(ctx, ctx.calendar.add_working_days(now.astimezone(ctx.tz).date(), days))
        # a step is never due after the case's legal deadline (which counts the day of receipt)
        return min(due, case.deadline_at) if case.deadline_at is not None else due
    return case.deadline_at


def _end_of(ctx: AppContext, day: date) -> datetime:
    """The last moment of a local day, as the case deadline is kept (shown as «09.12.2026 23:59»)."""
    return datetime.combine(day, time.max, tzinfo=ctx.tz).astimezone(UTC)


def _step_days(ctx: AppContext, process_id: str, bpmn_id: str | None) -> int | None:
    if not bpmn_id:
        return None
    try:
        service = ctx.catalog.service(process_id)
    except (KeyError, FileNotFoundError, ImportError):
        return None  # a model deployed without a catalog entry (e.g. a plain BPMN upload)
    days = service.step_deadlines.get(bpmn_id)
    return int(days) if days is not None else None
