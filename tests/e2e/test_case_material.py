"""The decision and its material on one screen, in Chromium: the demo's academic leave goes
through the registrar's check and the dean's approval; the case page the dean lands on gets the
order and its PDF without a reload (the background steps finish after the page was drawn); the
rector signs beside the draft order shown inline. Screenshots of the case page and the rector's
signature in Russian and Kazakh at 1366 and 390 px."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.test_staff_ui import _label, _login, _open_task

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

STUDENT = "Ахметова"  # the demo's academic leave (server/demo.py), of the IT faculty


def _shots(page: Any, screenshots: Path, name: str) -> None:
    """The page in Russian and Kazakh at 1366 and 390 px; nothing wider than the screen."""
    url = page.url
    base, path = url.split("/app/", 1)[0], urlsplit(url).path
    for lang in ("ru", "kk"):
        page.goto(f"{base}/app/lang/{lang}?next={path}")
        page.goto(url)
        for width in (1366, 390):
            page.set_viewport_size({"width": width, "height": 900})
            page.wait_for_timeout(1200)  # the PDF viewer draws the page
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, lang, width)
            page.screenshot(path=str(screenshots / f"{name}-{lang}-{width}.png"), full_page=True)
        page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{base}/app/lang/ru?next={path}")
    page.goto(url)


def test_the_documents_come_without_a_reload_and_the_rector_signs_beside_the_draft(
        browser: Any, live_server: str, screenshots: Path) -> None:
    base = live_server
    registrar = _login(browser, base, "registrar")
    _open_task(registrar, base, "Проверка документов", STUDENT)
    registrar.get_by_role("button", name="Взять в работу").click()
    for name in ("doc_application", "doc_medical_conclusion", "documents_complete"):
        registrar.locator(f"form.task-form input[type=checkbox][name={name}]").check()
    _label(registrar, "Предоставить отпуск (на согласование декану)").check()
    registrar.get_by_role("button", name="Выполнить").click()
    registrar.wait_for_url(re.compile(r"/app/(cases/\d+|tasks/[0-9a-f-]+)$"))

    dean = _login(browser, base, "dean_it")
    _open_task(dean, base, "Согласование деканом", STUDENT)
    # the dean decides beside what the application says and what the registrar found
    material = dean.locator("aside.task-material")
    expect(material).to_contain_text("Заключение врачебно-консультационной комиссии")
    expect(material).to_contain_text("Проверка документов")
    _label(dean, "Согласовать").check()
    dean.get_by_role("button", name="Выполнить").click()
    dean.wait_for_url(re.compile(r"/app/cases/\d+$"))
    case_url = dean.url
    # the order and its PDF are made in the background after this page was drawn: the page
    # shows them when they are ready, without being loaded again
    dean.evaluate("window.__not_reloaded = true")
    block = dean.locator(".documents-block")
    # (the render and the PDF take seconds: the page was drawn before they were done)
    assert block.get_attribute("data-pending") == "1" or block.locator("a.pdf").count()
    print("documents pending when the page was drawn:", block.get_attribute("data-pending"))
    expect(block).to_have_attribute("data-pending", "0", timeout=120_000)
    expect(block.locator("a.pdf").first).to_be_visible()
    expect(block).to_contain_text("order_academic_leave")
    assert dean.evaluate("window.__not_reloaded === true"), "the page was reloaded"
    assert dean.url == case_url

    # the case page in words, as the registrar sees it
    registrar.goto(case_url)
    expect(registrar.locator("#application")).to_contain_text("Основание академического отпуска")
    expect(registrar.locator("#decisions")).to_contain_text("Решение декана")
    _shots(registrar, screenshots, "case-material")

    # the rector signs beside the draft order itself
    rector = _login(browser, base, "rector")
    rector.goto(f"{base}/app/inbox?tab=group&q={STUDENT}")
    rector.get_by_role("link", name="Подписание приказа").first.click()
    rector.wait_for_url(re.compile(r"/app/tasks/"))
    frame = rector.locator("iframe.pdf")
    expect(frame).to_be_visible()
    assert "/pdf/inline" in (frame.get_attribute("src") or "")
    box = frame.bounding_box()
    assert box and box["height"] >= 300 and box["width"] >= 400
    form = rector.locator("form.task-form").bounding_box()
    assert form and form["x"] > box["x"] + box["width"] - 1  # two columns: the draft, the form
    _shots(rector, screenshots, "sign-order")
    # on a phone: one column, the form first; the draft as links (no PDF inside a page there)
    rector.set_viewport_size({"width": 390, "height": 900})
    links = rector.locator(".draft-preview p").first
    expect(links.get_by_role("link", name="Скачать PDF")).to_be_visible()
    expect(frame).to_be_hidden()
    assert rector.locator("form.task-form").bounding_box()["y"] < links.bounding_box()["y"]
