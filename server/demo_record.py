"""The demo's academic record: a curriculum's first four semesters and the results of two demo
students (Иванов, 3rd year: four semesters; Нурланов, 2nd year: two semesters; each with an
FX retaken and passed — a debt would keep Нурланов out of the demo's promotion order),
entered through the record's own imports, so the student page, the standings and the
transcript show real content."""

from __future__ import annotations

import contextlib
from datetime import date

from sqlalchemy import select

from server.auth import Actor
from server.models import Student
from server.services.context import AppContext
from server.services.errors import DomainError
from server.services.record import imports
from server.services.record.access import academic_year_start

# The academic record of two demo students (a curriculum's first four semesters, 6 disciplines
# each): code -> (ru, kk, en, ECTS credits, semester).
DISCIPLINES = {
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
RECORD_STUDENTS = {"Иванов": ("6B06102", 4, {"PRS2303": (42, 71)}),
                   "Нурланов": ("6B06101", 2, {"DM1205": (45, 68)})}


def _points(code: str, student: str) -> int:
    """A stable mark of 60-100 per discipline and student (the demo needs no randomness)."""
    return 60 + sum(map(ord, code + student)) % 41


def seed_record(ctx: AppContext) -> None:
    """The curricula and the results of RECORD_STUDENTS, through the record's own imports."""
    with ctx.db.read() as session:
        people = {s.last_name: s for s in session.scalars(select(Student))}
    this_year = academic_year_start(date.today())
    plan = ["programme_code,admission_year,discipline_code,name_ru,name_kk,name_en,credits,control_form,"
            "semester,kind"]
    rows = ["iin;discipline_code;academic_year;term;attempt;points"]
    for last_name, (programme, terms, attempts) in RECORD_STUDENTS.items():
        student = people[last_name]
        admission = this_year - (student.year - 1)
        for code, (ru, kk, en, credits, term) in DISCIPLINES.items():
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
