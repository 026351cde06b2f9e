"""Cases waiting to be included in a batch order (a transfer approved without an order of its
own) and the batch order that collected them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow

# waiting: in the queue | collected: listed in the batch order `batch_case_id` | released: the
# order is signed and the case went on | dropped: the case was closed before the order was signed
BATCH_ITEM_STATUSES = ("waiting", "collected", "released", "dropped")


class BatchOrderItem(Base):
    """One waiting service task (`order/await_batch`) of one case. A row names at most one batch
    order at a time: collecting takes only `waiting` rows, under a row lock, with a conditional
    update, so two registrars collecting at once never list the same case twice."""

    __tablename__ = "batch_order_items"
    __table_args__ = (
        UniqueConstraint("case_id", "task_id"),
        Index("ix_batch_items_status_process", "status", "process_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(String(36))
    process_id: Mapped[str] = mapped_column(String(100))
    faculty_id: Mapped[int | None] = mapped_column(ForeignKey("faculties.id"))
    # the order's table row for this student, taken when the case started waiting
    student: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    batch_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"),
                                                      index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
