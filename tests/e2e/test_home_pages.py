"""The home page, the students list and the header in Chromium: after sign-in each role lands on
its home page; the header stays on one line at 1366 px for every role in every language;
at 390 px (a phone) the home page and the students list in Kazakh scroll no wider than the
screen, the navigation folds into a menu. Screenshots go to build/screenshots/."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

PASSWORD = "demo12345"  # the demo users' password (server/demo.py)
ROLES = ("admin", "registrar", "head", "dean_it", "vicerector", "rector", "intl", "accountant")


def _login(browser: Any, base: str, username: str, *, width: int = 1366, lang: str = "ru") -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ru-RU",
                                  timezone_id="Asia/Almaty")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{base}/app/lang/{lang}?next=/app/login")
    page.get_by_label(re.compile("Имя пользователя|Пайдаланушы аты")).fill(username)
    page.get_by_label(re.compile("Пароль|Құпиясөз")).fill(PASSWORD)
    page.locator("button.primary").click()
    page.wait_for_url(re.compile(r"/app/$"))  # the home page
    return page


def _scroll_width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def test_the_header_is_one_line_at_1366_for_every_role(browser, live_server: str, screenshots: Path):
    for username in ROLES:
        page = _login(browser, live_server, username)
        for lang in ("ru", "kk", "en"):
            page.goto(f"{live_server}/app/lang/{lang}?next=/app/")
            header = page.locator("header.top")
            box = header.bounding_box()
            assert box and box["height"] <= 56, (username, lang, box)
            # nothing overlaps: the last menu item ends before the language switch begins
            nav_end = page.evaluate("Math.max(...[...document.querySelectorAll('header.top nav a')]"
                                    ".map(a => a.getBoundingClientRect().right))")
            tools = page.locator("header.top .tools").bounding_box()
            assert tools and nav_end <= tools["x"], (username, lang, nav_end, tools)
            assert _scroll_width(page) <= 1366, (username, lang)
            expect(page.locator("header.top nav")).to_be_visible()
            expect(page.locator("label.menu-button")).to_be_hidden()
            if username in ("registrar", "dean_it", "rector"):
                page.screenshot(path=str(screenshots / f"home-{username}-{lang}-1366.png"), full_page=True)
        page.context.close()


def test_home_and_students_in_kazakh_at_390(browser, live_server: str, screenshots: Path):
    for username in ("registrar", "dean_it", "rector"):
        page = _login(browser, live_server, username, width=390, lang="kk")
        expect(page.locator("h2#h-work")).to_have_text("Менің жұмысым")
        assert _scroll_width(page) <= 390, (username, _scroll_width(page))
        page.screenshot(path=str(screenshots / f"home-{username}-kk-390.png"), full_page=True)
        # the navigation is a menu: hidden until opened
        expect(page.locator("header.top nav")).to_be_hidden()
        page.locator("label.menu-button").click()
        expect(page.locator("header.top nav")).to_be_visible()
        assert _scroll_width(page) <= 390
        page.locator("header.top nav").get_by_text("Студенттер").click()
        page.wait_for_url(re.compile(r"/app/students/"))
        expect(page.locator("h1")).to_have_text("Студенттер")
        assert _scroll_width(page) <= 390, (username, "students", _scroll_width(page))
        if username == "registrar":
            page.screenshot(path=str(screenshots / "students-registrar-kk-390.png"), full_page=True)
        page.goto(f"{live_server}/app/lang/ru?next=/app/")
        assert _scroll_width(page) <= 390
        page.screenshot(path=str(screenshots / f"home-{username}-ru-390.png"), full_page=True)
        page.context.close()


def test_students_search_in_the_browser(browser, live_server: str):
    page = _login(browser, live_server, "registrar", lang="kk")
    page.goto(f"{live_server}/app/students/")
    rows = page.locator("table.students tbody tr")
    assert rows.count() > 0
    first = rows.first.locator("td.title a").inner_text()
    surname = first.split()[0]
    page.get_by_label("Студенттің аты-жөні немесе ЖСН").fill(surname.lower())
    page.get_by_role("button", name="Іздеу").click()
    expect(page.locator("table.students")).to_contain_text(first)
    page.locator("table.students td.title a").first.click()
    page.wait_for_url(re.compile(r"/app/students/\d+$"))
    expect(page.locator("h1")).to_contain_text(surname)
