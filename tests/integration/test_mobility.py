"""The registrar model `mobility` (procedure 12, internal academic mobility and re-crediting)
end to end through the API, on both databases: the application with its learning agreement
and the return loop, the dean of the student's faculty (escalation), the order on sending in
Russian and Kazakh, the partner's transcript with the proposed re-crediting, the dean's
approval (or return for correction), the re-crediting order, refusals with a ground and the
escalation when the transcript is late."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
import time_machine

from server.auth import Actor
from server.db import utcnow
from server.domain.iin import make_iin
from server.jobs.inprocess import drain
from server.services.background.jobs import fire_due_timers
from server.services.procedures import deployments
from tests.integration.api import (
    add_student,
    assert_refused,
    case_view,
    complete,
    document_text,
    group_inbox,
    history_kinds,
    return_for_correction,
    spec_names,
    start_case,
)

IIN = make_iin(date(2004, 9, 3), "M", 1618)
PARTNER = "Евразийский национальный университет имени Л. Н. Гумилёва"
PARTNER_KK = "Л. Н. Гумилев атындағы Еуразия ұлттық университеті"
DOCS = {"doc_application": True, "doc_learning_agreement": True, "doc_transcript": True,
        "partner_university": PARTNER,
        "partner_university_kk": PARTNER_KK, "agreement_number": "15-АМ", "agreement_date": "2026-01-10",
        "mobility_start": "2027-02-01", "mobility_end": "2027-06-30",
        "planned_disciplines": [{"discipline": "Алгоритмы и структуры данных", "credits": 5},
                                {"discipline": "Веб-программирование", "credits": 6}],
        "planned_credits": 11}
CHECKED = {**DOCS, "documents_complete": True, "registrar_decision": "approve"}
RETURN = {"transcript_received_date": "2027-07-05", "transcript_number": "ЕНУ-2027/118", "recredit": [
    {"partner_discipline": "Алгоритмы и структуры данных",
     "partner_discipline_kk": "Алгоритмдер және деректер құрылымдары", "credits": 5, "grade": "A-",
     "plan_discipline": "Алгоритмы", "plan_discipline_kk": "Алгоритмдер", "recredited_credits": 5},
    {"partner_discipline": "Веб-программирование", "partner_discipline_kk": "Веб-бағдарламалау",
     "credits": 6, "grade": "B+", "plan_discipline": "Веб-технологии",
     "plan_discipline_kk": "Веб-технологиялар", "recredited_credits": 5}]}


@pytest.fixture
def env(ctx, people):
    deployments.deploy_folder(ctx, Actor.system(), ctx.settings.workflows_dir)
    return {"h": people, "student_id": add_student(ctx, IIN, funding="paid")}


def _start(client, env):
    return start_case(client, env["h"], "mobility", env["student_id"], channel="direct")


def _sent(client, ctx, env, cid, checked=CHECKED):
    """Checked, approved by the dean, the order on sending signed."""
    h = env["h"]
    complete(client, h, "registrar", cid, "check_application", checked)
    complete(client, h, "dean_it", cid, "dean_approval", {"dean_decision": "approve"})
    assert drain(ctx) >= 1
    complete(client, h, "rector", cid, "rector_sign", {"signed": True, "signed_date": "2027-01-20"})


def test_mobility_sent_and_recredited(client, ctx, env, request):
    h = env["h"]
    cid = _start(client, env)["id"]
    assert (cid, "check_application") in group_inbox(client, h, "registrar2")
    return_for_correction(client, h, cid, "check_application",
                          {**CHECKED, "doc_learning_agreement": False}, "Соглашение об обучении")
    complete(client, h, "registrar", cid, "check_application", CHECKED)

    assert (cid, "dean_approval") not in group_inbox(client, h, "dean_econ")
    assert client.get(f"/api/v1/cases/{cid}", headers=h["dean_econ"]).status_code == 404
    complete(client, h, "dean_it", cid, "dean_approval", {"dean_decision": "approve"})
    assert drain(ctx) >= 1
    assert (cid, "rector_sign") not in group_inbox(client, h, "registrar")
    complete(client, h, "rector", cid, "rector_sign", {"signed": True, "signed_date": "2027-01-20"})

    view = case_view(client, h, cid)
    ru = document_text(client, h, view, "ru", "order_mobility")
    assert "О направлении на обучение по программе внутренней академической мобильности" in ru
    assert f"в «{PARTNER}» с 01.02.2027 по 30.06.2027 следующих обучающихся" in ru
    assert "Иванова Петра Сергеевича" in ru and IIN in ru and "платная" in ru and "11" in ru
    assert "Правилами организации учебного процесса по кредитной технологии обучения" in ru
    assert "договор о сотрудничестве с вузом-партнёром № 15-АМ от 10.01.2026" in ru
    kk = document_text(client, h, view, "kk", "order_mobility")
    assert "Ішкі академиялық ұтқырлық бағдарламасы бойынша оқуға жіберу туралы" in kk
    assert "Иванов Пётр Сергеевич" in kk and "01.02.2027 бастап 30.06.2027 дейін" in kk

    # on return: the transcript is due within 10 working days after the mobility period
    assert spec_names(view) == ["record_return"] and len(view["timers"]) == 1
    due = datetime.fromisoformat(view["timers"][0]["due_at"]).astimezone(ctx.tz)
    last_day = ctx.calendar.add_working_days(date(2027, 6, 30), 10)
    end_of_last_day = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=ctx.tz)
    assert abs(due - end_of_last_day) < timedelta(seconds=2)
    # the partner's transcript comes after the period: a date still in the future is refused
    early = complete(client, h, "registrar", cid, "record_return", RETURN, status=422)
    assert "ещё не наступила" in early["fields"]["transcript_received_date"]
    returned = time_machine.travel(datetime(2027, 7, 6, 10, tzinfo=ctx.tz), tick=False)
    returned.start()
    request.addfinalizer(returned.stop)
    complete(client, h, "registrar", cid, "record_return", {**RETURN, "recredit": RETURN["recredit"][:1]})

    # the dean returns the draft once, then approves the corrected one
    assert (cid, "dean_recredit") not in group_inbox(client, h, "dean_econ")
    body = complete(client, h, "dean_it", cid, "dean_recredit", {"recredit_decision": "return"}, status=422)
    assert "recredit_comment" in body["fields"]
    complete(client, h, "dean_it", cid, "dean_recredit",
             {"recredit_decision": "return", "recredit_comment": "Нет второй дисциплины"})
    assert spec_names(case_view(client, h, cid)) == ["record_return"]
    complete(client, h, "registrar", cid, "record_return", RETURN)
    complete(client, h, "dean_it", cid, "dean_recredit", {"recredit_decision": "approve"})
    assert drain(ctx) >= 1
    complete(client, h, "rector", cid, "sign_recredit", {"signed": True, "signed_date": "2027-07-12"})

    view = case_view(client, h, cid)
    assert view["status"] == "completed" and view["outcome"] == "issued"
    assert view["open_tasks"] == [] and view["timers"] == []
    assert sorted((d["kind"], d["number"]) for d in view["documents"]) == [
        ("order_mobility", "1-у"), ("order_mobility", "1-у"),
        ("order_mobility_recredit", "1-у"), ("order_mobility_recredit", "1-у")]  # 2027's register
    kinds = history_kinds(view)
    assert kinds[0] == "case_started" and kinds[-1] == "case_completed"
    assert kinds.count("task_completed") == 10 and kinds.count("document_issued") == 2
    assert "escalated" not in kinds

    ru = document_text(client, h, view, "ru", "order_mobility_recredit")
    assert "О перезачёте результатов обучения по программе внутренней академической мобильности" in ru
    assert "1. Перезачесть обучающемуся Иванову Петру Сергеевичу" in ru
    assert f"результаты обучения в «{PARTNER}» с 01.02.2027 по 30.06.2027" in ru
    assert "Веб-программирование" in ru and "Веб-технологии" in ru and "B+" in ru
    assert "Всего перезачтено кредитов ECTS: 10." in ru and "№ 1-у" in ru
    kk = document_text(client, h, view, "kk", "order_mobility_recredit")
    assert "қайта есепке алу туралы" in kk and "Білім алушы Иванов Пётр Сергеевич" in kk
    assert "Барлығы қайта есепке алынған ECTS кредиттері: 10." in kk


@pytest.mark.parametrize(("step", "ground"), [("registrar", "no_partner_agreement"),
                                              ("dean", "poor_grades_or_debts")])
def test_mobility_refused(client, ctx, env, step, ground):
    h = env["h"]
    cid = _start(client, env)["id"]
    if step == "registrar":
        complete(client, h, "registrar", cid, "check_application",
                 {**DOCS, "documents_complete": True, "registrar_decision": "reject",
                  "registrar_refusal_ground": ground})
    else:
        complete(client, h, "registrar", cid, "check_application", CHECKED)
        complete(client, h, "dean_it", cid, "dean_approval",
                 {"dean_decision": "reject", "dean_refusal_ground": ground})
    assert_refused(ctx, case_view(client, h, cid), ground)
    assert drain(ctx) == 0


def test_dean_approval_escalates(client, ctx, env):
    h = env["h"]
    cid = _start(client, env)["id"]
    complete(client, h, "registrar", cid, "check_application", CHECKED)
    view = case_view(client, h, cid)
    assert spec_names(view) == ["dean_approval"] and len(view["timers"]) == 1
    with time_machine.travel(utcnow() + timedelta(days=8), tick=False):
        assert fire_due_timers(ctx) == 1
        assert fire_due_timers(ctx) == 0
    view = case_view(client, h, cid)
    assert [e["payload"] for e in view["history"] if e["kind"] == "escalated"] == [
        {"to_role": "registrar_head", "element": "escalate_dean"}]
    assert spec_names(view) == ["dean_approval"]


def test_late_transcript_escalates(client, ctx, env):
    """A period that ended long ago: the transcript is overdue at once."""
    h = env["h"]
    cid = _start(client, env)["id"]
    today = utcnow().astimezone(ctx.tz).date()
    _sent(client, ctx, env, cid, {**CHECKED, "mobility_start": (today - timedelta(days=150)).isoformat(),
                                  "mobility_end": (today - timedelta(days=30)).isoformat()})
    assert spec_names(case_view(client, h, cid)) == ["record_return"]
    with time_machine.travel(utcnow() + timedelta(minutes=1), tick=False):
        assert fire_due_timers(ctx) == 1
    view = case_view(client, h, cid)
    assert [e["payload"] for e in view["history"] if e["kind"] == "escalated"] == [
        {"to_role": "registrar_head", "element": "escalate_transcript"}]
    complete(client, h, "registrar", cid, "record_return", {**RETURN, "transcript_received_date": str(today)})
    assert (cid, "dean_recredit") in group_inbox(client, h, "dean_it")
