"""Application forms (forms/<process>/application.schema.json): what the registrar takes from
an application besides who it is about, checked when the case is started — over the API and
in the staff UI — with the form's defaults filled in, and nothing written when it is refused."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from server.auth import Actor
from server.domain.iin import make_iin
from server.models import Case
from server.services.procedures import deployments
from tests.integration.api import add_student, case_view
from tests.integration.web import Staff, field_error, text

IIN = make_iin(date(2004, 5, 17), "F", 2468)


@pytest.fixture
def env(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    return {"h": people, "student_id": add_student(ctx, IIN, group=None)}


def _cases(ctx) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count(Case.id)))


def _start(client, env, process_id: str, data: dict, student: bool = True):
    return client.post("/api/v1/cases", headers=env["h"]["registrar"], json={
        "process_id": process_id, "data": data,
        **({"student_id": env["student_id"]} if student else {})})


def test_defaults_fill_what_the_application_left_out(client, ctx, env):
    r = _start(client, env, "cert_study", {})
    assert r.status_code == 201, r.json
    view = case_view(client, env["h"], r.json["id"])
    assert view["data"]["purpose"] == "по месту требования" and view["data"]["copies"] == 1
    assert view["data"]["purpose_kk"] == "талап етілген жерге"  # the default's Kazakh wording
    (task,) = view["open_tasks"]
    # The instructions read the application's fields: no blanks where they used to be.
    assert "Цель справки: по месту требования; экземпляров: 1." in task["instructions"]
    assert "Анықтаманың мақсаты: талап етілген жерге; дана саны: 1." in task["instructions_kk"]


def test_the_application_given_is_kept(client, ctx, env):
    r = _start(client, env, "cert_study", {"purpose": "в военный комиссариат", "copies": 3})
    assert r.status_code == 201, r.json
    data = case_view(client, env["h"], r.json["id"])["data"]
    assert (data["purpose"], data["copies"]) == ("в военный комиссариат", 3)


@pytest.mark.parametrize(("process_id", "data", "student", "fields"), [
    ("cert_study", {"copies": 0}, True, {"data.copies": "Значение меньше допустимого (1)"}),
    ("cert_study", {"copies": "два"}, True, {"data.copies": "Неверный тип значения"}),
    ("cert_study", {"purpose": ""}, True, {"data.purpose": "Слишком короткое значение (1)"}),
    ("academic_leave", {"leave_start": "2026-09-01"}, True,
     {"data.leave_ground": "Обязательное поле", "data.leave_end": "Обязательное поле"}),
    ("academic_leave", {"leave_ground": "vacation", "leave_start": "2026-09-01", "leave_end": "2027-06-30"},
     True, {"data.leave_ground": "Выберите значение из списка: medical, tuberculosis, military, childcare"}),
    # The arrival is what a registrar registers; its date is what the deadline counts from.
    ("foreign_registration", {}, True, {"data.arrival_date": "Обязательное поле"}),
    ("foreign_registration", {"registration_kind": "deregistration"}, True,
     {"data.departure_date": "Обязательное поле", "data.deregistration_reason": "Обязательное поле"}),
    ("foreign_registration", {"arrival_date": "15.06.2026"}, True, {"data.arrival_date": "Неверный формат"}),
    ("military", {}, True, {"data.request": "Обязательное поле"}),
    ("vacant_grant", {"programme_group_code": "b57", "programme_group_name": "ИТ",
                      "programme_group_name_kk": "АТ", "grant_count": 1,
                      "vacancy_reason": "отчисление", "application_deadline": "2026-12-20"}, False,
     {"data.programme_group_code": "Неверный формат"}),
])
def test_a_bad_application_is_refused_naming_the_field(client, ctx, env, process_id, data, student, fields):
    before = _cases(ctx)
    r = _start(client, env, process_id, data, student)
    assert r.status_code == 422, r.json
    assert r.json["message"] == "Заявление не зарегистрировано: исправьте отмеченные поля"
    for name, reason in fields.items():
        assert r.json["fields"].get(name, "").startswith(reason), r.json["fields"]
    assert _cases(ctx) == before  # nothing registered


@pytest.mark.parametrize("process_id", ["cert_study", "military", "transfer_out", "transfer_internal",
                                        "expulsion"])
def test_a_student_procedure_without_a_student_is_refused_naming_the_field(client, ctx, env, process_id):
    """The UI asks for the student of every application but an announcement's; over the API an
    application without `student_id` used to be registered (a certificate for nobody) or to fail
    with the engine's NameError."""
    before = _cases(ctx)
    r = _start(client, env, process_id, {"request": "certificate"} if process_id == "military" else {},
               student=False)
    assert r.status_code == 422, r.json
    assert r.json["message"] == ("Укажите обучающегося: эта процедура ведётся по зарегистрированному "
                                 "обучающемуся")
    assert r.json["fields"] == {"student_id": "Обязательное поле"}
    assert "NameError" not in str(r.json)
    kk = client.post("/api/v1/cases", headers={**env["h"]["registrar"], "Accept-Language": "kk"},
                     json={"process_id": process_id,
                           "data": {"request": "certificate"} if process_id == "military" else {}})
    assert kk.json["message"].startswith("Білім алушыны көрсетіңіз")
    assert _cases(ctx) == before  # nothing registered


