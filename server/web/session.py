"""Signed-cookie sessions for the staff UI: which server-side session is signed in, and the
CSRF token every POST form carries. The session row and the actor are re-read on each request,
so a sign-out, a password reset, a deactivation or a changed role takes effect at once in every
process (server/services/people/sessions.py)."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Request, abort, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface

from server.auth import Actor
from server.services.context import AppContext
from server.services.people import sessions
from server.services.people.users import actor_for_session
from server.web.redirects import same_site_path

CSRF_FIELD = "csrf_token"
API_PREFIX = "/api/"


class StaffSessionInterface(SecureCookieSessionInterface):
    """Cookie sessions are the staff UI's: the API authenticates every request by its bearer
    token and never reads or writes one, so its requests get the null session (read-only,
    empty) without the signing and decoding a cookie session costs on every request."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if request.path.startswith(API_PREFIX):
            return self.make_null_session(app)
        return super().open_session(app, request)


def ctx() -> AppContext:
    return current_app.extensions["regoffice"]


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(32)
    return token


def check_csrf() -> None:
    """Refuse a state-changing request whose form lacks this session's token (400)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.form.get(CSRF_FIELD, "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent, expected):
        abort(400, description="csrf")


def _fresh_cookie() -> None:
    """Empty the cookie session but keep the chosen language (no fixation across sign-ins)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def sign_in_session(actor: Actor) -> None:
    assert actor.user_id is not None
    previous = session.get("sid")
    if isinstance(previous, str):  # signing in again in this browser replaces its session
        sessions.end_session(ctx(), previous)
    _fresh_cookie()
    session.permanent = True
    session["sid"] = sessions.open_session(ctx(), actor.user_id)
    csrf_token()


def sign_out_session(everywhere: bool = False) -> None:
    """End this session on the server (or, `everywhere`, every session of its user)."""
    sid = session.get("sid")
    found = current_actor()
    if everywhere and found is not None and found.user_id is not None:
        sessions.end_all_sessions(ctx(), found.user_id)
    elif isinstance(sid, str):
        sessions.end_session(ctx(), sid)
    _fresh_cookie()


def current_actor() -> Actor | None:
    if "actor" not in g:
        sid = session.get("sid")
        g.actor = actor_for_session(ctx(), sid) if isinstance(sid, str) else None
        if sid is not None and g.actor is None:
            session.pop("sid", None)  # signed out, expired, reset, deactivated or deleted
    return g.actor


def actor() -> Actor:
    found = current_actor()
    assert found is not None
    return found


def login_required(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_actor() is None:
            return redirect(url_for("staff.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def safe_next(target: str | None) -> str:
    """Where a `?next=` may lead (sign-in, language switch): a path on this site
    (server/web/redirects.py decides), else the inbox."""
    return same_site_path(target) or url_for("staff.inbox_page")
