"""Dates that cannot be true, refused where they are typed.

The rules are the office's (config/procedures.yaml, `date_rules`, per form key, with their
sources): a period's end after its start, a date of what already happened (a return from
leave, a partner's transcript received) not after today, a return not before the sending, an
academic leave's length within its ground's limits. The registration of an application and
the completion of a step check them after the form's own schema, against the submitted values
and, for a value the form does not carry (the leave's start on the return form), the case's
data. A refusal is `Invalid` naming each field, in Russian with its Kazakh and English
translations; nothing is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from server.services.context import AppContext
from server.services.errors import Invalid, Msg, tr
from server.services.procedures.rules import load_rules


def _day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def leave_months(start: date, end: date) -> int:
    """Calendar months from `start` to `end`, a started month counted whole — as the model
    counts them (workflows/academic_leave.bpmn, `leave_months`)."""
    return (end.year - start.year) * 12 + end.month - start.month + (1 if end.day >= start.day else 0)


def _earlier_reason(earlier: str, day: date) -> Msg:
    shown = day.strftime("%d.%m.%Y")
    if earlier == "leave_start":
        return tr("Дата раньше начала академического отпуска (%(earlier)s)", earlier=shown)
    if earlier == "mobility_start":
        return tr("Дата раньше направления в вуз-партнёр (начало обучения там — %(earlier)s)",
                  earlier=shown)
    return tr("Дата раньше %(earlier)s", earlier=shown)


def date_problems(rules: Mapping[str, Any], form_key: str, data: Mapping[str, Any],
                  known: Mapping[str, Any], today: date) -> dict[str, Msg]:
    """The fields of `data` that break the form's date rules, with the reason. `known`: the
    case's data, for a date the form does not carry. A value that is not a date is left to
    the form's own validation."""
    section = (rules.get("date_rules") or {}).get(form_key) or {}
    values = {**known, **data}
    problems: dict[str, Msg] = {}
    for start_field, end_field in section.get("ordered") or []:
        start, end = _day(values.get(start_field)), _day(values.get(end_field))
        if start and end and end <= start and end_field in data:
            problems[end_field] = tr("Дата окончания не позже даты начала: период с %(start)s по %(end)s "
                                     "невозможен", start=start.strftime("%d.%m.%Y"),
                                     end=end.strftime("%d.%m.%Y"))
    for name in section.get("not_future") or []:
        day = _day(data.get(name))
        if day and day > today:
            problems.setdefault(name, tr("Дата %(date)s ещё не наступила: укажите дату, которая уже прошла "
                                         "(не позднее %(today)s)", date=day.strftime("%d.%m.%Y"),
                                         today=today.strftime("%d.%m.%Y")))
    for name, earlier_field in (section.get("not_before") or {}).items():
        day, earlier = _day(data.get(name)), _day(values.get(earlier_field))
        if day and earlier and day < earlier:
            problems.setdefault(name, _earlier_reason(earlier_field, earlier))
    span = section.get("span")
    if span:
        problems.update({k: v for k, v in _span_problem(rules, span, values, data).items()
                         if k not in problems})
    return problems


def _span_problem(rules: Mapping[str, Any], span: Mapping[str, Any], values: Mapping[str, Any],
                  data: Mapping[str, Any]) -> dict[str, Msg]:
    """A period's length in months within the limits its ground (`by`) has in the table
    `limits` names (a top-level key of procedures.yaml)."""
    start, end = _day(values.get(span["from"])), _day(values.get(span["to"]))
    if not start or not end or end <= start or span["to"] not in data:
        return {}
    limits = ((rules.get(span["limits"]) or {}).get(str(values.get(span["by"])))) or {}
    months = leave_months(start, end)
    if "max" in limits and months > int(limits["max"]):
        return {span["to"]: tr("По этому основанию — не более %(limit)s мес., а указано %(months)s мес. "
                               "(неполный месяц считается целым)", limit=limits["max"], months=months)}
    if "min" in limits and months < int(limits["min"]):
        return {span["to"]: tr("По этому основанию — не менее %(limit)s мес., а указано %(months)s мес.",
                               limit=limits["min"], months=months)}
    return {}


def has_rules(ctx: AppContext, form_key: str) -> bool:
    """Whether the form has date rules (a step without any needs no case data read)."""
    return form_key in (load_rules(ctx.settings.config_dir).get("date_rules") or {})


def check_dates(ctx: AppContext, form_key: str, data: Mapping[str, Any], *, message: str,
                known: Mapping[str, Any] | None = None, prefix: str = "") -> None:
    """Raise `Invalid(message)` naming each field (`prefix` + name) whose date breaks the
    form's rules."""
    rules = load_rules(ctx.settings.config_dir)
    if form_key not in (rules.get("date_rules") or {}):
        return
    problems = date_problems(rules, form_key, data, known or {}, ctx.local_today())
    if problems:
        raise Invalid(message, {f"{prefix}{name}": reason for name, reason in problems.items()})
