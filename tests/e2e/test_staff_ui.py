"""The staff UI in a real browser: a transfer registered by the registrar goes through the
dean, the accountant, the vice-rector and the rector, each in their own browser session,
and ends with the order on the case page; field errors, faculty scoping, Kazakh labels,
and the core flow with JavaScript switched off."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from server.domain.iin import make_iin

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

PASSWORD = "demo12345"  # the demo users' password (server/demo.py)
APPLICANT_IIN = make_iin(date(2004, 5, 17), "F", 7777)


def _login(browser: Any, base: str, username: str, *, javascript: bool = True, lang: str = "ru") -> Any:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, java_script_enabled=javascript,
                                  locale="ru-RU", timezone_id="Asia/Almaty")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{base}/app/lang/{lang}?next=/app/login")
    page.get_by_label(re.compile("Имя пользователя|Пайдаланушы аты")).fill(username)
    page.get_by_label(re.compile("Пароль|Құпиясөз")).fill(PASSWORD)
    page.locator("button.primary").click()
    page.wait_for_url(re.compile(r"/app/(inbox.*)?$"))  # the home page, or `next`
    return page


def _label(page: Any, text: str) -> Any:
    """The input labelled exactly `text` (a required field's label ends with " *")."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(text)}( \*)?\s*$"))


def _open_task(page: Any, base: str, task_name: str, student: str) -> None:
    page.goto(f"{base}/app/inbox?tab=group&q={student}")
    page.get_by_role("link", name=task_name).first.click()
    page.wait_for_url(re.compile(r"/app/tasks/"))


def _case_id(page: Any) -> int:
    found = re.search(r"/app/cases/(\d+)", page.url)
    assert found, page.url
    return int(found.group(1))


@pytest.fixture(scope="module")
def registered(browser: Any, live_server: str, screenshots: Path) -> dict[str, Any]:
    """A new transfer application registered in the UI by the registrar."""
    page = _login(browser, live_server, "registrar")
    page.get_by_role("link", name="Новое заявление").click()
    _label(page, "Процедура").select_option("transfer_in")
    page.get_by_role("button", name="Продолжить").click()
    _label(page, "Канал подачи").select_option("state_corporation")
    values = {"ИИН": APPLICANT_IIN, "Фамилия": "Смагулова", "Имя": "Алия",
              "Отчество (при наличии)": "Ерлановна",
              "Вуз-отправитель": "ЕНУ им. Л.Н. Гумилёва",
              "Вуз-отправитель (на казахском языке)": "Л.Н. Гумилев атындағы ЕҰУ",
              "Наименование образовательной программы": "Информационные системы", "Курс": "2"}
    for label, value in values.items():
        _label(page, label).fill(value)
    # chosen from the registry's lists (x-choices)
    _label(page, "Код образовательной программы").select_option("6B06101")
    _label(page, "Код факультета").select_option("IT")
    _label(page, "Бакалавриат").check()
    _label(page, "Форма обучения").select_option("full_time")
    page.get_by_label("Русский", exact=True).check()
    _label(page, "Платная основа").check()
    page.get_by_role("button", name="Зарегистрировать заявление").click()
    page.wait_for_url(re.compile(r"/app/cases/\d+$"))
    case_id = _case_id(page)
    expect(page.get_by_text("Заявление зарегистрировано: дело")).to_be_visible()
    return {"case_id": case_id, "registrar": page}


def test_a_transfer_goes_from_registration_to_the_order(browser, live_server, screenshots, registered):
    base, case_id, registrar = live_server, registered["case_id"], registered["registrar"]

    # the registrar checks the documents: the inbox, then the form
    registrar.goto(f"{base}/app/inbox?tab=group")
    registrar.screenshot(path=str(screenshots / "inbox.png"), full_page=True)
    assert registrar.locator("[data-count=group]").inner_text() != "0"
    _open_task(registrar, base, "Проверка комплектности документов", "Смагулова")
    registrar.get_by_role("button", name="Взять в работу").click()
    # every document is there; the case gets an order of its own (not «В сводный приказ»)
    for box in registrar.locator("form.task-form input[type=checkbox]:not([name=batch_order])").all():
        box.check()
    registrar.screenshot(path=str(screenshots / "form.png"), full_page=True)
    registrar.get_by_role("button", name="Выполнить").click()
    registrar.wait_for_url(re.compile(rf"/app/cases/{case_id}$"))

    # the dean of the student's faculty, in a session of their own: a field error first
    dean = _login(browser, base, "dean_it")
    _open_task(dean, base, "Определение академической разницы", "Смагулова")
    _label(dean, "Отказать").check()
    dean.get_by_role("button", name="Выполнить").click()
    error = dean.locator("[data-field=dean_refusal_ground] .field-error")
    assert error.inner_text().strip().endswith("Обязательное поле")
    expect(dean.get_by_role("alert").first).to_be_visible()
    dean.screenshot(path=str(screenshots / "form-error.png"), full_page=True)
    # then the approval with two disciplines (the second row added by the page's script)
    _label(dean, "Согласовать").check()
    assert dean.locator("[data-field=dean_refusal_ground]").is_hidden()
    rows = dean.locator("table[data-rows=difference] tbody tr")
    # the columns: discipline, its Kazakh name, code, credits, semester
    rows.nth(0).locator("input").nth(0).fill("Алгоритмы и структуры данных")
    rows.nth(0).locator("input").nth(1).fill("Алгоритмдер және деректер құрылымдары")
    rows.nth(0).locator("input").nth(3).fill("6")
    dean.get_by_role("button", name="Добавить строку").click()
    dean.get_by_role("button", name="Добавить строку").click()
    assert rows.count() == 4
    rows.nth(3).locator("input").nth(0).fill("Базы данных")
    rows.nth(3).locator("input").nth(1).fill("Деректер қорлары")
    rows.nth(3).locator("input").nth(3).fill("5")
    _label(dean, "Академическая разница, всего кредитов ECTS").fill("11")
    _label(dean, "Срок ликвидации академической разницы").fill("2026-12-25")
    dean.get_by_role("button", name="Выполнить").click()
    dean.wait_for_url(re.compile(rf"/app/cases/{case_id}$"))

    accountant = _login(browser, base, "accountant")
    _open_task(accountant, base, "Оформление договора на платное обучение", "Смагулова")
    _label(accountant, "Номер договора").fill("Д-2026/77")
    _label(accountant, "Дата договора").fill("2026-08-12")
    _label(accountant, "Предоплата внесена").check()
    accountant.get_by_role("button", name="Выполнить").click()
    accountant.wait_for_url(re.compile(rf"/app/cases/{case_id}$"))

    # the vice-rector approves from the inbox, with the "approve selected" action
    vr = _login(browser, base, "vicerector")
    vr.goto(f"{base}/app/inbox?tab=group&q=Смагулова")
    vr.locator("input[name=task]").first.check()
    vr.get_by_role("button", name="Согласовать выбранные").click()
    expect(vr.get_by_text("Согласовано: 1 из 1")).to_be_visible()

    # the order is rendered in the background; the rector signs it
    rector = _login(browser, base, "rector")
    for _ in range(60):
        rector.goto(f"{base}/app/inbox?tab=group&q=Смагулова")
        if rector.get_by_role("link", name="Подписание приказа").count():
            break
        rector.wait_for_timeout(500)
    _open_task(rector, base, "Подписание приказа", "Смагулова")
    _label(rector, "Приказ подписан").check()
    _label(rector, "Дата подписания").fill("2026-08-14")
    rector.get_by_role("button", name="Выполнить").click()

    # the registrar sees the order and the personal-file request (issued in the background; no
    # military-office notice for a woman), the history and the map
    for _ in range(60):
        registrar.goto(f"{base}/app/cases/{case_id}")
        if registrar.locator("svg.process-map .current[data-id=request_personal_file]").count():
            break
        registrar.wait_for_timeout(500)
    documents = registrar.locator("#documents a:not(.pdf)")
    assert documents.count() == 4
    assert all(name.endswith(".docx") for name in documents.all_inner_texts())
    with registrar.expect_download() as download:
        documents.first.click()
    assert download.value.suggested_filename.endswith(".docx")
    history = registrar.locator("ol.timeline").inner_text()
    for label in ("Заявление зарегистрировано", "Шаг выполнен", "Документ выпущен"):
        assert label in history
    assert registrar.locator("svg.process-map .done").count() >= 5
    assert registrar.locator("svg.process-map .current[data-id=request_personal_file]").count() == 1
    assert registrar.locator("svg.process-map .flow.taken").count() >= 5
    registrar.screenshot(path=str(screenshots / "case.png"), full_page=True)
    for page in (dean, accountant, vr, rector):
        page.context.close()


def test_a_dean_of_another_faculty_cannot_open_the_case(browser, live_server, registered):
    page = _login(browser, live_server, "dean_econ")
    response = page.goto(f"{live_server}/app/cases/{registered['case_id']}")
    assert response.status == 404
    expect(page.get_by_text("Дело не найдено или недоступно вам")).to_be_visible()
    page.goto(f"{live_server}/app/inbox?tab=group&q=Смагулова")
    expect(page.get_by_text("Задач нет.")).to_be_visible()
    page.context.close()


def test_switching_to_kazakh_changes_the_labels(browser, live_server):
    page = _login(browser, live_server, "registrar")
    page.goto(f"{live_server}/app/inbox?tab=mine")  # sign-in lands on the home page
    expect(page.get_by_role("link", name="Мои задачи")).to_be_visible()
    page.get_by_role("link", name="Қазақша").click()
    expect(page.get_by_role("link", name="Менің тапсырмаларым")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "kk"
    assert page.get_by_role("link", name="Мои задачи").count() == 0
    page.get_by_role("link", name="Жаңа өтініш").click()
    expect(page.get_by_role("heading", name="Жаңа өтініш")).to_be_visible()
    page.context.close()


def test_closing_a_case_asks_first_and_the_day_of_an_action_starts_at_today(browser, live_server):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    page = _login(browser, live_server, "registrar")
    page.goto(f"{live_server}/app/inbox?tab=group")
    page.get_by_role("link", name="Доработка заявления (повторная подача)").first.click()
    today = datetime.now(ZoneInfo("Asia/Almaty")).date().isoformat()
    assert _label(page, "Дата повторной подачи").input_value() == today
    # the day is prefilled, nothing is sent: the task stays for the test without JavaScript
    def case_links() -> list[str]:
        hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
        return [h for h in hrefs if re.fullmatch(r"/app/cases/\d+", h)]

    resubmission_case = case_links()[0]
    # close another open case of the demo (the oldest in progress)
    page.goto(f"{live_server}/app/cases?status=in_progress")
    case_href = [h for h in case_links() if h != resubmission_case][-1]
    page.goto(f"{live_server}{case_href}")
    page.get_by_label("Причина").fill("Заявитель не явился")
    asked: list[str] = []

    def answer(dialog: Any, accept: bool) -> None:
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda d: answer(d, False))
    page.get_by_role("button", name="Закрыть дело").click()
    assert asked and "не может быть открыто снова" in asked[0]
    expect(page.get_by_role("button", name="Закрыть дело")).to_be_visible()  # still open
    page.once("dialog", lambda d: answer(d, True))
    page.get_by_role("button", name="Закрыть дело").click()
    page.wait_for_load_state()
    assert len(asked) == 2
    expect(page.get_by_role("button", name="Закрыть дело")).to_have_count(0)
    page.context.close()


def test_the_core_flow_works_without_javascript(browser, live_server, screenshots):
    page = _login(browser, live_server, "registrar", javascript=False)
    page.goto(f"{live_server}/app/inbox?tab=group")
    page.get_by_role("link", name="Доработка заявления (повторная подача)").first.click()
    page.get_by_role("button", name="Выполнить").click()
    assert page.locator(".field-error").count() >= 1  # required fields, no script involved
    _label(page, "Дата повторной подачи").fill("2026-08-20")
    _label(page, "Представленные документы").fill("Транскрипт")
    page.get_by_role("button", name="Выполнить").click()
    page.wait_for_url(re.compile(r"/app/(cases|tasks)/"))
    expect(page.get_by_text("Выполнено: «Доработка заявления (повторная подача)»")).to_be_visible()
    page.context.close()
