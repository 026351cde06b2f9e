"""The model `vacant_grant` through the API: the announcement, the list of applicants, the
ranking by GPA with the configured tie-break (config/procedures.yaml) that excludes students who
are not on a paid basis in the same programme group, the commission's decision with escalation,
the order awarding the grant in Russian and Kazakh, the rector's signature, refusals."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine

from server.db import utcnow
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.services.background.jobs import fire_due_timers
from tests.integration.api import case_view, complete, group_inbox, history_kinds, spec_names
from tests.integration.procs import deploy_all, document_text, sign_order


def _applicant(serial, last, first, gpa, *, group="B057", funding="paid", unt=100, sex="M"):
    return {"iin": make_iin(date(2005, 2, 3), sex, serial), "full_name": f"{last} {first}",
            "last_name": last, "first_name": first, "group_code": group, "programme_code": "6B06102",
            "programme_name": "Программная инженерия", "year": 2, "group": "ПИ-24-1",
            "form": "full_time", "language": "ru", "funding": funding, "gpa": gpa, "unt_score": unt}


TIED_LOW = _applicant(1, "Ахметов", "Ерлан", 3.5, unt=100)
TIED_HIGH = _applicant(2, "Сейтова", "Дана", 3.5, unt=110, sex="F")
ON_GRANT = _applicant(3, "Омаров", "Нурлан", 3.9, funding="grant")
OTHER_GROUP = _applicant(4, "Ким", "Виктор", 3.95, group="B058")
LOWEST = _applicant(5, "Жумабаев", "Арман", 3.2)
APPLICANTS = [TIED_LOW, ON_GRANT, LOWEST, OTHER_GROUP, TIED_HIGH]
APPROVED = {"commission_decision": "approve", "protocol_number": "7", "protocol_date": "2026-08-28"}


@pytest.fixture
def env(ctx, people):
    deploy_all(ctx)
    return people


def _start(client, people, places=2, deadline=None):
    deadline = deadline or (date.today() + timedelta(days=20)).isoformat()
    r = client.post("/api/v1/cases", headers=people["registrar"], json={
        "process_id": "vacant_grant", "data": {
            "programme_group_code": "B057", "programme_group_name": "Информационные технологии",
            "programme_group_name_kk": "Ақпараттық технологиялар",
            "grant_count": places, "vacancy_reason": "отчисление обладателя гранта",
            "application_deadline": deadline}})
    assert r.status_code == 201, r.json
    return r.json


def test_ranking_commission_and_order(client, ctx, env):
    people = env
    cid = _start(client, people)["id"]
    assert (cid, "collect_applications") in group_inbox(client, people, "registrar")
    complete(client, people, "registrar", cid, "collect_applications", {"applicants": APPLICANTS})

    view = case_view(client, people, cid)
    ranking = view["data"]["ranking"]
    # GPA first; the tie at 3.5 is broken by the UNT score; grant holders and other groups excluded
    assert [p["iin"] for p in ranking["ranked"]] == [TIED_HIGH["iin"], TIED_LOW["iin"], LOWEST["iin"]]
    assert [p["rank"] for p in ranking["ranked"]] == [1, 2, 3]
    assert [p["iin"] for p in view["data"]["winners"]] == [TIED_HIGH["iin"], TIED_LOW["iin"]]
    assert {(p["iin"], p["refusal_ground"]) for p in ranking["excluded"]} == {
        (ON_GRANT["iin"], "not_eligible"), (OTHER_GROUP["iin"], "not_eligible")}
    assert ctx.catalog.service("vacant_grant").refusal_ground("not_eligible")

    # the commission (chaired by the vice-rector) decides
    assert (cid, "commission_decision") in group_inbox(client, people, "vicerector")
    assert (cid, "commission_decision") not in group_inbox(client, people, "registrar")
    body = complete(client, people, "vicerector", cid, "commission_decision",
                    {"commission_decision": "approve"}, status=422)
    assert {"protocol_number", "protocol_date"} <= set(body["fields"])
    complete(client, people, "vicerector", cid, "commission_decision", APPROVED)
    assert drain(ctx) >= 1
    view = sign_order(client, people, cid, completed_tasks=3)

    text, cells = document_text(client, people, view, "ru")
    assert "О присуждении вакантного государственного образовательного гранта" in text
    assert "по группе образовательных программ B057 «Информационные технологии»" in text
    assert "протокол № 7 от 28.08.2026" in text and "№ 1-у" in text
    # the dative after «следующим обучающимся»; the sex taken from the ИИН
    assert "Сейтовой Дане" in cells and "Ахметову Ерлану" in cells and "3.50" in cells
    assert "Жумабаев" not in cells and "Омаров" not in cells and "грант" in cells
    assert cells.index("Сейтовой") < cells.index("Ахметову")
    text, cells = document_text(client, people, view, "kk")
    assert "Бос мемлекеттік білім беру грантын беру туралы" in text
    assert "28.08.2026 № 7 хаттама" in text and "Сейтова Дана" in cells


def test_no_eligible_applicant_is_refused(client, ctx, env):
    people = env
    cid = _start(client, people)["id"]
    complete(client, people, "registrar", cid, "collect_applications",
             {"applicants": [ON_GRANT, OTHER_GROUP]})
    view = case_view(client, people, cid)
    assert view["status"] == "rejected" and view["refusal_ground"] == "not_eligible"
    assert view["open_tasks"] == [] and view["documents"] == [] and drain(ctx) == 0


def test_commission_refuses(client, ctx, env):
    people = env
    cid = _start(client, people, places=1)["id"]
    complete(client, people, "registrar", cid, "collect_applications", {"applicants": APPLICANTS})
    assert [p["iin"] for p in case_view(client, people, cid)["data"]["winners"]] == [TIED_HIGH["iin"]]
    complete(client, people, "vicerector", cid, "commission_decision",
             {"commission_decision": "reject", "commission_refusal_ground": "not_selected"})
    view = case_view(client, people, cid)
    assert view["status"] == "rejected" and view["refusal_ground"] == "not_selected"
    assert view["documents"] == [] and view["timers"] == [] and history_kinds(view)[-1] == "case_completed"


def test_applicant_list_is_validated(client, env):
    people = env
    cid = _start(client, people)["id"]
    bad = {**TIED_LOW, "iin": "123456789012", "gpa": 5}
    body = complete(client, people, "registrar", cid, "collect_applications", {"applicants": [bad]},
                    status=422)
    assert any("iin" in k for k in body["fields"]) and any("gpa" in k for k in body["fields"])


def test_overdue_steps_escalate(client, ctx, env):
    people = env
    cid = _start(client, people, deadline=date.today().isoformat())["id"]
    with time_machine.travel(utcnow() + timedelta(days=5), tick=False):
        assert fire_due_timers(ctx) == 1 and fire_due_timers(ctx) == 0
    assert spec_names(case_view(client, people, cid)) == ["collect_applications"]
    complete(client, people, "registrar", cid, "collect_applications", {"applicants": APPLICANTS})
    with time_machine.travel(utcnow() + timedelta(days=8), tick=False):
        assert fire_due_timers(ctx) == 1 and fire_due_timers(ctx) == 0
    view = case_view(client, people, cid)
    escalations = [e["payload"]["element"] for e in view["history"] if e["kind"] == "escalated"]
    assert escalations == ["escalate_applications", "escalate_commission"]
    assert spec_names(view) == ["commission_decision"]


def test_the_registry_decides_eligibility_a_foreign_citizen_cannot_win(client, ctx, env):
    """State grants are for citizens of Kazakhstan (DOMAIN.md, «Refusals»): a foreign student
    the registry knows is excluded though the typed list says nothing of citizenship, and the
    registry's funding basis overrides the typed one."""
    from tests.integration.procs import add_student

    foreign = _applicant(6, "Ли", "Мин", 4.0)
    add_student(ctx, iin=foreign["iin"], citizenship="KOR", funding="paid")
    typed_paid = _applicant(7, "Бекова", "Алия", 3.99, sex="F")
    add_student(ctx, iin=typed_paid["iin"], funding="grant", sex="F")  # the registry: on a grant
    add_student(ctx, iin=TIED_HIGH["iin"], funding="paid", sex="F")
    cid = _start(client, env, places=1)["id"]
    complete(client, env, "registrar", cid, "collect_applications",
             {"applicants": [foreign, typed_paid, TIED_HIGH]})
    ranking = case_view(client, env, cid)["data"]["ranking"]
    assert [p["iin"] for p in ranking["winners"]] == [TIED_HIGH["iin"]]
    reasons = {p["iin"]: p["reason"] for p in ranking["excluded"]}
    assert reasons == {foreign["iin"]: "citizenship", typed_paid["iin"]: "funding"}


