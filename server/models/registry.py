"""The registry's movements: each change a signed order made to a student's record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow


class StudentChange(Base):
    """One student's record changed (or created) by one registry step of one case. The unique
    key (case, BPMN element, ИИН) is what makes the step idempotent: a step that runs again in
    the same case, or a batch order applied twice, finds its row and changes nothing more
    (a promotion order never promotes twice)."""

    __tablename__ = "student_changes"
    __table_args__ = (UniqueConstraint("case_id", "element", "iin", name="uq_student_changes_step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    element: Mapped[str] = mapped_column(String(100))  # the service task's id in the model
    task_id: Mapped[str] = mapped_column(String(36))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"), index=True)
    iin: Mapped[str] = mapped_column(String(12))
    action: Mapped[str] = mapped_column(String(16))  # created | updated
    # {field: {"before": old, "after": new}} of the fields that changed
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    order_number: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
