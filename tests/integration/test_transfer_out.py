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
from server.services import deployments
from server.services.background import fire_due_timers
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
DOCS = {"doc_application": True, "doc_identity": True, "doc_receiving_letter": True,
        "receiving_university": RECEIVER}
CHECKED = {**DOCS, "documents_complete": True, "registrar_decision": "approve"}
CONSENT = {"consent_number": "01-12/345", "consent_date": "2026-07-01", "transcript_number": "T-77",
           "transcript_date": "2026-07-01", "issued_to_student": True}
FILE_SENT = {"file_sent_date": "2026-08-20", "dispatch_method": "courier", "transcript_copy_kept": True,
             "inventory_kept": True}


@pytest.fixture
def env(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    return {"h": people, "student_id": add_student(ctx, IIN)}


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
    assert drain(ctx) >= 1
    view = case_view(client, h, cid)
    # the corrected order is the second version of the same register entry
    assert sorted((d["number"], d["version"]) for d in view["documents"]) == [
        ("1-у", 1), ("1-у", 1), ("1-у", 2), ("1-у", 2)]
    complete(client, h, "rector", cid, "rector_sign", {"signed": True, "signed_date": ordered_on.isoformat()})

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
    assert kinds.count("task_completed") == 9 and kinds.count("document_issued") == 2
    assert "escalated" not in kinds

    ru = document_text(client, h, view, "ru")
    assert "Об отчислении в связи с переводом в другую организацию высшего образования" in ru
    assert f"в связи с переводом в организацию высшего образования «{RECEIVER}»" in ru
    assert "№ 1-у" in ru and "Иванова Петра Сергеевича" in ru and IIN in ru
    assert f"№ 512-П от {ordered_on.strftime('%d.%m.%Y')}" in ru
    assert "согласие на перевод № 01-12/345 от 01.07.2026" in ru
    assert "копии транскриптов и описи личных дел" in ru
    kk = document_text(client, h, view, "kk")
    assert "Басқа жоғары білім беру ұйымына ауысуына байланысты оқудан шығару туралы" in kk
    assert "Иванов Пётр Сергеевич" in kk and f"«{RECEIVER}»" in kk and "№ 1-у" in kk
    assert "01.07.2026 № 01-12/345 ауысуға келісім" in kk


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
