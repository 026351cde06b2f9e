"""Driving the staff UI with Flask's test client: one signed-in session per person, forms
posted with the page's CSRF token, HTML read with regular expressions (the browser tests
in tests/e2e drive the same pages in Chromium)."""

from __future__ import annotations

import html
import re
from typing import Any

PASSWORD = "secret-pass-1"  # the `people` fixture's password
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Staff:
    """A browser session of one user."""

    def __init__(self, app: Any, username: str | None = None, password: str = PASSWORD,
                 lang: str = "ru") -> None:
        self.client = app.test_client()
        self.client.get(f"/app/lang/{lang}")
        if username is not None:
            r = self.login(username, password)
            assert r.status_code == 302, r.get_data(as_text=True)

    def csrf(self) -> str:
        page = self.client.get("/app/login").get_data(as_text=True)
        found = CSRF.search(page)
        assert found, "no CSRF token on the page"
        return found.group(1)

    def login(self, username: str, password: str) -> Any:
        return self.client.post("/app/login", data={"username": username, "password": password,
                                                    "csrf_token": self.csrf()})

    def get(self, path: str, status: int = 200) -> str:
        r = self.client.get(path)
        assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:2000])
        return r.get_data(as_text=True)

    def post(self, path: str, data: dict[str, Any] | list[tuple[str, Any]], status: int = 302,
             **kwargs: Any) -> Any:
        token = self.csrf()
        if isinstance(data, dict):
            payload: Any = {**data, "csrf_token": token}
        else:
            from werkzeug.datastructures import MultiDict

            payload = MultiDict([*data, ("csrf_token", token)])
        r = self.client.post(path, data=payload, **kwargs)
        assert r.status_code == status, (r.status_code, r.get_data(as_text=True)[:3000])
        return r


def text(page: str) -> str:
    """The page's visible text, tags dropped, whitespace folded."""
    page = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


def field_error(page: str, name: str) -> str | None:
    found = re.search(rf'data-error-for="{re.escape(name)}">([^<]*)<', page)
    return html.unescape(found.group(1)) if found else None


def task_links(page: str) -> list[str]:
    return re.findall(r'href="/app/tasks/([0-9a-f-]{36})"', page)
