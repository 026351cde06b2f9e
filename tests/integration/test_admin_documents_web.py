"""The administration pages of the office's documents in the staff UI (the browser test in
tests/e2e drives the same flow in Chromium): template versions and office settings, in
Russian and Kazakh, admins only."""

from __future__ import annotations

import io

import pytest

from server.auth import Actor
from server.services.procedures import deployments
from tests.integration.api import add_student
from tests.integration.test_template_versions import IIN, MARK, _issue_certificate, edited
from tests.integration.web import Staff, text


@pytest.fixture
def admin(app, ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    return Staff(app, "admin", lang="kk")


def _upload(staff: Staff, content: bytes, status: int = 302, **form):
    return staff.post("/app/admin/templates/cert_study", {
        "file": (io.BytesIO(content), "cert.docx"), "language": "ru", "faculty": "", "level": "",
        "note": "", **form}, status=status, content_type="multipart/form-data")


def test_templates_upload_activate_roll_back_in_kazakh(admin):
    page = text(admin.get("/app/admin/templates"))
    assert "Құжат үлгілері" in page and "Оқу орнынан анықтама" in page and "cert_study" not in page
    _upload(admin, edited(MARK), note="2027")
    page = admin.get("/app/admin/templates/cert_study")
    assert 'data-version="2"' in page and "Қолданысқа енгізу" in text(page)
    assert "<code>student</code>" in page  # the tags it uses
    admin.post("/app/admin/templates/cert_study/ru/2/activate", {})
    page = admin.get("/app/admin/templates/cert_study")
    assert 'class="current" data-version="2"' in page
    admin.post("/app/admin/templates/cert_study/ru/2/rollback", {})
    page = admin.get("/app/admin/templates/cert_study")
    assert 'class="current" data-version="2"' not in page and 'class="current" data-version="1"' in page


def test_refused_upload_names_the_tag_in_kazakh(admin):
    r = _upload(admin, edited("{{ stamp_text }}"), status=422)
    page = text(r.get_data(as_text=True))
    assert "«stamp_text» тегінің мәні құжат деректерінде жоқ" in page and "Үлгі қабылданбады" in page


def test_settings_edit_and_history(admin):
    admin.post("/app/admin/settings", {"key": "rector", "rector.title_ru": "Ректор",
                                       "rector.title_kk": "Ректор", "rector.name": "Б. Нурланов"})
    page = text(admin.get("/app/admin/settings"))
    assert "Тіркеуші кеңсесінің баптаулары" in page
    assert "Ректор · Құжатта басылатын аты-жөні: А. Тулегенов" not in page  # a flat setting
    assert "Құжатта басылатын аты-жөні: А. Тулегенов" in page
    assert "Құжатта басылатын аты-жөні: Б. Нурланов" in page
    r = admin.post("/app/admin/settings", {"key": "rector", "rector.title_ru": "Ректор",
                                           "rector.title_kk": "", "rector.name": "Б. Нурланов"}, status=422)
    assert "Міндетті өріс" in text(r.get_data(as_text=True))


def test_only_admins_see_the_pages(app, ctx, people):
    head = Staff(app, "head")
    for path in ("/app/admin/templates", "/app/admin/templates/cert_study", "/app/admin/settings"):
        head.get(path, status=403)


def test_without_libreoffice_the_preview_is_the_docx_with_a_message(app, ctx, client, people, monkeypatch):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    env = {"h": people, "student_id": add_student(ctx, IIN, group=None)}
    case_id = _issue_certificate(client, ctx, env)["id"]
    monkeypatch.setenv("REGOFFICE_SOFFICE", "")
    staff = Staff(app, "admin", lang="kk")
    page = staff.get(f"/app/admin/templates/cert_study?language=kk&version=1&case_id={case_id}")
    assert "серверде LibreOffice орнатылмаған" in text(page) and "iframe" not in page
    assert f"/app/admin/templates/cert_study/kk/1/preview.docx?case_id={case_id}" in page
    r = staff.client.get(f"/app/admin/templates/cert_study/kk/1/preview.docx?case_id={case_id}")
    assert r.status_code == 200 and r.data.startswith(b"PK")
    r = client.get(f"/api/v1/admin/templates/cert_study/kk/1/preview?case_id={case_id}",
                   headers={**people["admin"], "Accept-Language": "kk"})
    assert r.status_code == 503 and "LibreOffice орнатылмаған" in r.json["message"]
