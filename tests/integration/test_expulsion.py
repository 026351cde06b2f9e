"""The registrar model `expulsion` end to end through the API: the dean's submission (scoped to
the faculty) with its ground, the registrar's draft, the lawyer's and accounting's visas with the
return loop, the order on the background dispatcher (ru/kk), the rector's signature with its
escalation, the student's notice, refusals with grounds, and the cross-procedure trigger: a
foreign student's expulsion opens a `foreign_registration` deregistration case in the same
transaction."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from server.auth import Actor
from server.db import utcnow
from server.jobs.inprocess import drain
from server.models import Document, OutboxJob
from server.services.background.jobs import fire_due_timers
from server.services.errors import ModelRejected
from server.services.procedures import deployments
from tests.integration.api import case_view, complete, group_inbox, history_kinds, spec_names
from tests.integration.procs import (
    add_student,
    add_user,
    deploy_all,
    document_text,
    sign_order,
)

SUBMISSION = {"dean_decision": "submit", "expulsion_ground": "academic_failure",
              "expulsion_date": "2026-09-01",
              "dean_reasoning": "Академическая задолженность по 4 дисциплинам",
              "dean_reasoning_kk": "4 пән бойынша академиялық берешек"}
DRAFT = {"expulsion_date": "2026-09-01", "personal_file_checked": True}
VISA = {"lawyer_decision": "approve"}
ACCOUNTING = {"accounting_decision": "approve", "tuition_debt": False, "grant_stop_date": "2026-09-01"}


@pytest.fixture
def env(ctx, people):
    deploy_all(ctx)
    add_user(ctx, people, "lawyer", "lawyer")
    return people


def _start(client, people, student_id):
    r = client.post("/api/v1/cases", headers=people["registrar"],
                    json={"process_id": "expulsion", "student_id": student_id})
    assert r.status_code == 201, r.json
    return r.json


def _to_order(client, people, cid):
    complete(client, people, "dean_it", cid, "dean_submission", SUBMISSION)
    complete(client, people, "registrar", cid, "registrar_draft", DRAFT)
    complete(client, people, "lawyer", cid, "lawyer_visa", VISA)
    complete(client, people, "accountant", cid, "accounting_visa", ACCOUNTING)


def _foreign_cases(client, people):
    r = client.get("/api/v1/cases?process_id=foreign_registration", headers=people["head"])
    assert r.status_code == 200
    return r.json["items"]


def test_foreign_student_expelled_and_deregistration_opened(client, ctx, env):
    people = env
    sid = add_student(ctx, last_name="Каримов", first_name="Бахтиёр", middle_name=None,
                      latin_name="KARIMOV BAKHTIYOR", citizenship="UZB", funding="paid")
    case = _start(client, people, sid)
    cid = case["id"]
    assert spec_names(case) == ["dean_submission"]
    # the submission belongs to the dean of the student's faculty only
    assert (cid, "dean_submission") in group_inbox(client, people, "dean_it")
    assert (cid, "dean_submission") not in group_inbox(client, people, "dean_econ")
    assert (cid, "dean_submission") not in group_inbox(client, people, "registrar")
    assert client.get(f"/api/v1/cases/{cid}", headers=people["dean_econ"]).status_code == 404
    complete(client, people, "dean_it", cid, "dean_submission", SUBMISSION)

    # the registrar drafts, the lawyer returns it once, then both visas
    complete(client, people, "registrar", cid, "registrar_draft", DRAFT)
    assert (cid, "lawyer_visa") not in group_inbox(client, people, "accountant")
    complete(client, people, "lawyer", cid, "lawyer_visa",
             {"lawyer_decision": "return", "lawyer_comment": "Уточните дату по представлению"})
    view = case_view(client, people, cid)
    assert spec_names(view) == ["registrar_draft"]
    assert view["data"]["lawyer_comment"] == "Уточните дату по представлению"
    complete(client, people, "registrar", cid, "registrar_draft", DRAFT)
    complete(client, people, "lawyer", cid, "lawyer_visa", VISA)
    assert (cid, "accounting_visa") not in group_inbox(client, people, "lawyer")
    complete(client, people, "accountant", cid, "accounting_visa", ACCOUNTING)

    # the order is rendered in the background; no deregistration before the signature
    assert spec_names(case_view(client, people, cid)) == []
    assert drain(ctx) >= 1
    view = case_view(client, people, cid)
    assert {d["number"] for d in view["documents"]} == {"1-у"}
    assert _foreign_cases(client, people) == []
    view = sign_order(client, people, cid, completed_tasks=7, ctx=ctx)
    triggered = [e for e in view["history"] if e["kind"] == "case_triggered"]
    assert len(triggered) == 1 and triggered[0]["payload"]["process_id"] == "foreign_registration"

    # the deregistration case of the same student, waiting for the international office
    children = _foreign_cases(client, people)
    assert [c["id"] for c in children] == [triggered[0]["payload"]["case_id"]]
    child = case_view(client, people, children[0]["id"])
    assert child["status"] == "in_progress" and spec_names(child) == ["deregister"]
    assert child["data"]["registration_kind"] == "deregistration"
    assert child["data"]["order_number"] == "1-у" and child["data"]["parent_case_id"] == cid
    assert child["data"]["student"]["iin"] == view["data"]["student"]["iin"]
    assert child["history"][0]["payload"]["parent_case_id"] == cid
    assert (child["id"], "deregister") in group_inbox(client, people, "intl")

    # the student is notified (an outbox job of the case)
    with ctx.db.read() as session:
        notices = session.scalars(select(OutboxJob).where(OutboxJob.case_id == cid,
                                                          OutboxJob.kind == "notify/send")).all()
        assert len(notices) == 1 and notices[0].payload["to_role"] == "applicant"
        assert "1-у" in notices[0].payload["message"]

    text, cells = document_text(client, people, view, "ru")
    assert "Об отчислении" in text and "№ 1-у" in text
    assert "Отчислить из числа обучающихся с 01.09.2026" in text
    assert "на основании представления декана факультета" in text
    assert "Каримова Бахтиёра" in cells and "академическая неуспеваемость" in cells
    text, cells = document_text(client, people, view, "kk")
    assert "Оқудан шығару туралы" in text and "01.09.2026 бастап" in text
    assert "Каримов Бахтиёр" in cells and "академиялық үлгермеушілік" in cells


def test_citizen_expelled_without_deregistration(client, ctx, env):
    people = env
    cid = _start(client, people, add_student(ctx))["id"]
    _to_order(client, people, cid)
    assert drain(ctx) >= 1
    view = sign_order(client, people, cid, completed_tasks=5, ctx=ctx, documents=2)
    assert "case_triggered" not in history_kinds(view) and _foreign_cases(client, people) == []
    _, cells = document_text(client, people, view, "ru")
    assert "Иванова Петра Сергеевича" in cells and "грант" in cells


def test_unsigned_order_goes_back_to_the_draft(client, ctx, env):
    people = env
    cid = _start(client, people, add_student(ctx))["id"]
    _to_order(client, people, cid)
    drain(ctx)
    complete(client, people, "rector", cid, "rector_sign",
             {"signed": False, "rector_comment": "Проверьте дату"})
    view = case_view(client, people, cid)
    assert spec_names(view) == ["registrar_draft"] and view["data"]["rector_comment"] == "Проверьте дату"


def test_corrected_order_keeps_its_number_as_a_new_version(client, ctx, env):
    """A returned draft rendered again is the next version of the same register entry: no new
    number, the first files stay stored, and the first version's code says it was replaced."""
    people = env
    cid = _start(client, people, add_student(ctx))["id"]
    _to_order(client, people, cid)
    drain(ctx)
    complete(client, people, "rector", cid, "rector_sign", {"signed": False, "rector_comment": "Дата"})
    assert "Дата" in group_inbox(client, people, "registrar")[(cid, "registrar_draft")]["instructions"]
    complete(client, people, "registrar", cid, "registrar_draft",
             {**DRAFT, "expulsion_date": "2026-09-05", "correction": "Дата отчисления исправлена"})
    # the history shows the rector's remark and the correction with what changed
    history = case_view(client, people, cid)["history"]
    assert next(e for e in history if e["kind"] == "order_returned")["payload"]["remark"] == "Дата"
    corrected = next(e for e in history if e["kind"] == "order_corrected")["payload"]
    assert corrected["correction"] == "Дата отчисления исправлена" and corrected["remark"] == "Дата"
    assert corrected["changed"]["expulsion_date"] == ["2026-09-01", "2026-09-05"]
    complete(client, people, "lawyer", cid, "lawyer_visa", VISA)
    complete(client, people, "accountant", cid, "accounting_visa", ACCOUNTING)
    assert drain(ctx) >= 1
    complete(client, people, "rector", cid, "rector_sign", {"signed": True, "signed_date": "2026-09-06"})
    assert drain(ctx) >= 1  # the military-office notice (tests/integration/test_letters.py)
    view = case_view(client, people, cid)
    assert view["status"] == "completed"
    docs = sorted((d["version"], d["language"], d["number"]) for d in view["documents"]
                  if d["kind"] == "order_expulsion")
    assert docs == [(1, "kk", "1-у"), (1, "ru", "1-у"), (2, "kk", "1-у"), (2, "ru", "1-у")]
    issued = [e["payload"] for e in view["history"] if e["kind"] == "document_issued"
              and e["payload"]["template"] == "order_expulsion"]
    assert [p["number"] for p in issued] == ["1-у", "1-у"] and issued[1]["version"] == 2
    register = client.get("/api/v1/registers/documents?register=orders",
                          headers=people["head"]).json["items"]
    assert [(r["number"], r["version"]) for r in register] == [("1-у", 2)]
    with ctx.db.read() as session:
        codes = dict(session.execute(select(Document.version, Document.verification_code).where(
            Document.case_id == cid, Document.kind == "order_expulsion")).all())
    old, new = client.get(f"/verify/{codes[1]}"), client.get(f"/verify/{codes[2]}")
    assert old.status_code == new.status_code == 200
    assert "заменена новой редакцией" in old.text and "заменена новой редакцией" not in new.text


