"""The registrar model `transfer_internal` (procedure 2, change of programme, form or language)
end to end through the API, on both databases: the registrar's check with the return loop,
the dean of the student's faculty (academic difference, escalation), the difference limit of
workflows/transfer_rules.dmn (a lower year above it), the funding gateway (a grant only within
the same group of programmes, otherwise paid only, with the accountant's contract), the
vice-rector, the order «О переводе» in Russian and Kazakh, refusals with a ground."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine

from server.auth import Actor
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.services.background.jobs import fire_due_timers
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

IIN = make_iin(date(2005, 2, 14), "F", 2718)
TARGET = {"new_programme_code": "6B04101", "new_programme_name": "Экономика", "new_form": "full_time",
          "new_language": "kk", "transfer_reason": "Смена специальности"}
DOCS = {"doc_application": True, "doc_identity": True, "doc_transcript": True, **TARGET}
CHECKED = {**DOCS, "documents_complete": True, "registrar_decision": "approve"}
DIFFERENCE_30 = {"dean_decision": "approve", "final_year": False,
                 "difference": [{"discipline": "Микроэкономика",
                                 "discipline_kk": "Микроэкономика", "credits": 15},
                                {"discipline": "Макроэкономика",
                                 "discipline_kk": "Макроэкономика", "credits": 15}],
                 "difference_credits": 30, "difference_deadline": "2026-12-25"}
DIFFERENCE_6 = {"dean_decision": "approve", "final_year": False,
                "difference": [{"discipline": "Микроэкономика",
                                "discipline_kk": "Микроэкономика", "credits": 6}],
                "difference_credits": 6, "difference_deadline": "2026-12-25"}
GRANT_KEPT = {"same_programme_group": True, "funding_basis": "grant"}


@pytest.fixture
def env(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    student = add_student(ctx, IIN, last_name="Петрова", first_name="Анна", middle_name="Ивановна",
                          sex="F", year=3)
    return {"h": people, "student_id": student}


def _start(client, env):
    return start_case(client, env["h"], "transfer_internal", env["student_id"])


def test_transfer_internal_paid_after_grant_lost(client, ctx, env):
    h = env["h"]
    cid = _start(client, env)["id"]
    return_for_correction(client, h, cid, "check_documents",
                          {**CHECKED, "doc_transcript": False}, "Транскрипт")
    complete(client, h, "registrar", cid, "check_documents", CHECKED)

    # the dean of the student's faculty only
    assert (cid, "dean_review") not in group_inbox(client, h, "dean_econ")
    assert (cid, "dean_review") in group_inbox(client, h, "dean_it")
    assert client.get(f"/api/v1/cases/{cid}", headers=h["dean_econ"]).status_code == 404
    complete(client, h, "dean_it", cid, "dean_review", DIFFERENCE_30)

    # 30 credits > 24 (bachelor, transfer_rules.dmn): a lower year
    view = case_view(client, h, cid)
    assert spec_names(view) == ["enrol_lower_year"]
    assert view["data"]["max_difference_credits"] == 24
    complete(client, h, "registrar", cid, "enrol_lower_year",
             {"enrol_year": 2, "lower_year_reason": "Разница 30 кредитов"})

    # a grant is kept only within the same group of programmes: otherwise paid only
    assert spec_names(case_view(client, h, cid)) == ["check_grant"]
    body = complete(client, h, "registrar", cid, "check_grant",
                    {"same_programme_group": False, "funding_basis": "grant"}, status=422)
    assert "funding_basis" in body["fields"]
    complete(client, h, "registrar", cid, "check_grant",
             {"same_programme_group": False, "funding_basis": "paid"})
    assert (cid, "paid_contract") in group_inbox(client, h, "accountant")
    assert (cid, "paid_contract") not in group_inbox(client, h, "registrar")
    complete(client, h, "accountant", cid, "paid_contract",
             {"contract_number": "77/2026", "contract_date": "2026-07-05", "prepayment_received": True})

    assert (cid, "vice_rector_approve") not in group_inbox(client, h, "dean_it")
    complete(client, h, "vicerector", cid, "vice_rector_approve", {"vr_decision": "approve"})
    assert drain(ctx) >= 1
    assert (cid, "rector_sign") in group_inbox(client, h, "rector")
    complete(client, h, "rector", cid, "rector_sign", {"signed": True, "signed_date": "2026-07-10"})

    view = case_view(client, h, cid)
    assert view["status"] == "completed" and view["outcome"] == "issued"
    assert view["open_tasks"] == [] and view["timers"] == []
    kinds = history_kinds(view)
    assert kinds[0] == "case_started" and kinds[-1] == "case_completed"
    assert kinds.count("task_completed") == 9 and kinds.count("document_issued") == 1

    ru = document_text(client, h, view, "ru")
    assert "О переводе" in ru and "1-у" in ru
    assert "1. Перевести с " in ru and "на указанные образовательную программу, форму и язык" in ru
    assert "Петрову Анну Ивановну" in ru and IIN in ru
    assert "6B06102" in ru and "6B04101 Экономика" in ru and "казахский" in ru and "платная" in ru
    assert "30, до 25.12.2026" in ru
    assert "договор об оказании платных образовательных услуг № 77/2026 от 05.07.2026" in ru
    kk = document_text(client, h, view, "kk")
    assert "Ауыстыру туралы" in kk and "Петрова Анна Ивановна" in kk and "ақылы" in kk
    assert "30, 25.12.2026 дейін" in kk


def test_grant_kept_within_limit(client, ctx, env):
    h = env["h"]
    cid = _start(client, env)["id"]
    complete(client, h, "registrar", cid, "check_documents", CHECKED)
    complete(client, h, "dean_it", cid, "dean_review", DIFFERENCE_6)
    assert spec_names(case_view(client, h, cid)) == ["check_grant"]  # no lower year
    complete(client, h, "registrar", cid, "check_grant", GRANT_KEPT)
    # the grant is kept: no contract, straight to the vice-rector
    assert (cid, "paid_contract") not in group_inbox(client, h, "accountant")
    complete(client, h, "vicerector", cid, "vice_rector_approve", {"vr_decision": "approve"})
    drain(ctx)
    complete(client, h, "rector", cid, "rector_sign", {"signed": True, "signed_date": "2026-07-10"})
    view = case_view(client, h, cid)
    assert view["outcome"] == "issued"
    ru = document_text(client, h, view, "ru")
    assert "грант" in ru and "6, до 25.12.2026" in ru and "договор" not in ru


@pytest.mark.parametrize(("step", "ground"), [("registrar", "first_period_not_completed"),
                                              ("dean", "no_place"), ("vice_rector", "other")])
def test_transfer_internal_refused(client, ctx, env, step, ground):
    h = env["h"]
    cid = _start(client, env)["id"]
    if step == "registrar":
        complete(client, h, "registrar", cid, "check_documents",
                 {**DOCS, "documents_complete": True, "registrar_decision": "reject",
                  "registrar_refusal_ground": ground})
    else:
        complete(client, h, "registrar", cid, "check_documents", CHECKED)
        if step == "dean":
            complete(client, h, "dean_it", cid, "dean_review",
                     {"dean_decision": "reject", "dean_refusal_ground": ground})
        else:
            complete(client, h, "dean_it", cid, "dean_review", DIFFERENCE_6)
            complete(client, h, "registrar", cid, "check_grant", GRANT_KEPT)
            complete(client, h, "vicerector", cid, "vice_rector_approve",
                     {"vr_decision": "reject", "vr_refusal_ground": ground, "vr_comment": "Нет группы"})
    assert_refused(ctx, case_view(client, h, cid), ground)
    assert drain(ctx) == 2  # the reasoned refusal letter (tests/integration/test_letters.py)


@pytest.mark.parametrize(("step", "user"),
                         [("dean_review", "dean_it"), ("vice_rector_approve", "vicerector")])
def test_overdue_approval_escalates_once(client, ctx, env, step, user):
    h = env["h"]
    cid = _start(client, env)["id"]
    complete(client, h, "registrar", cid, "check_documents", CHECKED)
    if step == "vice_rector_approve":
        complete(client, h, "dean_it", cid, "dean_review", DIFFERENCE_6)
        complete(client, h, "registrar", cid, "check_grant", GRANT_KEPT)
    view = case_view(client, h, cid)
    assert spec_names(view) == [step] and len(view["timers"]) == 1
    due = datetime.fromisoformat(view["timers"][0]["due_at"])
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        assert fire_due_timers(ctx) == 1
        assert fire_due_timers(ctx) == 0
    view = case_view(client, h, cid)
    escalated = [e["payload"]["to_role"] for e in view["history"] if e["kind"] == "escalated"]
    assert escalated == ["registrar_head"]
    assert spec_names(view) == [step]
    decision = DIFFERENCE_6 if step == "dean_review" else {"vr_decision": "approve"}
    complete(client, h, user, cid, step, decision)
    assert case_view(client, h, cid)["status"] == "in_progress"
