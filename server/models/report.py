"""Stored reports: each one a snapshot of its figures at the time it was generated."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow


class ReportSnapshot(Base):
    """One stored report per kind and period (e.g. the public-service report of 2026-03).

    `data` holds every figure the report shows, as computed at `generated_at`; the XLSX and
    DOCX files are rendered from it, so a stored report never changes when later data does."""

    __tablename__ = "report_snapshots"
    __table_args__ = (UniqueConstraint("kind", "period", name="uq_report_snapshots_kind_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(32))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    generated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ServiceComplaint(Base):
    """A complaint about a public service (жалоба на качество оказания государственной услуги),
    registered by the office against the case it is about; the monthly report counts the
    complaints received in the month per service."""

    __tablename__ = "service_complaints"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    received_on: Mapped[date] = mapped_column(Date, index=True)  # local date the complaint came in
    summary: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
