"""The registrar model `transfer_in` end to end through the API: every role's inbox, the
return-for-correction loop, the academic-difference DMN, the document step on the
background dispatcher, the personal-file timer with a controlled clock, and refusals."""

from __future__ import annotations

import io
from datetime import timedelta

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
    "iin": make_iin(__import__("datetime").date(2004, 3, 9), "M", 4321),
    "last_name": "Иванов", "first_name": "Пётр", "middle_name": "Сергеевич",
    "sending_university": "КарУ им. Букетова",
    "sending_university_kk": "Академик Е. А. Бөкетов атындағы Қарағанды университеті",
    "programme_code": "6B06102",
    "programme_name": "Программная инженерия", "year": 2, "level": "bachelor",
    "form": "full_time", "language": "ru", "funding": "paid", "faculty_code": "IT",
}
ALL_DOCS = {"doc_application": True, "doc_sending_consent": True, "doc_transcript": True,
            "doc_unt_certificate": True, "doc_identity": True, "documents_complete": True}
# The answers that take a paid-basis transfer_in case to its order (the document step).
TO_ORDER = {
    "check_documents": ALL_DOCS,
    "determine_difference": {"final_year": False, "difference": [], "difference_credits": 0,
                             "dean_decision": "approve"},
    "paid_contract": {"contract_number": "Д-1", "contract_date": "2026-08-12",
                      "prepayment_received": True},
    "vr_approval": {"vr_decision": "approve"},
}


@pytest.fixture
def deployed(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    return people


def _start(client, people, **data):
    body = {"process_id": "transfer_in", "channel": "state_corporation",
            "data": {"applicant": {**APPLICANT, **data}}}
    r = client.post("/api/v1/cases", headers=people["registrar"], json=body)
    assert r.status_code == 201, r.json
    return r.json


def test_registration_form_validates_applicant(client, deployed):
    r = client.post("/api/v1/cases", headers=deployed["registrar"], json={
        "process_id": "transfer_in", "data": {"applicant": {**APPLICANT, "iin": "123456789012"}}})
    assert r.status_code == 422
    assert "data.applicant.iin" in r.json["fields"]
    r = client.get("/api/v1/cases", headers=deployed["registrar"])
    assert r.json["total"] == 0


def test_transfer_in_approved_end_to_end(client, ctx, deployed):
    people = deployed
    case = _start(client, people)
    cid = case["id"]
    assert [t["spec_name"] for t in case["open_tasks"]] == ["check_documents"]
    assert (cid, "determine_difference") not in group_inbox(client, people, "dean_it")

    # incomplete documents -> returned for correction -> resubmitted -> checked again
    complete(client, people, "registrar", cid, "check_documents",
              {**ALL_DOCS, "doc_transcript": False, "documents_complete": False,
               "missing_documents": "Транскрипт"})
    assert case_view(client, people, cid)["status"] == "returned"
    complete(client, people, "registrar", cid, "resubmit_application",
              {"resubmitted_date": "2026-08-10", "resubmitted_documents": "Транскрипт"})
    assert case_view(client, people, cid)["status"] == "in_progress"
    complete(client, people, "registrar", cid, "check_documents", ALL_DOCS)

    # only the dean of the applicant's faculty sees and may act
    assert (cid, "determine_difference") not in group_inbox(client, people, "dean_econ")
    task = group_inbox(client, people, "dean_it")[(cid, "determine_difference")]
    r = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=people["dean_econ"],
                    json={"data": {}})
    assert r.status_code in (403, 404)
    complete(client, people, "dean_it", cid, "determine_difference", {
        "final_year": False, "difference": [{"discipline": "Алгоритмы",
                                             "discipline_kk": "Алгоритмдер", "credits": 6}],
        "difference_credits": 6, "difference_deadline": "2026-12-25", "dean_decision": "approve"})
    complete(client, people, "accountant", cid, "paid_contract", {
        "contract_number": "Д-17", "contract_date": "2026-08-12", "prepayment_received": True})
    complete(client, people, "vicerector", cid, "vr_approval", {"vr_decision": "approve"})

    # the order is rendered by the background dispatcher, then the rector signs
    assert case_view(client, people, cid)["open_tasks"] == []
    assert drain(ctx) >= 1
    view = case_view(client, people, cid)
    numbers = {d["number"] for d in view["documents"]}
    assert numbers == {"1-у"} and {d["language"] for d in view["documents"]} == {"ru", "kk"}
    complete(client, people, "rector", cid, "sign_order", {"signed": True, "signed_date": "2026-08-14"})
    # the military-office notice and the personal-file request letter (tests/integration/test_letters.py)
    assert drain(ctx) == 4

    # the personal-file request waits with a timer of 3 working days; it escalates once
    view = case_view(client, people, cid)
    assert [t["spec_name"] for t in view["open_tasks"]] == ["request_personal_file"]
    assert len(view["timers"]) == 1
    with time_machine.travel(utcnow() + timedelta(days=8), tick=False):
        assert fire_due_timers(ctx) == 1
        assert fire_due_timers(ctx) == 0
    kinds = [e["kind"] for e in case_view(client, people, cid)["history"]]
    assert kinds.count("escalated") == 1 and kinds.count("timer_fired") == 1
    complete(client, people, "registrar", cid, "request_personal_file", {
        "personal_file_request_date": "2026-08-15", "personal_file_request_number": "01-12/345",
        "personal_file_request_method": "email"})

    view = case_view(client, people, cid)
    assert view["status"] == "completed" and view["outcome"] == "issued"
    kinds = [e["kind"] for e in view["history"]]
    assert kinds[0] == "case_started" and kinds[-1] == "case_completed"
    assert kinds.count("task_completed") == 8 and "document_issued" in kinds

    ru = next(d for d in view["documents"] if d["language"] == "ru")
    r = client.get(f"/api/v1/documents/{ru['id']}", headers=people["registrar"])
    assert r.status_code == 200
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(r.data)).paragraphs)
    cells = "\n".join(c.text for t in docx.Document(io.BytesIO(r.data)).tables
                      for row in t.rows for c in row.cells)
    assert "1-у" in text
    assert "Иванова Петра Сергеевича" in cells
    assert APPLICANT["iin"] in cells
    r = client.get(f"/api/v1/documents/{ru['id']}", headers=people["dean_econ"])
    assert r.status_code == 404


