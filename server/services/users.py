"""Users, roles and API tokens."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from server.auth import ROLES, Actor
from server.auth.passwords import hash_password, new_token, token_digest, verify_password
from server.models import ApiToken, Faculty, User, UserRole
from server.services.context import AppContext
from server.services.errors import Conflict, Invalid, NotFound


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
        raise Invalid(f"Неизвестные роли: {', '.join(unknown)}",
                      {"roles": f"Допустимо: {', '.join(ROLES)}"})
    if "dean" in new.roles and not new.faculty_code:
        raise Invalid("Для декана укажите факультет", {"faculty": "Обязательное поле для декана"})
    with ctx.db.unit_of_work() as session:
        if session.scalar(select(User.id).where(User.username == new.username)):
            raise Conflict(f"Пользователь {new.username} уже существует")
        faculty_id = None
        if new.faculty_code:
            faculty_id = session.scalar(select(Faculty.id).where(Faculty.code == new.faculty_code))
            if faculty_id is None:
                raise NotFound(f"Факультет {new.faculty_code} не найден", {"faculty": "Неизвестный код"})
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
            raise NotFound(f"Пользователь {username} не найден")
        session.add(ApiToken(user_id=user.id, name=name, token_hash=token_digest(token)))
    return token


def _actor(user: User) -> Actor:
    return Actor(user.id, user.username, user.role_codes, user.faculty_id, user.full_name)


def actor_for_token(ctx: AppContext, token: str) -> Actor | None:
    with ctx.db.read() as session:
        user = session.scalar(
            select(User).join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == token_digest(token), ApiToken.revoked.is_(False),
                   User.active.is_(True)))
        return _actor(user) if user is not None else None


def authenticate(ctx: AppContext, username: str, password: str) -> Actor | None:
    with ctx.db.read() as session:
        user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
        if user is None or not verify_password(user.password_hash, password):
            return None
        return _actor(user)


def actor_for_user(ctx: AppContext, user_id: int) -> Actor | None:
    with ctx.db.read() as session:
        user = session.get(User, user_id)
        return _actor(user) if user is not None and user.active else None


def set_active(ctx: AppContext, username: str, active: bool) -> None:
    with ctx.db.unit_of_work() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"Пользователь {username} не найден")
        user.active = active
