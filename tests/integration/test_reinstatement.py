"""The registrar model `reinstatement` end to end through the API: the former student's
registration, the first-period refusal, the return-for-correction loop, the dean (scoped to the
faculty) and vice-rector approvals with their escalation timers, the order on the background
dispatcher, the academic-difference reminder, refusals with grounds and the audit trail."""

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
from tests.integration.api import case_view, complete, group_inbox

APPLICANT = {
    "iin": make_iin(date(2003, 6, 2), "M", 5432),
    "last_name": "Иванов", "first_name": "Пётр", "middle_name": "Сергеевич",
    "programme_code": "6B06102", "programme_name": "Программная инженерия", "year": 2,
    "level": "bachelor", "form": "full_time", "language": "ru", "funding": "paid",
    "faculty_code": "IT", "expelled_order_number": "77-у", "expelled_date": "2025-02-01",
    "first_period_completed": True,
}
ALL_DOCS = {"doc_application": True, "doc_identity": True, "doc_transcript": True,
            "doc_expulsion_order": True, "documents_complete": True}
CHECKED = {**ALL_DOCS, "registrar_decision": "approve", "enrol_year": 2,
           "difference": [{"discipline": "Базы данных",
                           "discipline_kk": "Деректер базасы", "credits": 6}], "difference_credits": 6,
           "difference_deadline": "2026-12-25", "funding_basis": "paid"}


