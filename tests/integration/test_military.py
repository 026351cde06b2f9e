"""The registrar model `military` (procedure 14, military registration of students) end to end
through the API, on both databases: the certificate for the military office (deferment) in
Russian and Kazakh, the notification of the military office after an enrolment or expulsion
order for students on the military register (with its 5-working-day timer and escalation),
refusal with a ground, and the list of conscription-age male students per faculty."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import docx
import pytest
import time_machine
from sqlalchemy import select

from server.auth import Actor
from server.db import utcnow
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.services.background.jobs import fire_due_timers
from server.services.procedures import deployments
from tests.integration.api import add_student, case_view, complete, group_inbox

IIN = make_iin(date(2006, 3, 9), "M", 4321)
OFFICE = "Управление по делам обороны Бостандыкского района г. Алматы"
OFFICE_KK = "Алматы қ. Бостандық ауданының қорғаныс істері жөніндегі басқармасы"
CERTIFICATE = {"request": "certificate", "liable": True, "military_document": "АА 1234567",
               "military_office": OFFICE, "military_office_kk": OFFICE_KK,
               "enrolment_order_number": "125-у", "enrolment_order_date": "2025-08-15",
               "study_start": "2025-09-01", "study_end": "2029-06-30", "decision": "approve"}
NOTIFICATION = {"request": "notification", "liable": True, "military_office": OFFICE,
                "military_office_kk": OFFICE_KK,
                "order_kind": "expulsion", "order_number": "88-у", "order_date": "2026-09-01",
                "decision": "approve"}
LETTER = {"letter_number": "01-12/345", "letter_date": "2026-09-03", "sent_via": "edo"}


@pytest.fixture
def env(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    student_id = add_student(ctx, IIN, group=None, last_name="Сапаров", first_name="Ерлан",
                             middle_name="Маратович", language="kk")
    return {"h": people, "student_id": student_id}


def _start(client, env, **data):
    r = client.post("/api/v1/cases", headers=env["h"]["registrar"], json={
        "process_id": "military", "student_id": env["student_id"], "channel": "direct", "data": data})
    assert r.status_code == 201, r.json
    return r.json


def _text(client, env, doc_id):
    r = client.get(f"/api/v1/documents/{doc_id}", headers=env["h"]["registrar"])
    assert r.status_code == 200
    return "\n".join(p.text for p in docx.Document(io.BytesIO(r.data)).paragraphs)


def test_certificate_for_the_military_office(client, ctx, env):
    h = env["h"]
    case = _start(client, env, request="certificate")
    cid = case["id"]
    assert case["deadline_at"] is None
    assert [t["spec_name"] for t in case["open_tasks"]] == ["check_military_record"]
    assert (cid, "check_military_record") in group_inbox(client, h, "registrar2")
    body = complete(client, h, "registrar", cid, "check_military_record",
                    {"request": "certificate", "liable": True, "decision": "approve"}, status=422)
    assert {"military_office", "military_office_kk", "enrolment_order_number",
            "study_end"} <= set(body["fields"])
    complete(client, h, "registrar", cid, "check_military_record", CERTIFICATE)

    assert case_view(client, h, cid)["open_tasks"] == [] and drain(ctx) >= 1
    view = case_view(client, h, cid)
    assert {d["number"] for d in view["documents"]} == {"1-с"}
    assert {d["kind"] for d in view["documents"]} == {"cert_military"}
    ru = next(d for d in view["documents"] if d["language"] == "ru")
    text = _text(client, env, ru["id"])
    assert "СПРАВКА" in text and "Дана Сапарову Ерлану Маратовичу" in text and IIN in text
    assert "он действительно является обучающимся" in text
    assert (f"Справка выдана для представления в {OFFICE} в целях предоставления отсрочки от призыва "
            "на воинскую службу на период обучения (до 30.06.2029).") in text
    assert "№ 125-у от 15.08.2025" in text and "/verify/" in text
    kk = next(d for d in view["documents"] if d["language"] == "kk")
    text_kk = _text(client, env, kk["id"])
    assert "АНЫҚТАМА" in text_kk and "Осы анықтама Сапаров Ерлан Маратовичке (ЖСН" in text_kk
    # the office in the dative before «ұсынуға»
    assert ("Анықтама әскери қызметке шақырудан оқу кезеңіне (30.06.2029 дейін) кейінге қалдыру "
            "беру үшін Алматы қ. Бостандық ауданының қорғаныс істері жөніндегі басқармасына "
            "ұсынуға берілді.") in text_kk

    assert [t["spec_name"] for t in view["open_tasks"]] == ["issue_certificate"]
    complete(client, h, "registrar", cid, "issue_certificate",
             {"issued_to": "in_person", "issued_date": utcnow().date().isoformat()})
    view = case_view(client, h, cid)
    assert view["status"] == "completed" and view["outcome"] == "issued"
    assert view["open_tasks"] == [] and view["timers"] == []
    kinds = [e["kind"] for e in view["history"]]
    assert kinds[0] == "case_started" and kinds[-1] == "case_completed"
    assert kinds.count("task_completed") == 2 and kinds.count("document_issued") == 1


def test_certificate_refused_with_ground(client, ctx, env):
    h = env["h"]
    cid = _start(client, env, request="certificate")["id"]
    body = complete(client, h, "registrar", cid, "check_military_record",
                    {"request": "certificate", "liable": False, "decision": "reject",
                     "refusal_ground": "other"}, status=422)
    assert "check_comment" in body["fields"]
    complete(client, h, "registrar", cid, "check_military_record",
             {"request": "certificate", "liable": False, "decision": "reject",
              "refusal_ground": "other", "check_comment": "Не состоит на воинском учёте"})
    view = case_view(client, h, cid)
    assert view["status"] == "rejected" and view["refusal_ground"] == "other"
    assert view["documents"] == [] and view["timers"] == [] and drain(ctx) == 0


def test_notification_after_an_order_escalates_then_is_sent(client, ctx, env):
    h = env["h"]
    cid = _start(client, env, request="notification", order_kind="expulsion", order_number="88-у",
                 order_date="2026-09-01")["id"]
    body = complete(client, h, "registrar", cid, "check_military_record",
                    {"request": "notification", "liable": True, "decision": "approve"}, status=422)
    assert {"military_office", "order_number", "order_date"} <= set(body["fields"])
    complete(client, h, "registrar", cid, "check_military_record", NOTIFICATION)

    # notice within 5 working days of the order, else the head of the office is alerted once
    view = case_view(client, h, cid)
    assert [t["spec_name"] for t in view["open_tasks"]] == ["notify_military_office"]
    assert len(view["timers"]) == 1 and view["documents"] == []
    due = datetime.fromisoformat(view["timers"][0]["due_at"])
    local_due = ctx.calendar.add_working_days(utcnow().astimezone(ctx.tz).date(), 5)
    assert due.astimezone(ctx.tz).date() == local_due + timedelta(days=1)
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        assert fire_due_timers(ctx) == 1
        assert fire_due_timers(ctx) == 0
    view = case_view(client, h, cid)
    escalations = [e for e in view["history"] if e["kind"] == "escalated"]
    assert len(escalations) == 1 and escalations[0]["payload"]["to_role"] == "registrar_head"
    assert escalations[0]["payload"]["element"] == "escalate_notify"
    complete(client, h, "registrar", cid, "notify_military_office", LETTER)
    view = case_view(client, h, cid)
    assert view["status"] == "completed" and view["outcome"] == "notified"
    assert view["open_tasks"] == [] and view["timers"] == []
    done = [e["payload"]["task"] for e in view["history"] if e["kind"] == "task_completed"]
    assert done == ["check_military_record", "notify_military_office"]


def test_no_notification_for_students_not_on_the_register(client, ctx, env):
    h = env["h"]
    cid = _start(client, env, request="notification")["id"]
    complete(client, h, "registrar", cid, "check_military_record",
             {"request": "notification", "liable": False, "decision": "approve"})
    view = case_view(client, h, cid)
    assert view["status"] == "completed" and view["outcome"] == "not_liable"
    assert view["open_tasks"] == [] and view["timers"] == []


def test_overdue_check_escalates_once(client, ctx, env):
    h = env["h"]
    cid = _start(client, env, request="certificate")["id"]
    due = datetime.fromisoformat(case_view(client, h, cid)["timers"][0]["due_at"])
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        assert fire_due_timers(ctx) == 1
        assert fire_due_timers(ctx) == 0
    view = case_view(client, h, cid)
    assert [e["kind"] for e in view["history"]].count("escalated") == 1
    assert [t["spec_name"] for t in view["open_tasks"]] == ["check_military_record"]


def test_conscription_age_lists_per_faculty(client, ctx, env):
    from server.models import Faculty, Student

    on = date(2026, 9, 1)
    with ctx.db.unit_of_work() as session:
        faculties = dict(session.execute(select(Faculty.code, Faculty.id)).all())

        def add(last, born, sex, faculty="IT", status="active", serial=1):
            session.add(Student(iin=make_iin(born, sex, serial), last_name=last, first_name="Тест",
                                faculty_id=faculties[faculty], programme_code="6B04101",
                                programme_name="Экономика", year=1, sex=sex, status=status))

        add("Абаев", date(2008, 9, 1), "M", serial=11)         # 18 on the day
        add("Бекова", date(2004, 1, 1), "F", serial=12)        # a woman
        add("Ватов", date(1998, 9, 2), "M", serial=13)         # 27, turns 28 the next day
        add("Гаев", date(1998, 8, 31), "M", serial=14)         # already 28
        add("Даулетов", date(2005, 5, 5), "M", "ECON", serial=15)
        add("Ержанов", date(2005, 5, 5), "M", status="expelled", serial=16)
        add("Жуков", date(2008, 9, 2), "M", serial=17)         # 17
    r = client.get("/api/v1/registers/military?on=2026-09-01", headers=env["h"]["registrar"])
    assert r.status_code == 200, r.json
    assert r.json["on"] == on.isoformat()
    lists = {f["faculty_code"]: [s["full_name"].split()[0] for s in f["students"]]
             for f in r.json["faculties"]}
    # Сапаров (the fixture's student, born 2006) is 20
    assert lists == {"ECON": ["Даулетов"], "IT": ["Абаев", "Ватов", "Сапаров"]}
    ages = {s["full_name"].split()[0]: s["age"] for f in r.json["faculties"] for s in f["students"]}
    assert ages["Абаев"] == 18 and ages["Ватов"] == 27

    r = client.get("/api/v1/registers/military?on=2026-09-01&faculty=ECON", headers=env["h"]["head"])
    assert [f["faculty_code"] for f in r.json["faculties"]] == ["ECON"]
    r = client.get("/api/v1/registers/military?on=2026-09-01", headers=env["h"]["dean_econ"])
    assert [f["faculty_code"] for f in r.json["faculties"]] == ["ECON"]
    r = client.get("/api/v1/registers/military?faculty=XX", headers=env["h"]["registrar"])
    assert r.status_code == 404 and "faculty" in r.json["fields"]
    assert client.get("/api/v1/registers/military", headers=env["h"]["accountant"]).status_code == 403


@pytest.mark.parametrize("lang", ["ru", "kk", "en"])
def test_a_foreign_citizen_is_not_in_the_military_register(client, ctx, env, lang):
    """Foreign citizens are not in the military register (catalog: military.student_citizenship
    [KAZ]): a certificate or notice case for one is refused at registration, naming the field
    and the citizenship the registry shows; nothing is stored."""
    foreign = add_student(ctx, make_iin(date(2005, 4, 1), "M", 777), last_name="Ким", first_name="Мин",
                          citizenship="KOR")
    r = client.post("/api/v1/cases", headers={**env["h"]["registrar"], "Accept-Language": lang}, json={
        "process_id": "military", "student_id": foreign, "channel": "direct",
        "data": {"request": "notification"}})
    assert r.status_code == 422
    assert "KOR" in r.json["message"] and "KOR" in r.json["fields"]["student_id"]
    if lang == "kk":
        assert "әскери есепте" in r.json["message"]
    if lang == "en":
        assert "military register" in r.json["message"]
    assert client.get("/api/v1/cases", headers=env["h"]["registrar"]).json["total"] == 0
