"""The office's settings printed on documents: the letterhead, the rector, the people of the
approval blocks and who signs each register's documents. Stored in the database over the
defaults of config/university.yaml; every change is kept (who, when, old → new)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import Actor
from server.db import utcnow
from server.documents.contexts.common import (
    LETTERHEAD_FIELDS,
    PERSON_FIELDS,
    POSITIONS,
    SIGNED_REGISTERS,
    office_defaults,
    university,
)
from server.models import OfficeSetting, OfficeSettingChange, User
from server.services.context import AppContext
from server.services.errors import Forbidden, Invalid, tr

KEYS = ("letterhead", "rector", "positions", "signatories")
SIGNERS = ("rector", *POSITIONS)
EDITORS = frozenset({"admin"})
MAX_LENGTH = 300
# Letterhead lines a university may leave empty.
OPTIONAL = frozenset({"address_ru", "address_kk", "contacts"})


@dataclass(frozen=True)
class SettingChange:
    key: str
    old: dict[str, Any]
    new: dict[str, Any]
    changed_by: str
    changed_at: datetime


def require_editor(actor: Actor) -> None:
    if not actor.has_any(EDITORS):
        raise Forbidden("Действие доступно только администратору")


def saved(session: Session) -> dict[str, dict[str, Any]]:
    """What the office saved, by setting (no defaults)."""
    return {row.key: dict(row.value) for row in session.scalars(select(OfficeSetting))}


def current(ctx: AppContext, session: Session | None = None) -> dict[str, dict[str, Any]]:
    """Every setting as the documents print it: the yaml defaults with the saved values over them."""
    if session is None:
        with ctx.db.unit_of_work() as s:
            return current(ctx, s)
    settings = office_defaults(ctx.settings.config_dir)
    for key, value in saved(session).items():
        if key in settings:
            settings[key] = _merged(settings[key], value)
    return settings


def _merged(default: dict[str, Any], value: dict[str, Any]) -> dict[str, Any]:
    return {k: ({**v, **value[k]} if isinstance(v, dict) and isinstance(value.get(k), dict)
                else value.get(k, v)) for k, v in default.items()}


def university_for(ctx: AppContext, session: Session, register: str | None = None) -> dict[str, Any]:
    """The university block of a document's context (`university()` with the saved settings);
    for a register, `signatory` is the person who signs that register's documents."""
    uni = university(ctx.settings.config_dir, saved(session))
    if register in uni["signatories"]:
        uni["signatory"] = uni["signatories"][register]
    return uni


def university_now(ctx: AppContext) -> dict[str, Any]:
    """The university block with the saved settings, read in a transaction of its own (reports)."""
    with ctx.db.read() as session:
        return university_for(ctx, session)


def _text(value: Any, field: str, errors: dict[str, str], *, required: bool = True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = tr("Ожидается строка")
        return ""
    text = " ".join(value.split())
    if required and not text:
        errors[field] = tr("Обязательное поле")
    elif len(text) > MAX_LENGTH:
        errors[field] = tr("Не более %(limit)s символов", limit=MAX_LENGTH)
    return text


def _person(value: Any, prefix: str, errors: dict[str, str]) -> dict[str, str]:
    value = value if isinstance(value, dict) else {}
    return {k: _text(value.get(k), f"{prefix}.{k}", errors) for k in PERSON_FIELDS}


def _validated(key: str, value: Any) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if not isinstance(value, dict):
        raise Invalid("Настройка %(key)s не сохранена: ожидается объект", {key: tr("Ожидается объект")},
                      key=key)
    clean: dict[str, Any]
    if key == "letterhead":
        clean = {k: _text(value.get(k), f"letterhead.{k}", errors, required=k not in OPTIONAL)
                 for k in LETTERHEAD_FIELDS}
    elif key == "rector":
        clean = _person(value, "rector", errors)
    elif key == "positions":
        clean = {p: _person(value.get(p), f"positions.{p}", errors) for p in POSITIONS}
    else:
        clean = {}
        for register in SIGNED_REGISTERS:
            signer = value.get(register)
            if signer not in SIGNERS:
                errors[f"signatories.{register}"] = tr("Допустимы: %(known)s", known=", ".join(SIGNERS))
            clean[register] = signer
    unknown = sorted(set(value) - set(clean))
    for name in unknown:
        errors[f"{key}.{name}"] = tr("Неизвестное поле")
    if errors:
        raise Invalid("Настройка %(key)s не сохранена: проверьте поля", errors, key=key)
    return clean


def update(ctx: AppContext, actor: Actor, key: str, value: Any) -> dict[str, Any]:
    """Save one setting whole; an unchanged value records nothing. Returns the new value."""
    require_editor(actor)
    if key not in KEYS:
        raise Invalid("Неизвестная настройка %(key)s", {"key": tr("Допустимы: %(known)s",
                                                                    known=", ".join(KEYS))}, key=key)
    clean = _validated(key, value)
    with ctx.db.unit_of_work() as session:
        old = current(ctx, session)[key]
        if old == clean:
            return clean
        row = session.get(OfficeSetting, key)
        if row is None:
            row = OfficeSetting(key=key)
            session.add(row)
        row.value = clean
        row.updated_at = utcnow()
        row.updated_by = actor.user_id
        session.add(OfficeSettingChange(key=key, old=old, new=clean, changed_by=actor.user_id))
    return clean


def history(ctx: AppContext, actor: Actor, limit: int = 50) -> list[SettingChange]:
    """The latest changes first."""
    require_editor(actor)
    with ctx.db.unit_of_work() as session:
        rows = session.execute(
            select(OfficeSettingChange, User.username)
            .outerjoin(User, User.id == OfficeSettingChange.changed_by)
            .order_by(OfficeSettingChange.id.desc()).limit(limit)).all()
        return [SettingChange(c.key, dict(c.old), dict(c.new), name or "", c.changed_at)
                for c, name in rows]
