"""The retake and summer semester (`retake`) end to end through the API on the record of
tests/integration/record_data.py: only disciplines in academic debt are accepted where the
application enters (ru/kk/en, nothing stored); an FX is retaken free of charge, an F in the paid
summer semester whose payment accounting confirms (or the case is refused `not_paid`); the
registrar enrols the student into the summer group and records the new points, written as the
next attempt naming the case and the grade sheet; the record then counts the new result."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from server.auth import Actor
from server.models import Case, Result
from server.services.procedures import deployments
from server.services.record import results as record_results
from tests.integration.api import case_view, complete, group_inbox
from tests.integration.record_data import FIRST_YEAR, seed

API = "/api/v1"
SUMMER = {"summer_group": "ЛС-ПИ-24", "academic_year": FIRST_YEAR}


@pytest.fixture
def env(ctx, people, client):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    ids = seed(ctx)
    # student B failed Physics outright: an F, studied again in the paid summer semester
    r = client.post(f"{API}/students/{ids['b']}/results", headers=people["registrar"],
                    json={"discipline_code": "PHY102", "academic_year": FIRST_YEAR, "term": 2, "points": 20})
    assert r.status_code == 201, r.json
    return {"h": people, "ids": ids}


def _count(ctx, model) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count(model.id)))


def _post(client, env, disciplines, student="a", lang="ru"):
    return client.post(f"{API}/cases", headers={**env["h"]["registrar"], "Accept-Language": lang}, json={
        "process_id": "retake", "student_id": env["ids"][student], "data": {"disciplines": disciplines}})


def _start(client, env, disciplines, student="a") -> int:
    r = _post(client, env, disciplines, student)
    assert r.status_code == 201, r.json
    return r.json["id"]


def _record(client, env, student="a") -> dict:
    r = client.get(f"{API}/students/{env['ids'][student]}/record", headers=env["h"]["registrar"])
    assert r.status_code == 200, r.json
    return r.json


def test_an_fx_is_retaken_free_and_the_new_attempt_counts(client, ctx, env):
    cid = _start(client, env, ["PHY102"])
    assert _record(client, env)["overall"]["debts"] == ["PHY102"]
    complete(client, env["h"], "registrar", cid, "check_retake", {"decision": "approve"})
    view = case_view(client, env["h"], cid)
    assert [t["spec_name"] for t in view["open_tasks"]] == ["enrol_group"]  # no payment for an FX
    complete(client, env["h"], "registrar", cid, "enrol_group", SUMMER)
    # the case waits for the result: every discipline of the application, and only those
    body = complete(client, env["h"], "registrar", cid, "record_retake_results",
                    {"results": [{"discipline_code": "MAT101", "points": 90}]}, status=422)
    assert "results" in body["fields"]
    assert _count(ctx, Result) == 6
    complete(client, env["h"], "registrar", cid, "record_retake_results",
             {"results": [{"discipline_code": "PHY102", "points": 72}]})
    view = case_view(client, env["h"], cid)
    assert view["status"] == "completed" and view["outcome"] == "completed"
    change = next(e for e in view["history"] if e["kind"] == "result_recorded")["payload"]
    assert (change["old_letter"], change["new_points"], change["new_letter"], change["attempt"]) == (
        "FX", 72, "C+", 2)
    record = _record(client, env)
    assert record["overall"]["debts"] == []
    phy = next(x for t in record["terms"] for x in t["results"] if x["discipline_code"] == "PHY102")
    assert (phy["attempt"], phy["letter"]) == (2, "C+")
    rows = record_results.history(ctx, Actor.system(), env["ids"]["a"], "PHY102")
    assert [(r.attempt, r.letter, r.case_id) for r in rows] == [(1, "FX", None), (2, "C+", cid)]


def test_an_f_needs_the_payment_confirmed_and_the_result_names_the_sheet(client, ctx, env):
    cid = _start(client, env, ["PHY102"], student="b")
    complete(client, env["h"], "registrar", cid, "check_retake", {"decision": "approve"})
    assert (cid, "confirm_payment") in group_inbox(client, env["h"], "accountant")
    body = complete(client, env["h"], "accountant", cid, "confirm_payment", {"payment_decision": "confirmed"},
                    status=422)
    assert {"receipt_number", "payment_date", "amount"} <= set(body["fields"])
    complete(client, env["h"], "accountant", cid, "confirm_payment",
             {"payment_decision": "confirmed", "receipt_number": "ПП-118", "payment_date": "2026-06-20",
              "amount": 75000})
    complete(client, env["h"], "registrar", cid, "enrol_group", SUMMER)
    sheet = client.post(f"{API}/grade-sheets", headers=env["h"]["registrar"], json={
        "group": "ЛС-ПИ-24", "discipline_code": "PHY102", "academic_year": FIRST_YEAR, "term": 2,
        "summer_group": True})
    assert sheet.status_code == 201, sheet.json
    complete(client, env["h"], "registrar", cid, "record_retake_results",
             {"results": [{"discipline_code": "PHY102", "points": 55}], "sheet_number": "999"}, status=422)
    complete(client, env["h"], "registrar", cid, "record_retake_results",
             {"results": [{"discipline_code": "PHY102", "points": 55}],
              "sheet_number": str(sheet.json["id"])})
    assert case_view(client, env["h"], cid)["outcome"] == "completed"
    rows = record_results.history(ctx, Actor.system(), env["ids"]["b"], "PHY102")
    assert (rows[-1].attempt, rows[-1].letter, rows[-1].sheet_id, rows[-1].case_id) == (
        2, "D+", sheet.json["id"], cid)


def test_an_unconfirmed_payment_refuses_the_retake(client, ctx, env):
    cid = _start(client, env, ["PHY102"], student="b")
    complete(client, env["h"], "registrar", cid, "check_retake", {"decision": "approve"})
    complete(client, env["h"], "accountant", cid, "confirm_payment", {"payment_decision": "not_paid"})
    view = case_view(client, env["h"], cid)
    assert view["status"] == "rejected" and view["outcome"] == "refused"
    assert view["refusal_ground"] == "not_paid" and view["open_tasks"] == []
    assert _count(ctx, Result) == 6


def test_the_registrar_refuses_with_a_ground(client, ctx, env):
    cid = _start(client, env, ["PHY102"])
    complete(client, env["h"], "registrar", cid, "check_retake",
             {"decision": "reject", "refusal_ground": "other", "check_comment": "Набор закрыт"})
    view = case_view(client, env["h"], cid)
    assert view["outcome"] == "refused" and view["refusal_ground"] == "other"


@pytest.mark.parametrize(("lang", "reason"), [
    ("ru", "дисциплина MAT101 не в академической задолженности: A, баллы — 96"),
    ("kk", "MAT101 пәні бойынша академиялық қарыз жоқ: A, балл — 96"),
    ("en", "MAT101 is not academic debt: A, 96 points"),
])
def test_a_discipline_not_in_debt_is_refused_where_it_enters(client, ctx, env, lang, reason):
    before = _count(ctx, Case)
    r = _post(client, env, ["PHY102", "MAT101"], lang=lang)
    assert r.status_code == 422, r.json
    assert r.json["fields"]["data.disciplines"] == reason
    assert _count(ctx, Case) == before
    assert _post(client, env, [], lang=lang).status_code == 422
