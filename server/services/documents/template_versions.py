"""Versions of the document templates: the office uploads a new .docx of a template (per
language, optionally only for a faculty or a level of study), sees the tags it uses, previews it
for a real case, activates it and can roll back. Version 1 of each template is the file shipped
in templates/ ("built-in"); issuing a document takes the active version of the most specific
scope for the case (faculty and level, faculty, level, every case) and records it."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from io import BytesIO
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, undefer

from server.auth import Actor
from server.db import utcnow
from server.documents.checking import (
    TemplateProblem,
    check_template,
    example_context,
    tags_of,
    template_bases,
    template_languages,
    template_path,
)
from server.documents.render import TemplateRenderError
from server.domain.registry import CHOICES
from server.models import AuditEvent, Case, Faculty, Student, TemplateVersion, User
from server.services.context import AppContext
from server.services.errors import Forbidden, Invalid, Msg, NotFound, tr

MANAGERS = frozenset({"admin"})
BUILTIN = 1
LEVELS = CHOICES["level"]
DOCX_SUFFIX = ".docx"


@dataclass(frozen=True)
class ActiveTemplate:
    """What a document of a base in a language is rendered from: the .docx, its version and
    row (None for the built-in file)."""

    content: bytes
    version: int
    version_id: int | None
    filename: str
    sha256: str


@dataclass(frozen=True)
class VersionView:
    id: int | None
    base: str
    language: str
    faculty: str
    level: str
    version: int
    filename: str
    tags: list[str]
    active: bool
    builtin: bool
    note: str
    uploaded_by: str
    created_at: datetime | None


def problem_message(problem: TemplateProblem) -> Msg:
    """A template problem in words, in the reader's language."""
    if problem.kind == "missing_tag":
        return tr("шаблон %(template)s: тег «%(tag)s» не предоставлен контекстом документа "
                  "(его нет в примере контекста)", template=problem.template, tag=problem.tag)
    if problem.kind == "malformed":
        return tr("шаблон %(template)s: тег записан неверно (Word мог разбить его при наборе: "
                  "наберите тег заново одним фрагментом) рядом с текстом «%(detail)s»",
                  template=problem.template, detail=problem.detail or "…")
    if problem.kind == "no_example":
        return tr("шаблон %(template)s: нет файла с примером контекста", template=problem.template)
    return tr("шаблон %(template)s: файл не читается как документ .docx", template=problem.template)


def _require(actor: Actor) -> None:
    if not actor.has_any(MANAGERS):
        raise Forbidden("Действие доступно только администратору")


def _check_base(ctx: AppContext, base: str, language: str | None = None) -> None:
    if base not in template_bases(ctx.settings.templates_dir):
        raise NotFound("Шаблон %(base)s не найден", base=base)
    known = template_languages(ctx.settings.templates_dir, base)
    if language is not None and language not in known:
        raise Invalid("Неизвестный язык шаблона", {"language": tr("Допустимы: %(known)s",
                                                                 known=", ".join(known))})


def list_bases(ctx: AppContext, actor: Actor) -> list[str]:
    _require(actor)
    return template_bases(ctx.settings.templates_dir)


def _builtin(ctx: AppContext, base: str, language: str, general_active: bool) -> VersionView:
    path = template_path(ctx.settings.templates_dir, base, language)
    return VersionView(None, base, language, "", "", BUILTIN, path.name, tags_of(path),
                       not general_active, True, "", "", None)


def list_versions(ctx: AppContext, actor: Actor, base: str) -> list[VersionView]:
    """Every version of a base, newest first per language (the built-in file last)."""
    _require(actor)
    _check_base(ctx, base)
    with ctx.db.read() as session:
        rows = session.execute(
            select(TemplateVersion, User.full_name).outerjoin(User, User.id == TemplateVersion.uploaded_by)
            .where(TemplateVersion.base == base)
            .order_by(TemplateVersion.language, TemplateVersion.version.desc())).all()
        views = []
        for language in template_languages(ctx.settings.templates_dir, base):
            mine = [(r, name) for r, name in rows if r.language == language]
            views += [VersionView(r.id, base, language, r.faculty, r.level, r.version, r.filename,
                                  list(r.tags), r.active, False, r.note, name or "", r.created_at)
                      for r, name in mine]
            general = any(r.active and not r.faculty and not r.level for r, _ in mine)
            views.append(_builtin(ctx, base, language, general))
        return views


