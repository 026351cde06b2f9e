"""Demo data: faculties, users for every role, students, and cases in different states.

Idempotent: running it again on the same database adds nothing twice.
"""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

from sqlalchemy import func, select

from server.auth import Actor
from server.demo_record import seed_results, seed_sheets
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.models import Faculty, Student, User
from server.services.cases import lifecycle as cases
from server.services.context import AppContext
from server.services.errors import DomainError
from server.services.people.users import NewUser, create_user
from server.services.procedures.deployments import list_definitions
from server.services.students.contingent import ContingentList, start_contingent_order
from server.services.students.names import record_programme
from server.services.tasks import human_tasks as tasks
from server.services.tasks.form_samples import answer_for

DEMO_PASSWORD = "demo12345"
FACULTIES = [
    ("IT", "Факультет информационных технологий", "Ақпараттық технологиялар факультеті",
     "Faculty of Information Technology"),
    ("ECON", "Факультет экономики и бизнеса", "Экономика және бизнес факультеті",
     "Faculty of Economics and Business"),
    ("PED", "Педагогический факультет", "Педагогикалық факультет", "Faculty of Education"),
]
# code -> the programme's name in Russian, Kazakh and English (what the documents print)
PROGRAMMES = {
    "6B06101": ("Информационные системы", "Ақпараттық жүйелер", "Information Systems"),
    "6B06102": ("Программная инженерия", "Бағдарламалық инженерия", "Software Engineering"),
    "6B04101": ("Экономика", "Экономика", "Economics"),
    "6B04102": ("Финансы", "Қаржы", "Finance"),
    "6B01501": ("Математика", "Математика", "Mathematics"),
    "6B01502": ("Физика", "Физика", "Physics"),
    "6B01101": ("Педагогика и психология", "Педагогика және психология", "Pedagogy and Psychology"),
}
SENDING_UNIVERSITY = ("Карагандинский университет им. Е. А. Букетова",
                      "Е. А. Бөкетов атындағы Қарағанды университеті")
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
    ("lawyer", "Ахметов Серик Даулетович", ("lawyer",), None),
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
    ("Бекмуханов", "Нуржан", "Ерланович", "ECON", "6B04101", "Экономика", 3, "M"),
]
# Demo students the signed orders have already taken out of the contingent: the certificate
# for those who did not complete studies is theirs (config/catalog.yaml, cert_incomplete).
LEFT = {"Бекмуханов": "expelled"}


def seed(ctx: AppContext) -> dict[str, Any]:
    """Create demo data if the database has none. Returns what was created."""
    with ctx.db.read() as session:
        if session.scalar(select(func.count()).select_from(User)):
            return {"created": False}
    with ctx.db.unit_of_work() as session:
        for code, ru, kk, en in FACULTIES:
            session.add(Faculty(code=code, name_ru=ru, name_kk=kk, name_en=en))
        for code, (ru, kk, en) in PROGRAMMES.items():
            record_programme(session, code, ru, kk, en)
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
                citizenship="KOR" if last == "Kim" else "KAZ", status=LEFT.get(last, "active"),
                latin_name=f"{last} {first}" if last == "Kim" else None,
            ))
    seed_results(ctx)
    created = _demo_cases(ctx) + _certificate_demo_cases(ctx) + _demo_student_cases(ctx) \
        + _remaining_procedure_cases(ctx) + _transcript_cases(ctx)
    return {"created": True, "cases": created, "sheets": seed_sheets(ctx, _actor(ctx, "registrar"))}


APPLICANTS = [
    ("Жумабеков", "Ерасыл", "Нурланович", "IT", "6B06102", "Программная инженерия", 2),
    ("Смирнова", "Анна", "Игоревна", "IT", "6B06101", "Информационные системы", 2),
    ("Касымова", "Дана", "Маратовна", "ECON", "6B04101", "Экономика", 3),
    ("Ли", "Артём", "Сергеевич", "ECON", "6B04102", "Финансы", 2),
    ("Байжанов", "Алибек", None, "IT", "6B06102", "Программная инженерия", 3),
]
# Demo scenarios of transfer_in: how far each case goes, and the answers that differ from
# the forms' positive examples.
INCOMPLETE = {"doc_application": True, "doc_sending_consent": True, "doc_transcript": False,
              "doc_unt_certificate": True, "doc_identity": True, "documents_complete": False,
              "missing_documents": "Транскрипт, заверенный вузом-отправителем"}
SCENARIOS: list[tuple[int, dict[str, dict[str, Any]]]] = [
    (0, {}),                                                  # just registered
    (1, {}),                                                  # with the dean
    (1, {"check_documents": INCOMPLETE}),                     # returned for correction
    (2, {"determine_difference": {"dean_decision": "reject",  # refused by the dean
                                  "dean_refusal_ground": "poor_grades_or_debts"}}),
    (99, {}),                                                 # order issued, completed
]


