"""A Camunda-Modeler model (camunda:formData, candidateGroups, assignee) deployed and run
through the API: derived JSON-Schema forms, faculty-scoped group inbox, assignee inbox,
per-field validation, both outcomes."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from tests.conftest import FIXTURES

API = "/api/v1"
PROCESS = "academic_leave_camunda"
MODEL = FIXTURES / "camunda" / "academic_leave_camunda.bpmn"
CHECK, DEAN, ORDER = "Activity_0d3k9lf", "Activity_06t1hbe", "Activity_1r8m4pz"
VALID_CHECK = {"student_iin": "040301600123", "leave_ground": "medical", "leave_months": 12,
               "start_date": "2026-09-01", "documents_ok": True}


@pytest.fixture
def env(client, people, ctx) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The model deployed, `registrar1` (the model's assignee) created, an IT student."""
    from server.domain.iin import make_iin
    from server.models import Faculty, Student, User
    from server.services.people.users import NewUser, create_token, create_user

    create_user(ctx, NewUser("registrar1", "Registrar One", ("registrar",), "secret-pass-1"))
    headers = {**people, "registrar1": {"Authorization": f"Bearer {create_token(ctx, 'registrar1')}"}}
    r = client.post(f"{API}/processes", headers=people["admin"],
                    data={"file": (io.BytesIO(MODEL.read_bytes()), MODEL.name)},
                    content_type="multipart/form-data")
    assert r.status_code == 201, r.json
    with ctx.db.unit_of_work() as session:
        faculty = session.scalar(select(Faculty.id).where(Faculty.code == "IT"))
        student = Student(iin=make_iin(date(2004, 3, 1), "M", 4321), last_name="Нурланов",
                          first_name="Арман", faculty_id=faculty, programme_code="6B06101",
                          programme_name="Информационные системы", year=2, sex="M")
        session.add(student)
        session.flush()
        users = dict(session.execute(select(User.username, User.id)).all())
        return {"h": headers, "student_id": student.id, "faculty_id": faculty, "users": users}


def start(client, env) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = client.post(f"{API}/cases", headers=env["h"]["registrar"],
                    json={"process_id": PROCESS, "student_id": env["student_id"]})
    assert r.status_code == 201, r.json
    return r.json


