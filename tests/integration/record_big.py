"""A record big enough for an import that runs for many seconds: one programme's first-year
curriculum (16 disciplines), `students` second-year students inserted in batches, and their
first-year transcript as one CSV (16 rows a student)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import insert, select

from server.auth import Actor
from server.domain.iin import make_iin
from server.models import Faculty, Student
from server.services.record import imports
from tests.integration.record_data import ADMISSION, FIRST_YEAR, HEADER

PROGRAMME = "6B06199"
PER_TERM = 8
TRANSCRIPT_HEADER = "iin,discipline_code,academic_year,term,attempt,points"


def _iin(i: int) -> str:
    """A valid ИИН of its own for student number `i` (birth date and serial from the number)."""
    birth = date(2000 + i % 7, 1 + i % 12, 1 + (i // 84) % 28)
    return make_iin(birth, "MF"[i % 2], 3000 + 10 * (i // (84 * 28)))  # a serial skipped: +1


def seed_big(ctx: Any, students: int) -> bytes:
    """The curriculum and the students written; the transcript CSV returned (not imported)."""
    plan = [HEADER] + [f"{PROGRAMME},{ADMISSION},B{k:02d},Дисциплина {k},{k}-пән,Discipline {k},5,exam,"
                       f"{k // PER_TERM + 1},compulsory" for k in range(2 * PER_TERM)]
    report = imports.import_curricula(ctx, Actor.system(), "plan.csv", ("\n".join(plan) + "\n").encode(),
                                      dry_run=False)
    assert not report.refused, report.refused[:3]
    with ctx.db.read() as session:
        faculty_id = session.scalar(select(Faculty.id).where(Faculty.code == "IT"))
    people = [{"iin": _iin(i), "last_name": f"Студент{i}", "first_name": "Имя", "faculty_id": faculty_id,
               "programme_code": PROGRAMME, "programme_name": "Программа", "year": 2,
               "group": f"ПР-{i % 20}", "level": "bachelor", "form": "full_time", "language": "ru",
               "funding": "grant", "citizenship": "KAZ", "status": "active"} for i in range(students)]
    with ctx.db.unit_of_work() as session:
        for start in range(0, len(people), 2000):
            session.execute(insert(Student), people[start:start + 2000])
    lines = [TRANSCRIPT_HEADER] + [
        f"{p['iin']},B{k:02d},{FIRST_YEAR},{k // PER_TERM + 1},1,{60 + (i + k) % 40}"
        for i, p in enumerate(people) for k in range(2 * PER_TERM)]
    return ("\n".join(lines) + "\n").encode()
