"""Staff UI sessions kept on the server. The signed cookie carries a random session id; the
session is valid while its row (keyed by the id's SHA-256) exists and is neither idle past
`session_idle_minutes` nor older than `session_max_hours`. Every request reads the row by its
primary key, so deleting it (sign-out, a password reset, deactivation) ends the session in
every process at once; there is no cache to wait out."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.orm import Session

from server.auth.passwords import token_digest
from server.config import Settings
from server.db import utcnow
from server.models import ApiToken, UserSession
from server.services.context import AppContext

# last_seen_at is written at most this often per session (the idle timeout is that coarse).
TOUCH_SECONDS = 60


def _idle(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.session_idle_minutes)


def _lifetime(settings: Settings) -> timedelta:
    return timedelta(hours=settings.session_max_hours)


def open_session(ctx: AppContext, user_id: int) -> str:
    """Start a session for a user who has just signed in; returns the id for the cookie.
    Sessions that have expired (anyone's) are deleted on the way: sign-ins are rare."""
    sid = secrets.token_urlsafe(32)
    now = utcnow()
    with ctx.db.unit_of_work() as session:
        session.execute(delete(UserSession).where(or_(
            UserSession.last_seen_at < now - _idle(ctx.settings),
            UserSession.created_at < now - _lifetime(ctx.settings))))
        session.add(UserSession(id=token_digest(sid), user_id=user_id, created_at=now, last_seen_at=now))
    return sid


def live_session(settings: Settings, session: Session, sid: str, now: datetime) -> UserSession | None:
    """The session's row if it exists and has not expired (a primary-key read)."""
    row = session.get(UserSession, token_digest(sid))
    if row is None or now - row.last_seen_at > _idle(settings) or now - row.created_at > _lifetime(settings):
        return None
    return row


def touch(ctx: AppContext, sid: str, last_seen_at: datetime, now: datetime) -> None:
    """Record activity for the idle timeout, at most once a minute per session."""
    if now - last_seen_at < timedelta(seconds=TOUCH_SECONDS):
        return
    with ctx.db.unit_of_work() as session:
        session.execute(update(UserSession).where(UserSession.id == token_digest(sid))
                        .values(last_seen_at=now))


def end_session(ctx: AppContext, sid: str) -> None:
    """Sign-out: this session ends; the user's other sessions go on."""
    with ctx.db.unit_of_work() as session:
        session.execute(delete(UserSession).where(UserSession.id == token_digest(sid)))


def end_all_sessions(ctx: AppContext, user_id: int) -> None:
    """Sign-out everywhere: every session of the user ends."""
    with ctx.db.unit_of_work() as session:
        end_user_sessions(session, user_id)


def end_user_sessions(session: Session, user_id: int, *, revoke_tokens: bool = False) -> None:
    """Inside the caller's transaction: end every session of a user and, when asked (a password
    reset), revoke every API token the user has."""
    session.execute(delete(UserSession).where(UserSession.user_id == user_id))
    if revoke_tokens:
        session.execute(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked.is_(False))
                        .values(revoked=True))
