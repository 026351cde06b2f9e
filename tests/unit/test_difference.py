"""Matching earlier results to the target curriculum (server/domain/difference.py): names
normalized, codes first, the credit ratio, FX/F never re-credited, each result used once."""

from __future__ import annotations

from pathlib import Path

from server.domain.difference import (
    FEWER_CREDITS,
    NOT_PASSED,
    NOT_STUDIED,
    Earlier,
    RecreditRule,
    Target,
    load_rule,
    normalized,
    propose,
    semesters_studied,
)

RULE = RecreditRule(1.0, {})
DEBT = ("FX", "F")
PLAN = [Target("MAT101", "Математический анализ", "Математикалық талдау", "Calculus", 5, 1),
        Target("ENG101", "Иностранный язык I", "Шетел тілі I", "Foreign language I", 5, 1),
        Target("PHY102", "Физика", "Физика", "Physics", 6, 2),
        Target("OPS203", "Операционные системы", "Операциялық жүйелер", "Operating systems", 5, 3)]


def test_names_are_compared_without_case_yo_punctuation_and_roman_numerals():
    assert normalized("  Иностранный язык (II). ") == "иностранный язык 2"
    assert normalized("Ёмкостные  СИСТЕМЫ") == normalized("емкостные системы")
    assert normalized("Қазақ тілі") == "қазақ тілі"  # Kazakh letters kept


def test_the_cohort_has_studied_two_semesters_a_year():
    assert [semesters_studied(y) for y in (1, 2, 4)] == [0, 2, 6]


def test_a_match_by_name_in_any_language_is_re_credited():
    earlier = [Earlier("МАТЕМАТИЧЕСКИЙ АНАЛИЗ", 5, "B"), Earlier("Шетел тілі 1", 6, "A"),
               Earlier("physics", 6, "C")]
    p = propose(earlier, PLAN, 2, DEBT, RULE, limit=24)
    assert [r.target.code for r in p.recredit] == ["ENG101", "MAT101", "PHY102"]
    assert p.difference == () and p.recredit_credits == 16 and p.within_limit is True


def test_fewer_credits_and_fx_f_go_to_the_difference_with_their_reason():
    earlier = [Earlier("Математический анализ", 4, "A"), Earlier("Физика", 6, "FX"),
               Earlier("Иностранный язык I", 5, "F")]
    p = propose(earlier, PLAN, 2, DEBT, RULE, limit=10)
    assert [(m.target.code, m.reason) for m in p.difference] == [
        ("ENG101", NOT_PASSED), ("MAT101", FEWER_CREDITS), ("PHY102", NOT_PASSED)]
    assert p.recredit == () and p.difference_credits == 16 and p.within_limit is False
    assert p.unused == ()  # each is named in its difference line


def test_a_configured_ratio_accepts_fewer_credits():
    p = propose([Earlier("Математический анализ", 4, "A")], PLAN, 2, DEBT, RecreditRule(0.8, {}))
    assert [r.target.code for r in p.recredit] == ["MAT101"]


def test_codes_match_before_names_and_each_result_counts_once():
    earlier = [Earlier("Calculus I", 5, "B", code="mat101"), Earlier("Физика", 6, "A"),
               Earlier("Физика", 6, "B")]
    plan = [*PLAN, Target("PHY202", "Физика", "Физика", "Physics", 6, 2)]
    p = propose(earlier, plan, 2, DEBT, RULE)
    assert [(r.target.code, r.earlier.letter) for r in p.recredit] == [("MAT101", "B"), ("PHY102", "A"),
                                                                      ("PHY202", "B")]
    assert [(m.target.code, m.reason) for m in p.difference] == [("ENG101", NOT_STUDIED)]
    assert p.limit is None and p.within_limit is None


def test_semesters_after_the_course_entered_are_not_compared():
    p = propose([], PLAN, 2, DEBT, RULE)
    assert "OPS203" not in [m.target.code for m in p.difference] and p.semesters == 2


def test_the_rule_is_read_from_config():
    rule = load_rule(Path(__file__).resolve().parents[2] / "config")
    assert rule.min_credit_ratio == 1.0 and "№ 152" in rule.source["ru"]
