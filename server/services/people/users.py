"""Users, roles and API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import ROLES, Actor
from server.auth.passwords import hash_password, new_token, token_digest
from server.db import utcnow
from server.hot_path import stands_in_for, token_user
from server.models import ApiToken, Faculty, User, UserRole
from server.services.context import AppContext
from server.services.errors import Conflict, Invalid, NotFound, tr
from server.services.people.sessions import end_user_sessions, live_session, touch


@dataclass(frozen=True)
class NewUser:
    username: str
    full_name: str
    roles: tuple[str, ...]
    password: str | None = None
    faculty_code: str | None = None
    email: str | None = None


def create_user(ctx: AppContext, new: NewUser) -> int:
    unknown = [r for r in new.roles if r not in ROLES]
    if unknown:
        allowed = tr("Допустимо: %(values)s", values=", ".join(ROLES))
        raise Invalid("Неизвестные роли: %(roles)s", {"roles": allowed}, roles=", ".join(unknown))
    if "dean" in new.roles and not new.faculty_code:
        raise Invalid("Для декана укажите факультет", {"faculty": tr("Обязательное поле для декана")})
    with ctx.db.unit_of_work() as session:
        if session.scalar(select(User.id).where(User.username == new.username)):
            raise Conflict("Пользователь %(username)s уже существует", username=new.username)
        faculty_id = None
        if new.faculty_code:
            faculty_id = session.scalar(select(Faculty.id).where(Faculty.code == new.faculty_code))
            if faculty_id is None:
                raise NotFound("Факультет %(code)s не найден", {"faculty": tr("Неизвестный код")},
                               code=new.faculty_code)
        user = User(username=new.username, full_name=new.full_name, email=new.email,
                    faculty_id=faculty_id,
                    password_hash=hash_password(new.password) if new.password else None)
        user.roles = [UserRole(role=r) for r in dict.fromkeys(new.roles)]
        session.add(user)
        session.flush()
        return user.id


def create_token(ctx: AppContext, username: str, name: str = "cli") -> str:
    """A new API token for a user; the plain token is returned once and never stored."""
    token = new_token()
    with ctx.db.unit_of_work() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound("Пользователь %(username)s не найден", username=username)
        session.add(ApiToken(user_id=user.id, name=name, token_hash=token_digest(token)))
    return token


def build_actor(session: Session, user: User, today: date) -> Actor:
    """The user as an actor, with the roles, faculty scope and assigned tasks of everyone
    the user substitutes for today."""
    return _actor(session, user.id, user.username, user.full_name, user.faculty_id,
                  set(user.role_codes), today)


def _actor(session: Session, user_id: int, username: str, full_name: str | None,
           faculty_id: int | None, roles: set[str], today: date) -> Actor:
    """Add what the user takes from everyone they stand in for today: the absent person's
    roles, assigned tasks, and faculty scope when the substitute has none."""
    acting_for = set()
    for other_id, other_faculty, role in stands_in_for(session, user_id, today):
        acting_for.add(other_id)
        if role is not None:
            roles.add(role)
        faculty_id = faculty_id if faculty_id is not None else other_faculty
    return Actor(user_id, username, frozenset(roles), faculty_id, full_name, frozenset(acting_for))


def actor_for_token(ctx: AppContext, token: str) -> Actor | None:
    """The actor of an API token, read from the database on every request (no cache): a
    revoked token or a deactivated user is refused by every process at once."""
    with ctx.db.read() as session:
        rows = token_user(session, token_digest(token))
        if not rows:
            return None
        user_id, username, full_name, faculty_id = rows[0][:4]
        return _actor(session, user_id, username, full_name, faculty_id,
                      {row[4] for row in rows if row[4] is not None}, ctx.local_today())


def actor_for_user(ctx: AppContext, user_id: int) -> Actor | None:
    with ctx.db.read() as session:
        user = session.get(User, user_id)
        return build_actor(session, user, ctx.local_today()) if user is not None and user.active else None


def actor_for_session(ctx: AppContext, sid: str) -> Actor | None:
    """The actor of a staff UI session, or None when the session has ended or expired or the
    user is inactive (server/services/people/sessions.py)."""
    now = utcnow()
    with ctx.db.read() as session:
        row = live_session(ctx.settings, session, sid, now)
        user = session.get(User, row.user_id) if row is not None else None
        if row is None or user is None or not user.active:
            return None
        actor, last_seen_at = build_actor(session, user, ctx.local_today()), row.last_seen_at
    touch(ctx, sid, last_seen_at, now)
    return actor


def set_active(ctx: AppContext, username: str, active: bool) -> None:
    with ctx.db.unit_of_work() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound("Пользователь %(username)s не найден", username=username)
        user.active = active
        if not active:
            end_user_sessions(session, user.id)


def display_names(ctx: AppContext, user_ids: set[int | None]) -> dict[int, str]:
    """Full names of users, for the timeline and the inbox (who did what, who has a task)."""
    with ctx.db.read() as session:
        return names_in(session, user_ids)


def names_in(session: Session, user_ids: set[int | None]) -> dict[int, str]:
    """`display_names`, read in the caller's session."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(ids))).all())
