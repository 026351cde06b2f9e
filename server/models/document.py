"""Generated documents (immutable) and gap-free register counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow


class RegisterCounter(Base):
    """The last number issued in a register for a year; incremented under a row lock."""

    __tablename__ = "register_counters"
    __table_args__ = (UniqueConstraint("register", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    register: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (
        UniqueConstraint("register", "year", "seq", "language", "version"),
        # The Russian and Kazakh files of one issue share a code: unique per language.
        Index("ix_documents_verification", "verification_code", "language", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    template: Mapped[str] = mapped_column(String(200))
    template_sha256: Mapped[str | None] = mapped_column(String(64))
    # The template version it came from: 1 is the file shipped in templates/ (no row).
    template_version: Mapped[int | None] = mapped_column(Integer)
    template_version_id: Mapped[int | None] = mapped_column(ForeignKey("template_versions.id"))
    language: Mapped[str] = mapped_column(String(4), default="ru")
    register: Mapped[str | None] = mapped_column(String(32))
    year: Mapped[int | None] = mapped_column(Integer)
    seq: Mapped[int | None] = mapped_column(Integer)
    number: Mapped[str | None] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)
    filename: Mapped[str] = mapped_column(String(300))
    media_type: Mapped[str] = mapped_column(String(120))
    # Deferred: lists and case views never need the file itself.
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)
    sha256: Mapped[str] = mapped_column(String(64))
    # Printed on the document (URL + QR code) for the public check at /verify/<code>.
    verification_code: Mapped[str | None] = mapped_column(String(64))
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The version's standing (server/services/documents/versions.py): draft until the rector
    # signs it, signed, superseded by a later version, or issued (certificates, no signature).
    status: Mapped[str] = mapped_column(String(16), default="draft", server_default="draft")
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The PDF made once from `content` by the background job after the issue, and its hash
    # (the public check accepts it as well as the .docx). pdf_status: pending (the job will
    # convert it), ready, waiting (no LibreOffice here yet: retried), failed.
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_status: Mapped[str] = mapped_column(String(16), default="pending", server_default="pending")
