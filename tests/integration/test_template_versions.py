"""Template versions and office settings through the admin API, on both databases: a new
version of the study certificate is uploaded (its tags listed), refused when it uses a tag the
context lacks or a tag Word broke, previewed for a real case, activated — the next certificate
records it and prints it — and rolled back; the office edits the rector and the next document
prints the new name; every change is recorded."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import docx
import pytest

from server.auth import Actor
from server.documents.pdf import soffice
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.services.procedures import deployments
from tests.integration.api import add_student, case_view, complete, document_text

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "templates" / "cert_study_ru.docx"
START_DATA = {"purpose": "по месту требования", "copies": 1}
CHECKED = {"student_active": True, "enrolment_order_number": "125-у",
           "enrolment_order_date": "2025-08-15", "study_start": "2025-09-01",
           "study_end": "2029-06-30", "decision": "approve"}
IIN = make_iin(date(2004, 3, 9), "M", 4321)
MARK = "Редакция Тіркеуші кеңсесі 2027"


def edited(*paragraphs: str, source: Path = SHIPPED) -> bytes:
    """The shipped template with paragraphs added at the end, as the office would in Word."""
    document = docx.Document(source)
    for text in paragraphs:
        document.add_paragraph(text)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@pytest.fixture
def env(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    return {"h": people, "student_id": add_student(ctx, IIN, group=None)}


def _issue_certificate(client, ctx, env) -> dict:
    r = client.post("/api/v1/cases", headers=env["h"]["registrar"], json={
        "process_id": "cert_study", "student_id": env["student_id"], "data": START_DATA})
    assert r.status_code == 201, r.json
    case_id = r.json["id"]
    complete(client, env["h"], "registrar", case_id, "check_student", CHECKED)
    assert drain(ctx) >= 1
    return case_view(client, env["h"], case_id)


def _upload(client, headers, content: bytes, *, filename="cert.docx", language="ru", **form):
    return client.post("/api/v1/admin/templates/cert_study/versions", headers=headers,
                       data={"file": (io.BytesIO(content), filename), "language": language, **form},
                       content_type="multipart/form-data")


def _versions(client, headers, language="ru") -> dict[int, dict]:
    r = client.get("/api/v1/admin/templates/cert_study", headers=headers)
    assert r.status_code == 200, r.json
    return {v["version"]: v for v in r.json["versions"] if v["language"] == language}


def test_upload_preview_activate_issue_roll_back(client, ctx, env):
    admin = env["h"]["admin"]
    first = _issue_certificate(client, ctx, env)
    assert {d["template_version"] for d in first["documents"]} == {1}
    assert MARK not in document_text(client, env["h"], first, "ru")

    # upload: stored inactive, numbered after the built-in file, its tags listed
    r = _upload(client, admin, edited(MARK), note="new wording")
    assert r.status_code == 201, r.json
    assert r.json["version"] == 2 and r.json["active"] is False
    assert {"number", "student", "signatory", "university"} <= set(r.json["tags"])
    versions = _versions(client, admin)
    assert versions[1]["builtin"] and versions[1]["active"] and not versions[2]["active"]

    # preview for the real case: the .docx (and the PDF where LibreOffice is installed)
    r = client.get(f"/api/v1/admin/templates/cert_study/ru/2/preview?case_id={first['id']}&format=docx",
                   headers=admin)
    assert r.status_code == 200
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(r.data)).paragraphs)
    assert MARK in text and IIN in text
    r = client.get(f"/api/v1/admin/templates/cert_study/ru/2/preview?case_id={first['id']}", headers=admin)
    if soffice() is not None:
        assert r.status_code == 200 and r.data.startswith(b"%PDF")
    else:
        assert r.status_code == 503 and "LibreOffice" in r.json["message"]

    # activate: the next certificate is rendered from version 2 and records it
    r = client.post("/api/v1/admin/templates/cert_study/ru/2/activate", headers=admin)
    assert r.status_code == 200, r.json
    second = _issue_certificate(client, ctx, env)
    versions_of = {d["language"]: d["template_version"] for d in second["documents"]}
    assert versions_of == {"ru": 2, "kk": 1}
    assert MARK in document_text(client, env["h"], second, "ru")

    # roll back: one call, the built-in file again; version 2 stays stored
    r = client.post("/api/v1/admin/templates/cert_study/ru/2/rollback", headers=admin)
    assert r.status_code == 200 and r.json["version"] == 1
    third = _issue_certificate(client, ctx, env)
    assert {d["template_version"] for d in third["documents"]} == {1}
    assert MARK not in document_text(client, env["h"], third, "ru")
    assert set(_versions(client, admin)) == {1, 2}


def test_rollback_returns_to_the_previous_upload(client, ctx, env):
    admin = env["h"]["admin"]
    for mark in ("A-2027", "B-2027"):
        assert _upload(client, admin, edited(mark)).status_code == 201
    for version in (2, 3):
        assert client.post(f"/api/v1/admin/templates/cert_study/ru/{version}/activate",
                           headers=admin).status_code == 200
    r = client.post("/api/v1/admin/templates/cert_study/ru/3/rollback", headers=admin)
    assert r.json["version"] == 2
    versions = _versions(client, admin)
    assert versions[2]["active"] and not versions[3]["active"] and not versions[1]["active"]


def test_faculty_version_wins_for_that_faculty_only(client, ctx, env):
    admin = env["h"]["admin"]
    assert _upload(client, admin, edited("ECON 2027"), faculty="ECON").status_code == 201
    assert client.post("/api/v1/admin/templates/cert_study/ru/2/activate", headers=admin).status_code == 200
    view = _issue_certificate(client, ctx, env)  # the student is of the IT faculty
    assert {d["template_version"] for d in view["documents"]} == {1}
    r = _upload(client, admin, edited("IT 2027"), faculty="IT", level="bachelor")
    assert r.status_code == 201
    assert client.post("/api/v1/admin/templates/cert_study/ru/3/activate", headers=admin).status_code == 200
    view = _issue_certificate(client, ctx, env)
    assert {d["language"]: d["template_version"] for d in view["documents"]} == {"ru": 3, "kk": 1}
    assert "IT 2027" in document_text(client, env["h"], view, "ru")


@pytest.mark.parametrize(("paragraph", "field_says"), [
    ("Печать: {{ stamp_text }}", "«stamp_text»"),
    ("№ { { number }}", "«№ { { number }}»"),
    ("Номер {{ number }", "Word"),
])
def test_a_template_the_context_cannot_fill_is_refused(client, ctx, env, paragraph, field_says):
    r = _upload(client, env["h"]["admin"], edited(paragraph))
    assert r.status_code == 422
    assert field_says in r.json["fields"]["file"] and "cert_study_ru.docx" in r.json["fields"]["file"]
    assert list(_versions(client, env["h"]["admin"])) == [1]  # nothing stored


def test_refused_in_kazakh_naming_the_tag(client, ctx, env):
    headers = {**env["h"]["admin"], "Accept-Language": "kk"}
    r = _upload(client, headers, edited("{{ stamp_text }}"))
    assert r.status_code == 422
    assert r.json["fields"]["file"] == ("cert_study_ru.docx үлгісі: «stamp_text» тегінің мәні құжат "
                                        "деректерінде жоқ (ол мысал деректерінде де жоқ)")


@pytest.mark.parametrize(("form", "field"), [
    ({"filename": "cert.pdf"}, "file"),
    ({"faculty": "NOPE"}, "faculty"),
    ({"level": "school"}, "level"),
    ({"language": "en"}, "language"),
])
def test_bad_upload_names_the_field(client, ctx, env, form, field):
    r = _upload(client, env["h"]["admin"], edited(MARK), **form)
    assert r.status_code == 422
    assert field in str(r.json)


def test_not_a_docx_and_too_large(client, ctx, env):
    admin = env["h"]["admin"]
    r = _upload(client, admin, b"plain text, not a zip")
    assert r.status_code == 422 and "file" in r.json["fields"]
    big = b"PK" + b"0" * (ctx.settings.max_upload_bytes + 10)
    r = _upload(client, admin, big)
    assert r.status_code in (413, 422)


def test_only_admins(client, ctx, env):
    for user in ("registrar", "head"):
        assert client.get("/api/v1/admin/templates", headers=env["h"][user]).status_code == 403
        assert _upload(client, env["h"][user], edited(MARK)).status_code == 403
        assert client.put("/api/v1/admin/settings/rector", headers=env["h"][user],
                          json={"value": {}}).status_code == 403


def test_new_rector_prints_on_the_next_document(client, ctx, env):
    admin = env["h"]["admin"]
    rector = {"title_ru": "Ректор", "title_kk": "Ректор", "name": "Б. Нурланов"}
    r = client.put("/api/v1/admin/settings/rector", headers=admin, json={"value": rector})
    assert r.status_code == 200, r.json
    r = client.put("/api/v1/admin/settings/signatories", headers=admin, json={"value": {
        "orders": "rector", "certificates": "rector", "duplicates": "rector"}})
    assert r.status_code == 200, r.json
    view = _issue_certificate(client, ctx, env)
    assert "Б. Нурланов" in document_text(client, env["h"], view, "ru")
    assert "Б. Нурланов" in document_text(client, env["h"], view, "kk")

    r = client.get("/api/v1/admin/settings/history", headers=admin)
    changes = r.json["items"]
    assert [c["key"] for c in changes] == ["signatories", "rector"]
    assert changes[1]["old"]["name"] == "А. Тулегенов" and changes[1]["new"]["name"] == "Б. Нурланов"
    assert changes[1]["changed_by"] == "admin"


def test_letterhead_and_positions(client, ctx, env):
    admin = env["h"]["admin"]
    current = client.get("/api/v1/admin/settings", headers=admin).json["settings"]
    letterhead = {**current["letterhead"], "name_ru": "НАО «Новый университет»"}
    assert client.put("/api/v1/admin/settings/letterhead", headers=admin,
                      json={"value": letterhead}).status_code == 200
    positions = current["positions"]
    positions["registrar_head"]["name"] = "Д. Ахметова"
    assert client.put("/api/v1/admin/settings/positions", headers=admin,
                      json={"value": positions}).status_code == 200
    view = _issue_certificate(client, ctx, env)
    text = document_text(client, env["h"], view, "ru")
    assert "НАО «Новый университет»" in text and "Д. Ахметова" in text
    # the reports print the same letterhead
    r = client.get("/api/v1/reports/contingent?from=2026-03-01&to=2026-03-31&format=xlsx", headers=admin)
    assert r.status_code == 200
    from openpyxl import load_workbook

    assert load_workbook(io.BytesIO(r.data)).active["A2"].value == "НАО «Новый университет»"


@pytest.mark.parametrize(("key", "value", "field"), [
    ("rector", {"title_ru": "Ректор", "title_kk": "Ректор", "name": ""}, "rector.name"),
    ("rector", {"title_ru": "Ректор", "title_kk": "Ректор", "name": "x" * 301}, "rector.name"),
    ("signatories", {"orders": "janitor", "certificates": "rector", "duplicates": "rector"},
     "signatories.orders"),
    ("rector", {"title_ru": "Ректор", "title_kk": "Ректор", "name": "А", "phone": "1"}, "rector.phone"),
])
def test_bad_settings_are_refused_naming_the_field(client, ctx, env, key, value, field):
    r = client.put(f"/api/v1/admin/settings/{key}", headers=env["h"]["admin"], json={"value": value})
    assert r.status_code == 422
    assert field in r.json["fields"]
    assert client.get("/api/v1/admin/settings/history", headers=env["h"]["admin"]).json["items"] == []


def test_preview_builds_the_context_of_a_case_without_the_document(client, ctx, env):
    r = client.post("/api/v1/cases", headers=env["h"]["registrar"], json={
        "process_id": "cert_study", "student_id": env["student_id"], "data": START_DATA})
    case_id = r.json["id"]
    complete(client, env["h"], "registrar", case_id, "check_student", CHECKED)  # not rendered yet
    r = client.get(f"/api/v1/admin/templates/cert_study/kk/1/preview?case_id={case_id}&format=docx",
                   headers=env["h"]["admin"])
    assert r.status_code == 200, r.json
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(r.data)).paragraphs)
    assert IIN in text and "000" in text
    r = client.get("/api/v1/admin/templates/cert_study/kk/1/preview?case_id=999999&format=docx",
                   headers=env["h"]["admin"])
    assert r.status_code == 422 and "case_id" in r.json["fields"]


def test_uploads_activations_and_roll_backs_are_audited(client, ctx, env):
    from sqlalchemy import select

    from server.models import AuditEvent

    admin = env["h"]["admin"]
    assert _upload(client, admin, edited(MARK)).status_code == 201
    client.post("/api/v1/admin/templates/cert_study/ru/2/activate", headers=admin)
    client.post("/api/v1/admin/templates/cert_study/ru/2/rollback", headers=admin)
    with ctx.db.read() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.kind.like("template_%"))
                                 .order_by(AuditEvent.id)).all()
        assert [(e.kind, e.payload["version"]) for e in events] == [
            ("template_uploaded", 2), ("template_activated", 2), ("template_rolled_back", 2)]
        assert {e.actor_id for e in events} != {None}
