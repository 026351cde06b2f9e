"""The registrar model `cert_incomplete` (procedure 6, certificate for those who did not
complete studies) end to end through the API, on both databases: the registrar's check of the
expulsion or transfer, the local tuition-debt rule (accounting, for paid students only), the
disciplines with credits, hours and grades, the certificate in Russian and Kazakh with its
QR verification, refusals with grounds and the escalation timers."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import docx
import pytest
import time_machine

from server.auth import Actor
from server.db import utcnow
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.services.background.jobs import fire_due_timers
from server.services.procedures import deployments
from tests.integration.api import add_student, case_view, complete, group_inbox

IIN = make_iin(date(2003, 11, 4), "F", 2468)
START_DATA = {"reason": "transfer", "purpose": "по месту требования"}
CHECKED = {"student_left": True, "reason": "transfer", "leave_order_number": "77-у",
           "leave_order_date": "2026-02-01", "receiving_university": "НАО «Другой университет»",
           "receiving_university_kk": "«Басқа университет» КеАҚ",
           "enrolment_order_number": "125-у", "enrolment_order_date": "2024-08-15",
           "study_start": "2024-09-01", "study_end": "2026-02-01", "decision": "approve"}
DISCIPLINES = {"disciplines": [
    {"semester": 2, "discipline": "Базы данных", "discipline_kk": "Дерекқорлар", "credits": 6,
     "hours": 180, "grade": "B+", "grade_points": 88},
    {"semester": 1, "discipline": "Математика", "discipline_kk": "Математика", "credits": 5,
     "hours": 150, "grade": "A"},
    # failed: listed, its 4 credits and 120 hours not earned
    {"semester": 2, "discipline": "Физическая культура",
     "discipline_kk": "Дене шынықтыру", "credits": 4, "hours": 120, "grade": "FX",
     "grade_points": 42},
]}


@pytest.fixture
def env(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    student_id = add_student(ctx, IIN, group=None, last_name="Петрова", first_name="Анна",
                             middle_name="Игоревна", funding="paid", sex="F", status="expelled")
    return {"h": people, "student_id": student_id}


def _start(client, env, channel="egov"):
    r = client.post("/api/v1/cases", headers=env["h"]["registrar"], json={
        "process_id": "cert_incomplete", "student_id": env["student_id"], "channel": channel,
        "data": START_DATA})
    assert r.status_code == 201, r.json
    return r.json


def _tasks(client, env, cid):
    return [t["spec_name"] for t in case_view(client, env["h"], cid)["open_tasks"]]


def _text(client, env, doc_id):
    r = client.get(f"/api/v1/documents/{doc_id}", headers=env["h"]["registrar"])
    assert r.status_code == 200
    document = docx.Document(io.BytesIO(r.data))
    paragraphs = "\n".join(p.text for p in document.paragraphs)
    rows = [[c.text for c in row.cells] for t in document.tables for row in t.rows]
    return paragraphs, rows


def test_deadline_is_ten_working_days(client, ctx, env):
    case = _start(client, env, "state_corporation")
    received = datetime.fromisoformat(case["received_at"].replace("Z", "+00:00"))
    expected = ctx.calendar.deadline(received, 10, "working", "state_corporation", ctx.tz)
    assert datetime.fromisoformat(case["deadline_at"].replace("Z", "+00:00")) == expected
    assert [t["spec_name"] for t in case["open_tasks"]] == ["check_student"]


def test_paid_student_certificate_issued_end_to_end(client, ctx, env):
    h = env["h"]
    cid = _start(client, env)["id"]
    assert (cid, "check_student") in group_inbox(client, h, "registrar2")
    assert (cid, "check_student") not in group_inbox(client, h, "accountant")
    complete(client, h, "registrar", cid, "check_student", {**CHECKED, "funding_basis": "paid"})

    # the local rule sends paid students to accounting; only the accountant sees the task
    assert _tasks(client, env, cid) == ["accounting_check"]
    assert (cid, "accounting_check") not in group_inbox(client, h, "registrar")
    body = complete(client, h, "accountant", cid, "accounting_check", {"no_tuition_debt": False},
                    status=422)
    assert "debt_amount" in body["fields"]
    complete(client, h, "accountant", cid, "accounting_check", {"no_tuition_debt": True})

    assert _tasks(client, env, cid) == ["prepare_transcript"]
    body = complete(client, h, "registrar", cid, "prepare_transcript", {"disciplines": []}, status=422)
    assert "disciplines" in body["fields"]
    complete(client, h, "registrar", cid, "prepare_transcript", DISCIPLINES)

    assert _tasks(client, env, cid) == [] and drain(ctx) >= 1
    view = case_view(client, h, cid)
    assert {d["number"] for d in view["documents"]} == {"1-с"}
    assert sorted(d["language"] for d in view["documents"]) == ["kk", "ru"]
    assert [t["spec_name"] for t in view["open_tasks"]] == ["issue_certificate"]

    ru = next(d for d in view["documents"] if d["language"] == "ru")
    text, rows = _text(client, env, ru["id"])
    assert "СПРАВКА" in text and "№ 1-с" in text
    assert "Дана Петровой Анне Игоревне" in text and IIN in text
    assert "она действительно обучалась в университете с 01.09.2024 по 01.02.2026" in text
    assert ("отчислена приказом № 77-у от 01.02.2026 в связи с переводом в НАО «Другой университет»"
            in text)
    # 5 + 6 + 4 credits listed; the FX discipline's 4 credits (120 hours) are not earned
    assert ("Всего дисциплин: 3, из них не освоено (оценки FX, F): 1. Освоено кредитов ECTS: 11 "
            "(часов: 330).") in text
    assert "/verify/" in text
    # one row per discipline, by semester, with credits, hours and grades
    assert rows[1:] == [["1", "1", "Математика", "5", "150", "A", "—"],
                        ["2", "2", "Базы данных", "6", "180", "B+", "88"],
                        ["3", "2", "Физическая культура", "4", "120", "FX", "42"]]
    kk = next(d for d in view["documents"] if d["language"] == "kk")
    text_kk, rows_kk = _text(client, env, kk["id"])
    assert "АНЫҚТАМА" in text_kk and "Осы анықтама Петрова Анна Игоревнаға (ЖСН" in text_kk
    assert ("бұйрықпен басқа білім беру ұйымына («Басқа университет» КеАҚ) ауысуына байланысты "
            "оқудан шығарылғаны туралы берілді") in text_kk
    assert ("Барлық пәндер саны: 3, оның ішінде меңгерілмегені (FX, F бағалары): 1. "
            "Меңгерілген ECTS кредиттері: 11 (сағат: 330).") in text_kk
    assert "Анықтама талап етілген жерге ұсыну үшін берілді." in text_kk
    assert rows_kk[0][2] == "Пән" and rows_kk[2][2] == "Дерекқорлар"

    # the QR link verifies: the certificate's kind, number and the holder's initials
    url = next(line for line in text.splitlines() if "/verify/" in line).split()[-1]
    page = client.get("/verify/" + url.rsplit("/", 1)[-1])
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Справка лицам, не завершившим обучение" in html and "1-с" in html and "П. А. И." in html

    complete(client, h, "registrar", cid, "issue_certificate",
             {"issued_to": "egov", "issued_date": utcnow().date().isoformat()})
    view = case_view(client, h, cid)
    assert view["status"] == "completed" and view["outcome"] == "issued"
    assert view["open_tasks"] == [] and view["timers"] == []
    kinds = [e["kind"] for e in view["history"]]
    assert kinds[0] == "case_started" and kinds[-1] == "case_completed"
    assert kinds.count("task_completed") == 4 and kinds.count("document_issued") == 1
    assert "escalated" not in kinds


def test_grant_student_skips_accounting(client, ctx, env):
    h = env["h"]
    cid = _start(client, env)["id"]
    complete(client, h, "registrar", cid, "check_student",
             {**CHECKED, "reason": "expulsion", "funding_basis": "grant"})
    assert _tasks(client, env, cid) == ["prepare_transcript"]
    complete(client, h, "registrar", cid, "prepare_transcript", DISCIPLINES)
    assert drain(ctx) >= 1
    view = case_view(client, h, cid)
    ru = next(d for d in view["documents"] if d["language"] == "ru")
    text, _rows = _text(client, env, ru["id"])
    assert "отчислена приказом № 77-у от 01.02.2026, не завершив обучение" in text
    assert "перевод" not in text
    done = [e["payload"]["task"] for e in view["history"] if e["kind"] == "task_completed"]
    assert done == ["check_student", "prepare_transcript"]


def test_tuition_debt_is_refused(client, ctx, env):
    h = env["h"]
    cid = _start(client, env)["id"]
    complete(client, h, "registrar", cid, "check_student", {**CHECKED, "funding_basis": "paid"})
    complete(client, h, "accountant", cid, "accounting_check",
             {"no_tuition_debt": False, "debt_amount": 125000, "accounting_comment": "2-й семестр"})
    view = case_view(client, h, cid)
    assert view["status"] == "rejected" and view["outcome"] == "refused"
    assert view["refusal_ground"] == "tuition_debt"
    assert view["open_tasks"] == [] and view["documents"] == [] and view["timers"] == []
    assert drain(ctx) == 2  # the reasoned refusal letter (tests/integration/test_letters.py)


def test_not_expelled_is_refused_with_ground(client, ctx, env):
    h = env["h"]
    cid = _start(client, env)["id"]
    body = complete(client, h, "registrar", cid, "check_student",
                    {"student_left": False, "decision": "reject"}, status=422)
    assert "refusal_ground" in body["fields"]
    body = complete(client, h, "registrar", cid, "check_student",
                    {**CHECKED, "receiving_university": "", "receiving_university_kk": ""}, status=422)
    assert "receiving_university" in body["fields"] and "funding_basis" in body["fields"]
    assert "receiving_university_kk" in body["fields"]
    complete(client, h, "registrar", cid, "check_student",
             {"student_left": False, "decision": "reject", "refusal_ground": "not_expelled"})
    view = case_view(client, h, cid)
    assert view["status"] == "rejected" and view["refusal_ground"] == "not_expelled"
    kinds = [e["kind"] for e in view["history"]]
    assert kinds == ["case_started", "task_completed", "case_completed"]


@pytest.mark.parametrize(("step", "user"), [("check_student", "registrar"),
                                            ("accounting_check", "accountant"),
                                            ("prepare_transcript", "registrar")])
def test_overdue_steps_escalate_once(client, ctx, env, step, user):
    h = env["h"]
    cid = _start(client, env)["id"]
    if step != "check_student":
        complete(client, h, "registrar", cid, "check_student", {**CHECKED, "funding_basis": "paid"})
    if step == "prepare_transcript":
        complete(client, h, "accountant", cid, "accounting_check", {"no_tuition_debt": True})
    view = case_view(client, h, cid)
    assert [t["spec_name"] for t in view["open_tasks"]] == [step] and len(view["timers"]) == 1
    due = datetime.fromisoformat(view["timers"][0]["due_at"])
    with time_machine.travel(due - timedelta(minutes=1), tick=False):
        assert fire_due_timers(ctx) == 0
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        assert fire_due_timers(ctx) == 1
        assert fire_due_timers(ctx) == 0
    view = case_view(client, h, cid)
    escalations = [e for e in view["history"] if e["kind"] == "escalated"]
    assert len(escalations) == 1 and escalations[0]["payload"]["to_role"] == "registrar_head"
    assert [t["spec_name"] for t in view["open_tasks"]] == [step]
    answers = {"check_student": {**CHECKED, "funding_basis": "grant"},
               "accounting_check": {"no_tuition_debt": True}, "prepare_transcript": DISCIPLINES}
    complete(client, h, user, cid, step, answers[step])
    assert case_view(client, h, cid)["status"] == "in_progress"
