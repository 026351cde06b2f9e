"""Web sign-in with lockout: after MAX_FAILURES wrong passwords in a row the account is
locked for LOCK_MINUTES (counted per account, so guessing one password cannot lock the
whole office out; the message never tells whether the username exists)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from server.auth import Actor
from server.auth.passwords import verify_password
from server.db import utcnow
from server.models import User
from server.services.context import AppContext
from server.services.errors import DomainError
from server.services.users import actor_for_user

MAX_FAILURES = 5
LOCK_MINUTES = 15


class SignInFailed(DomainError):
    code = "sign_in_failed"

    def __init__(self, message: str, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until


def sign_in(ctx: AppContext, username: str, password: str) -> Actor:
    """Check the password; count failures; raise SignInFailed (wrong or locked)."""
    now = utcnow()
    with ctx.db.unit_of_work() as session:
        user = session.scalar(select(User).where(User.username == username.strip()).with_for_update())
        if user is None or not user.active:
            raise SignInFailed("Неверное имя пользователя или пароль")
        if user.locked_until is not None and user.locked_until > now:
            raise SignInFailed("Учётная запись временно заблокирована после нескольких неудачных "
                               "попыток входа", user.locked_until)
        if not verify_password(user.password_hash, password):
            user.failed_logins = (user.failed_logins or 0) + 1
            if user.failed_logins >= MAX_FAILURES:
                user.failed_logins = 0
                user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
                session.commit()
                raise SignInFailed("Учётная запись временно заблокирована после нескольких неудачных "
                                   "попыток входа", user.locked_until)
            session.commit()
            raise SignInFailed("Неверное имя пользователя или пароль")
        user.failed_logins = 0
        user.locked_until = None
        user.last_login_at = now
        user_id = user.id
    actor = actor_for_user(ctx, user_id)
    if actor is None:  # deactivated between the two reads
        raise SignInFailed("Неверное имя пользователя или пароль")
    return actor
