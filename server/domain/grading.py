"""The credit system's grade scale, and GPA and academic debt computed from results.

The scale is data (`config/grading.yaml`, with its source); this module loads it strictly (a band
that overlaps or leaves a gap fails at load naming the letter) and computes, from plain results:

- the letter and grade points of a number of points, and whether a letter matches its points;
- a student's effective results: per discipline the latest attempt counts (a correction of an
  attempt is a later row of the same attempt: the latest row counts);
- term and cumulative GPA: the credit-weighted mean of the grade points of the effective results
  (FX and F included at their grade points — [assumed]: the rules average all credits studied);
- credits earned (effective results that are not debt) and academic debt (effective FX/F).

Nothing here reads the database: the services pass rows in and the SQL aggregate of the whole
university (server/services/record/queries.py) computes the same figures in the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

GRADING_FILE = "grading.yaml"


class GradingError(ValueError):
    """The grade scale in config is wrong (startup/config error, not user input)."""


@dataclass(frozen=True)
class Band:
    letter: str
    min: int
    max: int
    points: float


@dataclass(frozen=True)
class GradeScale:
    bands: tuple[Band, ...]
    debt_letters: frozenset[str]
    promotion_min_gpa: float
    source: Mapping[str, str]
    promotion_source: Mapping[str, str]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> GradeScale:
        try:
            bands = tuple(Band(str(b["letter"]), int(b["min"]), int(b["max"]), float(b["points"]))
                          for b in data["scale"])
            debt = frozenset(str(x) for x in data.get("debt_letters", ("FX", "F")))
            promotion = data.get("promotion") or {}
            min_gpa = float(promotion.get("min_gpa", 0))
        except (KeyError, TypeError, ValueError) as exc:
            raise GradingError(f"{GRADING_FILE}: malformed scale ({exc})") from None
        covered = sorted((b.min, b.max, b.letter) for b in bands)
        expected = 0
        for low, high, letter in covered:
            if low != expected or high < low:
                raise GradingError(f"{GRADING_FILE}: band {letter} {low}-{high} leaves a gap or overlaps")
            expected = high + 1
        if expected != 101:
            raise GradingError(f"{GRADING_FILE}: the bands must cover 0-100")
        letters = [b.letter for b in bands]
        if len(set(letters)) != len(letters) or not debt <= set(letters):
            raise GradingError(f"{GRADING_FILE}: letters repeat, or a debt letter is not on the scale")
        return cls(bands, debt, min_gpa, dict(data.get("source") or {}), dict(promotion.get("source") or {}))

    @property
    def letters(self) -> tuple[str, ...]:
        return tuple(b.letter for b in self.bands)

    def band_of(self, points: float) -> Band:
        """The band of a number of points (0-100; a fraction is rounded half up first)."""
        whole = int(Decimal(str(points)).quantize(Decimal(1), ROUND_HALF_UP))
        if not 0 <= whole <= 100:
            raise ValueError("points out of 0-100")
        return next(b for b in self.bands if b.min <= whole <= b.max)

    def letter_of(self, points: float) -> str:
        return self.band_of(points).letter

    def grade_points(self, letter: str) -> float:
        for band in self.bands:
            if band.letter == letter:
                return band.points
        raise ValueError(f"unknown letter {letter}")

    def matches(self, letter: str, points: float) -> bool:
        """Whether `letter` is the letter of `points` on this scale."""
        return self.letter_of(points) == letter

    def is_debt(self, letter: str) -> bool:
        return letter in self.debt_letters


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> GradeScale:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return GradeScale.from_mapping(data)


def load_scale(config_dir: Path) -> GradeScale:
    """The scale of `config_dir/grading.yaml` (re-read when the file changes)."""
    path = Path(config_dir) / GRADING_FILE
    return _load(str(path), path.stat().st_mtime)


# --- GPA -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Graded:
    """One result row as the GPA needs it."""

    discipline: str  # the discipline's code (or id): the unit «latest attempt counts» is per
    term: int
    attempt: int
    order: int  # the row's position in the record (its id): a later correction wins
    credits: float
    letter: str
    grade_points: float


@dataclass(frozen=True)
class Standing:
    """GPA, credits and debt over some effective results."""

    gpa: float | None  # None: no credits graded yet
    credits_graded: float
    credits_earned: float
    debts: tuple[str, ...]  # disciplines whose effective result is FX/F


def effective(results: Iterable[Graded]) -> dict[str, Graded]:
    """Per discipline, the result that counts: the latest attempt, and of it the latest row."""
    best: dict[str, Graded] = {}
    for row in results:
        current = best.get(row.discipline)
        if current is None or (row.attempt, row.order) > (current.attempt, current.order):
            best[row.discipline] = row
    return best


def round_gpa(value: float) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP))


def standing(rows: Iterable[Graded], scale: GradeScale) -> Standing:
    """GPA (credit-weighted, two decimals, half up), credits and debt of already effective rows."""
    weighted = graded = earned = 0.0
    debts: list[str] = []
    for row in rows:
        weighted += row.credits * row.grade_points
        graded += row.credits
        if scale.is_debt(row.letter):
            debts.append(row.discipline)
        else:
            earned += row.credits
    gpa = round_gpa(weighted / graded) if graded else None
    return Standing(gpa, graded, earned, tuple(sorted(debts)))


def term_standings(results: Iterable[Graded], scale: GradeScale) -> dict[int, tuple[Standing, Standing]]:
    """Per term (ascending): (the term's standing, the cumulative standing up to and with it)."""
    counted = effective(results)
    out: dict[int, tuple[Standing, Standing]] = {}
    for term in sorted({r.term for r in counted.values()}):
        in_term = [r for r in counted.values() if r.term == term]
        so_far = [r for r in counted.values() if r.term <= term]
        out[term] = (standing(in_term, scale), standing(so_far, scale))
    return out


def promoted(overall: Standing, scale: GradeScale) -> bool:
    """Moves up to the next course: no academic debt, and GPA at least the promotion threshold."""
    return not overall.debts and overall.gpa is not None and overall.gpa >= scale.promotion_min_gpa
