"""The grade appeal (`grade_appeal`) end to end through the API on the record of
tests/integration/record_data.py: the application refused where it enters (no such result,
another term, an unknown discipline, after the next working day from publication — ru/kk/en,
nothing stored), the registrar's check and its refusal, the appeal commission (the dean of the
student's faculty) keeping, raising and lowering the points, the correction row naming the case,
the case history with the old and new points, and the student's record with the corrected grade."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from server.auth import Actor
from server.db import utcnow
from server.models import Case, Result
from server.services.procedures import deployments
from server.services.record import results as record_results
from tests.integration.api import case_view, complete, group_inbox
from tests.integration.record_data import seed

API = "/api/v1"
ACCEPT = {"decision": "approve"}


@pytest.fixture
def env(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    return {"h": people, "ids": seed(ctx)}


def _count(ctx, model) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count(model.id)))


def _post(client, env, data, student="a", lang="ru"):
    return client.post(f"{API}/cases", headers={**env["h"]["registrar"], "Accept-Language": lang}, json={
        "process_id": "grade_appeal", "student_id": env["ids"][student], "data": data})


def _start(client, env, code="HIS101", term=1, student="a") -> int:
    r = _post(client, env, {"discipline_code": code, "term": term, "grounds": "Не согласен с оценкой"},
              student)
    assert r.status_code == 201, r.json
    return r.json["id"]


def _decide(client, env, cid, data, user="dean_it", status=200):
    return complete(client, env["h"], user, cid, "commission_decision",
                    {"commission_reason": "Ответ на вопрос 3 оценён не по критериям", "protocol_number": "7",
                     "protocol_date": utcnow().date().isoformat(), **data}, status=status)


def _record(client, env, student="a") -> dict:
    r = client.get(f"{API}/students/{env['ids'][student]}/record", headers=env["h"]["registrar"])
    assert r.status_code == 200, r.json
    return {x["discipline_code"]: x for t in r.json["terms"] for x in t["results"]}


def test_the_appeal_raises_the_grade_through_a_correction_naming_the_case(client, ctx, env):
    cid = _start(client, env)
    view = case_view(client, env["h"], cid)
    appealed = view["data"]["appealed_result"] if "data" in view else None
    assert [t["spec_name"] for t in view["open_tasks"]] == ["check_appeal"]
    assert view["deadline_at"] is not None
    complete(client, env["h"], "registrar", cid, "check_appeal", ACCEPT)
    # the commission is the dean of the student's faculty: not the other dean
    assert (cid, "commission_decision") not in group_inbox(client, env["h"], "dean_econ")
    body = _decide(client, env, cid, {"commission_decision": "raise", "new_points": 60}, status=422)
    assert "new_points" in body["fields"]  # 60 < 66: not a raise; nothing written
    assert _count(ctx, Result) == 5
    _decide(client, env, cid, {"commission_decision": "raise", "new_points": 76})
    view = case_view(client, env["h"], cid)
    assert view["status"] == "completed" and view["outcome"] == "grade_raised"
    kinds = [e["kind"] for e in view["history"]]
    assert kinds[-2:] == ["result_corrected", "case_completed"]
    change = next(e for e in view["history"] if e["kind"] == "result_corrected")["payload"]
    assert (change["old_points"], change["old_letter"], change["new_points"], change["new_letter"]) == (
        66, "C", 76, "B-")
    assert change["reason"] == "Ответ на вопрос 3 оценён не по критериям"
    assert _record(client, env)["HIS101"]["letter"] == "B-"
    rows = record_results.history(ctx, Actor.system(), env["ids"]["a"], "HIS101")
    assert [(r.points, r.letter, r.case_id) for r in rows] == [(66, "C", None), (76, "B-", cid)]
    assert rows[1].corrects_id == rows[0].id and rows[1].attempt == 1
    if appealed is not None:
        assert appealed["points"] == 66


def test_the_commission_keeps_or_lowers(client, ctx, env):
    kept = _start(client, env)
    complete(client, env["h"], "registrar", kept, "check_appeal", ACCEPT)
    _decide(client, env, kept, {"commission_decision": "keep"})
    assert case_view(client, env["h"], kept)["outcome"] == "grade_kept"
    assert _count(ctx, Result) == 5
    lowered = _start(client, env, "MAT101", 1)
    complete(client, env["h"], "registrar", lowered, "check_appeal", ACCEPT)
    _decide(client, env, lowered, {"commission_decision": "lower"}, status=422)  # new points required
    _decide(client, env, lowered, {"commission_decision": "lower", "new_points": 93})
    assert case_view(client, env["h"], lowered)["outcome"] == "grade_lowered"
    assert _record(client, env)["MAT101"]["letter"] == "A-"


def test_the_registrar_refuses_with_a_ground(client, ctx, env):
    cid = _start(client, env)
    body = complete(client, env["h"], "registrar", cid, "check_appeal", {"decision": "reject"}, status=422)
    assert "refusal_ground" in body["fields"]
    complete(client, env["h"], "registrar", cid, "check_appeal",
             {"decision": "reject", "refusal_ground": "repeat_appeal"})
    view = case_view(client, env["h"], cid)
    assert view["status"] == "rejected" and view["outcome"] == "refused"
    assert view["refusal_ground"] == "repeat_appeal" and view["open_tasks"] == []
    assert _count(ctx, Result) == 5


@pytest.mark.parametrize(("data", "field", "kk", "en"), [
    ({"discipline_code": "XXX999", "term": 1}, "data.discipline_code", "белгісіз пән: XXX999",
     "unknown discipline XXX999"),
    ({"discipline_code": "PHY102", "term": 1}, "data.term", "PHY102 пәні бойынша нәтиже 2-семестрге жазылған",
     "the result in PHY102 is recorded for term 2"),
])
def test_an_application_the_record_does_not_support_is_refused_where_it_enters(client, ctx, env, data, field,
                                                                                kk, en):
    before = _count(ctx, Case)
    data = {**data, "grounds": "—"}
    ru = _post(client, env, data)
    assert ru.status_code == 422 and field in ru.json["fields"], ru.json
    assert _post(client, env, data, lang="kk").json["fields"][field] == kk
    assert _post(client, env, data, lang="en").json["fields"][field] == en
    assert _count(ctx, Case) == before


def test_a_student_without_the_result_is_refused(client, ctx, env):
    r = _post(client, env, {"discipline_code": "HIS101", "term": 1, "grounds": "—"}, student="b")
    assert r.status_code == 422
    assert r.json["fields"]["data.discipline_code"] == "у обучающегося нет результата по дисциплине HIS101"


def test_an_appeal_after_the_next_working_day_is_refused(client, ctx, env):
    before = _count(ctx, Case)
    with time_machine.travel(utcnow() + timedelta(days=6), tick=False):
        r = _post(client, env, {"discipline_code": "HIS101", "term": 1, "grounds": "—"}, lang="en")
    assert r.status_code == 422, r.json
    assert "the appeal is filed no later than the next working day" in r.json["fields"]["received_at"]
    assert _count(ctx, Case) == before
    # the next working day after publication is still in time
    published = utcnow().astimezone(ctx.tz).date()
    last = ctx.calendar.next_working_day(published)
    noon = (utcnow() + timedelta(days=(last - published).days))
    with time_machine.travel(noon, tick=False):
        assert _post(client, env, {"discipline_code": "HIS101", "term": 1, "grounds": "—"}).status_code == 201


def test_the_commission_is_escalated_after_two_working_days(client, ctx, env):
    from server.services.background.jobs import fire_due_timers

    cid = _start(client, env)
    complete(client, env["h"], "registrar", cid, "check_appeal", ACCEPT)
    with time_machine.travel(utcnow() + timedelta(days=7), tick=False):
        assert fire_due_timers(ctx) == 1
    view = case_view(client, env["h"], cid)
    escalated = [e["payload"] for e in view["history"] if e["kind"] == "escalated"]
    assert [(e["to_role"], e["element"]) for e in escalated] == [("vice_rector", "escalate_commission")]
    # the timer does not interrupt the commission: the dean still decides
    assert [t["spec_name"] for t in view["open_tasks"]] == ["commission_decision"]
    _decide(client, env, cid, {"commission_decision": "keep"})
    assert case_view(client, env["h"], cid)["outcome"] == "grade_kept"