def test_an_application_lacking_what_the_model_reads_at_start_is_refused_naming_it(client, ctx, env):
    """A contingent order registered through POST /cases instead of its upload: the model's first
    step reads `students`; the answer names the field instead of quoting the engine's NameError."""
    before = _cases(ctx)
    r = _start(client, env, "contingent_order", {"order_kind": "promotion"}, student=False)
    assert r.status_code == 422, r.json
    assert r.json["message"] == "В заявлении нет данных, нужных процедуре: students"
    assert r.json["fields"] == {"data.students": "Обязательное поле"} and "NameError" not in str(r.json)
    assert _cases(ctx) == before


def test_a_bad_application_without_a_student_names_both(client, ctx, env):
    r = _start(client, env, "cert_study", {"copies": 0}, student=False)
    assert r.status_code == 422
    assert set(r.json["fields"]) == {"data.copies", "student_id"}


def test_start_data_the_form_does_not_declare_is_refused(client, ctx, env):
    """Only what the application form declares is registered: a key it does not name (a
    portal's note, a megabyte of junk) is refused naming it, and nothing is stored."""
    r = _start(client, env, "cert_study", {"copies": 2, "note_from_portal": "заявка №77"})
    assert r.status_code == 422, r.json
    assert r.json["fields"] == {
        "data.note_from_portal": "Неизвестное поле: его нет в заявлении этой процедуры"}
    assert _start(client, env, "cert_study", {"copies": 2, "purpose": "по месту требования"}
                  ).status_code == 201


def test_a_triggered_deregistration_needs_no_application(client, ctx, env):
    """Cases that models open themselves (case/start) carry their own data: the form is for
    what a registrar registers."""
    from server.services.cases.lifecycle import StartRequest, open_case

    with ctx.db.unit_of_work() as session:
        case = open_case(ctx, session, Actor.system(), StartRequest(
            "foreign_registration", student_id=env["student_id"],
            data={"registration_kind": "deregistration", "departure_date": "2026-09-01",
                  "deregistration_reason": "expulsion", "order_number": "12-у"}))
        assert case.status == "in_progress"


# --- the staff UI ------------------------------------------------------------------------------
def test_registering_in_the_ui_asks_for_the_application(app, ctx, env):
    registrar = Staff(app, "registrar")
    page = registrar.get(f"/app/cases/new?process=cert_study&q={IIN}")
    assert 'name="app.purpose"' in page and 'name="app.copies"' in page
    assert "Куда представляется справка" in text(page)
    form = {"process": "cert_study", "q": IIN, "channel": "direct", "student_id": str(env["student_id"]),
            "app.purpose": "по месту работы родителей", "app.copies": "0"}
    r = registrar.post("/app/cases/new", form, status=422)
    page = r.get_data(as_text=True)
    assert field_error(page, "app.copies") == "Значение меньше допустимого (1)"
    assert 'value="по месту работы родителей"' in page  # the input is kept
    assert _cases(ctx) == 0
    # no student chosen (a search that found nobody): the page asks for one, nothing is stored
    r = registrar.post("/app/cases/new", {**form, "student_id": "", "q": "", "app.copies": "2"}, status=422)
    assert "Укажите обучающегося" in text(r.get_data(as_text=True))
    assert "student_id:" not in text(r.get_data(as_text=True))
    assert _cases(ctx) == 0
    r = registrar.post("/app/cases/new", {**form, "app.copies": "2"})
    case_id = int(r.headers["Location"].rsplit("/", 1)[-1])
    data = case_view(app.test_client(), env["h"], case_id)["data"]
    assert (data["purpose"], data["copies"]) == ("по месту работы родителей", 2)


