"""No case stranded: a registration whose dean step would reach nobody is refused (the
faculty named, ru/kk/en); a step that reaches nobody when it opens is raised at once to the
office head as a routing incident (the case, the step, the missing role); its retry succeeds
once someone holds the role; the admin page warns about faculties without a dean, roles
without a holder and substitutes whose period has ended."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from server.models import Faculty, OutboxJob, Substitution, User
from server.services.people.routing import UNASSIGNED, routing_warnings
from tests.integration.api import case_view, complete, group_inbox, history_kinds, spec_names
from tests.integration.procs import add_student, add_user, deploy_all

LEAVE = {"leave_ground": "medical", "leave_start": "2026-12-01", "leave_end": "2027-08-31"}
CHECKED = {**LEAVE, "doc_application": True, "doc_medical_conclusion": True,
           "documents_complete": True, "decision": "approve"}


@pytest.fixture
def env(ctx, people):
    deploy_all(ctx)
    with ctx.db.unit_of_work() as session:
        session.add(Faculty(code="PED", name_ru="Педагогический факультет",
                            name_kk="Педагогикалық факультет", name_en="Faculty of Education"))
    return people


def _register(client, people, student_id, lang="ru"):
    return client.post("/api/v1/cases", headers={**people["registrar"], "Accept-Language": lang},
                       json={"process_id": "academic_leave", "student_id": student_id,
                             "channel": "direct", "data": LEAVE})


def test_registration_for_a_faculty_without_a_dean_is_refused(client, ctx, env):
    student_id = add_student(ctx, faculty_code="PED")
    r = _register(client, env, student_id)
    assert r.status_code == 422
    assert "PED" in r.json["message"] and "декана" in r.json["message"]
    assert "student_id" in r.json["fields"]
    kk = _register(client, env, student_id, "kk").json["message"]
    en = _register(client, env, student_id, "en").json["message"]
    assert "PED" in kk and "факультет" in kk and kk != r.json["message"]
    assert "PED" in en and "dean" in en.lower()
    with ctx.db.read() as session:  # a refused registration stores nothing
        from server.models import Case
        assert session.scalar(select(Case.id)) is None
    # a student of a faculty with a dean registers as before
    assert _register(client, env, add_student(ctx, serial=4322)).status_code == 201


def test_a_step_reaching_nobody_is_raised_to_the_head_and_retried(client, ctx, env):
    student_id = add_student(ctx)
    cid = _register(client, env, student_id).json["id"]
    # the dean of IT leaves before the case reaches the dean's step
    with ctx.db.unit_of_work() as session:
        session.execute(update(User).where(User.username == "dean_it").values(active=False))
    complete(client, env, "registrar", cid, "check_documents", CHECKED)
    view = case_view(client, env, cid)
    assert spec_names(view) == ["dean_approval"]
    event = next(e for e in view["history"] if e["kind"] == "routing_incident")
    assert event["payload"]["role"] == "dean" and event["payload"]["task"] == "dean_approval"
    assert "IT" in event["payload"]["faculty"]
    # the head sees it at once among the incidents, with the case and the missing role
    items = client.get("/api/v1/admin/incidents", headers=env["head"]).json["items"]
    incident = next(i for i in items if i["kind"] == UNASSIGNED)
    assert incident["case_id"] == cid and "Декан" in incident["last_error"]
    assert f"№ {cid}" in incident["last_error"] and "Согласование деканом" in incident["last_error"]
    # a retry while nobody holds the role fails again
    r = client.post(f"/api/v1/admin/jobs/{incident['job_id']}/retry", headers=env["head"])
    assert r.status_code == 200
    from server.jobs.inprocess import drain
    drain(ctx)
    with ctx.db.read() as session:
        assert session.get(OutboxJob, incident["job_id"]).status == "failed"
    # a new dean is appointed: the retry closes the incident and the dean has the task
    from server.services.people.users import NewUser, create_token, create_user

    create_user(ctx, NewUser("dean_it2", "Dean It2", ("dean",), "secret-pass-1", "IT"))
    env["dean_it2"] = {"Authorization": f"Bearer {create_token(ctx, 'dean_it2')}"}
    client.post(f"/api/v1/admin/jobs/{incident['job_id']}/retry", headers=env["head"])
    drain(ctx)
    with ctx.db.read() as session:
        assert session.get(OutboxJob, incident["job_id"]).status == "done"
    assert (cid, "dean_approval") in group_inbox(client, env, "dean_it2")
    assert history_kinds(case_view(client, env, cid)).count("routing_incident") == 1


def test_a_global_role_without_holder_is_an_incident(client, ctx, env):
    # no lawyer in the office: the expulsion's lawyer visa reaches nobody
    student_id = add_student(ctx)
    r = client.post("/api/v1/cases", headers=env["registrar"],
                    json={"process_id": "expulsion", "student_id": student_id})
    cid = r.json["id"]
    complete(client, env, "dean_it", cid, "dean_submission",
             {"dean_decision": "submit", "expulsion_ground": "academic_failure",
              "expulsion_date": "2026-09-01", "dean_reasoning": "Задолженность",
              "dean_reasoning_kk": "Берешек"})
    complete(client, env, "registrar", cid, "registrar_draft",
             {"expulsion_date": "2026-09-01", "personal_file_checked": True})
    view = case_view(client, env, cid)
    event = next(e for e in view["history"] if e["kind"] == "routing_incident")
    assert event["payload"]["role"] == "lawyer" and event["payload"]["faculty"] is None
    items = client.get("/api/v1/admin/incidents", headers=env["head"]).json["items"]
    assert [i["case_id"] for i in items if i["kind"] == UNASSIGNED] == [cid]


def test_admin_warnings(client, ctx, env):
    today = date(2026, 12, 7)
    add_user(ctx, env, "deputy", "registrar")
    with ctx.db.unit_of_work() as session:
        ids = dict(session.execute(select(User.username, User.id)).tuples().all())
        session.add(Substitution(user_id=ids["dean_it"], substitute_id=ids["deputy"],
                                 starts_on=today - timedelta(days=20), ends_on=today - timedelta(days=2)))
        session.add(Substitution(user_id=ids["rector"], substitute_id=ids["vicerector"],
                                 starts_on=today, ends_on=today + timedelta(days=5)))
    warnings = routing_warnings(ctx, today)
    assert [f.code for f in warnings.faculties_without_dean] == ["PED"]
    assert warnings.roles_without_holder == ["lawyer"]
    assert [(w[1], w[2]) for w in warnings.ended_substitutes] == [("dean_it", "deputy")]
    # the admin page shows them
    from tests.integration.web import Staff, text

    page = text(Staff(client.application, "admin").get("/app/admin/users"))
    assert warnings.faculties_without_dean[0].name_ru in page and "Юрист" in page


@pytest.mark.parametrize("code", ["ИТ", "PED"])
def test_a_transfer_to_a_faculty_no_dean_serves_is_refused(client, ctx, env, code):
    """«ИТ» typed in Cyrillic names no faculty, PED has no dean: either way the dean's step of
    the transfer would reach nobody, so the registration is refused naming the field."""
    from datetime import date

    from server.domain.iin import make_iin

    applicant = {"iin": make_iin(date(2004, 3, 9), "M", 4321), "last_name": "Иванов",
                 "first_name": "Пётр", "middle_name": "Сергеевич", "sending_university": "КарУ",
                 "sending_university_kk": "ҚарУ", "programme_code": "6B06102",
                 "programme_name": "Программная инженерия", "year": 2, "level": "bachelor",
                 "form": "full_time", "language": "ru", "funding": "paid", "faculty_code": code}
    r = client.post("/api/v1/cases", headers=env["registrar"], json={
        "process_id": "transfer_in", "channel": "direct", "data": {"applicant": applicant}})
    assert r.status_code == 422, r.json
    # «ИТ» is not in the registry's list of faculties (refused as the form is checked, the list
    # named), PED is one without a dean (refused by routing, the faculty named)
    reason = r.json["message"] + r.json["fields"]["data.applicant.faculty_code"]
    assert (code in reason) if code == "PED" else ("Выберите значение из списка: ECON, IT, PED" in reason)
    assert client.get("/api/v1/cases", headers=env["registrar"]).json["total"] == 0
