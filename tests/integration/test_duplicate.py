"""The registrar model `duplicate` (procedure 7, duplicate of a diploma, its supplement or a
transcript) end to end through the API, on both databases: the graduate's registration, the
archive check, the duplicate marked «ДУБЛИКАТ» in Russian and Kazakh, its entry in the journal
of issued duplicates, the rector's signature (and the return for correction), refusal for a
missing archive record, and the escalation timers."""

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
    "iin": make_iin(date(1999, 4, 12), "F", 3141), "last_name": "Смагулова", "first_name": "Дана",
    "middle_name": "Ержановна", "sex": "F", "programme_code": "6B06102",
    "programme_name": "Программная инженерия", "programme_name_kk": "Бағдарламалық инженерия",
    "level": "bachelor", "graduation_year": 2021,
    "document_type": "diploma", "trigger": "name_change", "former_last_name": "Ахметова",
}
ARCHIVE = {"archive_record_found": True, "trigger_document_checked": True,
           "original_series": "JB-B", "original_number": "0012345", "original_date": "2021-06-30",
           "qualification_ru": "бакалавр в области информационно-коммуникационных технологий",
           "qualification_kk": "ақпараттық-коммуникациялық технологиялар саласындағы бакалавр",
           "duplicate_series": "JB-D", "duplicate_number": "0004521", "decision": "approve"}
SIGNED = {"signed": True, "signed_date": "2026-08-14"}
ISSUED = {"issued_to": "in_person", "issued_date": "2026-08-15", "journal_signed": True}


