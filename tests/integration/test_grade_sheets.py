"""Grade sheets through the API: opened, lines entered and uploaded (bad lines refused, nothing
stored), checked, locked by the registrar (its lines become results), a locked sheet changed only
by a correction with the approving case."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from server.models import GradeSheetLine, Result
from tests.integration.record_data import FIRST_YEAR, IIN_A, IIN_B, IIN_UNKNOWN, seed
from tests.integration.test_openapi import _validate_response

API = "/api/v1"


@pytest.fixture
def env(ctx, people, client):
    ids = seed(ctx)
    spec = client.get(f"{API}/openapi.json").json
    return {"h": people, "ids": ids, "spec": spec}


def _count(ctx, model) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def _open(client, env, discipline="ALG102", term=2):
    r = client.post(f"{API}/grade-sheets", headers=env["h"]["registrar"], json={
        "group": "ПИ-24-1", "discipline_code": discipline, "academic_year": FIRST_YEAR, "term": term})
    assert r.status_code == 201, r.json
    _validate_response(env["spec"], "post", f"{API}/grade-sheets", r)
    return r.json


def test_a_sheet_from_draft_to_locked_and_corrected(client, ctx, env):
    h = env["h"]
    sheet = _open(client, env, "PHY102")
    path = f"{API}/grade-sheets/{sheet['id']}"
    lines = {"lines": [{"iin": IIN_B, "points": 77, "letter": "B-"}, {"iin": IIN_UNKNOWN, "points": 60},
                       {"iin": IIN_B, "points": 101}]}
    bad = client.put(f"{path}/lines", headers={**h["registrar"], "Accept-Language": "kk"}, json=lines)
    assert bad.status_code == 422
    _validate_response(env["spec"], "put", f"{API}/grade-sheets/{{sheet_id}}/lines", bad)
    assert set(bad.json["fields"]) == {"2", "3"} and "тізілімде жоқ" in bad.json["fields"]["2"]
    assert _count(ctx, GradeSheetLine) == 0
    ok = client.put(f"{path}/lines", headers=h["registrar"], json={"lines": [{"iin": IIN_B, "points": 77}]})
    assert ok.status_code == 200 and ok.json["lines"][0]["letter"] == "B-"
    # an upload sets (or replaces) lines too
    up = client.post(f"{path}/upload", headers=h["registrar"], content_type="multipart/form-data",
                     data={"file": (io.BytesIO(f"iin,points\n{IIN_B},81\n".encode()), "sheet.csv")})
    assert up.status_code == 200, up.json
    assert [(x["iin"], x["points"], x["letter"]) for x in up.json["lines"]] == [(IIN_B, 81, "B")]
    # the columns may be headed by their words, in Kazakh or Russian, as the page names them
    kk = f"ЖСН;Балл;Талпыныс\n{IIN_B};83;1\n".encode()
    up = client.post(f"{path}/upload", headers=h["registrar"], content_type="multipart/form-data",
                     data={"file": (io.BytesIO(kk), "sheet.csv")})
    assert up.status_code == 200, up.json
    assert [(x["iin"], x["points"], x["letter"]) for x in up.json["lines"]] == [(IIN_B, 83, "B")]
    # locking needs a checked sheet; a checked sheet's lines are frozen
    assert client.post(f"{path}/lock", headers=h["registrar"]).status_code == 409
    checked = client.post(f"{path}/check", headers=h["registrar"])
    assert checked.status_code == 200 and checked.json["status"] == "checked"
    frozen = client.put(f"{path}/lines", headers=h["registrar"],
                        json={"lines": [{"iin": IIN_B, "points": 90}]})
    assert frozen.status_code == 409
    assert client.post(f"{path}/lock", headers=h["dean_it"]).status_code == 403
    before = _count(ctx, Result)
    locked = client.post(f"{path}/lock", headers=h["registrar"])
    assert locked.status_code == 200 and locked.json["status"] == "locked" and locked.json["locked_at"]
    _validate_response(env["spec"], "post", f"{API}/grade-sheets/{{sheet_id}}/lock", locked)
    assert _count(ctx, Result) == before + 1
    # locked: lines no more, a correction needs its case
    assert client.put(f"{path}/lines", headers=h["registrar"],
                      json={"lines": [{"iin": IIN_B, "points": 90}]}).status_code == 409
    assert client.post(f"{path}/reopen", headers=h["registrar"]).status_code == 409
    student_b = env["ids"]["b"]
    refused = client.post(f"{path}/corrections", headers=h["registrar"],
                          json={"student_id": student_b, "points": 90, "reason": "апелляция"})
    assert refused.status_code == 422 and "case_id" in refused.json["fields"]
    case_id = _a_case(client, ctx, env)
    fixed = client.post(f"{path}/corrections", headers=h["registrar"],
                        json={"student_id": student_b, "points": 90, "reason": "апелляция",
                              "case_id": case_id})
    assert fixed.status_code == 201, fixed.json
    view = client.get(path, headers=h["head"]).json
    assert [(x["points"], x["letter"], x["corrected"]) for x in view["lines"]] == [(90, "A-", True)]
    record = client.get(f"{API}/students/{student_b}/record", headers=h["registrar"]).json
    phy = [x for t in record["terms"] for x in t["results"] if x["discipline_code"] == "PHY102"]
    assert [(x["points"], x["sheet_id"], x["corrected"]) for x in phy] == [(90, sheet["id"], True)]


def test_a_duplicate_sheet_and_a_recorded_attempt_are_refused(client, ctx, env):
    h = env["h"]
    sheet = _open(client, env, "MAT101", 1)
    again = client.post(f"{API}/grade-sheets", headers=h["registrar"], json={
        "group": "ПИ-24-1", "discipline_code": "MAT101", "academic_year": FIRST_YEAR, "term": 1})
    assert again.status_code == 409
    path = f"{API}/grade-sheets/{sheet['id']}"
    # A's MAT101 attempt 1 was imported: locking a sheet with it again is refused, nothing written
    assert client.put(f"{path}/lines", headers=h["registrar"],
                      json={"lines": [{"iin": IIN_A, "points": 70}]}).status_code == 200
    assert client.post(f"{path}/check", headers=h["registrar"]).status_code == 200
    before = _count(ctx, Result)
    clash = client.post(f"{path}/lock", headers=h["registrar"])
    assert clash.status_code == 409 and str(env["ids"]["a"]) in clash.json["fields"]
    assert _count(ctx, Result) == before
    # back to draft, the retake as attempt 2: locked
    assert client.post(f"{path}/reopen", headers=h["registrar"]).json["status"] == "draft"
    client.put(f"{path}/lines", headers=h["registrar"],
               json={"lines": [{"iin": IIN_A, "points": 70, "attempt": 2}]})
    client.post(f"{path}/check", headers=h["registrar"])
    assert client.post(f"{path}/lock", headers=h["registrar"]).status_code == 200
    bad = client.post(f"{API}/grade-sheets", headers=h["registrar"], json={
        "group": "ПИ-24-1", "discipline_code": "NOPE", "academic_year": "2025", "term": 1})
    assert bad.status_code == 422 and set(bad.json["fields"]) == {"discipline_code", "academic_year"}


def _a_case(client, ctx, env) -> int:
    from tests.integration.procs import deploy_all
    from tests.integration.test_cert_study import START_DATA

    deploy_all(ctx)
    r = client.post(f"{API}/cases", headers=env["h"]["registrar"], json={
        "process_id": "cert_study", "student_id": env["ids"]["b"], "channel": "direct", "data": START_DATA})
    assert r.status_code == 201, r.json
    return r.json["id"]


def test_a_dean_reads_a_sheet_of_the_dean_s_faculty_only(client, env):
    sheet = _open(client, env, "PHY102")
    path = f"{API}/grade-sheets/{sheet['id']}"
    assert client.put(f"{path}/lines", headers=env["h"]["registrar"],
                      json={"lines": [{"iin": IIN_B, "points": 77}]}).status_code == 200
    assert client.get(path, headers=env["h"]["dean_it"]).status_code == 200
    assert client.get(path, headers=env["h"]["dean_econ"]).status_code == 404


def test_a_sheet_s_reasons_name_fields_in_words(client, ctx, env):
    """A line without its ИИН, an attempt out of range (an uploaded file), a term out of range: each
    reason names its field by its name in the reader's language, never by its code."""
    h = env["h"]
    sheet = _open(client, env, "PHY102")
    kk = {**h["registrar"], "Accept-Language": "kk"}
    upload = f"iin,points,attempt\n,70,1\n{IIN_B},70,10\n".encode()
    bad = client.post(f"{API}/grade-sheets/{sheet['id']}/upload", headers=kk,
                      content_type="multipart/form-data", data={"file": (io.BytesIO(upload), "sheet.csv")})
    assert bad.status_code == 422, bad.json
    # the file's own line numbers (1: the header)
    assert bad.json["fields"] == {"2": "2-жол: ЖСН: міндетті өріс",
                                  "3": "3-жол: талпыныс: нөмірі 1–9 аралығында"}, bad.json["fields"]
    assert _count(ctx, GradeSheetLine) == 0
    # (The API's schema refuses a term out of range before the service does; the service's own reason:)
    from server.auth import Actor
    from server.services.errors import Invalid
    from server.services.record import sheets
    from server.web.i18n import localized

    with pytest.raises(Invalid) as exc:
        sheets.create_sheet(ctx, Actor.system(), "ПИ-24-1", "PHY102", FIRST_YEAR, 13)
    assert localized(exc.value.fields["term"], "kk") == "семестр: нөмірі 1–12 аралығында"