def _scope(session: Session, faculty: str, level: str) -> tuple[str, str, dict[str, str]]:
    errors: dict[str, str] = {}
    faculty = (faculty or "").strip()
    level = (level or "").strip()
    if faculty and session.scalar(select(Faculty.id).where(Faculty.code == faculty)) is None:
        errors["faculty"] = tr("Нет факультета с кодом %(code)s", code=faculty)
    if level and level not in LEVELS:
        errors["level"] = tr("Допустимы: %(known)s", known=", ".join(LEVELS))
    return faculty, level, errors


def upload(ctx: AppContext, actor: Actor, base: str, language: str, filename: str, content: bytes,
           *, faculty: str = "", level: str = "", note: str = "") -> VersionView:
    """A new inactive version, stored only if it renders with the base's example context."""
    _require(actor)
    _check_base(ctx, base, language)
    errors: dict[str, str] = {}
    if not filename.lower().endswith(DOCX_SUFFIX):
        errors["file"] = tr("Ожидается файл .docx")
    elif len(content) > ctx.settings.max_upload_bytes:
        errors["file"] = tr("Не более %(limit)s байт", limit=ctx.settings.max_upload_bytes)
    elif not content or not zipfile.is_zipfile(BytesIO(content)):
        errors["file"] = tr("Файл не является документом .docx")
    note = " ".join((note or "").split())
    if len(note) > 300:
        errors["note"] = tr("Не более %(limit)s символов", limit=300)
    if errors:
        raise Invalid("Шаблон не принят: проверьте поля", errors)
    problems = check_template(template_path(ctx.settings.templates_dir, base, language).name, content,
                              example_context(ctx.settings.templates_dir, base))
    if problems:
        raise Invalid("Шаблон не принят: %(error)s", {"file": problem_message(problems[0])},
                      error="; ".join(problem_message(p) for p in problems))
    with ctx.db.unit_of_work() as session:
        faculty, level, scope_errors = _scope(session, faculty, level)
        if scope_errors:
            raise Invalid("Шаблон не принят: проверьте поля", scope_errors)
        last = session.scalar(select(func.max(TemplateVersion.version)).where(
            TemplateVersion.base == base, TemplateVersion.language == language))
        row = TemplateVersion(
            base=base, language=language, faculty=faculty, level=level,
            version=max(last or 0, BUILTIN) + 1, filename=filename[-200:], content=content,
            sha256=hashlib.sha256(content).hexdigest(), tags=tags_of(content), note=note,
            active=False, uploaded_by=actor.user_id)
        session.add(row)
        session.flush()
        _audit(session, actor, "template_uploaded", row)
        return VersionView(row.id, base, language, faculty, level, row.version, row.filename,
                           list(row.tags), False, False, note, actor.full_name or actor.username,
                           row.created_at)


def _row(session: Session, base: str, language: str, version: int) -> TemplateVersion:
    row = session.scalars(select(TemplateVersion).where(
        TemplateVersion.base == base, TemplateVersion.language == language,
        TemplateVersion.version == version)).first()
    if row is None:
        raise NotFound("Версия %(version)s шаблона не найдена", version=version)
    return row


def _audit(session: Session, actor: Actor, kind: str, row: TemplateVersion) -> None:
    """Who uploaded, activated or rolled back which version, in the audit log."""
    session.add(AuditEvent(actor_id=actor.user_id, kind=kind, payload={
        "template": row.base, "language": row.language, "version": row.version,
        "faculty": row.faculty, "level": row.level, "sha256": row.sha256}))


def _in_scope(row: TemplateVersion) -> Any:
    return ((TemplateVersion.base == row.base) & (TemplateVersion.language == row.language)
            & (TemplateVersion.faculty == row.faculty) & (TemplateVersion.level == row.level))