@pytest.fixture
def deployed(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    return people


def _start(client, people, **changes):
    r = client.post("/api/v1/cases", headers=people["registrar"], json={
        "process_id": "duplicate", "channel": "egov", "data": {"applicant": {**APPLICANT, **changes}}})
    assert r.status_code == 201, r.json
    return r.json


def _tasks(client, people, cid):
    return [t["spec_name"] for t in case_view(client, people, cid)["open_tasks"]]


def _text(client, people, doc_id):
    r = client.get(f"/api/v1/documents/{doc_id}", headers=people["registrar"])
    assert r.status_code == 200
    return "\n".join(p.text for p in docx.Document(io.BytesIO(r.data)).paragraphs)


def test_registration_validates_the_applicant(client, deployed):
    applicant = {k: v for k, v in APPLICANT.items() if k != "former_last_name"}
    r = client.post("/api/v1/cases", headers=deployed["registrar"], json={
        "process_id": "duplicate", "data": {"applicant": {**applicant, "document_type": "passport"}}})
    assert r.status_code == 422
    assert {"data.applicant.document_type", "data.applicant.former_last_name"} <= set(r.json["fields"])


def test_duplicate_issued_end_to_end(client, ctx, deployed):
    h = deployed
    case = _start(client, h)
    cid = case["id"]
    received = datetime.fromisoformat(case["received_at"].replace("Z", "+00:00"))
    assert datetime.fromisoformat(case["deadline_at"].replace("Z", "+00:00")) == \
        ctx.calendar.deadline(received, 15, "working", "egov", ctx.tz)
    assert [t["spec_name"] for t in case["open_tasks"]] == ["check_archive"]
    assert (cid, "check_archive") not in group_inbox(client, h, "rector")
    body = complete(client, h, "registrar", cid, "check_archive",
                    {"archive_record_found": True, "decision": "approve"}, status=422)
    assert {"original_series", "original_number", "original_date", "qualification_ru",
            "qualification_kk", "duplicate_series", "duplicate_number"} <= set(body["fields"])
    # the duplicate's blank: its series in capitals, its number in digits
    body = complete(client, h, "registrar", cid, "check_archive",
                    {**ARCHIVE, "duplicate_series": "jb d", "duplicate_number": "45-21"}, status=422)
    assert {"duplicate_series", "duplicate_number"} <= set(body["fields"])
    assert _tasks(client, h, cid) == ["check_archive"]
    complete(client, h, "registrar", cid, "check_archive", ARCHIVE)

    # rendered by the dispatcher and numbered in the journal of duplicates, then the rector signs
    assert _tasks(client, h, cid) == [] and drain(ctx) >= 1
    view = case_view(client, h, cid)
    assert {d["number"] for d in view["documents"]} == {"1-д"}
    assert (cid, "rector_sign") in group_inbox(client, h, "rector")
    assert (cid, "rector_sign") not in group_inbox(client, h, "registrar")

    # the rector returns it for correction: a new duplicate with the next number
    body = complete(client, h, "rector", cid, "rector_sign", {"signed": False}, status=422)
    assert "rector_comment" in body["fields"]
    complete(client, h, "rector", cid, "rector_sign", {"signed": False, "rector_comment": "Опечатка"})
    # the registrar corrects it (the remark in the instruction), then the next version renders
    complete(client, h, "registrar", cid, "correct_duplicate", {"correction": "Опечатка исправлена"})
    assert drain(ctx) >= 1
    assert {d["number"] for d in case_view(client, h, cid)["documents"]} == {"1-д", "2-д"}
    complete(client, h, "rector", cid, "rector_sign", SIGNED)
    complete(client, h, "registrar", cid, "issue_duplicate", ISSUED)

    view = case_view(client, h, cid)
    assert view["status"] == "completed" and view["outcome"] == "issued"
    assert view["open_tasks"] == [] and view["timers"] == []
    kinds = [e["kind"] for e in view["history"]]
    assert kinds[0] == "case_started" and kinds[-1] == "case_completed"
    assert kinds.count("task_completed") == 5 and kinds.count("document_issued") == 2

    latest = [d for d in view["documents"] if d["number"] == "2-д"]
    ru = next(d for d in latest if d["language"] == "ru")
    text = _text(client, h, ru["id"])
    assert "ДУБЛИКАТ" in text and "Регистрационный № 2-д" in text
    assert f"Дубликат диплома выдан Смагуловой Дане Ержановне, ИИН {APPLICANT['iin']}" in text
    assert "взамен выданного на прежнюю фамилию оригинала" in text
    assert "серия JB-B № 0012345 от 30.06.2021" in text
    assert "Бланк дубликата: серия JB-D № 0004521" in text
    assert "изменение фамилии (прежняя фамилия: Ахметова)" in text
    assert "бакалавр в области информационно-коммуникационных технологий" in text
    assert "Дубликат выдан бесплатно" in text and "Ректор" in text
    kk = next(d for d in latest if d["language"] == "kk")
    text_kk = _text(client, h, kk["id"])
    assert "ТЕЛНҰСҚА (ДУБЛИКАТ)" in text_kk and "Смагулова Дана Ержановна" in text_kk
    assert "тегінің өзгеруі (бұрынғы тегі: Ахметова)" in text_kk
    assert "ақпараттық-коммуникациялық технологиялар саласындағы бакалавр" in text_kk
    assert "Телнұсқа бланкісі: сериясы JB-D № 0004521" in text_kk

    # the journal of issued duplicates: one row per number, the signer on the case
    r = client.get("/api/v1/registers/documents?register=duplicates", headers=h["head"])
    assert r.status_code == 200, r.json
    rows = {row["number"]: row for row in r.json["items"]}
    assert set(rows) == {"1-д", "2-д"}
    assert rows["2-д"]["kind"] == "duplicate" and rows["2-д"]["signed_by"] == "Rector"
    assert rows["2-д"]["kind_name"] == "Дубликат документа об образовании"
    assert rows["2-д"]["blank"] == "JB-D № 0004521"


@pytest.mark.parametrize(("ground", "comment"), [("no_archive_record", None), ("other", "Иное")])
def test_refused_after_archive_check(client, ctx, deployed, ground, comment):
    h = deployed
    cid = _start(client, h, trigger="loss", former_last_name="")["id"]
    answer = {"archive_record_found": False, "decision": "reject", "refusal_ground": ground}
    if comment:
        complete(client, h, "registrar", cid, "check_archive", answer, status=422)
        answer["archive_comment"] = comment
    complete(client, h, "registrar", cid, "check_archive", answer)
    view = case_view(client, h, cid)
    assert view["status"] == "rejected" and view["outcome"] == "refused"
    assert view["refusal_ground"] == ground
    assert view["open_tasks"] == [] and view["documents"] == [] and view["timers"] == []
    assert drain(ctx) == 2  # the reasoned refusal letter (tests/integration/test_letters.py)


def test_damaged_supplement_wording(client, ctx, deployed):
    h = deployed
    cid = _start(client, h, trigger="damage", document_type="supplement")["id"]
    complete(client, h, "registrar", cid, "check_archive", ARCHIVE)
    drain(ctx)
    view = case_view(client, h, cid)
    ru = next(d for d in view["documents"] if d["language"] == "ru")
    text = _text(client, h, ru["id"])
    assert "Дубликат приложения к диплому выдан" in text and "взамен испорченного оригинала" in text
    assert "Основание выдачи дубликата: порча оригинала" in text
    kk = next(d for d in view["documents"] if d["language"] == "kk")
    assert "бүлінген түпнұсқаның орнына" in _text(client, h, kk["id"])


@pytest.mark.parametrize(("step", "user", "days"), [("check_archive", "registrar", 5),
                                                    ("rector_sign", "rector", 2)])
def test_overdue_steps_escalate_once(client, ctx, deployed, step, user, days):
    h = deployed
    cid = _start(client, h)["id"]
    if step == "rector_sign":
        complete(client, h, "registrar", cid, "check_archive", ARCHIVE)
        drain(ctx)
    view = case_view(client, h, cid)
    assert [t["spec_name"] for t in view["open_tasks"]] == [step] and len(view["timers"]) == 1
    due = datetime.fromisoformat(view["timers"][0]["due_at"])
    local_due = ctx.calendar.add_working_days(utcnow().astimezone(ctx.tz).date(), days)
    assert due.astimezone(ctx.tz).date() == local_due + timedelta(days=1)
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        assert fire_due_timers(ctx) == 1
        assert fire_due_timers(ctx) == 0
    view = case_view(client, h, cid)
    escalations = [e for e in view["history"] if e["kind"] == "escalated"]
    assert len(escalations) == 1 and escalations[0]["payload"]["to_role"] == "registrar_head"
    assert [t["spec_name"] for t in view["open_tasks"]] == [step]
    complete(client, h, user, cid, step, ARCHIVE if step == "check_archive" else SIGNED)
    assert case_view(client, h, cid)["status"] == "in_progress"