def test_the_record_decides_the_gpa_a_typed_one_is_overridden_and_debt_excludes(client, ctx, env):
    """The competition ranks by the GPA the academic record computes (issue: computed, never
    typed): a student with results is ranked by the record whatever the list says, a student
    whose record shows academic debt (FX/F) is excluded, a student without results keeps the
    typed GPA."""
    from server.models import Discipline, Result
    from tests.integration.procs import add_student

    strong = _applicant(8, "Абаев", "Нурлан", 2.0)   # typed low, the record says 3.67
    debtor = _applicant(9, "Бекова", "Алия", 4.0, sex="F")  # typed high, the record has an FX
    ids = {p["iin"]: add_student(ctx, iin=p["iin"], funding="paid", sex=sex)
           for p, sex in ((strong, "M"), (debtor, "F"), (LOWEST, "M"))}
    with ctx.db.unit_of_work() as session:
        maths = Discipline(code="MAT101", name_ru="Математика", name_kk="Математика",
                           name_en="Mathematics", credits=5, control_form="exam")
        physics = Discipline(code="PHY101", name_ru="Физика", name_kk="Физика", name_en="Physics",
                             credits=5, control_form="exam")
        session.add_all([maths, physics])
        session.flush()
        rows = [(strong, maths, 92, "A-", 3.67), (strong, physics, 90, "A-", 3.67),
                (debtor, maths, 96, "A", 4.0), (debtor, physics, 40, "FX", 0.5)]
        session.add_all(Result(student_id=ids[p["iin"]], discipline_id=d.id, academic_year="2025-2026",
                               term=1, points=pts, letter=letter, grade_points=gp)
                        for p, d, pts, letter, gp in rows)
    cid = _start(client, env, places=1)["id"]
    complete(client, env, "registrar", cid, "collect_applications", {"applicants": [strong, debtor, LOWEST]})
    ranking = case_view(client, env, cid)["data"]["ranking"]
    assert [p["iin"] for p in ranking["winners"]] == [strong["iin"]]
    winner = ranking["winners"][0]
    assert winner["gpa"] == 3.67 and winner["gpa_from_record"] is True
    assert {p["iin"]: p["reason"] for p in ranking["excluded"]} == {debtor["iin"]: "academic_debt"}
