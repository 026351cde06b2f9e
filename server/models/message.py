"""BPMN messages: the catch events cases wait at, and every message delivered (its
idempotency key answers a repeated delivery with the first result)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow


class MessageWait(Base):
    """A message catch event a case waits at, mirrored from the engine after every step."""

    __tablename__ = "message_waits"
    __table_args__ = (
        UniqueConstraint("case_id", "engine_task_id", "message_name"),
        Index("ix_message_waits_hint", "message_name", "hint_prop", "hint_value"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    engine_task_id: Mapped[str] = mapped_column(String(36))
    element: Mapped[str] = mapped_column(String(200))
    message_name: Mapped[str] = mapped_column(String(200))
    # correlation property id -> retrieval expression; property id -> the value it expects
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    expected: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # One expected value, indexed, so a delivery reads only the waits it may reach: the first
    # property (by id) the catch expects a value for, its retrieval expression and the value.
    hint_prop: Mapped[str | None] = mapped_column(String(200))
    hint_expression: Mapped[str | None] = mapped_column(Text)
    hint_value: Mapped[str | None] = mapped_column(String(200))
    since: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MessageDelivery(Base):
    """One message delivered into a case (or that started one)."""

    __tablename__ = "message_deliveries"
    __table_args__ = (Index("ix_message_deliveries_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    message_name: Mapped[str] = mapped_column(String(200))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    element: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str] = mapped_column(String(16))  # delivered | started
    source_case_id: Mapped[int | None] = mapped_column(Integer)  # a case that sent it
    sent_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    payload: Mapped[Any] = mapped_column(JSON, default=dict)
    correlation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    delivered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
