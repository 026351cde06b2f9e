"""Codes in words in a real browser: the registers, the case list, a student's record and the
administration pages as the registrar and the administrator read them in Kazakh and Russian,
on a desktop (1366 px) and on a phone (390 px): no raw code, no ISO date, nothing wider than
the screen. Screenshots go to build/screenshots/ (words-*.png)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.integration.test_page_walker import offences

pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

PASSWORD = "demo12345"  # the demo users' password (server/demo.py)
PAGES = {
    "registrar": [("registers", "/app/registers"), ("cases", "/app/cases"),
                  ("cases-finished", "/app/cases?status=finished"), ("student", "/app/students/8")],
    "admin": [("admin-templates", "/app/admin/templates"), ("admin-processes", "/app/admin/processes"),
              ("admin-users", "/app/admin/users"), ("admin-faculties", "/app/admin/faculties")],
}


def _login(browser: Any, base: str, username: str, lang: str, width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ru-RU",
                                  timezone_id="Asia/Almaty")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{base}/app/lang/{lang}?next=/app/login")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("button.primary").click()
    page.wait_for_url(re.compile(r"/app/(?!login)"))
    return page


@pytest.mark.parametrize("username", sorted(PAGES))
@pytest.mark.parametrize("lang", ["kk", "ru"])
@pytest.mark.parametrize("width", [1366, 390])
def test_pages_read_in_words_and_fit_the_screen(browser, live_server, screenshots: Path,
                                                username: str, lang: str, width: int) -> None:
    page = _login(browser, live_server, username, lang, width)
    problems = []
    for name, path in PAGES[username]:
        response = page.goto(live_server + path)
        assert response is not None and response.status == 200, (path, response and response.status)
        page.screenshot(path=str(screenshots / f"words-{name}-{lang}-{width}.png"), full_page=True)
        # what a person reads; <code> holds identifiers shown to administrators on purpose
        text = page.evaluate("""() => { const main = document.querySelector('main').cloneNode(true);
            main.querySelectorAll('code').forEach(c => c.remove()); return main.textContent; }""")
        problems += [f"{path}: {p}" for p in offences(re.sub(r"\s+", " ", text), lang)
                     if not p.startswith("snake_case")]  # logins are people's names here
        overflow = page.evaluate("document.documentElement.scrollWidth")
        if overflow > width + 1:
            problems.append(f"{path} is {overflow} px wide at {width} px")
    page.context.close()
    assert not problems, "\n".join(problems)
