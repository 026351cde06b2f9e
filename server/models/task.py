"""The human-task table: a projection of the engine's ready user tasks after each step.

Inbox queries are answered from here, never by loading cases.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow


class HumanTask(Base):
    __tablename__ = "human_tasks"
    __table_args__ = (
        Index("ix_tasks_assignee_status", "assignee_id", "status"),
        Index("ix_tasks_status_due", "status", "due_at"),
        Index("ix_tasks_case_status", "case_id", "status"),
        Index("ix_tasks_status_process", "status", "process_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the engine task id
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    process_id: Mapped[str] = mapped_column(String(100))
    spec_name: Mapped[str] = mapped_column(String(200))  # the BPMN element id
    name: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(32))
    candidate_roles: Mapped[str | None] = mapped_column(String(200))  # comma-separated, display
    faculty_id: Mapped[int | None] = mapped_column(ForeignKey("faculties.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    form_key: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|completed|cancelled
    subject_name: Mapped[str | None] = mapped_column(String(300))
    subject_iin: Mapped[str | None] = mapped_column(String(12), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    instructions: Mapped[str | None] = mapped_column(Text)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": lock_version}


class TaskCandidate(Base):
    """One row per role that may take an open task (lane role plus candidateGroups)."""

    __tablename__ = "task_candidates"
    __table_args__ = (Index("ix_task_candidates_role", "role", "task_id"),)

    task_id: Mapped[str] = mapped_column(
        ForeignKey("human_tasks.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
