"""A case: one run of a procedure for one student or applicant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow

CASE_STATUSES = ("in_progress", "returned", "completed", "rejected", "withdrawn", "cancelled", "error")
OPEN_STATUSES = ("in_progress", "returned", "error")


class Case(Base):
    """Report columns (service code, channel, timestamps, outcome, faculty) are real columns,
    written whenever the case changes, so reports are SQL and never read workflow state."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_process", "status", "process_id"),
        Index("ix_cases_received", "received_at"),
        Index("ix_cases_decided", "decided_at"),
        Index("ix_cases_faculty_status", "faculty_id", "status"),
        # The monthly report and the dashboard: range scans that read only the index.
        Index("ix_cases_received_report", "received_at", "process_id", "channel"),
        Index("ix_cases_decided_report", "decided_at", "process_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"), index=True)
    process_id: Mapped[str] = mapped_column(String(100))
    student_id: Mapped[int | None] = mapped_column(ForeignKey("students.id"), index=True)
    faculty_id: Mapped[int | None] = mapped_column(ForeignKey("faculties.id"))
    subject_name: Mapped[str | None] = mapped_column(String(300), index=True)
    subject_iin: Mapped[str | None] = mapped_column(String(12), index=True)
    channel: Mapped[str] = mapped_column(String(24), default="direct")
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    outcome: Mapped[str | None] = mapped_column(String(32))
    refusal_ground: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # Engine state without the spec (the spec is stored once per definition version).
    state: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(16))
    # Incremented on every write: the optimistic lock ("version check everywhere").
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __mapper_args__ = {"version_id_col": lock_version}
