"""The date rules of config/procedures.yaml (server/services/tasks/date_rules.py) on plain data,
and the academic leave's maxima kept equal to the model's decision table."""

from __future__ import annotations

import re
from datetime import date

import pytest

from server.config import ROOT
from server.services.procedures.rules import load_rules
from server.services.tasks.date_rules import date_problems, leave_months

RULES = load_rules(ROOT / "config")
TODAY = date(2026, 12, 7)


def test_the_leave_maxima_are_the_decision_tables():
    dmn = (ROOT / "workflows" / "leave_rules.dmn").read_text(encoding="utf-8")
    rule = r'<text>"(\w+)"</text>\s*</inputEntry>\s*<outputEntry id="\w+">\s*<text>(\d+)</text>'
    table = dict(re.findall(rule, dmn))
    assert table and {ground: int(v) for ground, v in table.items()} == {
        ground: limits["max"] for ground, limits in RULES["academic_leave_months"].items()}


@pytest.mark.parametrize(("start", "end", "months"), [
    ("2026-09-01", "2027-08-31", 12), ("2026-09-01", "2027-09-01", 13), ("2026-12-01", "2027-08-31", 9),
    ("2027-01-11", "2027-01-12", 1)])
def test_months_are_counted_as_the_model_counts_them(start, end, months):
    assert leave_months(date.fromisoformat(start), date.fromisoformat(end)) == months


def test_every_form_the_rules_name_exists_and_has_the_fields():
    import json

    for key, rule in RULES["date_rules"].items():
        schema = json.loads((ROOT / "forms" / f"{key}.schema.json").read_text(encoding="utf-8"))
        names = set(schema["properties"])
        fields = {f for pair in rule.get("ordered", []) for f in pair} | set(rule.get("not_future", []))
        fields |= set(rule.get("not_before", {}))
        assert fields <= names, (key, fields - names)


def test_a_period_backwards_a_future_return_and_a_return_before_the_sending():
    leave = {"leave_ground": "medical", "leave_start": "2027-01-11", "leave_end": "2026-12-01"}
    assert list(date_problems(RULES, "academic_leave/application", leave, {}, TODAY)) == ["leave_end"]
    same_day = {**leave, "leave_end": "2027-01-11"}
    assert list(date_problems(RULES, "academic_leave/application", same_day, {}, TODAY)) == ["leave_end"]
    ok = {**leave, "leave_end": "2027-06-30"}
    assert date_problems(RULES, "academic_leave/application", ok, {}, TODAY) == {}
    assert list(date_problems(RULES, "academic_leave/leave_return", {"return_date": "2026-12-08"},
                              {"leave_start": "2026-09-01"}, TODAY)) == ["return_date"]
    assert date_problems(RULES, "academic_leave/leave_return", {"return_date": "2026-12-07"},
                         {"leave_start": "2026-09-01"}, TODAY) == {}
    late = date_problems(RULES, "mobility/record_return", {"transcript_received_date": "2026-01-05"},
                         {"mobility_start": "2026-02-01"}, TODAY)
    assert late["transcript_received_date"].startswith("Дата раньше направления в вуз-партнёр")
    # a value that is not a date is the form's own validation, not this
    assert date_problems(RULES, "academic_leave/application", {**leave, "leave_end": "01.12.2026"},
                         {}, TODAY) == {}
    assert date_problems(RULES, "no/such_form", leave, {}, TODAY) == {}
