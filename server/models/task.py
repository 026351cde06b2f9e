"""The human-task table: a projection of the engine's ready user tasks after each step.

Inbox queries are answered from here, never by loading cases.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, func, literal_column, text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow

# The inbox reads open tasks only; closed ones pile up for ever (a million cases leave millions of
# rows). Partial indexes over the open rows stay as small as the inboxes themselves.
OPEN = "status = 'open'"
OPEN_MULTI_ROLE = "status = 'open' AND candidate_roles LIKE '%,%'"


def _open_index(name: str, *columns: str, where: str = OPEN) -> Index:
    return Index(name, *columns, postgresql_where=text(where), sqlite_where=text(where))


class HumanTask(Base):
    __tablename__ = "human_tasks"
    __table_args__ = (
        Index("ix_tasks_assignee_status", "assignee_id", "status"),
        Index("ix_tasks_status_due", "status", "due_at"),
        Index("ix_tasks_case_status", "case_id", "status"),
        Index("ix_tasks_status_process", "status", "process_id"),
        # the group and overdue tabs and their counts, read from the index alone (inbox.py): by the
        # first candidate role, and the few tasks with several candidate roles
        _open_index("ix_tasks_open_role", "role", "faculty_id", "due_at", "assignee_id"),
        _open_index("ix_tasks_open_multi_role", "role", "faculty_id", "due_at", "assignee_id",
                    "candidate_roles", where=OPEN_MULTI_ROLE),
        # "mine" in due order; a dean's tabs in due order (the faculty's open tasks)
        _open_index("ix_tasks_open_assignee", "assignee_id", "due_at"),
        _open_index("ix_tasks_open_faculty", "faculty_id", "due_at"),
        # name search in the inbox (lower(name) LIKE '%...%'): trigrams, PostgreSQL only
        Index("ix_tasks_open_name_trgm", func.lower(literal_column("subject_name")).label("name_lower"),
              postgresql_using="gin", postgresql_ops={"name_lower": "gin_trgm_ops"},
              postgresql_where=text(OPEN)).ddl_if(dialect="postgresql"),
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
    instructions_kk: Mapped[str | None] = mapped_column(Text)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": lock_version}
