"""The public check of issued documents, hardened: its pages are never framed and no answer
is content-sniffed; verification codes have their own keys with key ids, so rotating
SECRET_KEY or retiring a key keeps printed codes valid, codes printed before key ids included;
and a search for `%` or `_` finds only what it says."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import replace

import pytest
from sqlalchemy import update

from server.app import create_app
from server.auth import Actor
from server.bootstrap import build_context
from server.config import parse_verify_keys
from server.models import Document
from server.services.documents import verification
from server.services.students import imports as students
from tests.integration.test_cert_study import env  # noqa: F401
from tests.integration.test_verification import issued  # noqa: F401

NEW_SECRET = "a-fresh-verification-secret-2027"


def _legacy_code(secret_key: str) -> str:
    """A code as printed before key ids: token + HMAC-SHA256(SECRET_KEY, token)[:8]."""
    token = secrets.token_urlsafe(16)
    digest = hmac.new(secret_key.encode(), token.encode(), hashlib.sha256).digest()
    return token + base64.urlsafe_b64encode(digest[:8]).decode().rstrip("=")


def _app_with(settings):  # type: ignore[no-untyped-def]
    ctx = build_context(settings)
    return ctx, create_app(ctx=ctx, background=False)


# --- headers -----------------------------------------------------------------------------------
def test_every_answer_is_nosniff_and_verify_pages_are_never_framed(client, issued):  # noqa: F811
    for path, status in [(f"/verify/{issued['code']}", 200), ("/verify/forged", 404),
                         ("/api/v1/openapi.json", 200), ("/api/v1/cases", 401), ("/healthz", 200),
                         ("/no/such/page", 404), ("/app/login", 200)]:
        r = client.get(path)
        assert r.status_code == status, path
        assert r.headers.get("X-Content-Type-Options") == "nosniff", path
    for path in (f"/verify/{issued['code']}", "/verify/forged"):
        r = client.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'none'" in csp, csp
        assert r.headers["X-Frame-Options"] == "DENY"
        assert r.headers["Referrer-Policy"] == "no-referrer"  # the code is in the address


# --- keys ------------------------------------------------------------------------------------
def test_codes_name_their_key_and_survive_a_key_rotation(settings, client, issued):  # noqa: F811
    code = issued["code"]
    kid, _, rest = code.partition(".")
    assert kid == verification.DEFAULT_KEY_ID and len(rest) == 33, code
    # SECRET_KEY rotated after a leak, a fresh verification key signs: the printed code still
    # verifies as long as its key is listed (here the old SECRET_KEY, key id "s").
    rotated = replace(settings, secret_key="rotated-session-secret",
                      verify_keys=(("k2", NEW_SECRET), ("s", settings.secret_key)))
    ctx, app = _app_with(rotated)
    try:
        c = app.test_client()
        assert c.get(f"/verify/{code}").status_code == 200
        new = verification.new_code(rotated)
        assert new.startswith("k2.") and verification.code_is_authentic(rotated, new)
        assert not verification.code_is_authentic(settings, new)  # k2 is unknown there
    finally:
        ctx.db.dispose()
    # the old key retired: its codes are refused without a database query
    retired = replace(rotated, verify_keys=parse_verify_keys(f"k2:{NEW_SECRET}"))
    assert not verification.code_is_authentic(retired, code)
    # a key id that is not configured, or a tag from another key, is refused
    assert not verification.code_is_authentic(rotated, "k9." + rest)
    assert not verification.code_is_authentic(rotated, "k2." + rest)


def test_codes_printed_before_key_ids_keep_verifying(settings, ctx, client, issued):  # noqa: F811
    legacy = _legacy_code(settings.secret_key)
    with ctx.db.unit_of_work() as session:
        session.execute(update(Document).where(Document.verification_code == issued["code"])
                        .values(verification_code=legacy))
    r = client.get(f"/verify/{legacy}")
    assert r.status_code == 200 and "Документ подлинный" in r.get_data(as_text=True)
    # after SECRET_KEY is rotated, the old one listed as a verification key keeps them valid
    rotated = replace(settings, secret_key="rotated-session-secret",
                      verify_keys=(("k2", NEW_SECRET), ("s", settings.secret_key)))
    other, app = _app_with(rotated)
    try:
        assert app.test_client().get(f"/verify/{legacy}").status_code == 200
    finally:
        other.db.dispose()
    # a legacy-shaped code with a wrong tag is still refused
    assert not verification.code_is_authentic(settings, legacy[:-1] + ("A" if legacy[-1] != "A" else "B"))


@pytest.mark.parametrize("raw, reason", [
    ("k1", "'<key id>:<secret>'"), ("k-1:" + NEW_SECRET, "letters and digits"),
    ("k1:short", "shorter than 16"), (f"k1:{NEW_SECRET},k1:{NEW_SECRET}x", "listed twice"),
])
def test_verify_keys_setting_is_checked(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match="REGOFFICE_VERIFY_KEYS") as info:
        parse_verify_keys(raw)
    assert reason in str(info.value)
    assert parse_verify_keys(f" k2:{NEW_SECRET} , k1:{NEW_SECRET}1 ,") == \
        (("k2", NEW_SECRET), ("k1", NEW_SECRET + "1"))
    assert parse_verify_keys("") == ()


# --- LIKE wildcards --------------------------------------------------------------------------
def test_percent_and_underscore_match_only_themselves(client, ctx, env, issued):  # noqa: F811
    registrar = env["h"]["registrar"]
    found = client.get("/api/v1/cases", query_string={"q": "Иван"}, headers=registrar).json
    assert found["total"] >= 1
    for q in ("%", "_", "%%", "__", "Ив%", "Ива_ов"):
        r = client.get("/api/v1/cases", query_string={"q": q}, headers=registrar)
        assert r.status_code == 200 and r.json["total"] == 0, (q, r.json)
    assert students.search_students(ctx, Actor.system(), "Ив")
    for q in ("%%", "__", "_в", "%в"):
        assert students.search_students(ctx, Actor.system(), q) == [], q