@pytest.mark.parametrize("step", ["dean", "lawyer"])
def test_expulsion_refused(client, ctx, env, step):
    people = env
    cid = _start(client, people, add_student(ctx))["id"]
    if step == "dean":
        complete(client, people, "dean_it", cid, "dean_submission",
                 {"dean_decision": "withdraw", "dean_refusal_ground": "not_confirmed"})
    else:
        complete(client, people, "dean_it", cid, "dean_submission", SUBMISSION)
        complete(client, people, "registrar", cid, "registrar_draft", DRAFT)
        complete(client, people, "lawyer", cid, "lawyer_visa",
                 {"lawyer_decision": "reject", "lawyer_comment": "Нет протокола заседания"})
    view = case_view(client, people, cid)
    assert view["status"] == "rejected" and view["outcome"] == "refused"
    assert view["refusal_ground"] == "not_confirmed"
    assert ctx.catalog.service("expulsion").refusal_ground("not_confirmed")
    assert view["open_tasks"] == [] and view["documents"] == [] and view["timers"] == []
    assert history_kinds(view)[-1] == "case_completed" and drain(ctx) == 0


def test_submission_form_requires_ground_and_date(client, env, ctx):
    people = env
    cid = _start(client, people, add_student(ctx))["id"]
    body = complete(client, people, "dean_it", cid, "dean_submission", {"dean_decision": "submit"},
                    status=422)
    assert {"expulsion_ground", "expulsion_date"} <= set(body["fields"])
    body = complete(client, people, "dean_it", cid, "dean_submission",
                    {**SUBMISSION, "expulsion_ground": "other", "dean_reasoning": ""}, status=422)
    assert "dean_reasoning" in body["fields"]


