"""Finding a student in the registry: by ИИН, name (any case, any alphabet), group, faculty,
status; a page at a time. Who sees which students is the student card's rule: the office and
the leadership every student, a dean the dean's own faculty."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, literal, or_, select
from sqlalchemy.orm import load_only

from server.auth import Actor
from server.domain.labels import STUDENT_STATUS
from server.models import Case, Document, Student
from server.services.cases.filters import name_or_iin
from server.services.context import AppContext
from server.services.errors import Invalid, tr


@dataclass
class StudentQuery:
    q: str | None = None  # name (surname first, or a part of it) or ИИН (or its first digits)
    group: str | None = None
    faculty_id: int | None = None
    status: str | None = None
    limit: int = 50
    offset: int = 0


def _full_name() -> ColumnElement[str]:
    """«Фамилия Имя Отчество» as the card prints it, for a search by any part of it."""
    return (Student.last_name + literal(" ") + Student.first_name + literal(" ")
            + func.coalesce(Student.middle_name, literal("")))


def search_students(ctx: AppContext, actor: Actor, query: StudentQuery) -> tuple[list[Student], int]:
    """A page of the students `actor` may see that match, by name, and how many match in all."""
    if query.status and query.status not in STUDENT_STATUS:
        allowed = ", ".join(STUDENT_STATUS)
        raise Invalid("Неизвестный статус студента «%(code)s»; допустимы: %(values)s",
                      {"status": tr("Допустимо: %(values)s", values=allowed)},
                      code=query.status[:40], values=allowed)
    stmt = select(Student)
    if query.q:
        text = " ".join(query.q.split())
        by_name = name_or_iin(_full_name(), Student.iin, text)
        stmt = stmt.where(by_name if text.isdigit() else or_(
            by_name, func.lower(Student.latin_name).contains(text.lower(), autoescape=True)))
    if query.group:
        stmt = stmt.where(func.lower(Student.group) == query.group.strip().lower())
    if query.faculty_id:
        stmt = stmt.where(Student.faculty_id == query.faculty_id)
    if query.status:
        stmt = stmt.where(Student.status == query.status)
    if not actor.sees_all_cases():
        stmt = stmt.where(Student.faculty_id == actor.faculty_id) if "dean" in actor.roles \
            and actor.faculty_id is not None else stmt.where(Student.id.is_(None))
    with ctx.db.read() as session:
        total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = session.scalars(stmt.order_by(Student.last_name, Student.first_name, Student.id)
                               .limit(max(1, min(query.limit, 200))).offset(max(0, query.offset))).all()
        return list(rows), total


DOCUMENT_COLUMNS = (Document.id, Document.case_id, Document.register, Document.number, Document.filename,
                    Document.language, Document.status, Document.version, Document.created_at)


def student_documents(ctx: AppContext, actor: Actor, student_id: int, limit: int = 100) -> list[Document]:
    """The documents of the student's cases, newest first (their files are not read); none
    when `actor` may not see the student (the card has already answered 404 then)."""
    with ctx.db.read() as session:
        student = session.get(Student, student_id)
        if student is None or not actor.sees_faculty(student.faculty_id):
            return []
        return list(session.scalars(
            select(Document).options(load_only(*DOCUMENT_COLUMNS))
            .join(Case, Case.id == Document.case_id).where(Case.student_id == student_id)
            .order_by(Document.id.desc()).limit(limit)))
