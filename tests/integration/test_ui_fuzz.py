"""Every page of the staff UI (each `/app/` rule of the Flask url_map, GET and POST) requested by a
signed-in administrator and registrar with hostile query strings, path values and form bodies:
NUL, UTF-16 surrogates as UTF-8 bytes, CR/LF (in `next=` too), 5,000-digit and 20-digit numbers, negative and
zero page numbers, unknown ids. Nothing may answer 5xx (the app runs as in production: errors
become 500 pages, not exceptions). On SQLite and PostgreSQL."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import quote

from tests.integration.procs import add_student, deploy_all
from tests.integration.web import CSRF, Staff

HUGE = "9" * 5000
BIG = "99999999999999999999"
# Each variant is sent to every GET page on its own; a variant groups only values that no check
# refuses before the page has read the others.
QUERY_VARIANTS = [
    f"page={BIG}", f"faculty={BIG}", "faculty=IT", f"year={BIG}&format=xlsx",
    "q=a%00b", "next=/%0d%0aSet-Cookie:%20x=1",
    "q=%ED%A0%80&status=x&tab=all&process=..%2F..%2Fx&register=x&fmt=x",
    f"from=99999-01-01&to=2024-13-45&month=9999-99&live=1&q={'%25_' * 1000}&student_id=-1",
]
FORM_FIELDS = ["reason", "username", "password", "full_name", "email", "faculty_id", "roles", "student_id",
               "process", "channel", "q", "effective_date", "task", "tab", "code", "name_ru", "name_kk",
               "user", "substitute", "date_from", "date_to", "faculty", "withdrawn", "from", "to",
               "app.purpose", "app.copies", "last_name", "iin", "comment", "decision"]
# Form values as sent on the wire (percent-encoded); %ED%A0%80 is a UTF-16 surrogate in UTF-8 bytes.
FORM_VALUES = [quote(v) for v in ("a\x00b", HUGE, BIG, "-1", "0", "x\r\ny", "")] + ["%ED%A0%80", "%FF"]
SKIP = {"staff.logout", "staff.static"}  # signing out would end the walk; static files take no input


def _path_values(arg: str, converter: str, known: dict[str, str]) -> list[str]:
    if converter == "BoundedInt":
        return [known.get(arg, "1"), "2147483647"]
    return {"task_id": [known.get("task_id", "x"), "00000000-0000-0000-0000-000000000000", "a%00b"],
            "username": ["nobody", "a%0d%0ab"], "code": ["en", "%00"], "fmt": ["xlsx", "docx", "x%00"],
            }.get(arg, ["x", "%00"])


def _urls(app: Any, known: dict[str, str]) -> list[tuple[str, set[str]]]:
    """(url, methods) for every /app/ rule, each path argument with each of its values."""
    out = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/app/") or rule.endpoint in SKIP:
            continue
        urls = [rule.rule]
        for arg, conv in rule._converters.items():
            pattern = re.compile(rf"<(?:[^:<>]+:)?{arg}>")
            urls = [pattern.sub(value, url) for url in urls
                    for value in _path_values(arg, type(conv).__name__, known)]
        out += [(url, set(rule.methods or ()) - {"HEAD", "OPTIONS"}) for url in urls]
    return out


def _walk(app: Any, username: str, known: dict[str, str]) -> tuple[list[str], int]:
    staff = Staff(app, username)
    token = CSRF.search(staff.client.get("/app/login").get_data(as_text=True)).group(1)
    failures, sent = [], 0

    def check(method: str, url: str, response: Any) -> None:
        nonlocal sent
        sent += 1
        if response.status_code >= 500:
            failures.append(f"{username} {method} {url[:120]} -> {response.status_code}")

    for url, methods in _urls(app, known):
        if "GET" in methods:
            check("GET", url, staff.client.get(url))
            for query in QUERY_VARIANTS:
                check("GET", f"{url}?{query}", staff.client.get(f"{url}?{query}"))
        if "POST" in methods:
            for value in FORM_VALUES:
                body = "&".join(f"{name}={value}" for name in FORM_FIELDS) + f"&csrf_token={token}"
                check("POST", f"{url} [{value[:12]}]", staff.client.post(
                    url, data=body, content_type="application/x-www-form-urlencoded"))
            check("POST", f"{url}?next=/%0d%0a", staff.client.post(
                f"{url}?next=/%0d%0a&page={BIG}", data={"csrf_token": token, "roles": ["admin", "x\x00"]}))
    return failures, sent


def test_every_ui_route_survives_hostile_input(app, ctx, client, people):
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)  # as in production
    deploy_all(ctx)
    student_id = add_student(ctx)
    r = client.post("/api/v1/cases", headers=people["registrar"], json={
        "process_id": "cert_study", "student_id": student_id, "channel": "direct",
        "data": {"purpose": "в банк", "copies": 1}})
    assert r.status_code == 201, r.json
    known = {"case_id": str(r.json["id"]), "student_id": str(student_id),
             "task_id": r.json["open_tasks"][0]["id"]}
    started = time.monotonic()
    failures, sent = [], 0
    for username in ("registrar", "admin"):
        found, count = _walk(app, username, known)
        failures += found
        sent += count
    assert sent > 1000, sent
    assert not failures, "\n".join(failures)
    assert time.monotonic() - started < 60, f"{sent} requests took {time.monotonic() - started:.0f} s"