@pytest.mark.parametrize(("step", "days"), [("dean_submission", 3), ("rector_sign", 2)])
def test_overdue_step_escalates_once(client, ctx, env, step, days):
    people = env
    cid = _start(client, people, add_student(ctx))["id"]
    if step == "rector_sign":
        _to_order(client, people, cid)
        drain(ctx)
    view = case_view(client, people, cid)
    assert spec_names(view) == [step] and len(view["timers"]) == 1
    with time_machine.travel(utcnow() + timedelta(days=days + 6), tick=False):
        assert fire_due_timers(ctx) == 1
        assert fire_due_timers(ctx) == 0
    view = case_view(client, people, cid)
    escalations = [e for e in view["history"] if e["kind"] == "escalated"]
    assert len(escalations) == 1 and escalations[0]["payload"]["to_role"] == "registrar_head"
    assert spec_names(view) == [step]  # non-interrupting: the step stays with its owner


def test_case_start_operator_is_checked_at_deploy(ctx, people):
    source = (ctx.settings.workflows_dir / "expulsion.bpmn").read_text(encoding="utf-8")
    for bad, reason in [("'no_such_procedure'", "нет в каталоге"), ("service_code", "строкой в кавычках")]:
        text = source.replace("'foreign_registration'", bad)
        with pytest.raises(ModelRejected) as info:
            deployments.deploy_file(ctx, Actor.system(), "expulsion.bpmn", text)
        assert "start_deregistration" in " ".join(info.value.fields) and reason in str(info.value.fields)


LOOP_MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">
  <bpmn:process id="recognition" isExecutable="true">
    <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="again" name="Открыть такое же дело">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="case/start" resultVariable="child">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="process_id" type="str" value="'recognition'" />
            <spiffworkflow:parameter id="data" type="dict" value="{}" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="again" />
    <bpmn:sequenceFlow id="f2" sourceRef="again" targetRef="e" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_case_start_chain_is_bounded(client, ctx, env):
    deployments.deploy_file(ctx, Actor.system(), "recognition.bpmn", LOOP_MODEL)
    r = client.post("/api/v1/cases", headers=env["registrar"], json={"process_id": "recognition"})
    assert r.status_code == 422 and "case/start" in r.json["message"]
    assert client.get("/api/v1/cases", headers=env["head"]).json["total"] == 0  # nothing saved
