"""The office's templates in a real browser: the administrator uploads a new version of the
transfer order edited as a .docx, sees the tags it uses, previews it for the demo's case (the PDF
shown in the page), activates it and rolls it back; the pages are photographed at 1366 and
390 px in Russian and Kazakh, and the Kazakh pages carry no English words."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import docx
import pytest

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "demo12345"  # the demo users' password (server/demo.py)
MARK = "Редакция приказа 2027 года"
# Words of the English UI that must not remain on a Kazakh page.
ENGLISH = re.compile(r"\b(Version|Upload|Preview|Activate|Roll back|Download|Tags|Status|Actions|Case|"
                     r"every|built-in|in use|Save|Letterhead|Settings?)\b")


def _edited_order() -> bytes:
    document = docx.Document(ROOT / "templates" / "order_transfer_in_ru.docx")
    document.add_paragraph(MARK)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _admin(browser: Any, base: str, width: int, lang: str) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ru-RU",
                                  timezone_id="Asia/Almaty")
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{base}/app/lang/{lang}?next=/app/login")
    page.get_by_label(re.compile("Имя пользователя|Пайдаланушы аты")).fill("admin")
    page.get_by_label(re.compile("Пароль|Құпиясөз")).fill(PASSWORD)
    page.locator("button.primary").click()
    page.wait_for_url(re.compile(r"/app/((inbox|admin).*)?$"))  # the home page
    return page


def _row(page: Any, language: str, version: int) -> Any:
    return page.locator(f'table.versions[data-language="{language}"] tr[data-version="{version}"]')


def _fits(page: Any) -> None:
    """Nothing wider than the window (the tables scroll inside their own box)."""
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1, f"the page is {overflow}px wider than the window"


def test_upload_tags_preview_activate_roll_back(browser, live_server, screenshots):
    shots = screenshots
    page = _admin(browser, live_server, 1366, "ru")
    page.goto(f"{live_server}/app/admin/templates")
    page.get_by_role("link", name="Приказ о зачислении в порядке перевода").click()
    page.wait_for_url(re.compile(r"/app/admin/templates/order_transfer_in"))

    # upload a version edited in Word: stored, not yet in use, its tags listed
    page.locator("#file").set_input_files({"name": "prikaz-2027.docx", "buffer": _edited_order(),
                                           "mimeType": "application/vnd.openxmlformats-officedocument"
                                                       ".wordprocessingml.document"})
    page.locator("#language").select_option("ru")
    page.locator("#note").fill("новая редакция")
    page.get_by_role("button", name="Загрузить", exact=True).click()
    expect(page.locator(".flash.info")).to_contain_text("Версия 2 загружена")
    row = _row(page, "ru", 2)
    expect(row).to_contain_text("новая редакция")
    row.locator("details.tags summary").click()
    expect(row.locator("details.tags")).to_contain_text("students")
    expect(row.locator("details.tags")).to_contain_text("signatory")
    expect(_row(page, "ru", 1)).to_contain_text("действует")

    # preview for the demo's case with the order: the PDF is shown in the page
    expect(page.locator("#pv-version")).to_have_value("2")
    page.get_by_role("button", name="Показать").click()
    frame = page.locator("iframe.pdf")
    expect(frame).to_be_visible()
    source = frame.get_attribute("src")
    response = page.request.get(f"{live_server}{source}")
    assert response.status == 200 and response.body().startswith(b"%PDF")
    assert response.headers["content-type"] == "application/pdf"
    page.screenshot(path=str(shots / "admin-template-preview-1366-ru.png"), full_page=True)

    # activate: version 2 is in use; roll back: version 1 again, version 2 kept (each click waits
    # for the page it posts to: the preview's frame may still be loading its PDF)
    page.goto(f"{live_server}/app/admin/templates/order_transfer_in")
    with page.expect_navigation(wait_until="domcontentloaded"):
        _row(page, "ru", 2).get_by_role("button", name="Ввести в действие").click()
    expect(page.locator(".flash.info")).to_contain_text("действует версия 2")
    expect(_row(page, "ru", 2)).to_have_class(re.compile("current"))
    expect(_row(page, "ru", 1)).not_to_have_class(re.compile("current"))
    with page.expect_navigation(wait_until="domcontentloaded"):
        _row(page, "ru", 2).get_by_role("button", name="Откатить").click()
    expect(page.locator(".flash.info")).to_contain_text("действует версия 1")
    expect(_row(page, "ru", 1)).to_have_class(re.compile("current"))
    expect(_row(page, "ru", 2)).to_be_visible()
    page.context.close()


@pytest.mark.parametrize("width", [1366, 390])
@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_pages_at_both_widths_and_languages(browser, live_server, screenshots, width, lang):
    page = _admin(browser, live_server, width, lang)
    for name, path in (("templates", "/app/admin/templates"),
                       ("template", "/app/admin/templates/order_transfer_in?language=ru&version=1"),
                       ("settings", "/app/admin/settings")):
        page.goto(f"{live_server}{path}")
        _fits(page)
        body = page.locator("main").inner_text()
        if lang == "kk":
            assert not ENGLISH.search(body), ENGLISH.search(body)
            assert "Тіркеуші кеңсесі" in page.locator("body").inner_text() or name != "settings"
        page.screenshot(path=str(screenshots / f"admin-{name}-{width}-{lang}.png"), full_page=True)
    page.context.close()
