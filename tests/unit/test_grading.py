"""The grade scale of config/grading.yaml and GPA, credits and debt on worked examples."""

from __future__ import annotations

import pytest

from server.config import ROOT
from server.domain.grading import (
    Graded,
    GradeScale,
    GradingError,
    effective,
    load_scale,
    promoted,
    standing,
    term_standings,
)

SCALE = load_scale(ROOT / "config")


@pytest.mark.parametrize(("points", "letter", "gp"), [
    (100, "A", 4.0), (95, "A", 4.0), (94, "A-", 3.67), (90, "A-", 3.67), (89, "B+", 3.33),
    (85, "B+", 3.33), (84, "B", 3.0), (80, "B", 3.0), (79, "B-", 2.67), (75, "B-", 2.67),
    (74, "C+", 2.33), (70, "C+", 2.33), (69, "C", 2.0), (65, "C", 2.0), (64, "C-", 1.67),
    (60, "C-", 1.67), (59, "D+", 1.33), (55, "D+", 1.33), (54, "D", 1.0), (50, "D", 1.0),
    (49, "FX", 0.5), (25, "FX", 0.5), (24, "F", 0.0), (0, "F", 0.0),
])
def test_every_band_edge_of_the_scale(points: int, letter: str, gp: float):
    assert SCALE.letter_of(points) == letter
    assert SCALE.grade_points(letter) == gp
    assert SCALE.matches(letter, points)


def test_a_letter_that_does_not_match_its_points_is_caught():
    assert not SCALE.matches("A", 94)
    assert not SCALE.matches("D", 49)
    assert SCALE.letter_of(94.5) == "A"  # a fraction rounds half up
    with pytest.raises(ValueError):
        SCALE.letter_of(101)
    with pytest.raises(ValueError):
        SCALE.grade_points("E")


def test_the_scale_names_its_source_and_debt_letters():
    assert "152" in SCALE.source["ru"] and "152" in SCALE.source["kk"] and "152" in SCALE.source["en"]
    assert SCALE.debt_letters == frozenset({"FX", "F"})
    assert SCALE.promotion_min_gpa == 1.67


def test_a_scale_with_a_gap_is_refused_at_load():
    bands = [{"letter": "P", "min": 50, "max": 100, "points": 4}, {"letter": "F", "min": 0, "max": 48,
                                                                     "points": 0}]
    with pytest.raises(GradingError, match="gap"):
        GradeScale.from_mapping({"scale": bands, "debt_letters": ["F"]})


def row(discipline: str, term: int, credits: float, points: int, attempt: int = 1, order: int = 0) -> Graded:
    letter = SCALE.letter_of(points)
    return Graded(discipline, term, attempt, order, credits, letter, SCALE.grade_points(letter))


def test_term_gpa_is_credit_weighted():
    # 5 ECTS of A (4.0), 5 of B (3.0), 3 of C (2.0): (20 + 15 + 6) / 13 = 3.1538… → 3.15
    s = standing([row("MAT1", 1, 5, 96), row("PHY1", 1, 5, 81), row("HIS1", 1, 3, 66)], SCALE)
    assert s.gpa == 3.15 and s.credits_graded == 13 and s.credits_earned == 13 and s.debts == ()


def test_fx_is_debt_until_a_later_attempt_passes_it():
    first = [row("MAT1", 1, 5, 96, order=1), row("PHY1", 1, 5, 40, order=2)]  # PHY1 FX
    s = standing(effective(first).values(), SCALE)
    # (5×4.0 + 5×0.5) / 10 = 2.25; PHY1's 5 credits not earned
    assert s.gpa == 2.25 and s.credits_earned == 5 and s.debts == ("PHY1",)
    retaken = [*first, row("PHY1", 1, 5, 71, attempt=2, order=3)]  # C+ 2.33
    s = standing(effective(retaken).values(), SCALE)
    assert s.gpa == round((20 + 5 * 2.33) / 10, 2) == 3.17  # (20 + 11.65) / 10 = 3.165 → 3.17
    assert s.credits_earned == 10 and s.debts == ()
    assert promoted(s, SCALE)


def test_a_correction_of_the_same_attempt_replaces_it_and_a_later_attempt_counts_even_if_lower():
    rows = [row("MAT1", 1, 5, 70, order=1), row("MAT1", 1, 5, 90, order=5)]  # corrected: A-
    assert effective(rows)["MAT1"].letter == "A-"
    rows = [row("MAT1", 1, 5, 60, attempt=1, order=1), row("MAT1", 1, 5, 52, attempt=2, order=2)]
    assert effective(rows)["MAT1"].letter == "D"  # the latest attempt counts


def test_term_and_cumulative_gpa_by_term():
    rows = [row("MAT1", 1, 5, 96), row("HIS1", 1, 5, 66),  # term 1: (20 + 10) / 10 = 3.0
            row("MAT2", 2, 6, 86), row("PHY2", 2, 4, 10)]  # term 2: (6×3.33 + 0) / 10 = 1.998 → 2.0
    by_term = term_standings(rows, SCALE)
    assert [t for t in by_term] == [1, 2]
    assert by_term[1][0].gpa == 3.0 and by_term[1][1].gpa == 3.0
    assert by_term[2][0].gpa == 2.0 and by_term[2][0].debts == ("PHY2",)
    # cumulative: (20 + 10 + 19.98 + 0) / 20 = 2.499 → 2.5; 16 credits earned of 20
    cumulative = by_term[2][1]
    assert cumulative.gpa == 2.5 and cumulative.credits_earned == 16 and cumulative.debts == ("PHY2",)
    assert not promoted(cumulative, SCALE)  # debt stays
    assert standing([], SCALE).gpa is None