@pytest.mark.parametrize("step", ["dean", "vice_rector"])
def test_transfer_in_refused(client, ctx, deployed, step):
    people = deployed
    cid = _start(client, people, funding="paid")["id"]
    complete(client, people, "registrar", cid, "check_documents", ALL_DOCS)
    if step == "dean":
        complete(client, people, "dean_it", cid, "determine_difference", {
            "dean_decision": "reject", "dean_refusal_ground": "poor_grades_or_debts"})
        ground = "poor_grades_or_debts"
    else:
        complete(client, people, "dean_it", cid, "determine_difference", {
            "final_year": False, "difference": [], "difference_credits": 0, "dean_decision": "approve"})
        complete(client, people, "accountant", cid, "paid_contract", {
            "contract_number": "Д-1", "contract_date": "2026-08-12", "prepayment_received": True})
        complete(client, people, "vicerector", cid, "vr_approval",
                  {"vr_decision": "reject", "vr_refusal_ground": "no_place"})
        ground = "no_place"
    view = case_view(client, people, cid)
    assert view["status"] == "rejected" and view["refusal_ground"] == ground
    assert view["open_tasks"] == [] and view["documents"] == []
    assert drain(ctx) == 2  # the reasoned refusal letter (tests/integration/test_letters.py)


def test_refusal_without_ground_is_rejected_by_the_form(client, deployed):
    people = deployed
    cid = _start(client, people)["id"]
    complete(client, people, "registrar", cid, "check_documents", ALL_DOCS)
    body = complete(client, people, "dean_it", cid, "determine_difference",
                     {"dean_decision": "reject"}, status=422)
    assert "dean_refusal_ground" in body["fields"]
    assert [t["spec_name"] for t in case_view(client, people, cid)["open_tasks"]] == ["determine_difference"]
