"""Procedure rules the office configures (config/procedures.yaml), offered to the BPMN models
as script functions: working-day dates, the migration-registration rules (order № 923 switch)
and the ranking of a vacant-grant competition."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml


@lru_cache(maxsize=4)
def load_rules(config_dir: Path) -> dict[str, Any]:
    path = config_dir / "procedures.yaml"
    if not path.exists():
        return {}
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def _day(value: Any) -> date:
    return date.fromisoformat(str(value)[:10])


def migration_rules(rules: dict[str, Any], day: Any) -> dict[str, Any]:
    """What applies to a notice of arrival or departure on `day`: the deadline in working days,
    the reminder before a registration expires and whether the online rules of order № 923
    are in force (switched on and effective on that day)."""
    section = rules.get("foreign_registration") or {}
    online = section.get("online_rules") or {}
    effective = online.get("effective_from")
    in_force = bool(online.get("enabled")) and (effective is None or _day(day) >= _day(effective))
    return {
        "notify_days": int(section.get("notify_days", 3)),
        "extension_before_days": int(section.get("extension_before_days", 15)),
        "online": in_force,
        "channel_ru": online.get("channel_ru") if in_force else section.get("paper_channel_ru", ""),
        "channel_kk": online.get("channel_kk") if in_force else section.get("paper_channel_kk", ""),
    }


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def applicant_gpa(person: dict[str, Any]) -> float:
    """The GPA a vacant-grant competition ranks by. The one place it is read: the list's `gpa`,
    which the academic record sets for every student it has results of (completing the step
    lays the record's cumulative GPA, credits earned and debt over what was typed:
    services/record/queries.with_recorded_standing); typed only for a student without results."""
    return _number(person.get("gpa"))


# State grants, vacant ones included, are for citizens of Kazakhstan (DOMAIN.md, «Refusals»):
# foreign citizens study on a paid basis or on their own states' quotas.
GRANT_CITIZENSHIP = "KAZ"


def grant_ineligibility(section: dict[str, Any], person: dict[str, Any], group_code: str) -> str | None:
    """Why an applicant may not compete for a vacant grant (a reason code), or None.
    Sources: DOMAIN.md procedure 13 (paid students of the same programme group) and «Refusals»
    (citizens of Kazakhstan only); the level [assumed] must match the announcement's when it
    names one; academic debt excludes when the data has it [assumed, Yessenov regulation
    3.2.12 ranks students in good standing]."""
    funding = set(section.get("eligible_funding") or ["paid"])
    if str(person.get("citizenship") or GRANT_CITIZENSHIP).upper() != GRANT_CITIZENSHIP:
        return "citizenship"
    if person.get("funding") not in funding:
        return "funding"
    if str(person.get("group_code")) != str(group_code):
        return "programme_group"
    level = section.get("level")
    if level and person.get("level") and person.get("level") != level:
        return "level"
    if person.get("academic_debt") is True:
        return "academic_debt"
    return None


def rank_applicants(rules: dict[str, Any], applicants: list[dict[str, Any]], group_code: str,
                    places: int) -> dict[str, Any]:
    """Eligible applicants (`grant_ineligibility`) ranked by GPA (`applicant_gpa`), ties broken
    by the configured fields; the first `places` win. Returns ranked, winners and excluded
    lists (each excluded with its reason)."""
    section = rules.get("vacant_grant") or {}
    tie_break = list(section.get("tie_break") or [])
    eligible, excluded = [], []
    for person in applicants or []:
        reason = grant_ineligibility(section, person, group_code)
        if reason is None:
            eligible.append(dict(person))
        else:
            excluded.append({"iin": person.get("iin"), "full_name": person.get("full_name"),
                             "refusal_ground": "not_eligible", "reason": reason})

    def key(person: dict[str, Any]) -> tuple[float, ...]:
        parts = [-applicant_gpa(person)]
        for rule in tie_break:
            value = _number(person.get(rule["field"]))
            parts.append(value if rule.get("order") == "asc" else -value)
        return tuple(parts)

    eligible.sort(key=key)
    for rank, person in enumerate(eligible, start=1):
        person["rank"] = rank
        person["selected"] = rank <= int(places)
    return {"ranked": eligible, "winners": [p for p in eligible if p["selected"]],
            "excluded": excluded}


def procedure_functions(config_dir: Path, calendar: Callable[[], Any]) -> dict[str, Callable[..., Any]]:
    """Script functions for the models (names are reserved in case data). `calendar` gives the
    working-day calendar when a function first needs it."""

    def rules() -> dict[str, Any]:
        return load_rules(config_dir)

    def add_working_days(day: Any, days: int) -> str:
        """The date `days` working days after `day` ("YYYY-MM-DD")."""
        return calendar().add_working_days(_day(day), int(days)).isoformat()

    return {
        "add_working_days": add_working_days,
        "migration_rules": lambda day: migration_rules(rules(), day),
        "rank_applicants": lambda applicants, group_code, places: rank_applicants(
            rules(), applicants, group_code, places),
    }