def _demo_cases(ctx: AppContext) -> list[int]:
    """transfer_in cases in different states (the other procedures come with their models)."""
    if not any(d.process_id == "transfer_in" for d in list_definitions(ctx)):
        return []
    registrar = _actor(ctx, "registrar")
    created: list[int] = []
    for n, (person, (steps, answers)) in enumerate(zip(APPLICANTS, SCENARIOS, strict=True)):
        try:
            case_id = cases.start_case(ctx, registrar, cases.StartRequest(
                process_id="transfer_in", channel=("direct", "egov", "state_corporation")[n % 3],
                data=_applicant(n, *person)))
        except DomainError:
            continue
        created.append(case_id)
        _advance(ctx, case_id, steps, answers)
    return created


def _applicant(n: int, last: str, first: str, middle: str | None, faculty: str, code: str,
               programme: str, year: int) -> dict[str, Any]:
    sex = "F" if (middle or "").endswith("вна") else "M"
    return {"applicant": {
        "iin": make_iin(date(2004, 1 + n, 5 + n), sex, 2000 + n * 11), "last_name": last,
        "first_name": first, "middle_name": middle or "",
        "full_name": " ".join(p for p in (last, first, middle) if p),
        "sending_university": SENDING_UNIVERSITY[0], "sending_university_kk": SENDING_UNIVERSITY[1],
        "programme_code": code, "programme_name": programme, "year": year, "level": "bachelor",
        "form": "full_time", "language": "ru", "funding": "paid", "faculty_code": faculty}}


def _advance(ctx: AppContext, case_id: int, steps: int, answers: dict[str, dict[str, Any]]) -> None:
    """Complete a demo case's open tasks (the forms' examples unless `answers` say otherwise),
    running background work (the order) in between."""
    for _ in range(steps):
        view = cases.get_case(ctx, Actor.system(), case_id, with_data=False)
        if not view.open_tasks:
            if view.case.status not in ("in_progress", "returned") or not drain(ctx):
                return
            view = cases.get_case(ctx, Actor.system(), case_id, with_data=False)
            if not view.open_tasks:
                return
        task = view.open_tasks[0]
        data = answers.get(task.spec_name) or answer_for(ctx, task.form_key)
        try:
            tasks.complete_task(ctx, Actor.system(), task.id, data)
        except DomainError:
            return


def _actor(ctx: AppContext, username: str) -> Actor:
    with ctx.db.read() as session:
        user = session.scalar(select(User).where(User.username == username))
        return Actor(user.id, user.username, user.role_codes, user.faculty_id, user.full_name)


# One case of each of procedures 6, 7, 8 and 14: (process, student's last name or None for a
# graduate's application, data, steps to advance with the forms' examples)
CERTIFICATE_DEMOS: list[tuple[str, str | None, dict[str, Any], int]] = [
    ("cert_incomplete", "Бекмуханов", {"reason": "expulsion", "purpose": "по месту требования"}, 1),
    ("duplicate", None, {"applicant": {
        "iin": make_iin(date(1998, 2, 14), "F", 3100), "last_name": "Абдрахманова",
        "first_name": "Сауле", "middle_name": "Каировна", "sex": "F", "programme_code": "6B04101",
        "programme_name": "Экономика", "programme_name_kk": "Экономика", "level": "bachelor",
        "graduation_year": 2019,
        "document_type": "diploma", "trigger": "loss"}}, 0),
    ("recognition", "Kim", {}, 1),  # documents recorded: waiting for ENIC (see _RECOGNITION)
    ("military", "Нурланов", {"request": "certificate"}, 0),
]


def _certificate_demo_cases(ctx: AppContext) -> list[int]:

    deployed = {d.process_id for d in list_definitions(ctx)}
    registrar = _actor(ctx, "registrar")
    created: list[int] = []
    for process_id, last_name, data, steps in CERTIFICATE_DEMOS:
        if process_id not in deployed:
            continue
        student_id = None
        if last_name:
            with ctx.db.read() as session:
                student_id = session.scalar(select(Student.id).where(Student.last_name == last_name))
        try:
            case_id = cases.start_case(ctx, registrar, cases.StartRequest(
                process_id=process_id, student_id=student_id, data=data))
        except DomainError:
            continue
        created.append(case_id)
        _advance(ctx, case_id, steps, {"record_documents": _recognition_documents()})
    return created


def _recognition_documents() -> dict[str, Any]:
    """A complete set submitted to ENIC, due at the end of the student's first year."""
    from datetime import timedelta

    today = date.today()
    return {"document_country": "Республика Корея", "document_name": "Аттестат о среднем образовании",
            "doc_legalised": True, "doc_translation": True, "doc_identity": True, "fee_paid": True,
            "documents_complete": True, "enic_submitted_date": today.isoformat(),
            "recognition_due": (today + timedelta(days=240)).isoformat()}


