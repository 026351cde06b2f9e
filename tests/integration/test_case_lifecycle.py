"""A case of the approval model through the API: start, inboxes, claim/unclaim, complete
(valid and invalid data), both gateway paths, cancel, search, authentication and faculty
scoping. Every test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import FIXTURES

API = "/api/v1"
PROCESS = "Process_approval"


@pytest.fixture
def deployed(client, people) -> None:  # type: ignore[no-untyped-def]
    with open(FIXTURES / "approval.bpmn", "rb") as fh:
        r = client.post(f"{API}/processes", headers=people["admin"],
                        data={"file": (io.BytesIO(fh.read()), "approval.bpmn")},
                        content_type="multipart/form-data")
    assert r.status_code == 201, r.json


@pytest.fixture
def uid(ctx, people):  # type: ignore[no-untyped-def]
    from server.models import User

    with ctx.db.read() as session:
        ids = dict(session.execute(select(User.username, User.id)).all())
    return ids


def make_student(ctx, faculty_code: str, last_name: str, serial: int) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    from server.domain.iin import make_iin
    from server.models import Faculty, Student

    iin = make_iin(date(2004, 3, 1 + serial % 27), "F", 2000 + serial)
    with ctx.db.unit_of_work() as session:
        faculty_id = session.scalar(select(Faculty.id).where(Faculty.code == faculty_code))
        student = Student(iin=iin, last_name=last_name, first_name="Айгерим", middle_name="Бековна",
                          faculty_id=faculty_id, programme_code="6B06101",
                          programme_name="Информационные системы", year=2, sex="F")
        session.add(student)
        session.flush()
        return student.id, iin


def faculty_id(ctx, code: str) -> int:  # type: ignore[no-untyped-def]
    from server.models import Faculty

    with ctx.db.read() as session:
        return session.scalar(select(Faculty.id).where(Faculty.code == code))


def start(client, headers, data: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = client.post(f"{API}/cases", headers=headers,
                    json={"process_id": PROCESS, "data": data or {"amount": 5}, **extra})
    assert r.status_code == 201, r.json
    return r.json


def get_case(client, headers, case_id: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = client.get(f"{API}/cases/{case_id}", headers=headers)
    assert r.status_code == 200, r.json
    return r.json


def only_task(case: dict[str, Any]) -> dict[str, Any]:
    assert len(case["open_tasks"]) == 1, case["open_tasks"]
    return case["open_tasks"][0]


def inbox(client, headers, scope: str, **params: Any) -> list[str]:  # type: ignore[no-untyped-def]
    r = client.get(f"{API}/tasks", headers=headers, query_string={"scope": scope, **params})
    assert r.status_code == 200, r.json
    assert r.json["total"] == len(r.json["items"])
    return [t["id"] for t in r.json["items"]]


def complete(client, headers, task_id: str, data: dict[str, Any]):  # type: ignore[no-untyped-def]
    return client.post(f"{API}/tasks/{task_id}/complete", headers=headers, json={"data": data})


# --- start and inboxes -------------------------------------------------------------------

def test_start_gives_one_open_task_in_the_registrar_group(client, people, deployed, uid):
    case = start(client, people["registrar"])
    assert case["status"] == "in_progress"
    assert case["process_id"] == PROCESS
    assert case["process_version"] == 1
    assert case["data"]["amount"] == 5
    assert case["data"]["case_id"] == case["id"]
    task = only_task(case)
    assert (task["spec_name"], task["name"], task["status"]) == ("task_a", "A: Submit request", "open")
    # approval.bpmn has no lanes: a task without lane or role goes to the office's group.
    assert task["lane"] is None
    assert task["candidate_roles"] == ["registrar"]
    assert task["assignee_id"] is None
    assert [(e["kind"], e["actor_id"]) for e in case["history"]] == [("case_started", uid["registrar"])]

    for user in ("registrar", "registrar2"):
        assert inbox(client, people[user], "group") == [task["id"]]
        assert inbox(client, people[user], "mine") == []
    for user in ("dean_it", "dean_econ", "accountant", "rector", "vicerector", "intl"):
        assert inbox(client, people[user], "group") == [], user
    assert inbox(client, people["head"], "all") == [task["id"]]
    r = client.get(f"{API}/tasks", headers=people["registrar"], query_string={"scope": "all"})
    assert r.status_code == 403


@pytest.mark.parametrize("model, process", [("approval.bpmn", PROCESS), ("short_timer.bpmn", "short_timer")])
def test_registration_answers_with_the_same_case_view_as_reading_it(client, people, deployed, model, process):
    """POST /cases builds its answer in the registering transaction: it must say exactly what
    GET /cases/<id> says afterwards (open tasks, audit trail, waiting timers, data)."""
    with open(FIXTURES / model, "rb") as fh:
        assert client.post(f"{API}/processes", headers=people["admin"],
                           data={"file": (io.BytesIO(fh.read()), model)},
                           content_type="multipart/form-data").status_code == 201
    data = {"amount": 5} if process == PROCESS else {}  # short_timer declares no start data
    created = client.post(f"{API}/cases", headers=people["registrar"],
                          json={"process_id": process, "data": data})
    assert created.status_code == 201, created.json
    read = get_case(client, people["registrar"], created.json["id"])
    assert created.json == read
    assert read["history"][0]["kind"] == "case_started"
    if process == "short_timer":  # the case starts by waiting on its timer
        assert len(read["timers"]) == 1 and read["open_tasks"] == []
    else:
        assert [t["spec_name"] for t in read["open_tasks"]] == ["task_a"]


def test_start_case_step_names_the_tasks_the_case_waits_for(ctx, deployed, uid):
    """The service behind registration answers with the new case and its open tasks, as
    complete_task does: the same rows a later read finds, and nothing for a wrong start."""
    from server.auth import Actor
    from server.models import HumanTask
    from server.services.cases import lifecycle as cases
    from server.services.errors import Forbidden, NotFound

    registrar = Actor(uid["registrar"], "registrar", frozenset({"registrar"}))
    started = cases.start_case_step(ctx, registrar, cases.StartRequest(PROCESS, data={"amount": 5}))
    assert started.case.status == "in_progress" and started.case.process_id == PROCESS
    with ctx.db.read() as session:
        stored = session.scalars(select(HumanTask).where(HumanTask.case_id == started.case.id,
                                                         HumanTask.status == "open")).all()
    assert [(t.id, t.spec_name, t.candidate_roles) for t in started.open_tasks] == \
        [(t.id, t.spec_name, t.candidate_roles) for t in stored] == [(stored[0].id, "task_a", "registrar")]
    with pytest.raises(NotFound):
        cases.start_case_step(ctx, registrar, cases.StartRequest("no_such_process"))
    dean = Actor(uid["dean_it"], "dean_it", frozenset({"dean"}))
    with pytest.raises(Forbidden):
        cases.start_case_step(ctx, dean, cases.StartRequest(PROCESS, data={"amount": 5}))


def test_task_detail_shows_data_and_who_may_act(client, people, deployed):
    task = only_task(start(client, people["registrar"]))
    r = client.get(f"{API}/tasks/{task['id']}", headers=people["registrar"])
    assert r.status_code == 200, r.json
    assert r.json["form"] is None
    assert r.json["data"]["amount"] == 5
    assert r.json["can_act"] is True
    r = client.get(f"{API}/tasks/{task['id']}", headers=people["rector"])
    assert r.status_code == 200  # the leadership sees every case...
    assert r.json["can_act"] is False  # ...but does not act on the office's tasks


@pytest.mark.parametrize("user", ["accountant", "dean_it", "rector", "vicerector", "intl"])
def test_only_the_office_starts_cases(client, people, deployed, user):
    r = client.post(f"{API}/cases", headers=people[user], json={"process_id": PROCESS, "data": {}})
    assert r.status_code == 403, r.json
    assert r.json["error"] == "forbidden"
    r = client.get(f"{API}/cases", headers=people["admin"])
    assert r.json["total"] == 0


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"process_id": "nope"}, 404, "process_id"),
    ({"process_id": PROCESS, "student_id": 999999}, 404, "student_id"),
    ({"process_id": PROCESS, "data": {"student": {"id": 1}}}, 422, "data.student"),
    ({"process_id": PROCESS, "data": {"__class__": 1}}, 422, "data.__class__"),
    ({"process_id": PROCESS, "data": {"not an identifier": 1}}, 422, "data.not an identifier"),
    ({"process_id": PROCESS, "channel": "fax"}, 422, "channel"),
    ({"data": {}}, 422, "process_id"),
])
def test_start_with_bad_input(client, people, deployed, body, status, field):
    r = client.post(f"{API}/cases", headers=people["registrar"], json=body)
    assert r.status_code == status, r.json
    assert field in r.json["fields"], r.json
    assert client.get(f"{API}/cases", headers=people["admin"]).json["total"] == 0


# --- claim / unclaim ---------------------------------------------------------------------

def test_claim_unclaim_and_conflicting_claims(client, people, deployed, uid):
    case = start(client, people["registrar"])
    tid = only_task(case)["id"]

    r = client.post(f"{API}/tasks/{tid}/claim", headers=people["registrar"])
    assert r.status_code == 200, r.json
    assert r.json["assignee_id"] == uid["registrar"]
    assert inbox(client, people["registrar"], "mine") == [tid]
    assert inbox(client, people["registrar2"], "mine") == []

    # Claiming again by the holder is harmless; by someone else it is a clear 409.
    assert client.post(f"{API}/tasks/{tid}/claim", headers=people["registrar"]).status_code == 200
    r = client.post(f"{API}/tasks/{tid}/claim", headers=people["registrar2"])
    assert r.status_code == 409, r.json
    assert r.json["error"] == "conflict"
    assert "Registrar" in r.json["message"]  # names who holds it
    # ...and neither may the other complete it.
    r = complete(client, people["registrar2"], tid, {"approved": True})
    assert r.status_code == 409, r.json
    # A dean has no business with this task at all.
    r = client.post(f"{API}/tasks/{tid}/claim", headers=people["dean_it"])
    assert r.status_code in (403, 404), r.json

    # Only the holder (or the head of the office) returns it to the queue.
    r = client.post(f"{API}/tasks/{tid}/unclaim", headers=people["registrar2"])
    assert r.status_code == 403, r.json
    r = client.post(f"{API}/tasks/{tid}/unclaim", headers=people["registrar"])
    assert r.status_code == 200, r.json
    assert r.json["assignee_id"] is None
    assert inbox(client, people["registrar"], "mine") == []
    assert inbox(client, people["registrar"], "group") == [tid]
    r = client.post(f"{API}/tasks/{tid}/unclaim", headers=people["registrar"])
    assert r.status_code == 409, r.json

    r = client.post(f"{API}/tasks/{tid}/claim", headers=people["registrar2"])
    assert r.status_code == 200, r.json
    assert inbox(client, people["registrar2"], "mine") == [tid]
    r = client.post(f"{API}/tasks/{tid}/unclaim", headers=people["head"])
    assert r.status_code == 200, r.json

    kinds = [e["kind"] for e in get_case(client, people["registrar"], case["id"])["history"]]
    assert kinds == ["case_started", "task_claimed", "task_unclaimed", "task_claimed",
                     "task_unclaimed"]


# --- complete ----------------------------------------------------------------------------

@pytest.mark.parametrize("data", [
    {"__x": 1}, {"student": {"id": 1}}, {"case_id": 7}, {"service_code": "x"}, {"1abc": 1},
    {"approved": True, "_hidden": 1}, {"a" * 70: 1},
])
def test_invalid_completion_is_422_and_changes_nothing(client, people, deployed, data):
    case = start(client, people["registrar"])
    tid = only_task(case)["id"]
    assert client.post(f"{API}/tasks/{tid}/claim", headers=people["registrar"]).status_code == 200
    before = get_case(client, people["registrar"], case["id"])

    r = complete(client, people["registrar"], tid, data)

    assert r.status_code == 422, r.json
    assert r.json["error"] == "invalid"
    bad = [k for k in data if k != "approved"]
    assert set(r.json["fields"]) == set(bad), r.json["fields"]
    after = get_case(client, people["registrar"], case["id"])
    assert only_task(after)["id"] == tid
    assert len(after["history"]) == len(before["history"])
    assert after["data"] == before["data"]
    assert after["status"] == "in_progress"
    assert inbox(client, people["registrar"], "mine") == [tid]


def test_completion_body_must_be_an_object(client, people, deployed):
    tid = only_task(start(client, people["registrar"]))["id"]
    for body in ({"data": [1, 2]}, {"data": "x"}):
        r = client.post(f"{API}/tasks/{tid}/complete", headers=people["registrar"], json=body)
        assert r.status_code == 422, r.json
    assert inbox(client, people["registrar"], "group") == [tid]


def test_approved_path_runs_to_the_end(client, people, deployed, uid):
    registrar = uid["registrar"]
    case = start(client, people["registrar"])
    first = only_task(case)["id"]
    assert client.post(f"{API}/tasks/{first}/claim", headers=people["registrar"]).status_code == 200

    submitted = [{"approved": True}, {"manager_note": "ок"}, {"finance_ok": True}, {}]
    seen = []
    tid = first
    for n, data in enumerate(submitted):
        r = complete(client, people["registrar"], tid, data)
        assert r.status_code == 200, r.json
        current = get_case(client, people["registrar"], case["id"])
        seen.append(tid)
        if n < 3:
            assert current["status"] == "in_progress"
            tid = only_task(current)["id"]
            assert tid not in seen

    done = get_case(client, people["registrar"], case["id"])
    assert done["status"] == "completed"
    assert done["outcome"] == "completed"
    assert done["decided_at"] is not None
    assert done["open_tasks"] == []
    assert done["data"]["total"] == 10
    assert done["data"]["amount"] == 5
    assert done["data"]["approved"] is True
    assert done["data"]["manager_note"] == "ок"

    history = done["history"]
    assert [e["kind"] for e in history] == (
        ["case_started", "task_claimed"] + ["task_completed"] * 4 + ["case_completed"])
    assert all(e["actor_id"] == registrar for e in history)
    completions = [e for e in history if e["kind"] == "task_completed"]
    assert [e["task_id"] for e in completions] == seen
    assert [e["payload"]["task"] for e in completions] == ["task_a", "task_b", "task_c", "task_d"]
    assert [e["payload"]["data"] for e in completions] == submitted
    assert history[1]["task_id"] == first
    assert history[-1]["payload"]["status"] == "completed"

    # Finished work leaves every inbox and cannot be completed twice.
    assert inbox(client, people["registrar"], "mine") == []
    assert inbox(client, people["registrar"], "group") == []
    r = complete(client, people["registrar"], seen[-1], {})
    assert r.status_code == 409, r.json
    r = client.get(f"{API}/tasks/{first}", headers=people["registrar"])
    assert r.status_code == 200
    assert r.json["status"] == "completed"

    found = client.get(f"{API}/cases", headers=people["registrar"],
                       query_string={"status": "completed"}).json
    assert [c["id"] for c in found["items"]] == [case["id"]]


def test_rejected_path_ends_at_once(client, people, deployed, uid):
    case = start(client, people["registrar"])
    tid = only_task(case)["id"]
    r = complete(client, people["registrar2"], tid, {"approved": False})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "completed"
    done = get_case(client, people["registrar"], case["id"])
    assert done["open_tasks"] == []
    assert done["data"]["approved"] is False
    assert "total" not in done["data"]
    assert [(e["kind"], e["actor_id"]) for e in done["history"]] == [
        ("case_started", uid["registrar"]), ("task_completed", uid["registrar2"]),
        ("case_completed", uid["registrar2"])]
    r = client.post(f"{API}/cases/{case['id']}/cancel", headers=people["registrar"],
                    json={"reason": "поздно"})
    assert r.status_code == 409, r.json


# --- cancel ------------------------------------------------------------------------------

def test_cancel_with_reason_closes_the_case_and_its_tasks(client, people, deployed, uid):
    case = start(client, people["registrar"])
    tid = only_task(case)["id"]
    assert client.post(f"{API}/tasks/{tid}/claim", headers=people["registrar"]).status_code == 200

    r = client.post(f"{API}/cases/{case['id']}/cancel", headers=people["registrar2"],
                    json={"reason": "  Заявитель отозвал заявление  "})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "cancelled"
    assert r.json["cancel_reason"] == "Заявитель отозвал заявление"
    assert r.json["outcome"] == "cancelled"

    after = get_case(client, people["registrar"], case["id"])
    assert after["status"] == "cancelled"
    assert after["outcome"] == "cancelled"
    assert after["open_tasks"] == []
    kinds = [(e["kind"], e["actor_id"]) for e in after["history"]]
    assert kinds == [("case_started", uid["registrar"]), ("task_claimed", uid["registrar"]),
                     ("case_cancelled", uid["registrar2"])]
    assert after["history"][-1]["payload"] == {"reason": "Заявитель отозвал заявление"}
    assert inbox(client, people["registrar"], "mine") == []
    assert inbox(client, people["registrar"], "group") == []
    assert inbox(client, people["head"], "all") == []
    assert client.get(f"{API}/tasks/{tid}", headers=people["registrar"]).json["status"] == "cancelled"

    r = complete(client, people["registrar"], tid, {"approved": True})
    assert r.status_code == 409, r.json
    r = client.post(f"{API}/cases/{case['id']}/cancel", headers=people["registrar"],
                    json={"reason": "ещё раз"})
    assert r.status_code == 409, r.json
    assert r.json["error"] == "conflict"
    assert len(get_case(client, people["registrar"], case["id"])["history"]) == 3


def test_withdraw_at_the_applicants_request(client, people, deployed):
    case = start(client, people["registrar"])
    r = client.post(f"{API}/cases/{case['id']}/cancel", headers=people["registrar"],
                    json={"reason": "по заявлению", "withdrawn": True})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "withdrawn"
    assert [e["kind"] for e in get_case(client, people["head"], case["id"])["history"]] == \
        ["case_started", "case_withdrawn"]


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": None}])
def test_cancel_without_reason_is_422(client, people, deployed, body):
    case = start(client, people["registrar"])
    r = client.post(f"{API}/cases/{case['id']}/cancel", headers=people["registrar"], json=body)
    assert r.status_code == 422, r.json
    assert "reason" in r.json["fields"]
    after = get_case(client, people["registrar"], case["id"])
    assert after["status"] == "in_progress"
    assert len(after["open_tasks"]) == 1


@pytest.mark.parametrize("user", ["dean_it", "accountant", "rector"])
def test_cancel_by_other_roles_is_403(client, people, deployed, user):
    case = start(client, people["registrar"])
    r = client.post(f"{API}/cases/{case['id']}/cancel", headers=people[user], json={"reason": "x"})
    assert r.status_code == 403, r.json
    assert get_case(client, people["registrar"], case["id"])["status"] == "in_progress"


# --- search ------------------------------------------------------------------------------

def test_search_by_name_iin_status_and_faculty(client, people, ctx, deployed):
    it_id, it_iin = make_student(ctx, "IT", "Жумабекова", 1)
    econ_id, _ = make_student(ctx, "ECON", "Серикова", 2)
    a = start(client, people["registrar"], student_id=it_id)
    b = start(client, people["registrar"], student_id=econ_id)
    c = start(client, people["registrar"], student_id=econ_id)
    anonymous = start(client, people["registrar"])
    assert a["subject_name"] == "Жумабекова Айгерим Бековна"
    assert a["faculty_id"] == faculty_id(ctx, "IT")
    assert a["data"]["student"]["faculty_code"] == "IT"
    r = client.post(f"{API}/cases/{c['id']}/cancel", headers=people["registrar"], json={"reason": "x"})
    assert r.status_code == 200

    def ids(headers, **params):  # type: ignore[no-untyped-def]
        r = client.get(f"{API}/cases", headers=headers, query_string=params)
        assert r.status_code == 200, r.json
        if "limit" not in params:
            assert r.json["total"] == len(r.json["items"])
        return [x["id"] for x in r.json["items"]]

    reg = people["registrar"]
    assert ids(reg) == [anonymous["id"], c["id"], b["id"], a["id"]]
    assert ids(reg, q="жумабек") == [a["id"]]
    assert ids(reg, q="СЕРИК") == [c["id"], b["id"]]
    assert ids(reg, q="серик", status="in_progress") == [b["id"]]
    assert ids(reg, q="серик", status="cancelled") == [c["id"]]
    assert ids(reg, q="серик", status="open") == [b["id"]]
    assert ids(reg, q=it_iin[:6]) == [a["id"]]
    assert ids(reg, q="нет такого") == []
    assert ids(reg, faculty_id=faculty_id(ctx, "ECON")) == [c["id"], b["id"]]
    assert ids(reg, process_id="other") == []
    assert ids(reg, limit=2) == [anonymous["id"], c["id"]]
    assert ids(reg, limit=2, offset=2) == [b["id"], a["id"]]
    r = client.get(f"{API}/cases", headers=reg, query_string={"limit": 2})
    assert r.json["total"] == 4
    # Deans see their own faculty's cases only; no one else's, not even by name.
    assert ids(people["dean_it"]) == [a["id"]]
    assert ids(people["dean_econ"]) == [c["id"], b["id"]]
    assert ids(people["dean_econ"], q="жумабек") == []
    r = client.get(f"{API}/cases", headers=reg, query_string={"limit": 0})
    assert r.status_code == 422
    # The inbox searches the same way (case-insensitive Cyrillic on SQLite too).
    assert inbox(client, reg, "group", q="ЖУМАБЕК") == [a["open_tasks"][0]["id"]]
    assert inbox(client, reg, "group", q=it_iin) == [a["open_tasks"][0]["id"]]
    assert sorted(inbox(client, reg, "group", q="серикова")) == sorted([b["open_tasks"][0]["id"]])


# --- faculty scoping ---------------------------------------------------------------------

def test_dean_of_another_faculty_sees_nothing(client, people, ctx, deployed):
    student_id, _ = make_student(ctx, "IT", "Ахметова", 3)
    case = start(client, people["registrar"], student_id=student_id)
    tid = only_task(case)["id"]

    assert get_case(client, people["dean_it"], case["id"])["id"] == case["id"]
    r = client.get(f"{API}/cases/{case['id']}", headers=people["dean_econ"])
    assert r.status_code == 404, r.json
    missing = client.get(f"{API}/cases/999999", headers=people["dean_econ"])
    assert r.json == missing.json  # existence is not disclosed

    for method, path, body in [("get", f"/tasks/{tid}", None), ("post", f"/tasks/{tid}/claim", None),
                               ("post", f"/tasks/{tid}/complete", {"data": {"approved": True}}),
                               ("post", f"/cases/{case['id']}/cancel", {"reason": "x"})]:
        r = getattr(client, method)(f"{API}{path}", headers=people["dean_econ"], json=body)
        assert r.status_code in (403, 404), (path, r.status_code, r.json)
    assert inbox(client, people["dean_econ"], "group") == []
    assert inbox(client, people["dean_econ"], "mine") == []
    after = get_case(client, people["registrar"], case["id"])
    assert only_task(after)["id"] == tid
    assert only_task(after)["assignee_id"] is None
    assert after["status"] == "in_progress"


# --- authentication and unknown ids ------------------------------------------------------

ROUTES = [
    ("get", "/processes"), ("post", "/processes"), ("get", "/cases"), ("post", "/cases"),
    ("get", "/cases/1"), ("post", "/cases/1/cancel"), ("get", "/tasks"), ("get", "/tasks/x"),
    ("post", "/tasks/x/claim"), ("post", "/tasks/x/unclaim"), ("post", "/tasks/x/delegate"),
    ("post", "/tasks/x/complete"), ("get", "/documents/1"), ("get", "/documents/1/pdf"),
    ("get", "/admin/status"), ("get", "/admin/incidents"), ("post", "/admin/jobs/1/retry"),
    ("post", "/admin/jobs/1/skip"), ("get", "/registers/documents"),
    ("get", "/reports/public-services"), ("get", "/reports/public-services/chart.svg"),
    ("get", "/reports/public-services/snapshots"), ("post", "/reports/public-services/snapshots"),
    ("get", "/reports/public-services/snapshots/1"), ("get", "/reports/contingent"),
    ("get", "/reports/dashboard"), ("get", "/reports/dashboard/x.svg"),
    ("post", "/contingent-orders"), ("post", "/contingent-orders/transfers"), ("get", "/registers/military"),
    ("post", "/messages"), ("post", "/admin/processes/x/migrate"),
    ("get", "/admin/templates"), ("get", "/admin/templates/x"), ("post", "/admin/templates/x/versions"),
    ("get", "/admin/templates/x/ru/1"), ("get", "/admin/templates/x/ru/1/preview"),
    ("post", "/admin/templates/x/ru/1/activate"), ("post", "/admin/templates/x/ru/1/rollback"),
    ("get", "/admin/settings"), ("put", "/admin/settings/x"), ("get", "/admin/settings/history"),
    ("get", "/reports/complaints"), ("post", "/reports/complaints"), ("get", "/reports/student-body"),
    ("get", "/students/1/record"), ("post", "/students/1/results"), ("post", "/results/1/corrections"),
    ("post", "/record/imports"), ("get", "/record/imports"), ("get", "/record/imports/1"),
    ("post", "/record/transcript-rows"), ("get", "/faculties/x/promotion"), ("post", "/grade-sheets"),
    ("get", "/grade-sheets/1"), ("put", "/grade-sheets/1/lines"), ("post", "/grade-sheets/1/upload"),
    ("post", "/grade-sheets/1/check"), ("post", "/grade-sheets/1/lock"), ("post", "/grade-sheets/1/reopen"),
    ("post", "/grade-sheets/1/corrections"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
@pytest.mark.parametrize("auth", [None, "Bearer ro_not-a-real-token", "Basic YWRtaW46c2VjcmV0", "Bearer "])
def test_every_endpoint_needs_a_valid_token(client, people, method, path, auth):
    headers = {"Authorization": auth} if auth else {}
    r = getattr(client, method)(f"{API}{path}", headers=headers, json={})
    assert r.status_code == 401, (r.status_code, r.json)
    assert r.json["error"] == "unauthorized"
    assert "Bearer" in r.json["message"]
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_every_api_route_is_in_the_401_list(app):
    documented = {(m.upper(), p) for m, p in ROUTES}
    actual = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API) or rule.rule.endswith("openapi.json"):
            continue
        path = rule.rule[len(API):]
        # an id in the path: 1 for a number, x otherwise («ru» for a language)
        path = re.sub(r"<int:[a-z_]+>", "1", path.replace("<language>", "ru"))
        path = re.sub(r"<[a-z_:]+>", "x", path)
        actual |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert actual == documented


def test_a_deactivated_users_token_stops_working(client, people, ctx):
    from server.services.people.users import set_active

    assert client.get(f"{API}/cases", headers=people["registrar2"]).status_code == 200
    set_active(ctx, "registrar2", False)
    assert client.get(f"{API}/cases", headers=people["registrar2"]).status_code == 401


@pytest.mark.parametrize(("method", "path", "body"), [
    ("get", "/cases/999999", None), ("post", "/cases/999999/cancel", {"reason": "x"}),
    ("get", "/tasks/00000000-0000-0000-0000-000000000000", None),
    ("get", "/tasks/not-a-uuid", None),
    ("post", "/tasks/00000000-0000-0000-0000-000000000000/claim", None),
    ("post", "/tasks/00000000-0000-0000-0000-000000000000/unclaim", None),
    ("post", "/tasks/00000000-0000-0000-0000-000000000000/complete", {"data": {}}),
    ("post", "/tasks/00000000-0000-0000-0000-000000000000/delegate", {"username": "registrar2"}),
    ("get", "/documents/999999", None),
])
def test_unknown_ids_are_404_with_a_message(client, people, deployed, method, path, body):
    r = getattr(client, method)(f"{API}{path}", headers=people["registrar"], json=body)
    assert r.status_code == 404, r.json
    assert r.json["error"] == "not_found"
    assert r.json["message"]
