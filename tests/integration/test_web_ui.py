"""The staff UI (/app) through HTTP: sign-in (its throttling: test_signin_throttle.py), CSRF,
the inbox, task forms with field errors, registration, the case page with the process map,
faculty scoping, languages, administration. The same flows run in a real browser in tests/e2e."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from server.auth import Actor
from server.db import utcnow
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.models import AuditEvent, HumanTask, OutboxJob, User
from server.services.procedures import deployments
from tests.integration.api import complete
from tests.integration.test_transfer_in import ALL_DOCS, APPLICANT, _start
from tests.integration.web import Staff, field_error, task_links, text


@pytest.fixture
def deployed(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    return people


def _task_id(ctx, case_id: int, spec: str) -> str:
    with ctx.db.read() as session:
        task_id = session.scalar(select(HumanTask.id).where(
            HumanTask.case_id == case_id, HumanTask.spec_name == spec, HumanTask.status == "open"))
    assert task_id, f"no open {spec} in case {case_id}"
    return task_id


# --- sign-in ---------------------------------------------------------------------------------
def test_pages_need_sign_in_and_return_after_it(app, people):
    anonymous = Staff(app)
    r = anonymous.client.get("/app/inbox?tab=group")
    assert r.status_code == 302 and "/app/login?next=" in r.headers["Location"]
    r = anonymous.client.post("/app/login?next=/app/inbox?tab%3Dgroup", data={
        "username": "registrar", "password": "secret-pass-1", "csrf_token": anonymous.csrf()})
    assert r.status_code == 302 and r.headers["Location"].endswith("/app/inbox?tab=group")
    # an address on another site is never followed after sign-in
    other = Staff(app)
    r = other.client.post("/app/login?next=//evil.example/x", data={
        "username": "registrar", "password": "secret-pass-1", "csrf_token": other.csrf()})
    assert r.headers["Location"] == "/app/inbox"


def test_forms_without_the_csrf_token_are_refused(app, people):
    staff = Staff(app)
    r = staff.client.post("/app/login", data={"username": "registrar", "password": "secret-pass-1"})
    assert r.status_code == 400 and "Форма устарела" in r.get_data(as_text=True)
    signed_in = Staff(app, "registrar")
    r = signed_in.client.post("/app/logout", data={"csrf_token": "forged"})
    assert r.status_code == 400
    signed_in.get("/app/inbox")  # still signed in


def test_sign_out_and_deactivated_users(app, ctx, people):
    staff = Staff(app, "registrar")
    staff.post("/app/logout", {})
    assert staff.client.get("/app/inbox").status_code == 302
    other = Staff(app, "registrar2")
    with ctx.db.unit_of_work() as session:
        session.execute(update(User).where(User.username == "registrar2").values(active=False))
    assert other.client.get("/app/inbox").status_code == 302  # the session ends at once


def test_security_headers_on_staff_pages(app, people):
    r = Staff(app).client.get("/app/login")
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Cache-Control"] == "no-store"
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("regoffice_session=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --- inbox -----------------------------------------------------------------------------------
def test_inbox_tabs_counts_filters_and_overdue(app, ctx, client, deployed):
    first = _start(client, deployed)["id"]
    # another applicant (one open transfer per person)
    second = _start(client, deployed, last_name="Сейтов", iin=make_iin(date(2004, 3, 9), "M", 4329))["id"]
    registrar = Staff(app, "registrar")
    page = registrar.get("/app/inbox?tab=group")
    assert re.search(r'data-count="group">2<', page) and re.search(r'data-count="mine">0<', page)
    assert len(task_links(page)) == 2 and "Проверка комплектности документов" in page
    assert "Сейтов" in registrar.get("/app/inbox?tab=group&q=Сейтов")
    assert "Иванов" not in text(registrar.get("/app/inbox?tab=group&q=Сейтов")).split("Поступило")[1]
    assert len(task_links(registrar.get(f"/app/inbox?tab=group&q={APPLICANT['iin']}"))) == 1
    assert len(task_links(registrar.get(f"/app/inbox?tab=group&q={APPLICANT['iin'][:6]}"))) == 2
    assert task_links(registrar.get("/app/inbox?tab=group&process=cert_study")) == []
    bad = registrar.get("/app/inbox?tab=group&from=31.12.2026")
    assert "Неверная дата" in bad
    # claiming moves a task to "my tasks"
    task_id = _task_id(ctx, first, "check_documents")
    registrar.post(f"/app/tasks/{task_id}/claim", {})
    page = registrar.get("/app/inbox")
    assert task_links(page) == [task_id] and re.search(r'data-count="mine">1<', page)
    # an overdue task is highlighted and counted
    with ctx.db.unit_of_work() as session:
        session.execute(update(HumanTask).where(HumanTask.case_id == second)
                        .values(due_at=utcnow() - timedelta(hours=1)))
    page = registrar.get("/app/inbox?tab=overdue")
    assert re.search(r'data-count="overdue">1<', page) and 'class="overdue"' in page
    assert "просрочено" in page and len(task_links(page)) == 1
    # nobody else's inbox has the registrar's work
    assert task_links(Staff(app, "dean_it").get("/app/inbox?tab=group")) == []


# --- tasks -----------------------------------------------------------------------------------
def test_task_form_shows_field_errors_and_keeps_the_input(app, ctx, client, deployed):
    case_id = _start(client, deployed)["id"]
    complete(client, deployed, "registrar", case_id, "check_documents", ALL_DOCS)
    task_id = _task_id(ctx, case_id, "determine_difference")
    dean = Staff(app, "dean_it")
    page = dean.get(f"/app/tasks/{task_id}")
    assert "Определение академической разницы" in page
    assert 'name="difference.0.discipline"' in page and 'name="dean_decision"' in page
    r = dean.post(f"/app/tasks/{task_id}", {"dean_decision": "reject", "dean_comment": "<b>нет</b>"},
                  status=422)
    page = r.get_data(as_text=True)
    assert field_error(page, "dean_refusal_ground") == "Обязательное поле"
    assert 'aria-invalid="true"' in page and "&lt;b&gt;нет&lt;/b&gt;" in page  # kept, escaped
    # a cell of a row gets its error next to it
    r = dean.post(f"/app/tasks/{task_id}", {
        "dean_decision": "approve", "final_year": "", "difference.0.discipline": "Алгоритмы",
        "difference.0.credits": "0", "difference_credits": "6"}, status=422)
    assert field_error(r.get_data(as_text=True), "difference.0.credits")
    r = dean.post(f"/app/tasks/{task_id}", {
        "dean_decision": "approve", "difference.0.discipline": "Алгоритмы", "difference.0.credits": "6",
        "difference.0.discipline_kk": "Алгоритмдер",
        "difference.1.discipline": "Базы данных", "difference.1.credits": "4",
        "difference.1.discipline_kk": "Деректер базасы",
        "difference_credits": "10", "difference_deadline": "2026-12-25"})
    assert r.headers["Location"] == f"/app/cases/{case_id}"
    with ctx.db.read() as session:
        event = session.scalars(select(AuditEvent).where(
            AuditEvent.case_id == case_id, AuditEvent.kind == "task_completed")
            .order_by(AuditEvent.id.desc())).first()
    assert event.payload["data"]["difference"] == [
        {"discipline": "Алгоритмы", "discipline_kk": "Алгоритмдер", "credits": 6},
        {"discipline": "Базы данных", "discipline_kk": "Деректер базасы", "credits": 4}]
    assert event.payload["data"]["final_year"] is False


def test_a_dean_of_another_faculty_cannot_open_the_case(app, ctx, client, deployed):
    case_id = _start(client, deployed)["id"]
    complete(client, deployed, "registrar", case_id, "check_documents", ALL_DOCS)
    task_id = _task_id(ctx, case_id, "determine_difference")
    other = Staff(app, "dean_econ")
    assert "Дело не найдено" in other.get(f"/app/cases/{case_id}", status=404)
    other.get(f"/app/tasks/{task_id}", status=404)
    other.post(f"/app/tasks/{task_id}", {"dean_decision": "approve"}, status=404)
    assert str(case_id) not in text(other.get("/app/cases")).split("Статус")[-1]
    assert "Сведения" in Staff(app, "dean_it").get(f"/app/cases/{case_id}")


# --- the whole procedure in the UI -------------------------------------------------------------
def test_register_a_transfer_and_take_it_to_the_order_in_the_ui(app, ctx, deployed):
    registrar = Staff(app, "registrar")
    page = registrar.get("/app/cases/new?process=transfer_in")
    assert 'name="iin"' in page and 'name="sending_university"' in page
    form = {"process": "transfer_in", "channel": "state_corporation", "iin": "123456789012",
            "last_name": "Иванов", "first_name": "Пётр", "sending_university": "КарУ",
            "sending_university_kk": "Қарағанды университеті",
            "programme_code": "6B06102", "programme_name": "Программная инженерия", "year": "2",
            "level": "bachelor", "form": "full_time", "language": "ru", "funding": "paid",
            "faculty_code": "IT"}
    r = registrar.post("/app/cases/new", form, status=422)
    assert field_error(r.get_data(as_text=True), "iin")  # the check digit is wrong
    with ctx.db.read() as session:
        assert session.scalar(select(HumanTask.id)) is None  # nothing registered
    pdf = (io.BytesIO(b"%PDF-1.4 scan"), "заявление.pdf", "application/pdf")
    r = registrar.post("/app/cases/new", {**form, "iin": APPLICANT["iin"], "middle_name": "Сергеевич",
                                          "attachments": pdf}, content_type="multipart/form-data")
    case_id = int(r.headers["Location"].rsplit("/", 1)[-1])

    task_id = _task_id(ctx, case_id, "check_documents")
    registrar.post(f"/app/tasks/{task_id}", {k: "on" for k in ALL_DOCS})
    dean = Staff(app, "dean_it")
    dean.post(f"/app/tasks/{_task_id(ctx, case_id, 'determine_difference')}",
              {"dean_decision": "approve", "difference_credits": "0"})
    Staff(app, "accountant").post(f"/app/tasks/{_task_id(ctx, case_id, 'paid_contract')}", {
        "contract_number": "Д-17", "contract_date": "2026-08-12", "prepayment_received": "on"})
    # the vice-rector approves from the inbox, several at once
    vr = Staff(app, "vicerector")
    page = vr.get("/app/inbox?tab=group")
    vr_task = _task_id(ctx, case_id, "vr_approval")
    assert f'name="task" value="{vr_task}"' in page
    r = vr.post("/app/inbox/approve", [("task", vr_task), ("tab", "group")])
    assert "Согласовано: 1 из 1" in vr.get("/app/inbox?tab=group")
    assert drain(ctx) >= 1  # the order is rendered in the background
    Staff(app, "rector").post(f"/app/tasks/{_task_id(ctx, case_id, 'sign_order')}",
                              {"signed": "on", "signed_date": "2026-08-14"})
    assert drain(ctx) == 4  # the military-office notice, the personal-file request (letters)

    page = registrar.get(f"/app/cases/{case_id}")
    body = text(page)
    assert "Иванов Пётр Сергеевич" in body and APPLICANT["iin"] in body
    assert "Госкорпорация" in body
    links = re.findall(r'href="/app/documents/(\d+)">([^<]+)<', page)
    # the order, the military-office notice and the personal-file request, each in ru and kk
    assert [re.sub(r"_\d+-[уп]_(ru|kk)\.docx$", "", name) for _, name in links] == [
        "order_transfer_in", "order_transfer_in", "letter_military", "letter_military",
        "letter_personal_file", "letter_personal_file"]
    r = registrar.client.get(f"/app/documents/{links[0][0]}")
    assert r.status_code == 200 and r.data[:2] == b"PK"
    assert "заявление.pdf" in page
    # the order register: the number, the student, who signed; and its XLSX
    register = text(registrar.get("/app/registers?register=orders"))
    assert "Реестры выданных документов" in register and "Иванов Пётр Сергеевич" in register
    assert "Rector" in register  # who signed: the people fixture names the rector "Rector"
    r = registrar.client.get("/app/registers?register=orders&format=xlsx")
    assert r.status_code == 200 and r.data[:2] == b"PK"
    Staff(app, "dean_it").get("/app/registers", status=403)
    for label in ("Заявление зарегистрировано", "Шаг выполнен", "Документ выпущен", "Прикреплён файл"):
        assert label in body
    # the map: the steps done, the one the case is at, the path taken
    svg = re.search(r"<svg.*?</svg>", page, flags=re.S).group(0)
    assert re.search(r'class="bpmn userTask done" data-id="check_documents"', svg)
    assert re.search(r'class="bpmn userTask current" data-id="request_personal_file"', svg)
    assert 'class="flow taken"' in svg and "<script" not in svg
    # a dean of another faculty cannot download it
    Staff(app, "dean_econ").get(f"/app/documents/{links[0][0]}", status=404)


def test_approving_several_reports_the_ones_that_need_the_form(app, ctx, client, deployed):
    case_id = _start(client, deployed)["id"]
    complete(client, deployed, "registrar", case_id, "check_documents", ALL_DOCS)
    dean_task = _task_id(ctx, case_id, "determine_difference")
    # the dean's approval needs the difference fields: approving it blindly is refused, kept open
    dean = Staff(app, "dean_it")
    dean.post("/app/inbox/approve", [("task", dean_task)])
    page = dean.get("/app/inbox?tab=group")
    assert "Согласовано: 0 из 1" in page and "исправьте отмеченные поля" in page
    # the failure names the case and the student, not the task's hash
    assert f"Дело № {case_id} (Иванов Пётр Сергеевич)" in text(page)
    assert f"{dean_task[:8]}:" not in page
    assert _task_id(ctx, case_id, "determine_difference") == dean_task


def test_the_inbox_opens_on_the_group_queue_when_nothing_is_mine(app, client, deployed):
    _start(client, deployed)
    registrar = Staff(app, "registrar")
    r = registrar.client.get("/app/inbox?q=")
    assert r.status_code == 302 and "tab=group" in r.headers["Location"] and "q=" in r.headers["Location"]
    assert "Мои задачи" in registrar.get("/app/inbox?tab=mine")  # asked for: stays
    # someone with nothing anywhere stays on «Мои задачи»
    assert "Мои задачи" in Staff(app, "rector").get("/app/inbox")


# --- languages ---------------------------------------------------------------------------------
def test_switching_language_changes_the_labels(app, ctx, client, deployed):
    case_id = _start(client, deployed)["id"]
    staff = Staff(app, "registrar")
    assert "Мои задачи" in staff.get("/app/inbox?tab=mine")
    r = staff.client.get("/app/lang/kk?next=/app/inbox")
    assert r.headers["Location"] == "/app/inbox"
    page = staff.get("/app/inbox?tab=group")
    assert "Менің тапсырмаларым" in page and 'lang="kk"' in page and "Мои задачи" not in page
    assert "Басқа жоғары оқу орнынан ауыстыру" in page  # the procedure's Kazakh name
    task_id = _task_id(ctx, case_id, "check_documents")
    page = staff.get(f"/app/tasks/{task_id}")
    assert "Орындау" in page and "<h1>Құжаттардың толықтығын тексеру</h1>" in page
    staff.get("/app/lang/en", status=302)
    assert "My tasks" in staff.get("/app/inbox?tab=group")
    staff.get("/app/lang/xx", status=404)


def test_every_message_is_translated_and_compiled():
    from babel.messages.extract import extract_from_dir
    from babel.messages.mofile import read_mo
    from babel.messages.pofile import read_po

    from server.web.i18n import TRANSLATIONS

    root = TRANSLATIONS.parent.parent.parent
    method_map = [("server/**.py", "python"), ("server/web/templates/staff/**.html", "jinja2")]
    used = {msg[2] for msg in extract_from_dir(str(root), method_map, keywords={"_": None, "gettext": None})
            if isinstance(msg[2], str)}
    assert len(used) > 150
    for lang in ("ru", "kk"):
        folder = TRANSLATIONS / lang / "LC_MESSAGES"
        with open(folder / "messages.po", "rb") as fh:
            po = read_po(fh)
        with open(folder / "messages.mo", "rb") as fh:
            mo = read_mo(fh)
        missing = sorted(m for m in used if not (po.get(m) and po.get(m).string) or po.get(m).fuzzy)
        assert not missing, f"{lang}: untranslated {missing[:10]}"
        stale = [m.id for m in po if m.id and (mo.get(m.id) is None or mo.get(m.id).string != m.string)]
        assert not stale, f"{lang}: messages.mo is stale; run pybabel compile -d server/web/translations"


# --- attachments, XSS --------------------------------------------------------------------------
def test_attachments_are_checked_and_kept(app, ctx, client, deployed):
    case_id = _start(client, deployed, last_name="<script>alert(1)</script>")["id"]
    registrar = Staff(app, "registrar")
    page = registrar.get(f"/app/cases/{case_id}")
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert" not in registrar.get("/app/inbox?tab=group")
    r = registrar.post(f"/app/cases/{case_id}/attachments",
                       {"attachments": (io.BytesIO(b"MZ..."), "virus.exe")},
                       content_type="multipart/form-data")
    assert "допустимы PDF" in registrar.get(r.headers["Location"].split("#")[0])
    r = registrar.post(f"/app/cases/{case_id}/attachments",
                       {"attachments": [(io.BytesIO(b"%PDF-1.4 a"), "паспорт.pdf"),
                                        (io.BytesIO(b"\x89PNG\r\n\x1a\n b"), "../../etc/passwd.png")]},
                       content_type="multipart/form-data")
    page = registrar.get(f"/app/cases/{case_id}")
    ids = re.findall(r'href="/app/attachments/(\d+)">([^<]+)<', page)
    assert [name for _id, name in ids] == ["паспорт.pdf", "passwd.png"]
    r = registrar.client.get(f"/app/attachments/{ids[0][0]}")
    assert r.status_code == 200 and r.data == b"%PDF-1.4 a"
    Staff(app, "dean_econ").get(f"/app/attachments/{ids[0][0]}", status=404)


# --- administration ----------------------------------------------------------------------------
def test_admin_manages_users_faculties_and_versions(app, ctx, deployed):
    admin = Staff(app, "admin")
    Staff(app, "registrar").get("/app/admin/users", status=403)
    r = admin.post("/app/admin/users/new", {"username": "dean_ped", "full_name": "Декан ПФ",
                                            "roles": "dean", "password": "long-enough-1",
                                            "active": "on"}, status=422)
    assert "Для декана укажите факультет" in r.get_data(as_text=True)
    admin.post("/app/admin/faculties", {"code": "PED", "name_ru": "Педагогический",
                                        "name_kk": "Педагогикалық"})
    page = admin.get("/app/admin/faculties")
    faculty_id = re.search(r'<option value="(\d+)"', admin.get("/app/admin/users/new")).group(1)
    assert "Педагогикалық" in page
    admin.post("/app/admin/users/new", {"username": "dean_ped", "full_name": "Декан ПФ", "roles": "dean",
                                        "faculty_id": faculty_id, "password": "long-enough-1",
                                        "active": "on"})
    assert "Декан ПФ" in admin.get("/app/admin/users")
    Staff(app, "dean_ped", password="long-enough-1").get("/app/inbox")
    # deactivating signs the user out
    admin.post("/app/admin/users/dean_ped", {"full_name": "Декан ПФ", "roles": "dean",
                                             "faculty_id": faculty_id})
    assert Staff(app).login("dean_ped", "long-enough-1").status_code == 401
    # an administrator cannot lock themself out
    r = admin.post("/app/admin/users/admin", {"full_name": "A", "roles": "registrar", "active": "on"},
                   status=422)
    assert "администратора" in r.get_data(as_text=True)
    page = admin.get("/app/admin/processes")
    assert "transfer_in.bpmn" in page and "Перевод из другой организации" in page


def test_a_substitute_gets_the_absent_deans_tasks(app, ctx, client, deployed):
    case_id = _start(client, deployed)["id"]
    complete(client, deployed, "registrar", case_id, "check_documents", ALL_DOCS)
    task_id = _task_id(ctx, case_id, "determine_difference")
    substitute = Staff(app, "registrar2")
    assert task_id not in task_links(substitute.get("/app/inbox?tab=group"))
    admin = Staff(app, "admin")
    today = ctx.local_today()
    r = admin.post("/app/admin/substitutes", {"user": "dean_it", "substitute": "registrar2",
                                              "starts_on": str(today), "ends_on": str(today - timedelta(1))},
                   status=422)
    assert "Окончание раньше начала" in r.get_data(as_text=True)
    admin.post("/app/admin/substitutes", {"user": "dean_it", "substitute": "registrar2",
                                          "starts_on": str(today), "ends_on": str(today + timedelta(7)),
                                          "reason": "отпуск"})
    assert "отпуск" in admin.get("/app/admin/substitutes")
    assert task_id in task_links(substitute.get("/app/inbox?tab=group"))
    substitute.post(f"/app/tasks/{task_id}", {"dean_decision": "approve", "difference_credits": "0"})
    row = re.search(r'/app/admin/substitutes/(\d+)/end', admin.get("/app/admin/substitutes")).group(1)
    admin.post(f"/app/admin/substitutes/{row}/end", {})
    assert "registrar2" not in text(admin.get("/app/admin/substitutes")).split("Назначить")[0]


def test_failed_background_steps_are_listed_and_retried(app, ctx, deployed):
    from server.services.background.operations import enqueue_probe

    job_id = enqueue_probe(ctx, Actor.system(), fail_times=99)
    with ctx.db.unit_of_work() as session:
        session.execute(update(OutboxJob).where(OutboxJob.id == job_id)
                        .values(status="failed", attempts=5, last_error="boom <b>"))
    head = Staff(app, "head")
    page = head.get("/app/admin/incidents")
    assert "boom &lt;b&gt;" in page and f"/app/admin/incidents/{job_id}/retry" in page
    Staff(app, "dean_it").get("/app/admin/incidents", status=403)
    head.post(f"/app/admin/incidents/{job_id}/skip", {"reason": ""})
    head.post(f"/app/admin/incidents/{job_id}/retry", {})
    with ctx.db.read() as session:
        assert session.get(OutboxJob, job_id).status == "pending"
    assert "Сбоев нет" in head.get("/app/admin/incidents")


# --- reports -----------------------------------------------------------------------------------
def test_reports_page_for_the_head_of_the_office(app, ctx, client, deployed):
    from openpyxl import load_workbook

    _start(client, deployed)
    Staff(app, "registrar").get("/app/reports/", status=403)
    Staff(app, "dean_it").get("/app/reports/", status=403)
    head = Staff(app, "head")
    assert 'href="/app/reports/"' in head.get("/app/inbox")
    month = ctx.local_today().strftime("%Y-%m")
    page = head.get(f"/app/reports/?month={month}&live=1")
    body = text(page)
    first = ctx.local_today().replace(day=1).strftime("%d.%m.%Y")
    assert f"Оказание государственных услуг, {first} — " in body
    assert "Перевод из другой организации высшего образования" in body and "Итого" in body
    assert page.count("<svg") == 4 and "<script" not in page.split("<main", 1)[1].split("</main>")[0]
    r = head.client.get(f"/app/reports/public-services.xlsx?month={month}&live=1")
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.data)).active
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    assert "Перевод из другой организации высшего образования" in values
    assert head.client.get(f"/app/reports/public-services.docx?month={month}").data[:2] == b"PK"
    assert head.client.get("/app/reports/public-services.pdf?month=2026-03").status_code == 422
    assert "ГГГГ-ММ" in head.get("/app/reports/?month=март", status=422)
    r = head.client.get("/app/reports/contingent.xlsx?from=2026-01-01&to=2026-12-31")
    assert r.status_code == 200 and r.data[:2] == b"PK"
    assert head.client.get("/app/reports/contingent.xlsx?from=x&to=y").status_code == 422
    head.get("/app/lang/kk", status=302)
    assert "Мемлекеттік көрсетілетін қызметтер" in head.get(f"/app/reports/?month={month}")


def test_every_procedures_case_and_task_pages_render(app, ctx):
    """The demo has a case of every procedure: each case page (with its map) and each open
    task's form renders, in Russian and in Kazakh."""
    from server import demo
    from server.models import Case

    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    demo.seed(ctx)
    with ctx.db.read() as session:
        case_ids = {c.process_id: c.id for c in session.scalars(select(Case))}
        open_tasks = list(session.scalars(select(HumanTask.id).where(HumanTask.status == "open")))
    assert len(case_ids) == 16
    for lang in ("ru", "kk"):
        head = Staff(app, "head", password=demo.DEMO_PASSWORD, lang=lang)
        for process_id, case_id in case_ids.items():
            page = head.get(f"/app/cases/{case_id}")
            assert "<svg" in page and 'class="bpmn' in page, process_id
        for task_id in open_tasks:
            page = head.get(f"/app/tasks/{task_id}")
            assert "<h1>" in page and "Traceback" not in page
