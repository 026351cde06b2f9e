"""Fixtures' helpers shared by the tests of the expulsion, foreign registration, contingent order
and vacant grant procedures: students in the registry, extra users, document text."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import docx
from sqlalchemy import select

from server.auth import Actor
from server.domain.iin import make_iin
from server.services import deployments
from server.services.context import AppContext
from tests.integration.api import Headers, case_view, complete


def deploy_all(ctx: AppContext) -> None:
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)


def add_student(ctx: AppContext, serial: int = 4321, **overrides: Any) -> int:
    """A student of the IT faculty (overrides: any Student column, faculty_code)."""
    from server.models import Faculty, Student

    values: dict[str, Any] = {
        "last_name": "Иванов", "first_name": "Пётр", "middle_name": "Сергеевич",
        "programme_code": "6B06102", "programme_name": "Программная инженерия", "year": 2,
        "group": "ПИ-24-1", "form": "full_time", "language": "ru", "funding": "grant", "sex": "M",
        "citizenship": "KAZ",
    }
    faculty_code = overrides.pop("faculty_code", "IT")
    values.update(overrides)
    values.setdefault("iin", make_iin(date(2004, 3, 9), values["sex"], serial))
    with ctx.db.unit_of_work() as session:
        faculty_id = session.scalar(select(Faculty.id).where(Faculty.code == faculty_code))
        student = Student(faculty_id=faculty_id, **values)
        session.add(student)
        session.flush()
        return student.id


def add_user(ctx: AppContext, headers: Headers, username: str, role: str) -> None:
    from server.services.users import NewUser, create_token, create_user

    create_user(ctx, NewUser(username, username.title(), (role,), "secret-pass-1", None))
    headers[username] = {"Authorization": f"Bearer {create_token(ctx, username)}"}


def document_text(client: Any, headers: Headers, case: dict, language: str) -> tuple[str, str]:
    """(paragraphs, table cells) of the case's document in `language`."""
    doc = next(d for d in case["documents"] if d["language"] == language)
    r = client.get(f"/api/v1/documents/{doc['id']}", headers=headers["registrar"])
    assert r.status_code == 200
    document = docx.Document(io.BytesIO(r.data))
    text = "\n".join(p.text for p in document.paragraphs)
    cells = "\n".join(c.text for t in document.tables for row in t.rows for c in row.cells)
    return text, cells


def history(case: dict) -> list[str]:
    return [e["kind"] for e in case["history"]]


def open_tasks(case: dict) -> list[str]:
    return [t["spec_name"] for t in case["open_tasks"]]


def sign_order(client: Any, headers: Headers, case_id: int, completed_tasks: int,
               signed_date: str = "2026-09-02") -> dict:
    """The rector signs the order; the case ends `issued` with its whole audit trail (one
    document issue, `completed_tasks` task completions). Returns the case view."""
    complete(client, headers, "rector", case_id, "rector_sign", {"signed": True, "signed_date": signed_date})
    view = case_view(client, headers, case_id)
    assert view["status"] == "completed" and view["outcome"] == "issued"
    kinds = history(view)
    assert kinds[0] == "case_started" and kinds[-1] == "case_completed"
    assert kinds.count("task_completed") == completed_tasks and kinds.count("document_issued") == 1
    return view