@pytest.fixture
def deployed(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    return people


def _start(client, people, **data):
    body = {"process_id": "reinstatement", "channel": "egov",
            "data": {"applicant": {**APPLICANT, **data}}}
    r = client.post("/api/v1/cases", headers=people["registrar"], json=body)
    assert r.status_code == 201, r.json
    return r.json


def _open_tasks(client, people, case_id):
    return [t["spec_name"] for t in case_view(client, people, case_id)["open_tasks"]]


def test_registration_form_validates_applicant(client, deployed):
    applicant = {k: v for k, v in APPLICANT.items() if k != "first_period_completed"}
    r = client.post("/api/v1/cases", headers=deployed["registrar"], json={
        "process_id": "reinstatement", "data": {"applicant": {**applicant, "iin": "123456789012"}}})
    assert r.status_code == 422
    assert "data.applicant.iin" in r.json["fields"]
    assert "data.applicant.first_period_completed" in r.json["fields"]
    assert client.get("/api/v1/cases", headers=deployed["registrar"]).json["total"] == 0


def test_reinstatement_approved_end_to_end(client, ctx, deployed):
    people = deployed
    case = _start(client, people)
    cid = case["id"]
    assert [t["spec_name"] for t in case["open_tasks"]] == ["check_documents"]
    assert (cid, "check_documents") in group_inbox(client, people, "registrar2")
    assert (cid, "check_documents") not in group_inbox(client, people, "dean_it")

    # incomplete documents -> returned for correction -> resubmitted -> checked again
    complete(client, people, "registrar", cid, "check_documents",
              {**ALL_DOCS, "doc_transcript": False, "documents_complete": False,
               "registrar_decision": "approve", "missing_documents": "Транскрипт"})
    assert case_view(client, people, cid)["status"] == "returned"
    assert _open_tasks(client, people, cid) == ["resubmit_application"]
    complete(client, people, "registrar", cid, "resubmit_application",
              {"resubmitted_date": "2026-08-10", "resubmitted_documents": "Транскрипт"})
    assert case_view(client, people, cid)["status"] == "in_progress"
    complete(client, people, "registrar", cid, "check_documents", CHECKED)

    # only the dean of the applicant's faculty sees and may act
    assert (cid, "dean_review") not in group_inbox(client, people, "dean_econ")
    assert (cid, "dean_review") not in group_inbox(client, people, "vicerector")
    task = group_inbox(client, people, "dean_it")[(cid, "dean_review")]
    r = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=people["dean_econ"],
                    json={"data": {"dean_decision": "approve"}})
    assert r.status_code in (403, 404)
    assert client.get(f"/api/v1/cases/{cid}", headers=people["dean_econ"]).status_code == 404
    complete(client, people, "dean_it", cid, "dean_review", {"dean_decision": "approve"})
    assert (cid, "vice_rector_approve") not in group_inbox(client, people, "rector")
    complete(client, people, "vicerector", cid, "vice_rector_approve", {"vr_decision": "approve"})

    # the order is rendered by the background dispatcher, then the rector signs
    assert _open_tasks(client, people, cid) == []
    assert drain(ctx) >= 1
    view = case_view(client, people, cid)
    assert {d["number"] for d in view["documents"]} == {"1-у"}
    assert {d["language"] for d in view["documents"]} == {"ru", "kk"}
    assert (cid, "rector_sign") not in group_inbox(client, people, "registrar")
    complete(client, people, "rector", cid, "rector_sign", {"signed": True, "signed_date": "2026-08-14"})
    # an order on reinstatement enrols: the military office is notified of a male citizen of
    # call-up age (23 on the order's date)
    assert drain(ctx) >= 1
    view = case_view(client, people, cid)
    assert view["data"]["military_notice"]["issued"] is True
    letter = next(d for d in view["documents"] if d["kind"] == "letter_military" and d["language"] == "ru")
    r = client.get(f"/api/v1/documents/{letter['id']}", headers=people["registrar"])
    letter_doc = docx.Document(io.BytesIO(r.data))
    letter_text = "\n".join(p.text for p in letter_doc.paragraphs) + "\n".join(
        c.text for t in letter_doc.tables for row in t.rows for c in row.cells)
    assert "восстановлены в число обучающихся" in letter_text and APPLICANT["iin"] in letter_text

    # the academic difference is followed up; after 60 working days the dean is reminded once
    view = case_view(client, people, cid)
    assert [t["spec_name"] for t in view["open_tasks"]] == ["difference_control"]
    assert len(view["timers"]) == 1
    due = datetime.fromisoformat(view["timers"][0]["due_at"])
    assert due - utcnow() > timedelta(days=60)
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        assert fire_due_timers(ctx) == 1
        assert fire_due_timers(ctx) == 0
    view = case_view(client, people, cid)
    assert [e["kind"] for e in view["history"]].count("timer_fired") == 1
    assert [t["spec_name"] for t in view["open_tasks"]] == ["difference_control"]
    complete(client, people, "registrar", cid, "difference_control",
              {"difference_cleared": True, "difference_cleared_date": "2026-12-20"})

    view = case_view(client, people, cid)
    assert view["status"] == "completed" and view["outcome"] == "issued"
    assert view["open_tasks"] == [] and view["timers"] == []
    kinds = [e["kind"] for e in view["history"]]
    assert kinds[0] == "case_started" and kinds[-1] == "case_completed"
    assert kinds.count("task_completed") == 7 and kinds.count("document_issued") == 2

    ru = next(d for d in view["documents"] if d["language"] == "ru" and d["kind"] != "letter_military")
    r = client.get(f"/api/v1/documents/{ru['id']}", headers=people["registrar"])
    assert r.status_code == 200
    document = docx.Document(io.BytesIO(r.data))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    assert "О восстановлении в число обучающихся" in text and "1-у" in text
    assert "Восстановить в число обучающихся" in text
    assert "приказ об отчислении № 77-у от 01.02.2025" in text
    assert "Иванова Петра Сергеевича" in cells and APPLICANT["iin"] in cells
    assert "6, до 25.12.2026" in cells
    kk = next(d for d in view["documents"] if d["language"] == "kk" and d["kind"] != "letter_military")
    r = client.get(f"/api/v1/documents/{kk['id']}", headers=people["registrar"])
    document = docx.Document(io.BytesIO(r.data))
    assert "Білім алушылар қатарына қайта қабылдау туралы" in "\n".join(p.text for p in document.paragraphs)
    r = client.get(f"/api/v1/documents/{ru['id']}", headers=people["dean_econ"])
    assert r.status_code == 404


def test_first_period_not_completed_is_refused(client, ctx, deployed):
    people = deployed
    cid = _start(client, people, first_period_completed=False)["id"]
    view = case_view(client, people, cid)
    assert view["status"] == "rejected" and view["outcome"] == "refused"
    assert view["refusal_ground"] == "first_period_not_completed"
    assert view["open_tasks"] == [] and view["documents"] == [] and view["timers"] == []
    assert drain(ctx) == 2  # the reasoned refusal letter (tests/integration/test_letters.py)


@pytest.mark.parametrize(("step", "ground"), [("registrar", "first_period_not_completed"),
                                              ("dean", "no_place"), ("vice_rector", "other")])
