"""Demo academic record: the curriculum of a 2nd-year Information Systems group (named by its
admission year, e.g. ИС-25-1) and its five students, with grade sheets in each status — two
locked (their results in the record), one checked, one draft being filled in — so the sheets'
pages and the student page show real content. Called by server/demo.py once its students exist."""

from __future__ import annotations

import contextlib
from datetime import date

from sqlalchemy import select

from server.auth import Actor
from server.domain.iin import make_iin
from server.models import Faculty, Student
from server.services.context import AppContext
from server.services.errors import DomainError
from server.services.record import imports, sheets
from server.services.record.access import academic_year_start

PROGRAMME = ("6B06101", "Информационные системы")
CLASSMATES = [
    ("Жаканова", "Аружан", "Серикқызы", "F"),
    ("Абдуллаева", "Мадина", "Ерлановна", "F"),
    ("Сапаров", "Бауыржан", "Маратович", "M"),
    ("Тохтарова", "Жанна", "Кайратовна", "F"),
    ("Есенов", "Алмас", None, "M"),
]
# code, ru, kk, en, credits, control form, semester
DISCIPLINES = [
    ("INF111", "Введение в информационные системы", "Ақпараттық жүйелерге кіріспе",
     "Introduction to Information Systems", 5, "exam", 1),
    ("MAT112", "Дискретная математика", "Дискретті математика", "Discrete Mathematics", 5, "exam", 1),
    ("PRG121", "Программирование на Python", "Python тілінде бағдарламалау", "Programming in Python", 6,
     "exam", 2),
    ("DBS231", "Базы данных", "Деректер қорлары", "Databases", 5, "exam", 3),
]
# (discipline, term, year offset from admission, points by student in name order, how far it goes)
SHEETS = [
    ("INF111", 1, 0, [92, 78, 85, 66, 71], "locked"),
    ("MAT112", 1, 0, [88, 64, 40, 73, 95], "locked"),
    ("PRG121", 2, 0, [81, 90, 57, 76, 68], "checked"),
    ("DBS231", 3, 1, [74, 83, 91, None, None], "draft"),
]
HEADER = ("programme_code,admission_year,discipline_code,name_ru,name_kk,name_en,credits,control_form,"
          "semester,kind")


def seed_record(ctx: AppContext, registrar: Actor) -> list[int]:
    """The group's record and sheets; the sheets' ids. A step the data refuses is skipped."""
    admission = academic_year_start(ctx.local_today()) - 1
    group_name = f"ИС-{admission % 100:02d}-1"
    _add_classmates(ctx, group_name)
    plan = [HEADER] + [f"{PROGRAMME[0]},{admission},{code},{ru},{kk},{en},{credits},{form},{term},compulsory"
                       for code, ru, kk, en, credits, form, term in DISCIPLINES]
    content = ("\n".join(plan) + "\n").encode()
    imports.import_curricula(ctx, Actor.system(), "plan.csv", content, dry_run=False)
    with ctx.db.read() as session:
        group = list(session.scalars(select(Student).where(Student.group == group_name).order_by(
            Student.last_name, Student.first_name)))
    created: list[int] = []
    for code, term, offset, points, status in SHEETS:
        year = f"{admission + offset}-{admission + offset + 1}"
        with contextlib.suppress(DomainError):
            sheet_id = sheets.create_sheet(ctx, registrar, group_name, code, year, term)
            created.append(sheet_id)
            lines = [{"student_id": s.id, "points": p}
                     for s, p in zip(group, points, strict=False) if p is not None]
            sheets.enter_lines(ctx, registrar, sheet_id, lines)
            if status in ("checked", "locked"):
                sheets.check_sheet(ctx, registrar, sheet_id)
            if status == "locked":
                sheets.lock_sheet(ctx, registrar, sheet_id)
    return created


def _add_classmates(ctx: AppContext, group: str) -> None:
    with ctx.db.unit_of_work() as session:
        faculty_id = session.scalar(select(Faculty.id).where(Faculty.code == "IT"))
        for i, (last, first, middle, sex) in enumerate(CLASSMATES):
            session.add(Student(
                iin=make_iin(date(2005, 2 + i, 3 + i * 5), sex, 4100 + i * 3), last_name=last,
                first_name=first, middle_name=middle, faculty_id=faculty_id, programme_code=PROGRAMME[0],
                programme_name=PROGRAMME[1], year=2, group=group, sex=sex, citizenship="KAZ"))
