"""Registering an application: the checks a registration passes before anything is written
(who registers, the data's size and names, the registration and application forms, the
scans by content and size). What needs the deployed model (which keys the procedure
declares) is checked in the registering transaction, before its first write
(server/services/cases/lifecycle.py)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from server.auth import Actor
from server.auth.roles import CASE_STARTERS
from server.domain.calendar import CHANNELS
from server.domain.case_data import RESERVED_DATA_KEYS
from server.services.cases.applications import check_size, complete_application
from server.services.cases.scans import CheckedFile, Upload, check_uploads
from server.services.context import AppContext
from server.services.errors import Forbidden, Invalid, tr
from server.services.tasks.date_rules import check_dates
from server.services.tasks.forms import validate_submission
from server.services.tasks.references import with_choices


@dataclass
class StartRequest:
    process_id: str
    student_id: int | None = None
    channel: str = "direct"
    data: dict[str, Any] = field(default_factory=dict)
    received_at: datetime | None = None
    uploads: list[Upload] = field(default_factory=list)  # scans registered with the application


@dataclass(frozen=True)
class Checked:
    """A registration that passed the checks that need no database: the request as it will
    be started, the keys its application gave, and its files as they will be stored."""

    req: StartRequest
    given: frozenset[str]
    files: list[CheckedFile]


def validate_start(req: StartRequest) -> None:
    fields: dict[str, str] = {}
    if req.channel not in CHANNELS:
        fields["channel"] = tr("Допустимые каналы: %(values)s", values=", ".join(CHANNELS))
    if not isinstance(req.data, dict):
        fields["data"] = tr("Ожидается объект JSON")
    else:
        for key in req.data:
            if key in RESERVED_DATA_KEYS or not str(key).isidentifier() or str(key).startswith("_"):
                fields[f"data.{key}"] = tr("Недопустимое имя переменной")
    if fields:
        raise Invalid("Заявление не зарегистрировано: исправьте отмеченные поля", fields)


def _validate_registration(ctx: AppContext, req: StartRequest) -> None:
    """A process's registration form (forms/<process_id>/register.schema.json), when it has
    one, validates the applicant of a case started without a registered student."""
    forms = ctx.forms
    key = f"{req.process_id}/register"
    if req.student_id is not None or not forms.exists(key):
        return
    schema, validator = with_choices(ctx, *forms.load(key))
    applicant = req.data.get("applicant")
    if not isinstance(applicant, dict):
        raise Invalid("Укажите данные заявителя", {"data.applicant": tr("Обязательное поле")})
    try:
        validate_submission(schema, validator, applicant)
    except Invalid as exc:
        raise Invalid(exc.message, {f"data.applicant.{k}": v for k, v in exc.fields.items()}) from None
    check_dates(ctx, key, applicant, prefix="data.applicant.",
                message="Заявление не зарегистрировано: исправьте отмеченные поля")


def check_start(ctx: AppContext, actor: Actor, req: StartRequest) -> Checked:
    """The request as it will be started (the application's defaults filled in, its files
    checked by content), or the reason it cannot be: nothing is written before these checks
    pass, and the rest (which keys the procedure declares) is checked in the transaction
    before its first write."""
    if not actor.has_any(CASE_STARTERS):
        raise Forbidden("Регистрировать заявления может специалист офиса регистратора")
    check_size(ctx, req.data)
    validate_start(req)
    _validate_registration(ctx, req)
    files = check_uploads(ctx, req.uploads)
    data = complete_application(ctx, req.process_id, req.data, has_student=req.student_id is not None)
    return Checked(replace(req, data=data, uploads=[]), frozenset(map(str, req.data)), files)
