"""Driving cases through the HTTP API in tests: a user's group inbox, completing a task,
reading a case. `headers` maps usernames to their bearer headers (the `people` fixture)."""

from __future__ import annotations

from typing import Any

Headers = dict[str, dict[str, str]]


def group_inbox(client: Any, headers: Headers, user: str) -> dict[tuple[int, str], dict]:
    r = client.get("/api/v1/tasks?scope=group", headers=headers[user])
    assert r.status_code == 200, r.json
    return {(t["case_id"], t["spec_name"]): t for t in r.json["items"]}


def complete(client: Any, headers: Headers, user: str, case_id: int, spec: str,
             data: dict[str, Any], status: int = 200) -> dict:
    """Complete the task `spec` of a case from the user's group inbox; check the status."""
    task = group_inbox(client, headers, user).get((case_id, spec))
    assert task is not None, f"{spec} not in {user}'s group inbox"
    r = client.post(f"/api/v1/tasks/{task['id']}/complete", headers=headers[user],
                    json={"data": data})
    assert r.status_code == status, r.json
    return r.json


def case_view(client: Any, headers: Headers, case_id: int) -> dict:
    """The case as the head of the office sees it."""
    r = client.get(f"/api/v1/cases/{case_id}", headers=headers["head"])
    assert r.status_code == 200, r.json
    return r.json


def add_student(ctx: Any, iin: str, faculty: str = "IT", **fields: Any) -> int:
    """A registered student of `faculty` (Иванов Пётр Сергеевич, 2nd year unless `fields` say
    otherwise); returns the student's id for `student_id` in a new case."""
    from sqlalchemy import select

    from server.models import Faculty, Student

    values = {"last_name": "Иванов", "first_name": "Пётр", "middle_name": "Сергеевич",
              "programme_code": "6B06102", "programme_name": "Программная инженерия", "year": 2,
              "group": "ПИ-24-1", "level": "bachelor", "form": "full_time", "language": "ru",
              "funding": "grant", "sex": "M", **fields}
    with ctx.db.unit_of_work() as session:
        faculty_id = session.scalar(select(Faculty.id).where(Faculty.code == faculty))
        student = Student(iin=iin, faculty_id=faculty_id, **values)
        session.add(student)
        session.flush()
        return student.id


def start_case(client: Any, headers: Headers, process_id: str, student_id: int,
               data: dict[str, Any] | None = None, channel: str = "direct") -> dict:
    """Register an application of a registered student; check it was accepted."""
    r = client.post("/api/v1/cases", headers=headers["registrar"], json={
        "process_id": process_id, "student_id": student_id, "channel": channel, "data": data or {}})
    assert r.status_code == 201, r.json
    return r.json


def document_parts(client: Any, headers: Headers, doc: dict) -> tuple[list[str], list[str]]:
    """The paragraphs and the table cells of a case's document (a `documents` entry)."""
    import io

    import docx

    r = client.get(f"/api/v1/documents/{doc['id']}", headers=headers["registrar"])
    assert r.status_code == 200
    document = docx.Document(io.BytesIO(r.data))
    return ([p.text for p in document.paragraphs],
            [c.text for t in document.tables for row in t.rows for c in row.cells])


def document_text(client: Any, headers: Headers, view: dict, language: str, kind: str | None = None) -> str:
    """Paragraphs and table cells of the case's document in `language` (the newest one, of
    template `kind` if given)."""
    doc = [d for d in view["documents"] if d["language"] == language and kind in (None, d["kind"])][-1]
    paragraphs, cells = document_parts(client, headers, doc)
    return "\n".join(paragraphs + cells)


def spec_names(view: dict) -> list[str]:
    return [t["spec_name"] for t in view["open_tasks"]]


def history_kinds(view: dict) -> list[str]:
    return [e["kind"] for e in view["history"]]


def return_for_correction(client: Any, headers: Headers, case_id: int, task: str, data: dict[str, Any],
                          missing: str) -> None:
    """The registrar finds `missing` absent at `task`: the case goes back for correction, the
    applicant resubmits and the case is in progress again, with `task` open anew."""
    complete(client, headers, "registrar", case_id, task,
             {**data, "documents_complete": False, "missing_documents": missing})
    view = case_view(client, headers, case_id)
    assert view["status"] == "returned" and spec_names(view) == ["resubmit_application"]
    complete(client, headers, "registrar", case_id, "resubmit_application",
             {"resubmitted_date": "2026-06-25", "resubmitted_documents": missing})
    view = case_view(client, headers, case_id)
    assert view["status"] == "in_progress" and spec_names(view) == [task]


def assert_refused(ctx: Any, view: dict, ground: str) -> None:
    """A case closed with a reasoned refusal: the catalog's ground, nothing open or issued."""
    assert view["status"] == "rejected" and view["outcome"] == "refused"
    assert view["refusal_ground"] == ground
    assert ctx.catalog.service(view["process_id"]).refusal_ground(ground)
    assert view["open_tasks"] == [] and view["documents"] == [] and view["timers"] == []
    assert history_kinds(view)[-1] == "case_completed"
    assert view["history"][-1]["payload"]["refusal_ground"] == ground
