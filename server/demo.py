"""Demo data: faculties, users for every role, students, and cases in different states.

Idempotent: running it again on the same database adds nothing twice.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select

from server.auth import Actor
from server.domain.iin import make_iin
from server.models import Case, Faculty, Student, User
from server.services import cases, tasks
from server.services.context import AppContext
from server.services.errors import DomainError
from server.services.users import NewUser, create_user

DEMO_PASSWORD = "demo12345"
FACULTIES = [
    ("IT", "Факультет информационных технологий", "Ақпараттық технологиялар факультеті"),
    ("ECON", "Факультет экономики и бизнеса", "Экономика және бизнес факультеті"),
    ("PED", "Педагогический факультет", "Педагогикалық факультет"),
]
USERS = [
    ("admin", "Администратор системы", ("admin",), None),
    ("registrar", "Алиева Динара Маратовна", ("registrar",), None),
    ("registrar2", "Ким Сергей Викторович", ("registrar",), None),
    ("head", "Жуматова Гульнара Ериковна", ("registrar_head",), None),
    ("dean_it", "Сейткали Нурлан Болатович", ("dean",), "IT"),
    ("dean_econ", "Петрова Ольга Николаевна", ("dean",), "ECON"),
    ("vicerector", "Абенов Ерлан Сабитович", ("vice_rector",), None),
    ("rector", "Тулегенов Аскар Муратович", ("rector",), None),
    ("intl", "Смагулова Айжан Кайратовна", ("international",), None),
    ("accountant", "Иванова Марина Петровна", ("accountant",), None),
]
STUDENTS = [
    ("Нурланов", "Арман", "Серикович", "IT", "6B06101", "Информационные системы", 2, "M"),
    ("Иванов", "Пётр", "Сергеевич", "IT", "6B06102", "Программная инженерия", 3, "M"),
    ("Ахметова", "Айгерим", "Бекболатовна", "IT", "6B06101", "Информационные системы", 1, "F"),
    ("Ли", "Виктория", "Андреевна", "ECON", "6B04101", "Экономика", 2, "F"),
    ("Омаров", "Данияр", None, "ECON", "6B04102", "Финансы", 4, "M"),
    ("Сидорова", "Елена", "Павловна", "PED", "6B01501", "Математика", 2, "F"),
    ("Жаксылыков", "Тимур", "Ерланович", "PED", "6B01502", "Физика", 3, "M"),
    ("Kim", "Min-jun", None, "IT", "6B06102", "Программная инженерия", 1, "M"),
]


def seed(ctx: AppContext) -> dict[str, Any]:
    """Create demo data if the database has none. Returns what was created."""
    with ctx.db.read() as session:
        if session.scalar(select(func.count()).select_from(User)):
            return {"created": False}
    with ctx.db.unit_of_work() as session:
        for code, ru, kk in FACULTIES:
            session.add(Faculty(code=code, name_ru=ru, name_kk=kk))
    for username, name, roles, faculty in USERS:
        create_user(ctx, NewUser(username, name, roles, DEMO_PASSWORD, faculty,
                                 f"{username}@university.example"))
    with ctx.db.unit_of_work() as session:
        faculties = {f.code: f.id for f in session.scalars(select(Faculty))}
        for i, (last, first, middle, fac, code, prog, year, sex) in enumerate(STUDENTS):
            born = date(2003 + (i % 4), 1 + i, 10 + i)
            session.add(Student(
                iin=make_iin(born, sex, 1000 + i * 7), last_name=last, first_name=first,
                middle_name=middle, faculty_id=faculties[fac], programme_code=code,
                programme_name=prog, year=year, group=f"{code[-3:]}-{year}1", sex=sex,
                citizenship="KOR" if last == "Kim" else "KAZ",
                latin_name=f"{last} {first}" if last == "Kim" else None,
            ))
    return {"created": True, "cases": _demo_cases(ctx)}


def _demo_cases(ctx: AppContext) -> list[int]:
    """A few cases of every deployed procedure, advanced to different steps."""
    from server.services.deployments import list_definitions

    registrar = _actor(ctx, "registrar")
    created: list[int] = []
    with ctx.db.read() as session:
        students = list(session.scalars(select(Student).order_by(Student.id)))
    for definition in list_definitions(ctx):
        if definition.kind != "bpmn" or definition.process_id not in DEMO_STARTS:
            continue
        for n, student in enumerate(students[:3]):
            try:
                case_id = cases.start_case(ctx, registrar, cases.StartRequest(
                    process_id=definition.process_id, student_id=student.id,
                    channel=("direct", "egov", "state_corporation")[n % 3],
                    data=DEMO_STARTS[definition.process_id](student)))
            except DomainError:
                continue
            created.append(case_id)
            _advance(ctx, case_id, steps=n)
    return created


def _applicant(student: Student) -> dict[str, Any]:
    return {"applicant": {
        "iin": student.iin, "last_name": student.last_name, "first_name": student.first_name,
        "middle_name": student.middle_name or "", "full_name": student.full_name,
        "sending_university": "Карагандинский университет им. Е. А. Букетова",
        "programme_code": student.programme_code, "programme_name": student.programme_name,
        "year": student.year, "level": "bachelor", "form": "full_time", "language": "ru",
        "funding": "paid", "faculty_code": student.faculty.code}}


DEMO_STARTS = {"transfer_in": _applicant}


def _advance(ctx: AppContext, case_id: int, steps: int) -> None:
    """Complete the first open tasks of a demo case with the form's example data."""
    from server.services.form_samples import answer_for

    for _ in range(steps):
        with ctx.db.read() as session:
            case = session.get(Case, case_id)
            open_tasks = cases.get_case(ctx, Actor.system(), case.id, with_data=False).open_tasks
        if not open_tasks:
            return
        task = open_tasks[0]
        try:
            tasks.complete_task(ctx, Actor.system(), task.id, answer_for(ctx, task.form_key))
        except DomainError:
            return


def _actor(ctx: AppContext, username: str) -> Actor:
    with ctx.db.read() as session:
        user = session.scalar(select(User).where(User.username == username))
        return Actor(user.id, user.username, user.role_codes, user.faculty_id, user.full_name)
