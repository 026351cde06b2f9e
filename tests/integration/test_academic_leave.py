"""The registrar model `academic_leave` (procedure 4, academic leave) end to end through the
API, on both databases: a registered student, the registrar's document check, the leave
length limit (DMN), the dean of the student's faculty, the order rendered in Russian and
Kazakh, the rector's signature, refusals with a ground, and the escalation timer."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import docx
import pytest
import time_machine

from server.auth import Actor
from server.db import utcnow
from server.documents import decline_full_name
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.services.background.jobs import fire_due_timers
from server.services.procedures import deployments
from tests.integration.api import add_student, case_view, complete, group_inbox

START_DATA = {"leave_ground": "medical", "leave_start": "2026-12-01", "leave_end": "2027-08-31"}
CHECKED = {**START_DATA, "doc_application": True, "doc_medical_conclusion": True,
           "documents_complete": True, "decision": "approve"}
IIN = make_iin(date(2004, 3, 9), "M", 4321)


@pytest.fixture
def env(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    student_id = add_student(ctx, IIN, group=None)
    return {"h": people, "student_id": student_id}


def _start(client, env, data=None):
    r = client.post("/api/v1/cases", headers=env["h"]["registrar"], json={
        "process_id": "academic_leave", "student_id": env["student_id"], "channel": "direct",
        "data": data or START_DATA})
    assert r.status_code == 201, r.json
    return r.json


def _text(client, env, doc_id):
    r = client.get(f"/api/v1/documents/{doc_id}", headers=env["h"]["registrar"])
    assert r.status_code == 200
    return "\n".join(p.text for p in docx.Document(io.BytesIO(r.data)).paragraphs)


def test_academic_leave_granted_end_to_end(client, ctx, env):
    case = _start(client, env)
    cid = case["id"]
    assert [t["spec_name"] for t in case["open_tasks"]] == ["check_documents"]
    complete(client, env["h"], "registrar", cid, "check_documents", CHECKED)

    # only the dean of the student's faculty sees and may act
    assert (cid, "dean_approval") not in group_inbox(client, env["h"], "dean_econ")
    task = group_inbox(client, env["h"], "dean_it")[(cid, "dean_approval")]
    r = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=env["h"]["dean_econ"],
                    json={"data": {"dean_decision": "approve"}})
    assert r.status_code in (403, 404)
    complete(client, env["h"], "dean_it", cid, "dean_approval", {"dean_decision": "approve"})

    # the order is rendered by the background dispatcher, numbered in the orders register
    assert drain(ctx) >= 1
    view = case_view(client, env["h"], cid)
    assert {d["number"] for d in view["documents"]} == {"1-у"}
    assert sorted(d["language"] for d in view["documents"]) == ["kk", "ru"]
    assert [t["spec_name"] for t in view["open_tasks"]] == ["sign_order"]
    ru = next(d for d in view["documents"] if d["language"] == "ru")
    text = _text(client, env, ru["id"])
    assert "О предоставлении академического отпуска" in text and "1-у" in text
    assert decline_full_name("Иванов", "Пётр", "Сергеевич", "dative", "M") in text
    assert "Иванову Петру Сергеевичу" in text
    assert "с 01.12.2026 по 31.08.2027" in text and IIN in text
    assert "врачебно-консультационной комиссии" in text and "Основание:" in text
    assert "6B06102" in text and "очная" in text and "грант" in text
    kk = next(d for d in view["documents"] if d["language"] == "kk")
    text_kk = _text(client, env, kk["id"])
    assert "Академиялық демалыс беру туралы" in text_kk and "Иванов Пётр Сергеевич" in text_kk
    assert "01.12.2026" in text_kk and "1-у" in text_kk

    complete(client, env["h"], "rector", cid, "sign_order",
              {"signed": True, "signed_date": utcnow().date().isoformat()})
    view = case_view(client, env["h"], cid)
    assert [t["spec_name"] for t in view["open_tasks"]] == ["leave_return_control"]
    # the service is rendered when the order is signed, though the case waits for the return:
    # the ministry's report counts the decision now (not months later at the return)
    assert view["status"] == "in_progress" and view["outcome"] == "issued" and view["decided_at"]
    decided_at = view["decided_at"]
    assert [e["kind"] for e in view["history"]].count("case_decided") == 1
    month = datetime.fromisoformat(decided_at).astimezone(ctx.tz).strftime("%Y-%m")
    report = client.get(f"/api/v1/reports/public-services?month={month}&live=true",
                        headers=env["h"]["admin"]).json
    row = next(r for r in report["rows"] if r["service"] == "academic_leave")
    assert (row["rendered"], row["positive"], row["in_progress"]) == (1, 1, 0)
    assert len(view["timers"]) == 1  # the reminder before the end of the leave
    # 09:00 (local) of the 10th working day before the end of the leave (31.08.2027)
    due = datetime.fromisoformat(view["timers"][0]["due_at"]).astimezone(ctx.tz)
    expected = ctx.calendar.add_working_days(date(2027, 8, 31), -10)
    assert (due.date(), due.hour) == (expected, 9) and expected < date(2027, 8, 31)
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        assert fire_due_timers(ctx) == 1
    kinds = [e["kind"] for e in case_view(client, env["h"], cid)["history"]]
    assert kinds.count("timer_fired") == 1
    open_now = case_view(client, env["h"], cid)["open_tasks"]
    assert [t["spec_name"] for t in open_now] == ["leave_return_control"]
    complete(client, env["h"], "registrar", cid, "leave_return_control",
              {"return_application": True, "health_certificate": True,
               "return_date": ctx.local_today().isoformat()})
    view = case_view(client, env["h"], cid)
    assert view["status"] == "completed" and view["outcome"] == "issued"
    assert view["decided_at"] == decided_at  # the decision's time stays the order's
    assert view["open_tasks"] == [] and view["timers"] == []
    kinds = [e["kind"] for e in view["history"]]
    assert kinds[0] == "case_started" and kinds[-1] == "case_completed"
    assert kinds.count("task_completed") == 4 and kinds.count("document_issued") == 1
    assert "escalated" not in kinds


def test_refused_by_registrar_with_ground(client, ctx, env):
    cid = _start(client, env)["id"]
    rejected = {**START_DATA, "doc_application": True, "documents_complete": False, "decision": "reject"}
    body = complete(client, env["h"], "registrar", cid, "check_documents", rejected, status=422)
    assert "refusal_ground" in body["fields"]
    complete(client, env["h"], "registrar", cid, "check_documents",
             {**rejected, "refusal_ground": "no_grounds"})
    view = case_view(client, env["h"], cid)
    assert view["status"] == "rejected" and view["outcome"] == "refused"
    assert view["refusal_ground"] == "no_grounds"
    assert view["open_tasks"] == [] and view["documents"] == []
    assert drain(ctx) == 2  # the reasoned refusal letter (tests/integration/test_letters.py)


def test_leave_over_the_limit_is_refused(client, ctx, env):
    # medical leave: at most 12 months (workflows/leave_rules.dmn); the documents confirm 13
    # (an application asking for 13 is not registered: tests/integration/test_date_rules.py)
    data = {**START_DATA, "leave_end": "2027-12-31"}
    cid = _start(client, env)["id"]
    complete(client, env["h"], "registrar", cid, "check_documents", {**CHECKED, **data})
    view = case_view(client, env["h"], cid)
    assert view["status"] == "rejected" and view["outcome"] == "refused"
    assert view["refusal_ground"] == "leave_too_long"
    assert view["open_tasks"] == [] and view["documents"] == []
    assert (cid, "dean_approval") not in group_inbox(client, env["h"], "dean_it")
    assert ctx.catalog.service("academic_leave").refusal_ground("leave_too_long")


def test_tuberculosis_leave_may_be_longer(client, ctx, env):
    data = {"leave_ground": "tuberculosis", "leave_start": "2026-12-01", "leave_end": "2028-11-30"}
    cid = _start(client, env, data)["id"]
    complete(client, env["h"], "registrar", cid, "check_documents",
              {**data, "doc_application": True, "doc_tb_decision": True,
               "documents_complete": True, "decision": "approve"})
    assert (cid, "dean_approval") in group_inbox(client, env["h"], "dean_it")


def test_check_escalates_once_after_three_working_days(client, ctx, env):
    cid = _start(client, env)["id"]
    assert len(case_view(client, env["h"], cid)["timers"]) == 1
    with time_machine.travel(utcnow() + timedelta(days=10), tick=False):
        assert fire_due_timers(ctx) == 1
        assert fire_due_timers(ctx) == 0
    view = case_view(client, env["h"], cid)
    kinds = [e["kind"] for e in view["history"]]
    assert kinds.count("escalated") == 1 and kinds.count("timer_fired") == 1
    # the timer does not interrupt the check: the registrar still completes it
    assert [t["spec_name"] for t in view["open_tasks"]] == ["check_documents"]
    complete(client, env["h"], "registrar", cid, "check_documents", CHECKED)
    assert (cid, "dean_approval") in group_inbox(client, env["h"], "dean_it")


def _to_signed_order(client, ctx, env, cid):
    complete(client, env["h"], "registrar", cid, "check_documents", CHECKED)
    complete(client, env["h"], "dean_it", cid, "dean_approval", {"dean_decision": "approve"})
    assert drain(ctx) >= 1
    complete(client, env["h"], "rector", cid, "sign_order",
             {"signed": True, "signed_date": utcnow().date().isoformat()})


def test_a_foreign_students_leave_opens_the_deregistration(client, ctx, env):
    """The study visa is cancelled for the leave: the signed order opens a foreign_registration
    deregistration case for the same student, in the same step, linked both ways."""
    from sqlalchemy import update

    from server.models import Student

    with ctx.db.unit_of_work() as session:
        session.execute(update(Student).where(Student.id == env["student_id"]).values(citizenship="KOR"))
    cid = _start(client, env)["id"]
    _to_signed_order(client, ctx, env, cid)
    view = case_view(client, env["h"], cid)
    triggered = [e for e in view["history"] if e["kind"] == "case_triggered"]
    assert len(triggered) == 1 and triggered[0]["payload"]["process_id"] == "foreign_registration"
    child = case_view(client, env["h"], triggered[0]["payload"]["case_id"])
    assert child["process_id"] == "foreign_registration" and child["student_id"] == env["student_id"]
    assert child["data"]["registration_kind"] == "deregistration"
    assert child["data"]["deregistration_reason"] == "academic_leave"
    assert child["data"]["departure_date"] == START_DATA["leave_start"]
    assert child["data"]["parent_case_id"] == cid and child["data"]["order_number"] == "1-у"
    assert [t["spec_name"] for t in view["open_tasks"]] == ["leave_return_control"]


def test_a_citizens_leave_opens_no_deregistration(client, ctx, env):
    cid = _start(client, env)["id"]
    _to_signed_order(client, ctx, env, cid)
    view = case_view(client, env["h"], cid)
    assert not [e for e in view["history"] if e["kind"] == "case_triggered"]
    assert [t["spec_name"] for t in view["open_tasks"]] == ["leave_return_control"]
