"""The transcript on request (`transcript`) end to end through the API: the application with
its languages, the registrar's check (issue, return for correction, refuse with a ground), the
record as of the day of issue taken into the case and printed in Russian, Kazakh and English
with the register number and the QR verification, signing and issuing, the escalation timers,
and the refusal at registration of a student with no results in the record."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import docx
import pytest
import time_machine
from sqlalchemy import func, select

from server.auth import Actor
from server.db import utcnow
from server.domain.grading import load_scale
from server.domain.labels import decimal_text
from server.jobs.inprocess import drain
from server.models import Case, Discipline, OutboxJob, Result, Student
from server.services.background.jobs import fire_due_timers
from server.services.background.notifications import compose
from server.services.cases import lifecycle
from server.services.procedures import deployments
from server.services.record.queries import record_of
from server.services.record.transcripts import transcript_data
from server.services.students.names import record_programme
from tests.integration.api import (
    add_student,
    assert_refused,
    case_view,
    complete,
    history_kinds,
    spec_names,
)
from tests.integration.record_data import seed
from tests.integration.web import Staff

APPROVE = {"record_checked": True, "decision": "approve"}
ISSUED = {"issued_to": "in_person"}


@pytest.fixture
def env(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    ids = seed(ctx)
    with ctx.db.unit_of_work() as session:
        record_programme(session, "6B06102", "Программная инженерия", "Бағдарламалық инженерия",
                         "Software Engineering")
    return {"h": people, "ids": ids}


def _start(client, env, languages="ru_kk_en", student="a", status=201) -> dict:
    r = client.post("/api/v1/cases", headers=env["h"]["registrar"], json={
        "process_id": "transcript", "student_id": env["ids"].get(student, student),
        "data": {"transcript_languages": languages, "copies": 2, "purpose": "по месту требования"}})
    assert r.status_code == status, r.json
    return r.json


def _documents(client, env, cid: int) -> dict[str, tuple[str, list[list[str]]]]:
    """The case's files by language: (the paragraphs as one text, the table's rows — a merged
    cell once)."""
    found = {}
    for doc in case_view(client, env["h"], cid)["documents"]:
        r = client.get(f"/api/v1/documents/{doc['id']}", headers=env["h"]["registrar"])
        document = docx.Document(io.BytesIO(r.data))
        rows = []
        for row in document.tables[0].rows:
            cells = list(dict.fromkeys(c._tc for c in row.cells))
            rows.append(["\n".join(p.text for p in docx.table._Cell(tc, row).paragraphs) for tc in cells])
        found[doc["language"]] = ("\n".join(p.text for p in document.paragraphs), rows)
    return found


def _comma(value: float) -> str:
    return decimal_text(value, "ru")


def test_deadline_is_three_working_days(client, ctx, env):
    case = _start(client, env)
    received = datetime.fromisoformat(case["received_at"].replace("Z", "+00:00"))
    expected = ctx.calendar.deadline(received, 3, "working", "direct", ctx.tz)
    assert datetime.fromisoformat(case["deadline_at"].replace("Z", "+00:00")) == expected
    assert [t["spec_name"] for t in case["open_tasks"]] == ["check_application"]


def test_issued_in_three_languages_from_the_record(client, ctx, env):
    h = env["h"]
    cid = _start(client, env)["id"]
    # issuing needs the results checked against the grade sheets
    body = complete(client, h, "registrar", cid, "check_application", {"decision": "approve"}, status=422)
    assert "record_checked" in body["fields"]
    complete(client, h, "registrar", cid, "check_application", APPROVE)
    assert drain(ctx) >= 2  # the record's snapshot, then the documents
    view = case_view(client, h, cid)
    assert spec_names(view) == ["issue_transcript"]
    assert {d["number"] for d in view["documents"]} == {"1-с"}
    assert sorted(d["language"] for d in view["documents"]) == ["en", "kk", "ru"]

    # the case carries the record as of the day of issue, as the service reads it
    data = lifecycle.get_case(ctx, Actor.system(), cid).data
    grades = load_scale(ctx.settings.config_dir)
    with ctx.db.read() as session:
        student = session.get(Student, env["ids"]["a"])
        record = record_of(session, student, grades)
        assert data["transcript_record"] == transcript_data(session, student, grades)
    term_gpa = [t.standing.gpa for t in record.terms]
    assert (record.overall.gpa, term_gpa) == (2.32, [3.0, 1.63])

    docs = _documents(client, env, cid)
    ru, ru_cells = docs["ru"]
    assert "ТРАНСКРИПТ" in ru and "№ 1-с от" in ru and "Обучающийся: Ахметов Ерлан" in ru
    assert "Образовательная программа: 6B06102 Программная инженерия" in ru
    # one row per counting result, by term, with credits, points, letter and grade points
    year = record.terms[0].lines[0].academic_year.replace("-", "–")
    assert ru_cells == [
        ["№", "Код", "Дисциплина", "Кредиты ECTS", "Баллы", "Оценка", "Цифровой эквивалент"],
        [f"1 семестр, {year} учебный год"],
        ["1", "HIS101", "История Казахстана", "5", "66", "C", "2,00"],
        ["2", "MAT101", "Математический анализ", "5", "96", "A", "4,00"],
        ["Итого за семестр", "10", "GPA за семестр: 3,00\nНакопленный GPA: 3,00"],
        [f"2 семестр, {year} учебный год"],
        ["3", "ALG102", "Алгоритмы", "4", "86", "B+", "3,33"],
        ["4", "PHY102", "Физика", "6", "40", "FX", "0,50"],
        ["Итого за семестр", "10",
         f"GPA за семестр: {_comma(term_gpa[1])}\nНакопленный GPA: {_comma(record.overall.gpa)}"]]
    assert f"за весь период обучения: {_comma(record.overall.gpa)}." in ru
    assert "кредитов ECTS: 20, из них освоено: 14." in ru
    assert "Академическая задолженность: Физика (2 семестр, FX)." in ru
    assert "A\u00a0—\u00a095\u2060–\u2060100\u00a0(4,00)" in ru and "/verify/" in ru

    kk, kk_cells = docs["kk"]
    assert "Білім алушы: Ахметов Ерлан" in kk and "Бағдарламалық инженерия" in kk
    assert kk_cells[1] == [f"1-семестр, {year} оқу жылы"]
    assert kk_cells[3] == ["2", "MAT101", "Математикалық талдау", "5", "96", "A", "4,00"]
    assert kk_cells[8] == ["Семестр бойынша барлығы", "10", "Семестрдегі GPA: 1,63\nЖинақталған GPA: 2,32"]
    assert "Академиялық қарыз: Физика (2-семестр, FX)." in kk and "(GPA): 2,32." in kk

    en, en_cells = docs["en"]
    assert "TRANSCRIPT OF RECORDS" in en and "No. 1-с," in en
    assert "Student: Akhmetov Erlan" in en and "6B06102 Software Engineering" in en
    assert "Faculty: Faculty of Information Technology" in en
    assert en_cells[0] == ["No.", "Code", "Course", "ECTS credits", "Points", "Grade", "Grade points"]
    assert en_cells[2] == ["1", "HIS101", "History of Kazakhstan", "5", "66", "C", "2.00"]
    assert en_cells[8] == ["Semester total", "10", "Semester GPA: 1.63\nCumulative GPA: 2.32"]
    assert "for the whole period of study: 2.32." in en and "Academic debt: Physics (semester 2, FX)." in en

    # the QR link verifies: the kind, the number and the holder's initials
    url = next(line for line in ru.splitlines() if "/verify/" in line).split()[-1]
    html = client.get("/verify/" + url.rsplit("/", 1)[-1]).get_data(as_text=True)
    assert "Транскрипт" in html and "1-с" in html

    complete(client, h, "registrar", cid, "issue_transcript",
             {**ISSUED, "issued_date": utcnow().astimezone(ctx.tz).date().isoformat()})
    view = case_view(client, h, cid)
    assert view["status"] == "completed" and view["outcome"] == "issued"
    assert view["open_tasks"] == [] and view["timers"] == []
    kinds = history_kinds(view)
    assert kinds[0] == "case_started" and kinds[-1] == "case_completed"
    assert kinds.count("document_issued") == 1 and "escalated" not in kinds
    # the student is told, in Russian and Kazakh
    with ctx.db.unit_of_work() as session:
        session.get(Student, env["ids"]["a"]).email = "akhmetov@student.example"
    with ctx.db.read() as session:
        job = session.scalar(select(OutboxJob).where(OutboxJob.case_id == cid,
                                                     OutboxJob.kind == "notify/send"))
        body = compose(ctx, session, job).get_content()
    assert "Транскрипт № 1-с выдан." in body and "№ 1-с транскрипт берілді." in body


def test_only_the_languages_asked_for(client, ctx, env):
    h = env["h"]
    cid = _start(client, env, languages="en_only", student="b")["id"]
    complete(client, h, "registrar", cid, "check_application", APPROVE)
    drain(ctx)
    view = case_view(client, h, cid)
    assert [d["language"] for d in view["documents"]] == ["en"]
    en, rows = _documents(client, env, cid)["en"]
    # «A-» with a non-breaking hyphen: never split in its narrow cell
    assert rows[2] == ["1", "MAT101", "Calculus", "5", "91", "A\u2011", "3.67"]
    assert "Academic debt: none." in en and "Student: Serikova Aigerim" in en


def test_a_later_result_does_not_change_an_issued_transcript(client, ctx, env):
    """The snapshot is the record on the day of issue: a retake after it is not printed by the
    issued transcript, and a new request prints it."""
    from server.services.record import results

    h = env["h"]
    cid = _start(client, env, languages="ru_only")["id"]
    complete(client, h, "registrar", cid, "check_application", APPROVE)
    drain(ctx)
    before = _documents(client, env, cid)["ru"][0]
    with ctx.db.unit_of_work() as session:
        row = session.scalar(select(Result).join(Discipline, Discipline.id == Result.discipline_id)
                             .where(Result.student_id == env["ids"]["a"], Discipline.code == "PHY102"))
        # the FX retaken: a second attempt, 70 points
        grades = load_scale(ctx.settings.config_dir)
        results.append_attempt(session, grades, row.student_id, row.discipline_id, row.academic_year,
                               row.term, 70, recorded_by=None)
    assert _documents(client, env, cid)["ru"][0] == before
    complete(client, h, "registrar", cid, "issue_transcript",
             {**ISSUED, "issued_date": utcnow().astimezone(ctx.tz).date().isoformat()})
    again = _start(client, env, languages="ru_only")["id"]
    complete(client, h, "registrar", again, "check_application", APPROVE)
    drain(ctx)
    text, rows = _documents(client, env, again)["ru"]
    assert "Академическая задолженность: нет." in text
    assert ["4", "PHY102", "Физика", "6", "70", "C+", "2,33"] in rows
    assert "Академическая задолженность: Физика (2 семестр, FX)." in before


def test_refused_with_a_ground(client, ctx, env):
    h = env["h"]
    cid = _start(client, env)["id"]
    body = complete(client, h, "registrar", cid, "check_application", {"decision": "reject"}, status=422)
    assert "refusal_ground" in body["fields"]
    body = complete(client, h, "registrar", cid, "check_application",
                    {"decision": "reject", "refusal_ground": "other"}, status=422)
    assert "check_comment" in body["fields"]
    complete(client, h, "registrar", cid, "check_application",
             {"decision": "reject", "refusal_ground": "language_not_offered"})
    assert_refused(ctx, case_view(client, h, cid), "language_not_offered")


def test_returned_for_correction_and_resubmitted(client, ctx, env):
    h = env["h"]
    cid = _start(client, env, languages="ru_kk")["id"]
    body = complete(client, h, "registrar", cid, "check_application", {"decision": "return"}, status=422)
    assert "return_reason" in body["fields"]
    complete(client, h, "registrar", cid, "check_application",
             {"decision": "return",
              "return_reason": "Для зарубежного университета нужен транскрипт на английском"})
    view = case_view(client, h, cid)
    assert view["status"] == "returned" and spec_names(view) == ["resubmit_application"]
    body = complete(client, h, "registrar", cid, "resubmit_application",
                    {"transcript_languages": "de", "copies": 1, "resubmitted_date": "2026-01-10"}, status=422)
    assert "transcript_languages" in body["fields"]
    complete(client, h, "registrar", cid, "resubmit_application",
             {"transcript_languages": "ru_en", "copies": 1,
              "resubmitted_date": utcnow().astimezone(ctx.tz).date().isoformat()})
    view = case_view(client, h, cid)
    assert view["status"] == "in_progress" and spec_names(view) == ["check_application"]
    complete(client, h, "registrar", cid, "check_application", APPROVE)
    drain(ctx)
    view = case_view(client, h, cid)
    assert sorted(d["language"] for d in view["documents"]) == ["en", "ru"]


@pytest.mark.parametrize("step", ["check_application", "issue_transcript"])
def test_overdue_steps_escalate_once(client, ctx, env, step):
    h = env["h"]
    cid = _start(client, env, languages="ru_only")["id"]
    if step == "issue_transcript":
        complete(client, h, "registrar", cid, "check_application", APPROVE)
        drain(ctx)
    view = case_view(client, h, cid)
    assert spec_names(view) == [step] and len(view["timers"]) == 1
    due = datetime.fromisoformat(view["timers"][0]["due_at"])
    with time_machine.travel(due - timedelta(minutes=1), tick=False):
        assert fire_due_timers(ctx) == 0
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        assert fire_due_timers(ctx) == 1
        assert fire_due_timers(ctx) == 0
    view = case_view(client, h, cid)
    escalations = [e for e in view["history"] if e["kind"] == "escalated"]
    assert len(escalations) == 1 and escalations[0]["payload"]["to_role"] == "registrar_head"
    assert spec_names(view) == [step]


def test_a_student_with_no_results_is_refused_at_registration(app, client, ctx, env):
    from datetime import date

    from server.domain.iin import make_iin

    other = add_student(ctx, make_iin(date(2005, 9, 9), "M", 1299), last_name="Омаров")
    with ctx.db.read() as session:
        before = session.scalar(select(func.count(Case.id)))
    body = _start(client, env, student=other, status=422)
    assert "учёте учебных достижений нет" in body["fields"]["student_id"]
    # the registration page says it in the registrar's language
    page = Staff(app, "registrar", lang="kk").post("/app/cases/new", {
        "process": "transcript", "channel": "direct", "student_id": str(other),
        "app.transcript_languages": "ru_kk", "app.copies": "1"}, status=422).get_data(as_text=True)
    assert ("Транскриптке өтініш тіркелмеді: оқу жетістіктерінің есебінде білім алушының нәтижелері "
            "жоқ") in page
    with ctx.db.read() as session:
        assert session.scalar(select(func.count(Case.id))) == before


def test_a_wrong_application_is_refused_naming_its_fields(client, ctx, env):
    with ctx.db.read() as session:
        before = session.scalar(select(func.count(Case.id)))
    r = client.post("/api/v1/cases", headers=env["h"]["registrar"], json={
        "process_id": "transcript", "student_id": env["ids"]["a"],
        "data": {"transcript_languages": "de", "copies": 0}})
    assert r.status_code == 422, r.json
    assert set(r.json["fields"]) == {"data.transcript_languages", "data.copies"}
    with ctx.db.read() as session:
        assert session.scalar(select(func.count(Case.id))) == before
    # no language named: Russian and Kazakh, the form's default
    r = client.post("/api/v1/cases", headers=env["h"]["registrar"], json={
        "process_id": "transcript", "student_id": env["ids"]["a"], "data": {"copies": 1}})
    assert r.status_code == 201
    assert lifecycle.get_case(ctx, Actor.system(), r.json["id"]).data["transcript_languages"] == "ru_kk"
