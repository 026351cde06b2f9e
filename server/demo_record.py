"""The demo's academic record, entered through the record's own imports and grade sheets so the
student page, the standings, the transcript and the sheets' pages show real content.

- `seed_results` (before the demo's cases: a transcript case needs results): a curriculum's first
  four semesters and the results of two demo students (Иванов, 3rd year: four semesters;
  Нурланов, 2nd year: two semesters; each with an FX retaken and passed — a debt would keep
  Нурланов out of the demo's promotion order).
- `seed_sheets` (after the cases): the curriculum of a 2nd-year Information Systems group (named by
  its admission year, e.g. ИС-25-1) and its five students, with grade sheets in each status — two
  locked (their results in the record), one checked, one draft being filled in."""

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

# The academic record of two demo students (a curriculum's first four semesters, 6 disciplines
# each): code -> (ru, kk, en, ECTS credits, semester).
RESULT_DISCIPLINES = {
    "HIS1101": ("История Казахстана", "Қазақстан тарихы", "History of Kazakhstan", 5, 1),
    "LAN1102": ("Казахский (русский) язык", "Қазақ (орыс) тілі", "Kazakh (Russian) Language", 5, 1),
    "ENG1103": ("Иностранный язык", "Шетел тілі", "Foreign Language", 5, 1),
    "MAT1104": ("Математический анализ", "Математикалық талдау", "Calculus", 5, 1),
    "PRG1105": ("Введение в программирование", "Бағдарламалауға кіріспе", "Introduction to Programming",
                5, 1),
    "PE1106": ("Физическая культура", "Дене шынықтыру", "Physical Education", 2, 1),
    "PHL1201": ("Философия", "Философия", "Philosophy", 5, 2),
    "ICT1202": ("Информационно-коммуникационные технологии (на английском языке)",
                "Ақпараттық-коммуникациялық технологиялар (ағылшын тілінде)",
                "Information and Communication Technologies (in English)", 5, 2),
    "LAL1203": ("Линейная алгебра", "Сызықтық алгебра", "Linear Algebra", 5, 2),
    "ADS1204": ("Алгоритмы и структуры данных", "Алгоритмдер және деректер құрылымы",
                "Algorithms and Data Structures", 5, 2),
    "DM1205": ("Дискретная математика", "Дискретті математика", "Discrete Mathematics", 5, 2),
    "SPK1206": ("Модуль социально-политических знаний (социология, политология)",
                "Әлеуметтік-саяси білім модулі (әлеуметтану, саясаттану)",
                "Module of Social and Political Knowledge (Sociology, Political Science)", 5, 2),
    "OOP2301": ("Объектно-ориентированное программирование", "Объектіге бағытталған бағдарламалау",
                "Object-Oriented Programming", 5, 3),
    "DB2302": ("Базы данных", "Дерекқорлар", "Databases", 5, 3),
    "PRS2303": ("Теория вероятностей и математическая статистика",
                "Ықтималдықтар теориясы және математикалық статистика",
                "Probability Theory and Mathematical Statistics", 5, 3),
    "NET2304": ("Компьютерные сети", "Компьютерлік желілер", "Computer Networks", 5, 3),
    "POL2305": ("Профессионально-ориентированный иностранный язык", "Кәсіби бағдарланған шетел тілі",
                "Professionally Oriented Foreign Language", 5, 3),
    "OS2306": ("Операционные системы", "Операциялық жүйелер", "Operating Systems", 5, 3),
    "WEB2401": ("Веб-технологии", "Веб-технологиялар", "Web Technologies", 5, 4),
    "SE2402": ("Программная инженерия", "Бағдарламалық инженерия", "Software Engineering", 5, 4),
    "DBA2403": ("Проектирование и администрирование баз данных", "Дерекқорларды жобалау және әкімшілендіру",
                "Database Design and Administration", 5, 4),
    "CSA2404": ("Архитектура компьютерных систем", "Компьютерлік жүйелер архитектурасы",
                "Computer Systems Architecture", 5, 4),
    "PRA2405": ("Учебная практика", "Оқу практикасы", "Educational Practice", 5, 4),
    "ECO2406": ("Экология и безопасность жизнедеятельности", "Экология және тіршілік қауіпсіздігі",
                "Ecology and Life Safety", 5, 4),
}
# student's last name -> (programme, semesters studied, {code: points of each attempt})
RESULT_STUDENTS = {"Иванов": ("6B06102", 4, {"PRS2303": (42, 71)}),
                   "Нурланов": ("6B06101", 2, {"DM1205": (45, 68)})}


def _points(code: str, student: str) -> int:
    """A stable mark of 60-100 per discipline and student (the demo needs no randomness)."""
    return 60 + sum(map(ord, code + student)) % 41


def seed_results(ctx: AppContext) -> None:
    """The curricula and the results of RESULT_STUDENTS, through the record's own imports."""
    with ctx.db.read() as session:
        people = {s.last_name: s for s in session.scalars(select(Student))}
    this_year = academic_year_start(date.today())
    plan = ["programme_code,admission_year,discipline_code,name_ru,name_kk,name_en,credits,control_form,"
            "semester,kind"]
    rows = ["iin;discipline_code;academic_year;term;attempt;points"]
    for last_name, (programme, terms, attempts) in RESULT_STUDENTS.items():
        student = people[last_name]
        admission = this_year - (student.year - 1)
        for code, (ru, kk, en, credits, term) in RESULT_DISCIPLINES.items():
            plan.append(f'{programme},{admission},{code},"{ru}","{kk}","{en}",{credits},exam,{term},compulsory')
            year = admission + (term - 1) // 2
            for n, points in enumerate(attempts.get(code, (_points(code, last_name),)), start=1):
                if term <= terms:
                    rows.append(f"{student.iin};{code};{year}-{year + 1};{term};{n};{points}")
    with contextlib.suppress(DomainError):
        imports.import_curricula(ctx, Actor.system(), "plan.csv", "\n".join(plan).encode(),
                                        dry_run=False)
        imports.import_transcripts(ctx, Actor.system(), "results.csv", "\n".join(rows).encode(),
                                          dry_run=False)


PROGRAMME = ("6B06101", "Информационные системы")
CLASSMATES = [
    ("Жаканова", "Аружан", "Серикқызы", "F"),
    ("Абдуллаева", "Мадина", "Ерлановна", "F"),
    ("Сапаров", "Бауыржан", "Маратович", "M"),
    ("Тохтарова", "Жанна", "Кайратовна", "F"),
    ("Есенов", "Алмас", None, "M"),
]
# code, ru, kk, en, credits, control form, semester
SHEET_DISCIPLINES = [
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


def seed_sheets(ctx: AppContext, registrar: Actor) -> list[int]:
    """The group's record and sheets; the sheets' ids. A step the data refuses is skipped."""
    admission = academic_year_start(ctx.local_today()) - 1
    group_name = f"ИС-{admission % 100:02d}-1"
    _add_classmates(ctx, group_name)
    plan = [HEADER] + [f"{PROGRAMME[0]},{admission},{code},{ru},{kk},{en},{credits},{form},{term},compulsory"
                       for code, ru, kk, en, credits, form, term in SHEET_DISCIPLINES]
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
