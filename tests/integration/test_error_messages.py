"""The services' messages in the language of the reader: the staff UI shows them (and the
per-field reasons) in the language the user chose; the JSON API answers in Russian unless the
client asks for Kazakh or English in Accept-Language."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from server.auth import Actor
from server.models import AuditEvent, HumanTask
from server.services.procedures import deployments
from tests.integration.api import complete
from tests.integration.test_transfer_in import ALL_DOCS, APPLICANT, _start
from tests.integration.web import Staff, field_error, text

FORM_ERRORS_KK = "Форма қателермен толтырылған: белгіленген өрістерді түзетіңіз"


@pytest.fixture
def deployed(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    return people


def _task_id(ctx, case_id: int, spec: str, status: str = "open") -> str:
    with ctx.db.read() as session:
        task_id = session.scalar(select(HumanTask.id).where(
            HumanTask.case_id == case_id, HumanTask.spec_name == spec, HumanTask.status == status))
    assert task_id, f"no {status} {spec} in case {case_id}"
    return task_id


def _completions(ctx, case_id: int) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.case_id == case_id, AuditEvent.kind == "task_completed"))


# --- the staff UI ------------------------------------------------------------------------------
def test_an_invalid_task_form_is_explained_in_kazakh(app, ctx, client, deployed):
    case_id = _start(client, deployed)["id"]
    complete(client, deployed, "registrar", case_id, "check_documents", ALL_DOCS)
    task_id = _task_id(ctx, case_id, "determine_difference")
    before = _completions(ctx, case_id)
    dean = Staff(app, "dean_it", lang="kk")
    r = dean.post(f"/app/tasks/{task_id}", {"dean_decision": "reject"}, status=422)
    page = r.get_data(as_text=True)
    assert FORM_ERRORS_KK in text(page)
    assert field_error(page, "dean_refusal_ground") == "Міндетті өріс"
    assert "Обязательное поле" not in page and "исправьте отмеченные поля" not in page
    # nothing changed: the task is still open and nothing was recorded
    assert _task_id(ctx, case_id, "determine_difference") == task_id
    assert _completions(ctx, case_id) == before
    # the same form in English, and in Russian as before
    page = Staff(app, "dean_it", lang="en").post(f"/app/tasks/{task_id}", {"dean_decision": "reject"},
                                                 status=422).get_data(as_text=True)
    assert "The form has errors: correct the marked fields" in text(page)
    assert field_error(page, "dean_refusal_ground") == "Required field"
    page = Staff(app, "dean_it").post(f"/app/tasks/{task_id}", {"dean_decision": "reject"},
                                      status=422).get_data(as_text=True)
    assert field_error(page, "dean_refusal_ground") == "Обязательное поле"


def test_a_registration_with_a_wrong_iin_is_explained_in_kazakh(app, ctx, deployed):
    form = {**APPLICANT, "process": "transfer_in", "channel": "direct", "iin": "123456789012"}
    r = Staff(app, "registrar", lang="kk").post("/app/cases/new", form, status=422)
    page = r.get_data(as_text=True)
    assert FORM_ERRORS_KK in text(page)
    assert field_error(page, "iin").startswith("ЖСН-нің жетінші цифры")
    with ctx.db.read() as session:
        assert session.scalar(select(HumanTask.id)) is None  # nothing registered


def test_completing_a_completed_task_is_refused_in_kazakh(app, ctx, client, deployed):
    case_id = _start(client, deployed)["id"]
    task_id = _task_id(ctx, case_id, "check_documents")
    registrar = Staff(app, "registrar", lang="kk")
    registrar.post(f"/app/tasks/{task_id}", {k: "on" for k in ALL_DOCS})
    before = _completions(ctx, case_id)
    r = registrar.post(f"/app/tasks/{task_id}", {k: "on" for k in ALL_DOCS}, status=409)
    page = text(r.get_data(as_text=True))
    assert "Тапсырма орындалып қойған немесе тоқтатылған: бетті жаңартыңыз" in page
    assert "Задача уже выполнена" not in page
    assert _completions(ctx, case_id) == before


def test_a_refused_action_reaches_the_flash_in_kazakh(app, ctx, client, deployed):
    case_id = _start(client, deployed)["id"]
    complete(client, deployed, "registrar", case_id, "check_documents", ALL_DOCS)
    dean = Staff(app, "dean_it", lang="kk")
    dean.post("/app/inbox/approve", [("task", _task_id(ctx, case_id, "determine_difference"))])
    page = text(dean.get("/app/inbox?tab=group"))
    assert FORM_ERRORS_KK in page and "исправьте отмеченные поля" not in page


def test_values_in_a_message_are_shown_literally(app, ctx, client, deployed):
    case_id = _start(client, deployed)["id"]
    registrar = Staff(app, "registrar", lang="kk")
    name = "%(name)s {0} {} %s 100%.exe"
    upload = (io.BytesIO(b"MZ"), name, "application/octet-stream")
    registrar.post(f"/app/cases/{case_id}/attachments", {"attachments": upload},
                   content_type="multipart/form-data")
    page = text(registrar.get(f"/app/cases/{case_id}"))
    assert f"«{name}» файлы: тек PDF, JPEG, PNG, TIFF рұқсат етіледі" in page


def test_admin_forms_show_the_reasons_in_kazakh(app, people):
    admin = Staff(app, "admin", lang="kk")
    r = admin.post("/app/admin/users/new", {"username": "new.user", "full_name": " ", "password": "short"},
                   status=422)
    page = r.get_data(as_text=True)
    assert "Белгіленген өрістерді түзетіңіз" in text(page)
    assert "Міндетті өріс" in page and "Кемінде 8 таңба" in page
    assert "Обязательное поле" not in page and "Исправьте отмеченные поля" not in page
    r = admin.post("/app/admin/faculties", {"code": "IT", "name_ru": "ИТ", "name_kk": "АТ"}, status=409)
    assert "IT факультеті бұрыннан бар" in text(r.get_data(as_text=True))


# --- the JSON API ----------------------------------------------------------------------------------
def test_the_api_answers_in_russian_unless_asked(client, deployed):
    registrar = deployed["registrar"]
    missing = "/api/v1/tasks/00000000-0000-0000-0000-000000000000"
    assert client.get(missing, headers=registrar).json["message"] == "Задача не найдена"
    for accept, expected in (("kk", "Тапсырма табылмады"), ("en-GB,en;q=0.8", "Task not found"),
                             ("ru-RU,ru;q=0.9,kk;q=0.5", "Задача не найдена"),
                             ("fr", "Задача не найдена")):
        r = client.get(missing, headers={**registrar, "Accept-Language": accept})
        assert r.status_code == 404 and r.json["message"] == expected, accept
    body = {"process_id": "transfer_in", "data": {"applicant": {**APPLICANT, "iin": "123456789012"}}}
    r = client.post("/api/v1/cases", headers=registrar, json=body)
    assert r.status_code == 422
    assert r.json["fields"]["data.applicant.iin"].startswith("Неверная седьмая цифра ИИН")
    r = client.post("/api/v1/cases", headers={**registrar, "Accept-Language": "kk"}, json=body)
    assert r.json["message"] == FORM_ERRORS_KK
    assert r.json["fields"]["data.applicant.iin"].startswith("ЖСН-нің жетінші цифры")
    r = client.get("/api/v1/tasks", headers={"Accept-Language": "kk"})
    assert r.status_code == 401 and r.json["message"].startswith("Авторизация қажет")
