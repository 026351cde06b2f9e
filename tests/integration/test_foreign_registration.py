"""The model `foreign_registration` through the API: notice of arrival to the migration service
within 3 working days (a timer escalates with an offence-risk mark the day after; a late notice
is flagged in the case), the registration expiry tracked with the visa-extension reminder 15
working days before, the extension loop, deregistration with its own deadline, and the
order № 923 switch read from config/procedures.yaml."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from server.db import utcnow
from server.models import OutboxJob
from server.services.background.jobs import claim_due_jobs, fire_due_timers, run_job
from tests.integration.api import case_view, complete, group_inbox, history_kinds, spec_names
from tests.integration.procs import add_student, deploy_all


@pytest.fixture
def env(ctx, people):
    deploy_all(ctx)
    sid = add_student(ctx, last_name="Ли", first_name="Вэй", middle_name=None, latin_name="LI WEI",
                      citizenship="CHN", funding="paid")
    return {"h": people, "sid": sid, "ctx": ctx}


def _today(ctx) -> date:
    return utcnow().astimezone(ctx.tz).date()


def _start(client, env, **data):
    """Register the case and run its first background step, the migration-service notice
    (tests/integration/test_letters.py); timers are left to the test. Returns the case view."""
    r = client.post("/api/v1/cases", headers=env["h"]["registrar"],
                    json={"process_id": "foreign_registration", "student_id": env["sid"], "data": data})
    assert r.status_code == 201, r.json
    jobs = claim_due_jobs(env["ctx"])
    assert len(jobs) == 1
    run_job(env["ctx"], jobs[0])
    return case_view(client, env["h"], r.json["id"])


def _jobs(ctx, cid, kind="notify/send"):
    with ctx.db.read() as session:
        return [j.payload for j in session.scalars(select(OutboxJob).where(
            OutboxJob.case_id == cid, OutboxJob.kind == kind).order_by(OutboxJob.id))]


def _fire_at(ctx, moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        fired = fire_due_timers(ctx)
        assert fire_due_timers(ctx) == 0
    return fired


def test_arrival_in_time_then_extension_tracked(client, ctx, env):
    h = env["h"]
    today = _today(ctx)
    case = _start(client, env, registration_kind="arrival", arrival_date=today.isoformat())
    cid = case["id"]
    assert spec_names(case) == ["notify_migration"]
    assert (cid, "notify_migration") in group_inbox(client, h, "intl")
    assert (cid, "notify_migration") not in group_inbox(client, h, "registrar")
    view = case_view(client, h, cid)
    due = ctx.calendar.add_working_days(today, 3)
    assert view["data"]["notify_due"] == due.isoformat()
    assert "онлайн" in view["data"]["notification_channel"]  # order № 923 rules in force
    assert len(view["timers"]) == 1
    assert datetime.fromisoformat(view["timers"][0]["due_at"]).astimezone(ctx.tz).date() \
        == ctx.calendar.add_working_days(today, 4)

    expiry = today + timedelta(days=120)
    complete(client, h, "intl", cid, "notify_migration",
             {"notified_date": today.isoformat(), "notification_number": "MVD-2026-0001",
              "registration_expiry": expiry.isoformat()})
    view = case_view(client, h, cid)
    assert view["data"]["late_notice"] is False and view["data"]["offence_risk"] is False
    assert spec_names(view) == [] and view["status"] == "in_progress"
    # the visa extension starts 15 working days before the registration expires
    remind = datetime.fromisoformat(view["timers"][0]["due_at"])
    assert remind.astimezone(ctx.tz).date() == ctx.calendar.add_working_days(expiry, -15)
    assert _fire_at(ctx, remind + timedelta(minutes=1)) == 1
    view = case_view(client, h, cid)
    assert spec_names(view) == ["visa_extension"]
    assert any(j["to_role"] == "international" and expiry.isoformat() in j["message"]
               for j in _jobs(ctx, cid))

    # extended: the new expiry is tracked again; then the student leaves and tracking ends
    new_expiry = expiry + timedelta(days=365)
    complete(client, h, "intl", cid, "visa_extension",
             {"extended": True, "registration_expiry": new_expiry.isoformat(), "certificate_number": "45"})
    view = case_view(client, h, cid)
    assert spec_names(view) == [] and len(view["timers"]) == 1
    remind = datetime.fromisoformat(view["timers"][0]["due_at"])
    assert remind.astimezone(ctx.tz).date() == ctx.calendar.add_working_days(new_expiry, -15)
    assert _fire_at(ctx, remind + timedelta(minutes=1)) == 1
    complete(client, h, "intl", cid, "visa_extension",
             {"extended": False, "extension_comment": "Обучающийся завершил обучение"})
    view = case_view(client, h, cid)
    assert view["status"] == "completed" and view["outcome"] == "registered"
    kinds = history_kinds(view)
    assert kinds.count("timer_fired") == 2 and "escalated" not in kinds
    assert kinds[0] == "case_started" and kinds[-1] == "case_completed"


def test_late_notice_escalates_and_is_flagged_as_offence_risk(client, ctx, env):
    h = env["h"]
    # an arrival before 1 July 2026: the paper notice applies (order № 923 not yet in force)
    cid = _start(client, env, registration_kind="arrival", arrival_date="2026-06-15")["id"]
    view = case_view(client, h, cid)
    assert view["data"]["notify_due"] == "2026-06-18"
    assert "бумажное" in view["data"]["notification_channel"]
    assert _fire_at(ctx, utcnow() + timedelta(minutes=1)) == 1  # the deadline passed: next sweep
    view = case_view(client, h, cid)
    escalations = [e["payload"] for e in view["history"] if e["kind"] == "escalated"]
    assert escalations == [{"to_role": "registrar_head", "element": "escalate_late",
                            "reason": "offence_risk"}]
    assert spec_names(view) == ["notify_migration"]  # the notice is still due

    today = _today(ctx)
    complete(client, h, "intl", cid, "notify_migration",
             {"notified_date": today.isoformat(), "notification_number": "MVD-2026-0777",
              "registration_expiry": (today + timedelta(days=200)).isoformat()})
    view = case_view(client, h, cid)
    assert view["data"]["late_notice"] is True and view["data"]["offence_risk"] is True
    late = [j for j in _jobs(ctx, cid) if j["to_role"] == "registrar_head"]
    assert len(late) == 1 and "риск административного правонарушения" in late[0]["message"]
    assert view["status"] == "in_progress" and len(view["timers"]) == 1


def test_deregistration_with_deadline(client, ctx, env):
    h = env["h"]
    today = _today(ctx)
    case = _start(client, env, registration_kind="deregistration", departure_date=today.isoformat(),
                  deregistration_reason="graduation", order_number="200-у")
    cid = case["id"]
    assert spec_names(case) == ["deregister"]
    view = case_view(client, h, cid)
    due = datetime.fromisoformat(view["timers"][0]["due_at"])
    assert _fire_at(ctx, due + timedelta(minutes=1)) == 1
    assert history_kinds(case_view(client, h, cid)).count("escalated") == 1
    complete(client, h, "intl", cid, "deregister",
             {"deregistered_date": today.isoformat(), "notification_number": "MVD-OUT-1"})
    view = case_view(client, h, cid)
    assert view["status"] == "completed" and view["outcome"] == "deregistered"
    assert view["data"]["late_notice"] is False and view["timers"] == []


def test_notice_form_requires_number_and_expiry(client, ctx, env):
    cid = _start(client, env, registration_kind="arrival", arrival_date=_today(ctx).isoformat())["id"]
    body = complete(client, env["h"], "intl", cid, "notify_migration",
                    {"notified_date": _today(ctx).isoformat()}, status=422)
    assert {"notification_number", "registration_expiry"} <= set(body["fields"])


def test_departure_closes_the_open_arrival_and_counts_from_the_departure_date(client, ctx, env):
    """A deregistration ends the student's open arrival registration (its expiry tracking has
    nothing left to track), linked both ways in the history; the deregistration's deadline
    counts from the departure date, not from the day the case was opened."""
    h = env["h"]
    today = _today(ctx)
    arrival = _start(client, env, registration_kind="arrival", arrival_date=today.isoformat())["id"]
    complete(client, h, "intl", arrival, "notify_migration",
             {"notified_date": today.isoformat(), "notification_number": "MVD-2026-0002",
              "registration_expiry": (today + timedelta(days=120)).isoformat()})
    assert len(case_view(client, h, arrival)["timers"]) == 1  # the expiry is tracked

    departed = today - timedelta(days=7)
    r = client.post("/api/v1/cases", headers=h["registrar"], json={
        "process_id": "foreign_registration", "student_id": env["sid"],
        "data": {"registration_kind": "deregistration", "departure_date": departed.isoformat(),
                 "deregistration_reason": "expulsion", "order_number": "12-у"}})
    assert r.status_code == 201, r.json
    dereg = r.json["id"]
    view = case_view(client, h, arrival)
    assert view["status"] == "completed" and view["outcome"] == "registered"
    assert view["open_tasks"] == [] and view["timers"] == []
    closed = next(e for e in view["history"] if e["kind"] == "closed_by_deregistration")
    assert closed["payload"]["closed_by_case_id"] == dereg
    assert closed["payload"]["departure_date"] == departed.isoformat()
    dview = case_view(client, h, dereg)
    links = [e["payload"]["case_id"] for e in dview["history"] if e["kind"] == "registration_closed"]
    assert links == [arrival]
    # within 3 working days of the departure
    expected = ctx.calendar.add_working_days(departed, 2) if ctx.calendar.is_working_day(departed) \
        else ctx.calendar.add_working_days(departed, 3)
    assert datetime.fromisoformat(dview["deadline_at"]).astimezone(ctx.tz).date() == expected
    assert dview["data"]["notify_due"] == ctx.calendar.add_working_days(departed, 3).isoformat()


def test_departure_before_the_arrival_notice_cancels_it(client, ctx, env):
    h = env["h"]
    today = _today(ctx)
    arrival = _start(client, env, registration_kind="arrival", arrival_date=today.isoformat())["id"]
    r = client.post("/api/v1/cases", headers=h["registrar"], json={
        "process_id": "foreign_registration", "student_id": env["sid"],
        "data": {"registration_kind": "deregistration", "departure_date": today.isoformat(),
                 "deregistration_reason": "other", "order_number": "13-у"}})
    assert r.status_code == 201, r.json
    view = case_view(client, h, arrival)
    assert view["status"] == "cancelled" and view["open_tasks"] == [] and view["timers"] == []
    assert "closed_by_deregistration" in history_kinds(view)
    assert (arrival, "notify_migration") not in group_inbox(client, h, "intl")