def activate(ctx: AppContext, actor: Actor, base: str, language: str, version: int) -> None:
    """The version becomes the one used for its scope; the previous one stays stored. Version 1
    (the built-in file) takes over every case again (faculty and level versions stay)."""
    _require(actor)
    _check_base(ctx, base, language)
    with ctx.db.unit_of_work() as session:
        if version == BUILTIN:
            session.execute(update(TemplateVersion).where(
                TemplateVersion.base == base, TemplateVersion.language == language,
                TemplateVersion.faculty == "", TemplateVersion.level == "").values(active=False))
            session.add(AuditEvent(actor_id=actor.user_id, kind="template_activated", payload={
                "template": base, "language": language, "version": BUILTIN}))
            return
        row = _row(session, base, language, version)
        session.execute(update(TemplateVersion).where(_in_scope(row), TemplateVersion.id != row.id)
                        .values(active=False))
        row.active = True
        row.activated_at = utcnow()
        _audit(session, actor, "template_activated", row)


def roll_back(ctx: AppContext, actor: Actor, base: str, language: str, version: int) -> int:
    """The active version of that scope gives way to the one active before it (the built-in
    file when there was none). Returns the version now in use for that scope."""
    _require(actor)
    _check_base(ctx, base, language)
    with ctx.db.unit_of_work() as session:
        row = _row(session, base, language, version) if version != BUILTIN else None
        if row is None or not row.active:
            raise Invalid("Откатить можно только действующую загруженную версию",
                          {"version": tr("Версия %(version)s не действует", version=version)})
        row.active = False
        _audit(session, actor, "template_rolled_back", row)
        before = session.scalars(select(TemplateVersion).where(
            _in_scope(row), TemplateVersion.id != row.id, TemplateVersion.activated_at.is_not(None))
            .order_by(TemplateVersion.activated_at.desc()).limit(1)).first()
        if before is None:
            return BUILTIN
        before.active = True
        before.activated_at = utcnow()
        return before.version


def case_scope(session: Session, case: Case, data: dict[str, Any]) -> tuple[str, str]:
    """(faculty code, level) of a case: its faculty; the level of its student, else of the
    student or applicant in its data."""
    faculty = session.scalar(select(Faculty.code).where(Faculty.id == case.faculty_id)) \
        if case.faculty_id else None
    level = session.scalar(select(Student.level).where(Student.id == case.student_id)) \
        if case.student_id else None
    person = data.get("student") or data.get("applicant") or {}
    if isinstance(person, dict):
        level = level or person.get("level")
    return str(faculty or ""), str(level or "")


def active_template(ctx: AppContext, session: Session, base: str, language: str, faculty: str = "",
                    level: str = "") -> ActiveTemplate:
    """The version to render: the most specific active scope, else the built-in file."""
    rows = session.scalars(select(TemplateVersion).options(undefer(TemplateVersion.content)).where(
        TemplateVersion.base == base, TemplateVersion.language == language,
        TemplateVersion.active.is_(True),
        TemplateVersion.faculty.in_({faculty, ""}), TemplateVersion.level.in_({level, ""}))).all()
    if rows:
        row = max(rows, key=lambda r: (bool(r.faculty), bool(r.level)))
        return ActiveTemplate(row.content, row.version, row.id, row.filename, row.sha256)
    path = template_path(ctx.settings.templates_dir, base, language)
    if not path.is_file():
        raise TemplateRenderError(path.name, "template file not found or not a .docx")
    content = path.read_bytes()
    return ActiveTemplate(content, BUILTIN, None, path.name, hashlib.sha256(content).hexdigest())


def version_content(ctx: AppContext, actor: Actor, base: str, language: str,
                    version: int) -> tuple[str, bytes]:
    """The .docx of a version (1: the built-in file): its file name and bytes."""
    _require(actor)
    _check_base(ctx, base, language)
    if version == BUILTIN:
        path = template_path(ctx.settings.templates_dir, base, language)
        return path.name, path.read_bytes()
    with ctx.db.read() as session:
        row = _row(session, base, language, version)
        return f"{base}_{language}_v{row.version}.docx", row.content


def preview_day(ctx: AppContext) -> date:
    """The date a preview prints (today in the university's time zone)."""
    return utcnow().astimezone(ctx.tz).date()
