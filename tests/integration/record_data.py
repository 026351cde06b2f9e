"""A small academic record for the tests: a curriculum of the programme 6B06102, two students,
transcripts as CSV text."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from server.auth import Actor
from server.domain.iin import make_iin
from server.models import Result
from server.services.record import imports
from server.services.record.access import academic_year_start
from tests.integration.api import add_student

# The test students are in their 2nd year: admitted a year before the current academic year.
ADMISSION = academic_year_start(date.today()) - 1
FIRST_YEAR = f"{ADMISSION}-{ADMISSION + 1}"
IIN_A = make_iin(date(2005, 4, 1), "M", 1201)
IIN_B = make_iin(date(2005, 6, 2), "F", 1202)
IIN_UNKNOWN = make_iin(date(2005, 7, 3), "M", 1203)

CURRICULUM = [
    # discipline, ru, kk, en, credits, control form, semester, kind
    ("MAT101", "Математический анализ", "Математикалық талдау", "Calculus", 5, "exam", 1, "compulsory"),
    ("HIS101", "История Казахстана", "Қазақстан тарихы", "History of Kazakhstan", 5, "exam", 1, "compulsory"),
    ("PHY102", "Физика", "Физика", "Physics", 6, "exam", 2, "compulsory"),
    ("ALG102", "Алгоритмы", "Алгоритмдер", "Algorithms", 4, "credit", 2, "elective"),
]
HEADER = ("programme_code,admission_year,discipline_code,name_ru,name_kk,name_en,credits,control_form,"
          "semester,kind")


def curriculum_csv(programme: str = "6B06102", year: int = ADMISSION) -> bytes:
    lines = [HEADER] + [f"{programme},{year},{c},{ru},{kk},{en},{cr},{form},{sem},{kind}"
                        for c, ru, kk, en, cr, form, sem, kind in CURRICULUM]
    return ("\n".join(lines) + "\n").encode()


TRANSCRIPT_HEADER = "ИИН;Дисциплина;Учебный год;Семестр;Попытка;Баллы;Буква"


def transcript_csv(rows: list[tuple[Any, ...]], header: str = TRANSCRIPT_HEADER) -> bytes:
    return ("\n".join([header] + [";".join(str(v) for v in row) for row in rows]) + "\n").encode()


MAPPING = {"iin": "ИИН", "discipline_code": "Дисциплина", "academic_year": "Учебный год", "term": "Семестр",
           "attempt": "Попытка", "points": "Баллы", "letter": "Буква"}

# Student A: term 1 MAT101 A (96), HIS101 C (66); term 2 PHY102 FX (40), ALG102 B+ (86).
GOOD = [(IIN_A, "MAT101", FIRST_YEAR, 1, 1, 96, "A"), (IIN_A, "HIS101", FIRST_YEAR, 1, 1, 66, "C"),
        (IIN_A, "PHY102", FIRST_YEAR, 2, 1, 40, "FX"), (IIN_A, "ALG102", FIRST_YEAR, 2, 1, 86, "B+"),
        (IIN_B, "MAT101", FIRST_YEAR, 1, 1, 91, "A-")]


def seed(ctx: Any) -> dict[str, int]:
    """The curriculum, students A and B, and the good transcript imported; their ids."""
    ids = {"a": add_student(ctx, IIN_A, last_name="Ахметов", first_name="Ерлан"),
           "b": add_student(ctx, IIN_B, last_name="Серикова", first_name="Айгерим", sex="F")}
    imports.import_curricula(ctx, Actor.system(), "plan.csv", curriculum_csv(), dry_run=False)
    imports.import_transcripts(ctx, Actor.system(), "t.csv", transcript_csv(GOOD), mapping=MAPPING,
                               dry_run=False)
    return ids


def record_env(ctx: Any, people: Any, client: Any) -> dict[str, Any]:
    """The seeded record, the demo people's API headers and the OpenAPI spec (the `env` fixture of
    the record's API tests)."""
    ids = seed(ctx)
    spec = client.get("/api/v1/openapi.json").json
    return {"h": people, "ids": ids, "spec": spec}


def results_count(ctx: Any) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count(Result.id)))
