"""The academic record through the REST API: GET /students/{id}/record, results entered and
corrected, the import endpoint (dry run, all or nothing), the promotion list; every answer
validates against the OpenAPI document, refusals name the field in the reader's language."""

from __future__ import annotations

import io
import json

import pytest

from tests.integration.record_data import (
    FIRST_YEAR,
    GOOD,
    IIN_A,
    IIN_UNKNOWN,
    MAPPING,
    record_env,
    results_count,
    transcript_csv,
)
from tests.integration.test_openapi import _validate_response

API = "/api/v1"


@pytest.fixture
def env(ctx, people, client):
    return record_env(ctx, people, client)


def test_the_record_by_term(client, env):
    h, a = env["h"], env["ids"]["a"]
    r = client.get(f"{API}/students/{a}/record", headers=h["dean_it"])
    assert r.status_code == 200, r.json
    _validate_response(env["spec"], "get", f"{API}/students/{{student_id}}/record", r)
    body = r.json
    assert body["iin"] == IIN_A and [t["term"] for t in body["terms"]] == [1, 2]
    assert body["terms"][0]["standing"]["gpa"] == 3.0 and body["terms"][1]["cumulative"]["gpa"] == 2.32
    assert body["overall"]["debts"] == ["PHY102"] and body["promoted"] is False
    assert body["terms"][1]["results"][1]["name_kk"] == "Физика"
    hidden = client.get(f"{API}/students/{a}/record", headers=h["dean_econ"])
    assert hidden.status_code == 404
    _validate_response(env["spec"], "get", f"{API}/students/{{student_id}}/record", hidden)
    assert client.get(f"{API}/students/{a}/record").status_code == 401


def test_entering_and_correcting_a_result(client, ctx, env):
    h, b = env["h"], env["ids"]["b"]
    path = f"{API}/students/{{student_id}}/results"
    before = results_count(ctx)
    bad = client.post(f"{API}/students/{b}/results", headers={**h["registrar"], "Accept-Language": "kk"},
                      json={"discipline_code": "PHY102", "academic_year": FIRST_YEAR, "term": 1,
                            "points": 80, "letter": "A"})
    assert bad.status_code == 422
    _validate_response(env["spec"], "post", path, bad)
    assert bad.json["fields"]["letter"] == "A әріптік бағасы 80 балға сәйкес келмейді: шкала бойынша — B"
    assert "семестрде" in bad.json["fields"]["term"]
    assert results_count(ctx) == before
    phy = {"discipline_code": "PHY102", "academic_year": FIRST_YEAR, "term": 2}
    denied = client.post(f"{API}/students/{b}/results", headers=h["dean_it"], json={**phy, "points": 80})
    assert denied.status_code == 403
    ok = client.post(f"{API}/students/{b}/results", headers=h["registrar"], json={**phy, "points": 80})
    assert ok.status_code == 201, ok.json
    _validate_response(env["spec"], "post", path, ok)
    again = client.post(f"{API}/students/{b}/results", headers=h["registrar"], json={**phy, "points": 81})
    assert again.status_code == 409
    _validate_response(env["spec"], "post", path, again)
    no_case = client.post(f"{API}/results/{ok.json['id']}/corrections", headers={**h["registrar"],
                          "Accept-Language": "en"}, json={"points": 90, "reason": "typo"})
    assert no_case.status_code == 422
    assert no_case.json["fields"]["case_id"] == "name the case that approved the correction"
    assert results_count(ctx) == before + 1


def test_the_import_endpoint(client, ctx, env):
    h = env["h"]
    path = f"{API}/record/imports"
    rows = [(IIN_A, "MAT101", FIRST_YEAR, 1, 1, 96, "A"), (IIN_UNKNOWN, "MAT101", FIRST_YEAR, 1, 1, 80, "B")]

    def upload(dry_run: bool, content: bytes, mapping: object = MAPPING, user: str = "registrar"):
        return client.post(path, headers=h[user], content_type="multipart/form-data", data={
            "kind": "transcripts", "dry_run": "true" if dry_run else "false",
            "mapping": mapping if isinstance(mapping, str) else json.dumps(mapping),
            "file": (io.BytesIO(content), "transcript.csv")})

    before = results_count(ctx)
    r = upload(True, transcript_csv(rows))
    assert r.status_code == 200, r.json
    _validate_response(env["spec"], "post", path, r)
    assert r.json["counts"] == {"new": 0, "updated": 0, "unchanged": 1, "refused": 1}
    assert r.json["rows"][1]["iin"] == IIN_UNKNOWN
    assert "неизвестный обучающийся" in r.json["rows"][1]["reason"]
    refused = upload(False, transcript_csv(rows))
    assert refused.status_code == 422 and "строка 3" in refused.json["fields"]["3"]
    _validate_response(env["spec"], "post", path, refused)
    assert upload(True, transcript_csv(GOOD), mapping="[1, 2]").status_code == 422
    assert upload(True, transcript_csv(GOOD), user="dean_it").status_code == 403
    assert results_count(ctx) == before


def test_the_promotion_list(client, env):
    r = client.get(f"{API}/faculties/IT/promotion", headers=env["h"]["head"])
    assert r.status_code == 200
    _validate_response(env["spec"], "get", f"{API}/faculties/{{faculty_code}}/promotion", r)
    assert [i["iin"] for i in r.json["items"]] == [IIN_A] and r.json["min_gpa"] == 1.67
    assert client.get(f"{API}/faculties/IT/promotion", headers=env["h"]["dean_econ"]).status_code == 404


# --- the student's page --------------------------------------------------------------------------
@pytest.mark.parametrize(("lang", "expected"), [
    ("ru", ["Учебные достижения", "Семестр 1", "GPA за семестр: 3,00", "Накопительный GPA: 2,32",
            "Математический анализ", "FX (академическая задолженность)", "не переводится"]),
    ("kk", ["Оқу жетістіктері", "1-семестр", "Семестрдегі GPA: 3,00", "Жинақталған GPA: 2,32",
            "Математикалық талдау", "FX (академиялық қарыз)", "ауыстырылмайды"]),
    ("en", ["Academic record", "Term 1", "Term GPA: 3.00", "Cumulative GPA: 2.32", "Calculus",
            "FX (academic debt)", "stays: academic debt"]),
])
def test_the_student_page_shows_the_record_by_term(app, env, lang, expected):
    from tests.integration.web import Staff, text

    page = text(Staff(app, "dean_it", lang=lang).get(f"/app/students/{env['ids']['a']}"))
    for fragment in expected:
        assert fragment in page, (fragment, page[:3000])
    empty = text(Staff(app, "registrar", lang=lang).get(f"/app/students/{env['ids']['b']}"))
    assert "2,32" not in empty and "2.32" not in empty


def test_a_student_without_results_says_so(app, ctx, env):
    from tests.integration.api import add_student
    from tests.integration.web import Staff, text

    student_id = add_student(ctx, _iin(), group=None)
    assert "Результатов пока нет." in text(Staff(app, "registrar").get(f"/app/students/{student_id}"))


def _iin() -> str:
    from datetime import date

    from server.domain.iin import make_iin

    return make_iin(date(2006, 1, 1), "M", 1299)