def _demo_student_cases(ctx: AppContext) -> list[int]:
    """One open case each of expulsion (with the dean), foreign_registration (the notice of
    Kim's arrival) and vacant_grant (applications being received)."""
    from datetime import timedelta


    deployed = {d.process_id for d in list_definitions(ctx)}
    registrar = _actor(ctx, "registrar")
    today = date.today()
    with ctx.db.read() as session:
        ids = {s.last_name: s.id for s in session.scalars(select(Student))}
    requests = [
        cases.StartRequest("expulsion", student_id=ids.get("Омаров")),
        cases.StartRequest("foreign_registration", student_id=ids.get("Kim"),
                           data={"registration_kind": "arrival", "arrival_date": today.isoformat()}),
        cases.StartRequest("vacant_grant", data={
            "programme_group_code": "B057", "programme_group_name": "Информационные технологии",
            "programme_group_name_kk": "Ақпараттық технологиялар",
            "grant_count": 1, "vacancy_reason": "отчисление обладателя гранта",
            "application_deadline": (today + timedelta(days=14)).isoformat()}),
    ]
    created = _start_all(ctx, registrar, requests, deployed)
    return created


def _remaining_procedure_cases(ctx: AppContext) -> list[int]:
    """One open case of each procedure not shown above, so every procedure has one in
    progress: a certificate, academic leave, reinstatement, transfers out and within the
    university, academic mobility, and a course-promotion order for a list of students."""
    from datetime import timedelta


    deployed = {d.process_id for d in list_definitions(ctx)}
    registrar = _actor(ctx, "registrar")
    today = date.today()
    with ctx.db.read() as session:
        students = {s.last_name: s for s in session.scalars(select(Student))}
    leave_start = today + timedelta(days=14)
    requests = [
        cases.StartRequest("cert_study", student_id=students["Иванов"].id,
                           data={"purpose": "по месту требования"}),
        cases.StartRequest("academic_leave", student_id=students["Ахметова"].id, channel="egov",
                           data={"leave_ground": "medical", "leave_start": leave_start.isoformat(),
                                 "leave_end": (leave_start + timedelta(days=240)).isoformat()}),
        cases.StartRequest("transfer_out", student_id=students["Ли"].id),
        # PED has no dean in the demo (the admin page warns): its students' cases with a dean's
        # step are refused at registration, so these go to students of faculties with one
        cases.StartRequest("transfer_internal", student_id=students["Байжанов"].id),
        cases.StartRequest("mobility", student_id=students["Нурланов"].id),
        cases.StartRequest("reinstatement", channel="state_corporation", data={"applicant": {
            "iin": make_iin(date(2002, 11, 5), "F", 2468), "last_name": "Абдрахманова",
            "first_name": "Камила", "middle_name": "Ержановна", "programme_code": "6B04101",
            "programme_name": "Экономика", "year": 3, "level": "bachelor", "form": "full_time",
            "language": "ru", "funding": "paid", "faculty_code": "ECON",
            "expelled_order_number": "112-у", "expelled_date": "2025-02-03",
            "first_period_completed": True}}),
    ]
    created = _start_all(ctx, registrar, requests, deployed)
    if "contingent_order" in deployed:
        rows = ["iin,last_name,first_name,faculty_code,programme_code,programme_name,year"] + [
            f"{st.iin},{st.last_name},{st.first_name},IT,{st.programme_code},{st.programme_name},{st.year}"
            for st in students.values() if st.faculty_id == students["Нурланов"].faculty_id]
        with contextlib.suppress(DomainError):
            created.append(start_contingent_order(ctx, registrar, ContingentList(
                "promotion", date(today.year, 9, 1), "perevod_IT.csv", "\n".join(rows).encode())))
    return created


def _start_all(ctx: AppContext, actor: Actor, requests: list[cases.StartRequest],
               deployed: set[str]) -> list[int]:
    """Start the demo cases of the deployed procedures (a demo never stops on one)."""
    created = []
    for req in requests:
        if req.process_id in deployed:
            with contextlib.suppress(DomainError):
                created.append(cases.start_case(ctx, actor, req))
    return created



def _transcript_cases(ctx: AppContext) -> list[int]:
    """Transcripts on request: Иванов's in three languages, checked and issued for signing;
    Нурланов's in Russian, waiting for the check."""
    deployed = {d.process_id for d in list_definitions(ctx)}
    if "transcript" not in deployed:
        return []
    with ctx.db.read() as session:
        ids = {s.last_name: s.id for s in session.scalars(select(Student))}
    created = _start_all(ctx, _actor(ctx, "registrar"), [
        cases.StartRequest("transcript", student_id=ids["Иванов"],
                           data={"transcript_languages": "ru_kk_en", "copies": 1,
                                 "purpose": "в зарубежный университет"}),
        cases.StartRequest("transcript", student_id=ids["Нурланов"],
                           data={"transcript_languages": "ru_only", "copies": 2})], deployed)
    if created:  # checked: the transcript is drawn and waits to be signed and issued
        _advance(ctx, created[0], 1, {"check_application": {"record_checked": True, "decision": "approve"}})
        drain(ctx)
    return created