def test_the_application_form_speaks_kazakh(app, ctx, env):
    page = Staff(app, "registrar", lang="kk").get("/app/cases/new?process=academic_leave")
    assert "Өтініш" in text(page) and "Академиялық демалыс негізі" in text(page)
    assert "Дәрігерлік-консультациялық комиссияның қорытындысы (6–12 ай)" in text(page)


def test_an_announcement_is_registered_without_a_student(app, ctx, env):
    registrar = Staff(app, "registrar")
    page = registrar.get("/app/cases/new?process=vacant_grant")
    assert 'id="q"' not in page and "find the student" not in page
    assert "найдите" not in text(page).lower()
    r = registrar.post("/app/cases/new", {
        "process": "vacant_grant", "channel": "direct", "app.programme_group_code": "B057",
        "app.programme_group_name": "Информационные технологии",
        "app.programme_group_name_kk": "Ақпараттық технологиялар", "app.grant_count": "2",
        "app.vacancy_reason": "отчисление обладателя гранта", "app.application_deadline": "2026-12-20"})
    case_id = int(r.headers["Location"].rsplit("/", 1)[-1])
    data = case_view(app.test_client(), env["h"], case_id)["data"]
    assert data["grant_count"] == 2 and data["programme_group_code"] == "B057"


def test_the_process_list_shows_each_application_form(client, env):
    r = client.get("/api/v1/processes", headers=env["h"]["registrar"])
    forms = {p["process_id"]: p["application_form"] for p in r.json["items"]}
    assert forms["cert_study"]["properties"]["copies"]["default"] == 1
    assert forms["transfer_in"] is None  # its applicant is the registration form


def test_instructions_follow_the_ui_language(app, client, ctx, env):
    """The model's Kazakh instructions (instructionsKk) are rendered with the case's data like
    the Russian ones; the API returns both, the staff UI shows the one of its language."""
    case = _start(client, env, "cert_study", {"copies": 2}).json
    (task,) = case["open_tasks"]
    assert "экземпляров: 2." in task["instructions"]
    assert task["instructions_kk"] and "ЖСН " + IIN in task["instructions_kk"]
    assert "Проверьте" not in task["instructions_kk"]
    assert "талап етілген жерге" in task["instructions_kk"]  # the purpose's Kazakh wording
    kazakh = text(Staff(app, "registrar", lang="kk").get(f"/app/tasks/{task['id']}"))
    russian = text(Staff(app, "registrar", lang="ru").get(f"/app/tasks/{task['id']}"))
    assert task["instructions_kk"] in kazakh and task["instructions"] not in kazakh
    assert task["instructions"] in russian and task["instructions_kk"] not in russian


def test_a_suggested_purpose_reaches_the_kazakh_certificate_in_kazakh(app, client, ctx, env):
    """The purpose is free text with suggestions (`examples`); a suggested one is kept with
    its Kazakh version (`x-examples-kk`), which the Kazakh certificate prints."""
    from server.documents.contexts import BUILDERS

    page = Staff(app, "registrar", lang="kk").get("/app/cases/new?process=cert_study")
    assert '<option value="в военный комиссариат" label="әскери комиссариатқа">' in page
    data = case_view(client, env["h"], _start(client, env, "cert_study",
                                              {"purpose": "В военный комиссариат "}).json["id"])["data"]
    assert data["purpose_kk"] == "әскери комиссариатқа"
    context = BUILDERS["cert_study"](data, {"signatory": {"title_ru": "", "title_kk": "", "name": ""}},
                                     "1", date(2026, 12, 4))
    assert context["purpose_kk"] == "әскери комиссариатқа"
    # written by hand: in both languages, the Kazakh one required
    r = _start(client, env, "cert_study", {"purpose": "в спортивную секцию"})
    assert r.status_code == 422 and r.json["fields"] == {"data.purpose_kk": "Обязательное поле"}
    other = case_view(client, env["h"], _start(client, env, "cert_study", {
        "purpose": "в спортивную секцию", "purpose_kk": "спорт секциясына"}).json["id"])["data"]
    assert other["purpose_kk"] == "спорт секциясына"
