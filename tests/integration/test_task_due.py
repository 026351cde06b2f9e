"""Each open task carries its own due date (server/services/cases/due.py): a control task is due
when the controlled thing is, a step with a catalog deadline at the end of its working days,
and only the rest at the case's legal deadline. The inbox's «overdue» follows the task's date."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
import time_machine

from server.db import utcnow
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.services.cases.due import parse_day
from server.services.errors import ModelRejected
from server.services.procedures import deployments
from tests.integration.api import case_view, complete
from tests.integration.procs import add_student, deploy_all

LEAVE = {"leave_ground": "medical", "leave_start": "2026-12-01", "leave_end": "2027-06-30"}


@pytest.fixture
def env(ctx, people):
    deploy_all(ctx)
    return {"h": people}


def _today(ctx) -> date:
    return utcnow().astimezone(ctx.tz).date()


def _end_of(ctx, day: date) -> datetime:
    return datetime.combine(day, time.max, tzinfo=ctx.tz)


def _due(task: dict) -> datetime:
    return datetime.fromisoformat(task["due_at"])


def _open(view: dict, spec: str) -> dict:
    return next(t for t in view["open_tasks"] if t["spec_name"] == spec)


def _start(client, env, process_id, student_id, data):
    r = client.post("/api/v1/cases", headers=env["h"]["registrar"], json={
        "process_id": process_id, "student_id": student_id, "channel": "direct", "data": data})
    assert r.status_code == 201, r.json
    return r.json


def test_leave_steps_have_their_own_dates_and_the_return_control_the_leave_end(client, ctx, env):
    sid = add_student(ctx, 5511, iin=make_iin(date(2004, 3, 9), "M", 5511))
    case = _start(client, env, "academic_leave", sid, LEAVE)
    cid = case["id"]
    view = case_view(client, env["h"], cid)
    # the document check: 3 working days after it opened (config/catalog.yaml step_deadlines),
    # but never after the case's legal deadline, which counts the day of receipt
    check = _open(view, "check_documents")
    legal = datetime.fromisoformat(view["deadline_at"])
    assert _due(check) == min(_end_of(ctx, ctx.calendar.add_working_days(_today(ctx), 3)), legal)
    assert _due(check) <= legal
    complete(client, env["h"], "registrar", cid, "check_documents",
             {**LEAVE, "doc_application": True, "doc_medical_conclusion": True,
              "documents_complete": True, "decision": "approve"})
    # a step without a catalog deadline keeps the case's legal deadline
    dean = _open(case_view(client, env["h"], cid), "dean_approval")
    assert dean["due_at"] == view["deadline_at"]
    complete(client, env["h"], "dean_it", cid, "dean_approval", {"dean_decision": "approve"})
    drain(ctx)
    complete(client, env["h"], "rector", cid, "sign_order",
             {"signed": True, "signed_date": _today(ctx).isoformat()})
    control = _open(case_view(client, env["h"], cid), "leave_return_control")
    # due on the leave's last day, not months overdue from the case's deadline
    assert _due(control) == _end_of(ctx, date(2027, 6, 30))
    # the case's legal deadline passed long ago by then; the task is not «overdue» before the leave ends
    def overdue_cases(moment: datetime) -> set[int]:
        with time_machine.travel(moment, tick=False):
            r = client.get("/api/v1/tasks?overdue=true&scope=all", headers=env["h"]["head"])
        assert r.status_code == 200, r.json
        return {t["case_id"] for t in r.json["items"]}

    assert cid not in overdue_cases(_end_of(ctx, date(2027, 1, 20)))
    assert cid in overdue_cases(_end_of(ctx, date(2027, 7, 1)))


def test_arrival_notice_is_due_from_the_arrival_date(client, ctx, env):
    sid = add_student(ctx, 5512, last_name="Ли", first_name="Вэй", middle_name=None,
                      latin_name="LI WEI", citizenship="CHN", funding="paid")
    arrived = ctx.calendar.add_working_days(_today(ctx), -2)  # registered two working days late
    case = _start(client, env, "foreign_registration", sid,
                  {"registration_kind": "arrival", "arrival_date": arrived.isoformat()})
    drain(ctx)  # the migration-service notice is issued first, then the registrar's task opens
    task = _open(case_view(client, env["h"], case["id"]), "notify_migration")
    last_day = ctx.calendar.add_working_days(arrived, 3)
    assert _due(task) == _end_of(ctx, last_day)
    # the instruction and the inbox name the same day
    assert last_day.isoformat() in task["instructions"] or \
        last_day.strftime("%d.%m.%Y") in task["instructions"]


def test_dates_read_from_the_case_data() -> None:
    # an empty or unreadable value (a reinstatement with no difference has difference_deadline
    # "") gives no date: the step's catalog deadline or the case's holds

    assert parse_day("2027-05-31") == date(2027, 5, 31)
    assert parse_day("31.05.2027") == date(2027, 5, 31)
    assert parse_day(date(2027, 5, 31)) == date(2027, 5, 31)
    assert parse_day("") is None and parse_day(None) is None and parse_day("31/05") is None


BAD_DUE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="bad_due" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="t" name="Шаг">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="dueDate" value="__import__('os')" />
      </spiffworkflow:properties></bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t" />
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_due_date_that_is_not_a_data_path_is_refused_at_deploy(ctx):
    from server.auth import Actor

    with pytest.raises(ModelRejected) as err:
        deployments.deploy_file(ctx, Actor.system(), "bad_due.bpmn", BAD_DUE.encode())
    assert "dueDate" in err.value.fields["bad_due.bpmn#t"]
