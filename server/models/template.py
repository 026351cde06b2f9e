"""Versions of the document templates the office uploads, and the office's own settings
(letterhead, rector, signatories, approval positions) with the history of their changes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow


class TemplateVersion(Base):
    """One uploaded .docx of a template base in one language, for every case (faculty and level
    empty) or only for a faculty's code and/or a level of study. Version 1 of every base is the
    file shipped in templates/ and has no row; uploads are numbered 2, 3… per base and language.
    At most one version of a scope is active; rolling back activates an earlier one."""

    __tablename__ = "template_versions"
    __table_args__ = (UniqueConstraint("base", "language", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    base: Mapped[str] = mapped_column(String(64), index=True)
    language: Mapped[str] = mapped_column(String(4))
    faculty: Mapped[str] = mapped_column(String(32), default="")
    level: Mapped[str] = mapped_column(String(16), default="")
    version: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(String(300), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OfficeSetting(Base):
    """A setting the office edits (`letterhead`, `rector`, `signatories`, `positions`): a JSON
    value laid over config/university.yaml."""

    __tablename__ = "office_settings"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class OfficeSettingChange(Base):
    """Who changed a setting, when, from what to what."""

    __tablename__ = "office_setting_changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(32), index=True)
    old: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    new: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
