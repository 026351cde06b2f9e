"""The registrar model `recognition` (procedure 8, support of the recognition of foreign
education documents) end to end through the API, on both databases. The office tracks, ENIC
decides: the documents are recorded (incomplete ones are requested from the student), the ENIC
decision is recorded when it arrives, a reminder goes to the student and the registrar 20
working days before the recognition deadline, and a missed deadline closes the case and
escalates."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import select

from server.auth import Actor
from server.db import utcnow
from server.domain.iin import make_iin
from server.models import OutboxJob
from server.services.background.jobs import fire_due_timers
from server.services.background.notifications import compose
from server.services.procedures import deployments
from tests.integration.api import case_view, complete, group_inbox

DOCS = {"document_country": "Китай", "document_name": "Аттестат о среднем образовании № 123, 2025",
        "doc_legalised": True, "doc_translation": True, "doc_identity": True, "fee_paid": True}
DECISION = {"enic_decision": "recognised", "enic_decision_number": "ENIC-2026/417",
            "enic_decision_date": "2026-11-02"}


@pytest.fixture
def env(ctx, people):
    from server.models import Faculty, Student

    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    with ctx.db.unit_of_work() as session:
        faculty_id = session.scalar(select(Faculty.id).where(Faculty.code == "IT"))
        student = Student(iin=make_iin(date(2006, 1, 20), "M", 7788), last_name="Ли", first_name="Вэй",
                          faculty_id=faculty_id, programme_code="6B06102",
                          programme_name="Программная инженерия", year=1, form="full_time",
                          language="ru", funding="paid", sex="M", citizenship="CHN",
                          email="li.wei@student.example.kz")
        session.add(student)
        session.flush()
        student_id = student.id
    due = ctx.calendar.add_working_days(utcnow().astimezone(ctx.tz).date(), 120)
    return {"h": people, "student_id": student_id, "due": due,
            "recorded": {**DOCS, "documents_complete": True, "enic_submitted_date": "2026-09-15",
                         "recognition_due": due.isoformat()}}


def _start(client, env):
    r = client.post("/api/v1/cases", headers=env["h"]["registrar"], json={
        "process_id": "recognition", "student_id": env["student_id"], "channel": "direct", "data": {}})
    assert r.status_code == 201, r.json
    return r.json


def _local_nine(ctx, day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=ctx.tz)


def _jobs(ctx, cid, kind):
    with ctx.db.read() as session:
        return list(session.scalars(select(OutboxJob).where(OutboxJob.case_id == cid,
                                                            OutboxJob.kind == kind)
                                    .order_by(OutboxJob.id)))


def test_recognised_with_reminder_to_student_and_registrar(client, ctx, env):
    h = env["h"]
    case = _start(client, env)
    cid = case["id"]
    assert case["deadline_at"] is None  # tracked until ENIC decides, not a fixed deadline
    assert [t["spec_name"] for t in case["open_tasks"]] == ["record_documents"]
    assert (cid, "record_documents") in group_inbox(client, h, "registrar2")
    assert (cid, "record_documents") not in group_inbox(client, h, "intl")

    # an incomplete set goes back to the student; the case shows it as returned
    body = complete(client, h, "registrar", cid, "record_documents",
                    {**DOCS, "fee_paid": False, "documents_complete": False,
                     "recognition_due": env["due"].isoformat()}, status=422)
    assert "missing_documents" in body["fields"]
    complete(client, h, "registrar", cid, "record_documents",
             {**DOCS, "fee_paid": False, "documents_complete": False,
              "missing_documents": "Квитанция об оплате сбора", "recognition_due": env["due"].isoformat()})
    view = case_view(client, h, cid)
    assert view["status"] == "returned"
    assert [t["spec_name"] for t in view["open_tasks"]] == ["request_documents"]
    complete(client, h, "registrar", cid, "request_documents",
             {"resubmitted_date": "2026-09-14", "resubmitted_documents": "Квитанция об оплате сбора"})
    assert case_view(client, h, cid)["status"] == "in_progress"
    complete(client, h, "registrar", cid, "record_documents", env["recorded"])

    # waiting for ENIC: a reminder 20 working days before the deadline, and the deadline itself
    view = case_view(client, h, cid)
    assert [t["spec_name"] for t in view["open_tasks"]] == ["await_decision"]
    dues = sorted(datetime.fromisoformat(t["due_at"]) for t in view["timers"])
    reminder_day = ctx.calendar.add_working_days(env["due"], -20)
    expected = [_local_nine(ctx, reminder_day), _local_nine(ctx, env["due"])]
    assert all(abs(d - e) < timedelta(seconds=2) for d, e in zip(dues, expected, strict=True))
    with time_machine.travel(dues[0] - timedelta(minutes=1), tick=False):
        assert fire_due_timers(ctx) == 0
    with time_machine.travel(dues[0] + timedelta(minutes=1), tick=False):
        assert fire_due_timers(ctx) == 1
        assert fire_due_timers(ctx) == 0
    view = case_view(client, h, cid)
    assert [e["kind"] for e in view["history"]].count("timer_fired") == 1
    assert [t["spec_name"] for t in view["open_tasks"]] == ["await_decision"]
    assert len(view["timers"]) == 1  # the deadline still waits
    reminders = _jobs(ctx, cid, "notify/send")
    assert [j.payload["to_role"] for j in reminders] == ["applicant", "registrar"]
    assert env["due"].isoformat() in reminders[0].payload["message"]
    with ctx.db.read() as session:
        mail = compose(ctx, session, reminders[0])
    assert mail is not None and mail["To"] == "li.wei@student.example.kz"
    assert "ENIC-Kazakhstan" in mail.get_content()

    complete(client, h, "registrar", cid, "await_decision", DECISION)
    view = case_view(client, h, cid)
    assert view["status"] == "completed" and view["outcome"] == "recognised"
    assert view["refusal_ground"] is None
    assert view["open_tasks"] == [] and view["timers"] == []
    kinds = [e["kind"] for e in view["history"]]
    assert kinds[0] == "case_started" and kinds[-1] == "case_completed"
    assert kinds.count("task_completed") == 4 and "escalated" not in kinds


def test_not_recognised_is_recorded(client, ctx, env):
    h = env["h"]
    cid = _start(client, env)["id"]
    complete(client, h, "registrar", cid, "record_documents", env["recorded"])
    complete(client, h, "registrar", cid, "await_decision", {**DECISION, "enic_decision": "not_recognised",
                                                             "decision_comment": "Нет апостиля"})
    view = case_view(client, h, cid)
    assert view["status"] == "completed" and view["outcome"] == "not_recognised"
    assert view["open_tasks"] == [] and view["timers"] == []
    assert _jobs(ctx, cid, "notify/send") == []


def test_missed_deadline_closes_and_escalates(client, ctx, env):
    h = env["h"]
    cid = _start(client, env)["id"]
    complete(client, h, "registrar", cid, "record_documents", env["recorded"])
    with time_machine.travel(_local_nine(ctx, env["due"]) + timedelta(minutes=1), tick=False):
        assert fire_due_timers(ctx) >= 1
        assert fire_due_timers(ctx) == 0
    view = case_view(client, h, cid)
    assert view["status"] == "completed" and view["outcome"] == "deadline_missed"
    assert view["open_tasks"] == [] and view["timers"] == []
    escalations = [e for e in view["history"] if e["kind"] == "escalated"]
    assert len(escalations) == 1 and escalations[0]["payload"]["to_role"] == "registrar_head"
    assert [e["kind"] for e in view["history"]][-1] == "case_completed"
    assert (cid, "await_decision") not in group_inbox(client, h, "registrar")