def case_of(client, env, case_id: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    r = client.get(f"{API}/cases/{case_id}", headers=env["h"]["head"])
    assert r.status_code == 200, r.json
    return r.json


def open_task(case: dict[str, Any], spec_name: str) -> dict[str, Any]:
    assert [t["spec_name"] for t in case["open_tasks"]] == [spec_name], case["open_tasks"]
    return case["open_tasks"][0]


def inbox(client, headers, scope: str) -> list[str]:  # type: ignore[no-untyped-def]
    r = client.get(f"{API}/tasks", headers=headers, query_string={"scope": scope})
    assert r.status_code == 200, r.json
    return [t["id"] for t in r.json["items"]]


def complete(client, headers, task_id: str, data: dict[str, Any]):  # type: ignore[no-untyped-def]
    return client.post(f"{API}/tasks/{task_id}/complete", headers=headers, json={"data": data})


def test_deployed_as_camunda_with_its_user_tasks(client, env):
    [proc] = client.get(f"{API}/processes", headers=env["h"]["admin"]).json["items"]
    assert (proc["process_id"], proc["dialect"], proc["name"]) == \
        (PROCESS, "camunda", "Академический отпуск (Camunda)")
    tasks = {t["id"]: t for t in proc["user_tasks"]}
    assert set(tasks) == {CHECK, DEAN, ORDER}
    assert tasks[DEAN]["lane"] == "Декан"
    assert all(t["form_key"] == f"camunda:{PROCESS}/{tid}" for tid, t in tasks.items())


def test_form_is_json_schema_derived_from_form_data(client, env):
    task = open_task(start(client, env), CHECK)
    r = client.get(f"{API}/tasks/{task['id']}", headers=env["h"]["registrar1"])
    assert r.status_code == 200, r.json
    form = r.json["form"]
    assert form["type"] == "object"
    assert form["title"] == "Проверка документов"
    props = form["properties"]
    assert list(props) == ["student_iin", "leave_ground", "leave_months", "start_date", "documents_ok"]
    assert props["student_iin"] == {"type": "string", "title": "ИИН студента",
                                    "minLength": 12, "maxLength": 12}
    assert props["leave_ground"]["type"] == "string"
    assert props["leave_ground"]["title"] == "Основание академического отпуска"
    assert props["leave_ground"]["enum"] == ["medical", "tuberculosis", "military", "childcare"]
    assert props["leave_ground"]["x-enum-titles"]["ru"][2] == "Призыв на воинскую службу"
    assert props["leave_months"]["type"] == "integer"
    assert props["leave_months"]["default"] == 12
    assert (props["leave_months"]["minimum"], props["leave_months"]["maximum"]) == (1, 36)
    assert props["start_date"] == {"type": "string", "format": "date", "title": "Дата начала отпуска"}
    assert props["documents_ok"] == {"type": "boolean", "title": "Документы в порядке", "default": False}
    assert form["required"] == ["student_iin"]
    assert r.json["ui_schema"] is None
    assert r.json["can_act"] is True
    assert r.json["data"]["student"]["faculty_code"] == "IT"

    # The form is itself valid JSON Schema.
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(form)


def test_assignee_task_is_in_that_users_inbox_only(client, env):
    case = start(client, env)
    task = open_task(case, CHECK)
    assert task["assignee_id"] == env["users"]["registrar1"]
    assert task["candidate_roles"] == ["registrar"]  # the lane «Офис регистратора»
    assert task["faculty_id"] == env["faculty_id"]
    assert inbox(client, env["h"]["registrar1"], "mine") == [task["id"]]
    assert inbox(client, env["h"]["registrar"], "mine") == []
    # Another registrar cannot take over or complete the assigned task.
    assert client.post(f"{API}/tasks/{task['id']}/claim", headers=env["h"]["registrar"]).status_code == 409
    r = complete(client, env["h"]["registrar"], task["id"], VALID_CHECK)
    assert r.status_code == 409, r.json
    assert open_task(case_of(client, env, case["id"]), CHECK)["id"] == task["id"]


@pytest.mark.parametrize(("data", "expected"), [
    ({**VALID_CHECK, "student_iin": 40301600123}, {"student_iin": "Неверный тип значения"}),
    ({**VALID_CHECK, "leave_ground": "vacation"}, {"leave_ground": "Выберите значение из списка"}),
    ({**VALID_CHECK, "leave_months": "twelve"}, {"leave_months": "Неверный тип значения"}),
    ({**VALID_CHECK, "leave_months": 1.5}, {"leave_months": "Неверный тип значения"}),
    ({**VALID_CHECK, "leave_months": 40}, {"leave_months": "Значение больше допустимого"}),
    ({**VALID_CHECK, "leave_months": 0}, {"leave_months": "Значение меньше допустимого"}),
    ({**VALID_CHECK, "documents_ok": "yes"}, {"documents_ok": "Неверный тип значения"}),
    ({**VALID_CHECK, "start_date": "2026-13-45"}, {"start_date": "Неверный формат"}),
    ({**VALID_CHECK, "student_iin": "123"}, {"student_iin": "Слишком короткое значение"}),
    ({k: v for k, v in VALID_CHECK.items() if k != "student_iin"}, {"student_iin": "Обязательное поле"}),
    ({**VALID_CHECK, "outcome": "issued"}, {"outcome": "Неизвестное поле"}),
    ({**VALID_CHECK, "student": {"id": 1}}, {"student": "Неизвестное поле"}),
    ({"student_iin": 1, "leave_ground": "x", "leave_months": 99},
     {"student_iin": "Неверный тип значения", "leave_ground": "Выберите значение из списка",
      "leave_months": "Значение больше допустимого"}),
])
def test_invalid_form_data_is_422_per_field(client, env, data, expected):
    case = start(client, env)
    task = open_task(case, CHECK)
    r = complete(client, env["h"]["registrar1"], task["id"], data)
    assert r.status_code == 422, r.json
    assert r.json["error"] == "invalid"
    assert set(r.json["fields"]) == set(expected), r.json["fields"]
    for field, message in expected.items():
        assert r.json["fields"][field].startswith(message), (field, r.json["fields"][field])
    after = case_of(client, env, case["id"])
    assert open_task(after, CHECK)["id"] == task["id"]
    assert len(after["history"]) == len(case["history"])
    assert after["data"] == case["data"]


def test_dean_task_goes_to_the_dean_of_the_students_faculty(client, env):
    case = start(client, env)
    first = open_task(case, CHECK)
    assert complete(client, env["h"]["registrar1"], first["id"], VALID_CHECK).status_code == 200
    dean_task = open_task(case_of(client, env, case["id"]), DEAN)
    assert dean_task["candidate_roles"] == ["dean"]
    assert dean_task["assignee_id"] is None

    assert inbox(client, env["h"]["dean_it"], "group") == [dean_task["id"]]
    assert inbox(client, env["h"]["dean_econ"], "group") == []
    for user in ("registrar", "registrar1", "rector"):
        assert dean_task["id"] not in inbox(client, env["h"][user], "group"), user

    r = client.get(f"{API}/tasks/{dean_task['id']}", headers=env["h"]["dean_econ"])
    assert r.status_code == 404, r.json
    r = complete(client, env["h"]["dean_econ"], dean_task["id"], {"approved": True})
    assert r.status_code in (403, 404), r.json
    r = complete(client, env["h"]["registrar"], dean_task["id"], {"approved": True})
    assert r.status_code == 403, r.json

    r = client.get(f"{API}/tasks/{dean_task['id']}", headers=env["h"]["dean_it"])
    assert r.status_code == 200, r.json
    assert r.json["can_act"] is True
    assert set(r.json["form"]["properties"]) == {"approved", "dean_comment"}
    assert r.json["data"]["leave_ground"] == "medical"


def test_case_runs_to_the_end(client, env):
    users, h = env["users"], env["h"]
    case = start(client, env)
    assert complete(client, h["registrar1"], open_task(case, CHECK)["id"], VALID_CHECK).status_code == 200

    dean_task = open_task(case_of(client, env, case["id"]), DEAN)
    assert client.post(f"{API}/tasks/{dean_task['id']}/claim", headers=h["dean_it"]).status_code == 200
    assert inbox(client, h["dean_it"], "mine") == [dean_task["id"]]
    r = complete(client, h["dean_it"], dean_task["id"], {"approved": True, "dean_comment": "Согласовано"})
    assert r.status_code == 200, r.json

    order_task = open_task(case_of(client, env, case["id"]), ORDER)
    assert order_task["candidate_roles"] == ["registrar"]
    assert order_task["id"] in inbox(client, h["registrar"], "group")
    r = complete(client, h["registrar"], order_task["id"], {"order_date": "2026-08-30"})
    assert r.status_code == 422
    assert r.json["fields"] == {"order_number": "Обязательное поле"}
    r = complete(client, h["registrar"], order_task["id"],
                 {"order_number": "123-у", "order_date": "2026-08-30", "end_date": "2027-08-31"})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "completed"

    done = case_of(client, env, case["id"])
    assert done["status"] == "completed"
    assert done["open_tasks"] == []
    assert done["data"]["order_number"] == "123-у"
    assert done["data"]["leave_months"] == 12
    assert done["data"]["approved"] is True
    assert [(e["kind"], e["actor_id"]) for e in done["history"]] == [
        ("case_started", users["registrar"]), ("task_completed", users["registrar1"]),
        ("task_claimed", users["dean_it"]), ("task_completed", users["dean_it"]),
        ("task_completed", users["registrar"]), ("case_completed", users["registrar"])]
    for user in ("registrar", "registrar1", "dean_it"):
        assert inbox(client, h[user], "mine") == []
        assert inbox(client, h[user], "group") == []


def test_dean_refusal_ends_the_case(client, env):
    h = env["h"]
    case = start(client, env)
    assert complete(client, h["registrar1"], open_task(case, CHECK)["id"], VALID_CHECK).status_code == 200
    dean_task = open_task(case_of(client, env, case["id"]), DEAN)
    r = complete(client, h["dean_it"], dean_task["id"], {"approved": False, "dean_comment": "Нет мест"})
    assert r.status_code == 200, r.json
    done = case_of(client, env, case["id"])
    assert done["status"] == "completed"
    assert done["open_tasks"] == []
    assert "order_number" not in done["data"]
    assert inbox(client, h["registrar"], "group") == []


def test_omitted_field_takes_the_forms_default(client, env):
    """The dean's form declares `approved` with defaultValue false but does not require it.
    Omitting it means the default (as in Camunda's filled-in form): the refusal path, and
    not an engine error about an undefined name in the gateway."""
    h = env["h"]
    case = start(client, env)
    assert complete(client, h["registrar1"], open_task(case, CHECK)["id"], VALID_CHECK).status_code == 200
    dean_task = open_task(case_of(client, env, case["id"]), DEAN)
    r = complete(client, h["dean_it"], dean_task["id"], {"dean_comment": "?"})
    assert r.status_code == 200, r.json
    done = case_of(client, env, case["id"])
    assert done["status"] == "completed"
    assert done["data"]["approved"] is False
    completion = [e for e in done["history"] if e["kind"] == "task_completed"][-1]
    assert completion["payload"]["data"] == {"dean_comment": "?", "approved": False}


def test_submitted_value_wins_over_the_default(client, env):
    case = start(client, env)
    data = {**VALID_CHECK, "leave_months": 6}
    data.pop("documents_ok")
    assert complete(client, env["h"]["registrar1"], open_task(case, CHECK)["id"], data).status_code == 200
    after = case_of(client, env, case["id"])
    assert after["data"]["leave_months"] == 6
    assert after["data"]["documents_ok"] is False
