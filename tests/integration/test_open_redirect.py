"""`?next=` never leads to another site: the language switch and the sign-in follow only a path
of this site (server/web/redirects.py), whatever a browser would make of the address."""

from __future__ import annotations

import pytest

from server.web.redirects import same_site_path
from tests.integration.web import PASSWORD, Staff

FALLBACK = "/app/inbox"

# Query values as an attacker types them in the address (percent-escapes included).
EVIL = [
    "//evil.com",
    "/%09/evil.com",            # a tab the browser drops: //evil.com
    "/%5Cevil.com",             # /\evil.com: a backslash is a slash to browsers
    "/%5C%09/evil.com",         # /\<tab>/evil.com
    "%09//evil.com",            # a leading tab
    "/%0D%0A/evil.com",         # CR/LF (also a header injection)
    "/%0A/evil.com",
    "https:evil.com",
    "https://evil.com/app/",
    "/%2F%2Fevil.com",          # //evil.com after decoding
    "/%252F%252Fevil.com",      # /%2F%2Fevil.com after decoding
    "%2F%2Fevil.com",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "/%E3%80%80/evil.com",      # an ideographic space
    "/%E2%80%A8/evil.com",      # a line separator
    "///evil.com",
    "evil.com",
]


def _location(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 302, (response.status_code, response.get_data(as_text=True)[:500])
    return response.headers["Location"]


def test_language_switch_follows_only_paths_of_this_site(app) -> None:
    staff = Staff(app)
    bad = {raw: loc for raw in EVIL
           if (loc := _location(staff.client.get(f"/app/lang/en?next={raw}"))) != FALLBACK}
    assert not bad, f"redirected elsewhere than {FALLBACK}: {bad}"
    # a path of ours is kept, its non-ASCII query percent-encoded
    assert _location(staff.client.get("/app/lang/kk?next=/app/cases?q=%D0%98%D0%B2")) == \
        "/app/cases?q=%D0%98%D0%B2"
    assert _location(staff.client.get("/app/lang/ru?next=/app/inbox?tab=group")) == "/app/inbox?tab=group"


def test_sign_in_follows_only_paths_of_this_site(app, people) -> None:
    bad = {}
    for raw in EVIL:
        staff = Staff(app)
        r = staff.client.post(f"/app/login?next={raw}", data={
            "username": "registrar", "password": PASSWORD, "csrf_token": staff.csrf()})
        if (loc := _location(r)) != FALLBACK:
            bad[raw] = loc
    assert not bad, f"sign-in redirected elsewhere than {FALLBACK}: {bad}"


@pytest.mark.parametrize("value", [
    "//evil.com", "/\t/evil.com", "/\\evil.com", "/\\\t/evil.com", "\t//evil.com", "https:evil",
    "/%2F%2Fevil.com", "/\r\n/evil.com", "/\n/evil.com", "javascript:alert(1)", "/\u3000/evil.com",
    "/%5C/evil.com", "http://evil.com", "", None, "app/inbox",
])
def test_same_site_path_refuses(value: str | None) -> None:
    assert same_site_path(value) is None


def test_same_site_path_keeps_our_paths() -> None:
    assert same_site_path("/app/inbox?tab=group") == "/app/inbox?tab=group"
    assert same_site_path("/app/cases?q=a%20b&page=2") == "/app/cases?q=a%20b&page=2"
    assert same_site_path("/app/cases?q=Иванов") == "/app/cases?q=%D0%98%D0%B2%D0%B0%D0%BD%D0%BE%D0%B2"
