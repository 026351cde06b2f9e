"""Administration of people: users and their roles, faculties, substitutes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import ROLES, Actor
from server.auth.passwords import hash_password
from server.auth.roles import FACULTY_SCOPED_ROLES
from server.models import Faculty, Substitution, User, UserRole
from server.services.context import AppContext
from server.services.errors import Conflict, Forbidden, Invalid, NotFound, tr
from server.services.people.sessions import end_user_sessions
from server.services.people.throttle import forget_failures

ADMINS = frozenset({"admin"})
MIN_PASSWORD = 8


def _require_admin(actor: Actor) -> None:
    if not actor.has_any(ADMINS):
        raise Forbidden("Действие доступно только администратору")


def list_users(ctx: AppContext, actor: Actor) -> list[User]:
    _require_admin(actor)
    with ctx.db.read() as session:
        return list(session.scalars(select(User).order_by(User.username)).all())


def list_faculties(ctx: AppContext) -> list[Faculty]:
    with ctx.db.read() as session:
        return faculties_in(session)


def faculties_in(session: Session) -> list[Faculty]:
    return list(session.scalars(select(Faculty).order_by(Faculty.code)).all())


@dataclass(frozen=True)
class UserChange:
    full_name: str
    roles: tuple[str, ...]
    faculty_id: int | None
    active: bool
    email: str | None = None
    password: str | None = None  # a new password, or None to keep it


def _check_change(session: Session, change: UserChange) -> dict[str, str]:
    fields: dict[str, str] = {}
    if not change.full_name.strip():
        fields["full_name"] = tr("Обязательное поле")
    unknown = [r for r in change.roles if r not in ROLES]
    if unknown:
        fields["roles"] = tr("Неизвестные роли: %(roles)s", roles=", ".join(unknown))
    if any(r in FACULTY_SCOPED_ROLES for r in change.roles) and change.faculty_id is None:
        fields["faculty_id"] = tr("Для декана укажите факультет")
    if change.faculty_id is not None and session.get(Faculty, change.faculty_id) is None:
        fields["faculty_id"] = tr("Факультет не найден")
    if change.password is not None and len(change.password) < MIN_PASSWORD:
        fields["password"] = tr("Не короче %(length)s символов", length=MIN_PASSWORD)
    return fields


def save_user(ctx: AppContext, actor: Actor, username: str, change: UserChange, *,
              create: bool = False) -> int:
    """Create a user or update one (roles, faculty, active, password)."""
    _require_admin(actor)
    with ctx.db.unit_of_work() as session:
        fields = _check_change(session, change)
        user = session.scalar(select(User).where(User.username == username))
        if create:
            if not username or not username.replace(".", "").replace("_", "").replace("-", "").isalnum():
                fields["username"] = tr("Латинские буквы, цифры, точка, дефис или подчёркивание")
            elif user is not None:
                raise Conflict("Пользователь %(username)s уже существует", {"username": tr("Уже занято")},
                               username=username)
            if change.password is None:
                fields["password"] = tr("Обязательное поле для нового пользователя")
        elif user is None:
            raise NotFound("Пользователь %(username)s не найден", username=username)
        if fields:
            raise Invalid("Исправьте отмеченные поля", fields)
        if user is None:
            user = User(username=username)
            session.add(user)
        if user.id == actor.user_id and ("admin" not in change.roles or not change.active):
            raise Invalid("Нельзя снять с себя роль администратора или отключить себя",
                          {"roles": tr("Оставьте роль администратора")})
        user.full_name = change.full_name.strip()
        user.email = change.email or None
        user.faculty_id = change.faculty_id
        was_active, user.active = user.active, change.active
        if change.password is not None:
            user.password_hash = hash_password(change.password)
        wanted = list(dict.fromkeys(change.roles))
        user.roles = [r for r in user.roles if r.role in wanted] + [
            UserRole(role=r) for r in wanted if r not in user.role_codes]
        session.flush()
        if change.password is not None and not create:
            # a reset password ends every session and every API token of the user
            end_user_sessions(session, user.id, revoke_tokens=True)
            forget_failures(session, username)
        elif was_active and not change.active:
            end_user_sessions(session, user.id)
        user_id = user.id
    return user_id


def create_faculty(ctx: AppContext, actor: Actor, code: str, name_ru: str, name_kk: str) -> int:
    _require_admin(actor)
    fields = {k: tr("Обязательное поле") for k, v in
              (("code", code), ("name_ru", name_ru), ("name_kk", name_kk)) if not v.strip()}
    fields.update({k: tr("Не длиннее %(limit)s символов", limit=limit) for k, v, limit in
                   (("code", code, 32), ("name_ru", name_ru, 200), ("name_kk", name_kk, 200))
                   if len(v.strip()) > limit})
    if fields:
        raise Invalid("Исправьте отмеченные поля", fields)
    with ctx.db.unit_of_work() as session:
        if session.scalar(select(Faculty.id).where(Faculty.code == code.strip())):
            raise Conflict("Факультет %(code)s уже есть", {"code": tr("Уже занято")}, code=code)
        faculty = Faculty(code=code.strip(), name_ru=name_ru.strip(), name_kk=name_kk.strip())
        session.add(faculty)
        session.flush()
        return faculty.id


@dataclass(frozen=True)
class SubstitutionRow:
    id: int
    user: str
    substitute: str
    starts_on: date
    ends_on: date
    reason: str | None
    current: bool


def list_substitutions(ctx: AppContext, actor: Actor) -> list[SubstitutionRow]:
    _require_admin(actor)
    today = ctx.local_today()
    with ctx.db.read() as session:
        names = {u.id: f"{u.full_name} ({u.username})" for u in session.scalars(select(User))}
        rows = session.scalars(select(Substitution).where(Substitution.ends_on >= today)
                               .order_by(Substitution.starts_on)).all()
        return [SubstitutionRow(r.id, names.get(r.user_id, "?"), names.get(r.substitute_id, "?"),
                                r.starts_on, r.ends_on, r.reason, r.starts_on <= today)
                for r in rows]


def add_substitution(ctx: AppContext, actor: Actor, username: str, substitute: str,
                     starts_on: date | None, ends_on: date | None, reason: str | None) -> int:
    _require_admin(actor)
    fields: dict[str, str] = {}
    if starts_on is None:
        fields["starts_on"] = tr("Укажите дату")
    if ends_on is None:
        fields["ends_on"] = tr("Укажите дату")
    if starts_on and ends_on and ends_on < starts_on:
        fields["ends_on"] = tr("Окончание раньше начала")
    if username == substitute:
        fields["substitute"] = tr("Сотрудник не может замещать сам себя")
    with ctx.db.unit_of_work() as session:
        ids = dict(session.execute(select(User.username, User.id)
                                   .where(User.username.in_([username, substitute]))).all())
        if username not in ids:
            fields["user"] = tr("Пользователь не найден")
        if substitute not in ids:
            fields["substitute"] = tr("Пользователь не найден")
        if fields:
            raise Invalid("Исправьте отмеченные поля", fields)
        row = Substitution(user_id=ids[username], substitute_id=ids[substitute], starts_on=starts_on,
                           ends_on=ends_on, reason=reason or None, created_by=actor.user_id)
        session.add(row)
        session.flush()
        row_id = row.id
    return row_id


def end_substitution(ctx: AppContext, actor: Actor, substitution_id: int) -> None:
    _require_admin(actor)
    with ctx.db.unit_of_work() as session:
        row = session.get(Substitution, substitution_id)
        if row is None:
            raise NotFound("Замещение не найдено")
        session.delete(row)
