"""The academic record: disciplines, curricula, results (append-only), grade sheets, imports.

A result row is never updated or deleted: a correction is a new row of the same attempt that
names the row it corrects, the reason and the approving case; the latest row of the latest
attempt of a discipline is the one that counts (server/domain/grading.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow


class Discipline(Base):
    __tablename__ = "disciplines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name_ru: Mapped[str] = mapped_column(String(300))
    name_kk: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300))
    credits: Mapped[int] = mapped_column(Integer)  # ECTS
    # exam | credit | coursework | practice | attestation
    control_form: Mapped[str] = mapped_column(String(16))


class CurriculumItem(Base):
    """One discipline of a programme's study plan for one admission year."""

    __tablename__ = "curriculum_items"
    __table_args__ = (UniqueConstraint("programme_code", "admission_year", "discipline_id",
                                       name="uq_curriculum_items_discipline"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    programme_code: Mapped[str] = mapped_column(String(32))
    admission_year: Mapped[int] = mapped_column(Integer)
    discipline_id: Mapped[int] = mapped_column(ForeignKey("disciplines.id"))
    semester: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # compulsory | elective
    credits: Mapped[int] = mapped_column(Integer)


class RecordImport(Base):
    """One import of transcripts or curricula: the source its results name. A queued import
    (server/services/record/import_jobs.py) keeps its file until it has run, and its progress:
    queued -> checking -> writing -> done, or refused (a row refused: nothing written) or
    failed (an error: nothing written)."""

    __tablename__ = "record_imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # transcripts | curricula
    filename: Mapped[str] = mapped_column(String(200))
    rows: Mapped[int] = mapped_column(Integer)  # the file's data rows (0 until read)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="done", server_default="done", index=True)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    processed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # rows of this phase
    # {"new": n, "updated": n, "unchanged": n, "refused": n}
    counts: Mapped[dict[str, int] | None] = mapped_column(JSON)
    # The per-row report kept: refused rows (the first REPORT_CAP), or every row of a small file.
    report: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    mapping: Mapped[dict[str, str] | None] = mapped_column(JSON)
    header: Mapped[list[str] | None] = mapped_column(JSON)  # the file's columns, to map them anew
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)  # until a real run ends
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    error: Mapped[str | None] = mapped_column(Text)


class RecordImportRow(Base):
    """A checked row of a queued transcript import, staged before it becomes a result: the
    staging is written in short transactions (progress visible to others, no long write lock),
    then moved into `results` in one statement. The record never reads this table, so an import
    that stops half-way leaves nothing in anyone's record."""

    __tablename__ = "record_import_rows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("record_imports.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[int] = mapped_column(Integer)
    discipline_id: Mapped[int] = mapped_column(Integer)
    academic_year: Mapped[str] = mapped_column(String(9))
    term: Mapped[int] = mapped_column(Integer)
    attempt: Mapped[int] = mapped_column(Integer)
    points: Mapped[int] = mapped_column(Integer)
    letter: Mapped[str] = mapped_column(String(2))
    grade_points: Mapped[float] = mapped_column(Float)


class GradeSheet(Base):
    """An examination grade sheet (экзаменационная ведомость) of one group, discipline and term:
    draft (lines entered or uploaded), checked, locked by the registrar (its lines become results)."""

    __tablename__ = "grade_sheets"
    __table_args__ = (UniqueConstraint("group", "discipline_id", "academic_year", "term",
                                       name="uq_grade_sheets_group_term"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    group: Mapped[str] = mapped_column(String(32))
    discipline_id: Mapped[int] = mapped_column(ForeignKey("disciplines.id"))
    academic_year: Mapped[str] = mapped_column(String(9))  # 2025-2026
    term: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | checked | locked
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class GradeSheetLine(Base):
    """A student's points on a sheet before it is locked."""

    __tablename__ = "grade_sheet_lines"
    __table_args__ = (UniqueConstraint("sheet_id", "student_id", name="uq_grade_sheet_lines_student"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sheet_id: Mapped[int] = mapped_column(ForeignKey("grade_sheets.id", ondelete="CASCADE"))
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    points: Mapped[int] = mapped_column(Integer)
    letter: Mapped[str] = mapped_column(String(2))
    attempt: Mapped[int] = mapped_column(Integer, default=1)


class Result(Base):
    """One attempt's result of a student in a discipline (append-only)."""

    __tablename__ = "results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("students.id"))
    discipline_id: Mapped[int] = mapped_column(ForeignKey("disciplines.id"))
    academic_year: Mapped[str] = mapped_column(String(9))
    term: Mapped[int] = mapped_column(Integer)  # the curriculum's semester
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    points: Mapped[int] = mapped_column(Integer)
    letter: Mapped[str] = mapped_column(String(2))
    grade_points: Mapped[float] = mapped_column(Float)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    sheet_id: Mapped[int | None] = mapped_column(ForeignKey("grade_sheets.id"))
    import_id: Mapped[int | None] = mapped_column(ForeignKey("record_imports.id"))
    corrects_id: Mapped[int | None] = mapped_column(ForeignKey("results.id"))
    reason: Mapped[str | None] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The order the record is read in: per student and discipline the latest attempt, of it the
# latest row, first — so the counting row is the first an index seek finds (SQLite) and a
# DISTINCT ON needs no sort (PostgreSQL). Letter and grade points are in the key, so reading a
# student's or a faculty's standing touches the index only.
Index("ix_results_student", Result.student_id, Result.discipline_id, Result.attempt.desc(), Result.id.desc(),
      Result.letter, Result.grade_points)
