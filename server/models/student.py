"""Faculties, programmes and the student registry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from server.db import Base, UTCDateTime, utcnow


class Faculty(Base):
    __tablename__ = "faculties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_ru: Mapped[str] = mapped_column(String(200))
    name_kk: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))


class Programme(Base):
    """An educational programme by its code, with its name in each language a document prints
    (server/domain/vocabulary.py). A programme imported without its Kazakh name is kept: its
    Russian documents are issued, a Kazakh one stops at an incident naming the missing name."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_ru: Mapped[str] = mapped_column(String(300))
    name_kk: Mapped[str | None] = mapped_column(String(300))
    name_en: Mapped[str | None] = mapped_column(String(300))


class Student(Base):
    __tablename__ = "students"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    iin: Mapped[str] = mapped_column(String(12), unique=True)
    last_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    latin_name: Mapped[str | None] = mapped_column(String(200))
    faculty_id: Mapped[int] = mapped_column(ForeignKey("faculties.id"), index=True)
    programme_code: Mapped[str] = mapped_column(String(32))
    programme_name: Mapped[str] = mapped_column(String(300))
    level: Mapped[str] = mapped_column(String(16), default="bachelor")
    year: Mapped[int] = mapped_column(Integer)
    group: Mapped[str | None] = mapped_column(String(32))
    form: Mapped[str] = mapped_column(String(16), default="full_time")
    language: Mapped[str] = mapped_column(String(8), default="ru")
    funding: Mapped[str] = mapped_column(String(16), default="grant")
    citizenship: Mapped[str] = mapped_column(String(3), default="KAZ")
    sex: Mapped[str | None] = mapped_column(String(1))
    email: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    faculty: Mapped[Faculty] = relationship(lazy="joined")

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last_name, self.first_name, self.middle_name) if p)
