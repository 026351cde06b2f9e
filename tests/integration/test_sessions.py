"""Staff UI sessions end on the server (server/services/people/sessions.py): a cookie copied before
sign-out is worthless after it; a password reset ends every session and API token of the user,
a deactivation every session; idle and absolute lifetimes; Secure cookie and HSTS behind TLS."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import func, select, update

from server.db import utcnow
from server.models import Faculty, UserSession
from tests.integration.web import Staff

COOKIE = "regoffice_session"


def replay(app, staff: Staff):  # type: ignore[no-untyped-def]
    """A second browser holding a copy of `staff`'s session cookie."""
    copy = app.test_client()
    copy.set_cookie(COOKIE, staff.client.get_cookie(COOKIE).value)
    return copy


def _signed_out(response) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 302 and "/app/login" in response.headers["Location"]


def test_a_cookie_copied_before_sign_out_is_refused_after_it(app, people):
    staff = Staff(app, "registrar")
    copy = replay(app, staff)
    assert copy.get("/app/inbox").status_code == 200
    staff.post("/app/logout", {})
    assert _signed_out(copy.get("/app/inbox"))
    assert _signed_out(staff.client.get("/app/inbox"))


def test_sign_out_ends_this_session_and_sign_out_everywhere_ends_all(app, ctx, people):
    office, home = Staff(app, "registrar"), Staff(app, "registrar")
    office.post("/app/logout", {})
    home.get("/app/inbox")  # another session of the same user goes on
    laptop = Staff(app, "registrar")
    assert 'name="everywhere" value="1"' in laptop.get("/app/inbox")
    laptop.post("/app/logout", {"everywhere": "1"})
    assert _signed_out(home.client.get("/app/inbox")) and _signed_out(laptop.client.get("/app/inbox"))
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_a_password_reset_ends_the_sessions_and_tokens_of_the_user(app, client, people):
    user = Staff(app, "registrar")
    copy = replay(app, user)
    other = Staff(app, "registrar2")
    assert client.get("/api/v1/tasks", headers=people["registrar"]).status_code == 200
    Staff(app, "admin").post("/app/admin/users/registrar", {
        "full_name": "Registrar", "roles": "registrar", "active": "on", "password": "new-pass-123"})
    assert _signed_out(user.client.get("/app/inbox")) and _signed_out(copy.get("/app/inbox"))
    assert client.get("/api/v1/tasks", headers=people["registrar"]).status_code == 401
    other.get("/app/inbox")  # other users go on
    assert client.get("/api/v1/tasks", headers=people["registrar2"]).status_code == 200
    Staff(app, "registrar", password="new-pass-123").get("/app/inbox")
    # an edit without a new password ends nothing
    Staff(app, "admin").post("/app/admin/users/registrar2", {
        "full_name": "Registrar 2", "roles": "registrar", "active": "on"})
    other.get("/app/inbox")


def test_deactivation_ends_every_session_even_after_reactivation(app, ctx, client, people):
    user = Staff(app, "dean_it")
    copy = replay(app, user)
    admin = Staff(app, "admin")
    with ctx.db.read() as session:
        faculty = str(session.scalar(select(Faculty.id).where(Faculty.code == "IT")))
    admin.post("/app/admin/users/dean_it", {"full_name": "Dean", "roles": "dean", "faculty_id": faculty})
    assert _signed_out(copy.get("/app/inbox"))
    assert client.get("/api/v1/tasks", headers=people["dean_it"]).status_code == 401
    admin.post("/app/admin/users/dean_it", {"full_name": "Dean", "roles": "dean", "faculty_id": faculty,
                                            "active": "on"})
    assert _signed_out(copy.get("/app/inbox")) and _signed_out(user.client.get("/app/inbox"))


def test_sessions_end_when_idle_and_after_the_working_day(app, ctx, people):
    settings = ctx.settings
    assert (settings.session_idle_minutes, settings.session_max_hours) == (30, 9)
    idle, long_day = Staff(app, "registrar"), Staff(app, "registrar2")
    active = Staff(app, "head")
    now = utcnow()
    with ctx.db.unit_of_work() as session:
        rows = {s.user_id: s for s in session.scalars(select(UserSession))}
        assert len(rows) == 3
        by_name = dict(zip(("registrar", "registrar2", "head"), sorted(rows), strict=True))
        session.execute(update(UserSession).where(UserSession.user_id == by_name["registrar"])
                        .values(last_seen_at=now - timedelta(minutes=31)))
        session.execute(update(UserSession).where(UserSession.user_id == by_name["registrar2"])
                        .values(created_at=now - timedelta(hours=9, minutes=1)))
        session.execute(update(UserSession).where(UserSession.user_id == by_name["head"])
                        .values(created_at=now - timedelta(hours=8),
                                last_seen_at=now - timedelta(minutes=29)))
    assert _signed_out(idle.client.get("/app/inbox")) and _signed_out(long_day.client.get("/app/inbox"))
    active.get("/app/inbox")
    with ctx.db.read() as session:  # the visit counts as activity
        seen = session.scalar(select(UserSession.last_seen_at).where(UserSession.user_id == by_name["head"]))
        assert utcnow() - seen < timedelta(minutes=1)
    assert app.permanent_session_lifetime == timedelta(hours=9)


def test_behind_tls_the_cookie_is_secure_and_hsts_is_sent(ctx, people):
    from server.app import create_app

    plain = create_app(ctx=ctx, background=False).test_client()
    r = plain.get("/app/login")
    assert "Secure" not in r.headers["Set-Cookie"] and "Strict-Transport-Security" not in r.headers
    ctx.settings = replace(ctx.settings, behind_tls=True)
    tls = create_app(ctx=ctx, background=False).test_client()
    r = tls.get("/app/login")
    assert "; Secure" in r.headers["Set-Cookie"]
    assert r.headers["Strict-Transport-Security"].startswith("max-age=")
    assert "Strict-Transport-Security" in tls.get("/healthz").headers
    assert "Strict-Transport-Security" in tls.get("/api/v1/tasks", headers=people["registrar"]).headers


def test_behind_a_trusted_proxy_the_forwarded_address_is_throttled(ctx, people):
    from server.app import create_app
    from server.services.people import throttle

    ctx.settings = replace(ctx.settings, proxy_hops=1)
    app = create_app(ctx=ctx, background=False)
    staff = Staff(app)
    for i in range(throttle.ADDRESS_FREE):
        staff.client.post("/app/login", headers={"X-Forwarded-For": "192.0.2.1"},
                          data={"username": f"u{i}", "password": "x", "csrf_token": staff.csrf()})
    forwarded = {"username": "registrar", "password": "secret-pass-1", "csrf_token": staff.csrf()}
    assert staff.client.post("/app/login", data=forwarded,
                             headers={"X-Forwarded-For": "192.0.2.1"}).status_code == 401
    assert staff.client.post("/app/login", data=forwarded,
                             headers={"X-Forwarded-For": "192.0.2.2"}).status_code == 302


def test_signing_in_again_replaces_the_browsers_session(app, ctx, people):
    staff = Staff(app, "registrar")
    copy = replay(app, staff)
    assert staff.login("registrar", "secret-pass-1").status_code == 302
    assert _signed_out(copy.get("/app/inbox"))
    staff.get("/app/inbox")
    with ctx.db.read() as session:
        assert session.scalar(select(func.count()).select_from(UserSession)) == 1
