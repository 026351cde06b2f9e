"""The registrar model `transfer_out` (procedure 2, transfer to another university) end to end
through the API, on both databases: a registered student's application, the return-for-
correction loop, the dean of the student's faculty with the escalation timer, the consent and
transcript recorded, the receiving university's order, the order «об отчислении в связи с
переводом» in Russian and Kazakh, the rector's signature (and a returned order), the personal
file sent within 3 working days of the receiving order, refusals with a ground."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import time_machine

from server.auth import Actor
from server.db import utcnow
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.services.background.jobs import claim_due_jobs, fire_due_timers, run_job
from server.services.procedures import deployments
from tests.integration.api import (
    add_student,
    assert_refused,
    case_view,
    complete,
    document_text,
    group_inbox,
    history_kinds,
    return_for_correction,
    spec_names,
    start_case,
)

IIN = make_iin(date(2004, 4, 11), "M", 3141)
RECEIVER = "Карагандинский университет имени академика Е. А. Букетова"
RECEIVER_KK = "Академик Е. А. Бөкетов атындағы Қарағанды университеті"
DOCS = {"doc_application": True, "doc_identity": True, "doc_receiving_letter": True,
        "receiving_university": RECEIVER, "receiving_university_kk": RECEIVER_KK}
CHECKED = {**DOCS, "documents_complete": True, "registrar_decision": "approve"}
CONSENT = {"consent_number": "01-12/345", "consent_date": "2026-07-01", "transcript_number": "T-77",
           "transcript_date": "2026-07-01", "issued_to_student": True}
FILE_SENT = {"file_sent_date": "2026-08-20", "dispatch_method": "courier", "transcript_copy_kept": True,
             "inventory_kept": True}


@pytest.fixture
def env(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    return {"h": people, "student_id": add_student(ctx, IIN)}


def _run_jobs(ctx) -> None:
    """Run the jobs the signature wrote (the military-office notice, a deregistration case's
    migration notice: tests/integration/test_letters.py), leaving the timers to the test."""
    for _ in range(3):
        for job_id in claim_due_jobs(ctx):
            run_job(ctx, job_id)


def _start(client, env):
    return start_case(client, env["h"], "transfer_out", env["student_id"], channel="egov")


def _to_receiving_order(client, env, cid):
    complete(client, env["h"], "registrar", cid, "check_documents", CHECKED)
    complete(client, env["h"], "dean_it", cid, "dean_review", {"dean_decision": "approve"})
    complete(client, env["h"], "registrar", cid, "issue_consent", CONSENT)


def _today(ctx) -> date:
    return utcnow().astimezone(ctx.tz).date()


def test_transfer_out_end_to_end(client, ctx, env):
    h = env["h"]
    case = _start(client, env)
    cid = case["id"]
    assert spec_names(case) == ["check_documents"]
    assert (cid, "check_documents") in group_inbox(client, h, "registrar2")
    assert (cid, "check_documents") not in group_inbox(client, h, "dean_it")

    # incomplete -> returned for correction -> resubmitted -> checked again
    body = complete(client, h, "registrar", cid, "check_documents",
                    {**DOCS, "doc_identity": False, "documents_complete": False,
                     "registrar_decision": "approve"}, status=422)
    assert "missing_documents" in body["fields"]
    return_for_correction(client, h, cid, "check_documents",
                          {**CHECKED, "doc_identity": False}, "Удостоверение личности")
    complete(client, h, "registrar", cid, "check_documents", CHECKED)

    # only the dean of the student's faculty sees the case and acts
    assert (cid, "dean_review") not in group_inbox(client, h, "dean_econ")
    assert (cid, "dean_review") not in group_inbox(client, h, "registrar")
    task = group_inbox(client, h, "dean_it")[(cid, "dean_review")]
    assert task["instructions"].startswith("Согласуйте перевод") and task["faculty_id"] is not None
    r = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=h["dean_econ"],
                    json={"data": {"dean_decision": "approve"}})
    assert r.status_code in (403, 404)
    assert client.get(f"/api/v1/cases/{cid}", headers=h["dean_econ"]).status_code == 404
    complete(client, h, "dean_it", cid, "dean_review", {"dean_decision": "approve"})

    # consent and transcript are recorded; then the receiving university's order arrives
    assert (cid, "issue_consent") in group_inbox(client, h, "registrar2")
    complete(client, h, "registrar", cid, "issue_consent", CONSENT)
    ordered_on = _today(ctx)
    complete(client, h, "registrar", cid, "receive_order",
             {"transferred": True, "receiving_order_number": "512-П",
              "receiving_order_date": ordered_on.isoformat()})

    # the order is rendered by the background dispatcher; the rector returns it once
    assert spec_names(case_view(client, h, cid)) == []
    assert drain(ctx) >= 1
    assert (cid, "rector_sign") not in group_inbox(client, h, "vicerector")
    complete(client, h, "rector", cid, "rector_sign", {"signed": False, "rector_comment": "Уточнить дату"})
    complete(client, h, "registrar", cid, "correct_order", {"correction": "Дата уточнена"})
    assert drain(ctx) >= 1
    view = case_view(client, h, cid)
    # the corrected order is the second version of the same register entry
    assert sorted((d["number"], d["version"]) for d in view["documents"]) == [
        ("1-у", 1), ("1-у", 1), ("1-у", 2), ("1-у", 2)]
    complete(client, h, "rector", cid, "rector_sign", {"signed": True, "signed_date": ordered_on.isoformat()})
    _run_jobs(ctx)

    # the personal file: due at the end of the 3rd working day after the receiving order
    view = case_view(client, h, cid)
    assert spec_names(view) == ["send_personal_file"] and len(view["timers"]) == 1
    due = datetime.fromisoformat(view["timers"][0]["due_at"]).astimezone(ctx.tz)
    last_day = ctx.calendar.add_working_days(ordered_on, 3)
    end_of_last_day = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=ctx.tz)
    assert abs(due - end_of_last_day) < timedelta(seconds=2)
    complete(client, h, "registrar", cid, "send_personal_file", FILE_SENT)

    view = case_view(client, h, cid)
    assert view["status"] == "completed" and view["outcome"] == "issued"
    assert view["refusal_ground"] is None and view["open_tasks"] == [] and view["timers"] == []
    kinds = history_kinds(view)
    assert kinds[0] == "case_started" and kinds[-1] == "case_completed"
    # the order twice (returned once) and the military-office notice
    assert kinds.count("task_completed") == 10 and kinds.count("document_issued") == 3
    assert "escalated" not in kinds
    assert "case_triggered" not in kinds  # a citizen: no migration deregistration

    ru = document_text(client, h, view, "ru", "order_transfer_out")
    assert "Об отчислении в связи с переводом в другую организацию высшего образования" in ru
    assert f"в связи с переводом в организацию высшего образования «{RECEIVER}»" in ru
    assert "№ 1-у" in ru and "Иванова Петра Сергеевича" in ru and IIN in ru
    assert f"№ 512-П от {ordered_on.strftime('%d.%m.%Y')}" in ru
    assert "согласие на перевод № 01-12/345 от 01.07.2026" in ru
    assert "копии транскриптов и описи личных дел" in ru
    kk = document_text(client, h, view, "kk", "order_transfer_out")
    assert "Басқа жоғары білім беру ұйымына ауысуына байланысты оқудан шығару туралы" in kk
    assert "Иванов Пётр Сергеевич" in kk and f"«{RECEIVER_KK}»" in kk and "№ 1-у" in kk
    assert RECEIVER not in kk  # the Kazakh order names the receiving university in Kazakh
    assert "01.07.2026 № 01-12/345 ауысуға келісім" in kk


def test_foreign_student_transferred_out_and_deregistration_opened(client, ctx, env):
    """A foreign student leaving for another university is taken off the migration register
    as after an expulsion: the signed order opens the deregistration case (reason «transfer»,
    the order's number, the signing date as the departure date) in the same transaction."""
    h = env["h"]
    sid = add_student(ctx, make_iin(date(2003, 2, 14), "M", 2718), last_name="Каримов",
                      first_name="Бахтиёр", middle_name=None, latin_name="KARIMOV BAKHTIYOR",
                      citizenship="UZB", funding="paid")
    cid = start_case(client, h, "transfer_out", sid)["id"]
    _to_receiving_order(client, env, cid)
    signed_on = _today(ctx)
    complete(client, h, "registrar", cid, "receive_order",
             {"transferred": True, "receiving_order_number": "77-П",
              "receiving_order_date": signed_on.isoformat()})
    assert drain(ctx) >= 1
    foreign = client.get("/api/v1/cases?process_id=foreign_registration", headers=h["head"]).json["items"]
    assert foreign == []  # nothing before the signature
    complete(client, h, "rector", cid, "rector_sign", {"signed": True, "signed_date": signed_on.isoformat()})
    _run_jobs(ctx)

    view = case_view(client, h, cid)
    assert spec_names(view) == ["send_personal_file"]
    triggered = [e for e in view["history"] if e["kind"] == "case_triggered"]
    assert len(triggered) == 1 and triggered[0]["payload"]["process_id"] == "foreign_registration"
    child = case_view(client, h, triggered[0]["payload"]["case_id"])
    assert child["status"] == "in_progress" and spec_names(child) == ["deregister"]
    assert child["data"]["registration_kind"] == "deregistration"
    assert child["data"]["deregistration_reason"] == "transfer"
    assert child["data"]["order_number"] == "1-у" and child["data"]["departure_date"] == signed_on.isoformat()
    assert child["data"]["parent_case_id"] == cid and child["data"]["student"]["citizenship"] == "UZB"
    task = group_inbox(client, h, "intl")[(child["id"], "deregister")]
    assert "№ 1-у" in task["instructions"] and signed_on.strftime("%d.%m.%Y") in task["instructions"]

    complete(client, h, "registrar", cid, "send_personal_file", FILE_SENT)
    view = case_view(client, h, cid)
    assert view["status"] == "completed" and view["outcome"] == "issued"


def test_a_transfer_without_a_registered_student_is_not_registered(client, env):
    """The procedure is for a registered student (the order, the registry, the migration
    register need one): an application without `student_id` is refused and nothing is stored."""
    h = env["h"]
    r = client.post("/api/v1/cases", headers=h["registrar"], json={"process_id": "transfer_out", "data": {}})
    assert r.status_code == 422 and r.json["error"] == "invalid"
    assert client.get("/api/v1/cases?process_id=transfer_out", headers=h["head"]).json["total"] == 0


@pytest.mark.parametrize(("step", "ground"), [("registrar", "first_period_not_completed"),
                                              ("registrar", "tuition_debt"), ("dean", "other")])
def test_transfer_out_refused_with_ground(client, ctx, env, step, ground):
    h = env["h"]
    cid = _start(client, env)["id"]
    if step == "registrar":
        complete(client, h, "registrar", cid, "check_documents",
                 {**DOCS, "documents_complete": True, "registrar_decision": "reject",
                  "registrar_refusal_ground": ground})
    else:
        complete(client, h, "registrar", cid, "check_documents", CHECKED)
        body = complete(client, h, "dean_it", cid, "dean_review",
                        {"dean_decision": "reject", "dean_refusal_ground": ground}, status=422)
        assert "dean_comment" in body["fields"]
        complete(client, h, "dean_it", cid, "dean_review",
                 {"dean_decision": "reject", "dean_refusal_ground": ground,
                  "dean_comment": "Не подписан обходной лист"})
    assert_refused(ctx, case_view(client, h, cid), ground)
    assert drain(ctx) == 0


def test_student_not_enrolled_by_receiver_closes_without_order(client, ctx, env):
    h = env["h"]
    cid = _start(client, env)["id"]
    _to_receiving_order(client, env, cid)
    body = complete(client, h, "registrar", cid, "receive_order", {"transferred": False}, status=422)
    assert "receive_comment" in body["fields"]
    complete(client, h, "registrar", cid, "receive_order",
             {"transferred": False, "receive_comment": "Принимающий вуз отказал: нет мест"})
    view = case_view(client, h, cid)
    assert view["status"] == "completed" and view["outcome"] == "not_transferred"
    assert view["documents"] == [] and view["open_tasks"] == []
    assert drain(ctx) == 0


def test_dean_review_escalates_after_two_working_days(client, ctx, env):
    h = env["h"]
    cid = _start(client, env)["id"]
    complete(client, h, "registrar", cid, "check_documents", CHECKED)
    view = case_view(client, h, cid)
    assert spec_names(view) == ["dean_review"] and len(view["timers"]) == 1
    due = datetime.fromisoformat(view["timers"][0]["due_at"])
    with time_machine.travel(due - timedelta(minutes=1), tick=False):
        assert fire_due_timers(ctx) == 0
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        assert fire_due_timers(ctx) == 1
        assert fire_due_timers(ctx) == 0
    view = case_view(client, h, cid)
    escalations = [e for e in view["history"] if e["kind"] == "escalated"]
    assert [e["payload"] for e in escalations] == [{"to_role": "registrar_head", "element": "escalate_dean"}]
    # non-interrupting: the dean still decides
    assert spec_names(view) == ["dean_review"]
    complete(client, h, "dean_it", cid, "dean_review", {"dean_decision": "approve"})
    assert (cid, "issue_consent") in group_inbox(client, h, "registrar")


def test_late_personal_file_escalates(client, ctx, env):
    """The 3 working days run from the receiving university's order, not from our own order:
    an order received late leaves no time, and the head of the office is told at once."""
    h = env["h"]
    cid = _start(client, env)["id"]
    _to_receiving_order(client, env, cid)
    complete(client, h, "registrar", cid, "receive_order",
             {"transferred": True, "receiving_order_number": "77",
              "receiving_order_date": (_today(ctx) - timedelta(days=14)).isoformat()})
    drain(ctx)
    complete(client, h, "rector", cid, "rector_sign",
             {"signed": True, "signed_date": _today(ctx).isoformat()})
    _run_jobs(ctx)
    view = case_view(client, h, cid)
    assert spec_names(view) == ["send_personal_file"]
    with time_machine.travel(utcnow() + timedelta(minutes=1), tick=False):
        assert fire_due_timers(ctx) == 1
    view = case_view(client, h, cid)
    escalations = [e["payload"] for e in view["history"] if e["kind"] == "escalated"]
    assert escalations == [{"to_role": "registrar_head", "element": "escalate_personal_file"}]
    assert spec_names(view) == ["send_personal_file"]
    complete(client, h, "registrar", cid, "send_personal_file", FILE_SENT)
    assert case_view(client, h, cid)["outcome"] == "issued"