def test_reinstatement_refused(client, ctx, deployed, step, ground):
    people = deployed
    cid = _start(client, people)["id"]
    if step == "registrar":
        complete(client, people, "registrar", cid, "check_documents", {
            **ALL_DOCS, "registrar_decision": "reject", "registrar_refusal_ground": ground})
    else:
        complete(client, people, "registrar", cid, "check_documents", CHECKED)
        if step == "dean":
            complete(client, people, "dean_it", cid, "dean_review",
                      {"dean_decision": "reject", "dean_refusal_ground": ground})
        else:
            complete(client, people, "dean_it", cid, "dean_review", {"dean_decision": "approve"})
            complete(client, people, "vicerector", cid, "vice_rector_approve", {
                "vr_decision": "reject", "vr_refusal_ground": ground, "vr_comment": "Нет группы"})
    view = case_view(client, people, cid)
    assert view["status"] == "rejected" and view["refusal_ground"] == ground
    assert view["open_tasks"] == [] and view["documents"] == [] and view["timers"] == []
    kinds = [e["kind"] for e in view["history"]]
    assert kinds[0] == "case_started" and kinds[-1] == "case_completed"
    assert drain(ctx) == 2  # the reasoned refusal letter (tests/integration/test_letters.py)


def test_refusal_without_ground_is_rejected_by_the_form(client, deployed):
    people = deployed
    cid = _start(client, people)["id"]
    complete(client, people, "registrar", cid, "check_documents", CHECKED)
    body = complete(client, people, "dean_it", cid, "dean_review", {"dean_decision": "reject"}, status=422)
    assert "dean_refusal_ground" in body["fields"]
    body = complete(client, people, "dean_it", cid, "dean_review",
                     {"dean_decision": "reject", "dean_refusal_ground": "other"}, status=422)
    assert "dean_comment" in body["fields"]
    assert _open_tasks(client, people, cid) == ["dean_review"]


@pytest.mark.parametrize(("step", "user"),
                         [("dean_review", "dean_it"), ("vice_rector_approve", "vicerector")])
def test_overdue_approval_escalates_once(client, ctx, deployed, step, user):
    people = deployed
    cid = _start(client, people)["id"]
    complete(client, people, "registrar", cid, "check_documents", CHECKED)
    if step == "vice_rector_approve":
        complete(client, people, "dean_it", cid, "dean_review", {"dean_decision": "approve"})
    view = case_view(client, people, cid)
    assert [t["spec_name"] for t in view["open_tasks"]] == [step] and len(view["timers"]) == 1
    with time_machine.travel(utcnow() + timedelta(days=8), tick=False):
        assert fire_due_timers(ctx) == 1
        assert fire_due_timers(ctx) == 0
    view = case_view(client, people, cid)
    kinds = [e["kind"] for e in view["history"]]
    assert kinds.count("escalated") == 1 and kinds.count("timer_fired") == 1
    # the step stays with its owner (non-interrupting timer) and can still be decided
    assert [t["spec_name"] for t in view["open_tasks"]] == [step]
    decision = "dean_decision" if step == "dean_review" else "vr_decision"
    complete(client, people, user, cid, step, {decision: "approve"})
    assert case_view(client, people, cid)["status"] != "rejected"


def test_a_foreign_former_student_is_not_notified_to_the_military_office(client, ctx, deployed):
    """The military-office notice reads citizenship from the registry: a former student the
    registry shows as a foreign citizen is not listed, though the application says nothing of
    citizenship, and no letter is issued."""
    from tests.integration.api import add_student

    add_student(ctx, APPLICANT["iin"], citizenship="KOR", status="expelled")
    people = deployed
    cid = _start(client, people)["id"]
    complete(client, people, "registrar", cid, "check_documents", CHECKED)
    complete(client, people, "dean_it", cid, "dean_review", {"dean_decision": "approve"})
    complete(client, people, "vicerector", cid, "vice_rector_approve", {"vr_decision": "approve"})
    assert drain(ctx) >= 1
    complete(client, people, "rector", cid, "rector_sign", {"signed": True, "signed_date": "2026-08-14"})
    drain(ctx)
    view = case_view(client, people, cid)
    assert view["data"]["military_notice"] == {"issued": False, "students": 0}
    assert not [d for d in view["documents"] if d["kind"] == "letter_military"]
    assert [t["spec_name"] for t in view["open_tasks"]] == ["difference_control"]
