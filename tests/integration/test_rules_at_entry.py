"""Data that cannot be true is refused where it is typed (issue 19): each rule on its refusal
path through the API (422 naming the field, the reason in Russian and in Kazakh, nothing
stored) and the staff UI keeping what was typed. The rules: config/procedures.yaml
(`date_rules`, `academic_leave_months`), the registry's lists (`x-choices` in forms/),
config/catalog.yaml (`allow_parallel`, `parallel_by`, `student_statuses`)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from server.domain.iin import make_iin
from server.models import Case
from tests.integration.api import add_student, case_view, complete, start_case
from tests.integration.procs import deploy_all
from tests.integration.test_transfer_in import APPLICANT
from tests.integration.web import Staff, field_error, text

KK = {"Accept-Language": "kk"}


@pytest.fixture
def env(ctx, people):
    deploy_all(ctx)
    return {"h": people, "sid": add_student(ctx, make_iin(date(2004, 3, 9), "M", 4321))}


def _cases(ctx) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(Case))


def _register(client, env, body, *, status=422, lang=None):
    headers = {**env["h"]["registrar"], **(KK if lang == "kk" else {})}
    r = client.post("/api/v1/cases", headers=headers, json={"channel": "direct", **body})
    assert r.status_code == status, r.json
    return r.json


def _leave(env, **data):
    return {"process_id": "academic_leave", "student_id": env["sid"],
            "data": {"leave_ground": "medical", "leave_start": "2027-01-11", "leave_end": "2027-06-30",
                     **data}}


# --- dates -----------------------------------------------------------------------------------
def test_a_leave_ending_before_it_starts_is_not_registered(client, ctx, env):
    body = _register(client, env, _leave(env, leave_end="2026-12-01"))
    assert body["fields"] == {"data.leave_end": "Дата окончания не позже даты начала: период с 11.01.2027 "
                                                "по 01.12.2026 невозможен"}
    kk = _register(client, env, _leave(env, leave_end="2026-12-01"), lang="kk")
    assert kk["fields"]["data.leave_end"] == ("Аяқталу күні басталу күнінен кейін емес: "
                                              "11.01.2027 – 01.12.2026 кезеңі мүмкін емес")
    assert kk["message"].startswith("Өтініш тіркелмеді")
    assert _cases(ctx) == 0


def test_a_leave_longer_than_its_ground_allows_is_not_registered(client, ctx, env):
    # medical: at most 12 months (config/procedures.yaml academic_leave_months; DOMAIN.md)
    body = _register(client, env, _leave(env, leave_end="2028-01-31"))
    assert body["fields"] == {"data.leave_end": "По этому основанию — не более 12 мес., а указано 13 мес. "
                                                "(неполный месяц считается целым)"}
    # tuberculosis: up to 36 months
    _register(client, env, _leave(env, leave_ground="tuberculosis", leave_end="2028-01-31"), status=201)
    assert _cases(ctx) == 1


def test_a_return_from_leave_is_not_in_the_future_nor_before_the_leave(client, ctx, env):
    today = ctx.local_today()
    start = today - timedelta(days=40)
    data = {"leave_ground": "medical", "leave_start": start.isoformat(),
            "leave_end": (start + timedelta(days=200)).isoformat()}
    h = env["h"]
    cid = start_case(client, h, "academic_leave", env["sid"], data)["id"]
    complete(client, h, "registrar", cid, "check_documents", {
        **data, "doc_application": True, "doc_medical_conclusion": True, "documents_complete": True,
        "decision": "approve"})
    complete(client, h, "dean_it", cid, "dean_approval", {"dean_decision": "approve"})
    from server.jobs.inprocess import drain

    assert drain(ctx) >= 1
    complete(client, h, "rector", cid, "sign_order", {"signed": True, "signed_date": today.isoformat()})
    answer = {"return_application": True, "health_certificate": True}
    future = complete(client, h, "registrar", cid, "leave_return_control",
                      {**answer, "return_date": (today + timedelta(days=1)).isoformat()}, status=422)
    assert list(future["fields"]) == ["return_date"]
    assert future["fields"]["return_date"].startswith(
        f"Дата {(today + timedelta(days=1)):%d.%m.%Y} ещё не наступила")
    early = complete(client, h, "registrar", cid, "leave_return_control",
                     {**answer, "return_date": (start - timedelta(days=1)).isoformat()}, status=422)
    assert early["fields"] == {"return_date": f"Дата раньше начала академического отпуска ({start:%d.%m.%Y})"}
    assert [t["spec_name"] for t in case_view(client, h, cid)["open_tasks"]] == ["leave_return_control"]
    complete(client, h, "registrar", cid, "leave_return_control",
             {**answer, "return_date": today.isoformat()})
    assert case_view(client, h, cid)["status"] == "completed"


def test_a_mobility_return_is_not_before_the_sending(client, ctx, env):
    from server.jobs.inprocess import drain
    from tests.integration.test_mobility import CHECKED, RETURN

    h = env["h"]
    today = ctx.local_today()
    cid = start_case(client, h, "mobility", env["sid"])["id"]
    backwards = complete(client, h, "registrar", cid, "check_application",
                         {**CHECKED, "mobility_start": "2027-06-30", "mobility_end": "2027-02-01"},
                         status=422)
    assert list(backwards["fields"]) == ["mobility_end"]
    sent = {**CHECKED, "mobility_start": (today - timedelta(days=100)).isoformat(),
            "mobility_end": (today - timedelta(days=10)).isoformat()}
    complete(client, h, "registrar", cid, "check_application", sent)
    complete(client, h, "dean_it", cid, "dean_approval", {"dean_decision": "approve"})
    assert drain(ctx) >= 1
    complete(client, h, "rector", cid, "rector_sign", {"signed": True, "signed_date": sent["mobility_start"]})
    before = (today - timedelta(days=101)).isoformat()
    body = complete(client, h, "registrar", cid, "record_return",
                    {**RETURN, "transcript_received_date": before}, status=422)
    sent_on = today - timedelta(days=100)
    assert body["fields"] == {"transcript_received_date": "Дата раньше направления в вуз-партнёр (начало "
                                                          f"обучения там — {sent_on:%d.%m.%Y})"}
    complete(client, h, "registrar", cid, "record_return", {**RETURN, "transcript_received_date": str(today)})


# --- references from the registry's lists ------------------------------------------------------
def test_a_faculty_code_not_in_the_registry_is_refused(client, ctx, env):
    body = _register(client, env, {"process_id": "transfer_in",
                                   "data": {"applicant": {**APPLICANT, "faculty_code": "ИТ"}}})
    assert body["fields"] == {"data.applicant.faculty_code": "Выберите значение из списка: ECON, IT"}
    body = _register(client, env, {"process_id": "transfer_in", "data": {"applicant": {
        **APPLICANT, "citizenship": "XXX", "programme_code": "6B99999"}}})
    assert body["fields"] == {
        "data.applicant.citizenship": "«XXX» нет в справочнике: выберите значение из списка",
        "data.applicant.programme_code": "Выберите значение из списка: 6B01101, 6B04101, 6B06101, 6B06102"}
    kk = _register(client, env, {"process_id": "transfer_in", "data": {"applicant": {
        **APPLICANT, "citizenship": "XXX"}}}, lang="kk")
    assert kk["fields"] == {"data.applicant.citizenship": "«XXX» анықтамалықта жоқ: мәнді тізімнен таңдаңыз"}
    assert _cases(ctx) == 0
    case = _register(client, env, {"process_id": "transfer_in", "data": {"applicant": {
        **APPLICANT, "citizenship": "UZB"}}}, status=201)
    assert case["data"]["applicant"]["citizenship"] == "UZB"


def test_a_step_offers_and_checks_the_registry_list(client, ctx, env):
    h = env["h"]
    cid = start_case(client, h, "transfer_internal", env["sid"])["id"]
    task = next(t for t in case_view(client, h, cid)["open_tasks"] if t["spec_name"] == "check_documents")
    form = client.get(f"/api/v1/tasks/{task['id']}", headers=h["registrar"]).json
    prop = (form.get("form") or form.get("schema") or {}).get("properties", {}).get("new_programme_code")
    assert prop is not None and "6B04101" in prop["enum"], form.keys()
    assert "6B04101 Экономика" in prop["x-enum-titles"]["ru"]


def test_the_registration_page_offers_faculties_and_keeps_what_was_typed(app, ctx, env):
    registrar = Staff(app, "registrar")
    page = registrar.get("/app/cases/new?process=transfer_in")
    assert '<select' in page and 'value="IT"' in page and "IT — Факультет информационных технологий" in page
    assert "Казахстан" in page and 'value="UZB"' in page  # citizenship from the list of countries
    form = {"process": "transfer_in", "channel": "direct", **{k: str(v) for k, v in APPLICANT.items()},
            "faculty_code": "ИТ", "citizenship": "KAZ"}
    r = registrar.post("/app/cases/new", form, status=422)
    page = r.get_data(as_text=True)
    assert field_error(page, "faculty_code") == "Выберите значение из списка: ECON, IT"
    assert 'value="КарУ им. Букетова"' in page and 'value="Иванов"' in page  # kept
    assert _cases(ctx) == 0


# --- one open case per person and procedure -------------------------------------------------
def test_a_second_arrival_while_the_first_is_open_is_refused(client, ctx, env):
    foreign = add_student(ctx, make_iin(date(2003, 5, 6), "F", 777), last_name="Ли", first_name="Вэй",
                          citizenship="CHN", latin_name="LI WEI")
    arrival = {"process_id": "foreign_registration", "student_id": foreign,
               "data": {"registration_kind": "arrival", "arrival_date": ctx.local_today().isoformat()}}
    first = _register(client, env, arrival, status=201)["id"]
    body = _register(client, env, arrival)
    assert body["fields"] == {"student_id": f"Уже открыто дело № {first}"}
    assert f"уже открыто дело № {first} по этой процедуре" in body["message"]
    kk = _register(client, env, arrival, lang="kk")
    assert kk["fields"] == {"student_id": f"№ {first} іс ашық тұр"}
    # the departure is another notice, registered beside the open arrival
    _register(client, env, {"process_id": "foreign_registration", "student_id": foreign, "data": {
        "registration_kind": "deregistration", "departure_date": ctx.local_today().isoformat(),
        "deregistration_reason": "other"}}, status=201)
    # a future arrival is not notified before it happens
    tomorrow = (ctx.local_today() + timedelta(days=1)).isoformat()
    body = _register(client, env, {**arrival, "data": {"registration_kind": "arrival",
                                                       "arrival_date": tomorrow}})
    assert "data.arrival_date" in body["fields"]


def test_a_second_open_case_is_refused_unless_the_catalog_allows_it(client, ctx, env):
    first = _register(client, env, _leave(env), status=201)["id"]
    body = _register(client, env, _leave(env))
    assert body["fields"] == {"student_id": f"Уже открыто дело № {first}"}
    # certificates from the place of study may be asked for again (allow_parallel)
    for _ in range(2):
        _register(client, env, {"process_id": "cert_study", "student_id": env["sid"]}, status=201)
    # an applicant by ИИН: a second transfer application
    transfer = {"process_id": "transfer_in", "data": {"applicant": dict(APPLICANT)}}
    opened = _register(client, env, transfer, status=201)["id"]
    again = _register(client, env, transfer)
    assert again["fields"] == {"data.applicant.iin": f"Уже открыто дело № {opened}"}
    assert _cases(ctx) == 4


# --- the registry decides the certificate ----------------------------------------------------
def test_the_registry_status_decides_the_certificate(client, ctx, env):
    body = _register(client, env, {"process_id": "cert_incomplete", "student_id": env["sid"],
                                   "data": {"reason": "expulsion"}})
    assert body["fields"] == {"student_id": "Статус в реестре: обучается"}
    assert "Обучающемуся выдаётся справка с места учёбы" in body["message"]
    kk = _register(client, env, {"process_id": "cert_incomplete", "student_id": env["sid"],
                                 "data": {"reason": "expulsion"}}, lang="kk")
    assert "Білім алушыға оқу орнынан анықтама беріледі" in kk["message"]
    expelled = add_student(ctx, make_iin(date(2003, 2, 3), "M", 2222), status="expelled")
    body = _register(client, env, {"process_id": "cert_study", "student_id": expelled})
    assert body["fields"] == {"student_id": "Статус в реестре: отчислен"}
    _register(client, env, {"process_id": "cert_incomplete", "student_id": expelled,
                            "data": {"reason": "expulsion"}}, status=201)
    assert _cases(ctx) == 1


def test_the_registration_page_explains_a_refused_duplicate(app, ctx, env):
    first = _register(client=app.test_client(), env=env, body=_leave(env), status=201)["id"]
    registrar = Staff(app, "registrar")
    r = registrar.post("/app/cases/new", {
        "process": "academic_leave", "channel": "direct", "student_id": str(env["sid"]),
        "app.leave_ground": "medical", "app.leave_start": "2027-01-11", "app.leave_end": "2027-06-30"},
        status=422)
    assert f"для этого же лица уже открыто дело № {first}" in text(r.get_data(as_text=True))
    assert 'value="2027-06-30"' in r.get_data(as_text=True)
