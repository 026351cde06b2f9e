"""Procedure rules from config/procedures.yaml: the order № 923 switch and the vacant-grant
ranking (tie-break order, eligibility)."""

from __future__ import annotations

from server.config import ROOT
from server.services.procedures.rules import load_rules, migration_rules, rank_applicants

RULES = load_rules(ROOT / "config")


def test_order_923_switch_and_effective_date():
    assert migration_rules(RULES, "2026-07-01")["online"] is True
    before = migration_rules(RULES, "2026-06-30")
    assert before["online"] is False and "бумажное" in before["channel_ru"]
    assert before["notify_days"] == 3 and before["extension_before_days"] == 15
    off = {"foreign_registration": {**RULES["foreign_registration"],
                                    "online_rules": {**RULES["foreign_registration"]["online_rules"],
                                                     "enabled": False}}}
    assert migration_rules(off, "2027-01-10")["online"] is False
    assert migration_rules({}, "2027-01-10") == {"notify_days": 3, "extension_before_days": 15,
                                                 "online": False, "channel_ru": "", "channel_kk": ""}


def test_ranking_tie_break_is_configurable():
    people = [{"iin": "a", "gpa": 3.5, "unt_score": 90, "credits_earned": 60, "funding": "paid",
               "group_code": "B057"},
              {"iin": "b", "gpa": 3.5, "unt_score": 90, "credits_earned": 64, "funding": "paid",
               "group_code": "B057"},
              {"iin": "c", "gpa": 3.5, "unt_score": 95, "credits_earned": 50, "funding": "paid",
               "group_code": "B057"},
              {"iin": "d", "gpa": 3.9, "funding": "paid", "group_code": "B058"}]
    result = rank_applicants(RULES, people, "B057", 1)
    assert [p["iin"] for p in result["ranked"]] == ["c", "b", "a"]
    assert [p["iin"] for p in result["winners"]] == ["c"]
    assert result["excluded"] == [{"iin": "d", "full_name": None, "refusal_ground": "not_eligible",
                                   "reason": "programme_group"}]
    fewer_credits_first = {"vacant_grant": {"tie_break": [{"field": "credits_earned", "order": "asc"}]}}
    assert [p["iin"] for p in rank_applicants(fewer_credits_first, people, "B057", 2)["ranked"]] \
        == ["c", "a", "b"]


def test_vacant_grant_eligibility_rules() -> None:
    from server.services.procedures.rules import applicant_gpa, grant_ineligibility, rank_applicants

    section = {"eligible_funding": ["paid"], "level": "bachelor"}
    base = {"funding": "paid", "group_code": "B057", "citizenship": "KAZ", "level": "bachelor", "gpa": 3.1}
    assert grant_ineligibility(section, base, "B057") is None
    assert grant_ineligibility(section, {**base, "citizenship": "UZB"}, "B057") == "citizenship"
    assert grant_ineligibility(section, {**base, "funding": "grant"}, "B057") == "funding"
    assert grant_ineligibility(section, {**base, "group_code": "B058"}, "B057") == "programme_group"
    assert grant_ineligibility(section, {**base, "level": "master"}, "B057") == "level"
    assert grant_ineligibility(section, {**base, "academic_debt": True}, "B057") == "academic_debt"
    assert applicant_gpa({"gpa": "3.67"}) == 3.67 and applicant_gpa({}) == 0.0
    # a foreign citizen with the best GPA does not win
    ranked = rank_applicants({"vacant_grant": section},
                             [{**base, "iin": "1", "gpa": 4.0, "citizenship": "CHN"}, {**base, "iin": "2"}],
                             "B057", 1)
    assert [p["iin"] for p in ranked["winners"]] == ["2"]
