"""Deployed process definitions: one row per (process id, content hash)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow


class ProcessDefinition(Base):
    """A version of a BPMN process (or a DMN decision file) with its sources.

    `sources` holds every file the version needs (the BPMN, the DMN files its business
    rule tasks call, the BPMN files its call activities call) so a version is complete and
    immutable: running cases stay on the version they started on.
    """

    __tablename__ = "process_definitions"
    __table_args__ = (
        UniqueConstraint("process_id", "version"),
        UniqueConstraint("process_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "bpmn" | "dmn"
    dialect: Mapped[str] = mapped_column(String(16))  # "spiff" | "camunda" | "dmn"
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(300))
    filename: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    sources: Mapped[dict[str, str]] = mapped_column(JSON)
    # Per user task: name, lane, roles, form key, assignee, instructions (see engine.metadata).
    task_meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    forms: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # camunda formData schemas
    is_latest: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    deployed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deployed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    notes: Mapped[str | None] = mapped_column(Text)
