"""The registrar model `cert_study` (procedure 5, certificate from place of study) end to end
through the API, on both databases: a registered student, the 1-working-day deadline, the
registrar's check, the certificate rendered in Russian and Kazakh on the background
dispatcher, issue, refusal with a ground, and the escalation timer with a controlled clock."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import docx
import pytest
import time_machine

from server.auth import Actor
from server.db import utcnow
from server.documents import decline_full_name
from server.domain.calendar import WorkCalendar
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.services.background.jobs import fire_due_timers
from server.services.procedures import deployments
from tests.integration.api import add_student, case_view, complete

START_DATA = {"purpose": "по месту требования", "copies": 2}
CHECKED = {"student_active": True, "enrolment_order_number": "125-у",
           "enrolment_order_date": "2025-08-15", "study_start": "2025-09-01",
           "study_end": "2029-06-30", "decision": "approve"}
IIN = make_iin(date(2004, 3, 9), "M", 4321)


@pytest.fixture
def env(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    student_id = add_student(ctx, IIN, group=None)
    return {"h": people, "student_id": student_id}


def _start(client, env, channel="direct"):
    r = client.post("/api/v1/cases", headers=env["h"]["registrar"], json={
        "process_id": "cert_study", "student_id": env["student_id"], "channel": channel,
        "data": START_DATA})
    assert r.status_code == 201, r.json
    return r.json


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.mark.parametrize("channel", ["direct", "state_corporation"])
def test_deadline_is_one_working_day(client, ctx, env, channel):
    case = _start(client, env, channel)
    assert [t["spec_name"] for t in case["open_tasks"]] == ["check_student"]
    assert isinstance(ctx.calendar, WorkCalendar)
    expected = ctx.calendar.deadline(_when(case["received_at"]), 1, "working", channel, ctx.tz)
    assert _when(case["deadline_at"]) == expected


def test_cert_study_issued_end_to_end(client, ctx, env):
    cid = _start(client, env)["id"]
    view = case_view(client, env["h"], cid)
    assert view["student_id"] == env["student_id"] and view["subject_iin"] == IIN
    complete(client, env["h"], "registrar", cid, "check_student", CHECKED)

    # the certificate is rendered by the background dispatcher, numbered in the certificates register
    assert case_view(client, env["h"], cid)["open_tasks"] == []
    assert drain(ctx) >= 1
    view = case_view(client, env["h"], cid)
    assert {d["number"] for d in view["documents"]} == {"1-с"}
    assert sorted(d["language"] for d in view["documents"]) == ["kk", "ru"]
    assert [t["spec_name"] for t in view["open_tasks"]] == ["issue_certificate"]

    ru = next(d for d in view["documents"] if d["language"] == "ru")
    r = client.get(f"/api/v1/documents/{ru['id']}", headers=env["h"]["registrar"])
    assert r.status_code == 200
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(r.data)).paragraphs)
    assert "СПРАВКА" in text and "1-с" in text
    assert decline_full_name("Иванов", "Пётр", "Сергеевич", "dative", "M") in text
    assert IIN in text
    assert "Справка выдана для предъявления по месту требования." in text
    assert "125-у" in text and "01.09.2025" in text and "30.06.2029" in text
    kk = next(d for d in view["documents"] if d["language"] == "kk")
    r = client.get(f"/api/v1/documents/{kk['id']}", headers=env["h"]["registrar"])
    text_kk = "\n".join(p.text for p in docx.Document(io.BytesIO(r.data)).paragraphs)
    assert "АНЫҚТАМА" in text_kk and "1-с" in text_kk
    assert ("Осы анықтама Иванов Пётр Сергеевичке (ЖСН " + IIN + ") оның шынымен де университеттің "
            "білім алушысы екендігі туралы берілді:") in text_kk
    assert "Анықтама талап етілген жерге ұсыну үшін берілді." in text_kk

    complete(client, env["h"], "registrar", cid, "issue_certificate",
              {"issued_to": "in_person", "issued_date": utcnow().date().isoformat()})
    view = case_view(client, env["h"], cid)
    assert view["status"] == "completed" and view["outcome"] == "issued"
    assert view["open_tasks"] == [] and view["timers"] == []
    kinds = [e["kind"] for e in view["history"]]
    assert kinds[0] == "case_started" and kinds[-1] == "case_completed"
    assert kinds.count("task_completed") == 2 and kinds.count("document_issued") == 1
    assert "escalated" not in kinds


def test_cert_study_refused_with_ground(client, ctx, env):
    cid = _start(client, env)["id"]
    body = complete(client, env["h"], "registrar", cid, "check_student",
                     {"student_active": False, "decision": "reject"}, status=422)
    assert "refusal_ground" in body["fields"]
    complete(client, env["h"], "registrar", cid, "check_student",
              {"student_active": False, "decision": "reject", "refusal_ground": "not_a_student"})
    view = case_view(client, env["h"], cid)
    assert view["status"] == "rejected" and view["outcome"] == "refused"
    assert view["refusal_ground"] == "not_a_student"
    assert view["open_tasks"] == [] and view["documents"] == []
    assert drain(ctx) == 0


def test_check_escalates_once_after_one_working_day(client, ctx, env):
    cid = _start(client, env)["id"]
    view = case_view(client, env["h"], cid)
    assert len(view["timers"]) == 1
    with time_machine.travel(utcnow() + timedelta(days=5), tick=False):
        assert fire_due_timers(ctx) == 1
        assert fire_due_timers(ctx) == 0
    view = case_view(client, env["h"], cid)
    kinds = [e["kind"] for e in view["history"]]
    assert kinds.count("escalated") == 1 and kinds.count("timer_fired") == 1
    # the timer does not interrupt the check: the registrar still completes it
    assert [t["spec_name"] for t in view["open_tasks"]] == ["check_student"]
    complete(client, env["h"], "registrar", cid, "check_student", CHECKED)
    assert drain(ctx) >= 1
    assert {d["number"] for d in case_view(client, env["h"], cid)["documents"]} == {"1-с"}
