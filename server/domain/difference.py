"""The academic difference proposed from earlier results and the target curriculum.

A transfer or a reinstatement enters a course of a programme whose cohort has already studied
some semesters. Each discipline of those semesters (the target curriculum) is either
**re-credited** (перезачёт) — an earlier passed result covers it — or part of the **academic
difference** the student makes up. The rule (config/grading.yaml, `recredit`):

- an earlier result covers a curriculum discipline when both have the same discipline code, or
  (when either has none) when their names are the same once normalized (case, ё/е,
  punctuation, roman numerals) — the earlier name is tried against the discipline's Russian,
  Kazakh and English names;
- and its letter is not academic debt (FX, F are never re-credited);
- and its credits are at least `min_credit_ratio` × the discipline's credits.

Each earlier result covers at most one discipline. The proposal also says why a discipline
is in the difference (not studied, fewer credits, not passed) and whether the difference is
within the limit of the transfer rules: the dean decides, the proposal only says so.

Nothing here reads the database or the case: the service passes plain rows in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

RECREDIT_FILE = "grading.yaml"
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6"}
_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# Why a curriculum discipline is in the proposed difference.
NOT_STUDIED = "not_studied"
FEWER_CREDITS = "fewer_credits"
NOT_PASSED = "not_passed"


@dataclass(frozen=True)
class RecreditRule:
    min_credit_ratio: float
    source: Mapping[str, str]


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> RecreditRule:
    data = (yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}).get("recredit") or {}
    ratio = float(data.get("min_credit_ratio", 1.0))
    if not 0 < ratio <= 2:
        raise ValueError(f"{RECREDIT_FILE}: recredit.min_credit_ratio must be in (0, 2]")
    return RecreditRule(ratio, dict(data.get("source") or {}))


def load_rule(config_dir: Path) -> RecreditRule:
    """The re-credit rule of `config_dir/grading.yaml` (re-read when the file changes)."""
    path = Path(config_dir) / RECREDIT_FILE
    return _load(str(path), path.stat().st_mtime)


def normalized(name: str) -> str:
    """A discipline's name as matching compares it: lower case, ё as е, words only (punctuation
    and extra spaces dropped), a roman numeral as its digits («Иностранный язык II» = «иностранный
    язык 2»)."""
    text = unicodedata.normalize("NFC", str(name or "")).lower().replace("ё", "е")
    words = _WORD.findall(text)
    return " ".join(_ROMAN.get(w, w) for w in words)


@dataclass(frozen=True)
class Earlier:
    """One earlier result: a row of the sending university's transcript, or of our record."""

    name: str
    credits: float
    letter: str
    term: int | None = None
    code: str | None = None
    points: int | None = None


@dataclass(frozen=True)
class Target:
    """One discipline of the target curriculum."""

    code: str
    name_ru: str
    name_kk: str
    name_en: str
    credits: int
    semester: int


@dataclass(frozen=True)
class Recredit:
    target: Target
    earlier: Earlier


@dataclass(frozen=True)
class Missing:
    target: Target
    reason: str  # NOT_STUDIED | FEWER_CREDITS | NOT_PASSED
    earlier: Earlier | None = None  # the result that matched by name but does not cover it


@dataclass(frozen=True)
class Proposal:
    recredit: tuple[Recredit, ...]
    difference: tuple[Missing, ...]
    unused: tuple[Earlier, ...]  # earlier results no discipline of the target semesters names
    semesters: int  # the target curriculum's semesters compared (1..semesters)
    limit: int | None  # the transfer rules' limit in ECTS, when known

    @property
    def recredit_credits(self) -> int:
        return sum(r.target.credits for r in self.recredit)

    @property
    def difference_credits(self) -> int:
        return sum(m.target.credits for m in self.difference)

    @property
    def within_limit(self) -> bool | None:
        return None if self.limit is None else self.difference_credits <= self.limit


def semesters_studied(enrol_year: int) -> int:
    """The semesters the cohort has studied before the course entered: (course − 1) × 2."""
    return max(int(enrol_year) - 1, 0) * 2


def _same(earlier: Earlier, target: Target) -> bool:
    if earlier.code and target.code and earlier.code.strip().upper() == target.code.strip().upper():
        return True
    name = normalized(earlier.name)
    names = (target.name_ru, target.name_kk, target.name_en)
    return bool(name) and name in {normalized(n) for n in names if n}


def propose(earlier: Iterable[Earlier], curriculum: Iterable[Target], enrol_year: int,
            debt_letters: Iterable[str], rule: RecreditRule, limit: int | None = None) -> Proposal:
    """Re-credit and difference over the curriculum's semesters 1..(course − 1) × 2.

    The curriculum is walked by semester and code; each discipline takes the first unused
    earlier result that covers it. A result that matches by name yet fails on letter or
    credits is named in the difference line so the dean sees why."""
    upto = semesters_studied(enrol_year)
    debt = frozenset(debt_letters)
    targets = sorted((t for t in curriculum if t.semester <= upto), key=lambda t: (t.semester, t.code))
    pool = list(earlier)
    used: set[int] = set()
    recredit: list[Recredit] = []
    missing: list[Missing] = []
    for target in targets:
        failed: list[Earlier] = []
        fewer: list[Earlier] = []
        for index, row in enumerate(pool):
            if index in used or not _same(row, target):
                continue
            if row.letter.strip().upper() in debt:
                failed.append(row)
            elif row.credits < rule.min_credit_ratio * target.credits:
                fewer.append(row)
            else:
                used.add(index)
                recredit.append(Recredit(target, row))
                break
        else:
            if fewer:
                missing.append(Missing(target, FEWER_CREDITS, fewer[0]))
            elif failed:
                missing.append(Missing(target, NOT_PASSED, failed[0]))
            else:
                missing.append(Missing(target, NOT_STUDIED))
    named = {id(m.earlier) for m in missing if m.earlier is not None}
    unused = tuple(row for index, row in enumerate(pool) if index not in used and id(row) not in named)
    return Proposal(tuple(recredit), tuple(missing), unused, upto, limit)


def earlier_from_mapping(row: Mapping[str, Any]) -> Earlier:
    """An earlier result from a checked row of the case's data (`earlier_results`)."""
    points = row.get("points")
    term = row.get("term")
    return Earlier(name=str(row.get("discipline") or ""), credits=float(row.get("credits") or 0),
                   letter=str(row.get("letter") or "").strip().upper(),
                   term=int(term) if term not in (None, "") else None,
                   code=str(row.get("discipline_code") or "").strip() or None,
                   points=int(points) if points not in (None, "") else None)
